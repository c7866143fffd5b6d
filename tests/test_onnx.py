"""``convcost model FILE.onnx``: the counting rule on graphs built with onnx.helper, a real
exported network, dynamic inputs, unknown ops, the rows, and bad files."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import ROOT, assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from onnx_cases import CASES, case_file, conv_out, init, save

from convcost.errors import ConvcostError
from convcost.ops.linear import matmul_mults
from convcost.ops.onnx_generic import TensorShape

DATA = ROOT / "tests" / "data"


def totals(path: str, *args: str) -> tuple[int, int]:
    data = run_json("model", path, *args)
    return data["totals"]["mults"], data["totals"]["params"]


def rows(path: str, *args: str) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in run_json("model", path, "--all-ops", *args)["layers"]}


# --- the counting rule ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_totals(tmp_path: Path, name: str) -> None:
    """Every test graph's mults and params equal the hand formula written beside it."""
    case = CASES[name]
    assert totals(case_file(tmp_path, name)) == (case.mults, case.params)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("conv_") and n != "conv_transpose"))
def test_conv_padding_modes_are_conv_layers(tmp_path: Path, name: str) -> None:
    """A Conv in any padding mode is a conv row with the output size of the hand formula, and a what-if candidate."""
    expected = {
        "conv_explicit_pads": (conv_out(17, 3, 2, 1), conv_out(15, 3, 2, 3)),
        "conv_same_upper": (-(-17 // 2), -(-15 // 2)),
        "conv_same_lower": (-(-17 // 2), -(-15 // 2)),
        "conv_valid": (conv_out(17, 3, 1, 0), conv_out(15, 3, 1, 0)),
        "conv_dilated": (conv_out(17, 3, 1, 4, 2), conv_out(15, 3, 1, 4, 2)),
    }[name]
    data = run_json("model", case_file(tmp_path, name))
    (row,) = data["layers"]
    assert (row["type"], row["out"]) == ("conv", [*expected, 8])
    assert row["mults"] == expected[0] * expected[1] * 8 * 3 * 3 * 3
    assert all(w["layers_changed"] == 1 for w in data["whatif"] if w["method"] != "stacked-3x3")


def test_grouped_and_depthwise_are_not_factorized(tmp_path: Path) -> None:
    """Grouped and depthwise convolutions are conv rows with their groups, left out of the what-if."""
    data = run_json("model", case_file(tmp_path, "grouped_and_depthwise"))
    assert [(r["name"], r["mults"], r["params"]) for r in data["layers"]] == [
        ("grouped", 10 * 10 * 8 * 2 * 9, 8 * 2 * 9 + 8),
        ("depthwise", 10 * 10 * 8 * 9, 8 * 9),
    ]
    assert all(w["layers_changed"] == 0 for w in data["whatif"])


def test_conv_transpose_rows(tmp_path: Path) -> None:
    """ConvTranspose with output_padding and with auto_pad: deconv rows, input elements x C_out/group x KH x KW."""
    found = rows(case_file(tmp_path, "conv_transpose"))
    assert (found["up1"]["type"], found["up1"]["out"], found["up1"]["mults"]) == ("deconv", [14, 14, 4], 7 * 7 * 8 * 4 * 9)
    assert (found["up2"]["type"], found["up2"]["out"], found["up2"]["mults"]) == ("deconv", [28, 28, 8], 14 * 14 * 8 * 4 * 9)


def test_gemm_is_linear_and_trans_a_is_costed(tmp_path: Path) -> None:
    """Gemm with transB and a bias is a linear row; with transA it is a Gemm row costed M x N x K."""
    fc = rows(case_file(tmp_path, "gemm_trans_b"))["fc"]
    assert (fc["type"], fc["out"], fc["mults"], fc["params"]) == ("linear", [1, 1, 10], 640, 650)
    fc = rows(case_file(tmp_path, "gemm_trans_a"))["fc"]
    assert (fc["type"], fc["mults"], fc["params"]) == ("Gemm", 640, 640)


def test_gemm_trans_a_first_dimension_is_not_a_batch(tmp_path: Path) -> None:
    """Gemm with transA on a 6x4 input (K 6, M 4) and a 5x6 weight with transB (N 5): the 6 is not a batch.

    mults 4 x 5 x 6 = 120; bytes at fp32 = 4 x (24 input + 20 output + 30 weight elements) = 296; the
    input is shown whole (6x4), and a note says why the first dimension is not factored out."""
    node = helper.make_node("Gemm", ["a", "w"], ["y"], name="fc", transA=1, transB=1)
    path = save(tmp_path / "gemm.onnx", [node], [("a", [6, 4])], ["y"], [init("w", [5, 6])])
    data = run_json("model", path, "--device", "a100")
    (row,) = data["layers"]
    assert (row["in"], row["out"], row["mults"], row["params"], row["bytes"]) == ([6, 4], [4, 5], 4 * 5 * 6, 30, 4 * (24 + 20 + 30))
    assert data["roofline"]["bytes"] == 296
    assert data["notes"][0] == (
        "the input's first dimension (6) is not a batch all through the graph (tensor 'y' is 4x5): shapes are whole tensors"
    )


def test_reshape_across_the_batch_is_costed_whole(tmp_path: Path) -> None:
    """A 4x6 input reshaped to 8x3 and multiplied by a 3x5 weight: 8 x 3 x 5 = 120 mults, counted whole (batch 1)."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"], name="fold"), helper.make_node("MatMul", ["r", "w"], ["y"], name="mm")]
    inits = [init("shape", [2], np.int64, [8, 3]), init("w", [3, 5])]
    path = save(tmp_path / "fold.onnx", nodes, [("x", [4, 6])], ["y"], inits)
    data = run_json("model", path, "--device", "a100", "--all-ops")
    assert data["totals"] == {"mults": 120, "params": 15}
    assert data["input"] == [4, 6]
    # fold reads 24 and writes 24; mm reads 24, writes 40, reads 15 weights; the int64 shape is 2 weight elements
    assert data["roofline"]["bytes"] == 4 * (24 + 24 + 2 + 24 + 40 + 15)
    assert "tensor 'r' is 8x3" in data["notes"][0]


def test_second_input_without_the_batch(tmp_path: Path) -> None:
    """A second input of 1x6 added to a 4x6 one: 4 is not a batch of every input, so the file is costed whole."""
    nodes = [helper.make_node("Add", ["x", "b"], ["y"], name="plus")]
    data = run_json("model", save(tmp_path / "two.onnx", nodes, [("x", [4, 6]), ("b", [1, 6])], ["y"]), "--all-ops")
    assert data["input"] == [4, 6]
    assert (
        data["notes"][0]
        == "the input's first dimension (4) is not a batch all through the graph (input 'b' is 1x6): shapes are whole tensors"
    )


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 12), size=st.integers(3, 9), out=st.integers(1, 6))
def test_batch_is_exact(tmp_path_factory: pytest.TempPathFactory, batch: int, size: int, out: int) -> None:
    """At any batch N, a Conv -> Relu -> Add-a-constant graph's figures are the whole file's: mults N x HW x out x 27,
    bytes 4 x (N x activations + weights), where a node of constants only counts once (not per sample)."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Constant", [], ["k"], name="k", value=init("k", [1, out, 1, 1])),
        helper.make_node("Add", ["r", "k"], ["y"], name="plus"),
    ]
    folder = tmp_path_factory.mktemp("b")
    path = save(folder / "b.onnx", nodes, [("x", ["N", 3, size, size])], ["y"], [init("w", [out, 3, 3, 3])])
    data = run_json("model", path, "--input", f"{batch}x3x{size}x{size}", "--device", "a100", "--all-ops")
    image, feature = size * size * 3, size * size * out
    assert data["totals"] == {"mults": batch * size * size * out * 27, "params": out * 27}
    activations = (
        (image + feature) + (feature + feature) + (feature + feature)
    )  # conv, relu, plus (its constant input is not an activation)
    assert data["roofline"]["bytes"] == 4 * (batch * activations + out * 27 + out)
    assert [row["out"] for row in data["layers"] if row["name"] != "k"] == [[size, size, out]] * 3  # per sample


def test_shape_arithmetic_keeps_the_batch(tmp_path: Path) -> None:
    """A dynamic-batch export's flatten (Shape, Gather, Unsqueeze, Concat, Reshape) at --input 4x8x5x5: the shape
    tensors are constants once the input is fixed, so the batch 4 is factored out and the Gemm is a linear layer.

    Gemm: 4 samples x 200 features x 10 = 8,000 mults. Bytes at fp32, 4 x: per sample, Shape reads 200 and the Gemm
    reads 200 and writes 10 (the flatten is a view: 0 bytes); once, the Gemm's 2,000 weights and the shape arithmetic's
    tensors: Shape's 4 out, Gather's index and scalar out, Unsqueeze's axes and 1 out, Concat's -1 and 2 out."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="batch_size", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="n1"),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w"], ["y"], name="fc", transB=1),
    ]
    inits = [
        init("zero", [], np.int64, [0]),
        init("axes", [1], np.int64, [0]),
        init("minus_one", [1], np.int64, [-1]),
        init("w", [10, 200]),
    ]
    path = save(tmp_path / "flatten.onnx", nodes, [("x", ["N", 8, 5, 5])], ["y"], inits)
    data = run_json("model", path, "--input", "4x8x5x5", "--device", "a100", "--all-ops")
    assert data["totals"] == {"mults": 4 * 200 * 10, "params": 2000}
    assert not any("first dimension" in note for note in data["notes"])
    found = {row["name"]: row for row in data["layers"]}
    assert (found["fc"]["type"], found["fc"]["in"], found["fc"]["out"]) == ("linear", [1, 1, 200], [1, 1, 10])
    assert data["roofline"]["bytes"] == 4 * (4 * (200 + 200 + 10) + 2000 + 4 + (1 + 1) + (1 + 1) + (1 + 2))


def test_matmul_ranks(tmp_path: Path) -> None:
    """MatMul 2-D (a linear row), 3-D and 4-D with broadcast batch dimensions (a 4-D tensor
    shows channels last, as every NCHW tensor: 1x3x5x16 is 5x16x3)."""
    found = rows(case_file(tmp_path, "matmul_broadcast"))
    assert (found["mm2d"]["type"], found["mm2d"]["mults"]) == ("linear", 32 * 16)
    assert (found["mm3d"]["type"], found["mm3d"]["out"], found["mm3d"]["mults"]) == ("MatMul", [5, 16], 5 * 32 * 16)
    assert (found["mm4d"]["out"], found["mm4d"]["mults"]) == ([5, 16, 3], 3 * 5 * 32 * 16)


def test_attention_matmuls_of_two_activations_count(tmp_path: Path) -> None:
    """Q K^T and A V count, though neither operand is a weight; they have no params."""
    found = rows(case_file(tmp_path, "attention"))
    assert (found["scores"]["mults"], found["scores"]["params"]) == (6 * 6 * 16, 0)
    assert (found["mix"]["mults"], found["mix"]["params"]) == (6 * 16 * 6, 0)
    assert found["q"]["params"] == 256


def test_batchnorm_running_statistics_are_not_params(tmp_path: Path) -> None:
    """BatchNormalization: scale and shift are 2C params; mean (through Identity) and variance are not."""
    found = rows(case_file(tmp_path, "batchnorm"))
    assert (found["bn"]["type"], found["bn"]["params"]) == ("batchnorm", 16)
    assert found["mean_copy"]["params"] == 0


def test_shared_initializers_count_once(tmp_path: Path) -> None:
    """A weight two nodes share counts on the first; a running statistic that also feeds an Add is a param."""
    found = rows(case_file(tmp_path, "shared_conv"))
    assert (found["first"]["params"], found["second"]["params"]) == (144, 0)
    assert found["first"]["type"] == "conv"
    found = rows(case_file(tmp_path, "batchnorm_shared"))
    assert (found["bn1"]["params"], found["bn2"]["params"]) == (24, 0)  # the variance is counted on its first user
    assert sum(r["params"] for r in found.values()) == 24


def test_integer_initializers_are_not_params(tmp_path: Path) -> None:
    """An int64 shape tensor is not a param; a float one of the same size is."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape"), helper.make_node("Add", ["y", "b"], ["z"], name="bias")]
    inits = [init("shape", [2], np.int64, [1, 48]), init("b", [48])]
    path = save(tmp_path / "r.onnx", nodes, [("x", [1, 3, 4, 4])], ["z"], inits)
    assert totals(path) == (0, 48)


