"""Bytes moved, arithmetic intensity and roofline time, exactly.

The model, stated once (the README's "Time on a device" and every caption repeat it):

- ``bytes = a x B x (input elements + output elements) + w x weight elements``: every tensor
  crosses memory once, there is no fusion between layers and no im2col workspace, and the
  weights (biases included) are read once per batch. ``a`` and ``w`` are the activation and
  weight dtype sizes, ``B`` the batch.
- ``FLOPs = 2 x B x mults`` (a multiply-accumulate is two floating-point operations).
- ``intensity = FLOPs / bytes`` (FLOP per byte).
- ``time = max(FLOPs / peak, bytes / bandwidth)`` with the peak of the activation dtype, the
  precision the arithmetic runs in; ``compute``-bound when the first term is the larger
  (a tie counts as compute), else ``memory``-bound. A network's time is the sum over its layers.

A factorized layer is one layer per stage: its intermediate tensor is written and read back.

Times are :class:`fractions.Fraction` seconds, exact; ``fractions`` is imported only when a
time is asked for (a device was given), so the JSON path without ``--device`` stays light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from convcost.core.cost import ZERO, Cost, batched, conv_cost

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.devices import Device
    from convcost.analysis.memory import Memory
    from convcost.analysis.network import Alternative, LayerRow, ModelReport
    from convcost.factorize import LayerReport, MethodResult

from convcost.core.units import FP32, Precision
from convcost.errors import ConvcostError


class Traffic(NamedTuple):
    """FLOPs and bytes of one layer (or stage, or sum), exact."""

    flops: int
    bytes: int

    @property
    def intensity(self) -> float | None:
        """FLOP per byte, the float nearest the exact ratio (int / int is correctly rounded); None for 0 bytes."""
        return self.flops / self.bytes if self.bytes else None


def traffic(cost: Cost, prec: Precision = FP32) -> Traffic:
    """FLOPs and bytes of a cost counted at the batch (``batched``): ``2 x mults`` and
    ``a x (input + output elements) + w x weight elements``."""
    return Traffic(2 * cost.mults, prec.act_bytes * (cost.input_elems + cost.output_elems) + prec.weight_bytes * cost.weight_elems)


def add_traffic(items: Iterable[Traffic]) -> Traffic:
    """The sum of several layers' traffic (a factorized layer's stages, a network)."""
    total_flops = total_bytes = 0
    for t in items:
        total_flops += t.flops
        total_bytes += t.bytes
    return Traffic(total_flops, total_bytes)


COMPUTE = "compute"
MEMORY = "memory"


class Timing(NamedTuple):
    """A roofline time: seconds as an exact fraction, and which roof it sits under."""

    seconds: Fraction
    bound: str
    """``compute`` or ``memory``; for a sum, the roof under which most of its time is spent."""


def roofline_time(t: Traffic, peak: Fraction, bandwidth: Fraction) -> Timing:
    """``max(FLOPs / peak, bytes / bandwidth)``; peak in FLOP/s, bandwidth in B/s (both > 0)."""
    # lazy: fractions only when a time is asked for (a device); peak memory only for a model
    from fractions import Fraction

    compute = Fraction(t.flops) / peak
    memory = Fraction(t.bytes) / bandwidth
    if compute >= memory:  # a tie (0 FLOPs and 0 bytes too) counts as compute
        return Timing(compute, COMPUTE)
    return Timing(memory, MEMORY)


def add_timings(items: Iterable[Timing | None]) -> Timing:
    """Layers run one after another: times add, and the sum is bound by the roof under which
    most of its time is spent (:func:`dominant`). Parts without a time count nothing."""
    return _summed(_spent(items))


def dominant(compute_seconds: Fraction, memory_seconds: Fraction) -> str:
    """The bound of a sum of layers: ``compute`` when its compute-bound layers take at least as
    long as its memory-bound ones (a tie counts as compute, as for one layer), else ``memory``."""
    return COMPUTE if compute_seconds >= memory_seconds else MEMORY


def _spent(items: Iterable[Timing | None]) -> dict[str, Fraction]:
    """Seconds spent under each roof."""
    # lazy: fractions only when a time is asked for (a device); peak memory only for a model
    from fractions import Fraction

    spent = {COMPUTE: Fraction(0), MEMORY: Fraction(0)}
    for t in items:
        if t is not None:
            spent[t.bound] += t.seconds
    return spent


def _summed(spent: dict[str, Fraction]) -> Timing:
    return Timing(spent[COMPUTE] + spent[MEMORY], dominant(spent[COMPUTE], spent[MEMORY]))


def ridge(peak: Fraction, bandwidth: Fraction) -> Fraction:
    """The intensity at which the two roofs meet: ``peak / bandwidth`` FLOP per byte."""
    return peak / bandwidth


def attainable(intensity: Fraction, peak: Fraction, bandwidth: Fraction) -> Fraction:
    """The roofline itself: ``min(peak, intensity x bandwidth)`` FLOP/s."""
    return min(peak, intensity * bandwidth)


# --- layers and networks ----------------------------------------------------------------


class Setup(NamedTuple):
    """What the figures are computed for: the precision and batch, and the device (None: bytes and intensity only)."""

    precision: Precision = FP32
    device: Device | None = None

    @property
    def peak(self) -> Fraction:
        """The device's peak for the activation dtype."""
        assert self.device is not None
        return self.device.peak(self.precision.dtype)


