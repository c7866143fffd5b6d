"""``onnx``: a node read from an ONNX file that no model-file type expresses (MatMul on tokens,
Reshape, Transpose, Softmax over tokens, an op convcost does not know, ...).

Its cost and output shape were worked out by the ONNX front end with ONNX's own rules (see
``convcost.frontends.onnx``, and the ops' ONNX handlers, ``convcost.ops.onnx_node``) and travel
in the node's attributes: ``evaluate`` hands them back.
The model-file grammar never produces this type, so it is not in ``OPS`` (the types a file may
write, the JSON Schema's list): the walk looks it up in ``INTERNAL_OPS``.

Tensors that are not feature maps get a :class:`TensorShape` (defined with the ONNX node record
in ``convcost.ops.onnx_node``): its text is the tensor's dimensions (``197x768``), batch dimension
removed, and it counts as ``Shape(1, 1, elements)`` wherever code multiplies ``h * w * c``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.shapes import Shape
from convcost.errors import ConvcostError
from convcost.ops.onnx_node import UNKNOWN, TensorShape
from convcost.ops.registry import INTERNAL_OPS, Evaluated, OpDef

ONNX_OP = "onnx"
"""The type of a node whose cost the ONNX front end precomputed."""


def evaluate(kind: str, attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """The Evaluated the ONNX front end stored in the node."""
    found = attrs.get("evaluated")
    if not isinstance(found, Evaluated):
        raise ConvcostError("an 'onnx' node comes only from an ONNX file")
    return found


GENERIC = OpDef((ONNX_OP,), evaluate, auto_name="node", summary="a node read from an ONNX file, costed by ONNX's counting rule")
"""Not in ``OPS`` (no model file may write it): the walk finds it in ``INTERNAL_OPS``."""
INTERNAL_OPS[ONNX_OP] = GENERIC


__all__ = ["GENERIC", "ONNX_OP", "UNKNOWN", "TensorShape", "evaluate"]
