"""The ONNX scan's walk of tensors and types (``onnx_read``): a tensor's rank and data, sparse tensors,
value infos and type protos, their dimensions counted across the repeated fields protobuf merges."""

from __future__ import annotations

from typing import Any

from convcost.frontends.onnx_limits import (  # the limits and their counters
    KEEP_BYTES,
    MAX_RANK,
    MAX_SUBGRAPH_DEPTH,
    STRIPPED,
    Counts,
    too_deep,
    too_many_dims,
)
from convcost.frontends.onnx_wire import (
    _LEN,
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
    _encode_varint,
    _fields,
    _length_field,
    _varint,
    packed_varints,  # the wire format: field numbers and readers
    put_field,
)

_RAW = 9
_ELEMENT_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2}
"""ONNX element type -> bytes per element in ``raw_data`` (the fixed-size types)."""

_FIXED_BYTES = {4: 4, 10: 8}
"""``float_data`` and ``double_data`` -> bytes per packed element; the other typed fields are varints or strings."""


MISMATCH_KEY = b"convcost: stored values"
"""The external-data key under which a stripped tensor carries why its values did not fit its dimensions."""


class _Data:
    """What a large TensorProto stores, counted as the scan walks it: its dimensions, element type and values.

    A tensor whose values are in the file (not external) holds exactly as many as its dimensions say, or
    every figure made of it is invented (27,000,000 params for 108 stored weights). A small tensor keeps
    its data, checked once parsed (``onnx_data.stored_mismatch``); a large one's is dropped here, so it is
    counted here."""

    __slots__ = ("dims", "elem", "external", "raw", "values")

    def __init__(self) -> None:
        self.dims: list[int] = []
        self.elem = 0
        self.external = False
        self.raw = -1
        """Bytes of raw_data (-1: none)."""
        self.values = 0
        """Values stored in the typed fields."""

    def add(self, buf: Any, field: int, wire: int, value: int, after: int) -> None:
        if field == _TENSOR_DIMS:
            if wire == _VARINT:
                self.dims.append(_varint(buf, value, after)[0])
            elif wire == _LEN:
                pos = value
                while pos < after and len(self.dims) <= MAX_RANK:
                    dim, pos = _varint(buf, pos, after)
                    self.dims.append(dim)
        elif field == 2 and wire == _VARINT:
            self.elem = _varint(buf, value, after)[0]
        elif field in (_TENSOR_EXTERNAL_DATA, _TENSOR_DATA_LOCATION):
            self.external = True
        elif field == _RAW and wire == _LEN:
            self.raw = max(self.raw, 0) + after - value
        elif field in _TENSOR_DATA:
            if wire != _LEN or field == 6:  # one value, or one string
                self.values += 1
            elif field in _FIXED_BYTES:
                self.values += (after - value) // _FIXED_BYTES[field]
            else:
                self.values += packed_varints(buf, value, after, after - value)

    def mismatch(self) -> str | None:
        """Why the stored values do not fit the dimensions (None: they fit, or the data is external)."""
        if self.external or self.elem == 0 or len(self.dims) > MAX_RANK or any(d >= 1 << 63 for d in self.dims):
            return None  # a negative dimension (int64 on the wire) is refused later, with its own error
        needed = 1
        for d in self.dims:
            needed *= d
        if self.raw >= 0:
            size = _ELEMENT_BYTES.get(self.elem)
            if size is None or (self.raw == needed * size and not self.values):
                return None
            held = f"{self.raw:,} bytes of raw data" if not self.values else "raw data and typed values"
            need = f"{needed * size:,} bytes"
        elif self.values == needed:
            return None
        else:
            held, need = f"{self.values:,} value{'s' if self.values != 1 else ''}", f"{needed:,}"
        shape = "x".join(map(str, self.dims)) or "a scalar"
        return f"holds {held}, but its dimensions {shape} need {need}"


