"""The cost models: one pure function per model, each returning its stages.

Counting convention, everywhere: ``mults`` are multiply-accumulates, one per weight
use (FLOPs = 2 x mults); additions and bias adds are not counted. ``params`` are
weights, plus one bias per output channel of each stage when the layer has a bias.

``METHODS`` maps each model's name to its function, in the order they are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from convcost.core.cost import reduction_pct, speedup
from convcost.core.shapes import Conv, PaddingSpec, Pair, Shape, make_conv, out_size
from convcost.errors import ConvcostError


@dataclass(frozen=True)
class Stage:
    """One convolution of a cost model, e.g. ``depthwise 3x3``."""

    name: str
    conv: Conv

    @property
    def mults(self) -> int:
        """Multiply-accumulates of this stage."""
        return self.conv.mults

    @property
    def params(self) -> int:
        """Weights (and biases) of this stage."""
        return self.conv.params

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a stage."""
        c = self.conv
        return {
            "name": self.name,
            "in": c.inp.as_list(),
            "out": c.out.as_list(),
            "mults": c.mults,
            "params": c.params,
            "k": list(c.k),
            "stride": list(c.stride),
            "padding": list(c.padding),
            "dilation": list(c.dilation),
            "groups": c.groups,
        }


@dataclass(frozen=True)
class MethodResult:
    """What one cost model makes of a layer: its stages, or why it does not apply."""

    method: str
    stages: tuple[Stage, ...] = ()
    reason: str | None = None
    extra: Mapping[str, int | None] = field(default_factory=dict)
    """Model-specific figures: ``rank`` and ``break_even_rank`` (low-rank), ``mid``."""

    @property
    def applicable(self) -> bool:
        """False when the model does not apply to this layer (see ``reason``)."""
        return self.reason is None

    @property
    def mults(self) -> int | None:
        """Total multiply-accumulates over the stages; None if not applicable."""
        return sum(s.mults for s in self.stages) if self.applicable else None

    @property
    def params(self) -> int | None:
        """Total parameters over the stages; None if not applicable."""
        return sum(s.params for s in self.stages) if self.applicable else None


class MethodOptions(NamedTuple):
    """Parameters of the factorizations: ``rank`` for low-rank, ``mid`` for spatial-separable."""

    rank: int | None = None
    mid: int | None = None


MethodFn = Callable[[Conv, MethodOptions], MethodResult]


def _not_applicable(method: str, reason: str, **extra: int | None) -> MethodResult:
    return MethodResult(method, reason=reason, extra=dict(extra))


def _needs_groups_1(method: str, conv: Conv, **extra: int | None) -> MethodResult | None:
    if conv.groups == 1:
        return None
    if conv.groups == conv.inp.c:
        why = f"the layer is already depthwise (groups = {conv.groups} = C)"
    else:
        why = f"defined for groups = 1; this layer has groups = {conv.groups}"
    return _not_applicable(method, why, **extra)


def _kname(k: Pair) -> str:
    return f"{k[0]}x{k[1]}"


def standard(conv: Conv, options: MethodOptions) -> MethodResult:
    """The layer as given, groups included: ``Ho*Wo*N*(C/G)*KH*KW``."""
    label = f"conv {_kname(conv.k)}"
    if conv.groups > 1:
        label += f" groups {conv.groups}"
    return MethodResult("standard", (Stage(label, conv),))


def depthwise_separable(conv: Conv, options: MethodOptions) -> MethodResult:
    """MobileNet: a depthwise KHxKW on the C inputs, then a pointwise 1x1 C -> N."""
    name = "depthwise-separable"
    if (na := _needs_groups_1(name, conv)) is not None:
        return na
    if conv.k == (1, 1):
        return _not_applicable(name, "a 1x1 kernel is already pointwise")
    c, n = conv.inp.c, conv.out.c
    dw = make_conv(conv.inp, c, conv.k, conv.stride, conv.padding, conv.dilation, c, conv.bias)
    pw = make_conv(dw.out, n, (1, 1), bias=conv.bias)
    return MethodResult(name, (Stage(f"depthwise {_kname(conv.k)}", dw), Stage("pointwise 1x1", pw)))


def spatial_separable(conv: Conv, options: MethodOptions) -> MethodResult:
    """A KHx1 convolution C -> M along the height, then a 1xKW convolution M -> N along the width."""
    name = "spatial-separable"
    mid = options.mid if options.mid is not None else min(conv.inp.c, conv.out.c)
    if (na := _needs_groups_1(name, conv, mid=mid)) is not None:
        return na
    kh, kw = conv.k
    if kh == 1 or kw == 1:
        return _not_applicable(name, f"kernel {_kname(conv.k)} is already one-dimensional", mid=mid)
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    top, bottom, left, right = conv.padding
    vert = make_conv(conv.inp, mid, (kh, 1), (sh, 1), (top, bottom, 0, 0), (dh, 1), 1, conv.bias)
    horz = make_conv(vert.out, conv.out.c, (1, kw), (1, sw), (0, 0, left, right), (1, dw), 1, conv.bias)
    stages = (Stage(f"vertical {kh}x1", vert), Stage(f"horizontal 1x{kw}", horz))
    return MethodResult(name, stages, extra={"mid": mid})


