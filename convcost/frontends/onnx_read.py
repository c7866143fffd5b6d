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
subgraphs, sparse tensors and model-local functions included; every level of a nested type, towards an
attribute's values or a graph's entries too; an empty list value, an object all the same, as an other field
too), model-local functions (at most onnx's own :data:`MAX_FUNCTIONS`), opset imports (whose versions must be
1 or more) and the bytes of strings. No field is free: a singular field's repeats (protobuf keeps the last,
or merges them) and empty fields that hold no entry count as other fields, a large tensor's values (stripped
unread) towards the total only. A file past a limit (:data:`MAX_NODES`, :data:`MAX_ENTRIES`,
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
from convcost.frontends.onnx_limits import (  # the limits and their counters
    MAX_ENTRIES,
    MAX_FUNCTIONS,
    MAX_LIST_ITEMS,
    MAX_NODE_ATTRIBUTES,
    MAX_NODE_ENTRIES,
    MAX_OPSETS,
    MAX_SUBGRAPH_DEPTH,
    LimitError,
    OpsetError,
    TooManyEntriesError,
    TooManyNodesError,
    too_deep,
    too_many_nodes,
)
from convcost.frontends.onnx_tensors import TensorScan
from convcost.frontends.onnx_wire import (
    _ATTRIBUTE_FLOATS,
    _ATTRIBUTE_GRAPH,
    _ATTRIBUTE_GRAPHS,
    _ATTRIBUTE_INTS,
    _ATTRIBUTE_LISTS,
    _ATTRIBUTE_SCALARS,
    _ATTRIBUTE_SINGULAR,
    _ATTRIBUTE_SPARSE_TENSOR,
    _ATTRIBUTE_SPARSE_TENSORS,
    _ATTRIBUTE_STRINGS,
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
    _VARINT,
    BadWireError,
    _encode_varint,
    _fields,
    _length_field,
    _varint,
    packed_varints,
    put_field,  # the wire format: field numbers and readers
)


class _Scan(TensorScan):
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

    # --- messages ---------------------------------------------------------------------

    def model(self) -> bytes:
        buf = self.buf
        out = bytearray()
        for entries, (field, wire, begin, value, after) in enumerate(_fields(buf, 0, len(buf)), 1):
            if entries > MAX_ENTRIES:
                raise TooManyEntriesError
            if field == _MODEL_GRAPH and wire == _LEN:
                out += _length_field(field, self.graph(value, after, 0) or buf[value:after])
            elif field == _MODEL_OPSET and wire == _LEN:
                out += _length_field(field, self.opset(value, after))
            elif field == _MODEL_FUNCTIONS and wire == _LEN:
                self.functions += 1
                if self.functions > MAX_FUNCTIONS:
                    raise LimitError(f"the model has more than {MAX_FUNCTIONS:,} model-local functions")
                out += _length_field(field, self.function(value, after) or buf[value:after])
            elif field == _MODEL_IR_VERSION and wire == _VARINT:
                out += buf[begin:after]
            # anything else (doc string, metadata, training info, configuration, producer) is left out; every
            # field of the model, kept or not, counts as one of its MAX_ENTRIES entries
        return bytes(out)

    def opset(self, start: int, end: int) -> bytes:
        """An OperatorSetIdProto, rebuilt of its domain and version; a version below 1 is refused."""
        self.opsets += 1
        if self.opsets > MAX_OPSETS:
            raise LimitError(f"the model has more than {MAX_OPSETS:,} opset imports")
        domain = b""
        version = 0
        seen: set[int] = set()
        for field, wire, _, value, after in _fields(self.buf, start, end):
            if field == _OPSET_DOMAIN and wire == _LEN:
                self.once(seen, field)
                self.text(value, after)
                domain = self.buf[value:after]
            elif field == _OPSET_VERSION and wire == _VARINT:
                self.once(seen, field)
                version = _varint(self.buf, value, after)[0] & (1 << 64) - 1
                version -= (version >> 63) << 64  # an int64
            else:  # unknown fields: left out
                self.other_field()
        if version < 1:
            raise OpsetError(domain.decode("utf-8", "replace"), version)
        out = _length_field(_OPSET_DOMAIN, domain) if domain else b""
        return out + _encode_varint(_OPSET_VERSION << 3) + _encode_varint(version)

    def graph(self, start: int, end: int, depth: int) -> bytes | None:
        """A GraphProto without the data of its large initializers and node tensors, nor the fields convcost
        does not read (None: unchanged)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise too_deep("subgraphs are")
        self.container(start, end, _GRAPH_NODE, _GRAPH_ENTRIES)
        buf = self.buf
        out = bytearray()
        changed = False
        seen: set[int] = set()
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
                self.once(seen, field)
                self.text(value, after)
            else:  # doc string, quantization annotations, metadata
                self.other_field()
                changed = True
                continue
            changed |= put_field(out, buf, field, begin, after, replaced)
        return bytes(out) if changed else None

    def function(self, start: int, end: int) -> bytes | None:
        """A FunctionProto: its nodes walked and counted as the graph's are, its entries counted (None: unchanged)."""
        self.container(start, end, _FUNCTION_NODE, _FUNCTION_ENTRIES)
        buf = self.buf
        out = bytearray()
        changed = False
        seen: set[int] = set()
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
                if field in _FUNCTION_ENTRIES:
                    self.count()
                else:  # name, domain, overload
                    self.once(seen, field)
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
            changed |= put_field(out, buf, field, begin, after, replaced)
        return bytes(out) if changed else None

    def node(self, start: int, end: int, depth: int) -> bytes | None:
        """A NodeProto with its large attributes stripped and the fields convcost does not read left out
        (None: unchanged); its entries counted."""
        buf = self.buf
        out = bytearray()
        changed = False
        entries = attributes = 0
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if wire != _LEN or not (field in _NODE_TEXTS or field == _NODE_ATTRIBUTE):
                self.other_field()  # doc string, metadata, device configurations
                changed = True
                continue
            if field not in _NODE_ENTRIES:  # name, op type, domain, overload
                self.once(seen, field)
            if field in _NODE_ENTRIES:
                entries += 1
                self.count()
                if entries > MAX_NODE_ENTRIES:
                    raise LimitError(f"a node has more than {MAX_NODE_ENTRIES:,} inputs, outputs and attributes")
                self.node_entry()
            if field == _NODE_ATTRIBUTE:
                attributes += 1
                if attributes > MAX_NODE_ATTRIBUTES:
                    raise LimitError(f"a node has more than {MAX_NODE_ATTRIBUTES} attributes")
                if after - value > _SHORT or _LIST_TAGS.search(buf, value, after):
                    replaced = self.attribute(value, after, depth)
                else:
                    self.keep(after - value)
            else:
                self.text(value, after)
            changed |= put_field(out, buf, field, begin, after, replaced)
        return bytes(out) if changed else None

    def list_values(self, field: int, wire: int, start: int, end: int, items: int) -> int:
        """The attribute's values after one field of its list, ``items`` before it (at most MAX_LIST_ITEMS); an
        empty packed field, no value but still a step, counts as an other field."""
        room = MAX_LIST_ITEMS - items
        if wire == _LEN and field == _ATTRIBUTE_INTS:
            values = packed_varints(self.buf, start, end, room)
        elif wire == _LEN and field == _ATTRIBUTE_FLOATS:
            values = (end - start) // 4
        else:
            values = 1
        if not values:
            self.other_field()
        if values > room:
            raise LimitError(f"an attribute has more than {MAX_LIST_ITEMS:,} values")
        return items + values

    def listed(self, items: int, total: int, nested: int, text: bool) -> int:
        """After a string, tensor, graph, type or sparse tensor of an attribute's list (``text``: a string of at
        least a byte), ``items`` its values so far, with the total and nested types before it: a value that holds
        no entry (an empty string, graph, tensor, sparse tensor or type) is an object all the same, and a type's
        nested levels are values of the attribute. The attribute's values now."""
        if self.total == total and not text:
            self.empty_value()
        items += self.nested_types - nested
        if items > MAX_LIST_ITEMS:
            raise LimitError(f"an attribute has more than {MAX_LIST_ITEMS:,} values (nested types counted)")
        return items

    def attribute(self, start: int, end: int, depth: int) -> bytes | None:
        """An AttributeProto: its values counted, its large tensors stripped, its subgraphs and types walked,
        its doc string left out (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        items = 0
        ranks: dict[int, int] = {}
        """Dimensions of the singular t and tp fields, which protobuf merges when repeated."""
        sparse_ranks: dict[int, int] = {}
        """Dimensions of the singular sparse_tensor field's dims, values and indices, merged when repeated."""
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            total, nested = self.total, self.nested_types
            if field in _ATTRIBUTE_LISTS:
                items = self.list_values(field, wire, value, after, items)
            elif field in _ATTRIBUTE_SINGULAR:
                self.once(seen, field)
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
            elif field in (_ATTRIBUTE_SPARSE_TENSOR, _ATTRIBUTE_SPARSE_TENSORS):  # the singular one's repeats merged
                replaced = self.sparse_tensor(value, after, sparse_ranks if field == _ATTRIBUTE_SPARSE_TENSOR else None)
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
            if field in _ATTRIBUTE_LISTS and wire == _LEN and field not in (_ATTRIBUTE_FLOATS, _ATTRIBUTE_INTS):
                items = self.listed(items, total, nested, field == _ATTRIBUTE_STRINGS and value < after)
            changed |= put_field(out, buf, field, begin, after, replaced)
        self.count(items)
        return bytes(out) if changed else None


_SHORT = 64
"""An attribute of at most this many bytes with no byte of a list's, tensor's, graph's or type's tag is one
entry, not walked."""
_LIST_TAGS = re.compile(b"[\\x2a\\x32\\x38-\\x3d\\x40-\\x42\\x4a\\x52\\x5a\\x72\\x7a\\xb2\\xba\\xbb]")
"""The tag bytes of AttributeProto's t, g, floats, ints, strings, tensors, graphs, tp, type_protos and sparse
tensors (any wire type for lists); a short attribute without any of them holds no list or type (a conservative
test: a name may hold such a byte too)."""


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
    except TooManyNodesError:
        raise ConvcostError(too_many_nodes(path)) from None
    except OpsetError as exc:
        raise ConvcostError(f"{path}: {_opset_message(*exc.args)}") from None
    except LimitError as exc:
        raise ConvcostError(f"{path}: {exc}; at most that many are read") from None
    except TooManyEntriesError:
        raise ConvcostError(
            f"{path}: the model or its graph has more than {MAX_ENTRIES:,} entries besides its nodes "
            "(initializers, inputs, outputs, value infos); at most that many are read"
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConvcostError(f"{path}: cannot be read ({reason})") from None