class TensorScan(Counts):
    """The tensor and type walkers of the scan, on its counters."""

    @staticmethod
    def merged(ranks: dict[int, int], field: int, rank: int) -> None:
        """``rank`` more dimensions for a singular field that protobuf merges when repeated: at most MAX_RANK."""
        ranks[field] = ranks.get(field, 0) + rank
        if ranks[field] > MAX_RANK:
            raise too_many_dims()

    def tensor(self, start: int, end: int) -> tuple[int, bytes | None]:
        """A TensorProto: its rank (at most MAX_RANK), and the tensor to write instead (None: unchanged).

        A tensor of more than KEEP_BYTES keeps its dimensions, type and name, its data marked external
        and absent; a smaller one keeps its data too. Either way its doc string, segment and metadata
        are left out.

        Every field counts: a dimension as an entry (an empty packed dims field as an other field), a
        repeated name, type or location as an other field, a small tensor's values stored one by one as
        other fields, its external-data entries as entries; a large tensor's values (a vocabulary of
        strings, stored one by one) count only towards the total, and its external-data entries, dropped, as
        other fields."""
        buf = self.buf
        large = end - start > KEEP_BYTES
        out = bytearray()
        changed = large
        rank = 0
        seen: set[int] = set()
        data = _Data()
        for field, wire, begin, value, after in _fields(buf, start, end):
            data.add(buf, field, wire, value, after)
            if field == _TENSOR_DIMS and wire in (_VARINT, _LEN):
                dims = packed_varints(buf, value, after, MAX_RANK - rank) if wire == _LEN else 1
                if not dims:
                    self.other_field()
                rank += dims
                if rank > MAX_RANK:
                    raise too_many_dims()
            elif field == _TENSOR_NAME and wire == _LEN:
                self.once(seen, field)
                self.text(value, after)
            elif field in _TENSOR_DATA:
                if large:
                    self.count()  # stripped unread: towards the total only, so a label tensor of a real model loads
                    continue
                self.other_field()
            elif (field, wire) in _TENSOR_KEEP:
                if field == _TENSOR_EXTERNAL_DATA:
                    if large:
                        self.other_field()
                        continue
                    self.count()  # an entry: protobuf makes an object of it
                else:
                    self.once(seen, field)
                    if large and field == _TENSOR_DATA_LOCATION:
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
            mismatch = data.mismatch()
            if mismatch is not None:  # the data is dropped here: what was wrong with it goes along (a weight is refused for it)
                entry = _length_field(1, MISMATCH_KEY) + _length_field(2, mismatch.encode())
                out += _length_field(_TENSOR_EXTERNAL_DATA, entry)
            out += _encode_varint(_TENSOR_DATA_LOCATION << 3 | 0) + _encode_varint(1)
        else:
            self.keep(len(out))
        return rank, bytes(out) if changed else None

    def sparse_tensor(self, start: int, end: int, ranks: dict[int, int] | None = None) -> bytes | None:
        """A SparseTensorProto: its dimensions at most MAX_RANK, its values and indices tensors stripped as
        tensors are (None: unchanged). ``ranks``: the dimensions of its fields so far, for a singular sparse
        tensor field repeated (protobuf merges the repeats into one tensor)."""
        buf = self.buf
        out = bytearray()
        changed = False
        ranks = {} if ranks is None else ranks
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field == _SPARSE_DIMS and wire in (_VARINT, _LEN):
                rank = packed_varints(buf, value, after, MAX_RANK) if wire == _LEN else 1
                if not rank:
                    self.other_field()
                self.merged(ranks, field, rank)
                self.count(rank)
            elif field in (_SPARSE_VALUES, _SPARSE_INDICES) and wire == _LEN:
                self.once(seen, field)
                rank, replaced = self.tensor(value, after)
                self.merged(ranks, field, rank)
            else:
                self.other_field()
                changed = True
                continue
            changed |= put_field(out, buf, field, begin, after, replaced)
        return bytes(out) if changed else None

    def value_info(self, start: int, end: int) -> bytes | None:
        """A ValueInfoProto: its name, and its type walked (its tensor dimensions counted, over repeated type
        fields too); its doc string and metadata left out (None: unchanged)."""
        buf = self.buf
        out = bytearray()
        changed = False
        ranks: dict[int, int] = {}
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if field == _VALUE_INFO_NAME and wire == _LEN:
                self.once(seen, field)
                self.text(value, after)
            elif field == _VALUE_INFO_TYPE and wire == _LEN:
                self.once(seen, field)
                nested = self.nested_types
                rank, replaced = self.type_proto(value, after, 0)
                self.merged(ranks, field, rank)
                self.graph_entry(self.nested_types - nested)  # nested types: entries of the graph, as the value info is
            else:
                self.other_field()
                changed = True
                continue
            changed |= put_field(out, buf, field, begin, after, replaced)
        return bytes(out) if changed else None

    def type_proto(self, start: int, end: int, depth: int) -> tuple[int, bytes | None]:
        """A TypeProto: the dimensions of its tensors, every repeated field (which protobuf merges) counted
        (at most MAX_RANK in all: a type describes one tensor), and the type to write instead, without
        denotations or unknown fields (None: unchanged)."""
        if depth > MAX_SUBGRAPH_DEPTH:
            raise too_deep("a type is")
        if depth:  # a nested type: an object of its own, however few fields it holds
            self.nested_types += 1
            self.count()
        buf = self.buf
        out = bytearray()
        changed = False
        rank = 0
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            inner_rank = 0
            if wire != _LEN:
                self.other_field()
                changed = True
                continue
            if field in _TYPE_TENSORS or field in _TYPE_NESTED or field == _TYPE_MAP:
                self.once(seen, field)
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
                raise too_many_dims()
            changed |= put_field(out, buf, field, begin, after, replaced)
        return rank, bytes(out) if changed else None

    def tensor_type(self, start: int, end: int) -> tuple[int, bytes | None]:
        """A TypeProto.Tensor (or SparseTensor): its element type and its shape's dimensions (every shape field
        counted: protobuf merges them); anything else left out."""
        buf = self.buf
        out = bytearray()
        changed = False
        rank = 0
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            if field == _TENSOR_TYPE_ELEM and wire == _VARINT:
                self.once(seen, field)
                out += buf[begin:after]
            elif field == _TENSOR_TYPE_SHAPE and wire == _LEN:
                self.once(seen, field)
                shape = bytearray()
                for dim, dim_wire, dim_begin, dim_value, dim_after in _fields(buf, value, after):
                    if dim != _SHAPE_DIM or dim_wire != _LEN:
                        self.other_field()
                        changed = True
                        continue
                    rank += 1
                    if rank > MAX_RANK:
                        raise too_many_dims()
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
        seen: set[int] = set()
        for field, wire, begin, value, after in _fields(buf, start, end):
            replaced: bytes | None = None
            if (field == elem and wire == _LEN) or (elem == 2 and field == 1 and wire == _VARINT):
                self.once(seen, field)
            if field == elem and wire == _LEN:
                inner_rank, replaced = self.type_proto(value, after, depth + 1)
                rank += inner_rank
                if rank > MAX_RANK:
                    raise too_many_dims()
            elif not (elem == 2 and field == 1 and wire == _VARINT):  # a map's key_type
                self.other_field()
                changed = True
                continue
            changed |= put_field(out, buf, field, begin, after, replaced)
        return rank, bytes(out) if changed else None
