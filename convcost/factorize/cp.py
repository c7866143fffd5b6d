"""``cp`` (Lebedev et al., 2015): the rank-R CP decomposition of the kernel: a 1x1 C -> R, a
depthwise KHx1 on the R channels (the layer's vertical stride, padding and dilation), a depthwise
1xKW (the horizontal ones), and a 1x1 R -> N.

params = R*(C + N + KH + KW) (+ one bias per output channel of each stage). Full rank: the largest
R whose mults do not exceed the standard layer's (mults grow by the same amount with each rank).
Without --rank or --target, the largest R reaching 4x fewer mults.
"""

from __future__ import annotations

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import ClosedForm, Factorization, MethodResult, RankParam, Stage, needs_spatial_kernel


def stages(conv: Conv, rank: int) -> tuple[Stage, ...]:
    """1x1 C -> R, depthwise KHx1 (vertical), depthwise 1xKW (horizontal), 1x1 R -> N."""
    kh, kw = conv.k
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    top, bottom, left, right = conv.padding
    first = make_conv(conv.inp, rank, (1, 1), bias=conv.bias)
    vert = make_conv(first.out, rank, (kh, 1), (sh, 1), (top, bottom, 0, 0), (dh, 1), rank, conv.bias)
    horz = make_conv(vert.out, rank, (1, kw), (1, sw), (0, 0, left, right), (1, dw), rank, conv.bias)
    last = make_conv(horz.out, conv.out.c, (1, 1), bias=conv.bias)
    return (
        Stage("pointwise 1x1 in", first),
        Stage(f"depthwise {kh}x1", vert),
        Stage(f"depthwise 1x{kw}", horz),
        Stage("pointwise 1x1 out", last),
    )


def full_rank(conv: Conv) -> int:
    """``max(1, floor(standard mults / mults per rank))``: the rank at which cp costs what the layer does."""
    per_rank = sum(s.mults for s in stages(conv, 1))
    return max(1, conv.mults // per_rank)


def note(result: MethodResult) -> tuple[str, ...]:
    """``rank 284``."""
    return (f"rank {result.extra['rank']}",)


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``R*(C + KH + KW + N)/(KH*KW*C*N)`` when the layer keeps its size; the general sum otherwise."""
    r = result.extra["rank"]
    assert isinstance(r, int)
    kh, kw = conv.k
    c, n = conv.inp.c, conv.out.c
    h, w, ho, wo = conv.inp.h, conv.inp.w, conv.out.h, conv.out.w
    num, den = r * (h * w * c + ho * w * kh + ho * wo * (kw + n)), ho * wo * kh * kw * c * n
    if (h, w) == (ho, wo):
        return ClosedForm(f"R*(C + KH + KW + N)/(KH*KW*C*N) = {r}*({c} + {kh} + {kw} + {n})/({kh}*{kw}*{c}*{n})", num, den)
    text = (
        f"R*(H*W*C + Ho*W*KH + Ho*Wo*(KW + N))/(Ho*Wo*KH*KW*C*N) = "
        f"{r}*({h}*{w}*{c} + {ho}*{w}*{kh} + {ho}*{wo}*({kw} + {n}))/({ho}*{wo}*{kh}*{kw}*{c}*{n})"
    )
    return ClosedForm(text, num, den)


FACTORIZATION = Factorization(
    "cp",
    stages,
    needs_spatial_kernel,
    RankParam("rank", "rank", full_rank, "floor(standard mults / mults per rank)", bounded=False),
    closed_form,
    note,
)
