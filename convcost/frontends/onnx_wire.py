"""The protocol-buffer wire format of an ONNX file, as the scan (``onnx_read``) walks it: fields as
(number, wire type, start, value start, end), varints, and the field numbers of the ONNX messages."""

from __future__ import annotations

import mmap

_LEN, _VARINT = 2, 0

# Per message, the fields kept: (field number, wire type). Every other field is left out of the bytes
# handed to onnx without being parsed (doc strings, metadata_props, device configurations,
# quantization annotations, training info, configuration, denotations, unknown fields).
_MODEL_IR_VERSION = 1
_MODEL_GRAPH = 7
_MODEL_OPSET = 8
_MODEL_FUNCTIONS = 25
_GRAPH_NODE = 1
_GRAPH_NAME = 2
_GRAPH_INITIALIZER = 5
_GRAPH_VALUE_INFOS = frozenset({11, 12, 13})
"""GraphProto fields input, output, value_info."""
_GRAPH_SPARSE_INITIALIZER = 15
_GRAPH_ENTRIES = _GRAPH_VALUE_INFOS | {_GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER}
_NODE_ENTRIES = frozenset({1, 2, 5})
"""NodeProto fields input, output, attribute."""
_NODE_ATTRIBUTE = 5
_NODE_TEXTS = frozenset({1, 2, 3, 4, 7, 8})
"""NodeProto fields input, output, name, op_type, domain, overload."""
_FUNCTION_NODE = 7
_FUNCTION_TEXTS = frozenset({1, 4, 5, 6, 10, 13})
"""FunctionProto fields name, input, output, attribute (names), domain, overload."""
_FUNCTION_ENTRIES = frozenset({4, 5, 6, 11, 12})
_FUNCTION_OPSET = 9
_FUNCTION_ATTRIBUTE = 11
_FUNCTION_VALUE_INFO = 12
_ATTRIBUTE_TEXTS = frozenset({1, 4, 9, 21})
"""AttributeProto fields name, s, strings, ref_attr_name."""
_ATTRIBUTE_SCALARS = frozenset({(2, 5), (3, _VARINT), (20, _VARINT)})
"""AttributeProto fields f, i, type."""
_ATTRIBUTE_SINGULAR = frozenset({1, 2, 3, 4, 5, 6, 14, 20, 21, 22})
"""AttributeProto fields name, f, i, s, t, g, tp, type, ref_attr_name, sparse_tensor: protobuf keeps the last, or
merges the repeats."""
_ATTRIBUTE_TENSOR = 5
_ATTRIBUTE_GRAPH = 6
_ATTRIBUTE_FLOATS = 7
_ATTRIBUTE_INTS = 8
_ATTRIBUTE_STRINGS = 9
_ATTRIBUTE_TENSORS = 10
_ATTRIBUTE_GRAPHS = 11
_ATTRIBUTE_TYPE = 14
_ATTRIBUTE_TYPES = 15
_ATTRIBUTE_SPARSE_TENSOR = 22
_ATTRIBUTE_SPARSE_TENSORS = 23
_ATTRIBUTE_LISTS = frozenset({7, 8, 9, 10, 11, 15, 23})
"""AttributeProto fields floats, ints, strings, tensors, graphs, type_protos, sparse_tensors."""
_TENSOR_DIMS = 1
_TENSOR_NAME = 8
_TENSOR_DATA = frozenset({4, 5, 6, 7, 9, 10, 11})
"""TensorProto fields float_data, int32_data, string_data, int64_data, raw_data, double_data, uint64_data."""
_TENSOR_KEEP = frozenset({(2, _VARINT), (13, _LEN), (14, _VARINT)})
"""TensorProto fields data_type, external_data, data_location (dims, name and data apart)."""
_TENSOR_EXTERNAL_DATA = 13
_TENSOR_DATA_LOCATION = 14
_SPARSE_VALUES = 1
_SPARSE_INDICES = 2
_SPARSE_DIMS = 3
_VALUE_INFO_NAME = 1
_VALUE_INFO_TYPE = 2
_TYPE_TENSORS = frozenset({1, 8})
"""TypeProto fields tensor_type and sparse_tensor_type (elem_type 1, shape 2)."""
_TYPE_NESTED = frozenset({4, 9})
"""TypeProto fields sequence_type, optional_type (each holds a TypeProto as field 1)."""
_TYPE_MAP = 5
"""TypeProto field map_type (key_type 1, value_type 2: a TypeProto)."""
_TENSOR_TYPE_ELEM = 1
_TENSOR_TYPE_SHAPE = 2
_SHAPE_DIM = 1
_OPSET_DOMAIN = 1
_OPSET_VERSION = 2


class BadWireError(Exception):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: mmap.mmap | bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise BadWireError("a field runs past the end of the data")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise BadWireError("a number is longer than 10 bytes")


def _fields(buf: mmap.mmap | bytes, pos: int, end: int):  # type: ignore[no-untyped-def]
    """Yield ``(field, wire type, start, value start, end)`` for each field of a message."""
    while pos < end:
        start = pos
        tag, pos = _varint(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise BadWireError("field number 0")
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
            raise BadWireError(f"wire type {wire}")
        if after > end:
            raise BadWireError("a field runs past the end of the data")
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


_HIGH_BYTES = bytes(range(0x80, 0x100))
"""Bytes with the continuation bit: deleted, what is left counts the varints."""


def packed_varints(buf: mmap.mmap, start: int, end: int, room: int) -> int:
    """How many varints the packed field ``buf[start:end]`` holds; more than ``room`` once that many are certain."""
    if (end - start) // 10 > room:  # a varint is at most 10 bytes: more than room for sure
        return room + 1
    return len(buf[start:end].translate(None, _HIGH_BYTES))


def put_field(out: bytearray, buf: mmap.mmap | bytes, field: int, begin: int, after: int, replaced: bytes | None) -> bool:
    """Append one field to a message being rebuilt: its new payload when ``replaced``, else its bytes
    (``buf[begin:after]``) as they are. True when the field was rewritten."""
    if replaced is not None:
        out += _length_field(field, replaced)
        return True
    out += buf[begin:after]
    return False
