"""Reading an ONNX file without its weights: checks, and a protobuf scan that drops weight data.

Only shapes matter for costs, so a large initializer (weights) keeps its name, type and
dimensions and loses its data before anything is parsed: the file is memory-mapped, the
protobuf wire format is walked field by field (headers only; weight bytes are skipped, never
read), and a copy without the weight bytes is handed to ``onnx``. Peak memory is then a small
fraction of the file's size whatever that is (a self-contained VGG-16 is 550 MB), and files
past protobuf's 2 GB limit read all the same. Small initializers keep their data: shape
inference needs the values of shape tensors, Resize scales and Pad amounts.

The same goes for the tensors nodes hold as attributes (a ``Constant`` node's ``value``, which
some exporters use for weights), in the main graph and in the subgraphs of ``If``, ``Loop`` and
``Scan`` nodes: a node larger than :data:`KEEP_BYTES` is walked and its large tensors stripped.
The scan also counts the main graph's nodes, and a graph of more than :data:`MAX_NODES` is
refused before anything is parsed.

A stripped tensor is marked as stored externally, exactly as in a file saved with external
data whose weight file is absent, which is the other way weights are left out. Imports
nothing from ``onnx``.
"""

from __future__ import annotations

import mmap

from convcost.errors import ConvcostError

KEEP_BYTES = 4096
"""Tensors whose encoded size is at most this keep their data (shape tensors, scales)."""

MAX_NODES = 100_000
"""An ONNX graph of more nodes than this (subgraphs included) is refused: the cap of a model
file's layers (``model_file.MAX_LAYERS``, not imported: that would load the YAML grammar)."""

MAX_ENTRIES = 200_000
"""A graph's entries other than nodes (initializers, inputs, outputs, value infos: a real model has
one or two per node, so twice the node cap) and a model's own fields are capped at this: each
costs protobuf an object."""

_MAX_SUBGRAPH_DEPTH = 8
"""Subgraphs nested deeper than this are copied as they are, not walked (no weights live there)."""

STRIPPED = b"convcost: weights not read"
"""The external-data location written into a stripped initializer."""

_MODEL_GRAPH = 7
_MODEL_TRAINING_INFO = 20
_GRAPH_NODE = 1
_GRAPH_INITIALIZER = 5
_NODE_ATTRIBUTE = 5
_ATTRIBUTE_TENSOR = 5
_ATTRIBUTE_GRAPH = 6
_ATTRIBUTE_TENSORS = 10
_ATTRIBUTE_GRAPHS = 11
_TENSOR_KEEP = frozenset({1, 2, 8})
"""TensorProto fields kept when stripping: dims, data_type, name."""
_TENSOR_EXTERNAL_DATA = 13
_TENSOR_DATA_LOCATION = 14


class _BadWireError(Exception):
    """The bytes are not a well-formed protobuf message."""


class _TooManyNodesError(Exception):
    """The graph has more than MAX_NODES nodes."""


class _TooManyEntriesError(Exception):
    """The model or a graph has more than MAX_ENTRIES fields besides its nodes."""


def too_many_nodes(path: str) -> str:
    """The error for a graph over MAX_NODES nodes."""
    return f"{path}: the graph has more than {MAX_NODES:,} nodes (its subgraphs' included); at most {MAX_NODES:,} are costed"


