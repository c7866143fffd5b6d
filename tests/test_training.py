"""--training: forward, input-gradient and weight-gradient mults per row and in the totals; a step's bytes and time; a run; memory."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = ("training_mults", "backward_input_mults", "backward_weight_mults")

SMALL = """\
input: 8x8x4
layers:
  - {name: c1, k: 3, out: 8, padding: 1}
  - {name: dw, type: depthwise, k: 3, padding: 1}
  - {name: g2, k: 3, out: 8, padding: 1, groups: 2, bias: true}
  - {name: up, type: deconv, k: 2, stride: 2, out: 4}
  - {name: pool, type: avgpool, k: 2, stride: 2}
  - {name: fc, type: linear, out: 10}
"""


def _trio(row: dict[str, Any]) -> tuple[int, int, int]:
    return (row["mults"], row["backward_input_mults"], row["backward_weight_mults"])


def test_every_op_kind_by_hand(tmp_yaml: Any) -> None:
    """Each op with mults: an input gradient and a weight gradient of its forward mults (groups included); none fed by the input."""
    data = run_json("model", tmp_yaml(SMALL), "--training")
    rows = {row["name"]: row for row in data["layers"]}
    c1 = 8 * 8 * 8 * 3 * 3 * 4  # Ho Wo N KH KW C
    dw = 8 * 8 * 8 * 3 * 3 * 1  # each output channel sees C/G = 1 input channel
    g2 = 8 * 8 * 8 * 3 * 3 * (8 // 2)  # groups 2: C/G = 4
    up = 8 * 8 * 4 * 2 * 2 * 8  # a transposed conv: each input pixel meets K*K*N weights per input channel
    fc = (8 * 8 * 4) * 10
    assert _trio(rows["c1"]) == (c1, 0, c1)  # fed by the network input: no input gradient
    assert _trio(rows["dw"]) == (dw, dw, dw)
    assert _trio(rows["g2"]) == (g2, g2, g2)
    assert _trio(rows["up"]) == (up, up, up)
    assert _trio(rows["pool"]) == (0, 0, 0)
    assert _trio(rows["fc"]) == (fc, fc, fc)
    for row in rows.values():
        assert row["training_mults"] == row["mults"] + row["backward_input_mults"] + row["backward_weight_mults"]
    forward = c1 + dw + g2 + up + fc
    assert data["totals"]["mults"] == forward
    assert data["totals"]["training_mults"] == 3 * forward - c1
    assert data["totals"]["backward_input_mults"] == forward - c1
    assert data["totals"]["backward_weight_mults"] == forward


def test_resnet50_trains_at_the_issue_figure() -> None:
    """ResNet-50: 3 x 4,089,184,256 - 118,013,952 (conv1's input gradient) = 12,149,538,816 mults per image, from YAML and ONNX."""
    for path in (SPECS / "resnet50.yaml", Path(__file__).parent.parent / "benchmarks" / "data" / "resnet50.onnx"):
        totals = run_json("model", str(path), "--training")["totals"]
        assert totals["mults"] == 4_089_184_256
        assert totals["training_mults"] == 3 * 4_089_184_256 - 118_013_952 == 12_149_538_816


def test_a_depthwise_network_counts_groups() -> None:
    """MobileNetV2: 3 x 300,774,272 - conv1's 112x112x32x3x3x3 = 891,484,800, under 0.9 G (PyTorch's counter: 6.14 G)."""
    totals = run_json("model", str(SPECS / "mobilenet_v2.yaml"), "--training")["totals"]
    conv1 = 112 * 112 * 32 * 3 * 3 * 3
    assert totals["training_mults"] == 3 * 300_774_272 - conv1 == 891_484_800


def _matmuls(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("MatMul", ["x", "w0"], ["p"], name="project"),  # weights: everything after it needs gradients
        helper.make_node("Relu", ["p"], ["a"], name="relu"),
        helper.make_node("Transpose", ["a"], ["b"], perm=[0, 2, 1], name="t"),
        helper.make_node("MatMul", ["a", "b"], ["c"], name="two_activations"),
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1], name="xt"),
        helper.make_node("MatMul", ["a", "xt"], ["d"], name="one_learned"),
        helper.make_node("MatMul", ["c", "w"], ["e"], name="weighted"),
        helper.make_node("Add", ["d", "e"], ["y"], name="add"),
    ]
    weights = [
        helper.make_tensor("w0", TensorProto.FLOAT, [16, 16], [0.0] * 256),
        helper.make_tensor("w", TensorProto.FLOAT, [8, 8], [0.0] * 64),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8])],
        weights,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_a_matmul_of_two_activations_has_two_input_gradients(tmp_path: Path) -> None:
    """MatMul(a, b) of two learned activations: two input gradients, no weight gradient; an operand made of the network
    input by weightless ops alone (a transpose of it) needs none; MatMul(c, W): one input gradient and a weight gradient."""
    pytest.importorskip("onnx")
    path = tmp_path / "mm.onnx"
    _matmuls(path)
    rows = {row["name"]: row for row in run_json("model", str(path), "--training", "--all-ops")["layers"]}
    p = 8 * 16 * 16
    assert _trio(rows["project"]) == (p, 0, p)  # fed by the network input
    m = 8 * 16 * 8
    assert _trio(rows["two_activations"]) == (m, 2 * m, 0)
    assert _trio(rows["one_learned"]) == (m, m, 0)
    w = 8 * 8 * 8
    assert _trio(rows["weighted"]) == (w, w, w)
    assert _trio(rows["relu"]) == (0, 0, 0)


