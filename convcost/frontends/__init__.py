"""Front ends: files and flags lowered into specs and the operator graph."""
