"""A run, from parsed settings to one report record: graph -> costs -> figures -> checks.

``convcost layer``, ``convcost model``, ``convcost diff`` and the Python API all go through
here, so a run means the same from every front door: the CLI parses its flags and renders the
:class:`Run`, the API validates its arguments and returns the run's report. Nothing here
formats text (``render`` does), reads a file (``frontends`` does), or imports click.

The figures (bytes, intensity, bound, time, memory) are computed once, on first use: the JSON
view always shows bytes and intensity (fp32, batch 1 unless the settings say otherwise), the
other views only with a device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from convcost.core.shapes import shown
from convcost.core.units import FP32, Precision
from convcost.errors import ConvcostError

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.devices import Device
    from convcost.analysis.network import ModelReport
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures, Setup
    from convcost.analysis.training import LayerTraining, ModelTraining, TrainingSettings
    from convcost.core.graph import Graph
    from convcost.factorize import LayerReport, LayerSpec, Rank, Target

T = TypeVar("T")
Limits = Mapping[str, "tuple[int, str]"]
"""Budget limits by key (``max-mults``, ``max-params``): the value and the text as written."""

_NO_LIMITS: Limits = MappingProxyType({})

# The records are NamedTuples, not dataclasses: `convcost layer` makes them at start-up, and a
# NamedTuple class costs a fraction of a frozen dataclass's to create.


class DeviceSettings(NamedTuple):
    """The device flags, parsed: the device (or None), the precision and batch, the roofline budgets."""

    device: Device | None = None
    precision: Precision = FP32
    max_time: tuple[Fraction, str] | None = None
    max_bytes: tuple[int, str] | None = None
    batch_given: bool = False
    """``--batch`` was given: it overrides a model file's ``batch:`` (1 included)."""

    @property
    def setup(self) -> Setup:
        """The roofline analysis' view of the settings."""
        # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
        from convcost.analysis.roofline import Setup

        return Setup(self.precision, self.device)


class Settings(NamedTuple):
    """What a run is asked for, parsed and checked (the flags' or the API arguments' values)."""

    rank: Rank | None = None
    mid: int | None = None
    targets: tuple[Target, ...] = ()
    method: str | None = None
    """``model``: the what-if variant whose rows are shown."""
    methods: tuple[str, ...] = ()
    """``layer``: the cost models shown (all of them when empty)."""
    depth: int | None = None
    sort: str | None = None
    """``model --sort``: the figure the tables order their rows by, heaviest first."""
    top: int | None = None
    """``model --top``: how many rows the tables show, the heaviest."""
    limits: Limits = _NO_LIMITS
    """Budgets given as flags or arguments; for a model they win over its file's ``budget:``."""
    device: DeviceSettings | None = None
    training: TrainingSettings | None = None
    """``--training`` (and its flags): the report's training cost beside the forward pass."""


DEFAULT = Settings()
"""A run as asked for by no flag."""


class _Once(Generic[T]):
    """A value computed on first call, then kept."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute = compute
        self._value: list[T] = []

    def __call__(self) -> T:
        if not self._value:
            self._value.append(self._compute())
        return self._value[0]


class Run(NamedTuple):
    """One run's record: the report (a LayerReport, ModelReport or DiffReport), its budget checks,
    and its roofline figures (computed on first use)."""

    report: Any
    checks: tuple[BudgetCheck, ...] = ()
    figures: Callable[[], Any] | None = None
    """The report's LayerFigures or ModelFigures (None for a diff): JSON always shows them, the
    other views when they have a device."""
    settings: Settings = Settings()
    training: Callable[[], Any] | None = None
    """The report's LayerTraining or ModelTraining (computed on first use), under ``--training``."""


def _roofline_checks(
    settings: DeviceSettings | None, total: Callable[[], Figures | None], failed: Callable[[], str]
) -> tuple[BudgetCheck, ...]:
    """``--max-bytes`` and ``--max-time`` against the figures of what the budgets check (``failed``: why there are none)."""
    if settings is None or (settings.max_bytes is None and settings.max_time is None):
        return ()
    from convcost.analysis.budget import check_roofline_budget  # lazy: only with a bytes or time budget

    figures = total()
    if figures is None:
        raise ConvcostError(failed())
    timing = figures.timing
    seconds = timing.seconds if timing is not None else None
    return check_roofline_budget(settings.max_bytes, settings.max_time, figures.traffic.bytes, seconds)


def _setup(settings: Settings) -> Setup:
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.roofline import Setup

    return settings.device.setup if settings.device is not None else Setup()


