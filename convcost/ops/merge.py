"""``add`` and ``concat``: two or more inputs named with ``from:``; 0 mults, 0 params."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.cost import Cost
from convcost.core.shapes import Shape
from convcost.errors import ConvcostError
from convcost.ops.onnx_node import Lowered, OnnxHandler, OnnxNode
from convcost.ops.registry import MANY, Evaluated, OpDef, register


class MergeMismatchError(ConvcostError):
    """Two inputs of a merge disagree; ``first`` and ``second`` are their positions."""

    def __init__(self, first: int, second: int, what: str) -> None:
        super().__init__(what)
        self.first = first
        self.second = second
        self.what = what


def _elems(shape: Shape) -> int:
    return shape.h * shape.w * shape.c


def evaluate_add(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Elementwise sum: every input has the same shape."""
    first = inputs[0]
    for i, shape in enumerate(inputs[1:], 1):
        if shape != first:
            raise MergeMismatchError(0, i, "add needs inputs of one shape")
    return Evaluated(first, Cost(0, 0, sum(_elems(s) for s in inputs), _elems(first), 0))


def evaluate_concat(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Channel concatenation: every input has the same HxW; channels add up."""
    first = inputs[0]
    for i, shape in enumerate(inputs[1:], 1):
        if (shape.h, shape.w) != (first.h, first.w):
            raise MergeMismatchError(0, i, "concat needs inputs of one height and width")
    out = Shape(first.h, first.w, sum(s.c for s in inputs))
    return Evaluated(out, Cost(0, 0, sum(_elems(s) for s in inputs), _elems(out), 0))


def lower_onnx_add(node: OnnxNode) -> Lowered | None:
    """Add or Sum of two or more activations (no constant operand) as ``add``."""
    acts = node.activations
    return ("add", {}, acts) if len(acts) == len(node.inputs) >= 2 else None


def lower_onnx_concat(node: OnnxNode) -> Lowered | None:
    """Concat of two or more activations along the channels (axis 1 of NCHW, or of a batch of vectors) as ``concat``."""
    acts, dims = node.activations, node.known(0)
    if dims is None or not len(acts) == len(node.inputs) >= 2 or node.attrs.get("axis") not in ((1, -3) if len(dims) == 4 else (1, -1)):
        return None
    return ("concat", {}, acts)


register(OpDef(("add",), evaluate_add, inputs=MANY, summary="elementwise sum of two or more inputs: 0 mults, 0 params",
               onnx={"Add": OnnxHandler(lower_onnx_add), "Sum": OnnxHandler(lower_onnx_add)}))  # fmt: skip
register(OpDef(("concat",), evaluate_concat, inputs=MANY, summary="channel concatenation of two or more inputs: 0 mults, 0 params",
               onnx={"Concat": OnnxHandler(lower_onnx_concat)}))  # fmt: skip
