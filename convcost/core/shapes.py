"""Pure integer shape arithmetic: parsing sizes, output sizes, padding.

Shapes are channels last, ``H x W x C``, as in the source documents (``L x C`` in 1-D,
``T x H x W x C`` in 3-D). Every size is
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
Padding = tuple[int, ...]
"""Explicit padding, a (begin, end) pair per spatial axis, axis by axis: top, bottom, left, right in 2-D."""
Padding4 = Padding
PaddingSpec = Union[tuple[int, ...], Literal["same"]]
"""Padding as written: 1 value, one per axis or (begin, end) per axis (read against the input's rank
by :func:`explicit_padding`), or TensorFlow ``same`` (resolved per layer)."""

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


class Shape(tuple[int, ...]):
    """A feature map, channels last: its spatial sizes, then its channels (``L x C`` in 1-D,
    ``H x W x C`` in 2-D, ``T x H x W x C`` in 3-D); ``Shape(28, 28, 8)``.

    A tuple rather than a frozen dataclass: a network of 100,000 layers makes hundreds of
    thousands of these, and tuples are several times cheaper to build.
    """

    __slots__ = ()

    def __new__(cls, *dims: int) -> Shape:
        return tuple.__new__(cls, dims)

    def __getnewargs__(self) -> tuple[int, ...]:
        return tuple(self)

    @property
    def c(self) -> int:
        """The channels (the last dimension)."""
        return self[-1]

    @property
    def spatial(self) -> tuple[int, ...]:
        """The spatial sizes, every axis but the channels'."""
        return tuple(self[:-1])

    @property
    def rank(self) -> int:
        """The number of spatial axes: 1, 2 or 3 for a feature map."""
        return len(self) - 1

    @property
    def h(self) -> int:
        """The height of a 2-D map (HxWxC)."""
        return self[-3] if len(self) >= 3 else 1

    @property
    def w(self) -> int:
        """The width of a 2-D map (HxWxC)."""
        return self[-2] if len(self) >= 2 else 1

    @property
    def elements(self) -> int:
        """Every element: the product of the dimensions."""
        n = 1
        for d in self:
            n *= d
        return n

    def __str__(self) -> str:
        return "x".join(map(str, self))

    def __repr__(self) -> str:
        return f"Shape({', '.join(map(str, self))})"

    def as_list(self) -> list[int | None]:
        """``[H, W, C]`` (any rank: the sizes, channels last), the JSON form."""
        return list(self)


Sizes = tuple[int, ...]
"""One whole number per spatial axis (a kernel, a stride, a dilation), or one for every axis."""

AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("time", "height", "width")}
"""What each spatial axis is called, by rank."""


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


SHAPE_EXPECTED = "HxWxC (height x width x channels, e.g. 28x28x8), LxC (1-D) or TxHxWxC (3-D)"
"""What a feature map's text is: 1-D, 2-D or 3-D, channels last."""


def parse_shape(value: object, what: object) -> Shape:
    """``28x28x8`` or ``[28, 28, 8]`` -> Shape(28, 28, 8); ``3199x512`` (1-D) and ``16x112x112x3`` (3-D) alike."""
    return Shape(*_numbers(value, what, (2, 3, 4), SHAPE_EXPECTED, 1))


def parse_pair(value: object, what: object) -> Pair:
    """``3`` -> (3, 3); ``3x5`` or ``[3, 5]`` -> (3, 5). Both >= 1."""
    numbers = _numbers(value, what, (1, 2), "N or AxB with whole numbers >= 1 (e.g. 3 or 3x5)", 1)
    if len(numbers) == 1:
        if isinstance(value, (list, tuple)):  # [3] is not a size
            raise ConvcostError(f"{what}: expected N or AxB with whole numbers >= 1 (e.g. 3 or 3x5), got {shown(value)}")
        return (numbers[0], numbers[0])
    return (numbers[0], numbers[1])


SIZES_EXPECTED = "N or AxB with whole numbers >= 1 (e.g. 3 or 3x5), or AxBxC in 3-D"


def parse_sizes(value: object, what: object) -> Sizes:
    """``3`` or ``[3]`` -> (3,), one value for every axis; ``3x5`` or ``[3, 5]`` -> (3, 5); ``3x7x7`` -> (3, 7, 7).

    How many values a layer needs is its input's rank, known only when it is evaluated: there
    :func:`per_axis` spreads one value over every axis and refuses a count that is not the rank."""
    return tuple(_numbers(value, what, (1, 2, 3), SIZES_EXPECTED, 1))


def parse_sizes0(value: object, what: object) -> Sizes:
    """``0``, ``1``, ``1x0``, ``[1, 0]`` or ``0x1x1``: whole numbers >= 0, one or one per axis (a transposed conv's output padding)."""
    expected = "a whole number >= 0, or one per axis (e.g. 1, 1x0 or 0x1x1)"
    return tuple(_numbers(value, what, (1, 2, 3), expected, 0))


def _by_text(values: Iterable[int]) -> str:
    return "x".join(map(str, values))


def per_axis(values: Sequence[int], rank: int, what: str, inp: Shape) -> Sizes:
    """``values`` for each of ``rank`` spatial axes: one value is every axis's; else there must be ``rank`` of them."""
    if len(values) == rank:
        return tuple(values)
    if len(values) == 1:
        return (values[0],) * rank
    raise ConvcostError(
        f"{what} {_by_text(values)} gives {len(values)} values, but the input {inp} has {rank} spatial "
        f"{'axis' if rank == 1 else 'axes'}; expected 1 value{'' if rank == 1 else f' or {rank}'}"
    )


