"""The layer command: output formats, JSON contract, flags over files, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SPECS, assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import render
from convcost.cli import COMMANDS
from convcost.core.shapes import Shape
from convcost.factorize import LayerSpec, cost_layer

SNAPSHOTS = Path(__file__).parent / "snapshots"


def test_json_contract_keys() -> None:
    """The JSON keeps the documented shape; low-rank carries rank/break_even_rank, spatial carries mid."""
    data = run_json("layer", "--in", "28x28x8", "--k", "3", "--out", "16")
    assert data["layer"] == {
        "name": None,
        "in": [28, 28, 8],
        "out": [26, 26, 16],
        "k": [3, 3],
        "stride": [1, 1],
        "padding": [0, 0, 0, 0],
        "dilation": [1, 1],
        "groups": 1,
        "bias": False,
    }
    names = [m["method"] for m in data["methods"]]
    assert names == ["standard", "depthwise-separable", "spatial-separable", "low-rank", "stacked-3x3", "tucker2", "cp"]
    for m in data["methods"]:
        for key in ("applicable", "reason", "mults", "params", "mults_reduction_pct", "params_reduction_pct", "stages"):
            assert key in m
        for stage in m["stages"]:
            assert set(stage) >= {"name", "in", "out", "mults", "params"}
    by = {m["method"]: m for m in data["methods"]}
    assert by["low-rank"]["rank"] == 4
    assert by["low-rank"]["break_even_rank"] == 13
    assert by["spatial-separable"]["mid"] == 8
    assert by["stacked-3x3"]["applicable"] is False
    assert by["stacked-3x3"]["mults"] is None


def test_huge_layer_keeps_every_digit() -> None:
    """A 100000x100000x4096 input prints exact integers, not floats."""
    out = run("layer", "--in", "100000x100000x4096", "--k", "3", "--out", "4096", "--padding", "same", "--format", "json").stdout
    data = json.loads(out)
    assert data["methods"][0]["mults"] == 100000 * 100000 * 4096 * 4096 * 9
    assert str(100000 * 100000 * 4096 * 4096 * 9) in out


def test_method_filter_and_order() -> None:
    """--method limits and orders the models shown."""
    data = run_json("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--method", "low-rank", "--method", "standard")
    assert [m["method"] for m in data["methods"]] == ["low-rank", "standard"]
    assert data["methods"][0]["mults_reduction_pct"] == pytest.approx(69.444, abs=1e-3)


def test_same_padding_puts_odd_pixel_after() -> None:
    """same padding resolves to TensorFlow's split, the odd pixel at the bottom/right."""
    data = run_json("layer", "--in", "224x224x3", "--k", "3", "--out", "32", "--stride", "2", "--padding", "same")
    assert data["layer"]["padding"] == [0, 1, 0, 1]
    assert data["layer"]["out"] == [112, 112, 32]