def full_rank(conv: Conv) -> int:
    """The rank of the kernel reshaped to N x (KH*KW*C): ``min(KH*KW*C, N)``."""
    return min(conv.k[0] * conv.k[1] * conv.inp.c, conv.out.c)


def default_rank(conv: Conv) -> int:
    """``max(1, full_rank // 4)``."""
    return max(1, full_rank(conv) // 4)


def break_even_rank(conv: Conv) -> int:
    """The largest rank r whose low-rank pair has fewer mults than the standard layer (0: none).

    With P = KH*KW*C the pair costs ``Ho*Wo*r*(P + N)`` against ``Ho*Wo*P*N``,
    so r must satisfy ``r*(P + N) < P*N``.
    """
    p, n = conv.k[0] * conv.k[1] * conv.inp.c, conv.out.c
    return (p * n - 1) // (p + n)


def low_rank(conv: Conv, options: MethodOptions) -> MethodResult:
    """SVD of the kernel as N x (KH*KW*C): a KHxKW convolution C -> r, then a 1x1 r -> N."""
    name = "low-rank"
    if (na := _needs_groups_1(name, conv, rank=options.rank, break_even_rank=None)) is not None:
        return na
    full = full_rank(conv)
    rank = options.rank if options.rank is not None else default_rank(conv)
    if rank > full:
        kh, kw = conv.k
        raise ConvcostError(
            f"rank {rank} is above the full rank {full} = min(KH*KW*C, N) = min({kh}*{kw}*{conv.inp.c}, {conv.out.c}); expected 1 to {full}"
        )
    first = make_conv(conv.inp, rank, conv.k, conv.stride, conv.padding, conv.dilation, 1, conv.bias)
    second = make_conv(first.out, conv.out.c, (1, 1), bias=conv.bias)
    stages = (Stage(f"conv {_kname(conv.k)}, rank {rank}", first), Stage("pointwise 1x1", second))
    return MethodResult(name, stages, extra={"rank": rank, "break_even_rank": break_even_rank(conv)})


def _greedy(before: int, after: int, stages: int) -> list[Pair]:
    """Give each stage at most 1 pixel per side, in order; any excess goes to the first."""
    plan = [(int(i < before), int(i < after)) for i in range(stages)]
    if plan:
        b, a = plan[0]
        plan[0] = (b + max(before - stages, 0), a + max(after - stages, 0))
    return plan


def _spread(size: int, before: int, after: int, stride: int, stages: int, target: int) -> list[Pair] | None:
    """Per-stage (before, after) padding along one axis so that ``stages`` 3x3 convolutions,
    the first with ``stride``, end at ``target`` pixels; None if no split does.

    The even spread (at most one pixel per side per stage) is tried first; with a
    stride above 1 the first stage's share may have to differ, so every share is tried.
    """
    preferred = _greedy(before, after, stages)[0]
    shares = [preferred] + [(min(before, t), t - min(before, t)) for t in range(before + after + 1)]
    for first in shares:
        plan = [first, *_greedy(before - first[0], after - first[1], stages - 1)]
        current = size
        for i, (b, a) in enumerate(plan):
            current = out_size(current, 3, stride if i == 0 else 1, b + a, 1)
            if current < 1:
                break
        if current == target:
            return plan
    return None


def stacked_3x3(conv: Conv, options: MethodOptions) -> MethodResult:
    """A KxK kernel, K odd >= 5, as (K-1)/2 successive 3x3 convolutions (Inception-v3 3.1).

    The first is C -> N with the layer's stride, the rest N -> N; the layer's padding
    is spread over them so that the output shape equals the standard layer's.
    """
    name = "stacked-3x3"
    if (na := _needs_groups_1(name, conv)) is not None:
        return na
    kh, kw = conv.k
    if kh != kw or kh < 5 or kh % 2 == 0:
        return _not_applicable(name, f"needs an odd square kernel KxK with K >= 5; this one is {_kname(conv.k)}")
    if conv.dilation != (1, 1):
        return _not_applicable(name, f"needs dilation 1; this layer has dilation {_kname(conv.dilation)}")
    count = (kh - 1) // 2
    top, bottom, left, right = conv.padding
    rows = _spread(conv.inp.h, top, bottom, conv.stride[0], count, conv.out.h)
    cols = _spread(conv.inp.w, left, right, conv.stride[1], count, conv.out.w)
    if rows is None or cols is None:
        return _not_applicable(
            name,
            f"the padding cannot be spread over {count} 3x3 convolutions to keep the output "
            f"{conv.out.h}x{conv.out.w} at stride {_kname(conv.stride)}",
        )
    stages: list[Stage] = []
    current: Shape = conv.inp
    for i, ((pt, pb), (pl, pr)) in enumerate(zip(rows, cols, strict=True)):
        stride = conv.stride if i == 0 else (1, 1)
        step = make_conv(current, conv.out.c, (3, 3), stride, (pt, pb, pl, pr), (1, 1), 1, conv.bias)
        stages.append(Stage(f"conv 3x3 ({i + 1}/{count})", step))
        current = step.out
    return MethodResult(name, tuple(stages))


METHODS: dict[str, MethodFn] = {
    "standard": standard,
    "depthwise-separable": depthwise_separable,
    "spatial-separable": spatial_separable,
    "low-rank": low_rank,
    "stacked-3x3": stacked_3x3,
}
"""Every cost model by name, in display order."""

FACTORIZATIONS: tuple[str, ...] = tuple(name for name in METHODS if name != "standard")
"""The models that factorize a standard layer."""


class LayerSpec(NamedTuple):
    """One convolution layer as the user gave it (before padding is resolved)."""

    inp: Shape
    out: int
    k: Pair
    stride: Pair = (1, 1)
    padding: PaddingSpec = (0, 0, 0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = False
    rank: int | None = None
    mid: int | None = None
    name: str | None = None

    def conv(self) -> Conv:
        """The resolved standard convolution."""
        return make_conv(self.inp, self.out, self.k, self.stride, self.padding, self.dilation, self.groups, self.bias)


def _pct(base: int | None, value: int | None) -> float | None:
    return None if base is None or value is None else reduction_pct(base, value)


@dataclass(frozen=True)
class LayerReport:
    """A layer and what each requested cost model makes of it; ``baseline`` is the standard layer."""

    kind: ClassVar[str] = "layer"

    spec: LayerSpec
    conv: Conv
    results: tuple[MethodResult, ...]
    baseline: MethodResult

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``convcost layer --format json``."""
        c = self.conv
        methods = []
        for r in self.results:
            entry: dict[str, Any] = {
                "method": r.method,
                "applicable": r.applicable,
                "reason": r.reason,
                "mults": r.mults,
                "params": r.params,
                "mults_reduction_pct": _pct(self.baseline.mults, r.mults),
                "params_reduction_pct": _pct(self.baseline.params, r.params),
                "speedup": None if r.mults is None else speedup(c.mults, r.mults),
                "stages": [s.to_dict() for s in r.stages],
            }
            entry.update(r.extra)
            methods.append(entry)
        return {
            "layer": {
                "name": self.spec.name,
                "in": c.inp.as_list(),
                "out": c.out.as_list(),
                "k": list(c.k),
                "stride": list(c.stride),
                "padding": list(c.padding),
                "dilation": list(c.dilation),
                "groups": c.groups,
                "bias": c.bias,
            },
            "methods": methods,
        }


def cost_layer(spec: LayerSpec, methods: Sequence[str] | None = None) -> LayerReport:
    """Run the named cost models (all of them by default) on one layer."""
    conv = spec.conv()
    options = MethodOptions(spec.rank, spec.mid)
    names = list(dict.fromkeys(methods)) if methods else list(METHODS)
    for name in names:
        if name not in METHODS:
            raise ConvcostError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    baseline = standard(conv, options)
    results = tuple(baseline if name == "standard" else METHODS[name](conv, options) for name in names)
    return LayerReport(spec, conv, results, baseline)


def layer_options(conv: Conv, model: MethodOptions, layer_rank: int | None = None, layer_mid: int | None = None) -> MethodOptions:
    """The options one layer of a network is factorized with: the layer's own ``rank``/``mid``
    win; a model-wide rank is capped at the layer's full rank."""
    rank = layer_rank
    if rank is None and model.rank is not None:
        rank = min(model.rank, full_rank(conv))
    mid = layer_mid if layer_mid is not None else model.mid
    return MethodOptions(rank, mid)


def apply(method: str, conv: Conv, options: MethodOptions) -> MethodResult:
    """One named cost model on a resolved convolution (``as:`` in a model file)."""
    return METHODS[method](conv, options)


def alternatives(conv: Conv, options: MethodOptions) -> tuple[MethodResult, ...]:
    """Every factorization of ``conv``, in FACTORIZATIONS order (the what-if of one layer)."""
    return tuple(METHODS[name](conv, options) for name in FACTORIZATIONS)
