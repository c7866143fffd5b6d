"""``linear``: a fully connected layer on the flattened input, ``features * out`` mults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape
from convcost.errors import ConvcostError
from convcost.ops.conv import KEYS
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
    )
)
