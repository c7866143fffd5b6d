"""The ``--input`` option of an ONNX file: parsing it, and fixing each graph input's static shape with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from convcost.core.shapes import parse_int, shown
from convcost.errors import ConvcostError
from convcost.frontends.onnx_limits import MAX_RANK

_NCHW_AXES = ("batch", "channels", "height", "width")


def parse_input(text: str, what: str = "--input") -> tuple[int, ...]:
    """``1x3x224x224`` or ``224x224x3``: whole numbers >= 1 separated by x (at most MAX_RANK of them),
    by the one number rule of every size (no leading zero, at most 12 digits here: ONNX sizes are 64-bit)."""

    parts = _sizes(text)
    expected = f"{what}: expected NxCxHxW (or HxWxC for batch 1), e.g. 1x3x224x224, got {shown(text)}"
    if len(parts) > MAX_RANK:
        raise ConvcostError(f"{expected}: at most {MAX_RANK} sizes")
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise ConvcostError(expected)
    if any(len(p) > _MAX_DIGITS for p in parts):
        raise ConvcostError(f"{expected}: a size has at most {_MAX_DIGITS} digits (ONNX sizes are 64-bit integers)")
    if any(int(p) < 1 for p in parts):
        raise ConvcostError(f"{expected}: every size is 1 or more")
    return tuple(parse_int(p, f"{what} {shown(text)}") for p in parts)


def _sizes(text: str) -> list[str]:
    return text.lower().replace("\u00d7", "x").replace(" ", "").split("x")


_MAX_DIGITS = 12
"""A size on ``--input`` has at most this many digits (ONNX sizes are 64-bit integers)."""

InputSpecs = str | Sequence[str] | None
"""``--input`` as given: each value one input (``NxCxHxW``, or ``name=NxCxHxW`` split at its last ``=``);
one value may list several, comma-separated, when that reading is unambiguous."""


class Given(NamedTuple):
    """``--input``: a shape for the first input, and shapes by input name (``name=NxCxHxW``)."""

    first: tuple[int, ...] | None
    first_text: str
    named: dict[str, tuple[tuple[int, ...], str]]
    split: tuple[tuple[str, str], ...] = ()
    """Each comma-separated value, as (the name it would give as one input, the value): a graph input of
    that name makes the value ambiguous (refused when the graph is read)."""


def _is_shape(text: str) -> bool:
    return bool(text) and all(p.isascii() and p.isdigit() for p in _sizes(text))


def _specs(value: str) -> list[str]:
    """One ``--input`` value as its specs: split at commas only when every piece is ``[name=]SHAPE``."""
    pieces = value.split(",")
    if len(pieces) > 1 and all(_is_shape(piece.rpartition("=")[2]) for piece in pieces):
        return pieces
    return [value]


def parse_inputs(given: InputSpecs) -> Given:
    """``1x3x224x224``, ``image=1x3x224x224`` once per input, or (unambiguous) ``image=1x3x224x224,mask=1x1x224x224``
    (a shape without a name is the first input's)."""
    if given is None:
        return Given(None, "", {})
    values = [given] if isinstance(given, str) else list(given)
    first: tuple[int, ...] | None = None
    first_text = ""
    named: dict[str, tuple[tuple[int, ...], str]] = {}
    split: list[tuple[str, str]] = []
    for value in values:
        specs = _specs(value)
        if len(specs) > 1:
            split.append((value.rpartition("=")[0].strip(), value))
        for spec in specs:
            name, sep, dims = spec.rpartition("=")
            if not sep:
                if first is not None:
                    raise ConvcostError(f"--input {shown(spec)}: two shapes without a name; name the others (name=NxCxHxW)")
                first, first_text = parse_input(dims), dims
                continue
            name = name.strip()
            if not name or name in named:
                raise ConvcostError(f"--input {shown(spec)}: expected name=NxCxHxW with each input named once")
            named[name] = (parse_input(dims, f"--input {shown(name)}"), dims)
    return Given(first, first_text, named, tuple(split))


def _axis(rank: int, i: int) -> str:
    return _NCHW_AXES[i] if rank == 4 else f"dimension {i}"


def input_dims(value_info: Any, given: tuple[int, ...] | None, given_text: str, first: bool = True) -> tuple[int, ...]:
    """The static shape of a graph input: the file's, completed or checked by ``--input`` (``name=`` for
    an input other than the first)."""
    name = value_info.name
    option = "--input " if first else f"--input {name}="
    tensor = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not tensor.HasField("shape"):
        if given is None:
            raise ConvcostError(f"input {shown(name)} has no shape in the file; give {option}NxCxHxW (or HxWxC for batch 1)")
        return given
    dims = list(tensor.shape.dim)
    rank = len(dims)
    if given is not None:
        if rank == 4 and len(given) == 3:
            h, w, c = given
            given = (1, c, h, w)
        if len(given) != rank:
            expected = "NxCxHxW (or HxWxC for batch 1)" if rank == 4 else f"{rank} sizes"
            raise ConvcostError(f"--input {given_text}: input {shown(name)} has {rank} dimensions; expected {expected}")
        for i, (dim, size) in enumerate(zip(dims, given, strict=True)):
            if dim.HasField("dim_value") and dim.dim_value >= 1 and dim.dim_value != size:
                raise ConvcostError(
                    f"--input {given_text}: the file fixes the {_axis(rank, i)} of input {shown(name)} at {dim.dim_value}, not {size}"
                )
        return given
    result = []
    example = "x".join(["1"] * rank)
    hint = f"with one size per dimension (e.g. {example})" if first else f"{example} (one size per dimension)"
    hint = "NxCxHxW (or HxWxC for batch 1)" if rank == 4 else hint
    for i, dim in enumerate(dims):
        if not dim.HasField("dim_value"):
            label = dim.dim_param or _axis(rank, i)
            raise ConvcostError(f"input {shown(name)} has dynamic dimension {shown(label)}; give {option}{hint}")
        if dim.dim_value < 1:
            kind = "zero" if dim.dim_value == 0 else "negative"
            raise ConvcostError(
                f"input {shown(name)} has a {kind} {_axis(rank, i)} ({dim.dim_value}); expected sizes of 1 or more, or give {option}{hint}"
            )
        result.append(dim.dim_value)
    return tuple(result)


def set_dims(value_info: Any, dims: tuple[int, ...]) -> None:
    shape = value_info.type.tensor_type.shape
    shape.ClearField("dim")
    for size in dims:
        shape.dim.add().dim_value = size
