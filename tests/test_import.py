"""``convcost import FILE.onnx``: an editable model file with exactly the ONNX file's totals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, assert_user_error, run, run_json
from onnx import helper
from onnx_cases import CASES, case_file, init, save

DATA = ROOT / "tests" / "data"


def import_to(tmp_path: Path, onnx_path: str, *args: str) -> str:
    spec = tmp_path / "spec.yaml"
    result = run("import", onnx_path, "-o", str(spec), *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return str(spec)


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case.expressible))
def test_round_trip(tmp_path: Path, name: str) -> None:
    """import then model gives the ONNX file's totals, for every test graph the format expresses."""
    onnx_path = case_file(tmp_path, name)
    expected = run_json("model", onnx_path)["totals"]
    assert expected == {"mults": CASES[name].mults, "params": CASES[name].params}
    assert run_json("model", import_to(tmp_path, onnx_path))["totals"] == expected


def test_round_trip_real_network(tmp_path: Path) -> None:
    """ResNet-18: the same totals and the same what-if table, layers named after the nodes."""
    onnx_path = str(DATA / "resnet18.onnx")
    spec = import_to(tmp_path, onnx_path)
    onnx_data, yaml_data = run_json("model", onnx_path), run_json("model", spec)
    assert yaml_data["totals"] == onnx_data["totals"] == {"mults": 1_814_073_344, "params": 11_689_512}
    assert yaml_data["whatif"] == onnx_data["whatif"]
    costed = [(r["name"], r["mults"], r["params"]) for r in yaml_data["layers"] if r["mults"] or r["params"]]
    assert costed == [(r["name"], r["mults"], r["params"]) for r in onnx_data["layers"]]


def test_written_file(tmp_path: Path) -> None:
    """The model file: a header, the input, from: where the graph branches, add taking a list."""
    text = run("import", case_file(tmp_path, "branches")).stdout
    assert text.startswith("# Imported from ")
    assert "\ninput: 6x6x8\n" in text
    assert '    type: add\n    from: ["c2", input]\n' in text
    assert "    type: maxpool\n    from: input\n" in text
    assert '    type: concat\n    from: ["residual", "pool"]\n' in text
    assert "    type: relu6\n" in text
    assert '    type: upsample\n    scale: 2\n    mode: "nearest"\n' in text
    assert "    type: pad\n    padding: [1, 1, 0, 2]\n" in text


def test_defaults_factored_out(tmp_path: Path) -> None:
    """A key most layers share goes to defaults:, and a layer that differs says so."""
    spec = Path(import_to(tmp_path, case_file(tmp_path, "branches"))).read_text()
    assert "defaults:\n  padding: 1\n" in spec
    assert '"c1"\n    type: conv\n    k: 3\n    out: 8\n    bias: true\n' in spec
    assert '"avg"\n    type: avgpool\n    k: 3\n    stride: 2\n    padding: [0, 1, 0, 1]\n' in spec


def test_unknown_ops_are_an_error(tmp_path: Path) -> None:
    """Ops no type expresses are listed in one error line, exit 2."""
    assert_user_error(
        run("import", case_file(tmp_path, "attention")),
        "no model-file type expresses 5 x MatMul, 1 x Softmax, 1 x Transpose",
        "--skip-unknown",
    )


def test_skip_unknown_writes_identity_layers(tmp_path: Path) -> None:
    """--skip-unknown: identity layers, each with a comment, and a header saying so."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["y", "y"], ["sq"], name="square"),
        helper.make_node("Conv", ["sq", "w2"], ["z"], name="conv2", pads=[1, 1, 1, 1]),
    ]
    path = save(tmp_path / "mul.onnx", nodes, [("x", [1, 2, 5, 5])], ["z"], [init("w", [2, 2, 3, 3]), init("w2", [2, 2, 3, 3])])
    assert_user_error(run("import", path), "1 x Mul")
    text = run("import", path, "--skip-unknown").stdout
    assert "# Not expressible, written as identity layers (--skip-unknown): 1 x Mul" in text
    assert "  # Mul (output 5x5x2): no model-file type; an identity layer (--skip-unknown)\n" in text
    spec = import_to(tmp_path, path, "--skip-unknown")
    assert run_json("model", spec)["totals"] == run_json("model", path)["totals"]


def test_import_errors(tmp_path: Path, tmp_yaml: object) -> None:
    """import reads .onnx files only, and refuses to write over its input."""
    assert_user_error(run("import", str(ROOT / "layer_specs" / "resnet50.yaml")), "convcost import reads an .onnx file")
    onnx_path = case_file(tmp_path, "conv_valid")
    assert_user_error(run("import", onnx_path, "-o", onnx_path), "--output")


def test_output_and_side_branches(tmp_path: Path) -> None:
    """A costed branch off the way to the output is kept, and output: names the file's first output."""
    nodes = [
        helper.make_node("Conv", ["x", "wa"], ["y"], name="main", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "wb"], ["z"], name="side"),
    ]
    path = save(tmp_path / "two.onnx", nodes, [("x", [1, 2, 5, 5])], ["y", "z"], [init("wa", [3, 2, 3, 3]), init("wb", [4, 2, 1, 1])])
    spec = import_to(tmp_path, path)
    text = Path(spec).read_text()
    assert '  - name: "side"\n    type: conv\n    from: input\n' in text
    assert text.endswith('output: "main"\n')
    assert run_json("model", spec)["totals"] == run_json("model", path)["totals"] == {"mults": 25 * 3 * 18 + 25 * 4 * 2, "params": 54 + 8}


