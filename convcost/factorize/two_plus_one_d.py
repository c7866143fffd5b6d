"""``2plus1d`` (Tran et al. 2018, "A Closer Look at Spatiotemporal Convolutions for Action Recognition"):
a 3-D KTxKHxKW convolution as a spatial 1xKHxKW convolution C -> M (the layer's spatial stride,
padding and dilation), then a temporal KTx1x1 convolution M -> N (the temporal ones). 3-D only.

Default M = ``floor(KT*KH*KW*C*N / (KH*KW*C + KT*N))``, the M at which the pair has the 3-D kernel's
parameters (torchvision's ``Conv2Plus1D`` uses this rule); ``--mid``, a ``--rank`` fraction of it and
``--target`` choose others. At the default, a layer that keeps its temporal size costs (nearly) what
the 3-D layer does, by construction: the gain of (2+1)D is the extra nonlinearity, not fewer mults.
"""

from __future__ import annotations

from convcost.core.shapes import Conv, make_conv
from convcost.factorize.base import ClosedForm, Factorization, MethodResult, RankParam, Stage, fraction_sum, kname, needs_groups_1


def why_not(conv: Conv) -> str | None:
    """groups 1 and a 3-D kernel with KT > 1 and KH*KW > 1."""
    if conv.inp.rank != 3 or conv.k[0] == 1 or conv.k[1] * conv.k[2] == 1:
        return f"needs a 3-D kernel with KT > 1 and KH*KW > 1; this one is {kname(conv.k)}"
    return needs_groups_1(conv)


def matched_mid(conv: Conv) -> int:
    """``max(1, floor(KT*KH*KW*C*N / (KH*KW*C + KT*N)))``: the 3-D kernel's parameters."""
    kt, kh, kw = conv.k
    c, n = conv.inp.c, conv.out.c
    return max(1, kt * kh * kw * c * n // (kh * kw * c + kt * n))


def stages(conv: Conv, mid: int) -> tuple[Stage, ...]:
    """Spatial 1xKHxKW C -> M with the spatial stride, padding and dilation; temporal KTx1x1 M -> N with the temporal ones."""
    kt, kh, kw = conv.k
    (st, sh, sw), (dt, dh, dw) = conv.stride, conv.dilation
    tb, te, hb, he, wb, we = conv.padding
    spatial = make_conv(conv.inp, mid, (1, kh, kw), (1, sh, sw), (0, 0, hb, he, wb, we), (1, dh, dw), 1, conv.bias)
    temporal = make_conv(spatial.out, conv.out.c, (kt, 1, 1), (st, 1, 1), (tb, te, 0, 0, 0, 0), (dt, 1, 1), 1, conv.bias)
    return (Stage(f"spatial 1x{kh}x{kw}", spatial), Stage(f"temporal {kt}x1x1", temporal))


def note(result: MethodResult) -> tuple[str, ...]:
    """``mid channels 144``."""
    return (f"mid channels {result.extra['mid']}",)


def closed_form(conv: Conv, result: MethodResult) -> ClosedForm:
    """``M/(KT*N) + M/(KH*KW*C)``; the first term scaled by ``T/To`` when the temporal stride or padding changes T."""
    m = result.extra["mid"]
    assert isinstance(m, int)
    kt, kh, kw = conv.k
    c, n = conv.inp.c, conv.out.c
    t, to = conv.inp.spatial[0], conv.out.spatial[0]
    value = fraction_sum([(t * m, to * kt * n), (m, kh * kw * c)])
    if t == to:
        return ClosedForm(f"M/(KT*N) + M/(KH*KW*C) = {m}/{kt * n} + {m}/{kh * kw * c}", *value)
    return ClosedForm(f"(T/To) x M/(KT*N) + M/(KH*KW*C) = ({t}/{to}) x {m}/{kt * n} + {m}/{kh * kw * c}", *value)


FACTORIZATION = Factorization(
    "2plus1d",
    stages,
    why_not,
    RankParam(
        "mid",
        "mid",
        matched_mid,
        "floor(KT*KH*KW*C*N / (KH*KW*C + KT*N))",
        default=matched_mid,
        default_text="floor(KT*KH*KW*C*N / (KH*KW*C + KT*N)), the 3-D kernel's params",
    ),
    closed_form,
    note,
    ranks=(3,),
)
