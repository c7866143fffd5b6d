"""The package's layering: imports run one way, down the layers, with no cycle anywhere (imports inside functions count)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("importlinter", reason="the [lint] extra (ci/check's newest run) installs the layering checker")
LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": path} if path is not None else None
    return subprocess.run([LINT, "--no-cache", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_package_keeps_its_layers_and_has_no_cycles() -> None:
    """pyproject.toml's two import contracts hold: one-way layers, and no cycle among the modules of any package."""
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_cycle_closed_inside_a_function_breaks_the_contract(tmp_path: Path) -> None:
    """The check sees an import inside a function: a cycle closed that way fails it."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n\n    return a\n")
    config = tmp_path / ".importlinter"
    contract = "[importlinter:contract:1]\nname = acyclic\ntype = acyclic_siblings\nancestors = pkg\n"
    config.write_text("[importlinter]\nroot_package = pkg\n\n" + contract)
    result = _lint(tmp_path, "--config", str(config), path=str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
