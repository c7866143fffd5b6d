"""``tucker2`` (Kim et al., 2016): the Tucker-2 decomposition of the kernel along its channel axes:
a 1x1 C -> R3 at the input's resolution, a KHxKW core R3 -> R4 with the layer's stride, padding
and dilation, and a 1x1 R4 -> N at the output's resolution (1-D and 3-D alike: 1 or 1x1x1, the
full-rank core, 1 or 1x1x1).

params = C*R3 + KH*KW*R3*R4 + R4*N (+ one bias per output channel of each stage). Full ranks:
R3 = C and R4 = N. Without --rank or --target, the largest R3 = R4 reaching 4x fewer mults.
"""

from __future__ import annotations

from math import prod

from convcost.core.shapes import Conv, Pair, make_conv
from convcost.factorize.base import (
    ClosedForm,
    Factorization,
    MethodResult,
    RankParam,
    Stage,
    fraction_sum,
    kname,
    needs_spatial_kernel,
    ones,
)

_TAPS = {1: "K", 2: "KH*KW", 3: "KT*KH*KW"}
_SIZES = {1: ("L", "Lo"), 2: ("H*W", "Ho*Wo"), 3: ("T*H*W", "To*Ho*Wo")}


def full_ranks(conv: Conv) -> Pair:
    """(C, N)."""
    return (conv.inp.c, conv.out.c)


def stages(conv: Conv, ranks: Pair) -> tuple[Stage, ...]:
    """1x1 C -> R3, KHxKW R3 -> R4 (the layer's stride, padding, dilation), 1x1 R4 -> N."""
    r3, r4 = ranks
    first = make_conv(conv.inp, r3, (1,), bias=conv.bias)
    core = make_conv(first.out, r4, conv.k, conv.stride, conv.padding, conv.dilation, 1, conv.bias)
    last = make_conv(core.out, conv.out.c, (1,), bias=conv.bias)
    one = kname(ones(conv))
    return (Stage(f"pointwise {one} in", first), Stage(f"core {kname(conv.k)}", core), Stage(f"pointwise {one} out", last))


def _ranks(result: MethodResult) -> Pair:
    r3, r4 = result.extra["ranks"]  # type: ignore[misc]
    return (r3, r4)


def note(result: MethodResult) -> tuple[str, ...]:
    """``ranks R3xR4 = 102x102``."""
    r3, r4 = _ranks(result)
    return (f"ranks R3xR4 = {r3}x{r4}",)


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``(H*W)/(Ho*Wo) x R3/(KH*KW*N) + R3*R4/(C*N) + R4/(KH*KW*C)``; the first factor is dropped when it is 1."""
    r3, r4 = _ranks(result)
    kk, c, n = prod(conv.k), conv.inp.c, conv.out.c
    pixels, out_pixels = prod(conv.inp.spatial), prod(conv.out.spatial)
    taps = _TAPS[conv.inp.rank]
    tail = f"{r3 * r4}/{c * n} + {r4}/{kk * c}"
    value = fraction_sum([(pixels * r3, out_pixels * kk * n), (r3 * r4, c * n), (r4, kk * c)])
    if pixels == out_pixels:
        return ClosedForm(f"R3/({taps}*N) + R3*R4/(C*N) + R4/({taps}*C) = {r3}/{kk * n} + {tail}", *value)
    sizes, out_sizes = _SIZES[conv.inp.rank]
    scale = f"({'*'.join(map(str, conv.inp.spatial))})/({'*'.join(map(str, conv.out.spatial))})"
    text = f"({sizes})/({out_sizes}) x R3/({taps}*N) + R3*R4/(C*N) + R4/({taps}*C) = {scale} x {r3}/{kk * n} + {tail}"
    return ClosedForm(text, *value)


FACTORIZATION = Factorization(
    "tucker2",
    stages,
    needs_spatial_kernel,
    RankParam("ranks", "rank", full_ranks, "CxN", pair=True),
    closed_form,
    note,
)