_PADDING_EXPECTED = "a whole number >= 0, one per axis (PHxPW), 'same' or 'valid'"


def parse_padding(value: object, what: object) -> PaddingSpec:
    """``same``, ``valid`` (= 0), ``P``, ``PHxPW``, ``PTxPHxPW`` or a list of one value per axis or of
    (begin, end) pairs, axis by axis (``[T, B, L, R]`` in 2-D). The values stay as written:
    :func:`resolve_padding` reads them against the input's rank."""
    if isinstance(value, str):
        word = trimmed(value).lower()
        if word == "same":
            return "same"
        if word == "valid":
            return (0,)
    return tuple(_numbers(value, what, (1, 2, 3, 4, 6), _PADDING_EXPECTED, 0))


def explicit_padding(spec: Sequence[int], rank: int, inp: Shape) -> Padding:
    """Padding as written into (begin, end) per axis, axis by axis: one value pads every side; one per axis
    pads both sides of it (PyTorch's ``padding=(PH, PW)``); two per axis are each axis's begin and end."""
    if len(spec) == 1:
        return (spec[0],) * (2 * rank)
    if len(spec) == rank:
        return tuple(p for p in spec for _ in (0, 1))
    if len(spec) == 2 * rank:
        return tuple(spec)
    choices = "1 value or 2 (begin, end)" if rank == 1 else f"1 value, {rank} (one per axis) or {2 * rank} (begin, end per axis)"
    raise ConvcostError(
        f"padding {_by_text(spec)} gives {len(spec)} values, but the input {inp} has {rank} spatial "
        f"{'axis' if rank == 1 else 'axes'}; expected {choices}"
    )


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


def resolve_padding(spec: PaddingSpec, inp: Shape, k: Sizes, stride: Sizes, dilation: Sizes) -> Padding:
    """Explicit (begin, end) padding per axis, axis by axis (2-D: top, bottom, left, right) for a kernel on ``inp``."""
    if spec == "same":
        before, after = same_padding(inp.spatial, k, stride, dilation)
        return tuple(p for pair in zip(before, after, strict=True) for p in pair)
    return explicit_padding(spec, inp.rank, inp)


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


def window_out(inp: Shape, k: Sizes, stride: Sizes, padding: Padding, dilation: Sizes) -> Sizes:
    """Output sizes of a sliding window on ``inp``; raises if the kernel does not fit the padded input."""
    return window_sizes(inp.spatial, k, stride, padding[0::2], padding[1::2], dilation)


def check_groups(channels: int, out_channels: int, groups: int) -> None:
    """A grouped convolution's rule: ``groups`` divides the input and the output channels, of which there is at least one."""
    if out_channels < 1:
        raise ConvcostError(f"a convolution needs 1 or more output channels, got {out_channels}")
    if channels % groups:
        raise ConvcostError(f"groups {groups} does not divide the {channels} input channels")
    if out_channels % groups:
        raise ConvcostError(f"groups {groups} does not divide the {out_channels} output channels")


class Conv(NamedTuple):
    """One convolution of any spatial rank with every size resolved (a NamedTuple for speed, like Shape):
    ``k``, ``stride`` and ``dilation`` have one value per axis, ``padding`` a (begin, end) pair per axis.

    ``mults`` counts multiply-accumulates, one per weight use; additions and bias
    adds are not counted. ``params`` are the weights, plus one bias per output
    channel when ``bias`` is set.
    """

    inp: Shape
    out: Shape
    k: Sizes
    stride: Sizes
    padding: Padding
    dilation: Sizes
    groups: int
    bias: bool

    @property
    def mults(self) -> int:
        """``Ho * Wo * N * (C/G) * KH * KW`` multiply-accumulates (any rank: every output position, every kernel tap)."""
        return self.out.elements * self.weights // self.out.c

    @property
    def weights(self) -> int:
        """``KH * KW * (C/G) * N`` weights."""
        taps = 1
        for kk in self.k:
            taps *= kk
        return taps * (self.inp.c // self.groups) * self.out.c

    @property
    def params(self) -> int:
        """Weights plus one bias per output channel when ``bias`` is set."""
        return self.weights + (self.out.c if self.bias else 0)


def make_conv(
    inp: Shape,
    out_channels: int,
    k: Sizes,
    stride: Sizes = (1,),
    padding: PaddingSpec = (0,),
    dilation: Sizes = (1,),
    groups: int = 1,
    bias: bool = False,
) -> Conv:
    """Resolve a convolution on ``inp`` (one value of ``k``, ``stride``, ``dilation`` or ``padding`` is every axis's);
    raises ConvcostError if it cannot be built."""
    rank = inp.rank
    k = per_axis(k, rank, "kernel", inp)
    stride = per_axis(stride, rank, "stride", inp)
    dilation = per_axis(dilation, rank, "dilation", inp)
    check_groups(inp.c, out_channels, groups)
    pad = resolve_padding(padding, inp, k, stride, dilation)
    return Conv(inp, Shape(*window_out(inp, k, stride, pad, dilation), out_channels), k, stride, pad, dilation, groups, bias)
