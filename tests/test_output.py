"""Output that survives pipes, narrow terminals, odd names and odd encodings; exports that say
where they came from; completion, flag suggestions and --version."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner
from conftest import ROOT, SPECS, run
from hypothesis import given, settings
from hypothesis import strategies as st

import convcost
from convcost.cli import cli
from convcost.render.numbers import num
from convcost.render.table import Row, TextTable, cell_width, wrap

WIDTHS = [20, 40, 50, 80, 200]
LAYER = ["layer", "--in", "28x28x8", "--k", "3", "--out", "16"]
HUGE = ["layer", "--in", "1000000x1000000x1000000", "--k", "3", "--out", "1000000", "--method", "standard", "--method", "low-rank"]
MODEL = ["model", str(SPECS / "mobilenet_v1.yaml")]
BASE = "name: base\ninput: 32x32x3\nlayers:\n  - {name: stem, k: 3, out: 32}\n  - {name: c2, k: 5, out: 64}\n"
PROPOSED = (
    "name: proposed\ninput: 32x32x3\nlayers:\n  - {name: stem, k: 3, out: 32}\n  - {name: c2b, k: 5, out: 64, as: depthwise-separable}\n"
)
EVIL = """\
name: "evil\\e[2J model"
input: 8x8x3
layers:
  - {name: "\\e[2J", k: 3, out: 4, padding: 1}
  - {name: "\\e[31mred", type: pointwise, out: 4}
  - {name: "two\\nlines", type: pointwise, out: 4}
  - {name: "pipe|cell", type: pointwise, out: 4}
  - {name: "\\u202eexe.txt", type: pointwise, out: 4}
  - {name: "nul\\0byte", type: pointwise, out: 4}
  - {name: "<script>alert(1)</script>", type: pointwise, out: 4}
  - {name: "ünï\\u2028cödé", type: pointwise, out: 4}
"""
ANSI = re.compile("\x1b\\[")


class Terminal(NamedTuple):
    """What a command printed on a terminal: its exit status, the screen's text, its stderr."""

    exit_code: int
    stdout: str
    stderr: str


TERMINAL_VARIABLES = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERM", "COLORTERM")
"""Variables that say what a terminal is: the test sets each one itself, whatever the caller's shell has."""


