"""Start-up discipline: the JSON path never imports rich or yaml, the table path never yaml; a bad file is refused before click loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, SPECS, run, run_process

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
        [sys.executable, "-m", "convcost", "layer", "--in", "28x28x8x8x8", "--k", "3", "--out", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("Error: --in")


# --- `convcost layer FILE`, `convcost model FILE`: the file is read before click loads -------

BAD_FILES = {
    "layer": [
        "in: [" + ", ".join(["&a [1, 1]", *(["*a"] * 8)]) + "]\nk: 3\nout: 8\n",  # aliases in a quoted value
        "in: 28x28x8\nk: 3\nout: 064\n",
        "in: 28x28x8\nk: 3\n",  # a missing key: the message names the file
        "in: 28x28x8\nk: 3\nout: 8\nbogus: 1\n",
    ],
    "model": [
        "[" * 1000,
        "input: 28x28x3\nlayers:\n  - {k: 3, out: 0x10}\n",
        "input: 28x28x3\nlayers:\n  - {k: 3, out: 8, wat: 1}\n",
        "input: 1x1x3\nlayers:\n  - {k: 3, out: 8}\n",  # a shape error: found while costing, after click loads
    ],
}


@pytest.mark.parametrize(("command", "text"), [(c, t) for c, texts in BAD_FILES.items() for t in texts])
def test_a_file_refused_early_says_what_the_command_says(command: str, text: str, tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A bad file on `convcost layer FILE` / `model FILE` alone: the same one line and exit 2 as through click."""
    path = tmp_yaml(text)
    process = run_process(command, path)
    in_process = run(command, path)
    assert (process.returncode, process.stdout) == (2, b"")
    assert process.stderr.decode() == in_process.stderr
    assert in_process.exit_code == 2


def test_a_refused_file_never_loads_click(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The hostile-file path stays short: click (and its inspect, typing, ...) is never imported."""
    path = tmp_yaml("[" * 1000)
    command = [sys.executable, "-X", "importtime", "-m", "convcost", "model", path]
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    assert process.returncode == 2
    imported = {line.split("|")[-1].strip() for line in process.stderr.splitlines() if line.startswith("import time:")}
    assert "convcost.frontends.yaml" in imported
    assert "click" not in imported
    assert process.stderr.splitlines()[-1].startswith("Error: ")
    flagged = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, check=False)
    assert "click" in {line.split("|")[-1].strip() for line in flagged.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", ["layer", "model"])
def test_a_file_read_early_is_read_once(command: str) -> None:
    """A good file read before click loads is the command's input: same output as in-process, stdin included."""
    path = SPECS / ("doc_28x28x8_k3_out16.yaml" if command == "layer" else "mobilenet_v1.yaml")
    expected = run(command, str(path)).stdout
    process = run_process(command, str(path), env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"})
    assert (process.returncode, process.stdout.decode()) == (0, expected)
    piped = run_process(command, "-", input=path.read_bytes(), env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"})
    assert (piped.returncode, piped.stdout.decode()) == (0, run(command, "-", input=path.read_text()).stdout)


def _function_imports() -> list[tuple[str, int, str]]:
    """Every import statement inside a function of the package: (file, line, the lines that may give its reason)."""
    import ast

    found = []
    for path in sorted((ROOT / "convcost").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for statement in ast.walk(node):
                    if isinstance(statement, (ast.Import, ast.ImportFrom)):
                        above = statement.lineno - 2
                        while above >= 0 and lines[above].lstrip().startswith(("import ", "from ")):
                            above -= 1  # a block of imports shares the comment above its first line
                        context = lines[statement.lineno - 1] + "\n" + (lines[above] if above >= 0 else "")
                        found.append((str(path.relative_to(ROOT)), statement.lineno, context))
    return found


def test_every_import_inside_a_function_is_a_deliberate_door() -> None:
    """An import inside a function is a lazy door (start-up, an optional package, a command) and says why: `# lazy: ...`."""
    found = _function_imports()
    assert len(found) > 10  # the doors exist: the check reads them
    undocumented = [f"{file}:{line}" for file, line, context in found if "lazy:" not in context]
    assert not undocumented, f"{len(undocumented)} imports inside functions without a '# lazy:' reason: {undocumented}"
