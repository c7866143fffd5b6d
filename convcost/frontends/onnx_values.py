"""Shapes that compute themselves: after ONNX's shape inference, one walk of the graph in execution order that
computes the values of small tensors (the ops' value rules, :data:`~convcost.ops.onnx_values.VALUE_RULES`)
and, for a node whose output shape ONNX left unknown, asks ONNX's own shape function of that op again with
those values as its constant inputs (so ``Slice``, ``Split``, ``Reshape``, ``Pad``, ``Resize``, ``Tile``,
``Expand``, ``Range``, ``ConstantOfShape`` and everything after them get their shapes by the op's rule).

Where a shape still cannot be known, :attr:`Propagation.reasons` says why for each such tensor, down to the
node and the op whose value was missing; the error of a cost that needs the shape quotes it.

Bounded on any file: a value has at most :data:`~convcost.ops.onnx_values.MAX_VALUES` elements of at most
:data:`~convcost.ops.onnx_values.MAX_BITS` bits, the walk computes at most :data:`MAX_COMPUTED` elements in
all, and ONNX is asked again only about a node that reads a tensor the walk learnt something new of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from convcost.core.shapes import MAX_DIGITS, shown
from convcost.errors import ConvcostError
from convcost.frontends.onnx_data import tensor_bytes, tensor_value
from convcost.frontends.onnx_graph import DEFAULT_DOMAINS, FileNode
from convcost.frontends.onnx_limits import MAX_RANK
from convcost.ops.onnx_node import UNKNOWN, OnnxNode, op_label
from convcost.ops.onnx_values import MAX_VALUES, SHAPE_INPUTS, VALUE_RULES, Value, reads_only_dims

MAX_COMPUTED = 100_000
"""The elements of all the values the walk computes, at most (a real network's shape arithmetic has a few thousand)."""

RawDims = tuple[int | None, ...]
"""A tensor's dimensions as ONNX gives them (None: unknown)."""


def raw_dims(type_proto: Any) -> RawDims | None:
    """A TypeProto's tensor dimensions (None for one unknown), or None when its rank is unknown."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in type_proto.tensor_type.shape.dim)


def _known(dims: tuple[int, ...] | None) -> int:
    """How much of a shape is known: -1 for an unknown rank, else the known dimensions."""
    return -1 if dims is None else sum(d >= 0 for d in dims)


class Propagation:
    """The walk over one graph: values, the shapes it makes known, and why the others stay unknown."""

    def __init__(self, onnx: Any, source: str, shapes: MutableMapping[str, tuple[int, ...] | None], types: MutableMapping[str, Any],
                 initializers: Mapping[str, Any], data_inputs: Iterable[str], schema_of: Callable[[str], Any],
                 opsets: Mapping[str, int], ir_version: int, describe: Callable[[Any], str]) -> None:  # fmt: skip
        self.onnx = onnx
        self.source = source
        self.shapes = shapes
        self.types = types
        self.initializers = initializers
        self.schema_of = schema_of
        self.opsets = dict(opsets)
        self.ir_version = ir_version
        self.describe = describe
        self.values: dict[str, Value] = {}
        """Tensor -> its value, where the walk knows it (small initializers and Constants included)."""
        self.bad_dims: dict[str, RawDims] = {}
        """Tensors the walk gave a dimension below 1 (as ONNX's per-node inference gave it)."""
        self.reasons: dict[str, str] = {}
        """Tensor whose shape stays unknown -> why (the node and the value it needed)."""
        self.value_why: dict[str, str] = dict.fromkeys(data_inputs, "is the graph input's data, not a fixed value")
        """Tensor without a value -> why, as a clause after 'which'."""
        self.fresh: set[str] = set()
        """Tensors the walk learnt a value or a shape of that ONNX's inference did not have."""
        self.computed = 0
        self.tried: set[str] = set()

    # --- values -----------------------------------------------------------------------

    def value(self, tensor: str) -> Value | None:
        """The value of ``tensor`` when known (an initializer's read at its first use)."""
        if tensor in self.values:
            return self.values[tensor]
        init = self.initializers.get(tensor)
        if init is None or tensor in self.tried:
            return None
        self.tried.add(tensor)
        found = tensor_value(init)
        if found is None:
            self.value_why[tensor] = f"is a constant of more than {MAX_VALUES} values, or not numbers convcost reads"
        else:
            self.values[tensor] = found
        return found

    def record(self, node: FileNode) -> OnnxNode:
        """The node as a rule sees it: its attributes (a tensor attribute read into a Value) and its input dimensions."""
        tensor_type = self.onnx.TensorProto
        attrs = {k: (tensor_value(v) if isinstance(v, tensor_type) else v) for k, v in node.attrs.items()}
        shapes = self.shapes
        return OnnxNode(
            node.op_type, node.name, node.at, attrs, node.inputs, tuple(shapes.get(i) if i else None for i in node.inputs),
            tuple(False for _ in node.inputs), node.outputs, tuple(shapes.get(o) for o in node.outputs), self.source, 1,
            lambda *_: None,
        )  # fmt: skip

    def compute(self, node: FileNode) -> None:
        """The node's output values by its op's rule; why each output has none."""
        rule = VALUE_RULES.get(node.op_type) if node.domain in DEFAULT_DOMAINS else None
        where = self.describe(node)
        ins = tuple(self.value(i) if i else None for i in node.inputs)
        outs: tuple[Value | None, ...] | None = None
        ready = reads_only_dims(node.op_type) or all(v is not None for v, i in zip(ins, node.inputs, strict=True) if i)
        if rule is not None and self.computed <= MAX_COMPUTED and ready:
            try:
                outs = rule(self.record(node), ins)
            except (ArithmeticError, ValueError, IndexError, TypeError):  # a rule on values no real graph holds
                outs = None
        for slot, tensor in enumerate(node.outputs):
            found = outs[slot] if outs is not None and slot < len(outs) else None
            if not tensor:
                continue
            if found is not None:
                self.computed += len(found.data)
                self.values[tensor] = found
                self.fresh.add(tensor)
                if _known(self.shapes.get(tensor)) < len(found.dims):
                    self.set_shape(tensor, found.dims)
            else:
                self.value_why[tensor] = self.why_no_value(node, where, rule is not None, ins)

    def why_no_value(self, node: FileNode, where: str, ruled: bool, ins: tuple[Value | None, ...]) -> str:
        if not ruled:
            return f"node {where} computes (convcost computes no values of {op_label(node.op_type)})"
        if self.computed > MAX_COMPUTED:
            return f"node {where} computes after convcost has computed {MAX_COMPUTED:,} values, at most that many"
        if reads_only_dims(node.op_type):
            tensor = node.inputs[0] if node.inputs else ""
            return f"node {where} computes from the shape of {shown(tensor)}, which is unknown" + (
                f" ({self.reasons[tensor]})" if tensor in self.reasons else ""
            )
        for tensor, found in zip(node.inputs, ins, strict=True):
            if tensor and found is None:
                return self.value_why.get(tensor, f"node {where} computes from {shown(tensor)}, whose value is unknown")
        return f"node {where} computes past convcost's limits (at most {MAX_VALUES} values of at most {MAX_DIGITS} digits)"

    # --- shapes -----------------------------------------------------------------------

    def set_shape(self, tensor: str, dims: RawDims, like: str = "") -> None:
        """``tensor`` has these dimensions, its element type as ONNX gave it (or ``like``'s, where ONNX gave none);
        at most MAX_RANK of them, as every tensor ONNX's inference gives (a chain of Einsums adding an axis each
        would otherwise grow without bound)."""
        if len(dims) > MAX_RANK:
            raise ConvcostError(f"{self.source}: tensor {shown(tensor)} would have {len(dims):,} dimensions; at most {MAX_RANK} are read")
        self.shapes[tensor] = tuple(UNKNOWN if d is None or d < 0 else d for d in dims)
        if any(d is not None and d < 1 for d in dims):
            self.bad_dims[tensor] = dims
        old = self.types.get(tensor) or self.types.get(like)
        if old is not None and old.HasField("tensor_type"):
            elem = old.tensor_type.elem_type
            new = self.onnx.TypeProto()
            new.tensor_type.elem_type = elem
            shape = new.tensor_type.shape
            for d in dims:
                dim = shape.dim.add()
                if d is not None:
                    dim.dim_value = d
            self.types[tensor] = new
        self.fresh.add(tensor)

    def infer(self, node: FileNode) -> None:
        """ONNX's shape function of the node again, with the walk's shapes and values, for outputs ONNX left unknown."""
        outputs = [o for o in node.outputs if o]
        if all((had := self.shapes.get(o)) is not None and UNKNOWN not in had for o in outputs):
            return
        handler = node.handler
        if handler is not None and handler.shape is not None:  # convcost's own rule; ONNX's is never run
            record = self.record(node)
            if outputs and all(record.known(slot) is not None for slot, i in enumerate(node.inputs) if i):
                self.set_shape(node.outputs[0], handler.shape(record), like=node.inputs[0] if node.inputs else "")
            return
        if node.domain not in DEFAULT_DOMAINS or not any(i in self.fresh for i in node.inputs if i):
            return
        schema = self.schema_of(node.op_type)
        kinds = self.onnx.AttributeProto
        if schema is None or any(a.type in (kinds.GRAPH, kinds.GRAPHS) for a in node.proto.attribute):
            return
        types: dict[str, bytes] = {}
        data: dict[str, bytes] = {}
        for tensor in node.inputs:
            if not tensor:
                continue
            found = self.types.get(tensor)
            if found is None:
                return
            types[tensor] = found.SerializeToString()
            value = self.value(tensor)
            if value is not None and found.HasField("tensor_type"):
                encoded = tensor_bytes(self.onnx, tensor, value, found.tensor_type.elem_type)
                if encoded is not None:
                    data[tensor] = encoded
        try:
            inferred = schema._infer_node_outputs(node.proto.SerializeToString(), types, data, {}, self.opsets, self.ir_version)
        except Exception as exc:  # onnx's InferenceError and the C++ checker's other types
            message = " ".join(str(exc).split())[:300]
            raise ConvcostError(
                f"{self.source}: node {self.describe(node)}: ONNX shape inference failed on the values convcost computed: {message}"
            ) from None
        for tensor in outputs:
            if tensor not in inferred:
                continue
            type_proto = self.onnx.TypeProto.FromString(inferred[tensor])
            dims = raw_dims(type_proto)
            now = self.shapes.get(tensor)
            if dims is not None and _known(tuple(UNKNOWN if d is None or d < 0 else d for d in dims)) > _known(now):
                self.types[tensor] = type_proto
                self.set_shape(tensor, dims)

    def explain(self, node: FileNode) -> None:
        """Why each output whose shape is still unknown is: the value its op needed, or the unknown shape it read."""
        where = self.describe(node)
        for tensor in node.outputs:
            dims = self.shapes.get(tensor)
            if not tensor or (dims is not None and UNKNOWN not in dims):
                continue
            self.reasons[tensor] = self.why_unknown(node, where)

    def why_unknown(self, node: FileNode, where: str) -> str:
        if node.domain in DEFAULT_DOMAINS:
            for slot in SHAPE_INPUTS.get(node.op_type, ()):
                tensor = node.inputs[slot] if slot < len(node.inputs) else ""
                if tensor and self.value(tensor) is None:
                    why = self.value_why.get(tensor, "is unknown")
                    return f"node {where} needs the value of {shown(tensor)}, which {why}"
        for tensor in node.inputs:
            if tensor in self.reasons:
                return self.reasons[tensor]
        if node.domain not in DEFAULT_DOMAINS or self.schema_of(node.op_type) is None:
            return f"node {where} computes it, an op ONNX does not define"
        return f"ONNX cannot infer the output of node {where}"

    def run(self, nodes: Iterable[FileNode]) -> None:
        for node in nodes:
            self.infer(node)
            self.compute(node)
            self.explain(node)
