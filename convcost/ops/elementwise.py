"""Shape-keeping and reshaping ops: activations, dropout, identity, prelu, normalization,
flatten, channel shuffle, explicit padding and upsampling. None of them has mults.

Activations, prelu and normalization read and write every element once; identity, dropout
and flatten are views at inference and move no data (0 elements read or written).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, explicit_padding, parse_int, parse_sizes, per_axis, shown
from convcost.errors import ConvcostError
from convcost.ops.onnx_node import Lowered, OnnxHandler, OnnxNode, TensorShape, broadcasts, not_lowered, one_of
from convcost.ops.parsers import COUNT_SCHEMA, EXPLICIT_PADDING_SCHEMA, SIZES_SCHEMA, choice, parse_explicit_padding
from convcost.ops.registry import Evaluated, Key, OpDef, register

ACTIVATIONS = ("relu", "relu6", "sigmoid", "silu", "swish", "hardswish", "hardsigmoid", "gelu", "tanh", "softmax")
VIEWS = ("identity", "dropout")


def _elems(shape: Shape) -> int:
    return shape.elements


def evaluate_pointwise_free(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Same shape out; params: ``C`` for prelu, ``2C`` for batchnorm and layernorm, else 0."""
    (shape,) = inputs
    params = {"prelu": shape.c, "batchnorm": 2 * shape.c, "layernorm": 2 * shape.c}.get(kind, 0)
    if kind in VIEWS:
        return Evaluated(shape, Cost())
    n = _elems(shape)
    return Evaluated(shape, Cost(0, params, n, n, params))


def same_type(kind: str) -> OnnxHandler:
    """The handler of an ONNX op that is the model-file type ``kind`` on one activation, with no keys."""

    def lower(node: OnnxNode) -> Lowered | None:
        return (kind, {}, (node.inputs[0],)) if len(node.activations) == 1 else None

    lower.__doc__ = f"One activation in: ``{kind}``."
    return OnnxHandler(lower)


def clip_range(node: OnnxNode) -> tuple[float, float] | None:
    """Clip's (min, max), from attributes (opset < 11) or constant inputs; None when either is not known."""
    low, high = node.attrs.get("min"), node.attrs.get("max")
    if len(node.inputs) > 1 and node.inputs[1]:
        found = node.value(1, "min", scalar=True)
        low = found[0] if found and len(found) == 1 else None
    if len(node.inputs) > 2 and node.inputs[2]:
        found = node.value(2, "max", scalar=True)
        high = found[0] if found and len(found) == 1 else None
    if low is None or high is None:
        return None
    return (float(low), float(high))


def lower_onnx_clip(node: OnnxNode) -> Lowered | None:
    """Clip to [0, 6] as ``relu6``."""
    if len(node.activations) == 1 and clip_range(node) == (0.0, 6.0):
        return ("relu6", {}, (node.inputs[0],))
    return None


_ONNX_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish",
                     "HardSigmoid": "hardsigmoid", "Gelu": "gelu", "Softmax": "softmax"}  # fmt: skip
"""ONNX ops that are a model-file activation of the same shape and no keys."""

register(
    OpDef(
        ACTIVATIONS,
        evaluate_pointwise_free,
        summary="activation: same shape, 0 mults, 0 params",
        onnx={**{op: same_type(kind) for op, kind in _ONNX_ACTIVATIONS.items()}, "Clip": OnnxHandler(lower_onnx_clip, not_params=(1, 2))},
    )
)
register(
    OpDef(
        VIEWS,
        evaluate_pointwise_free,
        summary="no-op at inference: same shape, 0 mults, 0 params",
        onnx={"Identity": same_type("identity")._replace(passes_through=True), "Dropout": same_type("dropout")},
    )
)


def check_onnx_prelu(node: OnnxNode) -> None:
    """PRelu's slope broadcasts one way onto its input (shape inference does not check it)."""
    dims, slope = node.known(0), node.known(1) if len(node.inputs) > 1 else None
    if dims is None or slope is None:
        return
    if not broadcasts(slope, dims):
        raise ConvcostError(
            f"{node.where}: its slope {shown(node.inputs[1])} is {'x'.join(map(str, slope))}; expected a shape that "
            f"broadcasts onto the {'x'.join(map(str, dims))} input"
        )


