"""The params rule of an ONNX graph: each float weight counted once, on the first node that uses it on an
activation (through constant-only nodes), except one used only where its op's handler says it is not a param
(batch norm's running mean and variance), directly or through an op that passes its input through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from math import prod
from typing import Any

from convcost.frontends.onnx_graph import FileNode


def params(onnx: Any, nodes: Sequence[FileNode], weights: Mapping[str, Any], const: Set[str]) -> dict[int, int]:
    """Params per node index: each float weight (initializer or weight Constant) on the first node that uses it,
    through constant-only nodes."""
    position = {node.at: i for i, node in enumerate(nodes)}
    consumers: dict[str, list[tuple[FileNode, int]]] = {}
    for node in nodes:
        for slot, name in enumerate(node.inputs):
            if name:
                consumers.setdefault(name, []).append((node, slot))
    found: dict[int, int] = {}
    for name, init in weights.items():
        if not is_float(onnx, init.data_type) or name not in consumers or running_stat(name, consumers):
            continue
        holder = owner(name, consumers, position, const)
        found[holder] = found.get(holder, 0) + prod(init.dims)
    return found


def running_stat(name: str, consumers: Mapping[str, list[tuple[FileNode, int]]]) -> bool:
    """True when every use of ``name`` is an input its op's handler says is not a param (input 3 or 4 of
    BatchNormalization), directly or through an op that passes its input through (Identity)."""
    stack, uses = [name], 0
    seen = set()
    while stack:
        tensor = stack.pop()
        if tensor in seen:
            continue
        seen.add(tensor)
        for node, slot in consumers.get(tensor, ()):
            handler = node.handler
            if handler is not None and handler.passes_through:
                stack.extend(o for o in node.outputs if o)
                continue
            if handler is None or slot not in handler.not_params:
                return False
            uses += 1
    return uses > 0


def owner(name: str, consumers: Mapping[str, list[tuple[FileNode, int]]], position: Mapping[int, int], const: Set[str]) -> int:
    """The first node that uses ``name`` on an activation, following constant-only nodes (else its first user)."""
    best: int | None = None
    first: int | None = None
    stack, seen = [name], set()
    while stack:
        tensor = stack.pop()
        if tensor in seen:
            continue
        seen.add(tensor)
        for node, _ in consumers.get(tensor, ()):
            at = position[node.at]
            if tensor == name and (first is None or at < position[first]):
                first = node.at
            if all(not o or o in const for o in node.outputs):
                stack.extend(o for o in node.outputs if o)
            elif best is None or at < position[best]:
                best = node.at
    chosen = best if best is not None else first
    assert chosen is not None
    return chosen


def is_float(onnx: Any, data_type: int) -> bool:
    """True for a floating-point ONNX element type (float, double, float16, bfloat16, the float8 types)."""
    name = onnx.TensorProto.DataType.Name(data_type) if data_type in onnx.TensorProto.DataType.values() else ""
    return name.startswith(("FLOAT", "BFLOAT")) or name == "DOUBLE"