class Figures(NamedTuple):
    """A layer's roofline figures; a factorized layer's are its stages' sums, each stage its own layer."""

    traffic: Traffic
    timing: Timing | None
    """None without a device."""
    stages: tuple[Figures, ...] = ()


def figures(costs: Sequence[Cost], setup: Setup) -> Figures:
    """Figures of a layer made of ``costs`` (one per stage, counted at the batch)."""
    parts = []
    for cost in costs:
        t = traffic(cost, setup.precision)
        timing = roofline_time(t, setup.peak, setup.device.bandwidth) if setup.device is not None else None
        parts.append(Figures(t, timing))
    if len(parts) == 1:
        return parts[0]
    return combine(parts, keep=True)


def combine(parts: Sequence[Figures], keep: bool = False) -> Figures:
    """Layers run one after another: traffic and time add (``keep``: remember them as stages)."""
    timings = [p.timing for p in parts if p.timing is not None]
    timing = add_timings(timings) if timings and len(timings) == len(parts) else None
    return Figures(add_traffic(p.traffic for p in parts), timing, tuple(parts) if keep else ())


def stage_costs(result: MethodResult, whole: Cost | None, batch: int) -> list[Cost]:
    """The costs of a factorization's stages at ``batch``; weights the stages do not hold
    (a layer's batch norm, in ``whole``) are read with the last stage."""
    costs = [batched(conv_cost(s.conv), batch) for s in result.stages]
    if whole is not None and costs:
        extra = whole.weight_elems - sum(c.weight_elems for c in costs)
        last = costs[-1]
        costs[-1] = last._replace(params=last.params + extra, weight_elems=last.weight_elems + extra)
    return costs


FLOAT_MAX = int(sys.float_info.max)
"""The largest finite float, exactly (``int(sys.float_info.max)``): a JSON or CSV number goes no higher."""


def check_representable(fig: Figures, what: str) -> None:
    """Refuse figures past the float range (JSON has no Infinity and a CSV reader's numbers are
    floats): an intensity or a roofline time above about 1.8e308, of a layer, a stage or a sum.
    ``what`` names it. One rule for every format: the table refuses too."""
    for part in (fig, *fig.stages):
        t = part.traffic
        if t.bytes and t.flops > FLOAT_MAX * t.bytes:
            figure, top, bottom, unit = "arithmetic intensity", t.flops, t.bytes, "FLOP/B"
        elif part.timing is not None and part.timing.seconds > FLOAT_MAX:
            figure, top, bottom, unit = "roofline time", part.timing.seconds.numerator, part.timing.seconds.denominator, "s"
        else:
            continue
        exponent = (top.bit_length() - bottom.bit_length()) * 30103 // 100000  # log10, to within one
        raise ConvcostError(
            f"{what}: its {figure}, about 1e+{exponent} {unit}, is past the largest number JSON and CSV can hold (about 1.8e+308); "
            "convcost refuses figures it cannot state, in every format: give a device with a higher peak and bandwidth, or smaller layers"
        )