register(OpDef(("prelu",), evaluate_pointwise_free, summary="PReLU: same shape, 0 mults, C params (one slope per channel)",
               onnx={"PRelu": same_type("prelu")._replace(check=check_onnx_prelu)}))  # fmt: skip
register(OpDef(("batchnorm", "layernorm"), evaluate_pointwise_free, auto_name="bn", auto_names={"layernorm": "ln"},
               summary="normalization: same shape, 0 mults, 2C params (scale and shift)",
               onnx={"BatchNormalization": same_type("batchnorm")._replace(not_params=(3, 4), layout="window")}))  # fmt: skip


def evaluate_flatten(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``1x1x(H*W*C)``."""
    (shape,) = inputs
    return Evaluated(Shape(1, 1, _elems(shape)), Cost())


def lower_onnx_reshape(node: OnnxNode) -> Lowered | None:
    """Flatten, Reshape, Squeeze or Unsqueeze of a feature map: ``identity`` when the shape is kept, ``flatten`` to a vector."""
    if len(node.activations) != 1:
        return None
    inp, out = node.shape(0), node.out
    if isinstance(inp, TensorShape) or isinstance(out, TensorShape):
        return None
    if out == inp and (node.op_type != "Flatten" or set(inp.spatial) == {1}):
        return ("identity", {}, (node.inputs[0],)) if node.op_type != "Flatten" else ("flatten", {}, (node.inputs[0],))
    if out == Shape(1, 1, inp.elements):
        return ("flatten", {}, (node.inputs[0],))
    return None


def check_onnx_reshape(node: OnnxNode) -> None:
    """A reshaping node keeps its elements: an input of 192 elements cannot become 1x7 (shape inference
    lets a constant target through; the figures downstream would be a network's that does not exist)."""
    if node.op_type == "Reshape" and len(node.dims) > 1 and node.dims[1] is not None and len(node.dims[1]) != 1:
        target = "x".join(map(str, node.dims[1])) or "a scalar"
        raise ConvcostError(f"{node.where}: its shape input {shown(node.inputs[1])} is {target}; expected a 1-D tensor (one size per axis)")
    dims = node.known(0)
    out = node.out_dims[0] if node.out_dims else None
    if dims is None or out is None or any(d < 0 for d in out):
        return
    before, after = math.prod(dims), math.prod(out)
    if before != after:
        raise ConvcostError(
            f"{node.where}: its output {shown(node.outputs[0])} would be {'x'.join(map(str, out))} ({after:,} elements) "
            f"from an input of {'x'.join(map(str, dims))} ({before:,} elements); expected the same number of elements"
        )


def check_onnx_gather(node: OnnxNode) -> None:
    """A Gather's constant indices lie in its axis: -size to size - 1 (shape inference does not check them)."""
    dims = node.known(0)
    if dims is None or len(node.inputs) < 2 or not node.inputs[1] or not node.constant[1]:
        return
    axis = node.attrs.get("axis", 0)
    if not isinstance(axis, int) or not -len(dims) <= axis < len(dims):
        return  # shape inference refuses an axis out of range
    size = dims[axis]
    for index in node.value(1, "indices") or ():
        if not -size <= index < size:
            raise ConvcostError(
                f"{node.where}: index {index:g} of {shown(node.inputs[1])} is outside axis {axis} of size {size}; "
                f"expected {-size} to {size - 1}"
            )


def check_onnx_range(node: OnnxNode) -> None:
    """Range's constant start, limit and delta: a delta of 0 is undefined, and the count the values give,
    ceil((limit - start) / delta), is the output's and at least 1 (shape inference may say 0 where the
    values give 10^60)."""
    if len(node.inputs) < 3 or not all(node.constant[:3]):
        return
    values = [node.value(slot, what, scalar=True) for slot, what in ((0, "start"), (1, "limit"), (2, "delta"))]
    if any(not v for v in values):
        return
    start, limit, delta = (v[0] for v in values if v)
    if delta == 0 or not all(math.isfinite(x) for x in (start, limit, delta)):
        raise ConvcostError(f"{node.where}: delta {delta:g}; expected a finite delta other than 0")
    count = max(math.ceil((limit - start) / delta), 0)
    out = node.out_dims[0] if node.out_dims else None
    known = out[0] if out and len(out) == 1 and out[0] >= 0 else None
    if count < 1:
        raise ConvcostError(
            f"{node.where}: its output {shown(node.outputs[0])} would have 0 values (from {start:g} to {limit:g} by {delta:g}); "
            "expected 1 or more"
        )
    if known is not None and known != count:
        raise ConvcostError(
            f"{node.where}: its output {shown(node.outputs[0])} has {known:,} values by ONNX shape inference, but its start, "
            f"limit and delta give {count:.3g} (from {start:g} to {limit:g} by {delta:g}); expected the two to agree"
        )


_RESHAPE = OnnxHandler(lower_onnx_reshape, check=check_onnx_reshape)
register(OpDef(("flatten",), evaluate_flatten, summary="flatten: 1x1x(H*W*C), 0 mults, 0 params",
               onnx={"Flatten": _RESHAPE, "Reshape": _RESHAPE, "Squeeze": _RESHAPE, "Unsqueeze": _RESHAPE,
                     "Gather": OnnxHandler(not_lowered, check=check_onnx_gather),
                     "Range": OnnxHandler(not_lowered, check=check_onnx_range)}))  # fmt: skip


def evaluate_shuffle(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """ShuffleNet's channel shuffle: same shape; ``groups`` must divide the channels."""
    (shape,) = inputs
    groups = v["groups"]
    if shape.c % groups:
        raise ConvcostError(f"shuffle groups {groups} does not divide the {shape.c} channels")
    n = _elems(shape)
    return Evaluated(shape, Cost(0, 0, n, n, 0))


register(
    OpDef(
        ("shuffle",),
        evaluate_shuffle,
        {"groups": Key(parse_int, COUNT_SCHEMA, "channel groups to interleave")},
        required=("groups",),
        summary="channel shuffle: same shape, 0 mults, 0 params",
    )
)


def evaluate_pad(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Explicit zero padding: ``(H + top + bottom) x (W + left + right) x C``, and so on each axis in any rank."""
    (shape,) = inputs
    padding = explicit_padding(v["padding"], shape.rank, shape)
    out = Shape(*(n + b + e for n, b, e in zip(shape.spatial, padding[0::2], padding[1::2], strict=True)), shape.c)
    return Evaluated(out, Cost(0, 0, _elems(shape), _elems(out), 0))


def lower_onnx_pad(node: OnnxNode) -> Lowered | None:
    """Pad of the spatial axes only (``pads`` an attribute or a constant input, no ``axes``) of a 1-D, 2-D or 3-D map as ``pad``."""
    dims = node.known(0)
    if dims is None or len(dims) not in (3, 4, 5) or len(node.activations) != 1:
        return None
    if len(node.inputs) > 3 and node.inputs[3]:  # axes
        return None
    raw = node.attrs.get("pads")
    if len(node.inputs) > 1 and node.inputs[1]:
        found = node.value(1, "pads")
        raw = tuple(int(v) for v in found) if found is not None else None
    rank = len(dims)
    if raw is None or len(raw) != 2 * rank or raw[0] or raw[1] or raw[rank] or raw[rank + 1] or min(raw) < 0:
        return None
    padding = tuple(p for axis in range(2, rank) for p in (raw[axis], raw[rank + axis]))
    return ("pad", {"padding": padding}, (node.inputs[0],))


register(
    OpDef(
        ("pad",),
        evaluate_pad,
        {"padding": Key(parse_explicit_padding, EXPLICIT_PADDING_SCHEMA, "P, PHxPW, or top,bottom,left,right")},
        required=("padding",),
        summary="zero padding: padded shape, 0 mults, 0 params",
        onnx={"Pad": OnnxHandler(lower_onnx_pad, {"mode": one_of("constant", "reflect", "edge", "wrap")}, layout="keeps")},
    )
)


def evaluate_upsample(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``scale`` (SHxSW) multiplies H and W; ``size`` (HxW) sets them (any rank: one value or one per axis)."""
    (shape,) = inputs
    if ("scale" in v) == ("size" in v):
        raise ConvcostError("upsample takes exactly one of scale: (e.g. 2) and size: (e.g. 56x56)")
    if "scale" in v:
        scale = per_axis(v["scale"], shape.rank, "scale", shape)
        out = Shape(*(n * s for n, s in zip(shape.spatial, scale, strict=True)), shape.c)
    else:
        out = Shape(*per_axis(v["size"], shape.rank, "size", shape), shape.c)
    return Evaluated(out, Cost(0, 0, _elems(shape), _elems(out), 0))


def check_onnx_resize(node: OnnxNode) -> None:
    """Resize's constant ``sizes`` (input 3) or ``scales`` (input 2) give every output dimension >= 1
    (shape inference leaves a 0 or negative size unknown: it is refused here, naming the tensor and the shape)."""
    if node.op_type != "Resize":
        return
    for slot, what in ((3, "sizes"), (2, "scales")):
        if len(node.inputs) <= slot or not node.inputs[slot] or not node.constant[slot]:
            continue
        values = node.value(slot, what)
        if not values:
            continue
        dims = node.known(0)
        if "axes" in node.attrs or dims is None or len(dims) != len(values):
            out: tuple[object, ...] = tuple(values)
        elif slot == 3:
            out = tuple(int(v) for v in values)
        else:
            out = tuple(int(d * v) if math.isfinite(v) else v for d, v in zip(dims, values, strict=True))
        if all(isinstance(d, int) and d >= 1 for d in out):
            return
        text = "x".join(map(str, out))
        text = text if len(text) <= 60 else text[:57] + "..."
        raise ConvcostError(
            f"{node.where}: its output {shown(node.outputs[0])} would be {text} (from {what} {shown(node.inputs[slot])}); "
            "expected every dimension to be 1 or more"
        )


def lower_onnx_resize(node: OnnxNode) -> Lowered | None:
    """Resize or Upsample of the spatial axes (nearest or linear) of a 1-D, 2-D or 3-D map as ``upsample``:
    a whole scale when there is one, else the size."""
    dims, out = node.known(0), node.out_dims[0] if node.out_dims else None
    if dims is None or len(dims) not in (3, 4, 5) or len(node.activations) != 1:
        return None
    mode = node.attrs.get("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear") or out is None or len(out) != len(dims) or out[:2] != dims[:2] or min(out) < 1:
        return None
    values: dict[str, Any] = {"mode": "nearest" if mode == "nearest" else "bilinear"}
    sizes, targets = dims[2:], out[2:]
    if all(t % n == 0 for n, t in zip(sizes, targets, strict=True)):
        values["scale"] = tuple(t // n for n, t in zip(sizes, targets, strict=True))
    else:
        values["size"] = tuple(targets)
    return ("upsample", values, (node.inputs[0],))


_RESIZE_ATTRIBUTES = {
    "mode": one_of("nearest", "linear", "cubic"),
    "coordinate_transformation_mode": one_of(
        "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"
    ),
    "nearest_mode": one_of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"),
}
"""Resize's attributes that decide its output or which values it reads: each one of its op's words."""

register(
    OpDef(
        ("upsample",),
        evaluate_upsample,
        {
            "scale": Key(parse_sizes, SIZES_SCHEMA, "scale factor: S, or one per axis (SHxSW)"),
            "size": Key(parse_sizes, SIZES_SCHEMA, "output size: one per axis (HxW)"),
            "mode": Key(choice("nearest", "bilinear"), {"enum": ["nearest", "bilinear"]}, "nearest (default) or bilinear"),
        },
        auto_name="up",
        summary="upsampling: scaled HxW, 0 mults, 0 params",
        onnx={
            "Resize": OnnxHandler(lower_onnx_resize, _RESIZE_ATTRIBUTES, check=check_onnx_resize, layout="keeps"),
            "Upsample": OnnxHandler(lower_onnx_resize, {"mode": one_of("nearest", "linear", "bilinear")}, layout="keeps"),
        },
    )
)
