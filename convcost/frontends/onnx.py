"""ONNX files into the operator graph, costed by one counting rule.

The counting rule (the README and every ONNX caption state it):

- ``Conv``: output elements x (C_in / group) x KH x KW (pads, strides, dilations, group and
  ``auto_pad`` come in through ONNX's shape inference of the output).
- ``ConvTranspose``: input elements x (C_out / group) x KH x KW.
- ``Gemm``: M x N x K (``transA``, ``transB``); ``MatMul``: the broadcast batch dimensions x
  M x N x K, whether the second operand is a weight or an activation (attention's Q K^T and
  A V count, as PyTorch's FLOP counter counts them).
- Every other op: 0 mults (pooling, activations, normalization, elementwise, resize, reshape;
  bias adds). An op outside :data:`ZERO_MULT_OPS` is costed 0 and listed (``not costed``).
- params: the elements of the distinct floating-point initializers, each counted once (on the
  first node that uses it), except one used only as batch norm's running mean or variance
  (inputs 3 and 4 of ``BatchNormalization``, directly or through ``Identity``). Integer
  initializers (shapes, indices) are not params.

Each node is then lowered to the model-file type that costs it the same way where one does
(``Conv`` to ``conv``, so the what-if replaces the real layers; ``Gemm`` to ``linear``;
``BatchNormalization`` to ``batchnorm``; ...), checked by evaluating that type; every other
node becomes an ``onnx`` node that carries its cost. ``onnx`` itself is imported here only.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from math import prod
from typing import Any, NamedTuple

from convcost.core.cost import Cost
from convcost.core.graph import INPUT, Block, Graph, Node
from convcost.core.shapes import Shape, shown
from convcost.errors import ConvcostError
from convcost.ops.onnx_generic import ONNX_OP, UNKNOWN, TensorShape
from convcost.ops.registry import Evaluated, kernel_text

MISSING_ONNX = "reading .onnx files needs the onnx package: pip install 'convcost[onnx]'"

COUNTING_RULE = (
    "mults = multiply-accumulates (FLOPs = 2 x mults), by ONNX op: Conv: output elements x C_in/group x KH x KW;",
    "ConvTranspose: input elements x C_out/group x KH x KW; Gemm: M x N x K; MatMul: batch x M x N x K",
    "(two activations too); every other op 0. params: the distinct float initializers, each once,",
    "batch-norm running mean and variance excluded.",
)
"""The counting rule, as the lines of a caption."""

COSTED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")
"""The ONNX op types that have mults."""

_ZERO_MULT_NAMES = """
    Abs Acos Acosh Add AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Bernoulli
    BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor BlackmanWindow Cast CastLike Ceil Celu CenterCropPad Clip
    Col2Im Compress Concat ConcatFromSequence Constant ConstantOfShape Cos Cosh CumSum DepthToSpace DequantizeLinear
    Div Dropout DynamicQuantizeLinear Elu Equal Erf Exp Expand EyeLike Flatten Floor Gather GatherElements GatherND
    Gelu GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GroupNormalization
    HammingWindow HannWindow HardSigmoid HardSwish Hardmax Identity InstanceNormalization IsInf IsNaN LRN
    LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax LpNormalization LpPool Max MaxPool MaxRoiPool
    MaxUnpool Mean MeanVarianceNormalization Min Mish Mod Mul Neg NonMaxSuppression NonZero Not OneHot Optional
    OptionalGetElement OptionalHasElement Or PRelu Pad Pow QuantizeLinear RMSNormalization RandomNormal
    RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum
    ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize
    ReverseSequence RoiAlign Round Scatter ScatterElements ScatterND Selu SequenceAt SequenceConstruct SequenceEmpty
    SequenceErase SequenceInsert SequenceLength Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax Softplus
    Softsign SpaceToDepth Split SplitToSequence Sqrt Squeeze Sub Sum Swish Tan Tanh ThresholdedRelu Tile TopK
    Transpose Trilu Unique Unsqueeze Upsample Where Xor
"""
ZERO_MULT_OPS = frozenset(_ZERO_MULT_NAMES.split())
"""ONNX op types with no multiply-accumulates under the rule: costed 0 and not listed.