def test_flags_override_file_and_stdin(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer file supplies keys; flags given on the command line win; '-' reads stdin."""
    path = tmp_yaml("in: 28x28x8\nk: 3\nout: 16\nname: mine\n")
    assert run_json("layer", path)["layer"]["name"] == "mine"
    assert run_json("layer", path, "--out", "32")["layer"]["out"] == [26, 26, 32]
    result = run("layer", "-", "--format", "json", input="in: [28, 28, 8]\nk: 3\nout: 16\n")
    assert json.loads(result.stdout)["methods"][0]["mults"] == 778_752


def test_explain_prints_documents_arithmetic() -> None:
    """--explain prints each stage as a product, e.g. 26 x 26 x 3 x 3 x 8 = 48,672."""
    out = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--explain").stdout
    assert "26 x 26 x 3 x 3 x 8 = 48,672 mults" in out
    assert "26 x 26 x 8 x 16 = 86,528 mults" in out
    assert "26 x 26 x 3 x 3 x 8 x 16 = 778,752 mults" in out
    assert "48,672 + 86,528 = 135,200 mults (82.6% fewer than standard, 5.76x fewer mults)" in out
    assert "not applicable: needs an odd square kernel" in out


def test_csv_and_markdown() -> None:
    """CSV has a total row per method then its stages; Markdown is a pipe table."""
    csv_out = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("method,row,name,in,out,mults,params")
    assert csv_out[1].startswith("standard,total,,28x28x8,26x26x16,778752,1152,0.0,0.0,true")  # issue 21: JSON's booleans
    assert "depthwise-separable,stage,depthwise 3x3,28x28x8,26x26x8,48672,72,,,,," in csv_out  # issue 21: a speedup column, last
    md = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "markdown").stdout
    assert "| **depthwise-separable** |  | 26x26x16 | 135,200 | 200 | 82.6% | 5.76x | 82.6% |" in md


def test_table_snapshot() -> None:
    """The rich table at a fixed 80-column width matches the reviewed snapshot."""
    from io import StringIO

    from rich.console import Console

    report = cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3)))
    buffer = StringIO()
    console = Console(file=buffer, width=80, color_system=None, highlight=False)
    for part in render.layer_table(report):
        console.print(part, soft_wrap=isinstance(part, str))
    assert buffer.getvalue() == (SNAPSHOTS / "layer_28x28x8_k3_out16.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--in", "28x28x8x8x8", "--k", "3", "--out", "16"], ["--in", "expected HxWxC", "LxC (1-D) or TxHxWxC (3-D)", "'28x28x8x8x8'"]),
        (["--in", "0x28x8", "--k", "3", "--out", "16"], ["--in", ">= 1", "'0x28x8'"]),
        (["--in", "-3x28x8", "--k", "3", "--out", "16"], ["--in", "'-3x28x8'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "-16"], ["--out", ">= 1", "'-16'"]),
        (["--in", "28x28x8", "--k", "3.5", "--out", "16"], ["--k", "'3.5'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "sixteen"], ["--out", "whole number", "'sixteen'"]),
        (["--in", "3x3x1", "--k", "5", "--out", "1"], ["kernel 5x5 does not fit the padded input 3x3"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--groups", "3"], ["groups 3 does not divide the 8 input channels"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--rank", "0"], ["--rank", ">= 1", "'0'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--rank", "17"], ["rank 17 is above the full rank 16"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--padding", "full"], ["--padding", "'same' or 'valid'", "'full'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--method", "fft"], ["--method", "'fft'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--format", "xml"], ["--format", "'xml'"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--explain", "--format", "json"], ["--explain"]),
        (["--k", "3", "--out", "16"], ["missing --in"]),
        (["--in", "28x28x8", "--k", "3", "--out", "16", "--strid", "2"], ["--strid"]),
        (["no-such-file.yaml"], ["no-such-file.yaml: no such file"]),
    ],
)
def test_bad_flags(args: list[str], fragments: list[str]) -> None:
    """Every bad flag: one Error line naming the value and what was expected, exit 2, empty stdout."""
    assert_user_error(run("layer", *args), *fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["1:1", "empty"]),
        ("- 1\n- 2\n", ["1:1", "expected a layer mapping", "a list"]),
        ("in: 28x28x8\nk: 3\nout: 16\nstrides: 2\n", [":4:1:", "unknown key 'strides'", "did you mean 'stride'"]),
        ("in: 28x28x8\nk: 3\nout: [16]\n", [":3:6:", "out", "whole number"]),
        ("in: 28x28x8\nk: [3\nout: 16\n", [":3:4:", "YAML syntax error"]),
        ("in: !!python/object/apply:os.system ['echo hacked']\nk: 3\nout: 16\n", [":1:5:", "not allowed", "safe loader"]),
        ("in: 28x28x8\nk: 3\nout: 16\nk: 5\n", [":4:1:", "duplicate key 'k'"]),
        ("in: 28x28x8\nk: 3\n", ["missing --out", "'out:'"]),
        ("in: 28x28x8\nk: 3\nout: 16\nbias: maybe\n", [":4:7:", "true or false"]),
        ("[" * 100_000 + "]" * 100_000, [":1:201:", "nested more than 200 levels"]),
        ("in: 28x28x8\nk: 3\nout: 16\n---\nk: 1\n", ["single YAML document"]),
        ("a: &a [1, *a]\n", ["contains it"]),
    ],
)
def test_bad_files(tmp_yaml, text: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Every bad layer file: file:line:column, what was wrong, exit 2, nothing on stdout."""
    assert_user_error(run("layer", tmp_yaml(text)), *fragments)


def test_every_command_has_help() -> None:
    """Each command has help text that mentions what it does."""
    from convcost.cli import cli

    assert run("--help").exit_code == 0
    for name in cli.commands:  # type: ignore[attr-defined]
        result = run(name, "--help")
        assert result.exit_code == 0
        assert len(result.stdout.splitlines()) > 3, name


def test_version_from_metadata() -> None:
    """--version reads the installed package's version."""
    from importlib.metadata import version

    assert run("--version").stdout.strip() == f"convcost {version('convcost')}"


def test_specs_are_all_loadable() -> None:
    """Every file under layer_specs/ runs through the command it is written for."""
    for path in sorted(SPECS.rglob("*.yaml")):
        command = "model" if "layers:" in path.read_text(encoding="utf-8") else "layer"
        assert run(command, str(path), "--format", "json").exit_code == 0, path
    assert (ROOT / "layer_specs").is_dir()


def test_bare_command_prints_help() -> None:
    """`convcost` alone prints the help (not an error line) and exits 0."""
    result = run()
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == run("--help").stdout  # click words the help; convcost's promise is that it is the help
    for command in COMMANDS:
        assert command in result.stdout, command


def test_multiplication_sign_and_capitals_accepted() -> None:
    """Sizes copied from documents (with the multiplication sign U+00D7, or capitals) parse like 28x28x8."""
    for text in ("28\u00d728\u00d78", "28 X 28 X 8"):
        assert run_json("layer", "--in", text, "--k", "3", "--out", "16")["layer"]["in"] == [28, 28, 8]


# --- issue 21: one shape for every command's output -------------------------------------------


def test_csv_booleans_are_json_spelled_and_a_speedup_column_ends_the_header() -> None:
    """Layer CSV writes true/false (as JSON does), and a last column speedup = standard mults / the method's."""
    lines = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "csv").stdout.splitlines()
    header = lines[0].split(",")
    assert header[-3:] == ["applicable", "reason", "speedup"]
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:] if ",total," in line}
    assert rows["standard"][header.index("applicable")] == "true"
    assert rows["stacked-3x3"][header.index("applicable")] == "false"
    assert "True" not in "\n".join(lines)
    assert "False" not in "\n".join(lines)
    standard = 26 * 26 * 3 * 3 * 8 * 16
    depthwise = 26 * 26 * 3 * 3 * 8 + 26 * 26 * 8 * 16
    assert float(rows["depthwise-separable"][header.index("speedup")]) == standard / depthwise
    assert rows["standard"][header.index("speedup")] == "1.0"
    assert rows["stacked-3x3"][header.index("speedup")] == ""  # not applicable: no figure


