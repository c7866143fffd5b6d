"""What an op module sees of an ONNX node, and what it declares to lower one: the handler record.

In the spirit of fvcore's ``jit_handles``: every ONNX op type convcost knows has one
:class:`OnnxHandler` in :data:`convcost.ops.registry.ONNX_HANDLERS`, declared by the op module
whose type it lowers to, in that module's one ``register`` call. Each of its functions takes one
small frozen :class:`OnnxNode` (op type, name, attributes, input and output dimensions, which
inputs are constants, a reader of a constant input's values) and the ONNX front end dispatches
every node through the table; it knows no op type itself.

Dimensions are ONNX's, batch first, of any rank (a 1-D, 2-D or 3-D convolution is the same
record with a different ``rank``); :meth:`OnnxNode.shape` gives the per-sample view the graph
shows (``HxWxC`` for a 4-D feature map, else a :class:`TensorShape`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import prod
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from convcost.core.shapes import Shape, shown
from convcost.errors import ConvcostError

UNKNOWN = -1
"""A dimension ONNX shape inference could not resolve."""

Dims = tuple[int, ...]
"""A tensor's ONNX dimensions, batch first (UNKNOWN where inference could not tell)."""


class TensorShape(Shape):
    """Any tensor shape (not HxWxC), shown as its dimensions: ``197x768``, ``1000``, ``scalar``.

    A :class:`Shape` whose ``h * w * c`` is the element count (``1 x 1 x elements``; 0 while a
    dimension is unknown), so element arithmetic written for feature maps stays right; equality
    and hashing go by the dimensions.
    """

    dims: tuple[int, ...]

    def __new__(cls, dims: tuple[int, ...]) -> TensorShape:
        elements = 0 if any(d < 0 for d in dims) else prod(dims)
        self = cast("TensorShape", super().__new__(cls, 1, 1, elements))
        self.dims = dims
        return self

    def __str__(self) -> str:
        if not self.dims:
            return "scalar"
        return "x".join("?" if d < 0 else str(d) for d in self.dims)

    def __repr__(self) -> str:
        return f"TensorShape({self.dims!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorShape) and self.dims == other.dims

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("TensorShape", self.dims))

    def as_list(self) -> list[int | None]:
        """The dimensions, the JSON form: null for one convcost cannot know (never a negative figure)."""
        return [None if d < 0 else d for d in self.dims]


def graph_shape(dims: Dims | None, batch: int, feature_map: bool = False) -> Shape:
    """A tensor as the graph shows it, batch dimension removed: a feature map channels last (NCHW as HxWxC,
    NCDHW as TxHxWxC, and NCL as LxC when ``feature_map`` says a 1-D window reads or writes it), else its dimensions."""
    if dims is None:
        return TensorShape((UNKNOWN,))
    batched = len(dims) >= (2 if batch == 1 else 1) and dims[0] == batch
    if batched and UNKNOWN not in dims:
        if len(dims) in (4, 5) or (feature_map and len(dims) == 3):
            return Shape(*dims[2:], dims[1])
        if len(dims) == 2:
            return Shape(1, 1, dims[1])
    return TensorShape(dims[1:] if batched else dims)


ValueReader = Callable[["OnnxNode", int, str, bool], "tuple[float, ...] | None"]
"""``reader(node, slot, what, scalar)``: the front end's reading of a constant input (see :meth:`OnnxNode.value`)."""


class OnnxNode(NamedTuple):
    """One ONNX node after shape inference: all a handler reads (``lower``, ``mults`` and ``check`` are asked about
    nodes of the default domain only; ``kernel`` about any node of its op type, as the table shows it)."""

    op_type: str
    name: str
    at: int
    """Position in the file's node list (names an unnamed node in errors: ``'#3'``)."""
    attrs: Mapping[str, Any]
    """Attributes as Python values: int, float, str, tuples of ints or floats (tensors and graphs as protos)."""
    inputs: tuple[str, ...]
    """Input tensor names ('' for an omitted optional input)."""
    dims: tuple[Dims | None, ...]
    """Each input's dimensions (None: unknown rank, or an omitted input)."""
    constant: tuple[bool, ...]
    """Each input: True when it does not depend on the graph's inputs (an initializer, shape arithmetic)."""
    outputs: tuple[str, ...]
    """Output tensor names."""
    out_dims: tuple[Dims | None, ...]
    """Each output's dimensions."""
    source: str
    """The file, for errors."""
    batch: int
    """The batch the graph's shapes are per sample of (1 until the front end has found it; the lowering's)."""
    reader: ValueReader
    reasons: Mapping[str, str] = MappingProxyType({})
    """Tensor whose shape is unknown -> why (the node and the value it needed), for the error of a cost that needs it."""

    @property
    def where(self) -> str:
        """``FILE: node 'name' (Conv)``: the start of every error about this node."""
        return f"{self.source}: node {shown(self.name or f'#{self.at}')} ({op_label(self.op_type)})"

    @property
    def activations(self) -> tuple[str, ...]:
        """The inputs that depend on the graph's input, once each, in order."""
        found: list[str] = []
        for name, const in zip(self.inputs, self.constant, strict=True):
            if name and not const and name not in found:
                found.append(name)
        return tuple(found)

    def known(self, slot: int) -> Dims | None:
        """Input ``slot``'s dimensions when every one is known, else None."""
        dims = self.dims[slot] if slot < len(self.dims) else None
        return None if dims is None or UNKNOWN in dims else dims

    def need(self, slot: int, output: bool = False) -> Dims:
        """Input (or output) ``slot``'s dimensions, or the error naming the node and the tensor."""
        dims = (self.out_dims if output else self.dims)[slot]
        if dims is None or any(d < 0 for d in dims):
            tensor = (self.outputs if output else self.inputs)[slot]
            why = self.reasons.get(tensor)
            raise ConvcostError(
                f"{self.where}: the shape of tensor {shown(tensor)} is unknown "
                f"({'unknown rank' if dims is None else 'x'.join('?' if d < 0 else str(d) for d in dims)}); "
                "ONNX shape inference could not resolve it" + (f": {why}" if why else "")
            )
        return dims

    def shape(self, slot: int) -> Shape:
        """Input ``slot`` as the graph shows it, per sample."""
        return graph_shape(self.dims[slot], self.batch)

    @property
    def out(self) -> Shape:
        """The first output as the graph shows it, per sample."""
        return graph_shape(self.out_dims[0], self.batch) if self.out_dims else TensorShape((UNKNOWN,))

    def value(self, slot: int, what: str, scalar: bool = False) -> tuple[float, ...] | None:
        """The values of input ``slot`` when it is a small constant (at most 64 values, inline), else None;
        one that cannot be read (empty for a scalar, not numbers, external data) is the error naming it as ``what``."""
        return self.reader(self, slot, what, scalar)


