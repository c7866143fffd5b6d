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

import math
from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.shapes import Shape, shown
from convcost.errors import ConvcostError
from convcost.ops.onnx_node import FLAG, INT, UNKNOWN, OnnxHandler, OnnxNode, TensorShape, all_at_least, at_least, one_of, shown_attr
from convcost.ops.registry import INTERNAL_OPS, ONNX_HANDLERS, Evaluated, OpDef

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


# --- layout ops: no model-file type, but their rules, so that no later layer is costed on a shape they cannot have


def _check_transpose(node: OnnxNode) -> None:
    """``perm`` is a permutation of the input's axes (``[0]`` on a rank-4 tensor would make 192 elements 1)."""
    perm, dims = node.attrs.get("perm"), node.known(0)
    if perm is None or dims is None:
        return
    if sorted(perm) != list(range(len(dims))):
        raise ConvcostError(
            f"{node.where}: attribute 'perm' is {shown_attr(perm)}; expected a permutation of 0 to {len(dims) - 1} "
            f"(the input has {len(dims)} dimensions)"
        )


def _check_split(node: OnnxNode) -> None:
    """``num_outputs``, where given, is the number of outputs and at most the size of the axis split."""
    parts, dims = node.attrs.get("num_outputs"), node.known(0)
    if parts is None:
        return
    outputs = len(node.outputs)
    if parts != outputs:
        plural = "s" if outputs != 1 else ""
        raise ConvcostError(
            f"{node.where}: attribute 'num_outputs' is {parts}, but the node has {outputs} output{plural}; expected them equal"
        )
    axis = node.attrs.get("axis", 0)
    if dims is not None and -len(dims) <= axis < len(dims) and parts > dims[axis]:
        raise ConvcostError(f"{node.where}: attribute 'num_outputs' is {parts}; expected at most {dims[axis]}, the size of axis {axis}")


def _check_blocks(node: OnnxNode) -> None:
    """SpaceToDepth's blocksize divides the height and width; DepthToSpace's square divides the channels."""
    size, dims = node.attrs.get("blocksize"), node.known(0)
    if not isinstance(size, int) or size < 1 or dims is None or len(dims) != 4:
        return
    _, c, h, w = dims
    if node.op_type == "SpaceToDepth" and (h % size or w % size):
        raise ConvcostError(f"{node.where}: blocksize {size} does not divide the input's height and width {h}x{w}")
    if node.op_type == "DepthToSpace" and c % (size * size):
        raise ConvcostError(f"{node.where}: blocksize {size} squared ({size * size}) does not divide the input's {c} channels")


def _check_groups(node: OnnxNode) -> None:
    """GroupNormalization's num_groups divides the channels."""
    groups, dims = node.attrs.get("num_groups"), node.known(0)
    if isinstance(groups, int) and groups >= 1 and dims is not None and len(dims) >= 2 and dims[1] % groups:
        raise ConvcostError(f"{node.where}: attribute 'num_groups' is {groups}; it does not divide the input's {dims[1]} channels")


def _check_channel_scale(node: OnnxNode) -> None:
    """InstanceNormalization's scale and bias hold one value per channel (more would be invented params)."""
    dims = node.known(0)
    if dims is None or len(dims) < 2:
        return
    for slot, what in ((1, "scale"), (2, "bias")):
        given = node.known(slot) if slot < len(node.dims) else None
        if given is not None and math.prod(given) != dims[1]:
            raise ConvcostError(
                f"{node.where}: its {what} {shown(node.inputs[slot])} has {math.prod(given):,} values; "
                f"expected one per channel ({dims[1]:,})"
            )