def _varint(buf: mmap.mmap | bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise _BadWireError("a field runs past the end of the data")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _BadWireError("a number is longer than 10 bytes")


def _fields(buf: mmap.mmap | bytes, pos: int, end: int):  # type: ignore[no-untyped-def]
    """Yield ``(field, wire type, start, value start, end)`` for each field of a message."""
    while pos < end:
        start = pos
        tag, pos = _varint(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise _BadWireError("field number 0")
        if wire == 0:
            _, after = _varint(buf, pos, end)
            value = pos
        elif wire == 1:
            value, after = pos, pos + 8
        elif wire == 5:
            value, after = pos, pos + 4
        elif wire == 2:
            length, value = _varint(buf, pos, end)
            after = value + length
        else:
            raise _BadWireError(f"wire type {wire}")
        if after > end:
            raise _BadWireError("a field runs past the end of the data")
        yield field, wire, start, value, after
        pos = after


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_field(field: int, payload: bytes) -> bytes:
    return _encode_varint(field << 3 | 2) + _encode_varint(len(payload)) + payload


def _stripped_tensor(buf: mmap.mmap, start: int, end: int) -> bytes:
    """A TensorProto with its dimensions, type and name, its data marked external and absent."""
    out = bytearray()
    for field, _, begin, _, after in _fields(buf, start, end):
        if field in _TENSOR_KEEP:
            out += buf[begin:after]
    entry = _length_field(1, b"location") + _length_field(2, STRIPPED)
    out += _length_field(_TENSOR_EXTERNAL_DATA, entry)
    out += _encode_varint(_TENSOR_DATA_LOCATION << 3 | 0) + _encode_varint(1)
    return bytes(out)


class _Scan:
    """One pass over a ModelProto's bytes: large tensors stripped, nodes counted (MAX_NODES)."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.nodes = 0
        """Nodes seen so far: the main graph's, and those of the subgraphs walked."""

    def model(self) -> bytes:
        out = bytearray()
        for entries, (field, wire, begin, value, after) in enumerate(_fields(self.buf, 0, len(self.buf)), 1):
            if entries > MAX_ENTRIES:
                raise _TooManyEntriesError
            if field == _MODEL_GRAPH and wire == 2:
                out += _length_field(field, self.graph(value, after, 0))
            elif field != _MODEL_TRAINING_INFO:
                out += self.buf[begin:after]
        return bytes(out)

    def graph(self, start: int, end: int, depth: int) -> bytes:
        """A GraphProto without the data of its large initializers and node tensors."""
        buf = self.buf
        out = bytearray()
        entries = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            if field == _GRAPH_NODE:
                self.nodes += 1
                if self.nodes > MAX_NODES:
                    raise _TooManyNodesError
            else:
                entries += 1
                if entries > MAX_ENTRIES:
                    raise _TooManyEntriesError
            if wire == 2 and after - value > KEEP_BYTES and field == _GRAPH_INITIALIZER:
                out += _length_field(field, _stripped_tensor(buf, value, after))
            elif wire == 2 and after - value > KEEP_BYTES and field == _GRAPH_NODE:
                out += _length_field(field, self.node(value, after, depth))
            else:
                out += buf[begin:after]
        return bytes(out)

    def node(self, start: int, end: int, depth: int) -> bytes:
        """A large NodeProto with its large attributes stripped."""
        out = bytearray()
        for field, wire, begin, value, after in _fields(self.buf, start, end):
            if field == _NODE_ATTRIBUTE and wire == 2 and after - value > KEEP_BYTES:
                out += _length_field(field, self.attribute(value, after, depth))
            else:
                out += self.buf[begin:after]
        return bytes(out)

    def attribute(self, start: int, end: int, depth: int) -> bytes:
        """A large AttributeProto: its tensors stripped, its subgraphs walked (to a depth; the rest
        are counted once parsed)."""
        buf = self.buf
        out = bytearray()
        for field, wire, begin, value, after in _fields(buf, start, end):
            large = wire == 2 and after - value > KEEP_BYTES
            if large and field in (_ATTRIBUTE_TENSOR, _ATTRIBUTE_TENSORS):
                out += _length_field(field, _stripped_tensor(buf, value, after))
            elif large and field in (_ATTRIBUTE_GRAPH, _ATTRIBUTE_GRAPHS) and depth < _MAX_SUBGRAPH_DEPTH:
                out += _length_field(field, self.graph(value, after, depth + 1))
            else:
                out += buf[begin:after]
        return bytes(out)


def check_file(path: str, what: str) -> int:
    """The size of ``path`` after checking it is a regular file (``what``: the kind expected).

    Directories, FIFOs and devices are refused without being opened; there is no size cap
    (weights are skipped, not read).
    """
    from convcost.core.io import regular_file

    info = regular_file(path, what)
    if info.st_size == 0:
        raise ConvcostError(f"{path}: the file is empty; expected {what}")
    return info.st_size


def model_bytes(path: str) -> bytes:
    """The serialized ModelProto of ``path`` with the data of large initializers left out."""
    check_file(path, "an ONNX model")
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _Scan(buf).model()
    except _BadWireError as exc:
        raise ConvcostError(f"{path}: not an ONNX model, or a truncated one ({exc})") from None
    except _TooManyNodesError:
        raise ConvcostError(too_many_nodes(path)) from None
    except _TooManyEntriesError:
        raise ConvcostError(
            f"{path}: the model or its graph has more than {MAX_ENTRIES:,} entries besides its nodes "
            "(initializers, inputs, outputs, value infos); at most that many are read"
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConvcostError(f"{path}: cannot be read ({reason})") from None
