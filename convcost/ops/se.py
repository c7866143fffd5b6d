"""``se``: squeeze-excitation as torchvision's SqueezeExcitation.

Global average pool, 1x1 conv C -> S, activation, 1x1 conv S -> C, sigmoid, channel scaling:
``2*C*S`` mults and ``2*C*S`` params (``+ S + C`` with ``bias``, the default). ``squeeze`` sets
S; ``ratio`` r gives ``S = max(1, C // r)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, parse_bool, parse_int
from convcost.errors import ConvcostError
from convcost.ops.parsers import BOOL_SCHEMA, COUNT_SCHEMA
from convcost.ops.registry import Evaluated, Key, OpDef, register


def squeeze_channels(channels: int, v: Mapping[str, Any]) -> int:
    """S from ``squeeze`` or ``ratio``."""
    if ("squeeze" in v) == ("ratio" in v):
        raise ConvcostError("se takes exactly one of squeeze: (channels) and ratio: (C // ratio channels)")
    if "squeeze" in v:
        return int(v["squeeze"])
    return max(1, channels // int(v["ratio"]))


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Same shape out; the two 1x1 convolutions on the pooled 1x1xC vector are the stages."""
    (shape,) = inputs
    c = shape.c
    s = squeeze_channels(c, v)
    bias = v.get("bias", True)
    elems = shape.elements
    pooled, mid = Shape(1, 1, c), Shape(1, 1, s)
    fc1 = Cost(c * s, c * s + (s if bias else 0), c, s, c * s + (s if bias else 0))
    fc2 = Cost(s * c, s * c + (c if bias else 0), s, c, s * c + (c if bias else 0))
    stages = (
        ("pool", Cost(0, 0, elems, c, 0), shape, pooled),
        (f"fc 1x1 {c}->{s}", fc1, pooled, mid),
        (f"fc 1x1 {s}->{c}", fc2, mid, pooled),
        ("scale", Cost(0, 0, elems + c, elems, 0), shape, shape),
    )
    params = fc1.params + fc2.params
    return Evaluated(shape, Cost(2 * c * s, params, elems, elems, params), f"{c}->{s}->{c}", stages=stages)


register(
    OpDef(
        ("se",),
        evaluate,
        {
            "squeeze": Key(parse_int, COUNT_SCHEMA, "squeeze channels S"),
            "ratio": Key(parse_int, COUNT_SCHEMA, "reduction ratio r: S = max(1, C // r)"),
            "bias": Key(parse_bool, BOOL_SCHEMA, "biases on both 1x1 convolutions (default true)"),
        },
        summary="squeeze-excitation: 2*C*S mults, 2*C*S params (+S+C with bias)",
    )
)
