"""The analysed ONNX nodes into the operator graph, each through its op's handler.

A node becomes the model-file type its handler in :data:`ONNX_HANDLERS` lowers it to, when that
type, evaluated on the node's inputs, gives exactly the node's output shape, mults and params
(``Conv`` to ``conv``, so the what-if replaces the real layers; ``Gemm`` to ``linear``; ...);
every other node becomes an ``onnx`` node that carries its cost. Nothing here knows an op type.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import prod

from convcost.core.cost import Cost
from convcost.core.graph import GRAPH_INPUT, INPUT, Node
from convcost.core.shapes import Shape
from convcost.errors import ConvcostError
from convcost.frontends.onnx_infer import DEFAULT_DOMAINS, Analysis, FileNode, label
from convcost.ops import ONNX_HANDLERS, OPS
from convcost.ops.onnx_generic import ONNX_OP, UNKNOWN, TensorShape
from convcost.ops.onnx_node import OnnxNode, graph_shape
from convcost.ops.registry import Evaluated

INPUT_TYPE = "Input"
"""The type of the node that stands for a graph input after the first."""


def feature_maps_1d(analysis: Analysis) -> frozenset[str]:
    """The rank-3 tensors that are 1-D feature maps (N x C x L), shown channels last (LxC): read or written by a window
    op (a Conv1d, a pool, a batch norm: its handler's ``layout``), or the output of a node that reads only such maps
    and keeps their layout (the same dimensions, as an activation or an add; a Pad, a Concat). Other rank-3 tensors
    (a transformer's N x tokens x features) are shown as they are."""
    shapes = analysis.shapes
    found: set[str] = set()

    def rank3(tensor: str) -> bool:
        dims = shapes.get(tensor)
        return dims is not None and len(dims) == 3

    layouts = {node.at: h.layout if (h := node.handler) is not None else "" for node in analysis.nodes}
    for node in analysis.nodes:
        if layouts[node.at] == "window":
            found.update(t for t in (node.inputs[:1] + node.outputs[:1]) if t and rank3(t))
    if not found:
        return frozenset()
    for node in analysis.nodes:
        if not node.outputs or not node.outputs[0] or not rank3(node.outputs[0]):
            continue
        acts = [t for t in node.inputs if t and t not in analysis.const]
        if acts and all(t in found for t in acts) and (layouts[node.at] == "keeps" or shapes[node.outputs[0]] == shapes[acts[0]]):
            found.add(node.outputs[0])
    return frozenset(found)


class Lowering:
    """The analysed nodes into graph nodes: a model-file type where one costs a node the same, else ``onnx``."""

    def __init__(self, analysis: Analysis, all_ops: bool) -> None:
        self.a = analysis
        self.all_ops = all_ops
        self.batch = analysis.batch
        self.nodes: list[Node] = []
        self.shapes: list[Shape] = []
        self.evaluated: list[Evaluated] = []
        self.tensor_node: dict[str, int] = {}
        """Tensor name -> index of the graph node whose output it is (or stands for)."""
        self.feature_maps = feature_maps_1d(analysis)
        self.input_shape = self.shape(analysis.input_name)
        self.names: set[str] = set()
        for tensor in analysis.other_inputs:
            self.add_input(tensor)

    def add_input(self, tensor: str) -> None:
        """A graph input after the first as a node at the start: read like any node's output (its own shape), alive
        from the start until its last reader; no row of the tables, no cost (the readers count reading it)."""
        out = self.shape(tensor)
        name = tensor if tensor and tensor not in self.names else f"{INPUT_TYPE}_{len(self.nodes)}"
        self.names.add(name)
        evaluated = Evaluated(out, Cost())
        attrs = {"type": INPUT_TYPE, "evaluated": evaluated, GRAPH_INPUT: tensor}
        self.tensor_node[tensor] = len(self.nodes)
        self.nodes.append(Node(name, ONNX_OP, attrs, (), name, True, None, hidden=True))
        self.shapes.append(out)
        self.evaluated.append(evaluated)

    # --- tensors ----------------------------------------------------------------------

    def shape(self, tensor: str) -> Shape:
        """A tensor as the graph shows it, batch dimension removed: channels last for a feature map, else its dimensions."""
        return graph_shape(self.a.shapes.get(tensor), self.batch, tensor in self.feature_maps)

    def producer(self, tensor: str) -> int:
        return INPUT if tensor == self.a.input_name else self.tensor_node[tensor]

    def seen_as(self, tensor: str) -> Shape:
        """The shape the walk gives a node reading ``tensor``: its producer's first output."""
        node = self.producer(tensor)
        return self.input_shape if node == INPUT else self.shapes[node]

    def activations(self, node: FileNode) -> tuple[str, ...]:
        """The inputs that depend on the graph's input, once each, in order."""
        found: list[str] = []
        for name in node.inputs:
            if name and name not in self.a.const and name not in found:
                found.append(name)
        return tuple(found)

    # --- per node ---------------------------------------------------------------------

    def elements(self, tensors: Iterable[str]) -> int:
        total = 0
        for name in tensors:
            shape = self.shape(name)
            total += shape.elements
        return total

    def add(self, node: FileNode, params: int) -> None:
        a = self.a
        mults = a.node_mults[node.at] // self.batch  # find_batch made sure it divides
        acts = self.activations(node)
        weights = sum(prod(a.weights[i].dims) for i in set(node.inputs) if i in a.weights)
        outputs = [o for o in node.outputs if o]
        if outputs and all(o in a.const for o in outputs):
            # computed from constants only: once per batch, read like a weight (never scaled by the batch)
            # (a Constant's weight is read by the nodes it feeds, as an initializer is)
            dims = [a.shapes.get(o) for o in outputs if o not in a.weights]
            weights += sum(prod(d) for d in dims if d is not None and UNKNOWN not in d)
            written = 0
        else:
            written = self.elements(outputs)
        cost = Cost(mults, params, self.elements(acts), written, weights)
        out = self.shape(node.outputs[0]) if node.outputs and node.outputs[0] else TensorShape((UNKNOWN,))
        name = self.name(node)
        hidden = not self.all_ops and mults == 0 and params == 0
        handler = node.handler
        record = a.record(node, self.batch) if handler is not None else None
        found = self.registered(node, record, acts, name, cost, out, hidden)
        if found is None:
            kernel = handler.kernel(record) if handler is not None and handler.kernel is not None and record is not None else ""
            evaluated = Evaluated(out, cost, kernel)
            attrs = {"type": label(node), "evaluated": evaluated}
            graph_node = Node(name, ONNX_OP, attrs, tuple(self.producer(t) for t in acts), name, bool(node.name), None, hidden=hidden)
        else:
            graph_node, evaluated = found
        index = len(self.nodes)
        self.nodes.append(graph_node)
        self.shapes.append(out)
        self.evaluated.append(evaluated)  # the walk reuses it: each node evaluated once
        for tensor in node.outputs:
            if tensor:
                self.tensor_node[tensor] = index

    def name(self, node: FileNode) -> str:
        name = node.name or f"{node.op_type}_{node.at}"
        if name in self.names:
            name = f"{name}_{node.at}"
            while name in self.names:
                name += "_"
        self.names.add(name)
        return name

    def registered(self, node: FileNode, record: OnnxNode | None, acts: tuple[str, ...], name: str, cost: Cost, out: Shape,
                   hidden: bool) -> tuple[Node, Evaluated] | None:  # fmt: skip
        """The node as the model-file type its handler lowers it to, if that evaluates to exactly this output and cost.

        A handler is asked only about a node of the default domain whose first input is an activation of known shape."""
        if record is None or node.domain not in DEFAULT_DOMAINS:
            return None
        ins = node.inputs
        if not ins or not acts or ins[0] != acts[0] or record.known(0) is None:
            return None
        lowered = ONNX_HANDLERS[node.op_type].lower(record)
        if lowered is None:
            return None
        op, attrs, reads = lowered
        shapes = [self.shape(t) for t in reads]
        if any(isinstance(s, TensorShape) or s != self.seen_as(t) for s, t in zip(shapes, reads, strict=True)):
            return None
        try:
            evaluated = OPS[op].evaluate(op, attrs, shapes)
        except ConvcostError:
            return None
        if evaluated.out != out or evaluated.cost.mults != cost.mults or evaluated.cost.params != cost.params:
            return None
        key = tuple(sorted(attrs.items()))
        return Node(name, op, attrs, tuple(self.producer(t) for t in reads), name, bool(node.name), key, hidden=hidden), evaluated
