"""``depthwise-separable`` (MobileNet): a depthwise KHxKW on the C inputs, then a pointwise 1x1 C -> N;
in 1-D and 3-D the same with a depthwise K or KTxKHxKW (in 3-D, the channel-separated convolution of
Tran et al. 2019, CSN).

mults / standard = 1/N + 1/(KH*KW) exactly (the depthwise stage keeps the layer's output size).
"""

from __future__ import annotations

from math import prod

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import ClosedForm, Factorization, MethodResult, Stage, fraction_sum, kname, needs_groups_1, ones, taps_text


def why_not(conv: Conv) -> str | None:
    """groups 1 and a kernel larger than 1x1."""
    if (why := needs_groups_1(conv)) is not None:
        return why
    if set(conv.k) == {1}:
        return f"a {kname(conv.k)} kernel is already pointwise"
    return None


def stages(conv: Conv, setting: None) -> tuple[Stage, ...]:
    """Depthwise KHxKW with the layer's stride, padding and dilation; pointwise 1x1 C -> N."""
    c, n = conv.inp.c, conv.out.c
    dw = make_conv(conv.inp, c, conv.k, conv.stride, conv.padding, conv.dilation, c, conv.bias)
    pw = make_conv(dw.out, n, (1,), bias=conv.bias)
    return (Stage(f"depthwise {kname(conv.k)}", dw), Stage(f"pointwise {kname(ones(conv))}", pw))


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``1/N + 1/(KH*KW)`` (1-D: ``1/K``; 3-D: ``1/(KT*KH*KW)``)."""
    kk, n = prod(conv.k), conv.out.c
    return ClosedForm(f"1/N + 1/{taps_text(conv)} = 1/{n} + 1/{kk}", *fraction_sum([(1, n), (1, kk)]))


FACTORIZATION = Factorization("depthwise-separable", stages, why_not, closed_form=closed_form)