def _check_layer_scale(node: OnnxNode) -> None:
    """LayerNormalization's scale and bias broadcast onto the dimensions it normalises (from ``axis`` on)."""
    dims = node.known(0)
    if dims is None:
        return
    axis = node.attrs.get("axis", -1)
    if not isinstance(axis, int) or not -len(dims) <= axis < len(dims):
        raise ConvcostError(f"{node.where}: attribute 'axis' is {shown_attr(axis)}; expected -{len(dims)} to {len(dims) - 1}")
    normalised = dims[axis:] if axis >= 0 else dims[len(dims) + axis :]
    for slot, what in ((1, "scale"), (2, "bias")):
        given = node.known(slot) if slot < len(node.dims) else None
        if given is None:
            continue
        tail = normalised[len(normalised) - len(given) :] if len(given) <= len(normalised) else None
        if tail is None or any(g not in (1, n) for g, n in zip(given, tail, strict=True)):
            shape = "x".join(map(str, given)) or "a scalar"
            raise ConvcostError(
                f"{node.where}: its {what} {shown(node.inputs[slot])} is {shape}; "
                f"expected it to broadcast onto {'x'.join(map(str, normalised))}"
            )


def _check_axes(node: OnnxNode) -> None:
    """A reduction's ``axes`` attribute: distinct axes of the input, each in -rank to rank - 1."""
    axes, dims = node.attrs.get("axes"), node.known(0)
    if not isinstance(axes, (list, tuple)) or dims is None or not dims:
        return
    rank = len(dims)
    if any(not -rank <= a < rank for a in axes) or len({a % rank for a in axes}) != len(axes):
        raise ConvcostError(f"{node.where}: attribute 'axes' is {shown_attr(axes)}; expected distinct axes from -{rank} to {rank - 1}")


def _check_axis(node: OnnxNode) -> None:
    """An op's ``axis`` lies in -rank to rank - 1 of its input."""
    axis, dims = node.attrs.get("axis", 0), node.known(0)
    if isinstance(axis, int) and dims is not None and not -len(dims) <= axis < len(dims):
        raise ConvcostError(
            f"{node.where}: attribute 'axis' is {axis}; expected -{len(dims)} to {len(dims) - 1} (the input has {len(dims)} dimensions)"
        )


_BLOCKS = {"blocksize": at_least(1)}

_REDUCTIONS = ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
               "ReduceLogSumExp", "ReduceSumSquare")  # fmt: skip

LAYOUT_HANDLERS = {
    "Transpose": OnnxHandler(check=_check_transpose),
    "SpaceToDepth": OnnxHandler(attributes=_BLOCKS, check=_check_blocks),
    "DepthToSpace": OnnxHandler(attributes={**_BLOCKS, "mode": one_of("DCR", "CRD")}, check=_check_blocks),
    "LRN": OnnxHandler(attributes={"size": at_least(1)}),
    "GroupNormalization": OnnxHandler(attributes={"num_groups": at_least(1)}, check=_check_groups),
    "InstanceNormalization": OnnxHandler(check=_check_channel_scale, layout="window"),
    "LayerNormalization": OnnxHandler(check=_check_layer_scale),
    "GatherElements": OnnxHandler(check=_check_axis),
    "LpNormalization": OnnxHandler(attributes={"p": (INT, "1 or 2", lambda v: v in (1, 2))}, check=_check_axis),
    "CumSum": OnnxHandler(attributes={"exclusive": FLAG, "reverse": FLAG}),
    "GridSample": OnnxHandler(
        attributes={
            "mode": one_of("bilinear", "nearest", "bicubic", "linear", "cubic"),
            "padding_mode": one_of("zeros", "border", "reflection"),
            "align_corners": FLAG,
        }
    ),
    **{op: OnnxHandler(attributes={"keepdims": FLAG, "noop_with_empty_axes": FLAG}, check=_check_axes) for op in _REDUCTIONS},
    "Split": OnnxHandler(check=_check_split),
    "MaxUnpool": OnnxHandler(attributes={"kernel_shape": all_at_least(1), "strides": all_at_least(1), "pads": all_at_least(0)}),
}
"""Ops that move, split or normalise values: their cost is 0 and no model-file type expresses them; their attributes are checked."""
ONNX_HANDLERS.update(LAYOUT_HANDLERS)


__all__ = ["GENERIC", "LAYOUT_HANDLERS", "ONNX_OP", "UNKNOWN", "TensorShape", "evaluate"]
