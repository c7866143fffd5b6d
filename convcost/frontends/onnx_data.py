"""A small ONNX tensor's numbers, read from its protobuf fields without numpy: exact integers, and floats.

Shape tensors, pads, scales and Constant values are a few numbers each; reading them here keeps numpy (and
the ml_dtypes it would bring through onnx's numpy_helper) out of the ONNX front end. Element types other
than the ones below (8-bit and 4-bit floats, strings, complex numbers) are not read (None).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from convcost.frontends.onnx_tensors import MISMATCH_KEY
from convcost.ops.onnx_values import Value, make

_FORMATS = {1: "f", 2: "B", 3: "b", 4: "H", 5: "h", 6: "i", 7: "q", 9: "?", 10: "e", 11: "d", 12: "I", 13: "Q", 16: "H"}
"""ONNX element type -> the struct format of one element in ``raw_data`` (bfloat16 read as its 16 bits)."""

_FIELDS = {1: "float_data", 2: "int32_data", 3: "int32_data", 4: "int32_data", 5: "int32_data", 6: "int32_data", 7: "int64_data",
           9: "int32_data", 10: "int32_data", 11: "double_data", 12: "uint64_data", 13: "uint64_data", 16: "int32_data"}  # fmt: skip
"""ONNX element type -> the typed field that holds its elements when ``raw_data`` is not used."""

INTEGER_TYPES = frozenset({2, 3, 4, 5, 6, 7, 9, 12, 13})
"""(u)int8 to (u)int64 and bool: whole numbers."""

ELEMENT_TYPES = {1: "FLOAT", 6: "INT32", 7: "INT64", 11: "DOUBLE"}
"""The element types whose values the front end hands back to ONNX's shape inference."""


def stored_mismatch(tensor: Any) -> str | None:
    """Why a TensorProto's stored values do not fit its dimensions (None: they fit, or the data is
    external). A stripped tensor carries the scan's verdict (``onnx_tensors.MISMATCH_KEY``)."""
    if tensor.data_location == 1:  # external (a stripped tensor is marked so too)
        for entry in tensor.external_data:
            if entry.key == MISMATCH_KEY.decode():
                return str(entry.value)
        return None
    dims = list(tensor.dims)
    if any(d < 0 for d in dims) or tensor.data_type not in _FORMATS:
        return None  # a negative dimension has its own error; a type not read here is not checked
    needed = math.prod(dims)
    shape = "x".join(map(str, dims)) or "a scalar"
    if tensor.HasField("raw_data"):
        size = struct.calcsize(_FORMATS[tensor.data_type])
        if len(tensor.raw_data) == needed * size:
            return None
        return f"holds {len(tensor.raw_data):,} bytes of raw data, but its dimensions {shape} need {needed * size:,} bytes"
    held = len(getattr(tensor, _FIELDS[tensor.data_type]))
    if held == needed:
        return None
    return f"holds {held:,} value{'s' if held != 1 else ''}, but its dimensions {shape} need {needed:,}"


def numbers(tensor: Any) -> tuple[int | float, ...] | None:
    """A TensorProto's elements in row-major order: ints for integer types, floats for floating-point ones;
    None for an element type not read here. Raises ValueError naming what is wrong when the data does not
    hold as many elements as the dimensions say."""
    kind = tensor.data_type
    if kind not in _FORMATS:
        return None
    count = math.prod(tensor.dims)
    if tensor.HasField("raw_data"):
        raw = tensor.raw_data
        size = struct.calcsize(_FORMATS[kind])
        if len(raw) != count * size:
            raise ValueError(f"its raw data is {len(raw):,} bytes; {count:,} elements need {count * size:,}")
        found: Sequence[Any] = struct.unpack(f"<{count}{_FORMATS[kind]}", raw)
    else:
        found = getattr(tensor, _FIELDS[kind])
        if len(found) != count:
            raise ValueError(f"it holds {len(found):,} elements; its dimensions say {count:,}")
        if kind == 10:  # float16, as its bits
            found = [struct.unpack("<e", (bits & 0xFFFF).to_bytes(2, "little"))[0] for bits in found]
    if kind == 16:  # bfloat16: the top 16 bits of a float32
        found = [struct.unpack("<f", ((bits & 0xFFFF) << 16).to_bytes(4, "little"))[0] for bits in found]
    if kind in INTEGER_TYPES:
        return tuple(int(x) for x in found)
    return tuple(float(x) for x in found)


def tensor_value(tensor: Any) -> Value | None:
    """A TensorProto as a :class:`Value` (floats exact, as fractions), or None when it is not one convcost keeps
    (too many elements, not numbers, not finite, data that does not match its dimensions)."""
    if math.prod(tensor.dims) > 64 or tensor.data_location == 1:  # EXTERNAL: its data is not in the file
        return None
    try:
        found = numbers(tensor)
    except ValueError:
        return None
    if found is None:
        return None
    if tensor.data_type in INTEGER_TYPES:
        return make(tuple(tensor.dims), tuple(int(x) for x in found), True)
    if not all(math.isfinite(x) for x in found):
        return None
    return make(tuple(tensor.dims), tuple(Fraction(x) for x in found), False)


def tensor_bytes(onnx: Any, name: str, value: Value, data_type: int) -> bytes | None:
    """``value`` as a serialized TensorProto of ``data_type`` (for ONNX's per-node inference), or None when that
    type is not one handed back."""
    if data_type not in ELEMENT_TYPES:
        return None
    tensor = onnx.TensorProto(name=name, data_type=data_type, dims=list(value.dims))
    if data_type in (6, 7):
        bits = 31 if data_type == 6 else 63
        if not all(isinstance(x, int) and -(2**bits) <= x < 2**bits for x in value.data):
            return None
        field = tensor.int32_data if data_type == 6 else tensor.int64_data
        field.extend(int(x) for x in value.data)
    else:
        (tensor.float_data if data_type == 1 else tensor.double_data).extend(float(x) for x in value.data)
    return bytes(tensor.SerializeToString())
