"""Pure integer shape arithmetic: parsing sizes, output sizes, padding.

Shapes are channels last, ``H x W x C``, as in the source documents. Every size is
a Python ``int``; nothing here goes through a float.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Union

from convcost.errors import ConvcostError

Pair = tuple[int, int]
Padding4 = tuple[int, int, int, int]
"""Explicit padding: top, bottom, left, right."""
PaddingSpec = Union[Padding4, Literal["same"]]
"""Padding as given: explicit, or TensorFlow ``same`` (resolved per layer)."""

_SHOWN_MAX = 60


# Parsers take ``what``: anything whose str() names the value in an error (``--in``, or a
# file location built only when an error is raised).


def shown(value: object) -> str:
    """Quote a bad value for an error message: strings in quotes, long values cut."""
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 3] + "..."
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

    def as_list(self) -> list[int]:
        """``[H, W, C]``, the JSON form."""
        return [self.h, self.w, self.c]


def _whole(text: str) -> int | None:
    """An optionally signed ASCII decimal integer, or None."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() accepts
        return None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return _whole(value.strip())
    return None


def parse_int(value: object, what: object, minimum: int = 1) -> int:
    """A whole number >= ``minimum``, from an int or a decimal string."""
    number = _as_int(value)
    if number is None or number < minimum:
        raise ConvcostError(f"{what}: expected a whole number >= {minimum}, got {shown(value)}")
    return number


def _sizes_text(text: str) -> str:
    """``28 X 28 x 8`` -> ``28x28x8``: any case, spaces, and the multiplication sign (U+00D7) documents print."""
    return text.lower().replace("\u00d7", "x").replace(" ", "")


def _numbers(value: object) -> list[int | None]:
    """The whole numbers of ``AxBxC`` text, a list, or a single value (None where not a number)."""
    if isinstance(value, str):
        items: list[object] = list(_sizes_text(value).split("x"))
    elif isinstance(value, list):
        items = list(value)
    else:
        items = [value]
    return [_as_int(item) for item in items]


def _parts(value: object, what: object, count: int, expected: str) -> list[int]:
    """Split ``AxBxC`` (or a list) into ``count`` whole numbers >= 1."""
    numbers = _numbers(value)
    if len(numbers) != count or any(n is None for n in numbers):
        raise ConvcostError(f"{what}: expected {expected}, got {shown(value)}")
    result = [n for n in numbers if n is not None]
    if any(n < 1 for n in result):
        raise ConvcostError(f"{what}: sizes must be whole numbers >= 1, got {shown(value)}")
    return result


def parse_shape(value: object, what: object) -> Shape:
    """``28x28x8`` or ``[28, 28, 8]`` -> Shape(28, 28, 8)."""
    h, w, c = _parts(value, what, 3, "HxWxC (height x width x channels, e.g. 28x28x8)")
    return Shape(h, w, c)


def parse_pair(value: object, what: object) -> Pair:
    """``3`` -> (3, 3); ``3x5`` or ``[3, 5]`` -> (3, 5). Both >= 1."""
    single = _as_int(value)
    if single is not None:
        if single < 1:
            raise ConvcostError(f"{what}: expected a whole number >= 1, got {shown(value)}")
        return (single, single)
    a, b = _parts(value, what, 2, "N or AxB with whole numbers >= 1 (e.g. 3 or 3x5)")
    return (a, b)


_PADDING_EXPECTED = "a whole number >= 0, PHxPW, 'same' or 'valid'"


def parse_padding(value: object, what: object) -> PaddingSpec:
    """``same``, ``valid`` (= 0), ``P``, ``PHxPW`` or a list ``[PH, PW]`` / ``[T, B, L, R]``.

    ``PHxPW`` pads PH rows at the top and at the bottom and PW columns on each side,
    as PyTorch's ``padding=(PH, PW)`` does.
    """
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "same":
            return "same"
        if word == "valid":
            return (0, 0, 0, 0)
    numbers = _numbers(value)
    if len(numbers) not in (1, 2, 4) or any(n is None or n < 0 for n in numbers):
        raise ConvcostError(f"{what}: expected {_PADDING_EXPECTED}, got {shown(value)}")
    n = [x for x in numbers if x is not None]
    if len(n) == 1:
        return (n[0], n[0], n[0], n[0])
    if len(n) == 2:
        return (n[0], n[0], n[1], n[1])
    return (n[0], n[1], n[2], n[3])


def parse_bool(value: object, what: object) -> bool:
    """A YAML boolean (``true``/``false``)."""
    if isinstance(value, bool):
        return value
    raise ConvcostError(f"{what}: expected true or false, got {shown(value)}")


def same_padding(size: int, k: int, stride: int, dilation: int) -> Pair:
    """TensorFlow SAME along one axis: (before, after), the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - size, 0)
    return (total // 2, total - total // 2)


def out_size(size: int, k: int, stride: int, pad_total: int, dilation: int) -> int:
    """PyTorch's ``floor((H + pad_total - D*(K-1) - 1) / S) + 1``; 0 if the kernel does not fit."""
    span = size + pad_total - dilation * (k - 1) - 1
    return span // stride + 1 if span >= 0 else 0


def resolve_padding(spec: PaddingSpec, size: Pair, k: Pair, stride: Pair, dilation: Pair) -> Padding4:
    """Explicit (top, bottom, left, right) padding for a kernel on an HxW input."""
    if spec == "same":
        top, bottom = same_padding(size[0], k[0], stride[0], dilation[0])
        left, right = same_padding(size[1], k[1], stride[1], dilation[1])
        return (top, bottom, left, right)
    return spec


def window_out(inp: Shape, k: Pair, stride: Pair, padding: Padding4, dilation: Pair = (1, 1)) -> Pair:
    """Output HxW of a sliding window; raises if the kernel does not fit the padded input."""
    top, bottom, left, right = padding
    ho = out_size(inp.h, k[0], stride[0], top + bottom, dilation[0])
    wo = out_size(inp.w, k[1], stride[1], left + right, dilation[1])
    if ho < 1 or wo < 1:
        spans = ""
        if dilation != (1, 1):
            spans = f" with dilation {dilation[0]}x{dilation[1]} (spans {dilation[0] * (k[0] - 1) + 1}x{dilation[1] * (k[1] - 1) + 1})"
        raise ConvcostError(
            f"kernel {k[0]}x{k[1]}{spans} does not fit the padded input "
            f"{inp.h + top + bottom}x{inp.w + left + right} "
            f"(input {inp.h}x{inp.w}, padding {top},{bottom},{left},{right})"
        )
    return (ho, wo)


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
    if inp.c % groups:
        raise ConvcostError(f"groups {groups} does not divide the {inp.c} input channels")
    if out_channels % groups:
        raise ConvcostError(f"groups {groups} does not divide the {out_channels} output channels")
    pad = resolve_padding(padding, (inp.h, inp.w), k, stride, dilation)
    ho, wo = window_out(inp, k, stride, pad, dilation)
    return Conv(inp, Shape(ho, wo, out_channels), k, stride, pad, dilation, groups, bias)
