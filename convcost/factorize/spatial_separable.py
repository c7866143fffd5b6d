"""``spatial-separable``: a KHx1 convolution C -> M along the height (the layer's vertical stride,
padding and dilation), then a 1xKW convolution M -> N along the width. In 3-D the same with one
1-D kernel per axis whose kernel is larger than 1 (KTx1x1 C -> M, 1xKHx1 M -> M, 1x1xKW M -> N; an
axis of kernel 1 takes its stride and padding in the first stage); not applicable in 1-D.

Full mid: ``min(KH*C, KW*N)``, the rank of the kernel as a (KH*C) x (KW*N) matrix; with three
axes, the larger of the two cuts' ranks, ``max(min(KT*C, KH*KW*N), min(KT*KH*C, KW*N))``, the
mid at which the chain can hold any kernel.
"""

from __future__ import annotations

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import Factorization, MethodResult, RankParam, Stage, axis_kernel, kname, needs_groups_1

_NAMES = {2: ("vertical", "horizontal"), 3: ("temporal", "vertical", "horizontal")}
_KERNELS = {2: ("KH", "KW"), 3: ("KT", "KH", "KW")}


def _axes(conv: Conv) -> list[int]:
    """The axes whose kernel is larger than 1, each one stage."""
    return [axis for axis, kk in enumerate(conv.k) if kk > 1]


def why_not(conv: Conv) -> str | None:
    """groups 1 and a kernel larger than 1 along two axes or more."""
    if (why := needs_groups_1(conv)) is not None:
        return why
    if conv.inp.rank == 1:
        return f"kernel {kname(conv.k)} is already one-dimensional (a 1-D layer)"
    if (conv.inp.rank == 2 and 1 in conv.k) or len(_axes(conv)) < 2:
        return f"kernel {kname(conv.k)} is already one-dimensional"
    return None


def _prod(values: tuple[int, ...]) -> int:
    total = 1
    for v in values:
        total *= v
    return total


def full_mid(conv: Conv) -> int:
    """``min(KH*C, KW*N)``; in 3-D the largest of each cut's ``min(C * kernel before, kernel after * N)``."""
    c, n = conv.inp.c, conv.out.c
    if conv.inp.rank == 2:
        return min(conv.k[0] * c, conv.k[1] * n)
    k = tuple(conv.k[a] for a in _axes(conv)) if len(_axes(conv)) >= 2 else conv.k
    return max(min(c * _prod(k[:i]), _prod(k[i:]) * n) for i in range(1, max(len(k), 2)))


def _formula(conv: Conv) -> tuple[str, str]:
    """The full mid as letters and as numbers."""
    letters = _KERNELS.get(conv.inp.rank, ("KH", "KW"))
    axes = list(range(conv.inp.rank)) if conv.inp.rank == 2 or len(_axes(conv)) < 2 else _axes(conv)
    k = [letters[a] for a in axes]
    nums = [str(conv.k[a]) for a in axes]
    c, n = conv.inp.c, conv.out.c
    if len(k) == 2:
        return f"min({k[0]}*C, {k[1]}*N)", f"min({nums[0]}*{c}, {nums[1]}*{n})"
    cuts = [
        (f"min({'*'.join(k[:i])}*C, {'*'.join(k[i:])}*N)", f"min({'*'.join(nums[:i])}*{c}, {'*'.join(nums[i:])}*{n})")
        for i in range(1, len(k))
    ]
    return f"max({', '.join(a for a, _ in cuts)})", f"max({', '.join(b for _, b in cuts)})"


def too_big(conv: Conv, mid: int) -> str:
    """The error for a mid above the full mid (as low-rank's for a rank above its full rank)."""
    full = full_mid(conv)
    letters, numbers = _formula(conv)
    return f"mid {mid} is above the full mid {full} = {letters} = {numbers}; expected 1 to {full}"


def default_mid(conv: Conv) -> int:
    """``min(C, N)``."""
    return min(conv.inp.c, conv.out.c)


def stages(conv: Conv, mid: int) -> tuple[Stage, ...]:
    """One 1-D kernel per axis, each with that axis's stride, padding and dilation: C -> mid, (mid -> mid,) mid -> N."""
    axes = _axes(conv)
    rank = conv.inp.rank
    names = _NAMES[rank]
    result: list[Stage] = []
    current = conv.inp
    for i, axis in enumerate(axes):
        # the first stage also takes the axes of kernel 1 (their stride and padding)
        own = [a for a in range(rank) if a == axis or (i == 0 and conv.k[a] == 1)]
        k = axis_kernel(conv, axis, conv.k[axis])
        stride = tuple(conv.stride[a] if a in own else 1 for a in range(rank))
        dilation = tuple(conv.dilation[a] if a in own else 1 for a in range(rank))
        pads = tuple(p if a in own else 0 for a in range(rank) for p in conv.padding[2 * a : 2 * a + 2])
        out = conv.out.c if i == len(axes) - 1 else mid
        step = make_conv(current, out, k, stride, pads, dilation, 1, conv.bias)
        result.append(Stage(f"{names[axis]} {kname(k)}", step))
        current = step.out
    return tuple(result)


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