def run_terminal(*args: str, width: int, **env: str | None) -> Terminal:
    """Run ``convcost ARGS`` as a real process whose stdout is a terminal: a pseudo-terminal of
    ``width`` columns, no ``COLUMNS``, no colour, unless ``env`` says otherwise (None unsets)."""
    environment = {key: value for key, value in os.environ.items() if key not in TERMINAL_VARIABLES}
    settings = {"TERM": "xterm", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", **env}
    environment.update({key: value for key, value in settings.items() if value is not None})
    controller, screen = os.openpty()
    fcntl.ioctl(screen, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    attributes = termios.tcgetattr(screen)
    attributes[1] &= ~termios.OPOST  # the screen receives "\n" as written, not "\r\n"
    termios.tcsetattr(screen, termios.TCSANOW, attributes)
    command = [sys.executable, "-m", "convcost", *args]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.PIPE, env=environment) as process:
        os.close(screen)
        assert process.stderr is not None
        received: dict[int, list[bytes]] = {controller: [], process.stderr.fileno(): []}
        reading, deadline = set(received), time.monotonic() + 30
        while reading and time.monotonic() < deadline:
            for fd in select.select(list(reading), [], [], 1)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's last writer has gone
                    chunk = b""
                received[fd].append(chunk)
                if not chunk:
                    reading.discard(fd)
        if reading:
            process.kill()
        code = process.wait(timeout=30)
    os.close(controller)
    assert not reading, "the command did not finish"
    screen_text, error_text = (b"".join(received[fd]).decode() for fd in received)
    return Terminal(code, screen_text, error_text)


OWN_SIZE = 50
"""The terminal's own width where a test sets ``COLUMNS=0`` (unknown)."""


def terminal_at(args: list[str], width: int) -> Terminal:
    """``args`` on a terminal of ``width`` columns; 0: ``COLUMNS=0`` on one of OWN_SIZE columns."""
    return run_terminal(*args, width=OWN_SIZE, COLUMNS="0") if width == 0 else run_terminal(*args, width=width)


def figures(args: list[str], keys: tuple[str, ...] = ("mults", "params")) -> set[str]:
    """The figures a command's table shows (from its JSON): a layer's methods and stages; a
    model's layers, totals and what-if rows."""
    data = json.loads(run(*args, "--format", "json").stdout)
    if "methods" in data:
        entries = [*data["methods"], *(s for m in data["methods"] for s in m["stages"])]
    else:
        entries = [*data["layers"], data["totals"], *data["whatif"]]
    return {num(e[key]) for e in entries for key in keys if isinstance(e.get(key), int)}


NUMBER = re.compile(r"\d[\d,]*\d|\d")
GROUPED = re.compile(r"0|[1-9]\d{0,2}(,\d{3})*")


def numbers(text: str) -> set[str]:
    """Every number in a text, each checked to be whole: thousands groups of three, no stray comma."""
    found = set(NUMBER.findall(text))
    for n in found:
        assert GROUPED.fullmatch(n) or "," not in n, n
    return found


def assert_intact(terminal: str, piped: str, must: set[str]) -> None:
    """A terminal's output cuts nothing: the ``must`` words are there, every number in it is a
    whole number the piped output shows too, and no ellipsis stands for a cut."""
    assert must <= tokens(terminal)
    assert numbers(terminal) <= numbers(piped)
    assert "..." not in terminal
    assert "…" not in terminal


def tokens(text: str) -> set[str]:
    """The whitespace-separated words of a text."""
    return set(text.split())


def names(args: list[str]) -> set[str]:
    """The layer names of a model command (from its JSON)."""
    return {layer["name"] for layer in json.loads(run(*args, "--format", "json").stdout)["layers"]}


# --- pipes and files ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [LAYER, HUGE, MODEL, [*LAYER, "--explain"]])
def test_piped_tables_are_natural_width_plain_and_unwrapped(args: list[str]) -> None:
    """Not a terminal: no colour codes, no trailing spaces, every figure whole, the width ignored."""
    narrow = CliRunner().invoke(cli, args, env={"COLUMNS": "20"}, prog_name="convcost")
    wide = run(*args)
    assert narrow.exit_code == wide.exit_code == 0
    assert narrow.stdout == wide.stdout  # COLUMNS does not matter to a pipe
    lines = wide.stdout.splitlines()
    assert not ANSI.search(wide.stdout)
    assert all(line == line.rstrip() for line in lines)
    assert figures([a for a in args if a != "--explain"]) <= tokens(wide.stdout)
    assert "..." not in wide.stdout
    assert "…" not in wide.stdout


def test_piped_model_is_one_row_per_line() -> None:
    """Each layer's row is one line holding its index, name and mults, as grep expects."""
    data = json.loads(run(*MODEL, "--format", "json").stdout)
    lines = run(*MODEL).stdout.splitlines()
    for layer in data["layers"]:
        row = [line for line in lines if re.match(rf"\s*{layer['index']}\s+{re.escape(layer['name'])}\s", line)]
        assert len(row) == 1, layer["name"]
        assert num(layer["mults"]) in row[0].split()
    assert len([line for line in lines if "dw_pw7-11" in line]) == 10  # | grep finds every row, once


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_export_text_carries_the_printed_rows(tmp_path: Path, suffix: str) -> None:
    """--export .txt holds exactly the piped rows (then its provenance); .md holds each layer row once."""
    target = tmp_path / f"r{suffix}"
    result = run(*MODEL, "--export", str(target))
    text = target.read_text(encoding="utf-8")
    if suffix == ".txt":
        assert text.startswith(result.stdout)
    for name in names(MODEL):
        assert len([line for line in text.splitlines() if f"| {name} |" in line or re.search(rf"\s{re.escape(name)}\s", line)]) == 1


# --- narrow terminals --------------------------------------------------------------------


@pytest.mark.parametrize("width", [*WIDTHS, 0])
@pytest.mark.parametrize("args", [LAYER, HUGE, MODEL], ids=["layer", "huge", "model"])
def test_terminal_never_cuts_a_figure_or_name(args: list[str], width: int) -> None:
    """At any width (0 too): every name and mults figure whole, every number shown whole, no
    ellipsis, no line wider than the terminal unless it is one word that cannot be split."""
    result = terminal_at(args, width)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    must = figures(args, ("mults",)) | (names(args) if args is MODEL else set())
    assert_intact(out, run(*args).stdout, must)
    if width >= 80 and args is not HUGE:
        assert figures(args) <= tokens(out)  # 80 columns leave out no figure column of these
    data = json.loads(run(*args, "--format", "json").stdout)
    labels = {s["name"] for m in data.get("methods", []) for s in m["stages"]}  # a label is never split either
    limit = width or OWN_SIZE
    for line in out.splitlines():
        assert len(line) <= limit or len(line.split()) <= 2 or line.strip() in labels, (width, line)


@pytest.mark.parametrize("width", [*WIDTHS, 0])
def test_terminal_diff_keeps_every_figure(tmp_yaml, width: int) -> None:  # type: ignore[no-untyped-def]
    """diff at every width: each changed layer's name and mults change whole, every number whole."""
    base, proposed = tmp_yaml(BASE, "b.yaml"), tmp_yaml(PROPOSED, "p.yaml")
    data = json.loads(run("diff", base, proposed, "--format", "json").stdout)
    must = {"c2b", *(f"{r['mults_change']:+,}" if r["mults_change"] else "0" for r in data["layers"] if r["status"] != "unchanged")}
    assert_intact(terminal_at(["diff", base, proposed], width).stdout, run("diff", base, proposed).stdout, must)


def test_narrow_terminal_leaves_out_columns_and_names_them() -> None:
    """80 columns: MobileNet's table drops its bars and input and output shapes and says so; 200 shows
    all. COLUMNS, where set, is the width; COLUMNS=0 on a terminal that tells no size is 80."""
    at80 = run_terminal(*MODEL, width=80).stdout
    assert "Left out at this width: input, output" in at80
    assert "█" not in at80
    assert "Left out" not in run_terminal(*MODEL, width=200).stdout
    assert run_terminal(*MODEL, width=200, COLUMNS="80").stdout == at80
    assert run_terminal(*MODEL, width=0, COLUMNS="0").stdout == at80


def test_stacked_layout_below_the_essential_columns() -> None:
    """20 columns: one record per layer, a 'column  value' line per cell."""
    out = run_terminal(*MODEL, width=20).stdout.splitlines()
    at = out.index("1  conv1")
    assert out[at + 1 : at + 5] == ["  layer  conv 3x3/2", "  input  224x224x3", "  output  112x112x32", "  mults  10,838,016"]


def test_terminal_styles_unless_no_color() -> None:
    """A terminal gets bold and dim; NO_COLOR and TERM=dumb get none."""
    styled = run_terminal(*MODEL, width=200, NO_COLOR=None, TERM="xterm-256color").stdout
    assert "\x1b[1m" in styled
    assert "\x1b[2m" in styled
    assert not ANSI.search(run_terminal(*MODEL, width=200).stdout)
    assert not ANSI.search(run_terminal(*MODEL, width=200, NO_COLOR=None, TERM="dumb").stdout)


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_never_breaks_a_number(width: int) -> None:
    """--explain on a terminal wraps at spaces only: its words are exactly the piped ones."""
    for args in ([*HUGE, "--explain"], ["layer", "--in", "56x56x128", "--k", "3", "--out", "128", "--explain"]):
        piped = run(*args).stdout
        wrapped = run_terminal(*args, width=width).stdout
        assert piped[piped.index("layer:") :].split() == wrapped[wrapped.index("layer:") :].split()
        assert_intact(wrapped, piped, set())


WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, max_size=12), st.integers(1, 60))
def test_wrap_breaks_only_at_spaces(words: list[str], width: int) -> None:
    """Wrapping keeps every word whole and in order; a line is too wide (in terminal cells) only when it is one word."""
    line = "  " + " ".join(words)
    out = wrap(line, width)
    assert " ".join(out).split() == line.split()
    for part in out:
        assert cell_width(part) <= width or len(part.split()) == 1  # cells: a combining mark takes none, a wide one two


