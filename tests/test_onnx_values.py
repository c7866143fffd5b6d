"""Shapes that compute themselves: the shape arithmetic of exported networks (chunk and split, Swin's window
partition, TF's "same" padding) is computed, so the costs after it are known; where a shape cannot be, the error
names the node, the tensor and the op whose value was missing."""

from __future__ import annotations

from math import ceil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from onnx_cases import conv_out, init, save

from convcost.ops.onnx_values import VALUE_RULES, Value, make

I64 = np.int64


def scalar(name: str, value: float, dtype: Any = I64) -> TensorProto:
    return init(name, [], dtype, [value])


def vector(name: str, values: list[int]) -> TensorProto:
    return init(name, [len(values)], I64, values)


def rows(path: str) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in run_json("model", path, "--all-ops")["layers"]}


# --- chunk and split ------------------------------------------------------------------


def _chunk(path: Path, channels: int, h: int, w: int) -> str:
    """torch's chunk(2, dim=1) as exported: Slice starts and ends from Shape -> Gather -> Div -> Mul; a conv on the
    second half, then the halves concatenated (ShuffleNetV2's unit)."""
    half = channels // 2
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["c"], axis=0),
        helper.make_node("Div", ["c", "two"], ["half"]),
        helper.make_node("Mul", ["half", "one"], ["end1"]),
        helper.make_node("Mul", ["half", "two"], ["end2"]),
        helper.make_node("Unsqueeze", ["end1", "axis0"], ["e1"]),
        helper.make_node("Unsqueeze", ["end2", "axis0"], ["e2"]),
        helper.make_node("Slice", ["x", "zero", "e1", "axis1"], ["a"], name="slice_a"),
        helper.make_node("Slice", ["x", "e1", "e2", "axis1"], ["b"], name="slice_b"),
        helper.make_node("Conv", ["b", "w"], ["cb"], name="conv_b", pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["a", "cb"], ["y"], name="concat", axis=1),
    ]
    inits = [scalar("one", 1), scalar("two", 2), vector("axis0", [0]), vector("zero", [0]), vector("axis1", [1]),
             init("w", [half, half, 3, 3])]  # fmt: skip
    return save(path, nodes, [("x", [1, channels, h, w])], ["y"], inits)


@pytest.mark.parametrize(("channels", "h", "w"), [(8, 6, 6), (116, 28, 28), (4, 5, 7)])
def test_chunk_with_computed_starts_is_costed(tmp_path: Path, channels: int, h: int, w: int) -> None:
    """A Slice whose starts come from Shape -> Gather -> Div -> Mul: the conv on the half is H x W x C/2 x C/2 x 9."""
    found = rows(_chunk(tmp_path / "chunk.onnx", channels, h, w))
    half = channels // 2
    assert found["slice_b"]["out"] == [h, w, half]
    assert (found["conv_b"]["type"], found["conv_b"]["mults"]) == ("conv", h * w * half * half * 9)
    assert found["concat"]["out"] == [h, w, channels]


