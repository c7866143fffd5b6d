"""``--training``: the training columns and lines of the layer and model views (tables, CSV, Markdown).

The figures come from :mod:`convcost.analysis.training`; JSON writes them in ``render/json.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from convcost.analysis.roofline import combine
from convcost.analysis.training import ZERO, Training, TrainingFigures, add, layer_step, model_step, stage_step, training_run
from convcost.render.columns import Column
from convcost.render.numbers import fixed, num, seconds_text
from convcost.render.rows import AsWritten, Entry, Line, Option, Total

if TYPE_CHECKING:
    from convcost.analysis.network import LayerRow, ModelReport
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures
    from convcost.analysis.training import LayerTraining, ModelTraining, TrainingMemory, TrainingRun
    from convcost.factorize import LayerReport

R = TypeVar("R")

RULE = (
    "Training: an input gradient and a weight gradient each cost the forward pass's mults (groups included); "
    "none for an input with no op with params upstream (the network's input); ops without mults none."
)
"""The rule, as the tables' caption states it (``analysis/training.py`` states it whole)."""


def training_columns(get: Callable[[R], Training | None], drop: int) -> list[Column[R]]:
    """input grad, weight grad and training mults for rows whose training ``get`` finds (None: blank, or ``-``)."""

    def cell(fn: Callable[[Training], int]) -> Callable[[R], str]:
        def text(r: R) -> str:
            t = get(r)
            return "-" if t is None else num(fn(t))

        return text

    def value(fn: Callable[[Training], int]) -> Callable[[R], object]:
        def exact(r: R) -> object:
            t = get(r)
            return None if t is None else fn(t)

        return exact

    figures: list[tuple[str, str, Callable[[Training], int]]] = [
        ("input\ngrad", "backward_input_mults", lambda t: t.backward_input_mults),
        ("weight\ngrad", "backward_weight_mults", lambda t: t.backward_weight_mults),
        ("training\nmults", "training_mults", lambda t: t.training_mults),
    ]
    return [Column(header, cell(fn), right=True, csv=key, value=value(fn), drop=drop) for header, key, fn in figures]


def step_columns(get: Callable[[R], Figures | None], timed: bool, drop: int) -> list[Column[R]]:
    """With a device, as the roofline columns: the training step's bytes (CSV) and time."""
    if not timed:
        return []

    def exact(r: R) -> object:
        fig = get(r)
        return None if fig is None else fig.traffic.bytes

    columns: list[Column[R]] = [Column("training bytes", None, csv="training_bytes", value=exact)]
    if timed:

        def text(r: R) -> str:
            fig = get(r)
            return "" if fig is None or fig.timing is None else seconds_text(fig.timing.seconds)

        def seconds(r: R) -> object:
            fig = get(r)
            return None if fig is None or fig.timing is None else float(fig.timing.seconds)

        columns.append(Column("training\ntime", text, right=True, csv="training_time_s", value=seconds, drop=drop))
    return columns


# --- convcost model -------------------------------------------------------------------------


class ModelView:
    """A model's training figures by table row (a ``--depth`` block row sums its layers)."""

    def __init__(self, report: ModelReport, mt: ModelTraining, mf: ModelFigures | None) -> None:
        self.report = report
        self.mt = mt
        self.by_node = {row.node: t for row, t in zip(report.layers, mt.rows, strict=True)}
        self.step: TrainingFigures | None = model_step(mf, mt) if mf is not None else None
        self.steps = {row.node: f for row, f in zip(report.layers, self.step.rows, strict=True)} if self.step is not None else {}
        self.blocks = {b.name: b for b in report.blocks}

    def _nodes(self, row: LayerRow) -> list[int] | None:
        if row.type == "block" and row.name in self.blocks:
            b = self.blocks[row.name]
            return [node for node in self.by_node if b.first <= node <= b.last]
        return None

    def training(self, r: Entry) -> Training | None:
        if isinstance(r, Total):
            return self.mt.total
        nodes = self._nodes(r)
        return add(self.by_node[n] for n in nodes) if nodes is not None else self.by_node.get(r.node, ZERO)

    def figures(self, r: Entry) -> Figures | None:
        if self.step is None:
            return None
        if isinstance(r, Total):
            return self.step.total
        nodes = self._nodes(r)
        if nodes is None:
            return self.steps.get(r.node)
        return combine([f for n in nodes if (f := self.steps.get(n)) is not None])

    def columns(self) -> list[Column[Entry]]:
        timed = self.step is not None
        return [*training_columns(self.training, 4), *step_columns(self.figures, timed, 4)]

    def whatif_columns(self) -> list[Column[Option]]:
        whatif = dict(zip(self.report.whatif, self.mt.whatif, strict=False))

        def get(w: Option) -> Training | None:
            return self.mt.written if isinstance(w, AsWritten) else whatif.get(w)

        return [*training_columns(get, 4)[2:]]

    def notes(self, markdown: bool = False) -> str:
        """The rule, the step's time, the memory and the run, one line each."""
        lines = [RULE, memory_text(self.mt.memory)]
        total = self.step.total if self.step is not None else None
        if total is not None and total.timing is not None:
            lines.append(f"A training step: {seconds_text(total.timing.seconds)} ({num(total.traffic.bytes)} bytes).")
        seconds = total.timing.seconds if total is not None and total.timing is not None else None
        run = training_run(self.mt.total, self.report.batch, self.mt.settings, seconds)
        if run is not None:
            lines.append(run_text(run))
        return (" " if markdown else "\n").join(lines)


