"""Start-up discipline: the JSON path never imports rich or yaml; the table path never imports yaml."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """\
import sys
sys.argv = ["convcost", *{args!r}]
try:
    from convcost.cli import run
    run()
except SystemExit:
    pass
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"rich", "yaml", "fractions"}}), file=sys.stderr)
"""


def _heavy_modules(*args: str) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True, check=True)
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_layer_text_formats_import_neither_rich_nor_yaml(fmt: str) -> None:
    """layer --format json/csv/markdown loads neither rich nor yaml (nor fractions)."""
    assert _heavy_modules("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", fmt) == "[]"


def test_table_imports_rich_but_not_yaml() -> None:
    """The table path imports rich (which itself loads fractions), only to render, and never yaml."""
    loaded = _heavy_modules("layer", "--in", "28x28x8", "--k", "3", "--out", "16")
    assert "'rich'" in loaded
    assert "yaml" not in loaded


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m convcost` is the same command, errors included."""
    ok = subprocess.run([sys.executable, "-m", "convcost", "layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "json"],
                        capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0
    assert '"mults": 135200' in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "convcost", "layer", "--in", "28x28", "--k", "3", "--out", "1"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("Error: --in")
