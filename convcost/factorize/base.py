"""The records every factorization shares: a stage, a result, the options, and the
:class:`Factorization` record each ``factorize/<name>.py`` module declares.

Counting convention, everywhere: ``mults`` are multiply-accumulates, one per weight
use (FLOPs = 2 x mults); additions and bias adds are not counted. ``params`` are
weights, plus one bias per output channel of each stage when the layer has a bias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, NamedTuple, Union

from convcost.core.cost import reduction_pct
from convcost.core.shapes import Conv, PaddingSpec, Pair, Shape, Sizes, make_conv

# --- stages and results --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    """One convolution of a cost model, e.g. ``depthwise 3x3``."""

    name: str
    conv: Conv
    batch: int = 1
    """The inputs its mults count (``convcost layer --batch``); shapes stay per input."""

    @property
    def mults(self) -> int:
        """Multiply-accumulates of this stage, for the whole batch."""
        return self.conv.mults * self.batch

    @property
    def params(self) -> int:
        """Weights (and biases) of this stage."""
        return self.conv.params


Extra = Union[int, list[int], None]
"""A model-specific JSON figure: a rank, a pair of ranks, or null."""


@dataclass(frozen=True, slots=True)
class MethodResult:
    """What one cost model makes of a layer: its stages, or why it does not apply."""

    method: str
    stages: tuple[Stage, ...] = ()
    reason: str | None = None
    extra: Mapping[str, Extra] = field(default_factory=dict)
    """Model-specific figures for the JSON: ``rank`` and ``break_even_rank`` (low-rank), ``mid``
    (spatial-separable), ``ranks`` (tucker2, ``[R3, R4]``), ``rank`` (cp), and each one's full rank."""
    how: str | None = None
    """How the rank was chosen, when it was not given (e.g. ``the largest reaching 4x fewer mults``)."""

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


# --- options ---------------------------------------------------------------------------


class _Record:
    """An immutable record with ``__slots__``, compared and shown by its fields.

    The option and registry records below are this rather than NamedTuples or dataclasses:
    every command builds them at start-up, and creating a NamedTuple or dataclass *class*
    costs a fraction of a millisecond each, this one microseconds.
    """

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Record) and type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({inner})"


