"""ONNX graphs built with onnx.helper for the ONNX tests, each with its totals by hand.

Every case is a small network and the figures ``convcost model`` must print for it, worked
out here from the counting rule with the sizes written out (Conv: output elements x C_in/group
x KH x KW; ConvTranspose: input elements x C_out/group x KH x KW; Gemm M N K; MatMul batch M N
K; params: distinct float initializers, batch-norm running statistics excluded). ``expressible``
cases round-trip through ``convcost import``. Shared by test_onnx.py and test_import.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def init(name: str, dims: Sequence[int], dtype: Any = np.float32, values: Sequence[float] | None = None) -> onnx.TensorProto:
    """An initializer of zeros (or ``values``)."""
    array = np.zeros(dims, dtype=dtype) if values is None else np.array(values, dtype=dtype).reshape(dims)
    return numpy_helper.from_array(array, name)


def save(
    path: Path,
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[tuple[str, Sequence[int | str] | None]],
    outputs: Sequence[str],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 17,
    graph_name: str = "net",
) -> str:
    """Write a model; inputs are float tensors (name, dims; a str dim is dynamic)."""
    graph = helper.make_graph(
        list(nodes),
        graph_name,
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, dims) for name, dims in inputs],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs],
        list(initializers),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, onnx.IR_VERSION)
    onnx.save(model, str(path))
    return str(path)


def conv_out(size: int, k: int, stride: int, pad_total: int, dilation: int = 1) -> int:
    """The hand formula: floor((H + pads - D*(K-1) - 1) / S) + 1."""
    return (size + pad_total - dilation * (k - 1) - 1) // stride + 1


class Case(NamedTuple):
    """A network and what convcost must print for it."""

    build: Callable[[Path], str]
    mults: int
    params: int
    expressible: bool = True
    """True when ``convcost import`` writes it exactly."""


def _conv(attrs: dict[str, Any], h: int = 17, w: int = 15) -> Callable[[Path], str]:
    def build(path: Path) -> str:
        node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
        return save(path, [node], [("x", [1, 3, h, w])], ["y"], [init("w", [8, 3, 3, 3])])

    return build


# Conv on 1x3x17x15, 8 filters of 3x3x3 (216 weights), in every padding mode:
# explicit pads (top 1, left 2, bottom 0, right 1), stride 2: Ho = (17+1-3)//2+1 = 8, Wo = (15+3-3)//2+1 = 8
# SAME_UPPER / SAME_LOWER, stride 2: Ho = ceil(17/2) = 9, Wo = ceil(15/2) = 8
# VALID, stride 1: Ho = 15, Wo = 13; dilation 2 with pads 2: Ho = 17, Wo = 15
CONV_CASES = {
    "conv_explicit_pads": Case(_conv({"pads": [1, 2, 0, 1], "strides": [2, 2]}), 8 * 8 * 8 * 3 * 9, 216),
    "conv_same_upper": Case(_conv({"auto_pad": "SAME_UPPER", "strides": [2, 2]}), 9 * 8 * 8 * 3 * 9, 216),
    "conv_same_lower": Case(_conv({"auto_pad": "SAME_LOWER", "strides": [2, 2]}), 9 * 8 * 8 * 3 * 9, 216),
    "conv_valid": Case(_conv({"auto_pad": "VALID"}), 15 * 13 * 8 * 3 * 9, 216),
    "conv_dilated": Case(_conv({"pads": [2, 2, 2, 2], "dilations": [2, 2]}), 17 * 15 * 8 * 3 * 9, 216),
}


def _grouped(path: Path) -> str:
    """Grouped (4 -> 8 channels in 2 groups) then depthwise (8 groups), both 3x3 with pad 1, on 10x10."""
    nodes = [
        helper.make_node("Conv", ["x", "wg", "bg"], ["g"], name="grouped", group=2, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["g", "wd"], ["d"], name="depthwise", group=8, pads=[1, 1, 1, 1]),
    ]
    inits = [init("wg", [8, 2, 3, 3]), init("bg", [8]), init("wd", [8, 1, 3, 3])]
    return save(path, nodes, [("x", [1, 4, 10, 10])], ["d"], inits)


def _deconv(path: Path) -> str:
    """ConvTranspose 8 -> 4 channels, 3x3, stride 2, pads 1, output_padding 1: 7x7 -> 14x14;
    then one in 2 groups (8 -> 8: W is 4x4x3x3, so C_out/group = 4) with SAME_UPPER: 14x14 -> 28x28."""
    nodes = [
        helper.make_node("ConvTranspose", ["x", "w1", "b1"], ["y"], name="up1", strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        helper.make_node("Conv", ["y", "w2"], ["z"], name="widen", pads=[1, 1, 1, 1]),
        helper.make_node("ConvTranspose", ["z", "w3"], ["u"], name="up2", strides=[2, 2], group=2, auto_pad="SAME_UPPER"),
    ]
    inits = [init("w1", [8, 4, 3, 3]), init("b1", [4]), init("w2", [8, 4, 3, 3]), init("w3", [8, 4, 3, 3])]
    return save(path, nodes, [("x", [1, 8, 7, 7])], ["u"], inits)


def _gemm(path: Path) -> str:
    """Global pool, flatten, Gemm 64 -> 10 with transB and a bias."""
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1),
    ]
    return save(path, nodes, [("x", [1, 64, 7, 7])], ["y"], [init("w", [10, 64]), init("b", [10])])


def _gemm_trans_a(path: Path) -> str:
    """Gemm with transA on a transposed 1x64 input: M 1, K 64, N 10."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="t", perm=[1, 0]),
        helper.make_node("Gemm", ["t", "w"], ["y"], name="fc", transA=1),
    ]
    return save(path, nodes, [("x", [1, 64])], ["y"], [init("w", [64, 10])])


