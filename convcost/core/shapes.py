"""Pure integer shape arithmetic: parsing sizes, output sizes, padding.

Shapes are channels last, ``H x W x C``, as in the source documents. Every size is
a Python ``int``; nothing here goes through a float.

The parsers decide on the text as written (a flag's text, or a YAML scalar's source text:
the YAML loader keeps plain scalars as text), so ``0x3`` is padding 0x3 and never the
hexadecimal 3, and ``064`` is refused rather than read as octal 52.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, NamedTuple, Union

from convcost.errors import ConvcostError

Pair = tuple[int, int]
Padding4 = tuple[int, int, int, int]
"""Explicit padding: top, bottom, left, right."""
PaddingSpec = Union[Padding4, Literal["same"]]
"""Padding as given: explicit, or TensorFlow ``same`` (resolved per layer)."""

_SHOWN_MAX = 60

MAX_DIGITS = 30
"""The most digits any whole number given to convcost may have (far beyond any real size;
it keeps every product and ratio convcost prints well inside floating-point range)."""
_MAX_INT = 10**MAX_DIGITS


# Parsers take ``what``: anything whose str() names the value in an error (``--in``, or a
# file location built only when an error is raised).


def _pieces(value: object, nested: bool = False) -> Iterator[str]:
    """The text of ``value`` for an error message, piece by piece, so that a caller can stop
    after a few characters: a large or deeply shared (aliased) value is never written out whole."""
    if value is None:
        yield "null" if nested else "nothing (null)"
    elif isinstance(value, str):
        yield repr(str(value[: _SHOWN_MAX + 1]))  # text, quoted: a YAML plain scalar as written, a flag's value
    elif isinstance(value, bool):
        yield str(value)
    elif isinstance(value, int):
        if value.bit_length() > 4 * _SHOWN_MAX:
            yield f"a whole number of about {value.bit_length() * 30103 // 100000 + 1:,} digits"
        else:
            yield str(value)
    elif isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ", " if i else ""
            yield from _pieces(key, True)
            yield ": "
            yield from _pieces(item, True)
        yield "}"
    elif isinstance(value, tuple) and type(value).__str__ is not tuple.__str__:  # a Shape: 28x28x8
        yield str(value)[: _SHOWN_MAX + 1]
    elif isinstance(value, (list, tuple)):
        yield "[" if isinstance(value, list) else "("
        for i, item in enumerate(value):
            yield ", " if i else ""
            yield from _pieces(item, True)
        yield "]" if isinstance(value, list) else ")"
    else:
        try:
            yield str(value)[: _SHOWN_MAX + 1]
        except ValueError:  # a Fraction or Decimal past Python's 4,300-digit text limit
            yield f"a {type(value).__name__} too long to show"


def shown(value: object) -> str:
    """Quote a bad value for an error message: strings in quotes, long values cut to 60 characters.

    Built piece by piece and stopped at the limit, so it takes constant time and memory on any
    value (a YAML alias bomb, a 10,000-digit integer, a list of a million items).
    """
    text = ""
    for piece in _pieces(value):
        text += piece
        if len(text) > _SHOWN_MAX:
            return text[: _SHOWN_MAX - 3] + "..."
    return text


class Shape(NamedTuple):
    """A feature map, channels last: height x width x channels.

    A NamedTuple rather than a frozen dataclass: a network of 100,000 layers makes
    hundreds of thousands of these, and tuples are several times cheaper to build.
    """

    h: int
    w: int
    c: int

    def __str__(self) -> str:
        return f"{self.h}x{self.w}x{self.c}"

    def as_list(self) -> list[int | None]:
        """``[H, W, C]``, the JSON form."""
        return [self.h, self.w, self.c]


class _NotWholeError(Exception):
    """An item that is not a whole number as convcost reads them; ``reason`` says why, when
    there is more to say than "not a whole number" (too many digits, a leading zero)."""

    def __init__(self, reason: str = "", complete: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.complete = complete
        """True when ``reason`` names the value itself (a leading zero), so it stands alone."""

    @property
    def suffix(self) -> str:
        """``: <reason>`` for the end of an "expected ..., got <value>" message, or nothing."""
        return f": {self.reason}" if self.reason else ""


DIGITS_REASON = f"at most {MAX_DIGITS} digits are accepted"
"""Why a number with too many digits is refused: one wording for every parser (``...: at most 30 digits are accepted``)."""


def too_many_elements(dims: Sequence[int]) -> str | None:
    """Why an ONNX tensor of these dimensions is refused (None: it is not): more than MAX_DIGITS digits
    of elements (ONNX tensors have any rank: their element count is bounded, as a feature map's
    dimensions are, :func:`too_large_dimension`)."""
    limit = 10**MAX_DIGITS
    elements = 1
    for d in dims:
        elements *= d
        if elements >= limit:
            text = "x".join(map(str, dims))
            text = text if len(text) <= 60 else text[:57] + "..."
            return f"is {text}: more than {MAX_DIGITS} digits of elements; {DIGITS_REASON}"
    return None


def too_large_dimension(dims: Sequence[int]) -> str | None:
    """Why a feature map of these dimensions is refused (None: it is not): a dimension of more than
    MAX_DIGITS digits, the bound every written size has, so that sizes computed from sizes stay bounded
    too (a chain of 30-digit upsamples would otherwise grow them to thousands of digits)."""
    limit = 10**MAX_DIGITS
    if all(d < limit for d in dims):
        return None
    text = "x".join(map(str, dims))
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"is {text}: a dimension of more than {MAX_DIGITS} digits; {DIGITS_REASON}"


def trimmed(text: str) -> str:
    """A value as written, without the ASCII spaces and tabs around it. Any other whitespace or control
    character (a no-break or ideographic space, U+001C, a line separator) is part of the value, and so refused
    where a number or a word is expected: one rule for every number and word convcost reads."""
    return text.strip(" \t")


def leading_zero(text: str) -> str:
    """Why a number written with a leading zero (``064``) is refused: one wording everywhere."""
    return f"{shown(text)} has a leading zero, which is ambiguous (YAML 1.1 reads it as octal); write the number without it"


def _whole(item: object) -> int:
    """A whole number from an int or from text: optionally signed ASCII decimal digits, at most
    MAX_DIGITS of them, with no leading zero (``064`` is octal 52 to YAML 1.1 and 64 to a
    reader, so it is refused as ambiguous). Raises _NotWholeError otherwise."""
    if isinstance(item, bool):
        raise _NotWholeError
    if isinstance(item, int):
        if -_MAX_INT < item < _MAX_INT:
            return int(item)
        raise _NotWholeError(DIGITS_REASON)
    if not isinstance(item, str):
        raise _NotWholeError
    text = trimmed(item)
    body = text[1:] if text[:1] == "-" else text  # a minus only to say "-3" is below the minimum; "+3" is refused
    if body != text and body.strip("0") == "":  # "-0" is no number a size takes: refused as written, not read as 0
        raise _NotWholeError
    if not body or not body.isascii() or not body.isdigit():
        raise _NotWholeError
    if len(body) > MAX_DIGITS:
        raise _NotWholeError(DIGITS_REASON)
    if len(body) > 1 and body[0] == "0":
        raise _NotWholeError(leading_zero(body), complete=True)
    return int(text)


def _as_int(value: object) -> int | None:
    """A whole number (as _whole), or None."""
    try:
        return _whole(value)
    except _NotWholeError:
        return None


def parse_int(value: object, what: object, minimum: int = 1) -> int:
    """A whole number >= ``minimum``, from an int or a decimal string (at most MAX_DIGITS digits)."""
    try:
        number = _whole(value)
    except _NotWholeError as exc:
        if exc.complete:
            raise ConvcostError(f"{what}: {exc.reason}") from None
        raise ConvcostError(f"{what}: expected a whole number >= {minimum}, got {shown(value)}{exc.suffix}") from None
    if number < minimum:
        raise ConvcostError(f"{what}: expected a whole number >= {minimum}, got {shown(value)}")
    return number


def _sizes_text(text: str) -> str:
    """``28 X 28 x 8`` -> ``28x28x8``: any case, spaces, and the multiplication sign (U+00D7) documents print."""
    return text.lower().replace("\u00d7", "x").replace(" ", "")


def _items(value: object, counts: tuple[int, ...]) -> list[object] | None:
    """The items of ``AxBxC`` text, a list, or a single value; None when their number is not one
    of ``counts`` (checked before anything is converted, so a huge list costs nothing)."""
    if isinstance(value, str):
        if value.count("x") + value.count("X") + value.count("\u00d7") + 1 not in counts:
            return None
        items: list[object] = list(_sizes_text(value).split("x"))
    elif isinstance(value, (list, tuple)):
        if len(value) not in counts:
            return None
        items = list(value)
    else:
        items = [value]
    return items if len(items) in counts else None


def _numbers(value: object, what: object, counts: tuple[int, ...], expected: str, minimum: int) -> list[int]:
    """Whole numbers >= ``minimum`` from ``AxBxC`` text or a list with one of ``counts`` items."""
    items = _items(value, counts)
    if items is None:
        raise ConvcostError(f"{what}: expected {expected}, got {shown(value)}")
    numbers = []
    for item in items:
        try:
            numbers.append(_whole(item))
        except _NotWholeError as exc:
            raise ConvcostError(f"{what}: expected {expected}, got {shown(value)}{exc.suffix}") from None
    if any(n < minimum for n in numbers):
        raise ConvcostError(f"{what}: sizes must be whole numbers >= {minimum}, got {shown(value)}")
    return numbers


def parse_shape(value: object, what: object) -> Shape:
    """``28x28x8`` or ``[28, 28, 8]`` -> Shape(28, 28, 8)."""
    h, w, c = _numbers(value, what, (3,), "HxWxC (height x width x channels, e.g. 28x28x8)", 1)
    return Shape(h, w, c)


def parse_pair(value: object, what: object) -> Pair:
    """``3`` -> (3, 3); ``3x5`` or ``[3, 5]`` -> (3, 5). Both >= 1."""
    numbers = _numbers(value, what, (1, 2), "N or AxB with whole numbers >= 1 (e.g. 3 or 3x5)", 1)
    if len(numbers) == 1:
        if isinstance(value, (list, tuple)):  # [3] is not a size
            raise ConvcostError(f"{what}: expected N or AxB with whole numbers >= 1 (e.g. 3 or 3x5), got {shown(value)}")
        return (numbers[0], numbers[0])
    return (numbers[0], numbers[1])


_PADDING_EXPECTED = "a whole number >= 0, PHxPW, 'same' or 'valid'"


def parse_padding(value: object, what: object) -> PaddingSpec:
    """``same``, ``valid`` (= 0), ``P``, ``PHxPW`` or a list ``[PH, PW]`` / ``[T, B, L, R]``.

    ``PHxPW`` pads PH rows at the top and at the bottom and PW columns on each side,
    as PyTorch's ``padding=(PH, PW)`` does.
    """
    if isinstance(value, str):
        word = trimmed(value).lower()
        if word == "same":
            return "same"
        if word == "valid":
            return (0, 0, 0, 0)
    n = _numbers(value, what, (1, 2, 4), _PADDING_EXPECTED, 0)
    if len(n) == 1:
        return (n[0], n[0], n[0], n[0])
    if len(n) == 2:
        return (n[0], n[0], n[1], n[1])
    return (n[0], n[1], n[2], n[3])


_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})


def parse_bool(value: object, what: object) -> bool:
    """``true`` or ``false`` (a bool, or that text; YAML 1.1's yes/no/on/off are refused)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = trimmed(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text.lower() in _YAML11_BOOLS:
            raise ConvcostError(f"{what}: expected true or false, got {shown(value)} (yes/no/on/off are not accepted)")
    raise ConvcostError(f"{what}: expected true or false, got {shown(value)}")


def same_padding(
    sizes: Sequence[int], k: Sequence[int], stride: Sequence[int], dilation: Sequence[int], upper: bool = True,
    transposed: Sequence[int] | None = None, output_padding: Sequence[int] | None = None,
) -> tuple[tuple[int, ...], tuple[int, ...]]:  # fmt: skip
    """SAME padding of a window of any spatial rank: (before each axis, after each axis).

    The one SAME rule of every front end. A window pads so that its output is ``ceil(size / stride)``
    (TensorFlow's SAME, ONNX's ``auto_pad``), never negatively; a transposed window (``transposed``:
    the output sizes it must reach, ``output_padding`` its extra rows) pads by what its full output
    exceeds them by. The total splits in two with the odd pixel after (``upper``: TensorFlow SAME,
    ONNX SAME_UPPER) or before (ONNX SAME_LOWER).
    """
    before: list[int] = []
    after: list[int] = []
    extras = output_padding if output_padding is not None else (0,) * len(sizes)
    for axis, (size, kk, s, d) in enumerate(zip(sizes, k, stride, dilation, strict=True)):
        span = d * (kk - 1) + 1
        if transposed is None:
            total = max((-(-size // s) - 1) * s + span - size, 0)
        else:
            total = s * (size - 1) + extras[axis] + span - transposed[axis]
        small, large = total // 2, total - total // 2
        before.append(small if upper else large)
        after.append(large if upper else small)
    return tuple(before), tuple(after)


def out_size(size: int, k: int, stride: int, pad_total: int, dilation: int) -> int:
    """PyTorch's ``floor((H + pad_total - D*(K-1) - 1) / S) + 1``; 0 if the kernel does not fit."""
    span = size + pad_total - dilation * (k - 1) - 1
    return span // stride + 1 if span >= 0 else 0


def resolve_padding(spec: PaddingSpec, size: Pair, k: Pair, stride: Pair, dilation: Pair) -> Padding4:
    """Explicit (top, bottom, left, right) padding for a kernel on an HxW input."""
    if spec == "same":
        (top, left), (bottom, right) = same_padding(size, k, stride, dilation)
        return (top, bottom, left, right)
    return spec


def window_sizes(
    sizes: Sequence[int], k: Sequence[int], stride: Sequence[int], begin: Sequence[int], end: Sequence[int], dilation: Sequence[int]
) -> tuple[int, ...]:
    """Output sizes of a sliding window of any rank (``begin``/``end``: the padding before and after
    each axis); raises if the kernel does not fit the padded input. The one rule of every window:
    convolutions and pools, from a model file or an ONNX file."""
    out = tuple(out_size(n, kk, s, b + e, d) for n, kk, s, b, e, d in zip(sizes, k, stride, begin, end, dilation, strict=True))
    if min(out, default=1) < 1:
        spans = ""
        if any(d != 1 for d in dilation):
            spans = f" with dilation {_by(dilation)} (spans {_by(d * (kk - 1) + 1 for kk, d in zip(k, dilation, strict=True))})"
        padding = ",".join(f"{b},{e}" for b, e in zip(begin, end, strict=True))
        padded = _by(n + b + e for n, b, e in zip(sizes, begin, end, strict=True))
        raise ConvcostError(f"kernel {_by(k)}{spans} does not fit the padded input {padded} (input {_by(sizes)}, padding {padding})")
    return out


def _by(sizes: Iterable[int]) -> str:
    return "x".join(map(str, sizes))


def window_out(inp: Shape, k: Pair, stride: Pair, padding: Padding4, dilation: Pair = (1, 1)) -> Pair:
    """Output HxW of a sliding window; raises if the kernel does not fit the padded input."""
    top, bottom, left, right = padding
    ho, wo = window_sizes((inp.h, inp.w), k, stride, (top, left), (bottom, right), dilation)
    return (ho, wo)


def check_groups(channels: int, out_channels: int, groups: int) -> None:
    """A grouped convolution's rule: ``groups`` divides the input and the output channels, of which there is at least one."""
    if out_channels < 1:
        raise ConvcostError(f"a convolution needs 1 or more output channels, got {out_channels}")
    if channels % groups:
        raise ConvcostError(f"groups {groups} does not divide the {channels} input channels")
    if out_channels % groups:
        raise ConvcostError(f"groups {groups} does not divide the {out_channels} output channels")


class Conv(NamedTuple):
    """One 2-D convolution with every size resolved (a NamedTuple for speed, like Shape).

    ``mults`` counts multiply-accumulates, one per weight use; additions and bias
    adds are not counted. ``params`` are the weights, plus one bias per output
    channel when ``bias`` is set.
    """

    inp: Shape
    out: Shape
    k: Pair
    stride: Pair
    padding: Padding4
    dilation: Pair
    groups: int
    bias: bool

    @property
    def mults(self) -> int:
        """``Ho * Wo * N * (C/G) * KH * KW`` multiply-accumulates."""
        k, out = self.k, self.out
        return out.h * out.w * k[0] * k[1] * (self.inp.c // self.groups) * out.c

    @property
    def weights(self) -> int:
        """``KH * KW * (C/G) * N`` weights."""
        return self.k[0] * self.k[1] * (self.inp.c // self.groups) * self.out.c

    @property
    def params(self) -> int:
        """Weights plus one bias per output channel when ``bias`` is set."""
        return self.weights + (self.out.c if self.bias else 0)


def make_conv(
    inp: Shape,
    out_channels: int,
    k: Pair,
    stride: Pair = (1, 1),
    padding: PaddingSpec = (0, 0, 0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
    bias: bool = False,
) -> Conv:
    """Resolve a convolution on ``inp``; raises ConvcostError if it cannot be built."""
    check_groups(inp.c, out_channels, groups)
    pad = resolve_padding(padding, (inp.h, inp.w), k, stride, dilation)
    ho, wo = window_out(inp, k, stride, pad, dilation)
    return Conv(inp, Shape(ho, wo, out_channels), k, stride, pad, dilation, groups, bias)