@settings(max_examples=40, deadline=None)
@given(
    batch_a=st.lists(st.integers(1, 3), max_size=3),
    batch_b=st.lists(st.integers(1, 3), max_size=3),
    m=st.integers(1, 4),
    k=st.integers(1, 4),
    n=st.integers(1, 4),
    vector_a=st.booleans(),
    vector_b=st.booleans(),
)
def test_matmul_mults_match_numpy(batch_a: list[int], batch_b: list[int], m: int, k: int, n: int, vector_a: bool, vector_b: bool) -> None:
    """MatMul mults = elements of numpy's matmul result x K, for any broadcastable operands."""
    a = [k] if vector_a else [*batch_a, m, k]
    b = [k] if vector_b else [*batch_b, k, n]
    try:
        out = np.matmul(np.zeros(a), np.zeros(b))
    except ValueError:
        return  # not broadcastable
    assert matmul_mults(a, b) == int(np.prod(out.shape)) * k


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(3, 20),
    w=st.integers(3, 20),
    k=st.integers(1, 3),
    stride=st.integers(1, 3),
    pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    dilation=st.integers(1, 2),
)
def test_conv_mults_match_the_hand_formula(
    tmp_path_factory: pytest.TempPathFactory, h: int, w: int, k: int, stride: int, pads: tuple[int, int, int, int], dilation: int
) -> None:
    """Any Conv's mults and output size follow Ho*Wo*N*C*KH*KW with PyTorch's output-size formula."""
    ho, wo = conv_out(h, k, stride, pads[0] + pads[2], dilation), conv_out(w, k, stride, pads[1] + pads[3], dilation)
    if ho < 1 or wo < 1:
        return
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c", strides=[stride] * 2, pads=list(pads), dilations=[dilation] * 2)
    path = save(tmp_path_factory.mktemp("conv") / "c.onnx", [node], [("x", [1, 2, h, w])], ["y"], [init("w", [3, 2, k, k])])
    (row,) = run_json("model", path)["layers"]
    assert (row["out"], row["mults"]) == ([ho, wo, 3], ho * wo * 3 * 2 * k * k)