def _matmuls(path: Path) -> str:
    """MatMul 2-D (1x32 by 32x16), 3-D (1x5x32 by 32x16) and 4-D broadcast (1x4x5x32 by 1x3... below)."""
    nodes = [
        helper.make_node("MatMul", ["a", "w"], ["a2"], name="mm2d"),
        helper.make_node("MatMul", ["b", "w"], ["b2"], name="mm3d"),
        helper.make_node("MatMul", ["c", "w4"], ["c2"], name="mm4d"),
    ]
    inputs = [("a", [1, 32]), ("b", [1, 5, 32]), ("c", [1, 1, 5, 32])]
    return save(path, nodes, inputs, ["a2", "b2", "c2"], [init("w", [32, 16]), init("w4", [1, 3, 32, 16])])


def _attention(path: Path) -> str:
    """One attention head on 6 tokens of 16: Q, K, V projections, Q K^T, softmax, A V."""
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"], name="q"),
        helper.make_node("MatMul", ["x", "wk"], ["k"], name="k"),
        helper.make_node("MatMul", ["x", "wv"], ["v"], name="v"),
        helper.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
        helper.make_node("Softmax", ["s"], ["a"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["a", "v"], ["o"], name="mix"),
    ]
    inits = [init("wq", [16, 16]), init("wk", [16, 16]), init("wv", [16, 16])]
    return save(path, nodes, [("x", [1, 6, 16])], ["o"], inits)


def _batchnorm(path: Path) -> str:
    """Conv 3 -> 8 (3x3, pad 1, on 6x6) then BatchNormalization; its mean read through Identity."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Identity", ["mean"], ["mean_id"], name="mean_copy"),
        helper.make_node("BatchNormalization", ["y", "scale", "shift", "mean_id", "var"], ["z"], name="bn"),
        helper.make_node("Relu", ["z"], ["r"], name="relu"),
    ]
    inits = [init("w", [8, 3, 3, 3]), init("scale", [8]), init("shift", [8]), init("mean", [8]), init("var", [8])]
    return save(path, nodes, [("x", [1, 3, 6, 6])], ["r"], inits)


def _batchnorm_shared(path: Path) -> str:
    """Two BatchNormalizations sharing scale, shift, mean and variance: 2 x 8 params counted once;
    the variance also feeds an Add, so it is a param too (not only a running statistic)."""
    nodes = [
        helper.make_node("BatchNormalization", ["x", "scale", "shift", "mean", "var"], ["y"], name="bn1"),
        helper.make_node("BatchNormalization", ["y", "scale", "shift", "mean", "var"], ["z"], name="bn2"),
        helper.make_node("Reshape", ["var", "shape"], ["var4"], name="var_nchw"),
        helper.make_node("Add", ["z", "var4"], ["out"], name="plus_var"),
    ]
    inits = [init("scale", [8]), init("shift", [8]), init("mean", [8]), init("var", [8]), init("shape", [4], np.int64, [1, 8, 1, 1])]
    return save(path, nodes, [("x", [1, 8, 5, 5])], ["out"], inits)


def _shared_conv(path: Path) -> str:
    """Two 3x3 convolutions 4 -> 4 (pad 1, 9x9) sharing one weight tensor: its 144 params count once."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="first", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["y", "w"], ["z"], name="second", pads=[1, 1, 1, 1]),
    ]
    return save(path, nodes, [("x", [1, 4, 9, 9])], ["z"], [init("w", [4, 4, 3, 3])])


