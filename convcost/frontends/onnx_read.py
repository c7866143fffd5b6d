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
The scan also counts every entry protobuf would make an object of (nodes, their inputs, outputs
and attributes, attribute values, tensor dimensions, graph entries; subgraphs included), and a
file past a limit (:data:`MAX_NODES`, :data:`MAX_ENTRIES`, :data:`MAX_NODE_ENTRIES`,
:data:`MAX_NODE_ATTRIBUTES`, :data:`ENTRIES_PER_NODE`, :data:`MAX_LIST_ITEMS`, :data:`MAX_RANK`,
:data:`MAX_TOTAL_ENTRIES`) is refused before anything is parsed. The scan's own time then grows
with the nodes, as a real graph's does: no node holds more than a few times a real one's entries.

A stripped tensor is marked as stored externally, exactly as in a file saved with external
data whose weight file is absent, which is the other way weights are left out. Imports
nothing from ``onnx``.
"""

from __future__ import annotations

import mmap
import re

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

MAX_NODE_ENTRIES = 10_000
"""A node's inputs, outputs and attributes, together, are at most this (a Concat of 10,000 tensors)."""

MAX_NODE_ATTRIBUTES = 64
"""A node has at most this many attributes (ONNX's operators declare at most about a dozen)."""

ENTRIES_PER_NODE = 24
"""On average over the nodes read so far, a node has at most this many inputs, outputs and attributes
(a Conv has 3 inputs, 1 output and 5 attributes), beyond a first :data:`SPARE_NODE_ENTRIES` (one
Concat of 10,000 tensors): the scan's time then grows with the nodes, as a real graph's does."""

SPARE_NODE_ENTRIES = MAX_NODE_ENTRIES

MAX_LIST_ITEMS = 100_000
"""An attribute holds at most this many values (ints, floats, strings, tensors, graphs)."""

MAX_RANK = 64
"""A tensor (an input, output, value info, initializer or attribute tensor) has at most this many dimensions."""

MAX_TOTAL_ENTRIES = 500_000
"""All of these together: nodes, their inputs, outputs, attributes and attribute values, tensor
dimensions, and every graph's other entries, subgraphs included."""

MAX_SUBGRAPH_DEPTH = 8
"""Subgraphs (and types: a sequence of sequences) nest at most this deep."""

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
_GRAPH_VALUE_INFOS = frozenset({11, 12, 13})
"""GraphProto fields input, output, value_info."""
_NODE_ENTRIES = frozenset({1, 2, 5})
"""NodeProto fields input, output, attribute."""
_ATTRIBUTE_FLOATS = 7
_ATTRIBUTE_INTS = 8
_ATTRIBUTE_LISTS = frozenset({7, 8, 9, 10, 11, 23})
"""AttributeProto fields floats, ints, strings, tensors, graphs, sparse_tensors."""
_TENSOR_DIMS = 1
_VALUE_INFO_TYPE = 2
_TYPE_TENSORS = frozenset({1, 8})
"""TypeProto fields tensor_type and sparse_tensor_type."""
_TYPE_NESTED = frozenset({4, 5, 9})
"""TypeProto fields sequence_type, map_type, optional_type (each holds a TypeProto)."""
_TENSOR_TYPE_SHAPE = 2
_SHAPE_DIM = 1
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