def _checks(limits: Limits, mults: int, params: int) -> tuple[BudgetCheck, ...]:
    if not limits:
        return ()
    from convcost.analysis.budget import check_budget  # lazy: only with a budget

    return check_budget(limits, mults, params)


def layer_run(spec: LayerSpec, settings: Settings = DEFAULT) -> Run:
    """One layer under every cost model (or ``settings.methods``): the ``layer`` command's graph, one
    ``conv`` node resolved by the conv op; mults count ``--batch``; budgets check the first model shown."""
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.layer import cost_layer_graph
    from convcost.frontends.fields import layer_graph

    report = cost_layer_graph(layer_graph(spec), spec, settings.methods or None)
    device = settings.device
    if device is not None:
        report = report.batched(device.precision.batch)  # mults count the batch, as in `convcost model --batch`
    first = report.results[0]

    def not_applicable() -> str:
        return f"the budget cannot be checked: {first.method} does not apply ({first.reason})"

    checks: tuple[BudgetCheck, ...] = ()
    if settings.limits:
        if first.mults is None or first.params is None:
            raise ConvcostError(not_applicable())
        checks = _checks(settings.limits, first.mults, first.params)
    setup = _setup(settings)
    figures: _Once[LayerFigures] = _Once(lambda: _layer_figures(report, setup))
    checks = (*checks, *_roofline_checks(device, lambda: figures().figures[0], not_applicable))
    training = settings.training
    if training is None:
        return Run(report, checks, figures, settings)
    # lazy: the training analysis only under --training
    from convcost.analysis.training import layer_training

    costs: _Once[LayerTraining] = _Once(lambda: layer_training(report, training))
    return Run(report, checks, figures, settings, costs)


def _layer_figures(report: LayerReport, setup: Setup) -> LayerFigures:
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.roofline import layer_figures

    return layer_figures(report, setup)


def model_run(graph: Graph, settings: Settings = DEFAULT) -> Run:
    """Every node of a graph costed once, the what-if beside it (``settings.method``: that variant's
    rows); ``--batch`` overrides a file's ``batch:``; budgets check the totals shown (the flags win
    over the file's ``budget:``)."""
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.network import cost_graph

    device = settings.device
    if device is not None and device.batch_given:
        graph = graph._replace(batch=device.precision.batch)
    report = cost_graph(graph, settings.rank, settings.mid, settings.method, settings.targets)
    if settings.depth is not None or settings.sort is not None or settings.top is not None:
        report = replace(report, depth=settings.depth, sort=settings.sort, top=settings.top)
    limits = {**(graph.budget or {}), **settings.limits}
    checks = _checks(limits, report.mults, report.params)
    setup = _setup(settings)
    figures: _Once[ModelFigures] = _Once(lambda: _model_figures(report, setup))
    if device is not None and (device.max_bytes is not None or device.max_time is not None):
        _known_shapes(graph)
    checks = (*checks, *_roofline_checks(device, lambda: figures().total, lambda: ""))
    training = settings.training
    if training is None:
        return Run(report, checks, figures, settings)
    # lazy: the training analysis only under --training
    from convcost.analysis.training import model_training

    prec = device.precision if device is not None else FP32
    costs: _Once[ModelTraining] = _Once(lambda: model_training(report, training, prec))
    return Run(report, checks, figures, settings, costs)


def _known_shapes(graph: Graph) -> None:
    """A bytes or time budget is checked only on known shapes: an unknown one would count 0 bytes, a figure
    no tensor has (an ONNX node whose output shape inference could not resolve)."""
    for node, shape in zip(graph.nodes, graph.shapes, strict=True):
        if any(d < 0 for d in getattr(shape, "dims", ())):
            raise ConvcostError(
                f"the budget cannot be checked: the output of {shown(node.name)} has the unknown shape {shape}, "
                "so its bytes and time are unknown"
            )


def _model_figures(report: ModelReport, setup: Setup) -> ModelFigures:
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.roofline import model_figures

    return model_figures(report, setup)


def diff_run(base: Graph, proposed: Graph, settings: Settings = DEFAULT) -> Run:
    """Two graphs costed as written and compared; budgets (the flags, else PROPOSED's ``budget:``) check PROPOSED."""
    # lazy: each command loads only its own analysis (layer, model, diff), the roofline only when figures are shown
    from convcost.analysis.diff import diff_models
    from convcost.analysis.network import cost_graph

    report = diff_models(cost_graph(base), cost_graph(proposed))
    limits = {**(proposed.budget or {}), **settings.limits}
    return Run(report, _checks(limits, report.proposed.mults, report.proposed.params), settings=settings)