CELL = st.text(st.sampled_from("0123456789,.x%-abcdé"), min_size=0, max_size=14)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(st.lists(st.tuples(*[CELL] * n), min_size=1, max_size=6), st.lists(st.booleans(), min_size=n, max_size=n))
    ),
    st.one_of(st.none(), st.integers(1, 120)),
)
def test_text_table_never_cuts_a_cell(table: tuple[list[tuple[str, ...]], list[bool]], width: int | None) -> None:
    """Every layout (natural, fewer columns, stacked) shows every cell of the kept columns whole."""
    rows, right = table
    n = len(right)
    headers = tuple(f"c{i}" for i in range(n))
    text_table = TextTable(headers, tuple(right), tuple(range(n)), [Row(r) for r in rows])
    lines = [line.text for line in text_table.lines(width)]
    assert all(line == line.rstrip() for line in lines)
    words = tokens("\n".join(lines))
    left_out = next((line for line in lines if line.startswith("Left out")), "")
    for i in range(n):
        if f"c{i}," in left_out or f"c{i} (" in left_out:
            continue
        assert {r[i] for r in rows if r[i]} <= words


# --- untrusted names ---------------------------------------------------------------------


def test_names_are_escaped_in_terminal_csv_and_markdown(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Control characters, bidi overrides and newlines in names are shown escaped; Markdown escapes | too."""
    path = tmp_yaml(EVIL)
    for fmt in ("table", "csv", "markdown"):
        out = run("model", path, "--format", fmt).stdout
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e\u2028]", out), fmt
        assert "\\x1b[2J" in out
        assert "\\u202eexe.txt" in out
        assert "\\x00" in out
    table = run("model", path).stdout.splitlines()
    assert len([line for line in table if "two\\nlines" in line]) == 1
    md = run("model", path, "--format", "markdown").stdout.splitlines()
    rows = [line for line in md if line.startswith("| ") and "pointwise" in line]
    assert len(rows) == 7  # a newline in a name forges no row
    assert all(line.count(" | ") == 7 for line in rows)  # nor does a | make an extra cell
    assert "pipe\\|cell" in "\n".join(md)
    assert json.loads(run("model", path, "--format", "json").stdout)["layers"][0]["name"] == "\x1b[2J"  # JSON keeps the name


@pytest.mark.parametrize("suffix", [".html", ".svg"])
def test_html_and_svg_exports_of_hostile_names_are_well_formed(tmp_path: Path, tmp_yaml, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """HTML and SVG escape markup and hold no character XML forbids; the SVG parses as XML."""
    target = tmp_path / f"evil{suffix}"
    assert run("model", tmp_yaml(EVIL), "--export", str(target)).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    assert "<script>" not in text
    if suffix == ".svg":
        ET.fromstring(text)  # noqa: S314 (the file is our own output)
    else:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "encoding"),
    [
        ({"PYTHONIOENCODING": "ascii"}, "ascii"),
        ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
        ({"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}, "ascii"),
        ({"TERM": "dumb"}, "utf-8"),
        ({"NO_COLOR": "1"}, "utf-8"),
    ],
    ids=["ascii", "latin-1", "C", "dumb", "no-color"],
)
def test_every_encoding_works_with_ascii_fallbacks(tmp_yaml, env: dict[str, str], encoding: str) -> None:  # type: ignore[no-untyped-def]
    """The model table prints in every encoding: ASCII bars and rules where needed, odd names escaped."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL", "LANG", "PYTHONUTF8")}
    for args in (MODEL, ["model", tmp_yaml(EVIL)]):
        result = subprocess.run([sys.executable, "-m", "convcost", *args], capture_output=True, env={**base, **env}, check=False)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode(encoding)
        assert "568,740,352" in out or "14,080" in out
        if encoding == "ascii":
            assert out.isascii()
            assert "########" in out or "ünï" not in out
    if encoding != "utf-8":
        assert (
            "--------"
            in subprocess.run(
                [sys.executable, "-m", "convcost", *LAYER],
                capture_output=True,
                env={**base, **env},
                check=True,
                text=True,
                encoding=encoding,
            ).stdout
        )