Ops that do multiply-accumulate but are outside the rule (Einsum, LSTM, GRU, RNN, Attention,
QLinearConv, ConvInteger, MatMulInteger, DFT, control flow with subgraphs, ...) and ops of
other domains are costed 0 and listed under the table as ``not costed``."""

_DEFAULT_DOMAINS = ("", "ai.onnx")
_NCHW_AXES = ("batch", "channels", "height", "width")


def _onnx() -> Any:
    """The ``onnx`` module, or the one-line error saying how to install it."""
    try:
        import onnx
        import onnx.shape_inference
    except ImportError:
        raise ConvcostError(MISSING_ONNX) from None
    return onnx


# --- reading ------------------------------------------------------------------------


def read_model(path: str) -> Any:
    """Parse ``path`` (weights left out), checking it is an ONNX model this onnx can read."""
    from convcost.frontends.onnx_read import model_bytes

    data = model_bytes(path)  # counted and checked before onnx is imported: a hostile file is refused at once
    onnx = _onnx()
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # protobuf's DecodeError, which has no type stubs
        raise ConvcostError(f"{path}: not an ONNX model, or a truncated one (protobuf cannot parse it)") from None
    if not model.HasField("graph") or (model.ir_version == 0 and not model.opset_import):
        raise ConvcostError(f"{path}: not an ONNX model (it has no graph)")
    _check_text(model.graph, path)
    if model.ir_version > onnx.IR_VERSION:
        raise ConvcostError(
            f"{path}: IR version {model.ir_version} is newer than the installed onnx {onnx.__version__} reads "
            f"(up to {onnx.IR_VERSION}); upgrade it: pip install -U onnx"
        )
    newest = onnx.defs.onnx_opset_version()
    for opset in model.opset_import:
        if opset.domain in _DEFAULT_DOMAINS and opset.version > newest:
            raise ConvcostError(
                f"{path}: opset {opset.version} is newer than the installed onnx {onnx.__version__} knows "
                f"(up to opset {newest}); upgrade it: pip install -U onnx"
            )
    return model


# --- the --input option -------------------------------------------------------------


def parse_input(text: str, what: str = "--input") -> tuple[int, ...]:
    """``1x3x224x224`` or ``224x224x3``: whole numbers >= 1 separated by x (at most MAX_RANK of them)."""
    from convcost.frontends.onnx_read import MAX_RANK

    parts = text.lower().replace("\u00d7", "x").replace(" ", "").split("x")
    if (
        len(parts) > MAX_RANK
        or not all(p.isascii() and p.isdigit() and len(p) <= _MAX_DIGITS for p in parts)
        or any(int(p) < 1 for p in parts)
    ):
        raise ConvcostError(f"{what}: expected NxCxHxW (or HxWxC for batch 1), e.g. 1x3x224x224, got {shown(text)}")
    return tuple(int(p) for p in parts)


_MAX_DIGITS = 12
"""A size on ``--input`` has at most this many digits (ONNX sizes are 64-bit integers)."""


class _Given(NamedTuple):
    """``--input``: a shape for the first input, and shapes by input name (``name=NxCxHxW``, comma-separated)."""

    first: tuple[int, ...] | None
    first_text: str
    named: dict[str, tuple[tuple[int, ...], str]]


def parse_inputs(text: str | None) -> _Given:
    """``1x3x224x224``, or ``image=1x3x224x224,mask=1x1x224x224`` (a shape without a name is the first input's)."""
    if text is None:
        return _Given(None, "", {})
    first: tuple[int, ...] | None = None
    first_text = ""
    named: dict[str, tuple[tuple[int, ...], str]] = {}
    for spec in text.split(","):
        name, sep, dims = spec.rpartition("=")
        if not sep:
            if first is not None:
                raise ConvcostError(f"--input {shown(text)}: two shapes without a name; name the others (name=NxCxHxW)")
            first, first_text = parse_input(dims), dims
            continue
        name = name.strip()
        if not name or name in named:
            raise ConvcostError(f"--input {shown(text)}: expected name=NxCxHxW with each input named once, got {shown(spec)}")
        named[name] = (parse_input(dims, f"--input {name}"), dims)
    return _Given(first, first_text, named)


def _axis(rank: int, i: int) -> str:
    return _NCHW_AXES[i] if rank == 4 else f"dimension {i}"


def _check_text(graph: Any, path: str) -> None:
    """Refuse names that are not UTF-8 (ONNX strings are; protobuf hands such a name back as bytes)."""
    named = [("the graph", (graph.name,))]
    named += [(f"node {i}", (n.name, n.op_type, n.domain, *n.input, *n.output)) for i, n in enumerate(graph.node)]
    named += [(f"tensor {i}", (t.name,)) for i, t in enumerate((*graph.initializer, *graph.input, *graph.output, *graph.value_info))]
    for where, texts in named:
        for text in texts:
            if not isinstance(text, str):
                shown = bytes(text)[:60].decode("utf-8", "backslashreplace")
                raise ConvcostError(f"{path}: {where} has a name that is not UTF-8 text ('{shown}'); not a valid ONNX model")


def _input_dims(value_info: Any, given: tuple[int, ...] | None, given_text: str, first: bool = True) -> tuple[int, ...]:
    """The static shape of a graph input: the file's, completed or checked by ``--input`` (``name=`` for
    an input other than the first)."""
    name = value_info.name
    option = "--input " if first else f"--input {name}="
    tensor = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not tensor.HasField("shape"):
        if given is None:
            raise ConvcostError(f"input {name!r} has no shape in the file; give {option}NxCxHxW (or HxWxC for batch 1)")
        return given
    dims = list(tensor.shape.dim)
    rank = len(dims)
    if given is not None:
        if rank == 4 and len(given) == 3:
            h, w, c = given
            given = (1, c, h, w)
        if len(given) != rank:
            expected = "NxCxHxW (or HxWxC for batch 1)" if rank == 4 else f"{rank} sizes"
            raise ConvcostError(f"--input {given_text}: input {name!r} has {rank} dimensions; expected {expected}")
        for i, (dim, size) in enumerate(zip(dims, given, strict=True)):
            if dim.HasField("dim_value") and dim.dim_value >= 1 and dim.dim_value != size:
                raise ConvcostError(
                    f"--input {given_text}: the file fixes the {_axis(rank, i)} of input {name!r} at {dim.dim_value}, not {size}"
                )
        return given
    result = []
    example = "x".join(["1"] * rank)
    hint = f"with one size per dimension (e.g. {example})" if first else f"{example} (one size per dimension)"
    hint = "NxCxHxW (or HxWxC for batch 1)" if rank == 4 else hint
    for i, dim in enumerate(dims):
        if not dim.HasField("dim_value"):
            label = dim.dim_param or _axis(rank, i)
            raise ConvcostError(f"input {name!r} has dynamic dimension {label!r}; give {option}{hint}")
        if dim.dim_value < 1:
            kind = "zero" if dim.dim_value == 0 else "negative"
            raise ConvcostError(
                f"input {name!r} has a {kind} {_axis(rank, i)} ({dim.dim_value}); expected sizes of 1 or more, or give {option}{hint}"
            )
        result.append(dim.dim_value)
    return tuple(result)


def _set_dims(value_info: Any, dims: tuple[int, ...]) -> None:
    shape = value_info.type.tensor_type.shape
    shape.ClearField("dim")
    for size in dims:
        shape.dim.add().dim_value = size


# --- the analysis -------------------------------------------------------------------


class _Node(NamedTuple):
    """One ONNX node, in execution order."""

    at: int
    """Position in the file's node list."""
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any]
    proto: Any


def _attributes(onnx: Any, node: Any) -> dict[str, Any]:
    """A node's attributes as Python values (tensors and graphs left as protos)."""
    found: dict[str, Any] = {}
    kinds = onnx.AttributeProto
    for attr in node.attribute:
        if attr.type == kinds.INT:
            found[attr.name] = attr.i
        elif attr.type == kinds.FLOAT:
            found[attr.name] = attr.f
        elif attr.type == kinds.STRING:
            found[attr.name] = attr.s.decode("utf-8", "replace")
        elif attr.type == kinds.INTS:
            found[attr.name] = tuple(attr.ints)
        elif attr.type == kinds.FLOATS:
            found[attr.name] = tuple(attr.floats)
        elif attr.type == kinds.TENSOR:
            found[attr.name] = attr.t
        else:
            found[attr.name] = attr
    return found


_FLOAT, _INT, _STRING, _INTS = 1, 2, 3, 7
"""``AttributeProto.AttributeType`` values."""

_AttributeRule = tuple[int, str, Callable[[Any], bool]]
"""An attribute's declared type, what its value must be, and the test of that."""


def _at_least(minimum: int) -> _AttributeRule:
    return (_INT, f"a whole number >= {minimum}", lambda v: v >= minimum)


def _all_at_least(minimum: int) -> _AttributeRule:
    return (_INTS, f"whole numbers >= {minimum}", lambda v: all(x >= minimum for x in v))


def _one_of(*words: str) -> _AttributeRule:
    return (_STRING, "one of " + ", ".join(words), lambda v: v in words)


_FLAG: _AttributeRule = (_INT, "0 or 1", lambda v: v in (0, 1))
_AUTO_PAD = _one_of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")
_WINDOW = {
    "auto_pad": _AUTO_PAD,
    "strides": _all_at_least(1),
    "dilations": _all_at_least(1),
    "kernel_shape": _all_at_least(1),
    "pads": _all_at_least(0),
}
_ATTRIBUTE_RULES: dict[str, dict[str, _AttributeRule]] = {
    "Conv": {**_WINDOW, "group": _at_least(1)},
    "ConvTranspose": {**_WINDOW, "group": _at_least(1), "output_padding": _all_at_least(0), "output_shape": _all_at_least(1)},
    "MaxPool": {**_WINDOW, "ceil_mode": _FLAG, "storage_order": _FLAG},
    "AveragePool": {**_WINDOW, "ceil_mode": _FLAG, "count_include_pad": _FLAG},
    "LpPool": {**_WINDOW, "ceil_mode": _FLAG},
    "Gemm": {"transA": _FLAG, "transB": _FLAG},
    "Pad": {"mode": _one_of("constant", "reflect", "edge", "wrap")},
    "Resize": {"mode": _one_of("nearest", "linear", "cubic")},
    "Upsample": {"mode": _one_of("nearest", "linear", "bilinear")},
}
"""The range of each attribute convcost reads, by op (its type is also checked against the op's schema)."""


def _shown_attr(value: object) -> str:
    """An attribute's value for a message: ``0``, ``0.5``, ``'1'``, ``[1, 0]``."""
    return shown(list(value) if isinstance(value, tuple) else value)


class _Schemas:
    """The ONNX operator schemas of a model's default-domain opset, looked up once per op type."""

    def __init__(self, onnx: Any, model: Any) -> None:
        self.onnx = onnx
        versions = [o.version for o in model.opset_import if o.domain in _DEFAULT_DOMAINS]
        self.version = versions[0] if versions else onnx.defs.onnx_opset_version()
        self.found: dict[str, Any] = {}

    def get(self, op_type: str) -> Any:
        """The schema of ``op_type`` at the model's opset, or None for an op ONNX does not define."""
        if op_type not in self.found:
            try:
                self.found[op_type] = self.onnx.defs.get_schema(op_type, self.version, "")
            except Exception:  # onnx.defs.SchemaError: no such op (a custom op in the default domain)
                self.found[op_type] = None
        return self.found[op_type]


