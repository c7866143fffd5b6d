"""``cp`` (Lebedev et al., 2015): the rank-R CP decomposition of the kernel: a 1x1 C -> R, a
depthwise KHx1 on the R channels (the layer's vertical stride, padding and dilation), a depthwise
1xKW (the horizontal ones), and a 1x1 R -> N. In 1-D and 3-D the same with one depthwise 1-D
convolution per axis (1-D: a depthwise K; 3-D: KTx1x1, 1xKHx1, 1x1xKW).

params = R*(C + N + KH + KW) (+ one bias per output channel of each stage). Full rank: the largest
R whose mults do not exceed the standard layer's (mults grow by the same amount with each rank).
Without --rank or --target, the largest R reaching 4x fewer mults.
"""

from __future__ import annotations

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import (
    ClosedForm,
    Factorization,
    MethodResult,
    RankParam,
    Stage,
    axis_kernel,
    kname,
    needs_spatial_kernel,
    ones,
)

_SIZES = {1: ["L"], 2: ["H", "W"], 3: ["T", "H", "W"]}
_KERNELS = {1: ["K"], 2: ["KH", "KW"], 3: ["KT", "KH", "KW"]}


def stages(conv: Conv, rank: int) -> tuple[Stage, ...]:
    """1x1 C -> R, one depthwise 1-D convolution per axis (that axis's stride, padding and dilation), 1x1 R -> N."""
    one = ones(conv)
    first = make_conv(conv.inp, rank, one, bias=conv.bias)
    result = [Stage(f"pointwise {kname(one)} in", first)]
    current = first.out
    for axis, kk in enumerate(conv.k):
        pads = tuple(p if a == axis else 0 for a in range(conv.inp.rank) for p in conv.padding[2 * a : 2 * a + 2])
        k = axis_kernel(conv, axis, kk)
        step = make_conv(current, rank, k, axis_kernel(conv, axis, conv.stride[axis]), pads,
                         axis_kernel(conv, axis, conv.dilation[axis]), rank, conv.bias)  # fmt: skip
        result.append(Stage(f"depthwise {kname(k)}", step))
        current = step.out
    last = make_conv(current, conv.out.c, one, bias=conv.bias)
    result.append(Stage(f"pointwise {kname(one)} out", last))
    return tuple(result)


def full_rank(conv: Conv) -> int:
    """``max(1, floor(standard mults / mults per rank))``: the rank at which cp costs what the layer does."""
    per_rank = sum(s.mults for s in stages(conv, 1))
    return max(1, conv.mults // per_rank)


def note(result: MethodResult) -> tuple[str, ...]:
    """``rank 284``."""
    return (f"rank {result.extra['rank']}",)


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``R*(C + KH + KW + N)/(KH*KW*C*N)`` when the layer keeps its size; the general sum otherwise (any rank)."""
    r = result.extra["rank"]
    assert isinstance(r, int)
    c, n, rank = conv.inp.c, conv.out.c, conv.inp.rank
    sizes, kernels = _SIZES.get(rank, [f"S{i}" for i in range(rank)]), _KERNELS.get(rank, [f"K{i}" for i in range(rank)])
    ins, outs = conv.inp.spatial, conv.out.spatial
    # each depthwise stage runs at the sizes already reduced before it and the input's after it
    terms = [(f"{'*'.join(sizes)}*C", f"{'*'.join(map(str, ins))}*{c}", _prod(ins) * c)]
    for axis in range(rank):
        letters = [s + "o" for s in sizes[: axis + 1]] + sizes[axis + 1 :]
        numbers = [*outs[: axis + 1], *ins[axis + 1 :]]
        kk = conv.k[axis]
        terms.append((f"{'*'.join(letters)}*{kernels[axis]}", f"{'*'.join(map(str, numbers))}*{kk}", _prod(numbers) * kk))
    out_letters = "*".join(s + "o" for s in sizes)
    terms.append((f"{out_letters}*N", f"{'*'.join(map(str, outs))}*{n}", _prod(outs) * n))
    num, den = r * sum(t[2] for t in terms), _prod(outs) * _prod(conv.k) * c * n
    k_letters, k_numbers = "*".join(kernels), "*".join(map(str, conv.k))
    if ins == outs:
        sizes_sum = " + ".join(map(str, conv.k))
        text = f"R*(C + {' + '.join(kernels)} + N)/({k_letters}*C*N) = {r}*({c} + {sizes_sum} + {n})/({k_numbers}*{c}*{n})"
        return ClosedForm(text, num, den)
    if rank == 2:
        h, w, ho, wo = ins[0], ins[1], outs[0], outs[1]
        kh, kw = conv.k
        text = (
            f"R*(H*W*C + Ho*W*KH + Ho*Wo*(KW + N))/(Ho*Wo*KH*KW*C*N) = "
            f"{r}*({h}*{w}*{c} + {ho}*{w}*{kh} + {ho}*{wo}*({kw} + {n}))/({ho}*{wo}*{kh}*{kw}*{c}*{n})"
        )
        return ClosedForm(text, num, den)
    text = (
        f"R*({' + '.join(t[0] for t in terms)})/({out_letters}*{k_letters}*C*N) = "
        f"{r}*({' + '.join(t[1] for t in terms)})/({'*'.join(map(str, outs))}*{k_numbers}*{c}*{n})"
    )
    return ClosedForm(text, num, den)


def _prod(values: tuple[int, ...] | list[int]) -> int:
    total = 1
    for v in values:
        total *= v
    return total


FACTORIZATION = Factorization(
    "cp",
    stages,
    needs_spatial_kernel,
    RankParam("rank", "rank", full_rank, "floor(standard mults / mults per rank)", bounded=False),
    closed_form,
    note,
)