def test_weightless_ops_before_the_first_learned_op_need_no_gradient(tmp_yaml: Any) -> None:
    """A pad or an activation between the input and the first conv: nothing upstream has weights, so that conv has no
    input gradient, as when the padding is the conv's own; a batch norm upstream (it has params) needs one."""
    own = run_json("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {k: 3, out: 4, padding: 1}\n"), "--training")["totals"]
    for before in ("{type: pad, padding: 1}", "{type: relu}\n  - {type: pad, padding: 1}"):
        text = f"input: 8x8x3\nlayers:\n  - {before}\n  - {{k: 3, out: 4}}\n"
        assert run_json("model", tmp_yaml(text), "--training")["totals"] == own
    bn = run_json("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {type: batchnorm}\n  - {k: 3, out: 4, padding: 1}\n"), "--training")
    assert bn["totals"]["backward_input_mults"] == bn["totals"]["mults"] == 8 * 8 * 4 * 27


def test_layer_first_layer_rule() -> None:
    """convcost layer counts its layer inside a network; --first-layer drops the input gradient (of the first stage only)."""
    args = ("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--training")
    inside = {m["method"]: m for m in run_json(*args)["methods"]}
    first = {m["method"]: m for m in run_json(*args, "--first-layer")["methods"]}
    standard = 26 * 26 * 16 * 3 * 3 * 8
    assert _trio(inside["standard"]) == (standard, standard, standard)
    assert _trio(first["standard"]) == (standard, 0, standard)
    dw, pw = 26 * 26 * 8 * 3 * 3, 26 * 26 * 16 * 8
    assert _trio(first["depthwise-separable"]) == (dw + pw, pw, dw + pw)
    stages = first["depthwise-separable"]["stages"]
    assert [s["backward_input_mults"] for s in stages] == [0, pw]
    assert [s["training_mults"] for s in stages] == [2 * dw, 3 * pw]
    assert run_json(*args, "--first-layer")["training"]["first_layer"] is True


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(5, 12),
    channels=st.integers(1, 6),
    out=st.integers(1, 8),
    k=st.sampled_from([1, 3, 5]),
    first=st.booleans(),
)
def test_training_adds_up_for_every_factorization(size: int, channels: int, out: int, k: int, first: bool) -> None:
    """For every method and stage: training = forward + input + weight; weight = forward; input = forward
    less the first stage's when the layer is the first."""
    args = ["layer", "--in", f"{size}x{size}x{channels}", "--k", str(k), "--out", str(out), "--padding", "same", "--training"]
    data = run_json(*args, *(["--first-layer"] if first else []))
    for method in data["methods"]:
        if method["mults"] is None:
            assert method["training_mults"] is None
            continue
        stages = method["stages"]
        assert method["training_mults"] == method["mults"] + method["backward_input_mults"] + method["backward_weight_mults"]
        assert method["backward_weight_mults"] == method["mults"] == sum(s["mults"] for s in stages)
        assert method["backward_input_mults"] == method["mults"] - (stages[0]["mults"] if first else 0)
        for s in stages:
            assert s["training_mults"] == s["mults"] + s["backward_input_mults"] + s["backward_weight_mults"]


