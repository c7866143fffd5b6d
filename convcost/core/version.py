"""convcost's version: the installed distribution's, read without importing importlib.metadata."""

from __future__ import annotations

import os
import sys
from importlib import metadata


def version() -> str:
    """The installed distribution's version; else the one in the source tree's pyproject.toml.

    Read from the ``convcost-*.dist-info/METADATA`` on sys.path when there is one (what
    importlib.metadata finds for an ordinary or editable install, without its 60 ms import).
    """

    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.lower().startswith("convcost-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as handle:
                        for line in handle:
                            if line.startswith("Version:"):
                                return line.split(":", 1)[1].strip()
                            if not line.strip():
                                break
                except OSError:
                    pass

    try:
        return metadata.version("convcost")
    except metadata.PackageNotFoundError:
        return _pyproject_version(
            os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "pyproject.toml")
        )


def _pyproject_version(path: str) -> str:
    """``version = "..."`` from the ``[project]`` table of a pyproject.toml; ``0+unknown`` if there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return "0+unknown"
    table = ""
    for line in lines:
        text = line.strip()
        if text.startswith("["):
            table = text
        elif table == "[project]" and text.replace(" ", "").startswith("version="):
            return text.split("=", 1)[1].strip().strip("\"'")
    return "0+unknown"
