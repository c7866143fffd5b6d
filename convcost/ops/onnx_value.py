"""A small tensor's value through an ONNX graph's shape arithmetic, and the helpers of the value rules.

Values are exact: integers as ``int``, floating-point values as :class:`~fractions.Fraction` (what a shape
computed through floats means; float32 would round only past 2^24). A value is kept only while it is small
(at most :data:`MAX_VALUES` elements, each within :data:`MAX_BITS` bits, numerator and denominator alike):
past that it is unknown, never an error, so a hostile file cannot make the walk slow or large.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import NamedTuple

from convcost.core.shapes import MAX_DIGITS
from convcost.ops.onnx_node import OnnxNode

Number = int | Fraction

MAX_VALUES = 64
"""A tensor of more elements than this has no value here (shape tensors have a few)."""

MAX_BITS = (10**MAX_DIGITS).bit_length()
"""A number (a fraction's numerator and denominator each) of more bits than this makes its tensor's value unknown."""


class Value(NamedTuple):
    """A small tensor's value: its dimensions, its elements in row-major order, and whether its type is integral."""

    dims: tuple[int, ...]
    data: tuple[Number, ...]
    integer: bool


def make(dims: Sequence[int], data: Sequence[Number], integer: bool) -> Value | None:
    """The value, or None when it is past the limits (too many elements, a number too large) or not consistent."""
    if len(data) > MAX_VALUES or math.prod(dims) != len(data) or any(d < 0 for d in dims):
        return None
    out: list[Number] = []
    for x in data:
        if isinstance(x, Fraction):
            if x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS:
                return None
            number: Number = x.numerator if x.denominator == 1 else x
        elif x.bit_length() > MAX_BITS:
            return None
        else:
            number = x
        out.append(int(number) if integer else number)  # int() toward zero, as a cast to an integer type
    return Value(tuple(dims), tuple(out), integer)


Outputs = tuple[Value | None, ...]
ValueRule = Callable[[OnnxNode, tuple[Value | None, ...]], "Outputs | None"]


def one(value: Value | None) -> Outputs | None:
    return None if value is None else (value,)


def ints(value: Value | None) -> tuple[int, ...] | None:
    """A value's elements as whole numbers, or None when one is not whole."""
    if value is None or not all(isinstance(x, int) for x in value.data):
        return None
    return tuple(int(x) for x in value.data)


def strides(dims: Sequence[int]) -> list[int]:
    out, step = [0] * len(dims), 1
    for i in range(len(dims) - 1, -1, -1):
        out[i] = step
        step *= dims[i]
    return out


def index_of(flat: int, dims: Sequence[int]) -> list[int]:
    """The multi-index of element ``flat``."""
    found = []
    for d in reversed(dims):
        found.append(flat % d if d else 0)
        flat = flat // d if d else 0
    return found[::-1]


def take(value: Value, axis: int, picks: Sequence[int]) -> Value | None:
    """The elements at ``picks`` along ``axis`` (each within the axis)."""
    dims = list(value.dims)
    before, after = math.prod(dims[:axis]), math.prod(dims[axis + 1 :])
    data = [value.data[(b * dims[axis] + p) * after + a] for b in range(before) for p in picks for a in range(after)]
    return make((*dims[:axis], len(picks), *dims[axis + 1 :]), data, value.integer)


def axis_index(axis: int, rank: int) -> int | None:
    return axis + rank if -rank <= axis < 0 else axis if 0 <= axis < rank else None


def broadcast_dims(shapes: Sequence[Sequence[int]]) -> tuple[int, ...] | None:
    """numpy's broadcast of these dimensions, or None when they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        sizes = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast(values: Sequence[Value], function: Callable[..., Number | None], integer: bool) -> Value | None:
    """``function`` elementwise over the broadcast of ``values``."""
    dims = broadcast_dims([v.dims for v in values])
    if dims is None or math.prod(dims) > MAX_VALUES:
        return None
    data: list[Number] = []
    for flat in range(math.prod(dims)):
        index = index_of(flat, dims)
        args = []
        for v in values:
            own = index[len(dims) - len(v.dims) :]
            args.append(v.data[sum(i * s for i, s, d in zip(own, strides(v.dims), v.dims, strict=True) if d != 1)])
        result = function(*args)
        if result is None:
            return None
        data.append(result)
    return make(dims, data, integer)