def _branches(path: Path) -> str:
    """A residual block and a concatenation: conv -> relu -> conv, added to the input; then
    concat with a maxpool of the input, then Resize x2, Pad, Clip(0, 6) and a ceil-mode AveragePool.
    Scales and bounds are Constant nodes, as torch writes them (a float initializer would be a param)."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["a"], name="c1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["ar"], name="r1"),
        helper.make_node("Conv", ["ar", "w2"], ["b"], name="c2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["b", "x"], ["s"], name="residual"),
        helper.make_node("MaxPool", ["x"], ["m"], name="pool", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["s", "m"], ["cat"], name="cat", axis=1),
        helper.make_node("Constant", [], ["scales"], name="scales", value=init("s", [4], values=[1, 1, 2, 2])),
        helper.make_node("Resize", ["cat", "", "scales"], ["up"], name="up", mode="nearest"),
        helper.make_node("Pad", ["up", "pads"], ["padded"], name="pad"),
        helper.make_node("Constant", [], ["lo"], name="lo", value=init("lo", [], values=[0])),
        helper.make_node("Constant", [], ["hi"], name="hi", value=init("hi", [], values=[6])),
        helper.make_node("Clip", ["padded", "lo", "hi"], ["clip"], name="relu6"),
        helper.make_node("AveragePool", ["clip"], ["avg"], name="avg", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    ]
    inits = [
        init("w1", [8, 8, 3, 3]),
        init("b1", [8]),
        init("w2", [8, 8, 3, 3]),
        init("pads", [8], np.int64, [0, 0, 1, 0, 0, 0, 1, 2]),
    ]
    return save(path, nodes, [("x", [1, 8, 6, 6])], ["avg"], inits)


def _unknown(path: Path) -> str:
    """A conv (2 -> 2, 1x1, on 4x4) then three CustomOp nodes convcost does not know."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="conv"),
        helper.make_node("CustomOp", ["y"], ["u1"], name="custom1"),
        helper.make_node("CustomOp", ["u1"], ["u2"], name="custom2"),
        helper.make_node("CustomOp", ["u2"], ["u3"], name="custom3"),
    ]
    return save(path, nodes, [("x", [1, 2, 4, 4])], ["u3"], [init("w", [2, 2, 1, 1])])


CASES: dict[str, Case] = {
    **CONV_CASES,
    # grouped: 10x10x8 outputs x (4/2) x 9 = 14,400; weights 8x2x3x3 = 144 + bias 8; depthwise: 100x8 x 1 x 9 = 7,200; 72 weights
    "grouped_and_depthwise": Case(_grouped, 100 * 8 * 2 * 9 + 100 * 8 * 1 * 9, 144 + 8 + 72),
    # up1: input 7x7x8 = 392 elements x C_out/group 4 x 9 = 14,112; widen: 14x14x8 x 4 x 9 = 56,448;
    # up2: input 14x14x8 = 1,568 x 4 x 9 = 56,448; params 288 + 4 + 288 + 288
    "conv_transpose": Case(_deconv, 392 * 4 * 9 + 196 * 8 * 4 * 9 + 1568 * 4 * 9, 288 + 4 + 288 + 288),
    "gemm_trans_b": Case(_gemm, 1 * 10 * 64, 640 + 10),
    "gemm_trans_a": Case(_gemm_trans_a, 1 * 10 * 64, 640, expressible=False),
    # 2-D: 1x16x32; 3-D: 5x16x32; 4-D: batch (1,1) with (1,3) broadcasts to 3: 3x5x16x32; weights 512 + 1,536
    "matmul_broadcast": Case(_matmuls, 16 * 32 + 5 * 16 * 32 + 3 * 5 * 16 * 32, 512 + 1536, expressible=False),
    # projections 3 x (6x16x16); Q K^T: 6x6 outputs x 16; A V: 6x16 outputs x 6
    "attention": Case(_attention, 3 * 6 * 16 * 16 + 6 * 6 * 16 + 6 * 16 * 6, 3 * 256, expressible=False),
    # conv: 6x6x8 x 3 x 9 = 7,776, 216 weights; bn: scale and shift 16 (mean through Identity and var excluded)
    "batchnorm": Case(_batchnorm, 36 * 8 * 27, 216 + 16),
    # scale 8 + shift 8 once; mean excluded; var counted (it also feeds the Add); the int64 shape is not a param
    "batchnorm_shared": Case(_batchnorm_shared, 0, 8 + 8 + 8, expressible=False),
    # 2 x 81x4 outputs x 4 x 9; one 144-weight tensor
    "shared_conv": Case(_shared_conv, 2 * 81 * 4 * 4 * 9, 144, expressible=False),
    # two 3x3 convs 8 -> 8 on 6x6: 2 x 36x8 x 8 x 9; params 576 + 8 + 576
    "branches": Case(_branches, 2 * 36 * 8 * 8 * 9, 576 + 8 + 576),
    # 16 outputs x 2 x 1 x 1 x 2 channels
    "unknown_op": Case(_unknown, 16 * 2 * 2, 4, expressible=False),
}


def case_file(tmp_path: Path, name: str) -> str:
    """Build case ``name`` in ``tmp_path``."""
    return CASES[name].build(tmp_path / f"{name}.onnx")