def test_the_csv_speedup_is_the_json_speedup() -> None:
    """Every method's CSV speedup is the float its JSON entry gives."""
    args = ("layer", "--in", "56x56x256", "--k", "3", "--out", "256", "--padding", "1")
    lines = run(*args, "--format", "csv").stdout.splitlines()
    header = lines[0].split(",")
    csv_speedups = {r[0]: r[header.index("speedup")] for r in (line.split(",") for line in lines[1:]) if r[1] == "total"}
    for entry in run_json(*args, "--format", "json")["methods"]:
        shown = csv_speedups[entry["method"]]
        assert (float(shown) if shown else None) == entry["speedup"], entry["method"]


# --- issue 21: a hint for every typo, and PyTorch's names ---------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("layer", "--in", "28x28x8", "--kernel", "3", "--out", "16"), "No such option '--kernel'. Did you mean '--k'"),
        (("layer", "--in", "28x28x8", "--k", "3", "--filters", "16"), "No such option '--filters'. Did you mean '--out'?"),
        (("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--strides", "2"), "Did you mean '--stride'?"),
        (("modle",), "No such command 'modle'. Did you mean 'model'?"),
        (("lyer",), "No such command 'lyer'. Did you mean 'layer'?"),
        (("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--method", "depthwise"), "did you mean 'depthwise-separable'?"),
        (("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--method", "tuker2"), "did you mean 'tucker2'?"),
        (("model", str(SPECS / "vgg16.yaml"), "--method", "svd"), "did you mean 'low-rank'?"),
        (("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "jsn"), "did you mean 'json'?"),
        (("devices", "--format", "tabel"), "did you mean 'table'?"),
    ],
)
def test_a_typo_gets_the_name_it_meant(args: tuple[str, ...], fragment: str) -> None:
    """An unknown option, command, method or format: one Error line, exit 2, naming the likeliest right name."""
    assert_user_error(run(*args), fragment)


