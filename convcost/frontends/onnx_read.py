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
Only the fields convcost or ONNX shape inference needs are kept, message by message (a whitelist):
doc strings, metadata, device configurations, quantization annotations, training info, configurations
and denotations are left out of the rebuilt bytes without being parsed, and each field left out is
still counted (:data:`OTHER_FIELDS_PER_NODE`), so skipping them stays fast. Everything kept is counted:
every entry protobuf would make an object of (nodes, their inputs, outputs and attributes, attribute
values and types, tensor dimensions over repeated fields, which protobuf merges, graph entries;
subgraphs, sparse tensors and model-local functions included), opset imports (whose versions must be
1 or more) and the bytes of strings. A file past a limit (:data:`MAX_NODES`, :data:`MAX_ENTRIES`,
:data:`GRAPH_ENTRIES_PER_NODE`, :data:`MAX_NODE_ENTRIES`, :data:`MAX_NODE_ATTRIBUTES`,
:data:`ENTRIES_PER_NODE`, :data:`OTHER_FIELDS_PER_NODE`, :data:`MAX_LIST_ITEMS`, :data:`MAX_RANK`,
:data:`MAX_OPSETS`, :data:`MAX_TEXT_BYTES`, :data:`MAX_KEPT_BYTES`, :data:`MAX_TOTAL_ENTRIES`) is
refused before anything is parsed. The scan's own time then grows with the nodes, as a real graph's
does: no node holds more than a few times a real one's entries.

A stripped tensor is marked as stored externally, exactly as in a file saved with external
data whose weight file is absent, which is the other way weights are left out. Imports
nothing from ``onnx``.
"""

from __future__ import annotations

import mmap
import re

from convcost.core.io import regular_file
from convcost.core.shapes import shown
from convcost.errors import ConvcostError
from convcost.frontends.onnx_wire import (  # the wire format: field numbers and readers
    _ATTRIBUTE_FLOATS,
    _ATTRIBUTE_GRAPH,
    _ATTRIBUTE_GRAPHS,
    _ATTRIBUTE_INTS,
    _ATTRIBUTE_LISTS,
    _ATTRIBUTE_SCALARS,
    _ATTRIBUTE_SPARSE_TENSOR,
    _ATTRIBUTE_SPARSE_TENSORS,
    _ATTRIBUTE_TENSOR,
    _ATTRIBUTE_TENSORS,
    _ATTRIBUTE_TEXTS,
    _ATTRIBUTE_TYPE,
    _ATTRIBUTE_TYPES,
    _FUNCTION_ATTRIBUTE,
    _FUNCTION_ENTRIES,
    _FUNCTION_NODE,
    _FUNCTION_OPSET,
    _FUNCTION_TEXTS,
    _FUNCTION_VALUE_INFO,
    _GRAPH_ENTRIES,
    _GRAPH_INITIALIZER,
    _GRAPH_NAME,
    _GRAPH_NODE,
    _GRAPH_SPARSE_INITIALIZER,
    _GRAPH_VALUE_INFOS,
    _LEN,
    _MODEL_FUNCTIONS,
    _MODEL_GRAPH,
    _MODEL_IR_VERSION,
    _MODEL_OPSET,
    _NODE_ATTRIBUTE,
    _NODE_ENTRIES,
    _NODE_TEXTS,
    _OPSET_DOMAIN,
    _OPSET_VERSION,
    _SHAPE_DIM,
    _SPARSE_DIMS,
    _SPARSE_INDICES,
    _SPARSE_VALUES,
    _TENSOR_DATA,
    _TENSOR_DATA_LOCATION,
    _TENSOR_DIMS,
    _TENSOR_EXTERNAL_DATA,
    _TENSOR_KEEP,
    _TENSOR_NAME,
    _TENSOR_TYPE_ELEM,
    _TENSOR_TYPE_SHAPE,
    _TYPE_MAP,
    _TYPE_NESTED,
    _TYPE_TENSORS,
    _VALUE_INFO_NAME,
    _VALUE_INFO_TYPE,
    _VARINT,
    BadWireError,
    _encode_varint,
    _fields,
    _length_field,
    _varint,
)

KEEP_BYTES = 4096
"""Tensors whose encoded size is at most this keep their data (shape tensors, scales)."""

MAX_NODES = 100_000
"""An ONNX graph of more nodes than this (subgraphs and functions included) is refused: the cap of a model
file's layers (``model_file.MAX_LAYERS``, not imported: that would load the YAML grammar)."""

