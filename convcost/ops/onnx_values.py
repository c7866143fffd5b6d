"""The values of small tensors through an ONNX graph's shape arithmetic: each op type's value rule.

Exported networks compute shapes inside the graph (torch's ``chunk`` slices at ``Shape -> Gather -> Div
-> Mul``, Swin's window partition reshapes to ``H / 7``, TF's "same" padding pads by ``Ceil``, ``Sub`` and
``Clip``). ONNX's own data propagation stops at ``Div`` and more; the ONNX front end walks the graph once
and computes every such value with these rules (:data:`VALUE_RULES`), so that the shapes they decide are
known (:data:`SHAPE_INPUTS` says which inputs of an op decide its output's shape).

The values themselves are :class:`~convcost.ops.onnx_value.Value` (exact, and small: past the limits a value is
unknown, never an error); the rules are in :mod:`convcost.ops.onnx_value_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from convcost.ops.onnx_value import MAX_BITS, MAX_VALUES, Value, ValueRule, make
from convcost.ops.onnx_value_rules import VALUE_RULES

_DIMS_ONLY = frozenset({"Shape", "Size"})
"""Ops whose values come from their input's dimensions, not its values."""


def reads_only_dims(op_type: str) -> bool:
    """True for an op whose value rule reads its input's dimensions only (``Shape``, ``Size``)."""
    return op_type in _DIMS_ONLY


RANK_INPUTS: Mapping[str, int] = MappingProxyType({"Unsqueeze": 1, "Reshape": 1, "Expand": 1, "ConstantOfShape": 0})
"""Ops whose output rank a constant input's length sets (or, with ``axes`` an attribute, Unsqueeze's attribute):
the input's slot. The front end bounds that length before shape inference builds the output."""

SHAPE_INPUTS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "Reshape": (1,),
        "Slice": (1, 2, 3, 4),
        "Split": (1,),
        "Pad": (1, 2, 3),
        "Resize": (1, 2, 3),
        "Upsample": (1,),
        "Tile": (1,),
        "Expand": (1,),
        "ConstantOfShape": (0,),
        "Range": (0, 1, 2),
        "Unsqueeze": (1,),
        "Squeeze": (1,),
        "TopK": (1,),
        "OneHot": (1,),
        "ReduceMean": (1,),
        "ReduceSum": (1,),
        "ReduceMax": (1,),
        "ReduceMin": (1,),
        "ReduceProd": (1,),
        "CenterCropPad": (1, 2),
    }
)
"""ONNX op type -> the inputs whose values decide its output's shape (named when a shape stays unknown)."""

__all__ = ["MAX_BITS", "MAX_VALUES", "RANK_INPUTS", "SHAPE_INPUTS", "VALUE_RULES", "Value", "ValueRule", "make", "reads_only_dims"]
