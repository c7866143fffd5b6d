"""The value rule of each ONNX op of shape arithmetic: the node and its inputs' values (None: unknown) in, its
outputs' values (or None) out. Elementwise arithmetic broadcasts as numpy does; integer division truncates
toward zero, as ONNX's does; indices and slices clamp as the operators say (and ONNX's shape inference does)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType

from convcost.ops.onnx_node import OnnxNode
from convcost.ops.onnx_value import (
    MAX_VALUES,
    Number,
    Outputs,
    Value,
    ValueRule,
    axis_index,
    broadcast,
    broadcast_dims,
    ints,
    make,
    one,
    take,
)

# --- elementwise ---------------------------------------------------------------------


def _div(a: Number, b: Number, integer: bool) -> Number | None:
    if b == 0:
        return None
    if integer:  # integer division truncates toward zero (ONNX's, C's)
        q = (a if a >= 0 else -a) // (b if b > 0 else -b)
        return q if (a >= 0) == (b > 0) else -q
    return Fraction(a) / b


def _mod(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    """Mod: the remainder with the divisor's sign, or with ``fmod`` the dividend's (C's fmod)."""
    a, b = values[0], values[1]
    if a is None or b is None:
        return None
    fmod = bool(node.attrs.get("fmod", 0))

    def remainder(x: Number, y: Number) -> Number | None:
        if y == 0:
            return None
        if not fmod:
            return x % y
        r = (x if x >= 0 else -x) % (y if y > 0 else -y)
        return r if x >= 0 else -r

    return one(broadcast((a, b), remainder, a.integer and b.integer))


def _binary(function: Callable[[Number, Number, bool], Number | None], compare: bool = False) -> ValueRule:
    def rule(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
        a, b = values[0], values[1]
        if a is None or b is None:
            return None
        integer = True if compare else a.integer and b.integer
        return one(broadcast((a, b), lambda x, y: function(x, y, a.integer and b.integer), integer))

    return rule


def _variadic(function: Callable[[Sequence[Number]], Number]) -> ValueRule:
    def rule(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
        known = [v for v in values if v is not None]
        if len(known) != len(values) or not known:
            return None
        return one(broadcast(known, lambda *xs: function(xs), all(v.integer for v in known)))

    return rule


def _unary(function: Callable[[Number], Number | None], integer: bool | None = None) -> ValueRule:
    def rule(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
        v = values[0]
        if v is None:
            return None
        data = [function(x) for x in v.data]
        if any(x is None for x in data):
            return None
        return one(make(v.dims, [x for x in data if x is not None], v.integer if integer is None else integer))

    return rule


def _where(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    c, x, y = values[0], values[1], values[2]
    if c is None or x is None or y is None:
        return None
    return one(broadcast((c, x, y), lambda k, a, b: a if k else b, x.integer and y.integer))


def _clip(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v = values[0]
    if v is None:
        return None
    bounds: list[Number | None] = []
    for slot, attr in ((1, "min"), (2, "max")):
        if len(node.inputs) > slot and node.inputs[slot]:
            bound = values[slot]
            if bound is None or len(bound.data) != 1:
                return None
            bounds.append(bound.data[0])
        else:
            found = node.attrs.get(attr)
            bounds.append(Fraction(found) if isinstance(found, float) and math.isfinite(found) else None)
    low, high = bounds
    data = [x if low is None else max(x, low) for x in v.data]
    return one(make(v.dims, [x if high is None else min(x, high) for x in data], v.integer))


_INTEGER_TYPES = frozenset({2, 3, 4, 5, 6, 7, 9, 12, 13})
"""ONNX element types that are whole numbers: (u)int8 to (u)int64 and bool."""
_FLOAT_TYPES = frozenset({1, 10, 11, 16})
"""float, float16, double, bfloat16."""


def _cast(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v, to = values[0], node.attrs.get("to")
    if v is None or not isinstance(to, int) or to not in _INTEGER_TYPES | _FLOAT_TYPES:
        return None
    if to == 9:  # bool
        return one(make(v.dims, [int(x != 0) for x in v.data], True))
    return one(make(v.dims, list(v.data), to in _INTEGER_TYPES))


# --- shapes and indexing --------------------------------------------------------------


def _shape(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    dims = node.known(0)
    if dims is None:
        return None
    rank = len(dims)
    start, end = node.attrs.get("start", 0), node.attrs.get("end", rank)
    start, end = (max(0, min(rank, x + rank if x < 0 else x)) for x in (start, end))
    picked = dims[start:end]
    return one(make((len(picked),), picked, True))


def _size(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    dims = node.known(0)
    return None if dims is None else one(make((), (math.prod(dims),), True))


def _gather(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    data, indices = values[0], ints(values[1])
    if data is None or indices is None or values[1] is None or not data.dims:
        return None
    axis = axis_index(node.attrs.get("axis", 0), len(data.dims))
    if axis is None:
        return None
    size = data.dims[axis]
    if not all(-size <= i < size for i in indices):
        return None
    taken = take(data, axis, [i + size if i < 0 else i for i in indices])
    if taken is None:
        return None
    return one(make((*data.dims[:axis], *values[1].dims, *data.dims[axis + 1 :]), taken.data, data.integer))


def _slice_picks(size: int, start: int, end: int, step: int) -> list[int]:
    """The indices ONNX's Slice takes along an axis of ``size`` (starts and ends clamped as the operator says)."""
    if start < 0:
        start += size
    if end < 0:
        end += size
    if step > 0:
        start, end = max(0, min(size, start)), max(0, min(size, end))
    else:
        start, end = max(0, min(size - 1, start)), max(-1, min(size - 1, end))
    return list(range(start, end, step))[: MAX_VALUES + 1]


def _slice(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    data = values[0]
    if data is None:
        return None
    if len(node.inputs) > 1:  # opset 10 and later: inputs
        parts = [ints(values[slot]) if len(node.inputs) > slot and node.inputs[slot] else None for slot in range(1, 5)]
        starts, ends, axes, steps = parts
        if starts is None or ends is None or (len(node.inputs) > 3 and node.inputs[3] and axes is None):
            return None
        if len(node.inputs) > 4 and node.inputs[4] and steps is None:
            return None
    else:
        starts, ends, axes, steps = (node.attrs.get(a) for a in ("starts", "ends", "axes", "steps"))
        if starts is None or ends is None:
            return None
    axes = tuple(axes) if axes is not None else tuple(range(len(starts)))
    steps = tuple(steps) if steps is not None else (1,) * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps) or 0 in steps:
        return None
    out: Value | None = data
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        where = axis_index(axis, len(data.dims))
        if where is None or out is None:
            return None
        out = take(out, where, _slice_picks(data.dims[where], start, end, step))
    return one(out)


def _concat(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    if any(v is None for v in values) or not values:
        return None
    parts = [v for v in values if v is not None]
    rank = len(parts[0].dims)
    axis = axis_index(node.attrs.get("axis", 0), rank)
    if axis is None or any(len(v.dims) != rank or v.dims[:axis] != parts[0].dims[:axis] or v.dims[axis + 1 :] != parts[0].dims[axis + 1 :]
                           for v in parts):  # fmt: skip
        return None
    before = math.prod(parts[0].dims[:axis])
    data: list[Number] = []
    for b in range(before):
        for v in parts:
            chunk = math.prod(v.dims[axis:])
            data.extend(v.data[b * chunk : (b + 1) * chunk])
    dims = (*parts[0].dims[:axis], sum(v.dims[axis] for v in parts), *parts[0].dims[axis + 1 :])
    return one(make(dims, data, all(v.integer for v in parts)))


def _axes(node: OnnxNode, values: tuple[Value | None, ...]) -> tuple[int, ...] | None:
    """Unsqueeze's or Squeeze's axes: the attribute (before opset 13) or input 1; () when neither is given."""
    if len(node.inputs) > 1 and node.inputs[1]:
        return ints(values[1])
    found = node.attrs.get("axes", ())
    return tuple(found) if isinstance(found, tuple) else None


def _unsqueeze(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v, axes = values[0], _axes(node, values)
    if v is None or axes is None:
        return None
    rank = len(v.dims) + len(axes)
    spots = {axis_index(a, rank) for a in axes}
    if None in spots or len(spots) != len(axes):
        return None
    dims, rest = [], iter(v.dims)
    for i in range(rank):
        dims.append(1 if i in spots else next(rest))
    return one(make(dims, v.data, v.integer))


def _squeeze(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v, axes = values[0], _axes(node, values)
    if v is None or axes is None:
        return None
    spots = {axis_index(a, len(v.dims)) for a in axes} if axes else {i for i, d in enumerate(v.dims) if d == 1}
    if None in spots or any(v.dims[i] != 1 for i in spots if i is not None):
        return None
    return one(make([d for i, d in enumerate(v.dims) if i not in spots], v.data, v.integer))


def reshaped(dims: Sequence[int], target: Sequence[int], allowzero: bool) -> tuple[int, ...] | None:
    """ONNX Reshape's output dimensions: 0 copies the input's (unless ``allowzero``), one -1 takes what is left."""
    out = [dims[i] if t == 0 and not allowzero and i < len(dims) else t for i, t in enumerate(target)]
    if out.count(-1) > 1 or any(d < -1 for d in out):
        return None
    if -1 in out:
        rest = math.prod(d for d in out if d != -1)
        if rest == 0 or math.prod(dims) % rest:
            return None
        out[out.index(-1)] = math.prod(dims) // rest
    return tuple(out) if math.prod(out) == math.prod(dims) else None


def _reshape(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v, target = values[0], ints(values[1]) if len(values) > 1 else None
    if v is None or target is None:
        return None
    dims = reshaped(v.dims, target, bool(node.attrs.get("allowzero", 0)))
    return None if dims is None else one(make(dims, v.data, v.integer))


def _flatten(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v = values[0]
    if v is None:
        return None
    axis = node.attrs.get("axis", 1)
    axis = axis + len(v.dims) if axis < 0 else axis
    if not 0 <= axis <= len(v.dims):
        return None
    return one(make((math.prod(v.dims[:axis]), math.prod(v.dims[axis:])), v.data, v.integer))


def _identity(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    return one(values[0])


def _constant(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    """A Constant's value (its tensor attribute, which the front end reads into a Value, or one of its value_* attributes)."""
    attrs = node.attrs
    found = attrs.get("value")
    if isinstance(found, Value):
        return (found,)
    if isinstance(attrs.get("value_int"), int):
        return one(make((), (attrs["value_int"],), True))
    if isinstance(attrs.get("value_ints"), tuple):
        return one(make((len(attrs["value_ints"]),), attrs["value_ints"], True))
    if isinstance(attrs.get("value_float"), float) and math.isfinite(attrs["value_float"]):
        return one(make((), (Fraction(attrs["value_float"]),), False))
    floats = attrs.get("value_floats")
    if isinstance(floats, tuple) and all(math.isfinite(x) for x in floats):
        return one(make((len(floats),), [Fraction(x) for x in floats], False))
    return None


def _constant_of_shape(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    dims = ints(values[0])
    fill = node.attrs.get("value")
    if dims is None or any(d < 0 for d in dims) or math.prod(dims) > MAX_VALUES:
        return None
    if fill is None:
        return one(make(dims, [Fraction(0)] * math.prod(dims), False))
    if not isinstance(fill, Value) or len(fill.data) != 1:
        return None
    return one(make(dims, fill.data * math.prod(dims), fill.integer))


def _range(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    if any(v is None or len(v.data) != 1 for v in values[:3]):
        return None
    start, limit, delta = (v.data[0] for v in values[:3] if v is not None)
    if delta == 0:
        return None
    count = max(math.ceil(Fraction(limit - start) / delta), 0)
    if count > MAX_VALUES:
        return None
    return one(make((count,), [start + i * delta for i in range(count)], all(v.integer for v in values[:3] if v is not None)))


def _expand(node: OnnxNode, values: tuple[Value | None, ...]) -> Outputs | None:
    v, shape = values[0], ints(values[1])
    if v is None or shape is None:
        return None
    dims = broadcast_dims([v.dims, shape])
    if dims is None or math.prod(dims) > MAX_VALUES:
        return None
    return one(broadcast((v, Value(dims, (0,) * math.prod(dims), True)), lambda x, _: x, v.integer))


def _round(x: Number) -> Number:
    return round(x)  # half to even, as ONNX's Round


def _truth(function: Callable[[Number, Number], bool]) -> Callable[[Number, Number, bool], Number]:
    return lambda a, b, _: int(function(a, b))


VALUE_RULES: Mapping[str, ValueRule] = MappingProxyType(
    {
        "Constant": _constant,
        "Identity": _identity,
        "Shape": _shape,
        "Size": _size,
        "Gather": _gather,
        "Slice": _slice,
        "Concat": _concat,
        "Unsqueeze": _unsqueeze,
        "Squeeze": _squeeze,
        "Reshape": _reshape,
        "Flatten": _flatten,
        "Cast": _cast,
        "Add": _binary(lambda a, b, _: a + b),
        "Sub": _binary(lambda a, b, _: a - b),
        "Mul": _binary(lambda a, b, _: a * b),
        "Div": _binary(_div),
        "Mod": _mod,
        "Equal": _binary(_truth(lambda a, b: a == b), compare=True),
        "Less": _binary(_truth(lambda a, b: a < b), compare=True),
        "LessOrEqual": _binary(_truth(lambda a, b: a <= b), compare=True),
        "Greater": _binary(_truth(lambda a, b: a > b), compare=True),
        "GreaterOrEqual": _binary(_truth(lambda a, b: a >= b), compare=True),
        "And": _binary(_truth(lambda a, b: bool(a) and bool(b)), compare=True),
        "Or": _binary(_truth(lambda a, b: bool(a) or bool(b)), compare=True),
        "Not": _unary(lambda x: int(not x), integer=True),
        "Neg": _unary(lambda x: -x),
        "Abs": _unary(abs),
        "Floor": _unary(math.floor),
        "Ceil": _unary(math.ceil),
        "Round": _unary(_round),
        "Sign": _unary(lambda x: (x > 0) - (x < 0)),
        "Reciprocal": _unary(lambda x: None if x == 0 else 1 / Fraction(x)),
        "Min": _variadic(min),
        "Max": _variadic(max),
        "Sum": _variadic(sum),
        "Where": _where,
        "Clip": _clip,
        "Range": _range,
        "ConstantOfShape": _constant_of_shape,
        "Expand": _expand,
    }
)
"""ONNX op type -> its value rule: the shape arithmetic convcost computes (default domain)."""
