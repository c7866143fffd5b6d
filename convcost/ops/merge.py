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
    return shape.elements


def evaluate_add(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Elementwise sum: every input has the same shape."""
    first = inputs[0]
    for i, shape in enumerate(inputs[1:], 1):
        if shape != first:
            raise MergeMismatchError(0, i, "add needs inputs of one shape")
    return Evaluated(first, Cost(0, 0, sum(_elems(s) for s in inputs), _elems(first), 0))


def evaluate_concat(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """Channel concatenation: every input has the same HxW (any rank: the same spatial sizes); channels add up."""
    first = inputs[0]
    for i, shape in enumerate(inputs[1:], 1):
        if shape.spatial != first.spatial:
            sizes = "height and width" if first.rank == 2 else "spatial size"
            raise MergeMismatchError(0, i, f"concat needs inputs of one {sizes}")
    out = Shape(*first.spatial, sum(s.c for s in inputs))
    return Evaluated(out, Cost(0, 0, sum(_elems(s) for s in inputs), _elems(out), 0))


def lower_onnx_add(node: OnnxNode) -> Lowered | None:
    """Add or Sum of two or more activations (no constant operand) as ``add``."""
    acts = node.activations
    return ("add", {}, acts) if len(acts) == len(node.inputs) >= 2 else None


def lower_onnx_concat(node: OnnxNode) -> Lowered | None:
    """Concat of two or more activations along the channels (axis 1 of NCHW, or of a batch of vectors) as ``concat``."""
    acts, dims = node.activations, node.known(0)
    channels = (1, 1 - len(dims)) if dims is not None and len(dims) in (3, 4, 5) else (1, -1)  # NC..., or a batch of vectors
    if dims is None or not len(acts) == len(node.inputs) >= 2 or node.attrs.get("axis") not in channels:
        return None
    return ("concat", {}, acts)


register(OpDef(("add",), evaluate_add, inputs=MANY, summary="elementwise sum of two or more inputs: 0 mults, 0 params",
               onnx={"Add": OnnxHandler(lower_onnx_add), "Sum": OnnxHandler(lower_onnx_add)}))  # fmt: skip
register(OpDef(("concat",), evaluate_concat, inputs=MANY, summary="channel concatenation of two or more inputs: 0 mults, 0 params",
               onnx={"Concat": OnnxHandler(lower_onnx_concat, layout="keeps")}))  # fmt: skip