def test_split_with_computed_sizes_is_costed(tmp_path: Path) -> None:
    """torch's split as Split whose sizes are Concat(C / 4, 3 C / 4): each part's conv costs its own channels."""
    c, h, w = 12, 5, 5
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["c"], axis=0),
        helper.make_node("Div", ["c", "four"], ["quarter"]),
        helper.make_node("Sub", ["c", "quarter"], ["rest"]),
        helper.make_node("Unsqueeze", ["quarter", "axis0"], ["q1"]),
        helper.make_node("Unsqueeze", ["rest", "axis0"], ["r1"]),
        helper.make_node("Concat", ["q1", "r1"], ["sizes"], axis=0),
        helper.make_node("Split", ["x", "sizes"], ["p", "q"], name="split", axis=1),
        helper.make_node("Conv", ["p", "wp"], ["yp"], name="conv_p"),
        helper.make_node("Conv", ["q", "wq"], ["yq"], name="conv_q"),
        helper.make_node("Concat", ["yp", "yq"], ["y"], name="concat", axis=1),
    ]
    inits = [scalar("one", 1), scalar("four", 4), vector("axis0", [0]), init("wp", [2, 3, 1, 1]), init("wq", [5, 9, 1, 1])]
    found = rows(save(tmp_path / "split.onnx", nodes, [("x", [1, c, h, w])], ["y"], inits))
    assert found["conv_p"]["mults"] == h * w * (c // 4) * 2
    assert found["conv_q"]["mults"] == h * w * (c - c // 4) * 5
    assert found["concat"]["out"] == [h, w, 7]


# --- Swin's window partition ----------------------------------------------------------


def _windows(path: Path, size: int, window: int, channels: int, out: int) -> str:
    """x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C) @ W, the view's
    target computed through Div from the input's shape, as Swin exports it (NHWC input)."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "i0"], ["b"], axis=0),
        helper.make_node("Gather", ["shape", "i1"], ["h"], axis=0),
        helper.make_node("Gather", ["shape", "i2"], ["w"], axis=0),
        helper.make_node("Gather", ["shape", "i3"], ["c"], axis=0),
        helper.make_node("Div", ["h", "ws"], ["nh"]),
        helper.make_node("Div", ["w", "ws"], ["nw"]),
        *(helper.make_node("Unsqueeze", [t, "axis0"], [f"{t}_1"]) for t in ("b", "nh", "ws", "nw", "c")),
        helper.make_node("Concat", ["b_1", "nh_1", "ws_1", "nw_1", "ws_1", "c_1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["parts"], name="partition"),
        helper.make_node("Transpose", ["parts"], ["moved"], perm=[0, 1, 3, 2, 4, 5]),
        helper.make_node("Reshape", ["moved", "flat"], ["windows"], name="windows"),
        helper.make_node("MatMul", ["windows", "proj"], ["y"], name="proj"),
    ]
    inits = [scalar("i0", 0), scalar("i1", 1), scalar("i2", 2), scalar("i3", 3), scalar("ws", window), vector("axis0", [0]),
             vector("flat", [-1, window * window, channels]), init("proj", [channels, out])]  # fmt: skip
    return save(path, nodes, [("x", [1, size, size, channels])], ["y"], inits)


@pytest.mark.parametrize(("size", "window", "channels", "out"), [(8, 4, 6, 10), (56, 7, 96, 288)])
def test_window_partition_through_div_is_costed(tmp_path: Path, size: int, window: int, channels: int, out: int) -> None:
    """The windows' projection costs (H / ws)(W / ws) windows x ws^2 tokens x C x out."""
    path = _windows(tmp_path / "win.onnx", size, window, channels, out)
    windows = (size // window) ** 2
    found = rows(path)
    assert found["windows"]["out"] == [windows, window * window, channels]
    assert found["proj"]["mults"] == windows * window * window * channels * out
    assert run_json("model", path)["totals"]["mults"] == windows * window * window * channels * out


# --- TF's "same" padding --------------------------------------------------------------


def _same_pad(path: Path, h: int, w: int, k: int, stride: int) -> str:
    """TF "same" padding as tf2onnx writes it for dynamic shapes: total = max((ceil(H / s) - 1) s + k - H, 0),
    before = total / 2, after = total - before, from Cast, Div, Ceil, Sub, Mul, Add and Clip (the float scalars
    Constant nodes, as exporters write them); then a VALID conv."""
    nodes = [helper.make_node("Shape", ["x"], ["shape"])]
    before, after = [], []
    for axis in (2, 3):
        a = f"a{axis}"
        nodes += [
            helper.make_node("Gather", ["shape", f"i{axis}"], [f"{a}_n"], axis=0),
            helper.make_node("Cast", [f"{a}_n"], [f"{a}_f"], to=TensorProto.FLOAT),
            helper.make_node("Div", [f"{a}_f", "stride_f"], [f"{a}_q"]),
            helper.make_node("Ceil", [f"{a}_q"], [f"{a}_out"]),
            helper.make_node("Sub", [f"{a}_out", "one_f"], [f"{a}_o1"]),
            helper.make_node("Mul", [f"{a}_o1", "stride_f"], [f"{a}_span"]),
            helper.make_node("Add", [f"{a}_span", "k_f"], [f"{a}_need"]),
            helper.make_node("Sub", [f"{a}_need", f"{a}_f"], [f"{a}_t"]),
            helper.make_node("Clip", [f"{a}_t", "zero_f"], [f"{a}_tc"]),
            helper.make_node("Cast", [f"{a}_tc"], [f"{a}_total"], to=TensorProto.INT64),
            helper.make_node("Div", [f"{a}_total", "two"], [f"{a}_before"]),
            helper.make_node("Sub", [f"{a}_total", f"{a}_before"], [f"{a}_after"]),
            helper.make_node("Unsqueeze", [f"{a}_before", "axis0"], [f"{a}_b1"]),
            helper.make_node("Unsqueeze", [f"{a}_after", "axis0"], [f"{a}_a1"]),
        ]
        before.append(f"{a}_b1")
        after.append(f"{a}_a1")
    nodes += [
        helper.make_node("Concat", ["zeros2", *before, "zeros2", *after], ["pads"], axis=0),
        helper.make_node("Pad", ["x", "pads"], ["padded"], name="pad"),
        helper.make_node("Conv", ["padded", "w"], ["y"], name="conv", strides=[stride, stride]),
    ]
    floats = [helper.make_node("Constant", [], [name], value=helper.make_tensor(name, TensorProto.FLOAT, [], [v]))
              for name, v in (("stride_f", stride), ("one_f", 1), ("k_f", k), ("zero_f", 0))]  # fmt: skip
    inits = [scalar("i2", 2), scalar("i3", 3), scalar("two", 2), vector("axis0", [0]), vector("zeros2", [0, 0]), init("w", [8, 3, k, k])]
    return save(path, [*floats, *nodes], [("x", [1, 3, h, w])], ["y"], inits)


@pytest.mark.parametrize(("h", "w", "k", "stride"), [(16, 15, 3, 2), (224, 224, 7, 2), (10, 9, 5, 3), (8, 8, 1, 2)])
def test_tf_same_padding_through_ceil_sub_clip_is_costed(tmp_path: Path, h: int, w: int, k: int, stride: int) -> None:
    """The pads are TF's (total max((ceil(H/s) - 1) s + k - H, 0), before half of it), the conv's output ceil(H / s)."""
    pads = []
    for size in (h, w):
        total = max((ceil(size / stride) - 1) * stride + k - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    found = rows(_same_pad(tmp_path / "same.onnx", h, w, k, stride))
    assert (found["pad"]["type"], found["pad"]["out"]) == ("pad", [h + top + bottom, w + left + right, 3])
    ho, wo = conv_out(h, k, stride, top + bottom), conv_out(w, k, stride, left + right)
    assert (ho, wo) == (ceil(h / stride), ceil(w / stride))
    assert found["conv"]["mults"] == ho * wo * 8 * 3 * k * k


# --- what cannot be known -------------------------------------------------------------


def _reshape_from(tmp_path: Path, target_nodes: list[Any], inputs: list[tuple[str, list[int]]], inits: list[Any]) -> str:
    nodes = [*target_nodes, helper.make_node("Reshape", ["x", "target"], ["r"], name="reshape"),
             helper.make_node("Conv", ["r", "w"], ["y"], name="conv")]  # fmt: skip
    return save(tmp_path / "r.onnx", nodes, [("x", [1, 4, 4, 4]), *inputs], ["y"], [*inits, init("w", [2, 4, 1, 1])])


def test_a_missing_value_names_the_node_the_tensor_and_the_op(tmp_path: Path) -> None:
    """A Reshape target computed by an op convcost computes no values of: the error names the conv, the tensor, the
    Reshape, its target and the op whose value was missing."""
    reduce = helper.make_node("ReduceMax", ["table"], ["target"], name="reduce", axes=[0], keepdims=0)
    path = _reshape_from(tmp_path, [reduce], [], [init("table", [2, 4], I64, [1, 4, 4, 4, 1, 2, 8, 4])])
    assert_user_error(
        run("model", path),
        "node 'conv' (Conv): the shape of tensor 'r' is unknown",
        "node 'reshape' (Reshape) needs the value of 'target', which node 'reduce' (ReduceMax) computes "
        "(convcost computes no values of ReduceMax)",
    )


def test_a_value_from_the_graph_input_is_named(tmp_path: Path) -> None:
    """A Reshape target that is a graph input's data: the error says so, through the shape arithmetic after it."""
    cast = helper.make_node("Cast", ["given"], ["target"], name="cast", to=TensorProto.INT64)
    path = _reshape_from(tmp_path, [cast], [("given", [4])], [])
    assert_user_error(
        run("model", path),
        "node 'conv' (Conv): the shape of tensor 'r' is unknown",
        "node 'reshape' (Reshape) needs the value of 'target', which is the graph input's data",
    )


def test_values_past_the_limits_are_unknown_not_slow(tmp_path: Path) -> None:
    """Squaring a shape 200 times (2^(2^200)) and a Range of 10^15 values: no value past the limits, answered at once."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Div", ["s", "one"], ["s0"])]  # ONNX propagates no Div
    nodes += [helper.make_node("Mul", [f"s{i}", f"s{i}"], [f"s{i + 1}"]) for i in range(200)]
    nodes += [
        helper.make_node("Range", ["zero", "big", "one"], ["range"], name="range"),
        helper.make_node("Reshape", ["x", "s200"], ["r"], name="reshape"),
        helper.make_node("Conv", ["r", "w"], ["y"], name="conv"),
    ]
    path = save(tmp_path / "big.onnx", nodes, [("x", [1, 2, 2, 2])], ["y"],
                [scalar("zero", 0), scalar("big", 10**15), scalar("one", 1), init("w", [2, 2, 1, 1])])  # fmt: skip
    result = run("model", path)
    assert_user_error(result, "node 'reshape' (Reshape) needs the value of 's200'", "past convcost's limits")


# --- the value rules against numpy ----------------------------------------------------


def _apply(op: str, attrs: dict[str, Any], *arrays: np.ndarray) -> tuple[tuple[int, ...], list[Any]]:
    """Op ``op``'s value rule on these int64 arrays: the first output's dimensions and elements (it must have one)."""
    from convcost.ops.onnx_node import OnnxNode

    values = []
    for array in arrays:
        found = make(array.shape, [int(x) for x in array.reshape(-1)], True)
        assert found is not None
        values.append(found)
    inputs = tuple(f"i{k}" for k in range(len(arrays)))
    node = OnnxNode(op, op, 0, attrs, inputs, (None,) * len(arrays), (True,) * len(arrays), ("o",), (None,), "t.onnx", 1,
                    lambda *_: None)  # fmt: skip
    out = VALUE_RULES[op](node, tuple(values))
    assert out is not None
    first: Value | None = out[0]
    assert first is not None
    return first.dims, list(first.data)


def _np(*values: int) -> np.ndarray:
    return np.array(values, dtype=I64)


arrays = st.lists(st.integers(-50, 50), min_size=1, max_size=12).map(lambda xs: np.array(xs, dtype=I64))


@settings(max_examples=60, deadline=None)
@given(a=arrays, b=st.integers(-9, 9).filter(lambda x: x != 0), op=st.sampled_from(["Add", "Sub", "Mul", "Div", "Mod"]))
def test_integer_arithmetic_is_onnx_s(a: np.ndarray, b: int, op: str) -> None:
    """Add, Sub, Mul, Div (toward zero, as ONNX's integer Div) and Mod (the divisor's sign) on int64 equal numpy's."""
    expected = {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": np.trunc(a / b).astype(I64), "Mod": np.mod(a, b)}[op]
    assert _apply(op, {}, a, np.array(b, dtype=I64)) == (expected.shape, expected.tolist())


@settings(max_examples=60, deadline=None)
@given(a=arrays, start=st.integers(-15, 15), end=st.integers(-15, 15), step=st.sampled_from([-3, -2, -1, 1, 2, 3]))
def test_slice_is_python_s(a: np.ndarray, start: int, end: int, step: int) -> None:
    """Slice on a 1-D value takes what Python's slicing takes, but for a start before the first element with a negative
    step, which ONNX (its shape inference included) clamps to the first element."""
    assert _apply("Slice", {}, a, _np(start), _np(end), _np(0))[1] == a[start:end].tolist()  # no steps input: 1
    taken = _apply("Slice", {}, a, _np(start), _np(end), _np(0), _np(step))[1]
    if step < 0 and start < -len(a):  # ONNX clamps this start to 0 and takes element 0, where Python takes nothing
        assert taken == a[0:end:step].tolist()
    else:
        assert taken == a[start:end:step].tolist()


@settings(max_examples=40, deadline=None)
@given(rows_=st.integers(1, 4), cols=st.integers(1, 4), picks=st.lists(st.integers(-4, 3), min_size=1, max_size=4), axis=st.integers(0, 1))
def test_gather_and_concat_are_numpy_s(rows_: int, cols: int, picks: list[int], axis: int) -> None:
    """Gather equals numpy's take, Concat numpy's concatenate, on 2-D values."""
    a = np.arange(rows_ * cols, dtype=I64).reshape(rows_, cols)
    size = a.shape[axis]
    picks = [p for p in picks if -size <= p < size] or [0]
    expected = np.take(a, picks, axis=axis)
    assert _apply("Gather", {"axis": axis}, a, np.array(picks, dtype=I64)) == (expected.shape, expected.reshape(-1).tolist())
    expected = np.concatenate([a, a + 100], axis=axis)
    assert _apply("Concat", {"axis": axis}, a, a + 100) == (expected.shape, expected.reshape(-1).tolist())