def memory_text(m: TrainingMemory) -> str:
    """``Training memory, a lower bound: ...``."""
    state = f"{m.optimizer} state {num(m.optimizer_bytes)}"
    return (
        f"Training memory, a lower bound: weights {num(m.weights_bytes)} + gradients {num(m.gradients_bytes)} + {state} + "
        f"activations kept for backward {num(m.activations_bytes)} = {num(m.total_bytes)} bytes "
        "(the inputs of ops with mults only: no workspace, no masks or statistics of other ops, no framework overhead)."
    )


def run_text(run: TrainingRun, of: str = "") -> str:
    """``Training run: 1,281,167 samples x 90 epochs: ... mults = ... FLOPs (FLOPs = 2 x mults); ...``
    (``of``: what runs, e.g. ``standard``)."""
    text = (
        f"Training run{f' ({of})' if of else ''}: {num(run.samples)} samples x {num(run.epochs)} epoch{'s' if run.epochs != 1 else ''}: "
        f"{num(run.training_mults)} mults = {num(run.training_flops)} FLOPs (FLOPs = 2 x mults)"
    )
    if run.seconds is not None:
        hours = run.seconds / 3600
        long = f" = {fixed(hours.numerator, hours.denominator, 1)} hours" if hours >= 1 else ""
        text += f"; bound time {seconds_text(run.seconds)}{long} at batch {num(run.batch)} (the last, partial step of an epoch pro rata)"
    return text + "."


# --- convcost layer -------------------------------------------------------------------------


class LayerView:
    """A layer's training figures by table line (a method's total or one of its stages)."""

    def __init__(self, report: LayerReport, lt: LayerTraining, lf: LayerFigures | None) -> None:
        self.report = report
        self.lt = lt
        self.lf = lf
        self.step: TrainingFigures | None = layer_step(lf, lt) if lf is not None else None

    def _at(self, line: Line) -> int:
        return self.report.results.index(line.result)

    def training(self, line: Line) -> Training | None:
        i = self._at(line)
        if line.stage is None:
            return self.lt.methods[i]
        stages: Sequence[Training] = self.lt.stages[i]
        return stages[line.result.stages.index(line.stage)]

    def figures(self, line: Line) -> Figures | None:
        if self.step is None or self.lf is None:
            return None
        i = self._at(line)
        if line.stage is None:
            return self.step.rows[i]
        return stage_step(self.lf, self.lt, i, line.result.stages.index(line.stage))

    def columns(self) -> list[Column[Line]]:
        return [*training_columns(self.training, 6), *step_columns(self.figures, self.step is not None, 6)]

    def notes(self, markdown: bool = False) -> str:
        first = "the layer is fed by the network input (--first-layer): no input gradient; " if self.lt.settings.first_layer else ""
        lines = [RULE.replace("Training: ", f"Training: {first}")]
        step = self.step.total if self.step is not None else None
        seconds = step.timing.seconds if step is not None and step.timing is not None else None
        whole = self.lt.methods[0] if self.lt.methods else None
        run = training_run(whole, self.report.batch, self.lt.settings, seconds) if whole is not None else None
        if run is not None:
            lines.append(run_text(run, self.report.results[0].method))
        return (" " if markdown else "\n").join(lines)