def test_a_word_like_no_command_gets_no_guess() -> None:
    """A command name far from every command is refused without a did-you-mean."""
    result = run("xyzzy")
    assert_user_error(result, "No such command 'xyzzy'.")
    assert "Did you mean" not in result.stderr


@pytest.mark.parametrize("flags", [("--kernel-size", "3", "--out-channels", "16"), ("--kernel_size", "3", "--out_channels", "16")])
def test_pytorch_flag_names_are_aliases(flags: tuple[str, ...]) -> None:
    """--kernel-size/--kernel_size and --out-channels/--out_channels are --k and --out exactly."""
    alias = run("layer", "--in", "28x28x8", *flags, "--format", "json")
    assert alias.exit_code == 0, alias.stderr
    assert alias.stdout == run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "json").stdout


def test_pytorch_key_names_in_a_layer_file(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer file takes kernel_size and out_channels for k and out; giving both names of one key is refused."""
    data = run_json("layer", tmp_yaml("in: 28x28x8\nkernel_size: 3\nout_channels: 16\n"), "--method", "standard", "--format", "json")
    assert data["methods"][0]["mults"] == 26 * 26 * 3 * 3 * 8 * 16
    assert_user_error(
        run("layer", tmp_yaml("in: 28x28x8\nkernel_size: 3\nk: 3\nout: 16\n")),
        ":2:1: 'kernel_size' is PyTorch's name for 'k', which is given too",
    )
    assert_user_error(run("layer", tmp_yaml("in: 28x28x8\nkernel: 3\nout: 16\n")), "unknown key 'kernel'; did you mean 'k'?")
    assert_user_error(run("layer", tmp_yaml("in: 28x28x8\nin_channels: 8\n")), "unknown key 'in_channels'; did you mean 'in'?")


@given(st.text(max_size=30), st.lists(st.text(min_size=1, max_size=12), max_size=8))
@settings(max_examples=300, deadline=None)
def test_a_suggestion_is_always_one_of_the_choices(word: str, choices: list[str]) -> None:
    """closest() names one of the choices or nothing, and never 'corrects' a word that is a choice."""
    from convcost.core.suggest import closest

    best = closest(word, choices)
    assert best is None or best in choices
    if word in choices:
        assert best is None


def test_a_long_word_gets_no_suggestion_in_bounded_time() -> None:
    """A hostile 1,000,000-character value is refused with no suggestion, at once."""

    from convcost.core.suggest import closest

    assert closest("x" * 1_000_000, ["a100", "h100-sxm"]) is None


def test_an_input_that_looks_channels_first_gets_a_hint_and_is_never_reinterpreted(tmp_yaml: Any) -> None:
    """--in 8x28x28 (H < W == C, PyTorch's CxHxW habit) is costed as written, channels last, with one caption line saying
    how to write the other reading; 28x28x8 gets no such line; JSON is unchanged."""
    hint = "--in 8x28x28 is read channels last: 8 high, 28 wide, 28 channels; for PyTorch's CxHxW (8 channels of 28x28) write 28x28x8."
    odd = run("layer", "--in", "8x28x28", "--k", "3", "--out", "16", "--method", "standard")
    assert odd.exit_code == 0
    assert hint in odd.stdout.splitlines()
    assert run_json("layer", "--in", "8x28x28", "--k", "3", "--out", "16")["layer"]["in"] == [8, 28, 28]
    assert "read channels last" not in run("layer", "--in", "28x28x8", "--k", "3", "--out", "16").stdout
    model = run("model", tmp_yaml("input: 3x224x224\nlayers:\n  - {k: 3, out: 8}\n")).stdout
    assert "input: 3x224x224 is read channels last: 3 high, 224 wide, 224 channels" in model