def test_whatif_and_as_report_training(tmp_yaml: Any) -> None:
    """A factorized layer's stages are ops: the what-if and as: give training mults, a stage fed by the input without input gradient."""
    text = (
        "input: 16x16x8\nlayers:\n"
        "  - {name: a, k: 5, out: 16, padding: 2, as: depthwise-separable}\n"
        "  - {name: b, k: 5, out: 16, padding: 2}\n"
    )
    data = run_json("model", tmp_yaml(text), "--training")
    a, b = data["layers"]
    dw, pw = 16 * 16 * 8 * 5 * 5, 16 * 16 * 16 * 8
    assert _trio(a) == (dw + pw, pw, dw + pw)  # depthwise fed by the input: no input gradient; pointwise: one
    full = 16 * 16 * 16 * 5 * 5 * 16
    assert _trio(b) == (full, full, full)
    whatif = {w["method"]: w for w in data["whatif"]}
    dw16, pw16 = 16 * 16 * 16 * 5 * 5, 16 * 16 * 16 * 16
    sep = whatif["depthwise-separable"]
    assert sep["mults"] == dw + pw + dw16 + pw16
    assert sep["training_mults"] == (2 * dw + 3 * pw) + 3 * (dw16 + pw16)
    assert sep["backward_input_mults"] == pw + dw16 + pw16


def test_step_bytes_and_time_are_the_passes_of_the_forward(tmp_yaml: Any) -> None:
    """Each backward pass moves the forward pass's bytes and takes its roofline time: 2 passes fed by the input, 3 inside."""
    data = run_json("model", tmp_yaml(SMALL), "--training", "--device", "a100", "--batch", "4")
    rows = {row["name"]: row for row in data["layers"]}
    assert rows["c1"]["training_bytes"] == 2 * rows["c1"]["bytes"]
    assert rows["g2"]["training_bytes"] == 3 * rows["g2"]["bytes"]
    assert rows["pool"]["training_bytes"] == rows["pool"]["bytes"]  # no mults: forward only
    assert rows["g2"]["training_time_s"] == pytest.approx(3 * rows["g2"]["time_s"], rel=1e-12)
    passes = {"c1": 2, "dw": 3, "g2": 3, "up": 3, "pool": 1, "fc": 3}
    merges = data["roofline"]["merges"]["bytes"]
    assert data["roofline"]["training_bytes"] == sum(passes[n] * rows[n]["bytes"] for n in passes) + merges


def test_a_run_of_samples_and_epochs(tmp_yaml: Any) -> None:
    """--samples N --epochs E: FLOPs = 2 x training mults per sample x N x E; time = step time x N x E / batch."""
    path = tmp_yaml(SMALL)
    base = run_json("model", path, "--training", "--device", "a100", "--batch", "8")
    data = run_json("model", path, "--training", "--device", "a100", "--batch", "8", "--samples", "1000", "--epochs", "3")
    per_sample = base["totals"]["training_mults"] // 8
    the_run = data["training"]["run"]
    assert the_run["training_mults"] == per_sample * 1000 * 3
    assert the_run["training_flops"] == 2 * per_sample * 1000 * 3
    assert (the_run["samples"], the_run["epochs"], the_run["batch"]) == (1000, 3, 8)
    assert the_run["time_s"] == pytest.approx(base["roofline"]["training_time_s"] * 1000 * 3 / 8, rel=1e-12)
    no_device = run_json("model", path, "--training", "--samples", "10")["training"]["run"]
    assert no_device["time_s"] is None
    assert no_device["epochs"] == 1


def test_training_memory_lower_bound(tmp_yaml: Any) -> None:
    """Weights, gradients, optimizer state (sgd 0, momentum 1, adam 2 copies), activations kept (inputs of ops with mults, once)."""
    path = tmp_yaml(SMALL)
    weights = 288 + 72 + 296 + 128 + 2560
    kept = 8 * 8 * 4 + 8 * 8 * 8 + 8 * 8 * 8 + 8 * 8 * 8 + 8 * 8 * 4  # c1, dw, g2, up inputs; fc's (the pool's output)
    for optimizer, copies in (("sgd", 0), ("momentum", 1), ("adam", 2)):
        memory = run_json("model", path, "--training", "--optimizer", optimizer, "--batch", "2", "--dtype", "fp16")["training"]["memory"]
        assert memory == {
            "weights_bytes": 2 * weights,
            "gradients_bytes": 2 * weights,
            "optimizer_bytes": 2 * weights * copies,
            "activations_bytes": 2 * 2 * kept,
            "total_bytes": 2 * weights * (2 + copies) + 4 * kept,
        }