def _batched(tmp_path: Path, batch: int | str) -> str:
    """One 3x3 Conv, 3 -> 4 channels, pads 1, on an 8x8 image, at ``batch`` (a str: dynamic)."""
    node = helper.make_node("Conv", ["image", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])
    return save(tmp_path / f"batch{batch}.onnx", [node], [("image", [batch, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3])])


def test_batch_round_trip(tmp_path: Path) -> None:
    """A file exported at batch 8: the model file says batch: 8 and costs the same batch; diff shows no change.

    8 samples x 8x8 outputs x 4 filters x 3 channels x 3x3 = 55,296 mults; 4x3x3x3 = 108 params."""
    onnx_path = _batched(tmp_path, 8)
    spec = import_to(tmp_path, onnx_path)
    text = Path(spec).read_text()
    assert "\ninput: 8x8x3\nbatch: 8\nlayers:\n" in text
    expected = {"mults": 8 * 8 * 8 * 4 * 3 * 9, "params": 108}
    assert run_json("model", onnx_path)["totals"] == run_json("model", spec)["totals"] == expected
    data = run_json("diff", onnx_path, spec)
    assert data["base"]["mults"] == data["proposed"]["mults"] == expected["mults"]
    assert all(row["status"] == "unchanged" for row in data["layers"])
    result = run("diff", onnx_path, spec)
    assert result.exit_code == 0
    assert "mults   55,296    55,296       0      0.0%" in result.stdout


def test_batch_from_input_is_written(tmp_path: Path) -> None:
    """A dynamic batch set with --input: the model file states it; without --input, the dynamic dimension is named."""
    path = _batched(tmp_path, "N")
    text = run("import", path, "--input", "4x3x8x8").stdout
    assert "\ninput: 8x8x3\nbatch: 4\n" in text
    assert "batch:" not in run("import", path, "--input", "1x3x8x8").stdout
    assert_user_error(run("import", path), "input 'image' has dynamic dimension 'N'")


def test_batch_key_is_a_count(tmp_yaml: Any) -> None:
    """The model file's batch: key: a whole number from 1 to 1,000,000, as the file writes it; mults scale, params do not."""
    body = "input: 8x8x3\nbatch: {}\nlayers:\n  - {{k: 3, out: 4, padding: 1}}\n"
    assert run_json("model", tmp_yaml(body.format(3)))["totals"] == {"mults": 3 * 64 * 4 * 27, "params": 108}
    for bad, fragment in (("0", "expected a whole number >= 1"), ("0x3", "batch"), ("2.5", "batch"), ("1000001", "from 1 to 1,000,000")):
        assert_user_error(run("model", tmp_yaml(body.format(bad))), ":2:", fragment)


def test_names_round_trip_exactly_or_are_renamed_with_a_comment(tmp_path: Path) -> None:
    """Node names YAML cannot hold raw (U+FFFE, U+0085, quotes, line separators) come back exactly; over 1,000
    characters or 'input': a unique name with a comment; the totals always equal the ONNX file's."""
    names = ["a\ufffeb", "x\x85y", 'q"\\z', "\u2028", "tab\t", "bom\ufeff", "=cmd|' /C calc'!A0", "L" * 1500, "input", "L" * 1500]
    nodes = [
        helper.make_node("Conv", [f"t{i - 1}" if i else "x", f"w{i}"], [f"t{i}"], name=name, pads=[1, 1, 1, 1])
        for i, name in enumerate(names)
    ]
    nodes.append(helper.make_node("Add", ["t1", f"t{len(names) - 1}"], ["y"], name="add"))
    onnx_path = save(tmp_path / "names.onnx", nodes, [("x", [1, 4, 8, 8])], ["y"], [init(f"w{i}", [4, 4, 3, 3]) for i in range(len(names))])
    spec = import_to(tmp_path, onnx_path)
    text = Path(spec).read_text(encoding="utf-8")
    assert '  - name: "a\\uFFFEb"\n' in text
    assert '  - name: "x\\x85y"\n' in text
    assert "# 3 layer names differ from their ONNX nodes' (a comment above each says why).\n" in text
    assert '  # renamed from the ONNX node "input": input is the model input\'s name\n  - name: "input_"\n' in text
    assert text.count("characters are over the model file's 1,000\n") == 2
    onnx_data, yaml_data = run_json("model", onnx_path), run_json("model", spec)
    assert yaml_data["totals"] == onnx_data["totals"]
    written = [r["name"] for r in yaml_data["layers"] if r["mults"]]
    assert written[:7] == names[:7] == [r["name"] for r in onnx_data["layers"]][:7]
    assert written[7:] == ["L" * 988 + "~1", "input_", "L" * 988 + "~2"]
