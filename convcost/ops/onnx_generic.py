"""``onnx``: a node read from an ONNX file that no model-file type expresses (MatMul on tokens,
Reshape, Transpose, Softmax over tokens, an op convcost does not know, ...).

Its cost and output shape were worked out by the ONNX front end with ONNX's own rules (see
``convcost.frontends.onnx``) and travel in the node's attributes: ``evaluate`` hands them back.
The model-file grammar never produces this type, so it is not in ``OPS`` (the types a file may
write, the JSON Schema's list): the walk looks it up in ``INTERNAL_OPS``.

Tensors that are not feature maps get a :class:`TensorShape`: its text is the tensor's
dimensions (``197x768``), batch dimension removed, and it counts as ``Shape(1, 1, elements)``
wherever code multiplies ``h * w * c``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any

from convcost.core.shapes import Shape
from convcost.errors import ConvcostError
from convcost.ops.registry import INTERNAL_OPS, Evaluated, OpDef

ONNX_OP = "onnx"
"""The type of a node whose cost the ONNX front end precomputed."""

UNKNOWN = -1
"""A dimension ONNX shape inference could not resolve."""


class TensorShape(Shape):
    """Any tensor shape (not HxWxC), shown as its dimensions: ``197x768``, ``1000``, ``scalar``.

    A :class:`Shape` whose ``h * w * c`` is the element count (``1 x 1 x elements``; 0 while a
    dimension is unknown), so element arithmetic written for feature maps stays right; equality
    and hashing go by the dimensions.
    """

    dims: tuple[int, ...]

    def __new__(cls, dims: tuple[int, ...]) -> TensorShape:
        elements = 0 if any(d < 0 for d in dims) else prod(dims)
        self = super().__new__(cls, 1, 1, elements)
        self.dims = dims
        return self

    def __str__(self) -> str:
        if not self.dims:
            return "scalar"
        return "x".join("?" if d < 0 else str(d) for d in self.dims)

    def __repr__(self) -> str:
        return f"TensorShape({self.dims!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorShape) and self.dims == other.dims

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("TensorShape", self.dims))

    def as_list(self) -> list[int]:
        """The dimensions (-1 where unknown), the JSON form."""
        return list(self.dims)


def evaluate(kind: str, attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """The Evaluated the ONNX front end stored in the node."""
    found = attrs.get("evaluated")
    if not isinstance(found, Evaluated):
        raise ConvcostError("an 'onnx' node comes only from an ONNX file")
    return found


GENERIC = OpDef((ONNX_OP,), evaluate, auto_name="node", summary="a node read from an ONNX file, costed by ONNX's counting rule")
"""Not in ``OPS`` (no model file may write it): the walk finds it in ``INTERNAL_OPS``."""
INTERNAL_OPS[ONNX_OP] = GENERIC
