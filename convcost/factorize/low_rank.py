"""``low-rank``: the SVD of the kernel as an N x (KH*KW*C) matrix, kept to rank r: a KHxKW
convolution C -> r (the layer's stride, padding and dilation), then a 1x1 r -> N.

Full rank: ``min(KH*KW*C, N)``. mults / standard = r/N + r/(KH*KW*C) exactly.
"""

from __future__ import annotations

from math import prod

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import (
    ClosedForm,
    Extra,
    Factorization,
    MethodResult,
    RankParam,
    Stage,
    fraction_sum,
    kname,
    needs_groups_1,
    ones,
)

_TAPS = {1: "K", 2: "KH*KW", 3: "KT*KH*KW"}


def full_rank(conv: Conv) -> int:
    """The rank of the kernel reshaped to N x (KH*KW*C): ``min(KH*KW*C, N)``."""
    return min(prod(conv.k) * conv.inp.c, conv.out.c)


def default_rank(conv: Conv) -> int:
    """``max(1, full_rank // 4)``."""
    return max(1, full_rank(conv) // 4)


def break_even_rank(conv: Conv) -> int:
    """The largest rank r whose low-rank pair has fewer mults than the standard layer (0: none).

    With P = KH*KW*C the pair costs ``Ho*Wo*r*(P + N)`` against ``Ho*Wo*P*N``,
    so r must satisfy ``r*(P + N) < P*N``.
    """
    p, n = prod(conv.k) * conv.inp.c, conv.out.c
    return (p * n - 1) // (p + n)


def too_big(conv: Conv, rank: int) -> str:
    """The error for a rank above the full rank."""
    full = full_rank(conv)
    taps = "*".join(map(str, conv.k))
    return (
        f"rank {rank} is above the full rank {full} = min({_TAPS[conv.inp.rank]}*C, N) = min({taps}*{conv.inp.c}, {conv.out.c}); "
        f"expected 1 to {full}"
    )


def stages(conv: Conv, rank: int) -> tuple[Stage, ...]:
    """KHxKW C -> r with the layer's stride/padding/dilation, then 1x1 r -> N."""
    first = make_conv(conv.inp, rank, conv.k, conv.stride, conv.padding, conv.dilation, 1, conv.bias)
    second = make_conv(first.out, conv.out.c, (1,), bias=conv.bias)
    return (Stage(f"conv {kname(conv.k)}, rank {rank}", first), Stage(f"pointwise {kname(ones(conv))}", second))


def figures(conv: Conv) -> dict[str, Extra]:
    """The break-even rank."""
    return {"break_even_rank": break_even_rank(conv)}


def note(result: MethodResult) -> tuple[str, ...]:
    """``rank 4``, ``break-even rank 13``."""
    return (f"rank {result.extra['rank']}", f"break-even rank {result.extra['break_even_rank']}")


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``r/N + r/(KH*KW*C)``."""
    r, n, p = result.extra["rank"], conv.out.c, prod(conv.k) * conv.inp.c
    assert isinstance(r, int)
    return ClosedForm(f"r/N + r/({_TAPS[conv.inp.rank]}*C) = {r}/{n} + {r}/{p}", *fraction_sum([(r, n), (r, p)]))


FACTORIZATION = Factorization(
    "low-rank",
    stages,
    needs_groups_1,
    RankParam(
        "rank",
        "rank",
        full_rank,
        "min(KH*KW*C, N)",
        default=default_rank,
        default_text="max(1, full rank // 4)",
        too_big=too_big,
        figures=figures,
        figure_keys=("break_even_rank",),
    ),
    closed_form,
    note,
)
