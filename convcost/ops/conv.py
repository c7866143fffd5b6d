"""Convolutions: ``conv``, ``depthwise``, ``pointwise`` and the transposed ``deconv``.

``mults = Ho * Wo * N * (C/G) * KH * KW`` (a transposed convolution: ``H * W * C * (N/G) * KH * KW``,
one multiply-accumulate per weight use); params are the weights, a bias per output channel
with ``bias``, and 2 per output channel with ``bn`` (batch-norm scale and shift).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost, conv_cost
from convcost.core.shapes import Conv, Shape, make_conv, parse_bool, parse_int, parse_padding, parse_pair, shown
from convcost.errors import ConvcostError
from convcost.factorize.solve import RANK_SCHEMA, parse_rank
from convcost.ops.parsers import (
    BOOL_SCHEMA,
    COUNT_SCHEMA,
    EXPLICIT_PADDING_SCHEMA,
    PADDING_SCHEMA,
    PAIR0_SCHEMA,
    PAIR_SCHEMA,
    method_schema,
    parse_explicit_padding,
    parse_method,
    parse_pair0,
)
from convcost.ops.registry import Evaluated, Key, OpDef, kernel_text, register

KEYS = {
    "k": Key(parse_pair, PAIR_SCHEMA, "kernel size: K or KHxKW"),
    "out": Key(parse_int, COUNT_SCHEMA, "output channels"),
    "stride": Key(parse_pair, PAIR_SCHEMA, "stride: S or SHxSW"),
    "padding": Key(parse_padding, PADDING_SCHEMA, "padding: P, PHxPW, same or valid"),
    "dilation": Key(parse_pair, PAIR_SCHEMA, "dilation: D or DHxDW"),
    "groups": Key(parse_int, COUNT_SCHEMA, "groups (C and N must divide by it)"),
    "bias": Key(parse_bool, BOOL_SCHEMA, "one bias per output channel"),
    "rank": Key(parse_rank, RANK_SCHEMA, "rank for low-rank, tucker2 (R3xR4) and cp; a fraction in (0, 1) of each full rank"),
    "mid": Key(parse_int, COUNT_SCHEMA, "middle channels for the spatial-separable what-if"),
    "bn": Key(parse_bool, BOOL_SCHEMA, "batch norm after it: 2 params per output channel"),
    "as": Key(parse_method, method_schema(), "build it as this factorization"),
    "multiplier": Key(parse_int, COUNT_SCHEMA, "depthwise channel multiplier"),
    "output_padding": Key(parse_pair0, PAIR0_SCHEMA, "extra rows/columns on one side of a transposed conv's output"),
}


def _conv(shape: Shape, n: int, k: tuple[int, int], v: Mapping[str, Any], groups: int) -> Conv:
    return make_conv(
        shape,
        n,
        k,
        v.get("stride", (1, 1)),
        v.get("padding", (0, 0, 0, 0)),
        v.get("dilation", (1, 1)),
        groups,
        bool(v.get("bias", False)),
    )


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``conv``, ``depthwise`` or ``pointwise`` on one input."""
    (shape,) = inputs
    if kind == "depthwise":
        conv = _conv(shape, shape.c * v.get("multiplier", 1), v["k"], v, groups=shape.c)
    elif kind == "pointwise":
        conv = _conv(shape, v["out"], (1, 1), v, groups=v.get("groups", 1))
    else:
        conv = _conv(shape, v["out"], v["k"], v, groups=v.get("groups", 1))
    return Evaluated(conv.out, conv_cost(conv, 2 * conv.out.c if v.get("bn") else 0), kernel_text(conv.k, conv.stride), conv)


register(
    OpDef(
        ("conv", "depthwise", "pointwise"),
        evaluate,
        KEYS,
        type_keys={
            "conv": ("k", "out", "stride", "padding", "dilation", "groups", "bias", "rank", "mid", "bn", "as"),
            "depthwise": ("k", "stride", "padding", "dilation", "bias", "bn", "multiplier"),
            "pointwise": ("out", "stride", "padding", "groups", "bias", "rank", "bn", "as"),
        },
        required_of={"conv": ("k", "out"), "depthwise": ("k",), "pointwise": ("out",)},
        auto_names={"conv": "conv", "depthwise": "dw", "pointwise": "pw"},
        factorizable=True,
        summary="convolution: Ho*Wo*N*(C/G)*KH*KW mults; KH*KW*(C/G)*N params (+N bias, +2N bn)",
    )
)