# --- provenance --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".svg"])
def test_every_export_says_where_it_came_from(tmp_path: Path, tmp_yaml, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """Command line, input file names, convcost version and date in every export format."""
    base, proposed = tmp_yaml(BASE, "b.yaml"), tmp_yaml(PROPOSED, "p.yaml")
    target = tmp_path / f"report{suffix}"
    result = CliRunner().invoke(
        cli, ["diff", base, proposed, "--export", str(target)], env={"SOURCE_DATE_EPOCH": "86400"}, prog_name="convcost"
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8").replace("&#160;", " ")
    for fragment in (
        f"convcost diff {base} {proposed} --export {target}",
        proposed,
        f"convcost {convcost.__version__}",
        "1970-01-02T00:00:00Z",
    ):
        assert fragment in text, fragment


def test_layer_export_from_flags_and_stdin(tmp_path: Path) -> None:
    """Flags only: the input is 'command-line flags only'; '-': 'standard input'."""
    target = tmp_path / "r.txt"
    run(*LAYER, "--export", str(target))
    assert "input: command-line flags only" in target.read_text(encoding="utf-8")
    run("layer", "-", "--export", str(target), input="in: 28x28x8\nk: 3\nout: 16\n")
    assert "input: standard input" in target.read_text(encoding="utf-8")


def test_html_page_is_real_tables_with_space_between(tmp_path: Path) -> None:
    """The HTML page has a table per section, figures right-aligned, the what-if table set apart."""
    target = tmp_path / "r.html"
    run(*MODEL, "--export", str(target))
    page = target.read_text(encoding="utf-8")
    assert page.count("<table>") == 2
    assert "section + section { margin-top" in page
    assert '<td class="num">568,740,352</td>' in page
    assert "max-width: 70em" not in page


# --- completion, flags, version ----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("convcost model la", "2", "file,la\n"),
        ("convcost diff a ", "3", "file,\n"),
        ("convcost layer ", "2", "file,\n"),
        ("convcost layer --in 2x2x2 --export r", "5", "file,r\n"),
        ("convcost separable ", "2", "file,\n"),
    ],
)
def test_file_arguments_complete_file_names(words: str, cword: str, expected: str) -> None:
    """bash completion of a file argument or --export asks the shell for file names."""
    env = {"_CONVCOST_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = CliRunner().invoke(cli, [], env=env, prog_name="convcost")
    assert result.exit_code == 0
    assert result.stdout == expected


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("convcost layer --device h", "3", "plain,h100-sxm\n"),
        ("convcost model x.yaml --device r", "4", "plain,rtx4090\nplain,rpi5\n"),
        ("convcost layer --dtype b", "3", "plain,bf16\n"),
    ],
)
def test_device_and_dtype_complete_their_names(words: str, cword: str, expected: str) -> None:
    """bash completion of --device offers the built-in devices' names, of --dtype the dtypes."""
    env = {"_CONVCOST_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = CliRunner().invoke(cli, [], env=env, prog_name="convcost")
    assert result.exit_code == 0
    assert result.stdout == expected


def test_mistyped_flag_suggests_the_closest_first() -> None:
    """--strid: one Error line naming --strid, then the sentence 'Did you mean '--stride'', before any other candidate."""
    result = run(*LAYER, "--strid", "2")
    assert (result.exit_code, result.stdout) == (2, "")
    [line] = result.stderr.splitlines()
    named, _, suggestion = line.partition(". Did you mean ")  # click words the first sentence (and translates it)
    assert named.startswith("Error: ")
    assert "--strid" in named
    assert re.fullmatch(r"'--stride'( \(or '--[a-z-]+'(, '--[a-z-]+')*\))?\?", suggestion), line


def test_version() -> None:
    """convcost --version prints 'convcost X.Y.Z', the package's version."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"convcost {convcost.__version__}\n"
    assert re.fullmatch(r"convcost \d+\.\d+\.\d+\n", result.stdout)


# --- columns as data ---------------------------------------------------------------------


def test_table_markdown_and_csv_agree_row_by_row() -> None:
    """The three views read the same column specs: each layer's figures match across them."""
    table = run(*MODEL).stdout.splitlines()
    md = [line for line in run(*MODEL, "--format", "markdown").stdout.splitlines() if line.startswith("| ") and "conv" in line]
    csv_rows = [line.split(",") for line in run(*MODEL, "--format", "csv").stdout.splitlines() if line.startswith("layer,")]
    for row in csv_rows:
        index, name, mults, params = row[1], row[2], int(row[7]), int(row[8])
        line = next(t for t in table if t.split()[:2] == [index, name])
        assert num(mults) in line.split()
        assert num(params) in line.split()
        if any(f"| {name} |" in m for m in md):
            cells = next(m for m in md if f"| {name} |" in m).split(" | ")
            assert num(mults) in cells
            assert num(params) in cells


def test_readme_says_examples_are_piped_output() -> None:
    """The README tells readers its examples are what a pipe gets (natural width)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "natural width" in readme


def test_markdown_names_never_become_links(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer named like a Markdown link is shown as text in Markdown output; plain brackets stay as written."""
    text = 'input: 8x8x3\nlayers:\n  - {name: "[x](javascript:alert(1))", k: 1, out: 2}\n  - {name: "dw[1]", type: relu}\n'
    out = run("model", tmp_yaml(text), "--format", "markdown").stdout
    assert "[x]\\(javascript:alert(1))" in out
    assert "[x](javascript" not in out
    assert "dw[1]" in out


def test_render_names_do_not_depend_on_import_order() -> None:
    """A render submodule imported first never hides the package-level function of the same purpose."""
    import subprocess
    import sys

    code = "import convcost.render.dispatch, convcost.render.console; from convcost import render; assert callable(render.views)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(tmp_path: Path) -> None:
    """CSV text cells starting with =, +, -, @, tab or CR get a leading quote (OWASP); figures stay numbers."""
    names = ["=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@SUM(1)", "\tTAB", "\rCR", "plain"]
    layers = "".join(f"  - {{name: {json.dumps(name)}, type: pointwise, out: 4}}\n" for name in names)
    path = tmp_path / "evil.yaml"
    path.write_text(f"input: 8x8x3\nlayers:\n{layers}", encoding="utf-8")
    text = run("model", str(path), "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))[1:8]
    assert [row[2] for row in rows] == ["'=cmd|' /C calc'!A0", "'+SUM(1)", "'-2+3", "'@SUM(1)", "'\\tTAB", "'\\rCR", "plain"]
    assert [row[1] for row in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert "\nlayer,4,'@SUM(1),pointwise,8x8x4,8x8x4,1x1,1024,16," in text  # index, mults and params stay bare numbers


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}, {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}])
def test_forced_colour_on_a_pipe_keeps_the_natural_layout(env: dict[str, str]) -> None:
    """FORCE_COLOR / TTY_COMPATIBLE with stdout a pipe: colour may come, the layout stays natural (every column, COLUMNS ignored)."""
    base = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    command = [sys.executable, "-m", "convcost", *MODEL]
    plain = subprocess.run(command, capture_output=True, text=True, env=base, check=True).stdout
    forced = subprocess.run(command, capture_output=True, text=True, env={**base, **env, "COLUMNS": "40"}, check=True).stdout
    assert "Left out at this width" not in forced
    assert re.sub("\x1b\\[[0-9;]*m", "", forced) == plain


