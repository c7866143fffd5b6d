"""``spatial-separable``: a KHx1 convolution C -> M along the height (the layer's vertical stride,
padding and dilation), then a 1xKW convolution M -> N along the width.

Full mid: ``min(KH*C, KW*N)``, the rank of the kernel as a (KH*C) x (KW*N) matrix.
"""

from __future__ import annotations

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import Factorization, MethodResult, RankParam, Stage, kname, needs_groups_1


def why_not(conv: Conv) -> str | None:
    """groups 1 and a kernel taller and wider than 1."""
    if (why := needs_groups_1(conv)) is not None:
        return why
    if 1 in conv.k:
        return f"kernel {kname(conv.k)} is already one-dimensional"
    return None


def full_mid(conv: Conv) -> int:
    """``min(KH*C, KW*N)``."""
    return min(conv.k[0] * conv.inp.c, conv.k[1] * conv.out.c)


def too_big(conv: Conv, mid: int) -> str:
    """The error for a mid above the full mid (as low-rank's for a rank above its full rank)."""
    kh, kw = conv.k
    full = full_mid(conv)
    return f"mid {mid} is above the full mid {full} = min(KH*C, KW*N) = min({kh}*{conv.inp.c}, {kw}*{conv.out.c}); expected 1 to {full}"


def default_mid(conv: Conv) -> int:
    """``min(C, N)``."""
    return min(conv.inp.c, conv.out.c)


def stages(conv: Conv, mid: int) -> tuple[Stage, ...]:
    """KHx1 C -> mid with the vertical stride/padding/dilation, 1xKW mid -> N with the horizontal ones."""
    kh, kw = conv.k
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    top, bottom, left, right = conv.padding
    vert = make_conv(conv.inp, mid, (kh, 1), (sh, 1), (top, bottom, 0, 0), (dh, 1), 1, conv.bias)
    horz = make_conv(vert.out, conv.out.c, (1, kw), (1, sw), (0, 0, left, right), (1, dw), 1, conv.bias)
    return (Stage(f"vertical {kh}x1", vert), Stage(f"horizontal 1x{kw}", horz))


def note(result: MethodResult) -> tuple[str, ...]:
    """``mid channels 8``."""
    return (f"mid channels {result.extra['mid']}",)


FACTORIZATION = Factorization(
    "spatial-separable",
    stages,
    why_not,
    RankParam("mid", "mid", full_mid, "min(KH*C, KW*N)", default=default_mid, default_text="min(C, N)", too_big=too_big),
    note_figures=note,
)