def _label(node: _Node) -> str:
    """The name of an op type in notes: ``CustomOp``, or ``com.microsoft.FusedConv``."""
    return node.op_type if node.domain in _DEFAULT_DOMAINS else f"{node.domain}.{node.op_type}"


class _Analysis:
    """Shapes, costs and lowering of every node of one ONNX graph."""

    def __init__(self, onnx: Any, model: Any, source: str, given_inputs: _Given) -> None:
        self.onnx = onnx
        self.source = source
        graph = model.graph
        self.initializers: dict[str, Any] = {t.name: t for t in graph.initializer}
        for init in graph.initializer:
            if any(d < 0 for d in init.dims):
                raise ConvcostError(
                    f"{source}: initializer {init.name!r} has a negative dimension {list(init.dims)}; not a valid ONNX model"
                )
        inputs = [vi for vi in graph.input if vi.name not in self.initializers]
        if not inputs:
            raise ConvcostError(f"{source}: the graph has no input (every tensor it reads is a constant); nothing to cost")
        first = inputs[0]
        names = [vi.name for vi in inputs]
        for name, (_, text) in given_inputs.named.items():
            if name not in names:
                listed = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
                raise ConvcostError(f"--input {shown(name + '=' + text)}: the graph has no input {name!r}; its inputs are {listed}")
        if first.name in given_inputs.named and given_inputs.first is not None:
            raise ConvcostError(f"--input: two shapes for the first input {first.name!r}; give one")
        given, given_text = given_inputs.named.get(first.name, (given_inputs.first, given_inputs.first_text))
        dims = _input_dims(first, given, given_text)
        if given is not None or any(not d.HasField("dim_value") or d.dim_value < 1 for d in first.type.tensor_type.shape.dim):
            _set_dims(first, dims)
        for other in inputs[1:]:
            other_given, other_text = given_inputs.named.get(other.name, (None, ""))
            _set_dims(other, _input_dims(other, other_given, other_text, first=False))
        self.input_name = first.name
        self.input_names = {vi.name for vi in inputs}
        self.nodes = self.order(graph)
        if [n.at for n in self.nodes] != list(range(len(self.nodes))):  # shape inference needs execution order
            protos = [onnx.NodeProto.FromString(n.proto.SerializeToString()) for n in self.nodes]
            del graph.node[:]
            graph.node.extend(protos)
            self.nodes = [n._replace(proto=p) for n, p in zip(self.nodes, graph.node, strict=True)]
        self.schemas = _Schemas(onnx, model)
        for node in self.nodes:
            self.check_node(node)
        self.shapes = self.infer(model)
        self.const = self.constants()
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

    def order(self, graph: Any) -> list[_Node]:
        """The nodes in execution order (the file's, unless it is not topological); a cycle is an error."""
        onnx = self.onnx
        nodes = [
            _Node(i, n.name, n.op_type, n.domain, tuple(n.input), tuple(n.output), _attributes(onnx, n), n)
            for i, n in enumerate(graph.node)
        ]
        self.check_subgraphs(len(nodes), [v for n in nodes for v in n.attrs.values() if isinstance(v, onnx.AttributeProto)])
        producer: dict[str, int] = {}
        for node in nodes:
            for out in node.outputs:
                if not out:
                    continue
                if out in producer or out in self.initializers or out in self.input_names:
                    raise ConvcostError(f"{self.source}: tensor {out!r} is written twice (node {self.describe(node)})")
                producer[out] = node.at
        waiting = [0] * len(nodes)
        users: dict[int, list[int]] = {}
        for node in nodes:
            for name in set(node.inputs):
                if not name or name in self.initializers or name in self.input_names:
                    continue
                if name not in producer:
                    raise ConvcostError(
                        f"{self.source}: node {self.describe(node)} reads tensor {name!r}, which is no input, initializer or node output"
                    )
                waiting[node.at] += 1
                users.setdefault(producer[name], []).append(node.at)
        ready = [n.at for n in nodes if waiting[n.at] == 0]
        heapq.heapify(ready)
        ordered: list[_Node] = []
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
            yield from self.not_leading(f"input {name!r}", name, first)
        for node in self.nodes:
            mults = self.node_mults[node.at]
            if mults % first or (mults and all(not i or i in self.const for i in node.inputs)):
                yield f"node {self.describe(node)} has {mults:,} mults"
            for tensor in node.outputs:
                if tensor and tensor not in self.const:
                    yield from self.not_leading(f"tensor {tensor!r}", tensor, first)

    def not_leading(self, label: str, tensor: str, first: int) -> Iterator[str]:
        """``label is 4x5`` when ``tensor``'s known shape does not start with ``first``."""
        dims = self.shapes.get(tensor)
        if dims is not None and UNKNOWN not in dims and (not dims or dims[0] != first):
            yield f"{label} is {'x'.join(map(str, dims)) or 'a scalar'}"

    def check_subgraphs(self, count: int, attributes: Sequence[Any]) -> None:
        """The graph's nodes and those of its subgraphs (``If``, ``Loop``, ``Scan`` bodies) are at most MAX_NODES."""
        from convcost.frontends.onnx_read import MAX_NODES, too_many_nodes

        kinds = self.onnx.AttributeProto
        graphs = [g for a in attributes for g in ((a.g,) if a.type == kinds.GRAPH else a.graphs if a.type == kinds.GRAPHS else ())]
        while graphs:
            graph = graphs.pop()
            count += len(graph.node)
            if count > MAX_NODES:
                raise ConvcostError(too_many_nodes(self.source))
            for node in graph.node:
                for attr in node.attribute:
                    if attr.type == kinds.GRAPH:
                        graphs.append(attr.g)
                    elif attr.type == kinds.GRAPHS:
                        graphs.extend(attr.graphs)

    def describe(self, node: _Node) -> str:
        return f"{node.name or f'#{node.at}'!r} ({node.op_type})"

    def infer(self, model: Any) -> dict[str, tuple[int, ...] | None]:
        """Every tensor's dimensions (UNKNOWN where inference could not tell; None: unknown rank)."""
        onnx = self.onnx
        try:
            inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=True, data_prop=True)
        except Exception as exc:  # the C++ checker raises several types
            message = " ".join(str(exc).split())
            raise ConvcostError(f"{self.source}: ONNX shape inference failed: {message[:300]}") from None
        shapes: dict[str, tuple[int, ...] | None] = {}
        self.bad_dims: dict[str, tuple[int | None, ...]] = {}
        """Tensors with a dimension below 1, as inference gave them (None: unknown)."""
        graph = inferred.graph
        for vi in (*graph.input, *graph.value_info, *graph.output):
            tensor = vi.type.tensor_type
            if not vi.type.HasField("tensor_type") or not tensor.HasField("shape"):
                shapes.setdefault(vi.name, None)
                continue
            dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
            if any(d is not None and d < 1 for d in dims):
                self.bad_dims[vi.name] = dims
            shapes[vi.name] = tuple(UNKNOWN if d is None or d < 0 else d for d in dims)
        for name, init in self.initializers.items():
            shapes[name] = tuple(init.dims)
        for node in self.nodes:  # Constant outputs, when inference left them out
            if node.op_type == "Constant" and node.outputs and node.outputs[0] not in shapes and "value" in node.attrs:
                shapes[node.outputs[0]] = tuple(node.attrs["value"].dims)
        return shapes

    def constants(self) -> set[str]:
        """Tensors that do not depend on the values of the graph's inputs: initializers, the outputs of
        ``Shape`` and ``Size`` of a tensor whose shape is known (the input's is fixed), and what is
        computed from these only (the shape arithmetic of a flatten: ``Shape``, ``Gather``, ``Concat``)."""
        const = set(self.initializers)
        for node in self.nodes:
            if node.op_type in ("Shape", "Size") and node.domain in _DEFAULT_DOMAINS and node.inputs:
                dims = self.shapes.get(node.inputs[0])
                if dims is not None and UNKNOWN not in dims:
                    const.update(o for o in node.outputs if o)
                    continue
            if all(not name or name in const for name in node.inputs) and node.op_type not in ("RandomNormal", "RandomUniform"):
                const.update(o for o in node.outputs if o)
        return const

    def check_node(self, node: _Node) -> None:
        """Before shape inference: the node's inputs are as many as its op takes, and every attribute
        convcost reads has the type the ONNX operator declares and a value in its range."""
        if node.domain not in _DEFAULT_DOMAINS:
            return
        where = f"{self.source}: node {self.describe(node)}"
        schema = self.schemas.get(node.op_type)
        if schema is not None:
            names = [p.name for p in schema.inputs]
            given = len(node.inputs)
            if given < schema.min_input or given > schema.max_input:
                most = "any number" if schema.max_input > 2**20 else f"{schema.max_input:,}"
                wanted = str(schema.min_input) if schema.min_input == schema.max_input else f"{schema.min_input} to {most}"
                listed = f" ({', '.join(names)})" if names and schema.max_input <= len(names) else ""
                raise ConvcostError(f"{where} has {given:,} input{'s' if given != 1 else ''}; expected {wanted}{listed}")
            single = self.onnx.defs.OpSchema.FormalParameterOption.Single
            for i, param in enumerate(schema.inputs[: min(given, schema.min_input)]):
                if param.option == single and not node.inputs[i]:
                    raise ConvcostError(f"{where}: input {i} ({param.name}) is required but empty")
        kinds = self.onnx.AttributeProto
        rules = _ATTRIBUTE_RULES.get(node.op_type, {})
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
                text = f" {_shown_attr(value)}" if isinstance(value, (int, float, str, tuple)) else ""
                wanted = kinds.AttributeType.Name(expected_type) + (f" ({expected})" if expected else "")
                raise ConvcostError(f"{where}: attribute {attr.name} is the {kind}{text}; expected an {wanted}")
            if rule is not None and not rule[2](node.attrs[attr.name]):
                raise ConvcostError(f"{where}: attribute {attr.name} {_shown_attr(node.attrs[attr.name])}; expected {expected}")

    def check_tensors(self) -> None:
        """After shape inference, node by node: each convolution follows the convolution's rule, and every
        tensor convcost uses has every dimension >= 1 (an empty constant aside) and at most
        MAX_DIGITS digits of elements."""
        for name in self.input_names:
            self.check_size(f"{self.source}: input", name)
        for name in self.initializers:
            self.check_size(f"{self.source}: initializer", name)
        for node in self.nodes:
            if node.domain in _DEFAULT_DOMAINS and node.op_type in ("Conv", "ConvTranspose"):
                self.check_window(node)
            where = f"{self.source}: node {self.describe(node)}"
            for tensor in node.outputs:
                bad = self.bad_dims.get(tensor)
                if bad is not None and (tensor not in self.const or any(d is not None and d < 0 for d in bad)):
                    text = "x".join("?" if d is None else str(d) for d in bad)
                    raise ConvcostError(f"{where}: its output {tensor!r} would be {text}; expected every dimension to be 1 or more")
                self.check_size(f"{where}: output", tensor)

    def check_size(self, where: str, tensor: str) -> None:
        """A tensor's element count has at most MAX_DIGITS digits (every figure stays exact and printable)."""
        from convcost.core.shapes import DIGITS_REASON, MAX_DIGITS

        dims = self.shapes.get(tensor)
        if dims is None or not dims or UNKNOWN in dims:
            return
        limit = 10**MAX_DIGITS
        elements = 1
        for d in dims:
            elements *= d
            if elements >= limit:
                text = "x".join(map(str, dims))
                text = text if len(text) <= 60 else text[:57] + "..."
                raise ConvcostError(f"{where} {tensor!r} is {text}: more than {MAX_DIGITS} digits of elements; {DIGITS_REASON}")

    def check_window(self, node: _Node) -> None:
        """A Conv or ConvTranspose: its weight fits its input and group, its kernel_shape is its weight's,
        and the rule of the model file's ``conv`` / ``deconv`` (groups, output channels, a kernel that fits)."""
        from convcost.core.shapes import check_groups, window_sizes
        from convcost.ops.conv import deconv_sizes

        attrs, ins = node.attrs, node.inputs
        x, weight = self.need(node, ins[0]), self.need(node, ins[1])
        self.check_conv(node, x, weight)
        where = f"{self.source}: node {self.describe(node)}"
        rank = len(x) - 2
        if rank < 1 or len(weight) != len(x):
            return  # shape inference refuses these
        k = weight[2:]
        if "kernel_shape" in attrs and tuple(attrs["kernel_shape"]) != k:
            raise ConvcostError(
                f"{where}: attribute kernel_shape {_shown_attr(attrs['kernel_shape'])} disagrees with weight {ins[1]!r}, "
                f"which is {'x'.join(map(str, weight))} (kernel {'x'.join(map(str, k))}); expected the weight's kernel"
            )
        values = {}
        for key, default in (("strides", 1), ("dilations", 1), ("output_padding", 0)):
            values[key] = tuple(attrs.get(key, (default,) * rank))
            if len(values[key]) != rank:
                raise ConvcostError(f"{where}: attribute {key} {_shown_attr(values[key])}; expected {rank} values, one per spatial axis")
        stride, dilation = values["strides"], values["dilations"]
        auto = attrs.get("auto_pad", "NOTSET")
        group = attrs.get("group", 1)
        spatial = x[2:]
        try:
            if node.op_type == "Conv":
                check_groups(x[1], weight[0], group)
                begin, end = self.window_pads(node, auto, spatial, k, stride, dilation)
                window_sizes(spatial, k, stride, begin, end, dilation)
            elif "output_shape" in attrs or auto in ("SAME_UPPER", "SAME_LOWER"):
                check_groups(x[1], weight[1] * group, group)  # the output's size is the attribute's (checked >= 1 with it)
            else:
                begin, end = self.window_pads(node, auto, spatial, k, stride, dilation, same=False)
                deconv_sizes(spatial, x[1], weight[1] * group, group, k, stride, begin, end, dilation, values["output_padding"])
        except ConvcostError as exc:
            raise ConvcostError(f"{where}: {exc}") from None

    def window_pads(self, node: _Node, auto: str, spatial: Sequence[int], k: Sequence[int], stride: Sequence[int],
                    dilation: Sequence[int], same: bool = True) -> tuple[tuple[int, ...], tuple[int, ...]]:  # fmt: skip
        """The padding (before each axis, after each axis) of a window, ``auto_pad`` resolved."""
        rank = len(spatial)
        if auto == "VALID":
            return (0,) * rank, (0,) * rank
        if same and auto in ("SAME_UPPER", "SAME_LOWER"):
            pairs = [_same_pads(n, kk, s, d, auto == "SAME_UPPER") for n, kk, s, d in zip(spatial, k, stride, dilation, strict=True)]
            return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
        pads = tuple(node.attrs.get("pads", (0,) * (2 * rank)))
        if len(pads) != 2 * rank:
            where = f"{self.source}: node {self.describe(node)}"
            raise ConvcostError(f"{where}: attribute pads {_shown_attr(pads)}; expected {2 * rank} values (begins, then ends)")
        return pads[:rank], pads[rank:]

    def need(self, node: _Node, tensor: str) -> tuple[int, ...]:
        """The dimensions of ``tensor``, or the error naming the node and the tensor."""
        dims = self.shapes.get(tensor)
        if dims is None or any(d < 0 for d in dims):
            raise ConvcostError(
                f"{self.source}: node {self.describe(node)}: the shape of tensor {tensor!r} is unknown "
                f"({'unknown rank' if dims is None else 'x'.join('?' if d < 0 else str(d) for d in dims)}); "
                "ONNX shape inference could not resolve it"
            )
        return dims

    # --- the rule -------------------------------------------------------------------

    def mults(self, node: _Node) -> int:
        """Multiply-accumulates of one node at the file's batch, by the counting rule."""
        if node.domain not in _DEFAULT_DOMAINS:
            return 0
        op, ins = node.op_type, node.inputs
        if op == "Conv":
            x = self.need(node, ins[0])  # an unknown input is the cause to name
            weight = self.need(node, ins[1])
            self.check_conv(node, x, weight)
            return prod(self.need(node, node.outputs[0])) * prod(weight[1:])
        if op == "ConvTranspose":
            x = self.need(node, ins[0])
            weight = self.need(node, ins[1])
            self.check_conv(node, x, weight)
            return prod(x) * prod(weight[1:])
        if op == "Gemm":
            a, b = self.need(node, ins[0]), self.need(node, ins[1])
            m, k = (a[1], a[0]) if node.attrs.get("transA", 0) else (a[0], a[1])
            n = b[0] if node.attrs.get("transB", 0) else b[1]
            return m * n * k
        if op == "MatMul":
            return matmul_mults(self.need(node, ins[0]), self.need(node, ins[1]))
        return 0

    def check_conv(self, node: _Node, x: tuple[int, ...], weight: tuple[int, ...]) -> None:
        """A Conv's or ConvTranspose's weight fits its input's channels and its group, else the error naming the node.

        Conv: weight N x C/group x KH x KW, N divisible by group; ConvTranspose: weight
        C x N/group x KH x KW (C: the input's channels, dimension 1).
        """
        group = node.attrs.get("group", 1)
        where = f"{self.source}: node {self.describe(node)}"
        shown_weight = "x".join(map(str, weight))
        if not isinstance(group, int) or group < 1:
            raise ConvcostError(f"{where}: group {group}; expected a whole number >= 1")
        if len(x) < 2 or len(weight) < 2:  # ONNX shape inference refuses these (and checks ConvTranspose's C against the group)
            return
        channels = x[1]
        if node.op_type == "Conv":
            if weight[1] * group != channels:
                raise ConvcostError(
                    f"{where}: weight {node.inputs[1]!r} is {shown_weight}, which takes {weight[1]} x group {group} = "
                    f"{weight[1] * group} input channels, but input {node.inputs[0]!r} has {channels}; not a valid convolution"
                )
            if weight[0] % group:
                raise ConvcostError(
                    f"{where}: weight {node.inputs[1]!r} is {shown_weight}: its {weight[0]} output channels do not split "
                    f"into group {group}; not a valid convolution"
                )
            return
        if weight[0] != channels:
            raise ConvcostError(
                f"{where}: weight {node.inputs[1]!r} is {shown_weight}, which takes {weight[0]} input channels, but input "
                f"{node.inputs[0]!r} has {channels}; not a valid transposed convolution"
            )

    def params(self) -> dict[int, int]:
        """Params per node index: each float initializer on the first node that uses it, through constant-only nodes."""
        position = {node.at: i for i, node in enumerate(self.nodes)}
        consumers: dict[str, list[tuple[_Node, int]]] = {}
        for node in self.nodes:
            for slot, name in enumerate(node.inputs):
                if name:
                    consumers.setdefault(name, []).append((node, slot))
        found: dict[int, int] = {}
        for name, init in self.initializers.items():
            if not _is_float(self.onnx, init.data_type) or name not in consumers or self.running_stat(name, consumers):
                continue
            owner = self.owner(name, consumers, position)
            found[owner] = found.get(owner, 0) + prod(init.dims)
        return found

    def running_stat(self, name: str, consumers: Mapping[str, list[tuple[_Node, int]]]) -> bool:
        """True when every use of ``name`` is input 3 or 4 of BatchNormalization, directly or through Identity."""
        stack, uses = [name], 0
        seen = set()
        while stack:
            tensor = stack.pop()
            if tensor in seen:
                continue
            seen.add(tensor)
            for node, slot in consumers.get(tensor, ()):
                if node.op_type == "Identity" and node.domain in _DEFAULT_DOMAINS:
                    stack.extend(o for o in node.outputs if o)
                    continue
                if node.op_type != "BatchNormalization" or slot not in (3, 4):
                    return False
                uses += 1
        return uses > 0

    def owner(self, name: str, consumers: Mapping[str, list[tuple[_Node, int]]], position: Mapping[int, int]) -> int:
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
                if all(not o or o in self.const for o in node.outputs):
                    stack.extend(o for o in node.outputs if o)
                elif best is None or at < position[best]:
                    best = node.at
        owner = best if best is not None else first
        assert owner is not None
        return owner


