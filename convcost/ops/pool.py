"""``maxpool`` and ``avgpool``: windows over each channel, 0 mults and 0 params; ``global: true`` pools to 1x1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, parse_bool, resolve_padding, window_out
from convcost.ops.conv import KEYS
from convcost.ops.parsers import BOOL_SCHEMA
from convcost.ops.registry import Evaluated, Key, OpDef, kernel_text, register


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """The pooled shape; the stride defaults to the window."""
    (shape,) = inputs
    elems = shape.h * shape.w * shape.c
    if v.get("global"):
        return Evaluated(Shape(1, 1, shape.c), Cost(0, 0, elems, shape.c, 0), "global")
    k = v["k"]
    stride = v.get("stride", k)
    pad = resolve_padding(v.get("padding", (0, 0, 0, 0)), (shape.h, shape.w), k, stride, (1, 1))
    ho, wo = window_out(shape, k, stride, pad)
    return Evaluated(Shape(ho, wo, shape.c), Cost(0, 0, elems, ho * wo * shape.c, 0), kernel_text(k, stride))


register(
    OpDef(
        ("maxpool", "avgpool"),
        evaluate,
        {
            "k": KEYS["k"],
            "stride": KEYS["stride"]._replace(description="stride (default: the window)"),
            "padding": KEYS["padding"],
            "global": Key(parse_bool, BOOL_SCHEMA, "pool each channel to 1x1"),
        },
        required=("k",),
        auto_name="pool",
        summary="pooling: 0 mults, 0 params",
    )
)