def test_json_is_built_in_one_module_from_the_records() -> None:
    """No record knows JSON: no class in the package has a to_dict/to_json method; render/json.py builds every document."""
    import ast

    found = []
    for path in sorted((ROOT / "convcost").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found += [
                    f"{path.relative_to(ROOT)}:{item.lineno} {node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name in {"to_dict", "to_json", "as_dict"}
                ]
    assert found == []


def test_short_units_round_exactly() -> None:
    """short(): 3 significant digits in k/M/G/T, half away from zero, exactly; a unit rounded up moves to the next."""
    from convcost.render.numbers import short

    cases = {4_089_184_256: "4.09 G", 25_557_032: "25.6 M", 568_740_352: "569 M", 912: "912", 999_499: "999 k",
             999_500: "1.00 M", 999_999_999: "1.00 G", 1_000: "1.00 k", 12_149_538_816: "12.1 G", 0: "0", -2_500: "-2.50 k"}  # fmt: skip
    assert {n: short(n) for n in cases} == cases


def test_model_tables_state_the_totals_in_short_units() -> None:
    """Under the table: the exact totals in short units, FLOPs beside mults (JSON stays exact)."""
    text = run("model", str(SPECS / "resnet50.yaml"), "--depth", "0").stdout
    assert "Total: 4.09 G mults (8.18 G FLOPs), 25.6 M params." in text
    assert json.loads(run("model", str(SPECS / "resnet50.yaml"), "--format", "json").stdout)["totals"]["mults"] == 4_089_184_256


def test_markdown_escapes_entities_emphasis_and_code_in_names(tmp_yaml: Any) -> None:
    """A name like 'a&#x41;&amp;b', '*x*' or '`c`' is shown as written in Markdown, never as an entity, emphasis or code."""
    from convcost.render.formats import markdown_cell

    assert markdown_cell("a&#x41;&amp;b") == "a\\&#x41;\\&amp;b"
    assert markdown_cell("*x*") == "\\*x\\*"
    assert markdown_cell("`c`") == "\\`c\\`"
    assert markdown_cell("dw_pw7-11[1]") == "dw_pw7-11[1]"
    text = run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {name: 'a&#x41;*b*', k: 3, out: 4}\n"), "--format", "markdown").stdout
    assert "a\\&#x41;\\*b\\*" in text