def layer_figures(report: LayerReport, setup: Setup) -> LayerFigures:
    """Per cost model of ``convcost layer``: its figures (None where it does not apply); figures
    past the float range are refused (:func:`check_representable`)."""
    batch = setup.precision.batch
    results = tuple(figures(stage_costs(r, None, batch), setup) if r.applicable else None for r in report.results)
    baseline = figures(stage_costs(report.baseline, None, batch), setup)
    check_representable(baseline, "the standard layer")
    for result, fig in zip(report.results, results, strict=True):
        if fig is not None:
            check_representable(fig, result.method)
    return LayerFigures(setup, results, baseline)


class ModelFigures(NamedTuple):
    """A network's roofline: per shown layer, the merges the file implies, the total, the what-if, memory."""

    setup: Setup
    rows: tuple[Figures, ...]
    """One per ``ModelReport.layers`` (of the ``variant`` when one is shown)."""
    base_rows: tuple[Figures, ...]
    """One per layer of the network as written."""
    merges: Figures
    """Residual additions and branch concatenations the file implies (graph nodes, not table rows)."""
    merge_count: int
    base: Figures
    """The network as written."""
    total: Figures
    """The network as shown (``base``, or the variant's)."""
    whatif: tuple[Figures, ...]
    """The network under each ``ModelReport.whatif`` entry."""
    memory: Memory


class _Memo:
    """Figures of identical costs (and of shared what-if alternatives) computed once: the walk
    shares one record per distinct layer, so a 100,000-layer network has a few hundred."""

    def __init__(self, setup: Setup, batch: int) -> None:
        self.setup = setup
        self.batch = batch
        self.costs: dict[Cost, Figures] = {}
        self.alts: dict[Alternative, Figures] = {}
        """By the alternative itself (identical layers share one: costed once)."""

    def cost(self, cost: Cost) -> Figures:
        found = self.costs.get(cost)
        if found is None:
            found = self.costs[cost] = figures([cost], self.setup)
        return found

    def alt(self, alt: Alternative) -> Figures:
        found = self.alts.get(alt)
        if found is None:
            found = self.alts[alt] = figures(stage_costs(alt.result, alt.cost, self.batch), self.setup)  # each stage is its own layer
        return found


def _replaced(total: Figures, spent: dict[str, Fraction], old: Sequence[Figures], new: Sequence[Figures]) -> Figures:
    """``total`` (whose time is ``spent`` under each roof) with the ``old`` parts swapped for
    ``new`` ones, in time linear in the swaps."""
    t = total.traffic
    flops = t.flops - sum(f.traffic.flops for f in old) + sum(f.traffic.flops for f in new)
    nbytes = t.bytes - sum(f.traffic.bytes for f in old) + sum(f.traffic.bytes for f in new)
    timing = None
    if total.timing is not None:
        spent = dict(spent)
        for f, sign in [*((f, -1) for f in old), *((f, 1) for f in new)]:
            if f.timing is not None:
                spent[f.timing.bound] += sign * f.timing.seconds
        timing = _summed(spent)
    return Figures(Traffic(flops, nbytes), timing)