def _is_float(onnx: Any, data_type: int) -> bool:
    name = onnx.TensorProto.DataType.Name(data_type) if data_type in onnx.TensorProto.DataType.values() else ""
    return name.startswith(("FLOAT", "BFLOAT")) or name == "DOUBLE"


def matmul_mults(a: Sequence[int], b: Sequence[int]) -> int:
    """numpy ``matmul``: the broadcast batch dimensions x M x N x K (a 1-D operand is a vector)."""
    if not a or not b:
        raise ConvcostError("MatMul needs operands of rank 1 or more")
    a = (1, *a) if len(a) == 1 else tuple(a)
    b = (*b, 1) if len(b) == 1 else tuple(b)
    m, k, n = a[-2], a[-1], b[-1]
    batch_a, batch_b = a[:-2], b[:-2]
    width = max(len(batch_a), len(batch_b))
    batch_a = (1,) * (width - len(batch_a)) + batch_a
    batch_b = (1,) * (width - len(batch_b)) + batch_b
    batch = prod(max(x, y) if 1 in (x, y) else x for x, y in zip(batch_a, batch_b, strict=True))
    return batch * m * n * k


def _kernel(node: _Node, weight: tuple[int, ...] | None) -> str:
    """``3x3/2`` for convolutions and pools; empty otherwise."""
    if node.op_type in ("Conv", "ConvTranspose") and weight is not None and len(weight) > 2:
        k = weight[2:]
    elif node.op_type in ("MaxPool", "AveragePool", "LpPool") and "kernel_shape" in node.attrs:
        k = node.attrs["kernel_shape"]
    else:
        return ""
    strides = node.attrs.get("strides", (1,) * len(k))
    if len(k) == 2 and len(strides) == 2:
        return kernel_text((k[0], k[1]), (strides[0], strides[1]))
    text = "x".join(str(x) for x in k)
    if any(s != 1 for s in strides):
        text += "/" + "x".join(str(s) for s in strides)
    return text


