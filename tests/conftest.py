"""Shared helpers: run the CLI in-process and read its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from convcost.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "layer_specs"
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
"""pyproject.toml, parsed."""


def run(*args: str, input: str | None = None) -> Result:
    """Invoke ``convcost ARGS`` through click's CliRunner at a fixed 80-column width."""
    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, env={"COLUMNS": "80", "NO_COLOR": "1"}, catch_exceptions=False, prog_name="convcost")


def run_process(*args: str, timeout: float = 30, **options: Any) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m convcost ARGS`` as a real process (signals, closed or full descriptors, pipes)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "convcost", *args], timeout=timeout, check=False, **options)


def run_json(*args: str) -> Any:
    """Run a command with --format json and parse its output; it must succeed."""
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_user_error(result: Result, *fragments: str) -> None:
    """The bad-input contract: exit 2, nothing on stdout, one ``Error:`` line naming the problem."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def tmp_yaml(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to a file and return its path."""

    def write(text: str, name: str = "spec.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
