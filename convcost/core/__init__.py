"""Core: integer shape arithmetic, the cost record, the operator graph."""
