"""The README stays true: every example prints what it shows, and CI runs its test command."""

from __future__ import annotations

import re
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from update_readme import examples, run_example

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_example_prints_what_the_readme_shows() -> None:
    """Each ``$ convcost ...`` example's output is exactly the current output."""
    found = examples(README)
    assert len(found) >= 5
    for command, shown in found:
        assert run_example(command) == shown, command


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    """Quick start: one install-and-run command, one test command (ci/check, both runs), which .ci/run runs verbatim."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(commands) == 2
    assert "convcost layer --in 28x28x8 --k 3 --out 16" in commands[0]
    assert "ci/check" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
