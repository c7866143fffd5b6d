"""``linear``: a fully connected layer on the flattened input, ``features * out`` mults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, shown
from convcost.errors import ConvcostError
from convcost.ops.conv import KEYS
from convcost.ops.onnx_node import FLAG, UNKNOWN, Lowered, OnnxHandler, OnnxNode, broadcasts
from convcost.ops.registry import Evaluated, OpDef, register


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``H*W*C`` features in, ``out`` features out; params ``features*out`` (+ bias, + 2 per output with bn)."""
    (shape,) = inputs
    features = shape.h * shape.w * shape.c
    if "features" in v and v["features"] != features:
        raise ConvcostError(f"linear expects {v['features']:,} input features, but its input {shape} flattens to {features:,}")
    n = v["out"]
    params = features * n + (n if v.get("bias") else 0) + (2 * n if v.get("bn") else 0)
    return Evaluated(Shape(1, 1, n), Cost(features * n, params, features, n, params))


def matmul_mults(a: Sequence[int], b: Sequence[int]) -> int:
    """numpy ``matmul``: the broadcast batch dimensions x M x N x K (a 1-D operand is a vector)."""
    if not a or not b:
        raise ConvcostError("MatMul needs operands of rank 1 or more")
    a = (1, *a) if len(a) == 1 else tuple(a)
    b = (*b, 1) if len(b) == 1 else tuple(b)
    m, k, n = a[-2], a[-1], b[-1]
    batch_a, batch_b = a[:-2], b[:-2]
    width = max(len(batch_a), len(batch_b))
    batch_a = (1,) * (width - len(batch_a)) + batch_a
    batch_b = (1,) * (width - len(batch_b)) + batch_b
    batch = prod(max(x, y) if 1 in (x, y) else x for x, y in zip(batch_a, batch_b, strict=True))
    return batch * m * n * k


def onnx_gemm_mults(node: OnnxNode) -> int:
    """Gemm: M x N x K (``transA``, ``transB``)."""
    a, b = node.need(0), node.need(1)
    m, k = (a[1], a[0]) if node.attrs.get("transA", 0) else (a[0], a[1])
    n = b[0] if node.attrs.get("transB", 0) else b[1]
    return m * n * k


def onnx_matmul_mults(node: OnnxNode) -> int:
    """MatMul: the broadcast batch dimensions x M x N x K, whether the second operand is a weight or an activation."""
    return matmul_mults(node.need(0), node.need(1))


def check_onnx_gemm(node: OnnxNode) -> None:
    """Gemm's C broadcasts one way onto its (M, N) output: at most 2 dimensions, each 1 or the output's."""
    if len(node.inputs) < 3 or not node.inputs[2]:
        return
    bias, out = node.known(2), node.out_dims[0] if node.out_dims else None
    if bias is None or out is None or any(d < 0 for d in out):
        return
    if len(bias) > 2 or not broadcasts(bias, out):
        raise ConvcostError(
            f"{node.where}: its C {shown(node.inputs[2])} is {'x'.join(map(str, bias)) or 'a scalar'}; expected a shape that "
            f"broadcasts onto the {'x'.join(map(str, out))} output (at most 2 dimensions, each 1 or the output's)"
        )


def lower_onnx_linear(node: OnnxNode) -> Lowered | None:
    """Gemm or MatMul of a batch of vectors by a 2-D weight as ``linear`` (Gemm's C as its bias when it is one per output)."""
    attrs, ins = node.attrs, node.inputs
    dims, weight = node.known(0), node.known(1)
    if dims is None or len(dims) != 2 or len(node.activations) != 1:
        return None
    if weight is None or len(weight) != 2 or attrs.get("transA", 0):
        return None
    n = weight[0] if attrs.get("transB", 0) else weight[1]
    bias = False
    if node.op_type == "Gemm" and len(ins) > 2 and ins[2]:
        c = node.dims[2]
        if c is None or not node.constant[2] or UNKNOWN in c or prod(c) != n:
            return None
        bias = True
    return ("linear", {"out": n, "bias": bias}, (ins[0],))


register(
    OpDef(
        ("linear",),
        evaluate,
        {
            "out": KEYS["out"],
            "bias": KEYS["bias"],
            "bn": KEYS["bn"],
            "features": KEYS["out"]._replace(description="input features (checked)"),
        },
        required=("out",),
        auto_name="fc",
        summary="fully connected on the flattened input: features*out mults and params (+out bias)",
        onnx={
            "Gemm": OnnxHandler(lower_onnx_linear, {"transA": FLAG, "transB": FLAG}, onnx_gemm_mults, check=check_onnx_gemm),
            "MatMul": OnnxHandler(lower_onnx_linear, mults=onnx_matmul_mults),
        },
    )
)