def test_what_if_equals_the_yaml_layer(tmp_path: Path, tmp_yaml: Any) -> None:
    """An ONNX Conv's what-if figures are those of the same conv written in a model file."""
    onnx_data = run_json("model", case_file(tmp_path, "conv_dilated"))
    yaml_data = run_json("model", tmp_yaml("input: 17x15x3\nlayers:\n  - {type: conv, k: 3, out: 8, padding: 2, dilation: 2}\n"))
    assert onnx_data["whatif"] == yaml_data["whatif"]
    assert onnx_data["totals"] == yaml_data["totals"]


# --- a real network -------------------------------------------------------------------


def test_real_resnet18_without_its_weights() -> None:
    """torchvision's ResNet-18 exported at 224 (batch norms kept, weights stored externally and not shipped).

    Expected, derived independently of convcost: mults 1,814,073,344 = torch.utils.flop_counter's
    FlopCounterMode total for torchvision.models.resnet18() on a 1x3x224x224 input, divided by 2
    (torchvision publishes 1.81 GFLOPS, which are multiply-accumulates); params 11,689,512 =
    sum(p.numel() for p in model.parameters()) (torchvision publishes 11,689,512); the 20 batch
    norms' running means and variances (9,600 values) are buffers, not parameters.
    """
    path = str(DATA / "resnet18.onnx")
    assert not (DATA / "resnet18.onnx.data").exists()
    data = run_json("model", path)
    assert (data["totals"]["mults"], data["totals"]["params"]) == (1_814_073_344, 11_689_512)
    types = [row["type"] for row in data["layers"]]
    assert (types.count("conv"), types.count("batchnorm"), types.count("linear"), len(types)) == (20, 20, 1, 41)
    assert data["input"] == [224, 224, 3]
    assert data["output"] == [1, 1, 1000]
    changed = {w["method"]: w["layers_changed"] for w in data["whatif"]}
    assert changed["depthwise-separable"] == 17  # the 7x7 stem and the 16 3x3 convolutions
    assert data["notes"][0] == "28 other nodes: 0 mults (--all-ops lists them)"


def test_real_resnet18_blocks() -> None:
    """Blocks come from the node-name paths: layer1..layer4 at the top, layer1.0 inside layer1."""
    data = run_json("model", str(DATA / "resnet18.onnx"))
    top = {b["name"]: b for b in data["blocks"] if b["depth"] == 0}
    assert list(top) == ["layer1", "layer2", "layer3", "layer4"]
    assert top["layer1"]["mults"] == 4 * 115_605_504
    assert {b["name"] for b in data["blocks"] if b["depth"] == 1} >= {"layer1.0", "layer4.1"}