Lowered = tuple[str, dict[str, Any], tuple[str, ...]]
"""A model-file type, its keys, and the tensors it reads (activations of the node)."""

OnnxLower = Callable[[OnnxNode], "Lowered | None"]
"""The handler signature: an ONNX node in, the model-file op that costs it the same out (None: none does;
the node is then shown as itself). The front end checks the answer by evaluating that op."""


def broadcasts(shape: Sequence[int], target: Sequence[int]) -> bool:
    """True when ``shape`` broadcasts one way onto ``target`` (ONNX's unidirectional rule, aligned on the right)."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target), strict=False))


def not_lowered(node: OnnxNode) -> Lowered | None:
    """For an op type whose rules convcost knows but that no model-file type expresses."""
    return None


FLOAT, INT, STRING, INTS = 1, 2, 3, 7
"""ONNX ``AttributeProto.AttributeType`` values."""

AttributeRule = tuple[int, str, Callable[[Any], bool]]
"""An attribute's declared type, what its value must be, and the test of that."""


def at_least(minimum: int) -> AttributeRule:
    """An INT attribute >= ``minimum``."""
    return (INT, f"a whole number >= {minimum}", lambda v: v >= minimum)


def all_at_least(minimum: int) -> AttributeRule:
    """An INTS attribute, each >= ``minimum``."""
    return (INTS, f"whole numbers >= {minimum}", lambda v: all(x >= minimum for x in v))


def one_of(*words: str) -> AttributeRule:
    """A STRING attribute, one of ``words``."""
    return (STRING, "one of " + ", ".join(words), lambda v: v in words)


FLAG: AttributeRule = (INT, "0 or 1", lambda v: v in (0, 1))
WINDOW: Mapping[str, AttributeRule] = MappingProxyType(
    {
        "auto_pad": one_of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"),
        "strides": all_at_least(1),
        "dilations": all_at_least(1),
        "kernel_shape": all_at_least(1),
        "pads": all_at_least(0),
    }
)
"""The attributes of every sliding window (convolutions and pools)."""

_NONE: Mapping[str, AttributeRule] = MappingProxyType({})


class OnnxHandler(NamedTuple):
    """What convcost knows of one ONNX op type, declared by the op module it lowers to."""

    lower: OnnxLower = not_lowered
    attributes: Mapping[str, AttributeRule] = _NONE
    """The range of each attribute convcost reads (its type is also checked against the op's schema), before shape inference."""
    mults: Callable[[OnnxNode], int] | None = None
    """Multiply-accumulates at the file's batch where the counting rule gives the op its own (Conv, Gemm, ...); None: 0."""
    check: Callable[[OnnxNode], None] | None = None
    """Raises the error naming the node when it breaks the op's rule (after shape inference, before costing)."""
    kernel: Callable[[OnnxNode], str] | None = None
    """Kernel and stride text (``3x3/2``) of a node shown as itself."""
    not_params: tuple[int, ...] = ()
    """Input slots whose float initializers are not params (batch norm's running mean and variance)."""
    passes_through: bool = False
    """True for an op whose output is its input (``Identity``): the params rule looks through it."""
    weights: tuple[int, ...] = ()
    """Input slots that hold the op's weights: a float Constant node's tensor read only at such slots is a weight
    exactly like an initializer (params, weight bytes, lowering), as tf2onnx and unfolded torch exports write a Conv's."""
    shape: Callable[[OnnxNode], tuple[int, ...]] | None = None
    """The output's dimensions by convcost's own rule, from its inputs' known dimensions, for an op whose ONNX shape
    function convcost never runs (Einsum's crashes the process on some hostile files in onnx 1.18 to 1.22)."""
    layout: str = ""
    """``window``: its first input and output are feature maps, N x C x spatial, in any rank (a Conv, a pool, a batch
    norm); ``keeps``: its output is one when its inputs are (Pad, Resize, Concat); else only a tensor of the
    same dimensions as its input is. The graph shows feature maps channels last (a 1-D one as LxC)."""


def op_label(op_type: str) -> str:
    """An op type from a file for a message, unquoted and cut to 60 characters (a hostile file's op type may be 1 MB)."""
    return op_type if len(op_type) <= 60 else op_type[:57] + "..."


def shown_attr(value: object) -> str:
    """An attribute's value for a message: ``0``, ``0.5``, ``'1'``, ``[1, 0]``."""
    return shown(list(value) if isinstance(value, tuple) else value)