def test_tables_and_csv_show_the_training_columns(tmp_yaml: Any) -> None:
    """The table gains input grad, weight grad and training mults and states the rule; CSV gains the JSON's keys."""
    path = tmp_yaml(SMALL)
    table = run("model", path, "--training")
    assert table.exit_code == 0
    assert "training" in table.stdout
    assert "an input gradient and a weight gradient each cost the forward pass's mults" in table.stdout
    assert "Training memory, a lower bound" in table.stdout
    header = run("model", path, "--training", "--format", "csv").stdout.splitlines()[0].split(",")
    assert [k for k in header if k in KEYS] == ["backward_input_mults", "backward_weight_mults", "training_mults"]
    plain = run("model", path, "--format", "csv").stdout.splitlines()[0].split(",")
    assert not any(k in plain for k in KEYS)
    layer = run("layer", "--in", "8x8x4", "--k", "3", "--out", "8", "--training", "--format", "markdown")
    assert layer.exit_code == 0
    assert "training<br>mults" in layer.stdout or "training mults" in layer.stdout


def test_without_training_nothing_changes(tmp_yaml: Any) -> None:
    """No --training: no training key anywhere in the JSON."""
    text = run("model", tmp_yaml(SMALL), "--format", "json").stdout
    assert not any(key in text for key in (*KEYS, '"training"'))
    assert not any(key in json.dumps(run_json("layer", "--in", "8x8x4", "--k", "3", "--out", "8")) for key in KEYS)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--samples", "10"), ("--samples goes with --training",)),
        (("--optimizer", "adam"), ("--optimizer goes with --training",)),
        (("--training", "--epochs", "3"), ("--epochs goes with --samples",)),
        (("--training", "--samples", "0"), ("--samples", "0")),
        (("--training", "--samples", "1e3"), ("--samples",)),
        (("--training", "--samples", "10", "--epochs", "-1"), ("--epochs",)),
    ],
)
def test_training_flag_mistakes(tmp_yaml: Any, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    """A training flag without --training, or a count that is not a whole number >= 1: one Error line, exit 2."""
    assert_user_error(run("model", tmp_yaml(SMALL), *args), *fragments)


def test_layer_first_layer_needs_training() -> None:
    """--first-layer without --training is a mistake."""
    assert_user_error(run("layer", "--in", "8x8x4", "--k", "3", "--out", "8", "--first-layer"), "--first-layer goes with --training")


def test_run_time_is_exact_pro_rata() -> None:
    """The run's time is the step's exact time x samples x epochs / batch (a Fraction, printed once)."""
    from convcost.analysis.training import Training, TrainingSettings, training_run

    step = Training(100, 100, 100)
    found = training_run(step, 4, TrainingSettings(samples=10, epochs=3), Fraction(1, 7))
    assert found is not None
    assert found.training_mults == 300 // 4 * 10 * 3
    assert found.seconds == Fraction(1, 7) * 10 * 3 / 4


def test_the_documented_imagenet_run_is_what_the_command_prints() -> None:
    """docs/training.md's ResNet-50 ImageNet lines and the README's figures are the command's own output."""
    from conftest import ROOT

    args = ["model", str(SPECS / "resnet50.yaml"), "--training", "--device", "a100", "--batch", "256"]
    result = run(*args, "--samples", "1281167", "--epochs", "90")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith(("A training step:", "Training run:"))]
    page = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    block = page.split("```text\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == lines
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    the_run = run_json(*args, "--samples", "1281167", "--epochs", "90")["training"]["run"]
    assert f"{the_run['training_flops']:,}" in readme.replace("\n", " ")
    assert the_run["training_flops"] == 2 * 12_149_538_816 * 1_281_167 * 90
    assert "= 41.0 hours" in lines[1]
    assert "41.0 hours" in readme


def test_pytorch_counters_groups_rule_overcounts_mobilenet_v2() -> None:
    """The README's 6.14 G: PyTorch's weight gradient Ho*Wo*N*KH*KW*C (all C, not C/G) on MobileNetV2's depthwise layers."""
    data = run_json("model", str(SPECS / "mobilenet_v2.yaml"), "--training")
    theirs = 0
    for row in data["layers"]:
        extra = 0
        if row["type"] == "depthwise":  # groups = C: each output channel sees 1 channel, PyTorch counts C
            extra = row["backward_weight_mults"] * (row["in"][2] - 1)
        theirs += row["training_mults"] + extra
    assert theirs == 6_139_850_496  # "6.14 G"
    assert data["totals"]["training_mults"] == 891_484_800
