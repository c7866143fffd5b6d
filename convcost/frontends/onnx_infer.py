"""One ONNX graph analysed: its nodes in order, every tensor's shape, the checks, each node's mults and params.

Every rule that belongs to an op type (its attributes' ranges, its convolution rule, its mults,
which of its inputs are not params) is that op's handler in :data:`ONNX_HANDLERS`, declared by
its op module; what stays here is the graph's own: order, shape inference, constants, sizes,
the batch and the params rule. ``onnx`` comes in as an argument (imported at the lazy door, ``onnx.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from math import prod
from typing import Any

from convcost.core.shapes import MAX_DIGITS, shown, too_many_elements
from convcost.errors import ConvcostError
from convcost.frontends.onnx_bounds import check_functions, check_inferred_dims, check_rank, check_subgraphs
from convcost.frontends.onnx_data import numbers, stored_mismatch
from convcost.frontends.onnx_graph import DEFAULT_DOMAINS, FileNode, Schemas, attributes, label
from convcost.frontends.onnx_inputs import Given, input_dims, set_dims
from convcost.frontends.onnx_limits import MAX_INFERRED_DIMS, MAX_RANK, STRIPPED
from convcost.frontends.onnx_params import is_float, params
from convcost.frontends.onnx_values import Propagation, raw_dims
from convcost.ops import ONNX_HANDLERS
from convcost.ops.onnx_node import UNKNOWN, OnnxNode, op_label, shown_attr

OWN_SHAPE_DOMAIN = "convcost.own-shape"
"""The domain an op whose handler has its own shape rule is given while ONNX infers the graph's shapes (so ONNX
skips it; its output's shape comes from the walk), then given back."""