def test_rows_and_caption() -> None:
    """The table: conv rows named after the nodes, zero-cost nodes in one line, the counting rule stated."""
    result = run("model", str(DATA / "resnet18.onnx"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "/layer1/layer1.0/conv1/Conv" in out
    assert "28 other nodes: 0 mults (--all-ops lists them)" in out
    assert "Conv: output elements x C_in/group x KH x KW" in out
    assert "/relu/Relu" not in out
    assert "/relu/Relu" in run("model", str(DATA / "resnet18.onnx"), "--all-ops").stdout


def test_budget_on_onnx() -> None:
    """Budgets apply to an ONNX model as to a YAML one: exit 1 over budget."""
    result = run("model", str(DATA / "resnet18.onnx"), "--max-mults", "1G")
    assert result.exit_code == 1
    assert "1,814,073,344" in result.stdout


def test_diff_onnx_with_yaml(tmp_path: Path) -> None:
    """diff takes an ONNX file on either side; an imported copy differs only where edited."""
    onnx_path = str(DATA / "resnet18.onnx")
    spec = tmp_path / "r18.yaml"
    assert run("import", onnx_path, "-o", str(spec)).exit_code == 0
    text = spec.read_text().replace('"/fc/Gemm"\n    type: linear\n    out: 1000', '"/fc/Gemm"\n    type: linear\n    out: 100')
    spec.write_text(text)
    data = run_json("diff", onnx_path, str(spec))
    assert data["proposed"]["mults"] == 1_814_073_344 - 512 * 900
    changed = [row for row in data["layers"] if row["status"] != "unchanged"]
    assert [row["base"]["name"] for row in changed] == ["/fc/Gemm"]
    reverse = run_json("diff", str(spec), onnx_path)
    assert reverse["base"]["mults"] == data["proposed"]["mults"]


# --- inputs ---------------------------------------------------------------------------


def _dynamic(tmp_path: Path, dims: list[int | str]) -> str:
    node = helper.make_node("Conv", ["image", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])
    return save(tmp_path / "dyn.onnx", [node], [("image", dims)], ["y"], [init("w", [4, 3, 3, 3])])


def test_dynamic_dimension_needs_input(tmp_path: Path) -> None:
    """A dynamic dimension without --input: the error names the input and the dimension."""
    path = _dynamic(tmp_path, [1, 3, "height", "width"])
    assert_user_error(run("model", path), "input 'image' has dynamic dimension 'height'; give --input")


def test_dynamic_batch_with_input(tmp_path: Path) -> None:
    """--input NxCxHxW sets a dynamic batch: mults scale with it, params do not, shapes stay per sample."""
    path = _dynamic(tmp_path, ["N", 3, 8, 8])
    assert_user_error(run("model", path), "input 'image' has dynamic dimension 'N'")
    one = run_json("model", path, "--input", "1x3x8x8")
    four = run_json("model", path, "--input", "4x3x8x8")
    assert one["totals"] == {"mults": 8 * 8 * 4 * 27, "params": 108}
    assert four["totals"] == {"mults": 4 * 8 * 8 * 4 * 27, "params": 108}
    assert four["layers"][0]["out"] == [8, 8, 4]
    assert run_json("model", path, "--input", "8x8x3")["totals"] == one["totals"]
    assert "batch 4: mults and activations count the whole batch" in run("model", path, "--input", "4x3x8x8").stdout


def test_input_errors(tmp_path: Path, tmp_yaml: Any) -> None:
    """--input that contradicts the file, is malformed, or is given for a YAML model: one error line."""
    path = _dynamic(tmp_path, ["N", 3, 8, 8])
    assert_user_error(run("model", path, "--input", "1x4x8x8"), "fixes the channels of input 'image' at 3, not 4")
    assert_user_error(run("model", path, "--input", "1x3x8x8x1"), "has 4 dimensions; expected NxCxHxW")
    assert_user_error(run("model", path, "--input", "big"), "--input", "'big'")
    spec = tmp_yaml("input: 8x8x3\nlayers:\n  - {type: relu}\n")
    assert_user_error(run("model", spec, "--input", "1x3x8x8"), "only an .onnx model takes --input")


def test_zero_and_negative_dimensions(tmp_path: Path) -> None:
    """A dimension of 0 or -5 in the file is called what it is, not dynamic; --input may replace it."""
    assert_user_error(
        run("model", _dynamic(tmp_path, [1, 3, 0, 8])),
        "input 'image' has a zero height (0); expected sizes of 1 or more, or give --input NxCxHxW",
    )
    path = _dynamic(tmp_path, [1, 3, 8, -5])
    assert_user_error(run("model", path), "input 'image' has a negative width (-5); expected sizes of 1 or more")
    assert totals(path, "--input", "1x3x8x8") == (8 * 8 * 4 * 27, 108)


def test_diff_takes_input(tmp_path: Path, tmp_yaml: Any) -> None:
    """diff --input sets an ONNX side's dynamic dimensions (YAML sides keep theirs); without it the error names the option."""
    path = _dynamic(tmp_path, ["N", 3, 8, 8])
    spec = tmp_yaml("input: 8x8x3\nbatch: 2\nlayers:\n  - {name: conv, k: 3, out: 4, padding: 1}\n")
    assert_user_error(run("diff", path, spec), "input 'image' has dynamic dimension 'N'; give --input NxCxHxW")
    data = run_json("diff", path, spec, "--input", "2x3x8x8")
    assert data["base"]["mults"] == data["proposed"]["mults"] == 2 * 8 * 8 * 4 * 27
    assert run_json("diff", spec, path, "--input", "8x8x3")["proposed"]["mults"] == 8 * 8 * 4 * 27
    assert_user_error(run("diff", spec, spec, "--input", "1x3x8x8"), "--input '1x3x8x8': only an .onnx model takes --input")


@pytest.mark.parametrize(
    ("op", "weight", "group", "fragment"),
    [
        ("Conv", [4, 5, 3, 3], 1, "weight 'w' is 4x5x3x3, which takes 5 x group 1 = 5 input channels, but input 'image' has 3"),
        ("Conv", [4, 1, 3, 3], 3, "weight 'w' is 4x1x3x3: its 4 output channels do not split into group 3"),
        ("Conv", [3, 1, 3, 3], 0, "group 0; expected a whole number >= 1"),
        ("ConvTranspose", [5, 4, 3, 3], 1, "weight 'w' is 5x4x3x3, which takes 5 input channels, but input 'image' has 3"),
    ],
)
def test_invalid_convolutions_are_refused(tmp_path: Path, op: str, weight: list[int], group: int, fragment: str) -> None:
    """A weight that does not fit the input's channels or the group: one error naming the node, never a figure."""
    node = helper.make_node(op, ["image", "w"], ["y"], name="bad", group=group)
    path = save(tmp_path / "bad.onnx", [node], [("image", [1, 3, 8, 8])], ["y"], [init("w", weight)])
    assert_user_error(run("model", path), f"node 'bad' ({op})", fragment)


# --- unknown ops and unknown shapes ---------------------------------------------------


def test_unknown_op_is_listed_not_an_error(tmp_path: Path) -> None:
    """An op convcost does not know is costed 0 and listed under the table."""
    path = case_file(tmp_path, "unknown_op")
    result = run("model", path)
    assert result.exit_code == 0
    assert "not costed: 3 x CustomOp" in result.stdout
    assert "not costed: 3 x CustomOp" in run_json("model", path)["notes"]


def test_unknown_shape_where_a_cost_needs_it(tmp_path: Path) -> None:
    """A Conv after an op whose output shape is unknown: the error names the node and the tensor."""
    nodes = [helper.make_node("CustomOp", ["x"], ["u"], name="custom"), helper.make_node("Conv", ["u", "w"], ["y"], name="conv_after")]
    path = save(tmp_path / "u.onnx", nodes, [("x", [1, 2, 4, 4])], ["y"], [init("w", [2, 2, 1, 1])])
    assert_user_error(run("model", path), "node 'conv_after' (Conv)", "tensor 'u'")


# --- files ----------------------------------------------------------------------------


def _bytes(tmp_path: Path, data: bytes, name: str = "bad.onnx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_bad_files(tmp_path: Path) -> None:
    """Not ONNX, truncated, a directory, empty, missing: one clear line, exit 2."""
    real = (DATA / "resnet18.onnx").read_bytes()
    assert_user_error(run("model", _bytes(tmp_path, b"input: 8x8x3\nlayers: []\n")), "not an ONNX model")
    assert_user_error(run("model", _bytes(tmp_path, real[: len(real) // 2], "cut.onnx")), "cut.onnx", "truncated")
    folder = tmp_path / "dir.onnx"
    folder.mkdir()
    assert_user_error(run("model", str(folder)), "is a directory")
    assert_user_error(run("model", _bytes(tmp_path, b"", "empty.onnx")), "empty.onnx: the file is empty")
    assert_user_error(run("model", str(tmp_path / "missing.onnx")), "missing.onnx: no such file")
    assert_user_error(run("model", _bytes(tmp_path, b"\x08\x07", "nograph.onnx")), "nograph.onnx: not an ONNX model (it has no graph)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO named .onnx is refused before it is opened."""
    fifo = tmp_path / "pipe.onnx"
    os.mkfifo(fifo)
    assert_user_error(run("model", str(fifo)), "a FIFO (named pipe)", "only regular files")


def test_no_graph_input(tmp_path: Path) -> None:
    """A graph whose every input is a constant has nothing to cost."""
    nodes = [helper.make_node("Relu", ["c"], ["y"], name="relu")]
    path = save(tmp_path / "c.onnx", nodes, [], ["y"], [init("c", [1, 3, 4, 4])])
    assert_user_error(run("model", path), "the graph has no input")


def test_opset_too_new(tmp_path: Path) -> None:
    """An opset newer than the installed onnx knows: the error says which and what to do."""
    path = save(tmp_path / "new.onnx", [helper.make_node("Relu", ["x"], ["y"])], [("x", [1, 3, 4, 4])], ["y"], opset=99)
    assert_user_error(run("model", path), "opset 99 is newer than the installed onnx", "pip install -U onnx")


def test_cycle(tmp_path: Path) -> None:
    """Two nodes that read each other's outputs: a cycle, named."""
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
    ]
    path = save(tmp_path / "cycle.onnx", nodes, [("x", [1, 3, 4, 4])], ["b"])
    assert_user_error(run("model", path), "the graph has a cycle through node")


def test_nodes_out_of_order_are_sorted(tmp_path: Path) -> None:
    """A file whose nodes are not in execution order is costed in execution order."""
    nodes = [helper.make_node("Conv", ["r", "w"], ["y"], name="conv"), helper.make_node("Relu", ["x"], ["r"], name="relu")]
    path = save(tmp_path / "order.onnx", nodes, [("x", [1, 2, 4, 4])], ["y"], [init("w", [2, 2, 1, 1])])
    assert list(rows(path)) == ["relu", "conv"]


def test_missing_onnx_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the onnx package: the install line, exit 2."""
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert_user_error(run("model", str(DATA / "resnet18.onnx")), "reading .onnx files needs the onnx package: pip install 'convcost[onnx]'")


def test_weights_embedded_are_skipped(tmp_path: Path) -> None:
    """A self-contained file's weights are not read: a 16 MB weight costs by its dimensions."""
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")
    weight = init("w", [2048, 2048])
    path = save(tmp_path / "big.onnx", [node], [("x", [1, 2048])], ["y"], [weight])
    assert Path(path).stat().st_size > 16 * 2**20
    assert totals(path) == (2048 * 2048, 2048 * 2048)


def test_tensor_shape_text_and_equality() -> None:
    """A non-image tensor shows its dimensions and counts its elements as h*w*c."""
    shape = TensorShape((197, 768))
    assert (str(shape), shape.as_list(), shape.h * shape.w * shape.c) == ("197x768", [197, 768], 197 * 768)
    assert shape == TensorShape((197, 768))
    assert shape != TensorShape((768, 197))
    assert hash(shape) == hash(TensorShape((197, 768)))
    assert str(TensorShape(())) == "scalar"
    assert str(TensorShape((-1, 4))) == "?x4"


def test_hostile_values(tmp_path: Path) -> None:
    """A 5,000-digit --input size, a negative initializer dimension, a graph with no nodes: one error line each."""
    path = _dynamic(tmp_path, ["N", 3, 8, 8])
    assert_user_error(run("model", path, "--input", "1x3x8x" + "9" * 5000), "--input: expected NxCxHxW")
    weight = init("w", [4, 3, 3, 3])
    del weight.dims[:]
    weight.dims.extend([-4, 3, 3, 3])
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    bad = save(tmp_path / "neg.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [weight])
    assert_user_error(run("model", bad), "initializer 'w' has a negative dimension")
    empty = save(tmp_path / "empty_graph.onnx", [], [("x", [1, 3, 8, 8])], ["x"])
    assert_user_error(run("model", empty), "the graph has no nodes")


def test_constant_tensors_are_not_read(tmp_path: Path) -> None:
    """A Constant node holding a 16 MB weight is stripped like an initializer: its shape is known, its data never read."""
    from convcost.frontends.onnx_read import model_bytes

    nodes = [
        helper.make_node("Constant", [], ["w"], name="weight", value=init("w_value", [2048, 2048])),
        helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"),
    ]
    path = save(tmp_path / "const.onnx", nodes, [("x", [1, 2048])], ["y"])
    assert Path(path).stat().st_size > 16 * 2**20
    assert len(model_bytes(path)) < 1024
    data = run_json("model", path, "--all-ops", "--device", "a100")
    assert data["totals"] == {"mults": 2048 * 2048, "params": 0}  # a Constant is not an initializer: no params
    assert [(row["name"], row["bytes"]) for row in data["layers"]] == [("weight", 4 * 2048 * 2048), ("mm", 4 * (2048 + 2048))]


def _write(path: Path, nodes: list[Any], subgraph: Any = None, copies: int = 1) -> str:
    """A model of ``nodes`` (protos, repeated as they are: refused before they are checked); with ``subgraph``,
    ``copies`` If nodes whose then-branch it is."""
    graph = helper.make_graph([], "g", [helper.make_tensor_value_info("x", 1, [1, 3, 4, 4])], [helper.make_tensor_value_info("y", 1, None)])
    graph.node.extend(nodes)
    if subgraph is not None:
        empty = helper.make_graph([], "empty", [], [])
        graph.node.append(helper.make_node("Constant", [], ["c"], name="c", value=init("c", [], np.bool_, [True])))
        graph.node.extend(helper.make_node("If", ["c"], [f"y{i}"], then_branch=subgraph, else_branch=empty) for i in range(copies))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return str(path)


def test_node_cap(tmp_path: Path) -> None:
    """More than 100,000 nodes (a model file's layer cap), subgraphs included: one line, refused before the graph is
    parsed (subgraphs inside small nodes, before shape inference)."""
    import time

    from convcost.frontends.model_file import MAX_LAYERS
    from convcost.frontends.onnx_limits import MAX_NODES
    from convcost.frontends.onnx_read import model_bytes

    assert MAX_NODES == MAX_LAYERS == 100_000
    relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
    model_bytes(_write(tmp_path / "cap.onnx", [relu] * MAX_NODES))  # at the cap: read
    message = "the graph has more than 100,000 nodes (its subgraphs' included); at most 100,000 are costed"
    path = _write(tmp_path / "over.onnx", [relu] * (MAX_NODES + 1))
    start = time.perf_counter()
    assert_user_error(run("model", path), f"over.onnx: {message}")
    assert time.perf_counter() - start < 2
    body = helper.make_graph([], "body", [], [])
    body.node.extend([relu] * MAX_NODES)
    assert_user_error(run("model", _write(tmp_path / "big_if.onnx", [], body)), f"big_if.onnx: {message}")
    small = helper.make_graph([], "small", [], [])
    small.node.extend([onnx.NodeProto()] * 1_800)  # 3,600 bytes: the scan copies such a node without walking it
    assert_user_error(run("model", _write(tmp_path / "small_ifs.onnx", [], small, copies=56)), f"small_ifs.onnx: {message}")


def test_long_node_name_is_grouped_in_linear_time(tmp_path: Path) -> None:
    """A node named '/a' x 100,000 + '/Conv' (400 kB) is costed in well under a second; --depth groups at most
    32 path components of at most 1,000 characters in all."""
    import time

    name = "/a" * 100_000 + "/Conv"
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name=name, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["y", "w"], ["z"], name=name + "2", pads=[1, 1, 1, 1]),
    ]
    path = save(tmp_path / "long.onnx", nodes, [("x", [1, 3, 8, 8])], ["z"], [init("w", [3, 3, 3, 3])])
    start = time.perf_counter()
    data = run_json("model", path)
    assert time.perf_counter() - start < 2
    assert [(b["name"], b["depth"]) for b in data["blocks"]] == [(".".join(["a"] * (d + 1)), d) for d in range(32)]


def _naive_blocks(paths: list[tuple[str, ...]], hidden: list[bool]) -> list[tuple[tuple[str, ...], int, int, int]]:
    """The definition, written directly: at each depth, every maximal run of two or more consecutive nodes
    whose paths share a prefix that long, with at least one visible node."""
    found = []
    for depth in range(max((len(p) for p in paths), default=0)):
        i = 0
        while i < len(paths):
            if len(paths[i]) <= depth:
                i += 1
                continue
            j = i
            while j + 1 < len(paths) and paths[j + 1][: depth + 1] == paths[i][: depth + 1]:
                j += 1
            if j > i and not all(hidden[i : j + 1]):
                found.append((paths[i][: depth + 1], depth, i, j))
            i = j + 1
    return sorted(found, key=lambda b: (b[2], b[1]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from("ab"), max_size=4), st.booleans()), max_size=12))
def test_blocks_match_their_definition(nodes: list[tuple[list[str], bool]]) -> None:
    """The one-pass grouping by name paths finds exactly the blocks the definition names."""
    from convcost.frontends.onnx_blocks import block_name as _block_name
    from convcost.frontends.onnx_blocks import blocks as _blocks
    from convcost.frontends.onnx_blocks import name_path as _name_path

    names = ["/" + "/".join([*path, "Op"]) if path else "Op" for path, _ in nodes]
    hidden = [flag for _, flag in nodes]
    expected = [(_block_name(prefix), depth, i, j) for prefix, depth, i, j in _naive_blocks([_name_path(n) for n in names], hidden)]
    assert [(b.name, b.depth, b.first, b.last) for b in _blocks(names, hidden)] == expected


def test_yaml_models_do_not_import_onnx() -> None:
    """onnx (and numpy) load only when an .onnx file is read; a YAML model and import --help never load them."""
    import subprocess

    probe = (
        "import sys\n"
        "from convcost.cli import cli\n"
        "for args in ({args!r}):\n"
        "    try:\n"
        "        cli(args, prog_name='convcost')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'onnx', 'numpy'}}), file=sys.stderr)\n"
    )
    yaml_runs = (["model", str(ROOT / "layer_specs" / "resnet50.yaml"), "--format", "json"], ["import", "--help"])
    onnx_runs = (["model", str(DATA / "resnet18.onnx"), "--format", "json"],)
    for runs, expected in ((yaml_runs, "[]"), (onnx_runs, "['numpy', 'onnx']")):
        result = subprocess.run([sys.executable, "-c", probe.format(args=runs)], capture_output=True, text=True, check=True)
        assert result.stderr.strip().splitlines()[-1] == expected


@settings(max_examples=30, deadline=None)
@given(
    op=st.sampled_from(["Conv", "ConvTranspose", "MaxPool", "AveragePool"]),
    size=st.tuples(st.integers(4, 12), st.integers(4, 12)),
    k=st.integers(1, 3),
    stride=st.integers(1, 3),
    mode=st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]),
    pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    ceil=st.booleans(),
)
def test_windows_lower_to_their_model_file_types(
    tmp_path_factory: pytest.TempPathFactory, op: str, size: tuple[int, int], k: int, stride: int, mode: str,
    pads: tuple[int, int, int, int], ceil: bool,
) -> None:  # fmt: skip
    """Conv, ConvTranspose and pools in any padding mode (pools in ceil mode too) become conv, deconv,
    maxpool and avgpool nodes whose output is ONNX's own shape inference's, so the what-if sees the real layers."""
    from convcost.frontends.onnx import load_onnx

    attrs: dict[str, Any] = {"strides": [stride, stride]}
    if mode == "NOTSET":
        attrs["pads"] = [min(p, k - 1) for p in pads]
    else:
        attrs["auto_pad"] = mode
    inputs, inits = ["x", "w"], [init("w", [4, 2, k, k])]
    if op.endswith("Pool"):
        inputs, inits = ["x"], []
        attrs.update({"kernel_shape": [k, k], "ceil_mode": int(ceil)})
    node = helper.make_node(op, inputs, ["y"], name="n", **attrs)
    channels = 4 if op == "ConvTranspose" else 2
    path = save(tmp_path_factory.mktemp("w") / "w.onnx", [node], [("x", [1, channels, *size])], ["y"], inits)
    refused = ""
    try:
        graph = load_onnx(path, all_ops=True)
    except ConvcostError as exc:  # ceil mode's last window in the padding: onnx's size is no runtime's
        refused = str(exc)
    if refused:
        assert op.endswith("Pool"), refused
        assert ceil, refused
        assert "with ceil_mode" in refused, (attrs, refused)
        return
    expected = {"Conv": "conv", "ConvTranspose": "deconv", "MaxPool": "maxpool", "AveragePool": "avgpool"}[op]
    assert graph.nodes[0].op == expected, (attrs, graph.shapes[0])


def test_torchvision_resnet50_export_gives_the_published_figure() -> None:
    """torchvision's ResNet-50 exported at 224x224 (graph only, benchmarks/data/resnet50.onnx; batch norm folded
    into the convolutions by the exporter): 4,089,184,256 mults, torchvision's published 4.09 GFLOPS
    (multiply-accumulates), and 25,530,472 params: torchvision's 25,557,032 less batch norm's 2 per channel
    over its 26,560 channels, plus the one bias per channel that folding gives each convolution."""
    data = run_json("model", str(ROOT / "benchmarks" / "data" / "resnet50.onnx"))
    assert data["totals"] == {"mults": 4_089_184_256, "params": 25_557_032 - 2 * 26_560 + 26_560}


@pytest.mark.parametrize(
    ("marker", "offset", "where"), [(b"\x1a\x1b/layer1/layer1.0/conv1/Conv", 4, "node 4"), (b"main_graph", 2, "the graph")]
)
def test_a_name_that_is_not_utf8_is_refused(tmp_path: Path, marker: bytes, offset: int, where: str) -> None:
    """A node or graph name with a byte that is not UTF-8 (protobuf returns bytes): one named error, never an internal one."""
    data = bytearray((ROOT / "tests" / "data" / "resnet18.onnx").read_bytes())
    data[data.find(marker) + offset] = 0xFF
    path = tmp_path / "bad.onnx"
    path.write_bytes(bytes(data))
    assert_user_error(run("model", str(path)), f"{where} has a name that is not UTF-8 text", "\\xff", "not a valid ONNX model")


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 127, n >> 7
        out += bytes([low | (128 if n else 0)])
        if not n:
            return out


@pytest.mark.parametrize(
    "data",
    [
        b"\x08\x07\x3a" + _varint(2 * 300_000) + b"\x2a\x00" * 300_000,  # a graph of 300,000 empty initializers (600 kB)
        b"\x08\x07" * 300_000,  # a model of 300,000 ir_version fields
    ],
)
def test_graphs_and_models_of_too_many_entries_are_refused(tmp_path: Path, data: bytes) -> None:
    """Entries besides nodes are capped (200,000) while the bytes are walked: no protobuf object per entry, no minutes."""
    path = tmp_path / "many.onnx"
    path.write_bytes(data)
    assert_user_error(run("model", str(path)), "more than 200,000 entries besides its nodes")


# --- the op table is the one dispatch ------------------------------------------------------


_LOWERED = {
    "Conv": "conv", "ConvTranspose": "deconv", "Gemm": "linear", "MatMul": "linear", "Relu": "relu", "Sigmoid": "sigmoid",
    "Tanh": "tanh", "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid", "Gelu": "gelu", "Softmax": "softmax",
    "Identity": "identity", "Dropout": "dropout", "Clip": "relu6", "BatchNormalization": "batchnorm", "PRelu": "prelu",
    "MaxPool": "maxpool", "AveragePool": "avgpool", "GlobalAveragePool": "avgpool", "GlobalMaxPool": "maxpool",
    "Flatten": "flatten", "Reshape": "identity", "Squeeze": "identity", "Unsqueeze": "identity", "Add": "add", "Sum": "add",
    "Concat": "concat", "Resize": "upsample", "Upsample": "upsample", "Pad": "pad",
}  # fmt: skip
"""Every ONNX op type the front end lowers, and the model-file type it lowers to (the ops' handlers declare it)."""


def test_every_lowered_op_type_is_in_the_handler_table() -> None:
    """Each ONNX op type the front end lowers has a handler in ONNX_HANDLERS, and the front-end modules name no op type."""
    import ast

    from convcost.ops import ONNX_HANDLERS

    assert set(_LOWERED) <= set(ONNX_HANDLERS)
    assert {"Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum"} == {op for op, h in ONNX_HANDLERS.items() if h.mults is not None}
    for module in sorted((ROOT / "convcost" / "frontends").glob("onnx*.py")):
        literals = {n.value for n in ast.walk(ast.parse(module.read_text())) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not literals & set(ONNX_HANDLERS), module.name


def test_each_handler_lowers_its_op_type(tmp_path: Path) -> None:
    """A graph of every lowered ONNX op type gives each node the model-file type its handler declares."""
    from convcost.frontends.onnx import load_onnx

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> onnx.NodeProto:
        return helper.make_node(op, ins, [out], name=out, **attrs)

    nodes = [
        node("Conv", ["x", "w"], "Conv", pads=[1, 1, 1, 1]),
        node("ConvTranspose", ["Conv", "wt"], "ConvTranspose", strides=[2, 2], auto_pad="SAME_UPPER"),
        node("MaxPool", ["ConvTranspose"], "MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        node("BatchNormalization", ["MaxPool", "s", "b", "m", "v"], "BatchNormalization"),
        node("PRelu", ["BatchNormalization", "slope"], "PRelu"),
        node("Clip", ["PRelu", "lo", "hi"], "Clip"),
        *(
            node(op, [prev], op)
            for prev, op in zip(
                ["Clip", "Relu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "Dropout"],
                ["Relu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "Dropout", "Identity"],
                strict=True,
            )
        ),
        node("Pad", ["Identity", "pads"], "Pad"),
        node("AveragePool", ["Pad"], "AveragePool", kernel_shape=[3, 3]),
        node("Resize", ["AveragePool", "", "two"], "Resize", mode="nearest"),
        node("Add", ["Resize", "ConvTranspose"], "Add"),
        node("Sum", ["Add", "Resize"], "Sum"),
        node("Concat", ["Sum", "Add"], "Concat", axis=1),
        node("Softmax", ["Concat"], "Softmax", axis=1),
        node("Reshape", ["Softmax", "same"], "Reshape"),
        node("GlobalMaxPool", ["Reshape"], "GlobalMaxPool"),
        node("Squeeze", ["GlobalMaxPool", "axes"], "Squeeze"),
        node("Unsqueeze", ["Squeeze", "axes"], "Unsqueeze"),
        node("GlobalAveragePool", ["Unsqueeze"], "GlobalAveragePool"),
        node("Flatten", ["GlobalAveragePool"], "Flatten"),
        node("Gemm", ["Flatten", "fc"], "Gemm", transB=1),
        node("MatMul", ["Gemm", "mm"], "MatMul"),
        node("Gelu", ["MatMul"], "Gelu"),
    ]
    lo = helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("lo", onnx.TensorProto.FLOAT, [], [0.0]))
    hi = helper.make_node("Constant", [], ["hi"], value=helper.make_tensor("hi", onnx.TensorProto.FLOAT, [], [6.0]))
    two = helper.make_node("Constant", [], ["two"], value=helper.make_tensor("two", onnx.TensorProto.FLOAT, [4], [1, 1, 2, 2]))
    inits = [init("w", [4, 3, 3, 3]), init("wt", [4, 4, 3, 3]), *(init(n, [4]) for n in "sbmv"), init("slope", [4, 1, 1])]
    inits += [init("pads", [8], np.int64, [0, 0, 1, 1, 0, 0, 1, 1])]
    inits += [init("same", [4], np.int64, [1, 8, 8, 8]), init("axes", [2], np.int64, [2, 3]), init("fc", [6, 8]), init("mm", [6, 5])]
    path = save(tmp_path / "every.onnx", [lo, hi, two, *nodes], [("x", [1, 3, 4, 4])], ["Gelu"], inits, opset=20)
    lowered = {node.name: node.op for node in load_onnx(path).nodes if node.name in _LOWERED}
    old = save(tmp_path / "opset9.onnx", [node("Upsample", ["x", "scales"], "Upsample")], [("x", [1, 3, 4, 4])], ["Upsample"], [], opset=9)
    old_model = onnx.load(old)
    old_model.graph.node.insert(0, helper.make_node("Constant", [], ["scales"], value=two.attribute[0].t))
    onnx.save(old_model, old)
    lowered.update((node.name, node.op) for node in load_onnx(old).nodes if node.name in _LOWERED)
    assert lowered == _LOWERED


def test_a_toy_op_registered_in_the_table_is_lowered_without_the_front_end(tmp_path: Path) -> None:
    """One registration (an OpDef whose onnx= names an ONNX op type) is all an op needs to be lowered from an ONNX file."""
    from convcost.core.cost import Cost
    from convcost.frontends.onnx import load_onnx
    from convcost.ops import ONNX_HANDLERS, OPS, Evaluated, OpDef, register
    from convcost.ops.onnx_node import OnnxHandler, OnnxNode

    def evaluate(kind: str, v: Any, inputs: Any) -> Evaluated:
        (shape,) = inputs
        return Evaluated(shape, Cost(0, 0, shape.h * shape.w * shape.c, shape.h * shape.w * shape.c, 0))

    def lower(node: OnnxNode) -> Any:
        return ("negate", {}, (node.inputs[0],)) if len(node.activations) == 1 else None

    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"), helper.make_node("Neg", ["c"], ["y"], name="neg")]
    path = save(tmp_path / "neg.onnx", nodes, [("x", [1, 2, 4, 4])], ["y"], [init("w", [2, 2, 1, 1])])
    saved_ops, saved_handlers = dict(OPS), dict(ONNX_HANDLERS)
    assert "Neg" not in ONNX_HANDLERS
    assert [n.op for n in load_onnx(path).nodes] == ["conv", "onnx"]
    try:
        register(OpDef(("negate",), evaluate, onnx={"Neg": OnnxHandler(lower)}))
        assert [n.op for n in load_onnx(path).nodes] == ["conv", "negate"]
    finally:
        OPS.clear()
        OPS.update(saved_ops)
        ONNX_HANDLERS.clear()
        ONNX_HANDLERS.update(saved_handlers)
    assert [n.op for n in load_onnx(path).nodes] == ["conv", "onnx"]


@pytest.mark.parametrize(("dims", "weight"), [([1, 4, 20], [6, 4, 3]), ([1, 4, 6, 8, 8], [6, 4, 3, 3, 3])])
def test_convolutions_of_other_ranks_lower_to_conv(tmp_path: Path, dims: list[int], weight: list[int]) -> None:
    """A 1-D or 3-D Conv lowers to ``conv`` as a 2-D one does: the same rule's mults, its shapes channels last (``20x4``)."""
    from convcost.frontends.onnx import load_onnx

    path = save(
        tmp_path / "conv.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [("x", dims)], ["y"], [init("w", weight)]
    )
    graph = load_onnx(path)
    (node,) = graph.nodes
    out = [dims[0], weight[0], *(d - k + 1 for d, k in zip(dims[2:], weight[2:], strict=True))]
    assert node.op == "conv"
    assert node.attrs["k"] == tuple(weight[2:])
    assert graph.input == (*dims[2:], dims[1])
    assert graph.shapes[0] == (*out[2:], out[1])
    assert graph.evaluated[0].cost.mults == int(np.prod(out)) * int(np.prod(weight[1:]))


def test_a_second_graph_input_has_its_own_shape_and_memory(tmp_path: Path) -> None:
    """Inputs x 1x3x8x8 and m 1x2x32x32, a Conv 4x2x3x3 and a Relu on m: rows read 32x32x2, peak (192 + 2,048 + 3,600) x 4 bytes."""
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu_x"),
        helper.make_node("Conv", ["m", "w"], ["c"], name="conv_m"),
        helper.make_node("Relu", ["m"], ["rm"], name="relu_m"),
    ]
    path = save(tmp_path / "in2.onnx", nodes, [("x", [1, 3, 8, 8]), ("m", [1, 2, 32, 32])], ["r", "c", "rm"], [init("w", [4, 2, 3, 3])])
    data = run_json("model", path, "--all-ops")
    rows = [(row["name"], row["type"], row["in"], row["out"], row["mults"]) for row in data["layers"]]
    assert rows == [
        ("relu_x", "relu", [8, 8, 3], [8, 8, 3], 0),
        ("conv_m", "conv", [32, 32, 2], [30, 30, 4], 30 * 30 * 4 * 2 * 9),
        ("relu_m", "relu", [32, 32, 2], [32, 32, 2], 0),
    ]
    assert data["memory"]["peak_bytes"] == 4 * (8 * 8 * 3 + 32 * 32 * 2 + 30 * 30 * 4)  # x, m and the conv's output at conv_m
    assert_user_error(run("import", path), 'the graph reads 2 inputs ("x", "m"); a model file has one input')


def test_a_constant_node_weight_is_a_conv_weight(tmp_path: Path) -> None:
    """A Conv whose 4x3x3x3 weight is a Constant node is a conv layer: 108 params, its weight bytes read by the Conv, imported."""
    nodes = [
        helper.make_node("Constant", [], ["w"], name="wconst", value=init("wv", [4, 3, 3, 3])),
        helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1]),
    ]
    path = save(tmp_path / "constw.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"])
    data = run_json("model", path, "--all-ops")
    rows = [(row["name"], row["type"], row["mults"], row["params"], row["bytes"]) for row in data["layers"]]
    assert rows == [("wconst", "Constant", 0, 0, 0), ("conv", "conv", 8 * 8 * 4 * 27, 108, 4 * (192 + 256 + 108))]
    assert data["totals"] == {"mults": 6912, "params": 108}
    assert "    type: conv\n" in run("import", path).output