def deconv_size(size: int, k: int, stride: int, pad_total: int, dilation: int, output_padding: int) -> int:
    """PyTorch's ConvTranspose2d: ``(H - 1)*s - pad_total + d*(k - 1) + output_padding + 1``."""
    return (size - 1) * stride - pad_total + dilation * (k - 1) + output_padding + 1


def deconv_sizes(
    sizes: Sequence[int], channels: int, n: int, groups: int, k: Sequence[int], stride: Sequence[int],
    begin: Sequence[int], end: Sequence[int], dilation: Sequence[int], output_padding: Sequence[int],
) -> tuple[int, ...]:  # fmt: skip
    """A transposed convolution's rule, for any rank and every front end: ``groups`` divides both channel
    counts, ``output_padding`` is below the stride or the dilation, the output has every size >= 1."""
    if n < 1:
        raise ConvcostError(f"a transposed convolution needs 1 or more output channels, got {n}")
    if channels % groups or n % groups:
        raise ConvcostError(f"groups {groups} must divide both the {channels} input and the {n} output channels")
    axes = ("height", "width") if len(sizes) == 2 else tuple(f"axis {i}" for i in range(len(sizes)))
    for axis, extra, s, d in zip(axes, output_padding, stride, dilation, strict=True):
        if extra >= max(s, d):
            raise ConvcostError(f"output_padding {extra} ({axis}) must be smaller than the stride or the dilation ({s}, {d})")
    totals = [b + e for b, e in zip(begin, end, strict=True)]
    out = tuple(deconv_size(*axis) for axis in zip(sizes, k, stride, totals, dilation, output_padding, strict=True))
    if min(out, default=1) < 1:
        padding = ",".join(f"{b},{e}" for b, e in zip(begin, end, strict=True))
        raise ConvcostError(f"the padding {padding} leaves no output ({'x'.join(map(str, out))}) for input {'x'.join(map(str, sizes))}")
    return out


def evaluate_deconv(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """A transposed convolution: every input element times ``(N/G) * KH * KW`` weights."""
    (shape,) = inputs
    k, n = v["k"], v["out"]
    stride, dilation = v.get("stride", (1, 1)), v.get("dilation", (1, 1))
    groups = v.get("groups", 1)
    top, bottom, left, right = v.get("padding", (0, 0, 0, 0))
    out_pad = v.get("output_padding", (0, 0))
    ho, wo = deconv_sizes((shape.h, shape.w), shape.c, n, groups, k, stride, (top, left), (bottom, right), dilation, out_pad)
    out = Shape(ho, wo, n)
    weights = k[0] * k[1] * (shape.c // groups) * n
    params = weights + (n if v.get("bias") else 0) + (2 * n if v.get("bn") else 0)
    mults = shape.h * shape.w * shape.c * (n // groups) * k[0] * k[1]
    return Evaluated(out, Cost(mults, params, shape.h * shape.w * shape.c, ho * wo * n, params), kernel_text(k, stride))


register(
    OpDef(
        ("deconv",),
        evaluate_deconv,
        {
            "k": KEYS["k"],
            "out": KEYS["out"],
            "stride": KEYS["stride"],
            "padding": Key(parse_explicit_padding, EXPLICIT_PADDING_SCHEMA, "padding: P or PHxPW"),
            "output_padding": KEYS["output_padding"],
            "dilation": KEYS["dilation"],
            "groups": KEYS["groups"],
            "bias": KEYS["bias"],
            "bn": KEYS["bn"],
        },
        required=("k", "out"),
        auto_name="deconv",
        summary="transposed convolution: H*W*C*(N/G)*KH*KW mults; KH*KW*(C/G)*N params",
    )
)


def not_factorized_reason(kind: str) -> str | None:
    """Why a layer of this type is left as it is in the what-if (None for a candidate type)."""
    if kind == "deconv":
        return "a transposed convolution is not factorized"
    return None


__all__ = ["deconv_size", "deconv_sizes", "not_factorized_reason", "shown"]
