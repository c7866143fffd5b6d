"""Refill every ``$ convcost ...`` example in README.md and docs/*.md with the command's real output.

Each ```console block holds commands (lines starting ``$ ``) followed by their output. This
reruns each command through click's CliRunner from the repository root, and writes the output
back. CliRunner's stdout is not a terminal, so the output is what a pipe or a file gets: tables
at their natural width (``COLUMNS=80`` is set, and ignored, as a pipe ignores it).
tests/test_readme.py checks that every page matches, so the docs stay true. Run: .venv/bin/python scripts/update_readme.py
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from convcost.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def pages() -> list[Path]:
    """Every page whose console examples are real output: README.md, then docs/*.md by name."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def run_example(command: str) -> str:
    """The output of ``convcost ARGS`` (stdout, then stderr), as a reader would see it."""
    args = shlex.split(command)
    assert args[0] == "convcost", command
    stdin = None
    if "<" in args:
        at = args.index("<")
        stdin = (ROOT / args[at + 1]).read_text(encoding="utf-8")
        args = args[:at] + args[at + 2 :]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, args[1:], input=stdin, env={"COLUMNS": "80", "NO_COLOR": "1"}, prog_name="convcost")
    finally:
        os.chdir(cwd)
    return result.stdout + result.stderr


def examples(text: str) -> list[tuple[str, str]]:
    """(command, shown output) for every example in a page."""
    found = []
    for block in BLOCK.findall(text):
        parts = re.split(r"^\$ (.*)\n", block, flags=re.MULTILINE)
        for command, shown in zip(parts[1::2], parts[2::2], strict=True):
            found.append((command, shown))
    return found


def refill(text: str) -> str:
    """The page with every example's output replaced by the real one."""

    def block(match: re.Match[str]) -> str:
        parts = re.split(r"^\$ (.*)\n", match.group(1), flags=re.MULTILINE)
        out = [parts[0]]
        for command in parts[1::2]:
            out.append(f"$ {command}\n{run_example(command)}")
        return "```console\n" + "".join(out) + "```"

    return BLOCK.sub(block, text)


if __name__ == "__main__":
    for page in pages():
        page.write_text(refill(page.read_text(encoding="utf-8")), encoding="utf-8")
