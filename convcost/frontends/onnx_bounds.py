"""Bounds on an ONNX graph checked before shape inference, which would otherwise build what they bound: the
nodes of its subgraphs and of its model-local functions once expanded, and the ranks its constants set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any

from convcost.core.shapes import shown
from convcost.errors import ConvcostError
from convcost.frontends.onnx_graph import FileNode
from convcost.frontends.onnx_limits import MAX_INFERRED_DIMS, MAX_NODES, MAX_RANK, too_many_nodes
from convcost.ops.onnx_values import RANK_INPUTS


def check_subgraphs(onnx: Any, source: str, count: int, attributes: Sequence[Any]) -> None:
    """The graph's nodes and those of its subgraphs (``If``, ``Loop``, ``Scan`` bodies) are at most MAX_NODES."""

    kinds = onnx.AttributeProto
    graphs = [g for a in attributes for g in ((a.g,) if a.type == kinds.GRAPH else a.graphs if a.type == kinds.GRAPHS else ())]
    while graphs:
        graph = graphs.pop()
        count += len(graph.node)
        if count > MAX_NODES:
            raise ConvcostError(too_many_nodes(source))
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == kinds.GRAPH:
                    graphs.append(attr.g)
                elif attr.type == kinds.GRAPHS:
                    graphs.extend(attr.graphs)


def check_rank(node: FileNode, where: str, initializers: Mapping[str, Any]) -> None:
    """Before shape inference, which would build them: no output of more than MAX_RANK dimensions from
    an op whose rank a constant sets (Unsqueeze's axes, Reshape's and Expand's shape, ConstantOfShape's
    input). A 100,000-axis Unsqueeze and a chain of Identity nodes take minutes and gigabytes otherwise."""
    slot = RANK_INPUTS.get(node.op_type)
    if slot is None:
        return
    if isinstance(node.attrs.get("axes"), (list, tuple)):  # Unsqueeze before opset 13
        count, what = len(node.attrs["axes"]), "its attribute 'axes'"
    elif slot < len(node.inputs) and (tensor := initializers.get(node.inputs[slot])) is not None:
        count, what = prod(tensor.dims), f"its input {shown(node.inputs[slot])}"
    else:
        return
    if count > MAX_RANK:
        raise ConvcostError(
            f"{where}: {what} has {count:,} values, so its output would have more than {MAX_RANK} dimensions; at most {MAX_RANK} are read"
        )


def check_functions(model: Any, nodes: Sequence[FileNode], source: str) -> None:
    """Model-local functions, expanded where they are called (as shape inference expands them), make at
    most MAX_NODES nodes with the graph's, and none calls itself: ten functions each calling the next ten
    times are 10^10 nodes in a 2 kB file."""
    if not model.functions:
        return
    bodies = {(f.domain, f.name): [(n.domain, n.op_type) for n in f.node] for f in model.functions}
    sizes: dict[tuple[str, str], int] = {}

    def size(key: tuple[str, str], calling: tuple[tuple[str, str], ...]) -> int:
        found = sizes.get(key)
        if found is not None:
            return found
        if key in calling:
            raise ConvcostError(f"{source}: the model-local function {shown(f'{key[0]}.{key[1]}')} calls itself; expected no recursion")
        total = 0
        for callee in bodies[key]:
            total += 1 + (size(callee, (*calling, key)) if callee in bodies else 0)
            if total > MAX_NODES:
                break
        sizes[key] = total = min(total, MAX_NODES + 1)
        return total

    count = len(nodes)
    for node in nodes:
        if (node.domain, node.op_type) in bodies:
            count += size((node.domain, node.op_type), ())
        if count > MAX_NODES:
            raise ConvcostError(
                f"{source}: the graph's calls of its model-local functions, expanded as shape inference expands them, "
                f"make more than {MAX_NODES:,} nodes; at most {MAX_NODES:,} are costed"
            )


def check_inferred_dims(nodes: int, inputs: Sequence[Any], source: str) -> None:
    """Before shape inference: the nodes times the largest rank of a graph input, the dimensions inference would
    give if every tensor kept that rank, at most MAX_INFERRED_DIMS (counted again on what inference gives)."""
    rank = max((len(vi.type.tensor_type.shape.dim) for vi in inputs), default=1)
    estimate = nodes * max(rank, 1)
    if estimate > MAX_INFERRED_DIMS:
        raise ConvcostError(
            f"{source}: {nodes:,} nodes on an input of {rank} dimensions make about {estimate:,} tensor dimensions "
            f"for shape inference; at most {MAX_INFERRED_DIMS:,} are read (at rank {rank}, {MAX_INFERRED_DIMS // max(rank, 1):,} nodes)"
        )