# --- lowering into the graph --------------------------------------------------------

_ACTIVATIONS = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "HardSwish": "hardswish",
    "HardSigmoid": "hardsigmoid",
    "Gelu": "gelu",
    "Softmax": "softmax",
    "Identity": "identity",
    "Dropout": "dropout",
}
"""ONNX ops that are a model-file type of the same shape and no keys."""

Lowered = tuple[str, dict[str, Any], tuple[str, ...]]
"""A model-file type, its keys, and the tensors it reads (its activations)."""


def _same_pads(size: int, k: int, stride: int, dilation: int, upper: bool) -> tuple[int, int]:
    """ONNX ``auto_pad`` SAME_UPPER / SAME_LOWER along one axis: (begin, end)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - size, 0)
    small, large = total // 2, total - total // 2
    return (small, large) if upper else (large, small)


class _Lowering:
    """The analysed nodes into graph nodes: a model-file type where one costs a node the same, else ``onnx``."""

    def __init__(self, analysis: _Analysis, all_ops: bool) -> None:
        self.a = analysis
        self.all_ops = all_ops
        self.batch = analysis.batch
        self.nodes: list[Node] = []
        self.shapes: list[Shape] = []
        self.tensor_node: dict[str, int] = {}
        """Tensor name -> index of the graph node whose output it is (or stands for)."""
        self.input_shape = self.shape(analysis.input_name)
        self.names: set[str] = set()
        self.constant_values = {
            node.outputs[0]: node.attrs["value"]
            for node in analysis.nodes
            if node.op_type == "Constant" and node.outputs and "value" in node.attrs
        }
        """Output tensor -> value of each Constant node."""

    # --- tensors ----------------------------------------------------------------------

    def shape(self, tensor: str) -> Shape:
        """A tensor as the graph shows it, batch dimension removed: HxWxC for NCHW, else its dimensions."""
        dims = self.a.shapes.get(tensor)
        if dims is None:
            return TensorShape((UNKNOWN,))
        batched = len(dims) >= (2 if self.batch == 1 else 1) and dims[0] == self.batch
        if batched and UNKNOWN not in dims:
            if len(dims) == 4:
                return Shape(dims[2], dims[3], dims[1])
            if len(dims) == 2:
                return Shape(1, 1, dims[1])
        return TensorShape(dims[1:] if batched else dims)

    def producer(self, tensor: str) -> int:
        return INPUT if tensor in self.a.input_names else self.tensor_node[tensor]

    def seen_as(self, tensor: str) -> Shape:
        """The shape the walk gives a node reading ``tensor``: its producer's first output."""
        node = self.producer(tensor)
        return self.input_shape if node == INPUT else self.shapes[node]

    def activations(self, node: _Node) -> tuple[str, ...]:
        """The inputs that depend on the graph's input, once each, in order."""
        found: list[str] = []
        for name in node.inputs:
            if name and name not in self.a.const and name not in found:
                found.append(name)
        return tuple(found)

    def value(self, node: _Node, slot: int, what: str, scalar: bool = False) -> tuple[float, ...] | None:
        """The values of input ``slot`` of ``node`` when it is a small constant (an initializer with data, or a
        Constant's), else None; one that cannot be read (empty for a scalar, short, not numbers, external) is an error."""
        from onnx import numpy_helper

        from convcost.frontends.onnx_read import STRIPPED

        tensor = node.inputs[slot]
        init = self.a.initializers.get(tensor, self.constant_values.get(tensor))
        if init is None:
            return None
        where = f"{self.a.source}: node {self.a.describe(node)}: input {tensor!r} ({what})"
        if init.data_location == self.a.onnx.TensorProto.EXTERNAL:
            if any(entry.value.encode() == STRIPPED for entry in init.external_data):
                return None  # a large tensor, its data left out by convcost: not a bound or a padding
            raise ConvcostError(f"{where} is stored outside the file (external data), which convcost does not read; expected it inline")
        types = self.a.onnx.TensorProto.DataType
        kind = types.Name(init.data_type) if init.data_type in types.values() else f"of type {init.data_type}"
        if kind in ("UNDEFINED", "STRING") or kind.startswith("of type"):
            raise ConvcostError(f"{where} is {kind}; expected numbers")
        count = prod(init.dims)
        if scalar and count != 1:
            raise ConvcostError(f"{where} {'is empty' if count == 0 else f'has {count:,} values'}; expected a scalar")
        if count > 64:
            return None
        try:
            return tuple(numpy_helper.to_array(init).reshape(-1).tolist())
        except Exception as exc:  # numpy's ValueError for data shorter than the dimensions, onnx's TypeError
            raise ConvcostError(f"{where} cannot be read ({' '.join(str(exc).split())[:200]})") from None

    # --- per node ---------------------------------------------------------------------

    def elements(self, tensors: Iterable[str]) -> int:
        total = 0
        for name in tensors:
            shape = self.shape(name)
            total += shape.h * shape.w * shape.c
        return total

    def add(self, node: _Node, params: int) -> None:
        a = self.a
        mults = a.node_mults[node.at] // self.batch  # find_batch made sure it divides
        acts = self.activations(node)
        weights = sum(prod(a.initializers[i].dims) for i in set(node.inputs) if i in a.initializers)
        outputs = [o for o in node.outputs if o]
        if outputs and all(o in a.const for o in outputs):
            # computed from constants only: once per batch, read like a weight (never scaled by the batch)
            weights += sum(prod(d) for d in map(a.shapes.get, outputs) if d is not None and UNKNOWN not in d)
            written = 0
        else:
            written = self.elements(outputs)
        cost = Cost(mults, params, self.elements(acts), written, weights)
        out = self.shape(node.outputs[0]) if node.outputs and node.outputs[0] else TensorShape((UNKNOWN,))
        name = self.name(node)
        hidden = not self.all_ops and mults == 0 and params == 0
        graph_node = self.registered(node, name, cost, out, hidden)
        if graph_node is None:
            weight = a.shapes.get(node.inputs[1]) if len(node.inputs) > 1 else None
            evaluated = Evaluated(out, cost, _kernel(node, weight))
            attrs = {"type": _label(node), "evaluated": evaluated}
            graph_node = Node(name, ONNX_OP, attrs, tuple(self.producer(t) for t in acts), name, bool(node.name), None, hidden=hidden)
        index = len(self.nodes)
        self.nodes.append(graph_node)
        self.shapes.append(out)
        for tensor in node.outputs:
            if tensor:
                self.tensor_node[tensor] = index

    def name(self, node: _Node) -> str:
        name = node.name or f"{node.op_type}_{node.at}"
        if name in self.names:
            name = f"{name}_{node.at}"
            while name in self.names:
                name += "_"
        self.names.add(name)
        return name

    def registered(self, node: _Node, name: str, cost: Cost, out: Shape, hidden: bool) -> Node | None:
        """The node as a model-file type, if one evaluates to exactly this output and cost."""
        from convcost.ops import OPS

        if node.domain not in _DEFAULT_DOMAINS:
            return None
        lowered = self.lower(node, out)
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
        return Node(name, op, attrs, tuple(self.producer(t) for t in reads), name, bool(node.name), key, hidden=hidden)

    def lower(self, node: _Node, out: Shape) -> Lowered | None:
        """The model-file type, keys and activation inputs that could express ``node``."""
        op, attrs, ins = node.op_type, node.attrs, node.inputs
        acts = self.activations(node)
        if not ins or not acts or ins[0] != acts[0]:
            return None
        x = ins[0]
        dims = self.a.shapes.get(x)
        if dims is None or UNKNOWN in dims:
            return None
        if op == "Conv" and len(dims) == 4 and len(acts) == 1:
            return self.conv(node, dims)
        if op == "ConvTranspose" and len(dims) == 4 and len(acts) == 1:
            return self.deconv(node, dims, out)
        if op in ("Gemm", "MatMul") and len(dims) == 2 and len(acts) == 1:
            return self.linear(node)
        if len(acts) == 1 and op in _ACTIVATIONS:
            return (_ACTIVATIONS[op], {}, (x,))
        if op == "Clip" and len(acts) == 1 and self.clip_range(node) == (0.0, 6.0):
            return ("relu6", {}, (x,))
        if op == "BatchNormalization" and len(acts) == 1:
            return ("batchnorm", {}, (x,))
        if op == "PRelu" and len(acts) == 1:
            return ("prelu", {}, (x,))
        if op in ("MaxPool", "AveragePool") and len(dims) == 4 and len(acts) == 1:
            return self.pool(node, dims, out)
        if op in ("GlobalAveragePool", "GlobalMaxPool") and len(dims) == 4:
            return ("avgpool" if op == "GlobalAveragePool" else "maxpool", {"global": True}, (x,))
        if op in ("Flatten", "Reshape", "Squeeze", "Unsqueeze") and len(acts) == 1:
            return self.reshape(node, out)
        if op in ("Add", "Sum") and len(acts) == len(ins) >= 2:
            return ("add", {}, acts)
        if op == "Concat" and len(acts) == len(ins) >= 2 and attrs.get("axis") in ((1, -3) if len(dims) == 4 else (1, -1)):
            return ("concat", {}, acts)
        if op in ("Resize", "Upsample") and len(dims) == 4 and len(acts) == 1:
            return self.resize(node, dims, out)
        if op == "Pad" and len(dims) == 4 and len(acts) == 1:
            return self.pad(node)
        return None

    def conv(self, node: _Node, dims: tuple[int, ...]) -> Lowered | None:
        attrs, ins = node.attrs, node.inputs
        weight = self.a.shapes.get(ins[1])
        if weight is None or len(weight) != 4 or UNKNOWN in weight:
            return None
        k = (weight[2], weight[3])
        stride = tuple(attrs.get("strides", (1, 1)))
        dilation = tuple(attrs.get("dilations", (1, 1)))
        pads = self.pads(attrs, dims, k, stride, dilation)
        if pads is None:
            return None
        bias = len(ins) > 2 and bool(ins[2])
        values = {"k": k, "out": weight[0], "stride": stride, "padding": pads, "dilation": dilation, "groups": attrs.get("group", 1)}
        values["bias"] = bias
        return ("conv", values, (ins[0],))

    def pads(self, attrs: Mapping[str, Any], dims: tuple[int, ...], k: tuple[int, int], stride: tuple[int, ...],
             dilation: tuple[int, ...]) -> tuple[int, int, int, int] | None:  # fmt: skip
        """Explicit (top, bottom, left, right) padding of a 2-D window, ``auto_pad`` resolved."""
        auto = attrs.get("auto_pad", "NOTSET")
        if len(stride) != 2 or len(dilation) != 2:
            return None
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            upper = auto == "SAME_UPPER"
            top, bottom = _same_pads(dims[2], k[0], stride[0], dilation[0], upper)
            left, right = _same_pads(dims[3], k[1], stride[1], dilation[1], upper)
            return (top, bottom, left, right)
        if auto == "VALID":
            return (0, 0, 0, 0)
        pads = tuple(attrs.get("pads", (0, 0, 0, 0)))
        if len(pads) != 4 or min(pads) < 0:
            return None
        return (pads[0], pads[2], pads[1], pads[3])

    def deconv(self, node: _Node, dims: tuple[int, ...], out: Shape) -> Lowered | None:
        attrs, ins = node.attrs, node.inputs
        weight = self.a.shapes.get(ins[1])
        if weight is None or len(weight) != 4 or UNKNOWN in weight:
            return None
        groups = attrs.get("group", 1)
        k = (weight[2], weight[3])
        stride = tuple(attrs.get("strides", (1, 1)))
        dilation = tuple(attrs.get("dilations", (1, 1)))
        extra = tuple(attrs.get("output_padding", (0, 0)))
        auto = attrs.get("auto_pad", "NOTSET")
        if len(stride) != 2 or len(dilation) != 2 or len(extra) != 2:
            return None
        if "output_shape" in attrs or auto in ("SAME_UPPER", "SAME_LOWER"):
            if isinstance(out, TensorShape):
                return None
            target = (out.h, out.w)  # the size shape inference gave, which is what the padding must produce
            pads: list[int] = []
            for axis in range(2):
                total = stride[axis] * (dims[2 + axis] - 1) + extra[axis] + (k[axis] - 1) * dilation[axis] + 1 - target[axis]
                small, large = total // 2, total - total // 2
                pads.extend((small, large) if auto == "SAME_UPPER" else (large, small))
            padding = (pads[0], pads[1], pads[2], pads[3])
        elif auto == "VALID":
            padding = (0, 0, 0, 0)
        else:
            raw = tuple(attrs.get("pads", (0, 0, 0, 0)))
            if len(raw) != 4:
                return None
            padding = (raw[0], raw[2], raw[1], raw[3])
        if min(padding) < 0:
            return None
        values = {"k": k, "out": weight[1] * groups, "stride": stride, "padding": padding, "output_padding": extra}
        values.update({"dilation": dilation, "groups": groups, "bias": len(ins) > 2 and bool(ins[2])})
        return ("deconv", values, (ins[0],))

    def linear(self, node: _Node) -> Lowered | None:
        attrs, ins = node.attrs, node.inputs
        weight = self.a.shapes.get(ins[1])
        if weight is None or len(weight) != 2 or UNKNOWN in weight or attrs.get("transA", 0):
            return None
        n = weight[0] if attrs.get("transB", 0) else weight[1]
        bias = False
        if node.op_type == "Gemm" and len(ins) > 2 and ins[2]:
            c = self.a.shapes.get(ins[2])
            if c is None or ins[2] not in self.a.const or UNKNOWN in c or prod(c) != n:
                return None
            bias = True
        return ("linear", {"out": n, "bias": bias}, (ins[0],))

    def clip_range(self, node: _Node) -> tuple[float, float] | None:
        """Clip's (min, max), from attributes (opset < 11) or constant inputs; None when either is not known."""
        low, high = node.attrs.get("min"), node.attrs.get("max")
        if len(node.inputs) > 1 and node.inputs[1]:
            found = self.value(node, 1, "min", scalar=True)
            low = found[0] if found and len(found) == 1 else None
        if len(node.inputs) > 2 and node.inputs[2]:
            found = self.value(node, 2, "max", scalar=True)
            high = found[0] if found and len(found) == 1 else None
        if low is None or high is None:
            return None
        return (float(low), float(high))

    def pool(self, node: _Node, dims: tuple[int, ...], out: Shape) -> Lowered | None:
        attrs = node.attrs
        kernel = tuple(attrs.get("kernel_shape", ()))
        if len(kernel) != 2 or any(d != 1 for d in attrs.get("dilations", (1, 1))) or isinstance(out, TensorShape):
            return None
        k = (kernel[0], kernel[1])
        stride = tuple(attrs.get("strides", (1, 1)))
        pads = self.pads(attrs, dims, k, stride, (1, 1))
        if pads is None:
            return None
        top, bottom, left, right = pads
        if attrs.get("ceil_mode", 0):  # the extra window of ceil mode as extra padding at the end
            bottom = max(bottom, (out.h - 1) * stride[0] + k[0] - dims[2] - top)
            right = max(right, (out.w - 1) * stride[1] + k[1] - dims[3] - left)
        kind = "maxpool" if node.op_type == "MaxPool" else "avgpool"
        return (kind, {"k": k, "stride": stride, "padding": (top, bottom, left, right)}, (node.inputs[0],))

    def reshape(self, node: _Node, out: Shape) -> Lowered | None:
        inp = self.shape(node.inputs[0])
        if isinstance(inp, TensorShape) or isinstance(out, TensorShape):
            return None
        if out == inp and (node.op_type != "Flatten" or (inp.h, inp.w) == (1, 1)):
            return ("identity", {}, (node.inputs[0],)) if node.op_type != "Flatten" else ("flatten", {}, (node.inputs[0],))
        if out == Shape(1, 1, inp.h * inp.w * inp.c):
            return ("flatten", {}, (node.inputs[0],))
        return None

    def resize(self, node: _Node, dims: tuple[int, ...], out: Shape) -> Lowered | None:
        mode = node.attrs.get("mode", "nearest")
        if mode not in ("nearest", "linear", "bilinear") or isinstance(out, TensorShape) or out.c != dims[1]:
            return None
        h, w = dims[2], dims[3]
        values: dict[str, Any] = {"mode": "nearest" if mode == "nearest" else "bilinear"}
        if out.h % h == 0 and out.w % w == 0 and out.h >= h and out.w >= w:
            values["scale"] = (out.h // h, out.w // w)
        else:
            values["size"] = (out.h, out.w)
        return ("upsample", values, (node.inputs[0],))

    def pad(self, node: _Node) -> Lowered | None:
        if len(node.inputs) > 3 and node.inputs[3]:  # axes
            return None
        raw = node.attrs.get("pads")
        if len(node.inputs) > 1 and node.inputs[1]:
            found = self.value(node, 1, "pads")
            raw = tuple(int(v) for v in found) if found is not None else None
        if raw is None or len(raw) != 8 or raw[0] or raw[1] or raw[4] or raw[5] or min(raw) < 0:
            return None
        return ("pad", {"padding": (raw[2], raw[6], raw[3], raw[7])}, (node.inputs[0],))


MAX_BLOCK_DEPTH = 32
"""--depth groups ONNX nodes by at most this many leading components of their name paths."""
MAX_BLOCK_CHARS = 1_000
"""... and by components of at most this many characters in all (a model file's longest name)."""


def _name_path(name: str) -> tuple[str, ...]:
    """The scopes of a node-name path (``/layer1/layer1.0/conv1/Conv``: ``layer1``, ``layer1.0``, ``conv1``),
    at most MAX_BLOCK_DEPTH of them and MAX_BLOCK_CHARS characters in all (the rest of a longer path is not grouped)."""
    if "/" not in name:
        return ()
    parts = name.strip("/").split("/", MAX_BLOCK_DEPTH + 1)[:-1]
    kept: list[str] = []
    length = 0
    for part in parts[:MAX_BLOCK_DEPTH]:
        length += len(part)
        if length > MAX_BLOCK_CHARS:
            break
        kept.append(part)
    return tuple(kept)


def _blocks(names: Sequence[str], hidden: Sequence[bool]) -> tuple[Block, ...]:
    """Blocks from node-name paths (``/layer1/layer1.0/conv1/Conv``: ``layer1``, ``layer1.0``, ``conv1``).

    A block is a run of consecutive nodes whose paths share a prefix; one that holds a single
    node, or no visible one, is left out. One pass, linear in the paths' lengths: a block opens
    where a path leaves its predecessor's prefix and closes where the next path leaves it.
    """
    visible = [0]  # visible[i]: visible nodes before node i
    for flag in hidden:
        visible.append(visible[-1] + (not flag))
    blocks: list[Block] = []
    opened: list[int] = []  # opened[d]: the first node of the open block at depth d
    previous: tuple[str, ...] = ()
    for i, path in enumerate([*map(_name_path, names), ()]):  # an empty path at the end closes every block
        common = 0
        while common < min(len(previous), len(path)) and previous[common] == path[common]:
            common += 1
        for depth in range(len(previous) - 1, common - 1, -1):
            first, last = opened[depth], i - 1
            if last > first and visible[last + 1] > visible[first]:
                blocks.append(Block(_block_name(previous[: depth + 1]), depth, first, last))
        del opened[common:]
        opened.extend([i] * (len(path) - common))
        previous = path
    return tuple(sorted(blocks, key=lambda b: (b.first, b.depth)))


def _block_name(prefix: Sequence[str]) -> str:
    """The dotted module path of a name-path prefix, as PyTorch names modules.

    torch's exporter writes a scope relative to its parent where the parent is a container
    (``/features/features.1/block/block.0``): a part that starts with the previous part and a
    dot replaces it, any other part is appended (``features.1.block.0``).
    """
    name, last = prefix[0], prefix[0]
    for part in prefix[1:]:
        name = name[: len(name) - len(last)] + part if part.startswith(last + ".") else f"{name}.{part}"
        last = part
    return name


def load_onnx(path: str, input_dims: str | None = None, all_ops: bool = False) -> Graph:
    """Read an ONNX file into the operator graph, every node costed by the counting rule.

    ``input_dims``: ``NxCxHxW`` (or ``HxWxC``) for the first input, needed when it has dynamic
    dimensions; ``name=NxCxHxW`` for any input, several separated by commas. ``all_ops``: show
    every node as a row (by default, nodes with neither mults nor params are summed in one line
    of ``notes``).
    """
    from convcost.core.perf import paused_gc

    given = parse_inputs(input_dims)
    with paused_gc():
        model = read_model(path)
        onnx = _onnx()
        analysis = _Analysis(onnx, model, path, given)
        lowering = _Lowering(analysis, all_ops)
        params = analysis.params()
        not_costed: Counter[str] = Counter()
        for node in analysis.nodes:
            if node.domain not in _DEFAULT_DOMAINS or (node.op_type not in ZERO_MULT_OPS and node.op_type not in COSTED_OPS):
                not_costed[_label(node)] += 1
            lowering.add(node, params.get(node.at, 0))
    output = _output(model, lowering, path)
    nodes = lowering.nodes
    hidden = sum(1 for node in nodes if node.hidden)
    notes = [analysis.batch_note] if analysis.batch_note else []
    if hidden:
        notes.append(f"{hidden:,} other node{'s' if hidden != 1 else ''}: 0 mults (--all-ops lists them)")
    if not_costed:
        listed = ", ".join(f"{count} x {label}" for label, count in sorted(not_costed.items(), key=lambda item: (-item[1], item[0])))
        notes.append(f"not costed: {listed}")
    notes.extend(COUNTING_RULE)
    blocks = _blocks([n.name for n in nodes], [n.hidden for n in nodes])
    return Graph(
        path,
        _model_name(model, path),
        lowering.input_shape,
        tuple(nodes),
        tuple(lowering.shapes),
        output,
        blocks,
        batch=analysis.batch,
        input_name=analysis.input_name,
        notes=tuple(notes),
    )


_EXPORTER_GRAPH_NAMES = frozenset({"", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx", "graph"})
"""Graph names exporters write whatever the model: the file's name says more."""


def _model_name(model: Any, path: str) -> str:
    """The graph's name, unless it is an exporter's default; then the file's name without ``.onnx``."""
    import os

    name = str(model.graph.name)
    return name if name not in _EXPORTER_GRAPH_NAMES else os.path.basename(path)[: -len(".onnx")]


def _output(model: Any, lowering: _Lowering, path: str) -> int:
    """The graph node whose tensor is the file's first output."""
    if not lowering.nodes:
        raise ConvcostError(f"{path}: the graph has no nodes; nothing to cost")
    outputs = [vi.name for vi in model.graph.output]
    if not outputs:
        return len(lowering.nodes) - 1
    found = lowering.tensor_node.get(outputs[0])
    if found is None:
        raise ConvcostError(f"{path}: the graph's output {outputs[0]!r} is not computed by any node")
    return found
