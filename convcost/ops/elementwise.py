"""Shape-keeping and reshaping ops: activations, dropout, identity, prelu, normalization,
flatten, channel shuffle, explicit padding and upsampling. None of them has mults.

Activations, prelu and normalization read and write every element once; identity, dropout
and flatten are views at inference and move no data (0 elements read or written).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, parse_int, parse_pair
from convcost.errors import ConvcostError
from convcost.ops.parsers import COUNT_SCHEMA, EXPLICIT_PADDING_SCHEMA, PAIR_SCHEMA, choice, parse_explicit_padding
from convcost.ops.registry import Evaluated, Key, OpDef, register

ACTIVATIONS = ("relu", "relu6", "sigmoid", "silu", "swish", "hardswish", "hardsigmoid", "gelu", "tanh", "softmax")
VIEWS = ("identity", "dropout")


def _elems(shape: Shape) -> int:
    return shape.h * shape.w * shape.c


def evaluate_pointwise_free(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Same shape out; params: ``C`` for prelu, ``2C`` for batchnorm and layernorm, else 0."""
    (shape,) = inputs
    params = {"prelu": shape.c, "batchnorm": 2 * shape.c, "layernorm": 2 * shape.c}.get(kind, 0)
    if kind in VIEWS:
        return Evaluated(shape, Cost())
    n = _elems(shape)
    return Evaluated(shape, Cost(0, params, n, n, params))


register(OpDef(ACTIVATIONS, evaluate_pointwise_free, summary="activation: same shape, 0 mults, 0 params"))
register(OpDef(VIEWS, evaluate_pointwise_free, summary="no-op at inference: same shape, 0 mults, 0 params"))
register(OpDef(("prelu",), evaluate_pointwise_free, summary="PReLU: same shape, 0 mults, C params (one slope per channel)"))
register(OpDef(("batchnorm", "layernorm"), evaluate_pointwise_free, auto_name="bn", auto_names={"layernorm": "ln"},
               summary="normalization: same shape, 0 mults, 2C params (scale and shift)"))  # fmt: skip


def evaluate_flatten(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``1x1x(H*W*C)``."""
    (shape,) = inputs
    return Evaluated(Shape(1, 1, _elems(shape)), Cost())


register(OpDef(("flatten",), evaluate_flatten, summary="flatten: 1x1x(H*W*C), 0 mults, 0 params"))


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
    """Explicit zero padding: ``(H + top + bottom) x (W + left + right) x C``."""
    (shape,) = inputs
    top, bottom, left, right = v["padding"]
    out = Shape(shape.h + top + bottom, shape.w + left + right, shape.c)
    return Evaluated(out, Cost(0, 0, _elems(shape), _elems(out), 0))


register(
    OpDef(
        ("pad",),
        evaluate_pad,
        {"padding": Key(parse_explicit_padding, EXPLICIT_PADDING_SCHEMA, "P, PHxPW, or top,bottom,left,right")},
        required=("padding",),
        summary="zero padding: padded shape, 0 mults, 0 params",
    )
)


def evaluate_upsample(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``scale`` (SHxSW) multiplies H and W; ``size`` (HxW) sets them."""
    (shape,) = inputs
    if ("scale" in v) == ("size" in v):
        raise ConvcostError("upsample takes exactly one of scale: (e.g. 2) and size: (e.g. 56x56)")
    if "scale" in v:
        sh, sw = v["scale"]
        out = Shape(shape.h * sh, shape.w * sw, shape.c)
    else:
        h, w = v["size"]
        out = Shape(h, w, shape.c)
    return Evaluated(out, Cost(0, 0, _elems(shape), _elems(out), 0))


register(
    OpDef(
        ("upsample",),
        evaluate_upsample,
        {
            "scale": Key(parse_pair, PAIR_SCHEMA, "scale factor: S or SHxSW"),
            "size": Key(parse_pair, PAIR_SCHEMA, "output size: HxW"),
            "mode": Key(choice("nearest", "bilinear"), {"enum": ["nearest", "bilinear"]}, "nearest (default) or bilinear"),
        },
        auto_name="up",
        summary="upsampling: scaled HxW, 0 mults, 0 params",
    )
)