class _LimitError(Exception):
    """Another limit is crossed; the message says which."""


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
    """One pass over a ModelProto's bytes: large tensors stripped, every entry counted.

    Counted before anything is parsed, so that no protobuf object is ever made for an entry past a
    limit: nodes (MAX_NODES), a graph's other entries (MAX_ENTRIES), a node's inputs, outputs and
    attributes (MAX_NODE_ENTRIES; MAX_NODE_ATTRIBUTES of them attributes; ENTRIES_PER_NODE on
    average), an attribute's values (MAX_LIST_ITEMS), a tensor's dimensions
    (MAX_RANK), and all of these together (MAX_TOTAL_ENTRIES).
    """

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.nodes = 0
        """Nodes seen so far: the main graph's and its subgraphs'."""
        self.total = 0
        """Entries seen so far, of every kind."""
        self.node_entries = 0
        """Nodes' inputs, outputs and attributes seen so far, subgraphs' included."""

    def count(self, n: int = 1) -> None:
        self.total += n
        if self.total > MAX_TOTAL_ENTRIES:
            raise _LimitError(
                f"the model has more than {MAX_TOTAL_ENTRIES:,} entries in all (nodes, their inputs, outputs, attributes "
                "and attribute values, tensor dimensions, graph inputs, outputs, initializers and value infos)"
            )

    def node_entry(self) -> None:
        """One more input, output or attribute of a node: within the average per node."""
        self.node_entries += 1
        if self.node_entries > ENTRIES_PER_NODE * self.nodes + SPARE_NODE_ENTRIES:
            raise _LimitError(
                f"the model's nodes have more than {ENTRIES_PER_NODE} inputs, outputs and attributes each on average "
                f"({self.node_entries:,} in its first {self.nodes:,} nodes)"
            )

    def model(self) -> bytes:
        out = bytearray()
        for entries, (field, wire, begin, value, after) in enumerate(_fields(self.buf, 0, len(self.buf)), 1):
            if entries > MAX_ENTRIES:
                raise _TooManyEntriesError
            if field == _MODEL_GRAPH and wire == 2:
                out += _length_field(field, self.graph(value, after, 0) or self.buf[value:after])
            elif field != _MODEL_TRAINING_INFO:
                out += self.buf[begin:after]
        return bytes(out)

    def graph(self, start: int, end: int, depth: int) -> bytes | None:
        """A GraphProto without the data of its large initializers and node tensors (None: unchanged)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise _LimitError(f"subgraphs are nested more than {MAX_SUBGRAPH_DEPTH} deep")
        buf = self.buf
        out = bytearray()
        changed = False
        entries = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            self.count()
            replaced: bytes | None = None
            if field == _GRAPH_NODE:
                self.nodes += 1
                if self.nodes > MAX_NODES:
                    raise _TooManyNodesError
                if wire == 2:
                    replaced = self.node(value, after, depth)
            else:
                entries += 1
                if entries > MAX_ENTRIES:
                    raise _TooManyEntriesError
                if wire == 2 and field == _GRAPH_INITIALIZER:
                    self.tensor(value, after)
                    if after - value > KEEP_BYTES:
                        replaced = _stripped_tensor(buf, value, after)
                elif wire == 2 and field in _GRAPH_VALUE_INFOS:
                    self.value_info(value, after)
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def node(self, start: int, end: int, depth: int) -> bytes | None:
        """A NodeProto with its large attributes stripped (None: unchanged); its entries counted."""
        buf = self.buf
        out = bytearray()
        changed = False
        entries = attributes = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field in _NODE_ENTRIES:
                entries += 1
                self.count()
                if entries > MAX_NODE_ENTRIES:
                    raise _LimitError(f"a node has more than {MAX_NODE_ENTRIES:,} inputs, outputs and attributes")
                self.node_entry()
                if field == _NODE_ATTRIBUTE:
                    attributes += 1
                    if attributes > MAX_NODE_ATTRIBUTES:
                        raise _LimitError(f"a node has more than {MAX_NODE_ATTRIBUTES} attributes")
                if field == _NODE_ATTRIBUTE and wire == 2 and (after - value > _SHORT or _LIST_TAGS.search(buf, value, after)):
                    replaced = self.attribute(value, after, depth)
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def attribute(self, start: int, end: int, depth: int) -> bytes | None:
        """An AttributeProto: its values counted, its large tensors stripped, its subgraphs walked (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        items = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field in _ATTRIBUTE_LISTS:
                if wire == 2 and field == _ATTRIBUTE_INTS:
                    items += _packed_varints(buf, value, after, MAX_LIST_ITEMS - items)
                elif wire == 2 and field == _ATTRIBUTE_FLOATS:
                    items += (after - value) // 4
                else:
                    items += 1
                if items > MAX_LIST_ITEMS:
                    raise _LimitError(f"an attribute has more than {MAX_LIST_ITEMS:,} values")
            if wire == 2 and field in (_ATTRIBUTE_TENSOR, _ATTRIBUTE_TENSORS):
                self.tensor(value, after)
                if after - value > KEEP_BYTES:
                    replaced = _stripped_tensor(buf, value, after)
            elif wire == 2 and field in (_ATTRIBUTE_GRAPH, _ATTRIBUTE_GRAPHS):
                replaced = self.graph(value, after, depth + 1)
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        self.count(items)
        return bytes(out) if changed else None

    def tensor(self, start: int, end: int) -> None:
        """A TensorProto's dimensions counted (at most MAX_RANK)."""
        rank = 0
        for field, wire, _, value, after in _fields(self.buf, start, end):
            if field == _TENSOR_DIMS:
                rank += _packed_varints(self.buf, value, after, MAX_RANK - rank) if wire == 2 else 1
                if rank > MAX_RANK:
                    raise _LimitError(f"a tensor has more than {MAX_RANK} dimensions")
        self.count(rank)

    def value_info(self, start: int, end: int) -> None:
        """A ValueInfoProto's type walked: its tensor dimensions counted."""
        for field, wire, _, value, after in _fields(self.buf, start, end):
            if field == _VALUE_INFO_TYPE and wire == 2:
                self.type_proto(value, after, 0)

    def type_proto(self, start: int, end: int, depth: int) -> None:
        """A TypeProto: the shapes of its tensors (and of the types a sequence, map or optional holds)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise _LimitError(f"a type is nested more than {MAX_SUBGRAPH_DEPTH} deep")
        buf = self.buf
        for field, wire, _, value, after in _fields(buf, start, end):
            if wire != 2:
                continue
            if field in _TYPE_TENSORS:
                for inner, inner_wire, _, v, a in _fields(buf, value, after):
                    if inner == _TENSOR_TYPE_SHAPE and inner_wire == 2:
                        rank = 0
                        for dim, *_ in _fields(buf, v, a):
                            rank += dim == _SHAPE_DIM
                            if rank > MAX_RANK:
                                raise _LimitError(f"a tensor has more than {MAX_RANK} dimensions")
                        self.count(rank)
            elif field in _TYPE_NESTED:
                for inner, inner_wire, _, v, a in _fields(buf, value, after):
                    if inner_wire == 2 and inner in (1, 2):  # elem_type; a map's value_type
                        self.type_proto(v, a, depth + 1)


def _packed_varints(buf: mmap.mmap, start: int, end: int, room: int) -> int:
    """How many varints the packed field ``buf[start:end]`` holds; more than ``room`` once that many are certain."""
    if (end - start) // 10 > room:  # a varint is at most 10 bytes: more than room for sure
        return room + 1
    return len(buf[start:end].translate(None, _HIGH_BYTES))


_SHORT = 64
"""An attribute of at most this many bytes with no byte of a list's, tensor's or graph's tag is one entry, not walked."""
_LIST_TAGS = re.compile(b"[\\x2a\\x32\\x38-\\x3d\\x40-\\x42\\x4a\\x52\\x5a\\xba\\xbb]")
"""The tag bytes of AttributeProto's t, g, floats, ints, strings, tensors, graphs and sparse tensors (any wire type);
a short attribute without any of them holds no list (a conservative test: a name may hold such a byte too)."""

_HIGH_BYTES = bytes(range(0x80, 0x100))
"""Bytes with the continuation bit: deleted, what is left counts the varints."""


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
    except _LimitError as exc:
        raise ConvcostError(f"{path}: {exc}; at most that many are read") from None
    except _TooManyEntriesError:
        raise ConvcostError(
            f"{path}: the model or its graph has more than {MAX_ENTRIES:,} entries besides its nodes "
            "(initializers, inputs, outputs, value infos); at most that many are read"
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConvcostError(f"{path}: cannot be read ({reason})") from None