class Analysis:
    """Shapes, costs and lowering of every node of one ONNX graph."""

    def __init__(self, onnx: Any, model: Any, source: str, given_inputs: Given) -> None:
        self.onnx = onnx
        self.source = source
        graph = model.graph
        self.initializers: dict[str, Any] = {t.name: t for t in graph.initializer}
        for init in graph.initializer:
            if any(d < 0 for d in init.dims):
                raise ConvcostError(
                    f"{source}: initializer {shown(init.name)} has a negative dimension {list(init.dims)}; not a valid ONNX model"
                )
        inputs = [vi for vi in graph.input if vi.name not in self.initializers]
        if not inputs:
            raise ConvcostError(f"{source}: the graph has no input (every tensor it reads is a constant); nothing to cost")
        first = inputs[0]
        names = [vi.name for vi in inputs]
        for whole, value in given_inputs.split:
            if whole in names:
                raise ConvcostError(
                    f"--input {shown(value)}: ambiguous, the graph has an input named {shown(whole)}; "
                    "give --input once per input (--input NAME=NxCxHxW, repeated)"
                )
        for name, (_, text) in given_inputs.named.items():
            if name not in names:
                listed = ", ".join(map(shown, names[:10])) + (", ..." if len(names) > 10 else "")
                raise ConvcostError(f"--input {shown(name + '=' + text)}: the graph has no input {shown(name)}; its inputs are {listed}")
        if first.name in given_inputs.named and given_inputs.first is not None:
            raise ConvcostError(f"--input: two shapes for the first input {shown(first.name)}; give one")
        given, given_text = given_inputs.named.get(first.name, (given_inputs.first, given_inputs.first_text))
        dims = input_dims(first, given, given_text)
        if given is not None or any(not d.HasField("dim_value") or d.dim_value < 1 for d in first.type.tensor_type.shape.dim):
            set_dims(first, dims)
        for other in inputs[1:]:
            other_given, other_text = given_inputs.named.get(other.name, (None, ""))
            set_dims(other, input_dims(other, other_given, other_text, first=False))
        self.input_name = first.name
        self.input_names = {vi.name for vi in inputs}
        self.other_inputs = tuple(names[1:])
        """The graph inputs after the first, in the file's order."""
        self.nodes = self.order(graph)
        if [n.at for n in self.nodes] != list(range(len(self.nodes))):  # shape inference needs execution order
            protos = [onnx.NodeProto.FromString(n.proto.SerializeToString()) for n in self.nodes]
            del graph.node[:]
            graph.node.extend(protos)
            self.nodes = [n._replace(proto=p) for n, p in zip(self.nodes, graph.node, strict=True)]
        self.schemas = Schemas(onnx, model)
        check_functions(model, self.nodes, source)
        for node in self.nodes:
            self.check_node(node)
        self.shapes = self.infer(model)
        walk = self.propagate(model)
        self.values, self.reasons = walk.values, walk.reasons
        """Tensor -> its value, where the walk of the shape arithmetic computed it (:mod:`onnx_values`); tensor whose
        shape is unknown -> why, for the error of a cost that needs it."""
        self.const = self.constants()
        self.constant_values = {
            node.outputs[0]: node.attrs["value"]
            for node in self.nodes
            if node.op_type == "Constant" and node.outputs and "value" in node.attrs
        }
        """Output tensor -> value of each Constant node."""
        self.weights: dict[str, Any] = {**self.initializers, **self.weight_constants()}
        """Tensor -> its TensorProto for every weight: the initializers, and each float Constant node's tensor
        that is read only as an op's weight (a Conv's, from tf2onnx or an unfolded torch export), counted exactly alike."""
        self.check_tensors()
        self.node_mults = {node.at: self.mults(node) for node in self.nodes}
        """Original node index -> its mults at the file's batch, by the counting rule."""
        self.batch, self.batch_note = self.find_batch(dims[0] if len(dims) >= 2 else 1)

    def find_batch(self, first: int) -> tuple[int, str]:
        """The batch the costs are counted per sample at, and a note when it is not the input's first dimension.

        The input's first dimension is the batch when every tensor computed from the input
        starts with it and every node's mults divide by it: then each figure per sample, times
        the batch, is the file's figure exactly. Otherwise (a 2-D input that a ``Gemm`` with
        ``transA`` reads as K x M, a reshape to batch x heads) the batch is 1: every figure and
        shape is the whole tensor's, as the file has it.
        """
        why = next(self.not_batched(first), "") if first != 1 else ""
        if not why:
            return first, ""
        return 1, f"the input's first dimension ({first:,}) is not a batch all through the graph ({why}): shapes are whole tensors"

    # --- order and shapes -----------------------------------------------------------

    def order(self, graph: Any) -> list[FileNode]:
        """The nodes in execution order (the file's, unless it is not topological); a cycle is an error."""
        onnx = self.onnx
        check_inferred_dims(len(graph.node), [vi for vi in graph.input if vi.name in self.input_names], self.source)
        nodes = [
            FileNode(i, n.name, n.op_type, n.domain, tuple(n.input), tuple(n.output), attributes(onnx, n), n)
            for i, n in enumerate(graph.node)
        ]
        check_subgraphs(onnx, self.source, len(nodes), [v for n in nodes for v in n.attrs.values() if isinstance(v, onnx.AttributeProto)])
        producer: dict[str, int] = {}
        for node in nodes:
            for out in node.outputs:
                if not out:
                    continue
                if out in producer or out in self.initializers or out in self.input_names:
                    raise ConvcostError(f"{self.source}: tensor {shown(out)} is written twice (node {self.describe(node)})")
                producer[out] = node.at
        waiting = [0] * len(nodes)
        users: dict[int, list[int]] = {}
        for node in nodes:
            for name in set(node.inputs):
                if not name or name in self.initializers or name in self.input_names:
                    continue
                if name not in producer:
                    raise ConvcostError(
                        f"{self.source}: node {self.describe(node)} reads tensor {shown(name)}, "
                        "which is no input, initializer or node output"
                    )
                waiting[node.at] += 1
                users.setdefault(producer[name], []).append(node.at)
        ready = [n.at for n in nodes if waiting[n.at] == 0]
        heapq.heapify(ready)
        ordered: list[FileNode] = []
        while ready:
            i = heapq.heappop(ready)
            ordered.append(nodes[i])
            for user in users.get(i, ()):
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, user)
        if len(ordered) != len(nodes):
            stuck = next(n for n in nodes if waiting[n.at] > 0)
            raise ConvcostError(f"{self.source}: the graph has a cycle through node {self.describe(stuck)}")
        return ordered

    def not_batched(self, first: int) -> Iterator[str]:
        """What keeps ``first`` from being the batch: another input or a tensor computed from the
        inputs that does not start with it, a node whose mults do not scale with it."""
        for name in sorted(self.input_names - {self.input_name}):
            yield from self.not_leading(f"input {shown(name)}", name, first)
        for node in self.nodes:
            mults = self.node_mults[node.at]
            if mults % first or (mults and all(not i or i in self.const for i in node.inputs)):
                yield f"node {self.describe(node)} has {mults:,} mults"
            for tensor in node.outputs:
                if tensor and tensor not in self.const:
                    yield from self.not_leading(f"tensor {shown(tensor)}", tensor, first)

    def not_leading(self, label: str, tensor: str, first: int) -> Iterator[str]:
        """``label is 4x5`` when ``tensor``'s known shape does not start with ``first``."""
        dims = self.shapes.get(tensor)
        if dims is not None and UNKNOWN not in dims and (not dims or dims[0] != first):
            yield f"{label} is {'x'.join(map(str, dims)) or 'a scalar'}"

    def describe(self, node: FileNode) -> str:
        return f"{shown(node.name or f'#{node.at}')} ({op_label(node.op_type)})"

    def infer(self, model: Any) -> dict[str, tuple[int, ...] | None]:
        """Every tensor's dimensions (UNKNOWN where inference could not tell; None: unknown rank)."""
        onnx = self.onnx
        own = [n for n in self.nodes if (h := n.handler) is not None and h.shape]
        for node in own:  # ops whose shape convcost computes itself, out of ONNX's reach (the walk gives their shapes)
            node.proto.domain = OWN_SHAPE_DOMAIN
        if own:
            model.opset_import.add(domain=OWN_SHAPE_DOMAIN, version=1)
        try:
            inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=True, data_prop=True)
        except Exception as exc:  # the C++ checker raises several types
            message = " ".join(str(exc).split())
            raise ConvcostError(f"{self.source}: ONNX shape inference failed: {message[:300]}") from None
        finally:
            for node in own:
                node.proto.domain = node.domain
            if own:
                del model.opset_import[-1]
        shapes: dict[str, tuple[int, ...] | None] = {}
        self.bad_dims: dict[str, tuple[int | None, ...]] = {}
        """Tensors with a dimension below 1, as inference gave them (None: unknown)."""
        self.types: dict[str, Any] = {}
        """Tensor -> its TypeProto as inference gave it (the initializers' from their type and dimensions)."""
        graph = inferred.graph
        infos = (*graph.input, *graph.value_info, *graph.output)
        dims_in_all = sum(len(vi.type.tensor_type.shape.dim) for vi in infos)
        if dims_in_all > MAX_INFERRED_DIMS:  # before convcost walks them: time and memory grow with each dimension
            raise ConvcostError(
                f"{self.source}: shape inference gives {dims_in_all:,} tensor dimensions in all (each tensor's rank, added up); "
                f"at most {MAX_INFERRED_DIMS:,} are read"
            )
        for vi in infos:
            self.types[vi.name] = vi.type
            dims = raw_dims(vi.type)
            if dims is None:
                shapes.setdefault(vi.name, None)
                continue
            if len(dims) > MAX_RANK:
                raise ConvcostError(
                    f"{self.source}: tensor {shown(vi.name)} would have {len(dims):,} dimensions; at most {MAX_RANK} are read"
                )
            if any(d is not None and d < 1 for d in dims):
                self.bad_dims[vi.name] = dims
            shapes[vi.name] = tuple(UNKNOWN if d is None or d < 0 else d for d in dims)
        for name, init in self.initializers.items():
            shapes[name] = tuple(init.dims)
            known = onnx.TypeProto()
            known.tensor_type.elem_type = init.data_type
            for d in init.dims:
                known.tensor_type.shape.dim.add().dim_value = d
            self.types[name] = known
        for node in self.nodes:  # Constant outputs, when inference left them out
            if node.op_type == "Constant" and node.outputs and node.outputs[0] not in shapes and "value" in node.attrs:
                shapes[node.outputs[0]] = tuple(node.attrs["value"].dims)
        return shapes

    def propagate(self, model: Any) -> Propagation:
        """The walk of the shape arithmetic after ONNX's inference: values, and the shapes they make known."""
        opsets = {o.domain: o.version for o in model.opset_import}
        walk = Propagation(self.onnx, self.source, self.shapes, self.types, self.initializers, self.input_names, self.schemas.get,
                           opsets, model.ir_version, self.describe)  # fmt: skip
        walk.run(self.nodes)
        self.bad_dims.update(walk.bad_dims)
        return walk

    def constants(self) -> set[str]:
        """Tensors that do not depend on the values of the graph's inputs: initializers, the outputs of
        ``Shape`` and ``Size`` of a tensor whose shape is known (the input's is fixed), and what is
        computed from these only (the shape arithmetic of a flatten: ``Shape``, ``Gather``, ``Concat``)."""
        const = set(self.initializers)
        for node in self.nodes:
            if node.op_type in ("Shape", "Size") and node.domain in DEFAULT_DOMAINS and node.inputs:
                dims = self.shapes.get(node.inputs[0])
                if dims is not None and UNKNOWN not in dims:
                    const.update(o for o in node.outputs if o)
                    continue
            if all(not name or name in const for name in node.inputs) and node.op_type not in ("RandomNormal", "RandomUniform"):
                const.update(o for o in node.outputs if o)
        return const

    def weight_constants(self) -> dict[str, Any]:
        """The float Constant nodes' tensors read only at the slots an op's handler declares its weights."""
        uses: dict[str, list[bool]] = {}
        for node in self.nodes:
            handler = node.handler
            for slot, name in enumerate(node.inputs):
                if name in self.constant_values:
                    uses.setdefault(name, []).append(handler is not None and slot in handler.weights)
        return {
            name: value
            for name, value in self.constant_values.items()
            if is_float(self.onnx, value.data_type) and uses.get(name) and all(uses[name])
        }

    def check_node(self, node: FileNode) -> None:
        """Before shape inference: the node's inputs are as many as its op takes, and every attribute
        convcost reads has the type the ONNX operator declares and a value in its range."""
        where = f"{self.source}: node {self.describe(node)}"
        if not node.op_type:
            raise ConvcostError(f"{where} has no op type; an op type is required (ONNX's NodeProto.op_type)")
        if node.domain not in DEFAULT_DOMAINS:
            return
        check_rank(node, where, self.initializers)
        schema = self.schemas.get(node.op_type)
        if schema is not None:
            names = [p.name for p in schema.inputs]
            given = len(node.inputs)
            if given < schema.min_input or given > schema.max_input:
                most = "any number" if schema.max_input > 2**20 else f"{schema.max_input:,}"
                wanted = str(schema.min_input) if schema.min_input == schema.max_input else f"{schema.min_input} to {most}"
                listed = f" ({', '.join(names)})" if names and schema.max_input <= len(names) else ""
                raise ConvcostError(f"{where} has {given:,} input{'s' if given != 1 else ''}; expected {wanted}{listed}")
            outputs = len(node.outputs)
            if outputs < schema.min_output or outputs > schema.max_output:
                most = "any number" if schema.max_output > 2**20 else f"{schema.max_output:,}"
                wanted = str(schema.min_output) if schema.min_output == schema.max_output else f"{schema.min_output} to {most}"
                raise ConvcostError(f"{where} has {outputs:,} output{'s' if outputs != 1 else ''}; expected {wanted}")
            single = self.onnx.defs.OpSchema.FormalParameterOption.Single
            for i, param in enumerate(schema.inputs[: min(given, schema.min_input)]):
                if param.option == single and not node.inputs[i]:
                    raise ConvcostError(f"{where}: input {i} ({param.name}) is required but empty")
            self.check_input_types(node, schema, where)
        kinds = self.onnx.AttributeProto
        handler = node.handler
        rules = handler.attributes if handler is not None else {}
        for attr in node.proto.attribute:
            rule = rules.get(attr.name)
            declared = schema.attributes[attr.name].type if schema is not None and attr.name in schema.attributes else None
            if rule is None and declared is None:
                continue
            expected_type, expected = (rule[0], rule[1]) if rule is not None else (0, "")
            if declared is not None:
                expected_type = int(declared)
            if attr.type != expected_type:
                kind = kinds.AttributeType.Name(attr.type) if attr.type in kinds.AttributeType.values() else f"type {attr.type}"
                value = node.attrs.get(attr.name)
                text = f" {shown_attr(value)}" if isinstance(value, (int, float, str, tuple)) else ""
                wanted = kinds.AttributeType.Name(expected_type) + (f" ({expected})" if expected else "")
                raise ConvcostError(f"{where}: attribute {attr.name} is the {kind}{text}; expected an {wanted}")
            if rule is not None and not rule[2](node.attrs[attr.name]):
                raise ConvcostError(f"{where}: attribute {attr.name} {shown_attr(node.attrs[attr.name])}; expected {expected}")
        auto = node.attrs.get("auto_pad", "NOTSET")
        if "pads" in node.attrs and isinstance(auto, str) and auto != "NOTSET" and node.op_type in ONNX_HANDLERS:
            raise ConvcostError(
                f"{where}: attribute pads {shown_attr(node.attrs['pads'])} with auto_pad {shown(auto)}; "
                "expected one or the other (ONNX forbids explicit pads unless auto_pad is NOTSET)"
            )

    def check_input_types(self, node: FileNode, schema: Any, where: str) -> None:
        """Each constant input (an initializer) has an element type the op's schema allows for that input."""
        params = list(schema.inputs)
        if not params:
            return
        allowed_by = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}
        types = self.onnx.TensorProto.DataType
        for slot, tensor in enumerate(node.inputs):
            init = self.initializers.get(tensor) if tensor else None
            if init is None:
                continue
            param = params[min(slot, len(params) - 1)]
            allowed = allowed_by.get(param.type_str, {param.type_str})
            kind = types.Name(init.data_type) if init.data_type in types.values() else f"of undefined type {init.data_type}"
            if f"tensor({kind.lower()})" in allowed:
                continue
            wanted = ", ".join(sorted(t[len("tensor(") : -1].upper() for t in allowed if t.startswith("tensor(")))
            raise ConvcostError(f"{where}: input {shown(tensor)} ({param.name}) is {kind}; expected a tensor of {wanted or 'another type'}")

    def check_tensors(self) -> None:
        """After shape inference, node by node: each node follows its op's rule (its handler's check), and every
        tensor convcost uses has every dimension >= 1 (an empty constant aside) and at most
        MAX_DIGITS digits of elements."""
        for name in self.input_names:
            self.check_size(f"{self.source}: input", name)
        for name in self.initializers:
            self.check_size(f"{self.source}: initializer", name)
        for node in self.nodes:
            handler = node.handler
            if handler is not None and handler.check is not None:
                handler.check(self.record(node, 1))
            for slot, name in enumerate(node.inputs):  # a weight's values fit its dimensions, or its params are invented
                weight = self.weights.get(name)
                if weight is None or (handler is not None and slot in handler.not_params):
                    continue  # an input read for its values (a Clip bound, a shape) is checked as it is read
                if (why := stored_mismatch(weight)) is not None:
                    schema = self.schemas.get(node.op_type)
                    param = (
                        schema.inputs[min(slot, len(schema.inputs) - 1)].name if schema is not None and schema.inputs else f"input {slot}"
                    )
                    raise ConvcostError(
                        f"{self.source}: node {self.describe(node)}: input {shown(name)} ({param}) cannot be read: it {why}"
                    )
            where = f"{self.source}: node {self.describe(node)}"
            for tensor in node.outputs:
                bad = self.bad_dims.get(tensor)
                if bad is not None and (tensor not in self.const or any(d is not None and d < 0 for d in bad)):
                    if any(d is not None and d <= -(2**62) for d in bad):  # no real size: ONNX's int64 arithmetic wrapped
                        raise ConvcostError(
                            f"{where}: its output {shown(tensor)} would have a dimension past ONNX's 64-bit range (shape inference "
                            f"overflowed); expected at most {MAX_DIGITS} digits of elements"
                        )
                    text = "x".join("?" if d is None else str(d) for d in bad)
                    raise ConvcostError(f"{where}: its output {shown(tensor)} would be {text}; expected every dimension to be 1 or more")
                self.check_size(f"{where}: output", tensor)

    def check_size(self, where: str, tensor: str) -> None:
        """A tensor's element count has at most MAX_DIGITS digits (every figure stays exact and printable)."""

        dims = self.shapes.get(tensor)
        if dims is None or not dims or UNKNOWN in dims:
            return
        why = too_many_elements(dims)
        if why is not None:
            raise ConvcostError(f"{where} {shown(tensor)} {why}")

    # --- the rule -------------------------------------------------------------------

    def record(self, node: FileNode, batch: int) -> OnnxNode:
        """What the op's handler sees of ``node``: its dimensions and constants, per sample at ``batch``."""
        shapes, const = self.shapes, self.const
        ins = node.inputs
        return OnnxNode(
            node.op_type,
            node.name,
            node.at,
            node.attrs,
            ins,
            tuple(shapes.get(i) for i in ins),
            tuple(i in const for i in ins),
            node.outputs,
            tuple(shapes.get(o) for o in node.outputs),
            self.source,
            batch,
            self.value,
            self.reasons,
        )

    def value(self, node: OnnxNode, slot: int, what: str, scalar: bool = False) -> tuple[float, ...] | None:
        """The values of input ``slot`` of ``node`` when it is a small constant (an initializer with data, or a
        Constant's), else None; one that cannot be read (empty for a scalar, short, not numbers, external) is an error."""

        tensor = node.inputs[slot]
        init = self.initializers.get(tensor, self.constant_values.get(tensor))
        if init is None:
            found = self.values.get(tensor)  # computed by the walk of the shape arithmetic
            if found is None or (scalar and len(found.data) != 1):
                return None
            return tuple(x if isinstance(x, int) else float(x) for x in found.data)
        where = f"{node.where}: input {shown(tensor)} ({what})"
        if init.data_location == self.onnx.TensorProto.EXTERNAL:
            if any(entry.value.encode() == STRIPPED for entry in init.external_data):
                return None  # a large tensor, its data left out by convcost: not a bound or a padding
            raise ConvcostError(f"{where} is stored outside the file (external data), which convcost does not read; expected it inline")
        types = self.onnx.TensorProto.DataType
        kind = types.Name(init.data_type) if init.data_type in types.values() else f"of type {init.data_type}"
        if kind in ("UNDEFINED", "STRING") or kind.startswith("of type"):
            raise ConvcostError(f"{where} is {kind}; expected numbers")
        count = prod(init.dims)
        if scalar and count != 1:
            raise ConvcostError(f"{where} {'is empty' if count == 0 else f'has {count:,} values'}; expected a scalar")
        if count > 64:
            return None
        try:
            return numbers(init)
        except ValueError as exc:  # data that does not hold as many elements as the dimensions say
            raise ConvcostError(f"{where} cannot be read ({exc})") from None

    def params(self) -> dict[int, int]:
        """Params per node index, by the params rule (:func:`onnx_params.params`)."""
        return params(self.onnx, self.nodes, self.weights, self.const)

    def mults(self, node: FileNode) -> int:
        """Multiply-accumulates of one node at the file's batch, by the counting rule: its handler's, else 0."""
        handler = node.handler
        if handler is None or handler.mults is None:
            return 0
        return handler.mults(self.record(node, 1))


__all__ = ["DEFAULT_DOMAINS", "Analysis", "FileNode", "label"]