def model_figures(report: ModelReport, setup: Setup) -> ModelFigures:
    """Figures for every layer of ``report`` as shown, of the model as written, of each what-if,
    and its peak memory. Costs come counted at ``report.batch``.

    A ``--method`` variant is measured against the model as written (``report.as_written``); a
    variant report without it (built by hand) has its rows taken as they are and no what-if."""
    # lazy: fractions only when a time is asked for (a device); peak memory only for a model
    from convcost.analysis.memory import Memory, peak_memory
    from convcost.factorize import FACTORIZATIONS

    variant = report.variant
    base = report.as_written if variant is not None and report.as_written is not None else report
    alone = variant is not None and report.as_written is None
    batch = base.batch
    setup = setup._replace(precision=setup.precision._replace(batch=batch))  # the batch the costs count (a file's batch: too)
    graph = base.graph
    memo = _Memo(setup, batch)
    hidden = [row for row in base.nodes if graph is not None and row.node >= 0 and graph.nodes[row.node].hidden]
    merges = combine([memo.cost(row.cost) for row in hidden]) if hidden else figures([ZERO], setup)
    rows = [memo.alt(row.built) if row.built is not None else memo.cost(row.cost) for row in base.layers]
    parts = [*rows, merges]
    total = combine(parts)
    swaps: list[tuple[list[int], list[Figures]]] = []  # per factorization: the rows it changes, and their new figures
    if not alone:
        changed: list[tuple[list[int], list[Figures]]] = [([], []) for _ in FACTORIZATIONS]
        for k, row in enumerate(base.layers):
            for i, alt in enumerate(row.alternatives):
                if alt is not None:
                    changed[i][0].append(k)
                    changed[i][1].append(memo.alt(alt))
        swaps = changed
    spent = _spent(f.timing for f in parts)
    # one per what-if entry (the report leaves out trailing models no layer's rank shows, e.g. 2plus1d in 2-D)
    whatif = tuple(_replaced(total, spent, [rows[k] for k in where], new) for where, new in swaps[: len(base.whatif)])
    shown, shown_total = rows, total
    if not alone and variant is not None and variant != "standard":
        where, new = swaps[FACTORIZATIONS.index(variant)]
        shown = list(rows)
        for k, fig in zip(where, new, strict=True):
            shown[k] = fig
        shown_total = whatif[FACTORIZATIONS.index(variant)]
    checked: set[int] = set()  # rows share their Figures (identical layers): each is checked once
    for row, fig in zip(base.layers, rows, strict=True):
        if id(fig) not in checked:
            checked.add(id(fig))
            check_representable(fig, f"layer {row.index} {row.name!r}")
    check_representable(merges, "the residual additions and concatenations")
    check_representable(total, "the network")
    for option, fig in zip(base.whatif, whatif, strict=False):
        check_representable(fig, f"the network under {option.method}")
    weights = sum(row.cost.weight_elems for row in report.nodes)  # the network as shown holds these
    prec = setup.precision
    memory = peak_memory(graph, weights, prec) if graph is not None else Memory(0, -1, prec.weight_bytes * weights)
    return ModelFigures(setup, tuple(shown), tuple(rows), merges, len(hidden), total, shown_total, whatif, memory)


def row_figures(report: ModelReport, mf: ModelFigures) -> Callable[[LayerRow], Figures | None]:
    """Each table row's figures: a layer's, or a ``--depth`` block row's sum of its layers'."""
    by_node = {row.node: fig for row, fig in zip(report.layers, mf.rows, strict=True)}
    blocks = {b.name: b for b in report.blocks}

    def get(row: LayerRow) -> Figures | None:
        if row.type == "block" and row.name in blocks:
            b = blocks[row.name]
            return combine([fig for node, fig in by_node.items() if b.first <= node <= b.last])
        return by_node.get(row.node)

    return get


SORT_KEYS = ("mults", "params", "bytes", "time")
"""``model --sort``: the figures the rows can be ordered by (``bytes`` and ``time`` from the roofline)."""


def shown_rows(report: ModelReport, figures: Callable[[], ModelFigures]) -> tuple[LayerRow, ...]:
    """The rows the tables show: ``report.table_rows``, heaviest first by ``report.sort`` (mults with
    ``--top`` alone), ties in network order, and only the first ``report.top`` of them."""
    rows = report.table_rows
    key = report.sort or ("mults" if report.top is not None else None)
    if key is None:
        return rows
    if key in ("mults", "params"):
        ordered = sorted(rows, key=lambda r: -(r.mults if key == "mults" else r.params))
    else:
        get = row_figures(report, figures())

        def weight(row: LayerRow) -> int | Fraction:
            fig = get(row)
            if fig is None:
                return 0
            if key == "bytes":
                return -fig.traffic.bytes
            return -fig.timing.seconds if fig.timing is not None else 0

        ordered = sorted(rows, key=weight)
    return tuple(ordered if report.top is None else ordered[: report.top])


class LayerFigures(NamedTuple):
    """``convcost layer``'s roofline: the setup, and per cost model its figures (None where it does not apply)."""

    setup: Setup
    figures: tuple[Figures | None, ...]
    baseline: Figures
    """The standard layer's (what time saved is measured against)."""