MAX_ENTRIES = 200_000
"""A graph's fields other than nodes (initializers, inputs, outputs, value infos) and a model's own fields
are capped at this: each costs protobuf an object, or the scan a step."""

GRAPH_ENTRIES_PER_NODE = 16
"""The graphs' inputs, outputs, value infos and initializers (functions' too) are at most this many per node,
beyond a first :data:`SPARE_GRAPH_ENTRIES`: a real graph has a few per node. Checked on each graph's
fields before any of them is walked, so the order of the fields does not matter."""

SPARE_GRAPH_ENTRIES = 10_000

MAX_NODE_ENTRIES = 10_000
"""A node's inputs, outputs and attributes, together, are at most this (a Concat of 10,000 tensors)."""

MAX_NODE_ATTRIBUTES = 64
"""A node has at most this many attributes (ONNX's operators declare at most about a dozen)."""

ENTRIES_PER_NODE = 24
"""On average over the nodes read so far, a node has at most this many inputs, outputs and attributes
(a Conv has 3 inputs, 1 output and 5 attributes), beyond a first :data:`SPARE_NODE_ENTRIES` (one
Concat of 10,000 tensors): the scan's time then grows with the nodes, as a real graph's does."""

SPARE_NODE_ENTRIES = MAX_NODE_ENTRIES

OTHER_FIELDS_PER_NODE = 16
"""Fields the scan reads besides the entries above are at most this many per node, beyond a first
:data:`SPARE_OTHER_FIELDS`: the fields left out (doc strings, metadata, device configurations,
annotations, denotations) and a tensor's values stored one by one. Left-out fields are skipped, never
parsed, but each is a step of the scan."""

SPARE_OTHER_FIELDS = 10_000

MAX_LIST_ITEMS = 100_000
"""An attribute holds at most this many values (ints, floats, strings, tensors, graphs, types)."""

MAX_RANK = 64
"""A tensor (an input, output, value info, initializer, sparse tensor, attribute tensor or type) has at most
this many dimensions, its repeated fields (which protobuf merges) counted together."""

MAX_TOTAL_ENTRIES = 500_000
"""All of these together: nodes, their inputs, outputs, attributes and attribute values, tensor
dimensions, and every graph's other entries, subgraphs and functions included."""

MAX_SUBGRAPH_DEPTH = 8
"""Subgraphs (and types: a sequence of sequences) nest at most this deep."""

MAX_OPSETS = 1_000
"""A model (or a function) imports at most this many opsets, in all."""

MAX_TEXT_BYTES = 1_000_000
"""A string convcost keeps (a name, an op type, a domain, an attribute's text) has at most this many bytes."""

MAX_KEPT_BYTES = 16_000_000
"""The bytes kept in all (strings, small tensors, dimensions): the graph without its weights, which
for a real model is well under a megabyte per thousand nodes."""

STRIPPED = b"convcost: weights not read"
"""The external-data location written into a stripped initializer."""


class _TooManyNodesError(Exception):
    """The graph has more than MAX_NODES nodes."""


class _TooManyEntriesError(Exception):
    """The model or a graph has more than MAX_ENTRIES fields besides its nodes."""


class _LimitError(Exception):
    """Another limit is crossed; the message says which."""


class _OpsetError(Exception):
    """An opset import of a version below 1: the domain and the version."""


def too_many_nodes(path: str) -> str:
    """The error for a graph over MAX_NODES nodes."""
    return f"{path}: the graph has more than {MAX_NODES:,} nodes (its subgraphs' included); at most {MAX_NODES:,} are costed"


