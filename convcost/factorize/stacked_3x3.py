"""``stacked-3x3`` (Inception-v3, section 3.1): a KxK kernel, K odd >= 5, as (K-1)/2 successive
3x3 convolutions, the first C -> N with the layer's stride, the rest N -> N; the layer's padding
is spread over them so that the output shape equals the standard layer's. In 1-D and 3-D the same
with a kernel of 3 per axis (an odd K >= 5 as successive 3s; an odd cubic KxKxK as successive 3x3x3).

Bounded work whatever the sizes: K is limited to MAX_K (so at most MAX_K // 2 stages), and the
padding split is found in O(log padding) steps (the final size is a monotone function of the
first stage's share, so it is bisected, not enumerated).
"""

from __future__ import annotations

from convcost.core.shapes import Conv, Pair, Shape, make_conv
from convcost.factorize.base import Factorization, Stage, kname, needs_groups_1

MAX_K = 63
"""The largest kernel replaced (31 stages); real networks stop well below (RepLKNet: 31, SLaK: 51)."""


_SHAPE = {1: "an odd kernel K", 2: "an odd square kernel KxK", 3: "an odd cubic kernel KxKxK"}


def why_not(conv: Conv) -> str | None:
    """groups 1, an odd square (1-D: any, 3-D: cubic) kernel 5 <= K <= MAX_K, dilation 1, and a padding split that keeps the output."""
    if (why := needs_groups_1(conv)) is not None:
        return why
    k = conv.k[0]
    if len(set(conv.k)) != 1 or k < 5 or k % 2 == 0:
        return f"needs {_SHAPE.get(conv.inp.rank, 'an odd kernel')} with K >= 5; this one is {kname(conv.k)}"
    if k > MAX_K:
        return f"needs K <= {MAX_K} (at most {MAX_K // 2} stacked {kname(_threes(conv))} convolutions); this kernel is {kname(conv.k)}"
    if set(conv.dilation) != {1}:
        return f"needs dilation 1; this layer has dilation {kname(conv.dilation)}"
    if _plan(conv) is None:
        return (
            f"the padding cannot be spread over {(k - 1) // 2} {kname(_threes(conv))} convolutions to keep the output "
            f"{'x'.join(map(str, conv.out.spatial))} at stride {kname(conv.stride)}"
        )
    return None


def _threes(conv: Conv) -> tuple[int, ...]:
    return (3,) * conv.inp.rank


def _greedy(before: int, after: int, stages: int) -> list[Pair]:
    """Give each stage at most 1 pixel per side, in order; any excess goes to the first."""
    plan = [(int(i < before), int(i < after)) for i in range(stages)]
    if plan:
        b, a = plan[0]
        plan[0] = (b + max(before - stages, 0), a + max(after - stages, 0))
    return plan


def spread(size: int, before: int, after: int, stride: int, stages: int, target: int) -> list[Pair] | None:
    """Per-stage (before, after) padding along one axis so that ``stages`` 3x3 convolutions, the
    first with ``stride``, end at ``target`` pixels; None if no split does.

    The even spread (at most one pixel per side per stage, any excess to the first) is used when
    it works. Otherwise the first stage takes the smallest total share t that works (its before
    side first) and the rest are spread evenly. The rest are stride 1, so the final size is
    ``floor((size + t - 3) / stride) + 1 + (P - t) - 2 * (stages - 1)``, which never grows with t
    and falls by at most 1 per step: bisection finds the smallest t in O(log P).
    """
    total = before + after

    def final(t: int) -> int | None:
        if size + t < 3:  # the first 3x3 does not fit
            return None
        return (size + t - 3) // stride + 1 + (total - t) - 2 * (stages - 1)

    first = _greedy(before, after, stages)[0]
    if final(first[0] + first[1]) != target:
        lo, hi = max(0, 3 - size), total
        if lo > hi or (final(lo) or 0) < target or (final(hi) or 0) > target:
            return None
        while lo < hi:
            middle = (lo + hi) // 2
            if (final(middle) or 0) <= target:
                hi = middle
            else:
                lo = middle + 1
        if final(lo) != target:
            return None
        first = (min(before, lo), lo - min(before, lo))
    return [first, *_greedy(before - first[0], after - first[1], stages - 1)]


def _plan(conv: Conv) -> list[list[Pair]] | None:
    """Per axis, the (before, after) padding of each stage; None when an axis cannot keep its output size."""
    count = (conv.k[0] - 1) // 2
    plans = []
    for axis in range(conv.inp.rank):
        before, after = conv.padding[2 * axis], conv.padding[2 * axis + 1]
        found = spread(conv.inp.spatial[axis], before, after, conv.stride[axis], count, conv.out.spatial[axis])
        if found is None:
            return None
        plans.append(found)
    return plans


def stages(conv: Conv, setting: None) -> tuple[Stage, ...]:
    """(K-1)/2 3x3 (1-D: 3, 3-D: 3x3x3) convolutions with the padding spread over them."""
    plan = _plan(conv)
    assert plan is not None
    count = len(plan[0])
    threes = _threes(conv)
    result: list[Stage] = []
    current: Shape = conv.inp
    for i in range(count):
        stride = conv.stride if i == 0 else (1,)
        pads = tuple(p for axis in plan for p in axis[i])
        step = make_conv(current, conv.out.c, threes, stride, pads, (1,), 1, conv.bias)
        result.append(Stage(f"conv {kname(threes)} ({i + 1}/{count})", step))
        current = step.out
    return tuple(result)


FACTORIZATION = Factorization("stacked-3x3", stages, why_not)
