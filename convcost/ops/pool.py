"""``maxpool`` and ``avgpool``: windows over each channel (1-D, 2-D or 3-D), 0 mults and 0 params; ``global: true`` pools to 1x1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, parse_bool, per_axis, resolve_padding, shown, window_out
from convcost.errors import ConvcostError
from convcost.ops.conv import FEATURE_MAP_RANKS, KEYS, onnx_pads, onnx_pads_axes
from convcost.ops.onnx_node import FLAG, WINDOW, Lowered, OnnxHandler, OnnxNode, at_least
from convcost.ops.parsers import BOOL_SCHEMA
from convcost.ops.registry import Evaluated, Key, OpDef, kernel_text, register, window_kernel


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """The pooled shape (any rank); the stride defaults to the window."""
    (shape,) = inputs
    elems = shape.elements
    if v.get("global"):
        return Evaluated(Shape(*(1,) * shape.rank, shape.c), Cost(0, 0, elems, shape.c, 0), "global")
    rank = shape.rank
    k = per_axis(v["k"], rank, "kernel", shape)
    stride = per_axis(v.get("stride", k), rank, "stride", shape)
    ones = (1,) * rank
    pad = resolve_padding(v.get("padding", (0,)), shape, k, stride, ones)
    out = Shape(*window_out(shape, k, stride, pad, ones), shape.c)
    return Evaluated(out, Cost(0, 0, elems, out.elements, 0), kernel_text(k, stride))


def lower_onnx_pool(node: OnnxNode) -> Lowered | None:
    """A 1-D, 2-D or 3-D MaxPool or AveragePool as ``maxpool`` / ``avgpool`` (ceil mode's extra window as extra padding at the end)."""
    attrs, dims = node.attrs, node.known(0)
    out = node.out_dims[0] if node.out_dims else None
    if dims is None or len(dims) not in FEATURE_MAP_RANKS or len(node.activations) != 1 or out is None or len(out) != len(dims):
        return None
    rank = len(dims) - 2
    k = tuple(attrs.get("kernel_shape", ()))
    if len(k) != rank or any(d != 1 for d in attrs.get("dilations", (1,) * rank)) or min(out) < 1:
        return None
    stride = tuple(attrs.get("strides", (1,) * rank))
    pads = onnx_pads_axes(node, dims, k, stride, (1,) * rank)
    if pads is None:
        return None
    padding = list(pads)
    if attrs.get("ceil_mode", 0):  # the extra window of ceil mode as extra padding at the end
        for axis in range(rank):
            extra = (out[2 + axis] - 1) * stride[axis] + k[axis] - dims[2 + axis] - padding[2 * axis]
            padding[2 * axis + 1] = max(padding[2 * axis + 1], extra)
    kind = "maxpool" if node.op_type == "MaxPool" else "avgpool"
    return (kind, {"k": k, "stride": stride, "padding": tuple(padding)}, (node.inputs[0],))


def lower_onnx_global_pool(node: OnnxNode) -> Lowered | None:
    """GlobalAveragePool or GlobalMaxPool of a feature map as ``avgpool`` / ``maxpool`` with ``global``."""
    dims = node.known(0)
    if dims is None or len(dims) not in FEATURE_MAP_RANKS:
        return None
    return ("avgpool" if node.op_type == "GlobalAveragePool" else "maxpool", {"global": True}, (node.inputs[0],))


def onnx_pool_kernel(node: OnnxNode) -> str:
    """``3x3/2``: ``kernel_shape`` and the strides."""
    if "kernel_shape" not in node.attrs:
        return ""
    k = node.attrs["kernel_shape"]
    return window_kernel(k, node.attrs.get("strides", (1,) * len(k)))


_POOL = {**WINDOW, "ceil_mode": FLAG}


def check_onnx_ceil_pool(node: OnnxNode) -> None:
    """Ceil mode's output, by the runtimes' rule (ONNX's reference, ONNX Runtime, PyTorch): a last window that
    would start in the end padding is dropped. onnx's shape inference does not drop it (7 wide, k 2, s 2, pads 1:
    it gives 5, runtimes 4), and every layer after would be costed on a size no runtime makes: refused, naming both."""
    dims, out = node.known(0), node.out_dims[0] if node.out_dims else None
    if not node.attrs.get("ceil_mode", 0) or dims is None or out is None or len(out) != len(dims) or len(dims) < 3:
        return
    k = tuple(node.attrs.get("kernel_shape", ()))
    spatial = len(dims) - 2
    stride = tuple(node.attrs.get("strides", (1,) * spatial))
    dilation = tuple(node.attrs.get("dilations", (1,) * spatial))
    if len(k) != spatial or len(stride) != spatial or len(dilation) != spatial:
        return
    found = onnx_pads(node, dims[2:], k, stride, dilation)
    if found is None:
        return
    begin, end = found
    for axis in range(spatial):
        size, s, span = dims[2 + axis], stride[axis], dilation[axis] * (k[axis] - 1) + 1
        padded = size + begin[axis] + end[axis]
        if padded < span:
            return
        runtime = -(-(padded - span) // s) + 1
        if (runtime - 1) * s >= size + begin[axis]:
            runtime -= 1
        if out[2 + axis] >= 1 and out[2 + axis] != runtime:
            raise ConvcostError(
                f"{node.where}: with ceil_mode its output {shown(node.outputs[0])} is {runtime} on axis {2 + axis} by the runtimes' rule "
                f"(a last window that would start in the padding is dropped), but ONNX's shape inference gives {out[2 + axis]}; "
                "convcost costs no size a runtime does not make"
            )


_MAX = OnnxHandler(lower_onnx_pool, {**_POOL, "storage_order": FLAG}, kernel=onnx_pool_kernel, check=check_onnx_ceil_pool, layout="window")
_AVERAGE = OnnxHandler(
    lower_onnx_pool, {**_POOL, "count_include_pad": FLAG}, kernel=onnx_pool_kernel, check=check_onnx_ceil_pool, layout="window"
)

register(
    OpDef(
        ("maxpool", "avgpool"),
        evaluate,
        {
            "k": KEYS["k"],
            "stride": KEYS["stride"]._replace(description="stride (default: the window)"),
            "padding": KEYS["padding"],
            "global": Key(parse_bool, BOOL_SCHEMA, "pool each channel to 1x1 (1 per axis)"),
        },
        required=("k",),
        auto_name="pool",
        summary="pooling: 0 mults, 0 params",
        onnx={
            "MaxPool": _MAX,
            "AveragePool": _AVERAGE,
            "LpPool": OnnxHandler(
                attributes={**_POOL, "p": at_least(1)}, kernel=onnx_pool_kernel, check=check_onnx_ceil_pool, layout="window"
            ),
            "GlobalAveragePool": OnnxHandler(lower_onnx_global_pool, layout="window"),
            "GlobalMaxPool": OnnxHandler(lower_onnx_global_pool, layout="window"),
        },
    )
)