def _nodes(count: int) -> str:
    """``1 node``, ``2,000 nodes``."""
    return f"{count:,} node" + ("" if count == 1 else "s")


def _too_deep(what: str) -> _LimitError:
    return _LimitError(f"{what} nested more than {MAX_SUBGRAPH_DEPTH} deep")


def _too_many_dims() -> _LimitError:
    return _LimitError(f"a tensor has more than {MAX_RANK} dimensions (its repeated shape or dims fields counted together)")


class _Scan:
    """One pass over a ModelProto's bytes: large tensors stripped, fields convcost does not read left out,
    every entry counted.

    Counted before anything is parsed, so that no protobuf object is ever made for an entry past a
    limit: nodes (MAX_NODES), a graph's other entries (MAX_ENTRIES; GRAPH_ENTRIES_PER_NODE on
    average), a node's inputs, outputs and attributes (MAX_NODE_ENTRIES; MAX_NODE_ATTRIBUTES of them
    attributes; ENTRIES_PER_NODE on average), an attribute's values (MAX_LIST_ITEMS), a tensor's
    dimensions (MAX_RANK), the fields left out (OTHER_FIELDS_PER_NODE on average), opset imports
    (MAX_OPSETS), strings (MAX_TEXT_BYTES each, MAX_KEPT_BYTES with small tensors), and all the entries
    together (MAX_TOTAL_ENTRIES).
    """

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.nodes = 0
        """Nodes walked so far: the main graph's, its subgraphs' and the functions'."""
        self.known_nodes = 0
        """Nodes known so far: those of every graph and function whose fields were counted."""
        self.total = 0
        """Entries seen so far, of every kind."""
        self.node_entries = 0
        """Nodes' inputs, outputs and attributes seen so far, subgraphs' included."""
        self.graph_entries = 0
        """Graphs' and functions' inputs, outputs, value infos and initializers counted so far."""
        self.other_fields = 0
        """Fields read that are no entry: left out, or tensor values stored one by one."""
        self.opsets = 0
        self.kept = 0
        """Bytes of strings, small tensors and dimensions kept so far."""

    # --- counters ---------------------------------------------------------------------

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
                f"({self.node_entries:,} in its first {_nodes(self.nodes)})"
            )

    def other_field(self, n: int = 1) -> None:
        """``n`` more fields read that are no entry: within the average per node."""
        self.other_fields += n
        if self.other_fields > OTHER_FIELDS_PER_NODE * self.known_nodes + SPARE_OTHER_FIELDS:
            raise _LimitError(
                f"the model has more than {OTHER_FIELDS_PER_NODE} fields per node besides its entries (doc strings, "
                f"metadata, annotations, tensor values stored one by one) beyond a first {SPARE_OTHER_FIELDS:,} "
                f"({self.other_fields:,} for {_nodes(self.known_nodes)})"
            )

    def text(self, start: int, end: int) -> None:
        """A string convcost keeps: at most MAX_TEXT_BYTES, and counted in MAX_KEPT_BYTES."""
        if end - start > MAX_TEXT_BYTES:
            raise _LimitError(
                f"a string (a name, op type, domain or attribute text) has more than {MAX_TEXT_BYTES:,} bytes ({end - start:,})"
            )
        self.keep(end - start)

    def keep(self, n: int) -> None:
        self.kept += n
        if self.kept > MAX_KEPT_BYTES:
            raise _LimitError(
                f"the model has more than {MAX_KEPT_BYTES:,} bytes besides its large tensors' data (names, "
                "attributes, small tensors, shapes)"
            )

    def container(self, start: int, end: int, node_field: int, entries: frozenset[int]) -> None:
        """Count a graph's (or a function's) nodes and entries before walking any: within the limits, whatever
        the order of its fields."""
        nodes = count = others = 0
        for field, *_ in _fields(self.buf, start, end):
            if field == node_field:
                nodes += 1
                if self.known_nodes + nodes > MAX_NODES:
                    raise _TooManyNodesError
            else:
                count += field in entries
                others += 1
                if others > MAX_ENTRIES:
                    raise _TooManyEntriesError
        self.known_nodes += nodes
        self.graph_entries += count
        if self.graph_entries > GRAPH_ENTRIES_PER_NODE * self.known_nodes + SPARE_GRAPH_ENTRIES:
            raise _LimitError(
                f"the model's graphs have more than {GRAPH_ENTRIES_PER_NODE} inputs, outputs, value infos and "
                f"initializers per node beyond a first {SPARE_GRAPH_ENTRIES:,} ({self.graph_entries:,} for "
                f"{_nodes(self.known_nodes)})"
            )

    # --- messages ---------------------------------------------------------------------

    def model(self) -> bytes:
        buf = self.buf
        out = bytearray()
        for entries, (field, wire, begin, value, after) in enumerate(_fields(buf, 0, len(buf)), 1):
            if entries > MAX_ENTRIES:
                raise _TooManyEntriesError
            if field == _MODEL_GRAPH and wire == _LEN:
                out += _length_field(field, self.graph(value, after, 0) or buf[value:after])
            elif field == _MODEL_OPSET and wire == _LEN:
                out += _length_field(field, self.opset(value, after))
            elif field == _MODEL_FUNCTIONS and wire == _LEN:
                out += _length_field(field, self.function(value, after) or buf[value:after])
            elif field == _MODEL_IR_VERSION and wire == _VARINT:
                out += buf[begin:after]
            # anything else (doc string, metadata, training info, configuration, producer) is left out
        return bytes(out)

    def opset(self, start: int, end: int) -> bytes:
        """An OperatorSetIdProto, rebuilt of its domain and version; a version below 1 is refused."""
        self.opsets += 1
        if self.opsets > MAX_OPSETS:
            raise _LimitError(f"the model has more than {MAX_OPSETS:,} opset imports")
        domain = b""
        version = 0
        for field, wire, _, value, after in _fields(self.buf, start, end):
            if field == _OPSET_DOMAIN and wire == _LEN:
                self.text(value, after)
                domain = self.buf[value:after]
            elif field == _OPSET_VERSION and wire == _VARINT:
                version = _varint(self.buf, value, after)[0] & (1 << 64) - 1
                version -= (version >> 63) << 64  # an int64
        if version < 1:
            raise _OpsetError(domain.decode("utf-8", "replace"), version)
        out = _length_field(_OPSET_DOMAIN, domain) if domain else b""
        return out + _encode_varint(_OPSET_VERSION << 3) + _encode_varint(version)

    def graph(self, start: int, end: int, depth: int) -> bytes | None:
        """A GraphProto without the data of its large initializers and node tensors, nor the fields convcost
        does not read (None: unchanged)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise _too_deep("subgraphs are")
        self.container(start, end, _GRAPH_NODE, _GRAPH_ENTRIES)
        buf = self.buf
        out = bytearray()
        changed = False
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if wire != _LEN:
                self.other_field()
                changed = True
                continue
            if field == _GRAPH_NODE:
                self.count()
                self.nodes += 1
                replaced = self.node(value, after, depth)
            elif field == _GRAPH_INITIALIZER:
                self.count()
                replaced = self.tensor(value, after)[1]
            elif field == _GRAPH_SPARSE_INITIALIZER:
                self.count()
                replaced = self.sparse_tensor(value, after)
            elif field in _GRAPH_VALUE_INFOS:
                self.count()
                replaced = self.value_info(value, after)
            elif field == _GRAPH_NAME:
                self.text(value, after)
            else:  # doc string, quantization annotations, metadata
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def function(self, start: int, end: int) -> bytes | None:
        """A FunctionProto: its nodes walked and counted as the graph's are, its entries counted (None: unchanged)."""
        self.container(start, end, _FUNCTION_NODE, _FUNCTION_ENTRIES)
        buf = self.buf
        out = bytearray()
        changed = False
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if wire != _LEN:
                self.other_field()
                changed = True
                continue
            if field == _FUNCTION_NODE:
                self.count()
                self.nodes += 1
                replaced = self.node(value, after, 0)
            elif field in _FUNCTION_TEXTS:
                self.count(field in _FUNCTION_ENTRIES)
                self.text(value, after)
            elif field == _FUNCTION_OPSET:
                replaced = self.opset(value, after)
            elif field == _FUNCTION_ATTRIBUTE:
                self.count()
                replaced = self.attribute(value, after, 0)
            elif field == _FUNCTION_VALUE_INFO:
                self.count()
                replaced = self.value_info(value, after)
            else:  # doc string, metadata
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def node(self, start: int, end: int, depth: int) -> bytes | None:
        """A NodeProto with its large attributes stripped and the fields convcost does not read left out
        (None: unchanged); its entries counted."""
        buf = self.buf
        out = bytearray()
        changed = False
        entries = attributes = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if wire != _LEN or not (field in _NODE_TEXTS or field == _NODE_ATTRIBUTE):
                self.other_field()  # doc string, metadata, device configurations
                changed = True
                continue
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
                if after - value > _SHORT or _LIST_TAGS.search(buf, value, after):
                    replaced = self.attribute(value, after, depth)
                else:
                    self.keep(after - value)
            else:
                self.text(value, after)
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def attribute(self, start: int, end: int, depth: int) -> bytes | None:
        """An AttributeProto: its values counted, its large tensors stripped, its subgraphs and types walked,
        its doc string left out (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        items = 0
        ranks: dict[int, int] = {}
        """Dimensions of the singular t, sparse_tensor and tp fields, which protobuf merges when repeated."""
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field in _ATTRIBUTE_LISTS:
                if wire == _LEN and field == _ATTRIBUTE_INTS:
                    items += _packed_varints(buf, value, after, MAX_LIST_ITEMS - items)
                elif wire == _LEN and field == _ATTRIBUTE_FLOATS:
                    items += (after - value) // 4
                else:
                    items += 1
                if items > MAX_LIST_ITEMS:
                    raise _LimitError(f"an attribute has more than {MAX_LIST_ITEMS:,} values")
            if (field, wire) in _ATTRIBUTE_SCALARS or (wire != _LEN and field in (_ATTRIBUTE_FLOATS, _ATTRIBUTE_INTS)):
                pass
            elif wire != _LEN:
                self.other_field()
                changed = True
                continue
            elif field in _ATTRIBUTE_TEXTS:
                self.text(value, after)
            elif field in (_ATTRIBUTE_FLOATS, _ATTRIBUTE_INTS):
                self.keep(after - value)
            elif field in (_ATTRIBUTE_TENSOR, _ATTRIBUTE_TENSORS):
                rank, replaced = self.tensor(value, after)
                if field == _ATTRIBUTE_TENSOR:
                    self.merged(ranks, field, rank)
            elif field in (_ATTRIBUTE_SPARSE_TENSOR, _ATTRIBUTE_SPARSE_TENSORS):
                replaced = self.sparse_tensor(value, after)
            elif field in (_ATTRIBUTE_GRAPH, _ATTRIBUTE_GRAPHS):
                replaced = self.graph(value, after, depth + 1)
            elif field in (_ATTRIBUTE_TYPE, _ATTRIBUTE_TYPES):
                rank, replaced = self.type_proto(value, after, 0)
                if field == _ATTRIBUTE_TYPE:
                    self.merged(ranks, field, rank)
            else:  # doc string, unknown fields
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        self.count(items)
        return bytes(out) if changed else None

    @staticmethod
    def merged(ranks: dict[int, int], field: int, rank: int) -> None:
        """``rank`` more dimensions for a singular field that protobuf merges when repeated: at most MAX_RANK."""
        ranks[field] = ranks.get(field, 0) + rank
        if ranks[field] > MAX_RANK:
            raise _too_many_dims()

    def tensor(self, start: int, end: int) -> tuple[int, bytes | None]:
        """A TensorProto: its rank (at most MAX_RANK), and the tensor to write instead (None: unchanged).

        A tensor of more than KEEP_BYTES keeps its dimensions, type and name, its data marked external
        and absent; a smaller one keeps its data too. Either way its doc string, segment and metadata
        are left out."""
        buf = self.buf
        large = end - start > KEEP_BYTES
        out = bytearray()
        changed = large
        rank = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            if field == _TENSOR_DIMS and wire in (_VARINT, _LEN):
                rank += _packed_varints(buf, value, after, MAX_RANK - rank) if wire == _LEN else 1
                if rank > MAX_RANK:
                    raise _too_many_dims()
            elif field == _TENSOR_NAME and wire == _LEN:
                self.text(value, after)
            elif field in _TENSOR_DATA:
                self.other_field()
                if large:
                    continue
            elif (field, wire) in _TENSOR_KEEP:
                if large and field != 2:
                    continue
            else:  # doc string, segment, metadata, unknown fields
                self.other_field()
                changed = True
                continue
            out += buf[begin:after]
        self.count(rank)
        if large:
            entry = _length_field(1, b"location") + _length_field(2, STRIPPED)
            out += _length_field(_TENSOR_EXTERNAL_DATA, entry)
            out += _encode_varint(_TENSOR_DATA_LOCATION << 3 | 0) + _encode_varint(1)
        else:
            self.keep(len(out))
        return rank, bytes(out) if changed else None

    def sparse_tensor(self, start: int, end: int) -> bytes | None:
        """A SparseTensorProto: its dimensions at most MAX_RANK, its values and indices tensors stripped as
        tensors are (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        ranks: dict[int, int] = {}
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field == _SPARSE_DIMS and wire in (_VARINT, _LEN):
                rank = _packed_varints(buf, value, after, MAX_RANK) if wire == _LEN else 1
                self.merged(ranks, field, rank)
                self.count(rank)
            elif field in (_SPARSE_VALUES, _SPARSE_INDICES) and wire == _LEN:
                rank, replaced = self.tensor(value, after)
                self.merged(ranks, field, rank)
            else:
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def value_info(self, start: int, end: int) -> bytes | None:
        """A ValueInfoProto: its name, and its type walked (its tensor dimensions counted, over repeated type
        fields too); its doc string and metadata left out (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        ranks: dict[int, int] = {}
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field == _VALUE_INFO_NAME and wire == _LEN:
                self.text(value, after)
            elif field == _VALUE_INFO_TYPE and wire == _LEN:
                rank, replaced = self.type_proto(value, after, 0)
                self.merged(ranks, field, rank)
            else:
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return bytes(out) if changed else None

    def type_proto(self, start: int, end: int, depth: int) -> tuple[int, bytes | None]:
        """A TypeProto: the dimensions of its tensors, every repeated field (which protobuf merges) counted
        (at most MAX_RANK in all: a type describes one tensor), and the type to write instead, without
        denotations or unknown fields (None: unchanged)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise _too_deep("a type is")
        buf = self.buf
        out = bytearray()
        changed = False
        rank = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            inner_rank = 0
            if wire != _LEN:
                self.other_field()
                changed = True
                continue
            if field in _TYPE_TENSORS:
                inner_rank, replaced = self.tensor_type(value, after)
            elif field in _TYPE_NESTED or field == _TYPE_MAP:
                inner_rank, replaced = self.wrapped_type(value, after, depth, 2 if field == _TYPE_MAP else 1)
            else:  # denotation, unknown fields
                self.other_field()
                changed = True
                continue
            rank += inner_rank
            if rank > MAX_RANK:
                raise _too_many_dims()
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return rank, bytes(out) if changed else None

    def tensor_type(self, start: int, end: int) -> tuple[int, bytes | None]:
        """A TypeProto.Tensor (or SparseTensor): its element type and its shape's dimensions (every shape field
        counted: protobuf merges them); anything else left out."""
        buf = self.buf
        out = bytearray()
        changed = False
        rank = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            if field == _TENSOR_TYPE_ELEM and wire == _VARINT:
                out += buf[begin:after]
            elif field == _TENSOR_TYPE_SHAPE and wire == _LEN:
                shape = bytearray()
                for dim, dim_wire, dim_begin, dim_value, dim_after in _fields(buf, value, after):
                    if dim != _SHAPE_DIM or dim_wire != _LEN:
                        self.other_field()
                        changed = True
                        continue
                    rank += 1
                    if rank > MAX_RANK:
                        raise _too_many_dims()
                    self.text(dim_value, dim_after)  # a dim_value or a dim_param: as long as a string at most
                    shape += buf[dim_begin:dim_after]
                out += _length_field(field, bytes(shape))
            else:
                self.other_field()
                changed = True
        self.count(rank)
        return rank, bytes(out) if changed else None

    def wrapped_type(self, start: int, end: int, depth: int, elem: int) -> tuple[int, bytes | None]:
        """A sequence's, optional's or map's type: the TypeProto it holds (field ``elem``) walked."""
        buf = self.buf
        out = bytearray()
        changed = False
        rank = 0
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field == elem and wire == _LEN:
                inner_rank, replaced = self.type_proto(value, after, depth + 1)
                rank += inner_rank
                if rank > MAX_RANK:
                    raise _too_many_dims()
            elif not (elem == 2 and field == 1 and wire == _VARINT):  # a map's key_type
                self.other_field()
                changed = True
                continue
            if replaced is not None:
                out += _length_field(field, replaced)
                changed = True
            else:
                out += buf[begin:after]
        return rank, bytes(out) if changed else None


def _packed_varints(buf: mmap.mmap, start: int, end: int, room: int) -> int:
    """How many varints the packed field ``buf[start:end]`` holds; more than ``room`` once that many are certain."""
    if (end - start) // 10 > room:  # a varint is at most 10 bytes: more than room for sure
        return room + 1
    return len(buf[start:end].translate(None, _HIGH_BYTES))


_SHORT = 64
"""An attribute of at most this many bytes with no byte of a list's, tensor's, graph's or type's tag is one
entry, not walked."""
_LIST_TAGS = re.compile(b"[\\x2a\\x32\\x38-\\x3d\\x40-\\x42\\x4a\\x52\\x5a\\x72\\x7a\\xb2\\xba\\xbb]")
"""The tag bytes of AttributeProto's t, g, floats, ints, strings, tensors, graphs, tp, type_protos and sparse
tensors (any wire type for lists); a short attribute without any of them holds no list or type (a conservative
test: a name may hold such a byte too)."""

_HIGH_BYTES = bytes(range(0x80, 0x100))
"""Bytes with the continuation bit: deleted, what is left counts the varints."""


def _opset_message(domain: str, version: int) -> str:
    """The error for an opset import of a version below 1, with the versions this onnx knows."""

    expected = "expected 1 or more"
    if domain in ("", "ai.onnx"):
        try:
            # lazy: onnx only to word the refusal of an opset
            import onnx.defs  # only now, the file being refused: the newest opset is onnx's to say
        except ImportError:
            pass
        else:
            installed = vars(onnx).get("__version__", "")  # not declared an export by every onnx's stubs
            expected = f"expected 1 to {onnx.defs.onnx_opset_version()} (the opsets the installed onnx {installed} knows)"
    name = f"{shown(domain)} (ai.onnx)" if domain == "" else shown(domain)
    return f"the opset import of domain {name} has version {version:,}; {expected}"


def check_file(path: str, what: str) -> int:
    """The size of ``path`` after checking it is a regular file (``what``: the kind expected).

    Directories, FIFOs and devices are refused without being opened; there is no size cap
    (weights are skipped, not read).
    """

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
    except BadWireError as exc:
        raise ConvcostError(f"{path}: not an ONNX model, or a truncated one ({exc})") from None
    except _TooManyNodesError:
        raise ConvcostError(too_many_nodes(path)) from None
    except _OpsetError as exc:
        raise ConvcostError(f"{path}: {_opset_message(*exc.args)}") from None
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
