"""ONNX files into the operator graph, costed by one counting rule.

The counting rule (the README and every ONNX caption state it):

- ``Conv``: output elements x (C_in / group) x KH x KW (pads, strides, dilations, group and
  ``auto_pad`` come in through ONNX's shape inference of the output).
- ``ConvTranspose``: input elements x (C_out / group) x KH x KW.
- ``Gemm``: M x N x K (``transA``, ``transB``); ``MatMul``: the broadcast batch dimensions x
  M x N x K, whether the second operand is a weight or an activation (attention's Q K^T and
  A V count, as PyTorch's FLOP counter counts them).
- ``Einsum``: two operands, the product of the sizes of every index in the output or in both
  operands (an index summed within one operand first costs nothing: PyTorch's decomposition
  into ``bmm``); one operand, 0; more, contracted left to right by the same rule.
- Every other op: 0 mults (pooling, activations, normalization, elementwise, resize, reshape;
  bias adds). An op outside :data:`ZERO_MULT_OPS` is costed 0 and listed (``not costed``).
- params: the elements of the distinct floating-point initializers, each counted once (on the
  first node that uses it), except one used only as batch norm's running mean or variance
  (inputs 3 and 4 of ``BatchNormalization``, directly or through ``Identity``). Integer
  initializers (shapes, indices) are not params.

Each rule that belongs to an op type (its attributes, its checks, its mults, its lowering to the
model-file type that costs it the same way) is that op's handler in the op table's
:data:`~convcost.ops.registry.ONNX_HANDLERS`, declared with the op in its module under
``convcost/ops``. This module is the entry: it reads the file (:mod:`onnx_read`, :mod:`onnx_inputs`),
analyses it (:mod:`onnx_infer`: order, shape inference, checks, mults, params, the batch), lowers
it through the table (:mod:`onnx_lower`) and groups it (:mod:`onnx_blocks`). ``onnx`` itself is
imported here only (the optional package's lazy door).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from convcost.core.graph import Graph
from convcost.core.perf import paused_gc
from convcost.core.shapes import shown
from convcost.errors import ConvcostError
from convcost.frontends.onnx_blocks import blocks
from convcost.frontends.onnx_graph import FileNode
from convcost.frontends.onnx_infer import DEFAULT_DOMAINS, Analysis, label
from convcost.frontends.onnx_inputs import InputSpecs, parse_inputs
from convcost.frontends.onnx_lower import Lowering
from convcost.frontends.onnx_read import model_bytes
from convcost.ops import ONNX_HANDLERS

MISSING_ONNX = "reading .onnx files needs the onnx package: pip install 'convcost[onnx]'"

COUNTING_RULE = (
    "mults = multiply-accumulates (FLOPs = 2 x mults), by ONNX op: Conv: output elements x C_in/group x KH x KW;",
    "ConvTranspose: input elements x C_out/group x KH x KW; Gemm: M x N x K; MatMul: batch x M x N x K",
    "(two activations too); Einsum: the product of the sizes of the indices in the output or in both operands",
    "(one operand: 0); every other op 0. params: the distinct float initializers, each once,",
    "batch-norm running mean and variance and Clip bounds excluded.",
)
"""The counting rule, as the lines of a caption."""


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
"""ONNX op types with no multiply-accumulates under the rule: costed 0 and not listed (nor is an op type
with a handler in :data:`ONNX_HANDLERS`: its handler's mults, or 0).

Ops that do multiply-accumulate but are outside the rule (LSTM, GRU, RNN, Attention,
QLinearConv, ConvInteger, MatMulInteger, DFT, control flow with subgraphs, ...) and ops of
other domains are costed 0 and listed under the table as ``not costed``."""


def _onnx() -> Any:
    """The ``onnx`` module, or the one-line error saying how to install it."""
    try:
        # lazy: onnx, the optional package, only for an .onnx file
        import onnx
        import onnx.numpy_helper
        import onnx.shape_inference
    except ImportError:
        raise ConvcostError(MISSING_ONNX) from None
    return onnx


# --- reading ------------------------------------------------------------------------


def read_model(path: str) -> Any:
    """Parse ``path`` (weights left out), checking it is an ONNX model this onnx can read."""

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
        if opset.domain in DEFAULT_DOMAINS and opset.version > newest:
            raise ConvcostError(
                f"{path}: opset {opset.version} is newer than the installed onnx {onnx.__version__} knows "
                f"(up to opset {newest}); upgrade it: pip install -U onnx"
            )
    return model


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


def load_onnx(path: str, input_dims: InputSpecs = None, all_ops: bool = False) -> Graph:
    """Read an ONNX file into the operator graph, every node costed by the counting rule.

    ``input_dims``: ``NxCxHxW`` (or ``HxWxC``) for the first input, needed when it has dynamic
    dimensions; ``name=NxCxHxW`` for any input (split at its last ``=``), one text per input (or several
    in one text, comma-separated, where that is unambiguous). ``all_ops``: show
    every node as a row (by default, nodes with neither mults nor params are summed in one line
    of ``notes``).
    """

    given = parse_inputs(input_dims)
    with paused_gc():
        model = read_model(path)
        onnx = _onnx()
        analysis = Analysis(onnx, model, path, given)
        lowering = Lowering(analysis, all_ops)
        params = analysis.params()
        not_costed: Counter[str] = Counter()
        for node in analysis.nodes:
            if node.domain not in DEFAULT_DOMAINS or (node.op_type not in ZERO_MULT_OPS and node.op_type not in ONNX_HANDLERS):
                not_costed[label(node)] += 1
            lowering.add(node, params.get(node.at, 0))
    output = _output(model, lowering, path)
    nodes = lowering.nodes
    hidden = sum(1 for node in nodes if node.hidden) - len(analysis.other_inputs)
    notes = [analysis.batch_note] if analysis.batch_note else []
    if hidden:
        notes.append(f"{hidden:,} other node{'s' if hidden != 1 else ''}: 0 mults (--all-ops lists them)")
    if not_costed:
        listed = ", ".join(f"{count} x {label}" for label, count in sorted(not_costed.items(), key=lambda item: (-item[1], item[0])))
        notes.append(f"not costed: {listed}")
    dead = _unreached(analysis.nodes, {o.name for o in model.graph.output}, analysis.node_mults)
    if dead:
        names = ", ".join(shown(n) for n in dead[:3]) + (", ..." if len(dead) > 3 else "")
        notes.append(
            f"{len(dead):,} node{'s' if len(dead) != 1 else ''} with mults reach no graph output ({names}): counted all the same, "
            "as the file holds them (a runtime may prune them)"
        )
    notes.extend(COUNTING_RULE)
    return Graph(
        path,
        _model_name(model, path),
        lowering.input_shape,
        tuple(nodes),
        tuple(lowering.shapes),
        output,
        blocks([n.name for n in nodes], [n.hidden for n in nodes]),
        batch=analysis.batch,
        input_name=analysis.input_name,
        notes=tuple(notes),
        evaluated=tuple(lowering.evaluated),
    )


def _unreached(nodes: Sequence[FileNode], outputs: set[str], mults: Mapping[int, int]) -> list[str]:
    """The names of the nodes with mults whose outputs no graph output depends on (dead code in the file)."""
    producer = {o: n for n in nodes for o in n.outputs if o}
    needed: set[int] = set()
    stack = [producer[t] for t in outputs if t in producer]
    while stack:
        node = stack.pop()
        if node.at in needed:
            continue
        needed.add(node.at)
        stack.extend(producer[t] for t in node.inputs if t in producer and producer[t].at not in needed)
    return [n.name or f"{n.op_type}_{n.at}" for n in nodes if n.at not in needed and mults.get(n.at, 0)]  # as the table names them


_EXPORTER_GRAPH_NAMES = frozenset({"", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx", "graph"})
"""Graph names exporters write whatever the model: the file's name says more."""


def _model_name(model: Any, path: str) -> str:
    """The graph's name, unless it is an exporter's default; then the file's name without ``.onnx``."""

    name = str(model.graph.name)
    return name if name not in _EXPORTER_GRAPH_NAMES else os.path.basename(path)[: -len(".onnx")]


def _output(model: Any, lowering: Lowering, path: str) -> int:
    """The graph node whose tensor is the file's first output."""
    if not lowering.nodes:
        raise ConvcostError(f"{path}: the graph has no nodes; nothing to cost")
    outputs = [vi.name for vi in model.graph.output]
    if not outputs:
        return len(lowering.nodes) - 1
    found = lowering.tensor_node.get(outputs[0])
    if found is None:
        raise ConvcostError(f"{path}: the graph's output {shown(outputs[0])} is not computed by any node")
    return found