class RankFraction(_Record):
    """``--rank 0.25``: ``num / den`` of each method's full rank, rounded down, at least 1."""

    __slots__ = ("den", "num", "text")
    num: int
    den: int
    text: str
    """As written, e.g. ``0.25``."""

    def __init__(self, num: int, den: int, text: str) -> None:
        self._set(num=num, den=den, text=text)

    def of(self, full: int) -> int:
        """``max(1, floor(full * num / den))``."""
        return max(1, full * self.num // self.den)


class RankPair(_Record):
    """``--rank 64x32``: Tucker-2's two ranks, R3 (input side) and R4 (output side)."""

    __slots__ = ("r3", "r4")
    r3: int
    r4: int

    def __init__(self, r3: int, r4: int) -> None:
        self._set(r3=r3, r4=r4)

    def __str__(self) -> str:
        return f"{self.r3}x{self.r4}"


Rank = Union[int, RankPair, RankFraction]
"""A rank as given: a whole number, R3xR4 (tucker2), or a fraction of each full rank."""


class Target(_Record):
    """``--target 4x`` (or ``75%``; ``--target-params``): the cost must be at most ``den/num`` of
    the standard layer's, i.e. ``base * den >= cost * num`` with ``num > den``."""

    __slots__ = ("den", "figure", "num", "text")
    num: int
    den: int
    figure: str
    """``mults`` or ``params``."""
    text: str
    """As written, e.g. ``4x`` or ``75%``."""

    def __init__(self, num: int, den: int, figure: str, text: str) -> None:
        self._set(num=num, den=den, figure=figure, text=text)

    def met(self, base: int, cost: int) -> bool:
        """True when ``cost`` is at least this much below ``base`` (exact integers)."""
        return base * self.den >= cost * self.num

    def limit(self, base: int) -> int:
        """The largest cost that meets the target: ``floor(base * den / num)``."""
        return base * self.den // self.num

    def __str__(self) -> str:
        return f"{self.text} fewer {self.figure}"


DEFAULT_TARGET = Target(4, 1, "mults", "4x")
"""What tucker2 and cp are solved for when neither --rank nor --target is given."""


class MethodOptions(NamedTuple):
    """How the factorizations choose their ranks: ``rank`` (low-rank, tucker2, cp; a fraction also
    sets spatial-separable's mid), ``mid`` (spatial-separable), ``targets`` (each rank the largest
    that meets every target), ``capped`` (a model-wide rank: capped at each layer's full rank)."""

    rank: Rank | None = None
    mid: int | None = None
    targets: tuple[Target, ...] = ()
    capped: bool = False


# --- the factorization record -------------------------------------------------------------

Setting = Union[int, Pair, None]
"""A factorization's free parameter once chosen: a rank, (R3, R4), or None when it has none."""


class ClosedForm(_Record):
    """A closed-form mults ratio against the standard layer: the formula with its numbers
    (``1/N + 1/(KH*KW) = 1/16 + 1/9``) and its exact value ``num / den``."""

    __slots__ = ("den", "num", "text")
    text: str
    num: int
    den: int

    def __init__(self, text: str, num: int, den: int) -> None:
        self._set(text=text, num=num, den=den)


class RankParam(_Record):
    """The free parameter of a factorization (a rank, or spatial-separable's mid) and how it is chosen."""

    __slots__ = (
        "bounded",
        "default",
        "default_text",
        "figure_keys",
        "figures",
        "full",
        "full_text",
        "key",
        "option",
        "pair",
        "too_big",
    )  # fmt: skip

    key: str
    """Its JSON key and its word in notes: ``rank``, ``mid`` or ``ranks``."""
    option: str
    """The MethodOptions field that sets it explicitly: ``rank`` or ``mid``."""
    full: Callable[[Conv], int | Pair]
    """Its full value (what a --rank fraction is a fraction of; the model-wide cap)."""
    full_text: str
    """The full rank as a formula, e.g. ``min(KH*KW*C, N)``."""
    default: Callable[[Conv], int] | None
    """Its value without --rank or --target; None: the largest reaching DEFAULT_TARGET."""
    default_text: str
    """The default as a formula, e.g. ``min(C, N)``."""
    bounded: bool
    """A target is searched for up to the full rank (cp: beyond it too; it only costs more there)."""
    pair: bool
    """Takes R3xR4 (tucker2); a bare R means R3 = R4 = R."""
    too_big: Callable[[Conv, int], str] | None
    """The error for a given value above the full rank (low-rank); None: such values are used as given."""
    figures: Callable[[Conv], dict[str, Extra]] | None
    """More JSON figures of the layer (low-rank's break-even rank), null when the model does not apply."""
    figure_keys: tuple[str, ...]

    def __init__(
        self,
        key: str,
        option: str,
        full: Callable[[Conv], int | Pair],
        full_text: str,
        default: Callable[[Conv], int] | None = None,
        default_text: str = "",
        bounded: bool = True,
        pair: bool = False,
        too_big: Callable[[Conv, int], str] | None = None,
        figures: Callable[[Conv], dict[str, Extra]] | None = None,
        figure_keys: tuple[str, ...] = (),
    ) -> None:
        self._set(key=key, option=option, full=full, full_text=full_text, default=default, default_text=default_text,
                  bounded=bounded, pair=pair, too_big=too_big, figures=figures, figure_keys=figure_keys)  # fmt: skip


def _no_reason(conv: Conv) -> str | None:
    return None


class Factorization(_Record):
    """One cost model, declared by its own module and listed in ``factorize.registry``.

    ``factorize.solve.build`` on it, a resolved convolution and options gives its :class:`MethodResult`.
    """

    __slots__ = ("closed_form", "name", "note_figures", "param", "ranks", "stages", "why_not")
    name: str
    stages: Callable[[Conv, Any], tuple[Stage, ...]]
    """The stages at a chosen setting (None when there is nothing to choose)."""
    why_not: Callable[[Conv], str | None]
    """Why the model does not apply to a layer; None when it does."""
    param: RankParam | None
    closed_form: Callable[[Conv, MethodResult], ClosedForm | None] | None
    """The ratio against the standard layer in closed form, where there is one (``--explain``)."""
    note_figures: Callable[[MethodResult], tuple[str, ...]] | None
    """The model's figures shown beneath its name, its setting first (``rank 4``, ``break-even rank 13``)."""
    ranks: tuple[int, ...]
    """The spatial ranks it is shown for by default (``layer`` without --method, the model what-if); named with
    --method or ``as:``, it says on any layer why it does not apply."""

    def __init__(
        self,
        name: str,
        stages: Callable[[Conv, Any], tuple[Stage, ...]],
        why_not: Callable[[Conv], str | None] = _no_reason,
        param: RankParam | None = None,
        closed_form: Callable[[Conv, MethodResult], ClosedForm | None] | None = None,
        note_figures: Callable[[MethodResult], tuple[str, ...]] | None = None,
        ranks: tuple[int, ...] = (1, 2, 3),
    ) -> None:
        self._set(name=name, stages=stages, why_not=why_not, param=param, closed_form=closed_form, note_figures=note_figures,
                  ranks=ranks)  # fmt: skip

    def note(self, result: MethodResult) -> str | None:
        """The line shown beneath the model's name: its figures, how its rank was chosen, or why it does not apply."""
        if not result.applicable:
            return f"not applicable: {result.reason}"
        if self.note_figures is None:
            return None
        setting, *others = self.note_figures(result)
        if result.how:
            setting += f", {result.how}"
        return "; ".join([setting, *others])

    def full_rank(self, conv: Conv) -> int | Pair | None:
        """The full rank of this model on ``conv`` (None when it has no rank)."""
        return None if self.param is None else self.param.full(conv)


# --- shared pieces of the modules -------------------------------------------------------


def kname(k: Sizes) -> str:
    """``(3, 5)`` -> ``3x5``; any rank (``3``, ``3x3x3``)."""
    return "x".join(map(str, k))


def ones(conv: Conv) -> Sizes:
    """A 1x1 kernel in the layer's rank (``1``, ``1x1``, ``1x1x1``)."""
    return (1,) * conv.inp.rank


def axis_kernel(conv: Conv, axis: int, size: int) -> Sizes:
    """A kernel of ``size`` along ``axis`` and 1 along every other (``3x1``, ``1x1x7``)."""
    return tuple(size if i == axis else 1 for i in range(conv.inp.rank))


def needs_groups_1(conv: Conv) -> str | None:
    """The reason a model defined for groups = 1 does not apply to a grouped layer."""
    if conv.groups == 1:
        return None
    if conv.groups == conv.inp.c:
        return f"the layer is already depthwise (groups = {conv.groups} = C)"
    return f"defined for groups = 1; this layer has groups = {conv.groups}"


def needs_spatial_kernel(conv: Conv) -> str | None:
    """groups 1 and a kernel larger than 1x1 (tucker2, cp)."""
    if (why := needs_groups_1(conv)) is not None:
        return why
    if set(conv.k) == {1}:
        return f"a {kname(conv.k)} kernel has no spatial extent to decompose"
    return None


TAPS = {1: "K", 2: "(KH*KW)", 3: "(KT*KH*KW)"}
"""The kernel's taps as a formula, by rank."""


def taps_text(conv: Conv) -> str:
    """``(KH*KW)`` in 2-D, ``K`` in 1-D, ``(KT*KH*KW)`` in 3-D."""
    return TAPS.get(conv.inp.rank, "prod(K)")


def fraction_sum(terms: list[tuple[int, int]]) -> tuple[int, int]:
    """The exact sum of fractions ``a/b`` as one (numerator, denominator) pair (not reduced)."""
    num, den = 0, 1
    for a, b in terms:
        num, den = num * b + a * den, den * b
    return num, den


# --- one layer ---------------------------------------------------------------------------


class LayerSpec(NamedTuple):
    """One convolution layer as the user gave it (before padding is resolved)."""

    inp: Shape
    out: int
    k: Sizes
    stride: Sizes = (1,)
    padding: PaddingSpec = (0,)
    dilation: Sizes = (1,)
    groups: int = 1
    bias: bool = False
    rank: Rank | None = None
    mid: int | None = None
    name: str | None = None
    targets: tuple[Target, ...] = ()
    """``--target`` / ``--target-params``: each method's rank the largest that meets them all."""

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

    @property
    def batch(self) -> int:
        """The inputs the mults count (``--batch``): every stage's mults scale with it, params do not.
        Its one record is the stages' (``Stage.batch``), set by :meth:`batched`."""
        return self.baseline.stages[0].batch if self.baseline.stages else 1

    def batched(self, batch: int) -> LayerReport:
        """This report with every stage's mults counted for ``batch`` inputs."""
        if batch == self.batch:
            return self

        def scaled(r: MethodResult) -> MethodResult:
            return replace(r, stages=tuple(replace(s, batch=batch) for s in r.stages))

        return replace(self, results=tuple(scaled(r) for r in self.results), baseline=scaled(self.baseline))
