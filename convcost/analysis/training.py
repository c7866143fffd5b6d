"""Training cost: forward and backward multiply-accumulates per op, a step's bytes and time, a run, memory.

The rule, stated once (the README's "Training cost" and every caption repeat it):

- Every op with mults (a convolution of any kind, a transposed convolution, linear/Gemm, MatMul,
  Einsum) costs, besides its forward pass, one **input gradient** per activation input and one
  **weight gradient** when it has weights, each the forward pass's mults, groups included (a
  grouped convolution's weight gradient sees C/G input channels per group, as its forward pass
  does). A MatMul of two activations has two input gradients and no weight gradient.
- No input gradient is computed for an input that is the network's input (nothing upstream needs
  it), nor for what weightless ops (a pad, an activation, a normalising Sub/Div) make of it alone: a
  tensor needs a gradient only when some op with params is it or lies upstream of it, as in
  autograd (a batch norm counts: it has params); ``convcost layer`` costs its layer as one inside a network unless ``--first-layer`` says it
  is fed by the input. A factorized layer's stages are ops like any other: only the first stage
  can be fed by the input.
- Ops with 0 forward mults (pools, activations, batch norm, additions, concatenations) have 0
  backward mults; bias gradients count none, as bias adds count none forward.
- Bytes: an input gradient reads the output gradient and the weights and writes the input
  gradient; a weight gradient reads the input and the output gradient and writes the weight
  gradient. Each moves the forward pass's element counts, so each backward pass has the forward
  pass's bytes and, as its own kernel, its roofline time. Ops without mults are counted forward
  only (their backward traffic is left out: a lower bound).

``training_mults = forward + backward_input + backward_weight``. FLOPs = 2 x mults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from convcost.analysis.roofline import Figures, Timing, Traffic, check_representable, combine
from convcost.core.graph import INPUT
from convcost.core.units import FP32, Precision

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.network import Alternative, LayerRow, ModelReport
    from convcost.analysis.roofline import LayerFigures, ModelFigures
    from convcost.core.graph import Graph
    from convcost.factorize import LayerReport, MethodResult

OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2}
"""``--optimizer`` -> the copies of the weights its state holds (momentum: one velocity; adam: two moments)."""


class TrainingSettings(NamedTuple):
    """``--training`` and the flags that go with it, parsed."""

    first_layer: bool = False
    """``convcost layer``: the layer is fed by the network input (no input gradient)."""
    samples: int | None = None
    epochs: int | None = None
    optimizer: str = "sgd"


class Training(NamedTuple):
    """Forward and backward multiply-accumulates of one op (or a sum), exact."""

    forward_mults: int = 0
    backward_input_mults: int = 0
    backward_weight_mults: int = 0

    @property
    def training_mults(self) -> int:
        """Forward + input gradients + weight gradient."""
        return self.forward_mults + self.backward_input_mults + self.backward_weight_mults

    @property
    def passes(self) -> int:
        """How many passes of the forward's size a step runs (1 + gradients), for bytes and time."""
        return self.training_mults // self.forward_mults if self.forward_mults else 1


ZERO = Training()


def add(items: Iterable[Training]) -> Training:
    """The field-by-field sum."""
    forward = inputs = weights = 0
    for t in items:
        forward += t.forward_mults
        inputs += t.backward_input_mults
        weights += t.backward_weight_mults
    return Training(forward, inputs, weights)


def op_training(mults: int, gradients: int, weighted: bool) -> Training:
    """One op: ``gradients`` input gradients (its activation inputs not fed by the network input)
    and a weight gradient when ``weighted``, each ``mults``; nothing for an op without mults."""
    if not mults:
        return ZERO
    return Training(mults, mults * gradients, mults if weighted else 0)


def stages_training(stage_mults: Sequence[int], fed_by_input: bool) -> tuple[Training, ...]:
    """A factorized (or standard) layer's stages: each has weights and one activation input, the
    first fed by the layer's input (no input gradient when that is the network input)."""
    return tuple(op_training(m, 0 if fed_by_input and i == 0 else 1, True) for i, m in enumerate(stage_mults))


# --- convcost layer ---------------------------------------------------------------------------


class LayerTraining(NamedTuple):
    """Per cost model of ``convcost layer`` (None where it does not apply): its total and its stages."""

    settings: TrainingSettings
    methods: tuple[Training | None, ...]
    stages: tuple[tuple[Training, ...], ...]


def layer_training(report: LayerReport, settings: TrainingSettings) -> LayerTraining:
    """Each cost model's training cost, its layer fed by the network input under ``--first-layer``."""
    methods: list[Training | None] = []
    stages: list[tuple[Training, ...]] = []
    for r in report.results:
        parts = stages_training([s.mults for s in r.stages], settings.first_layer) if r.mults is not None else ()
        stages.append(parts)
        methods.append(add(parts) if r.mults is not None else None)
    return LayerTraining(settings, tuple(methods), tuple(stages))


# --- convcost model ---------------------------------------------------------------------------


class TrainingMemory(NamedTuple):
    """A lower bound on a training step's memory, in bytes (at the dtypes and batch)."""

    optimizer: str
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    """The activations kept for backward: the inputs of every op with mults, each tensor once."""

    @property
    def total_bytes(self) -> int:
        """The four parts' sum."""
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes


class ModelTraining(NamedTuple):
    """A network's training cost: per shown row, the total, per what-if entry, and memory."""

    settings: TrainingSettings
    rows: tuple[Training, ...]
    """One per ``ModelReport.layers`` (the variant's under ``--method``)."""
    stages: tuple[tuple[Training, ...], ...]
    """Per row: its stages' training (a factorized row; empty for any other)."""
    total: Training
    whatif: tuple[Training, ...]
    """The network under each ``ModelReport.whatif`` entry."""
    written: Training
    """The network as written (``total``, unless ``--method`` shows a variant)."""
    memory: TrainingMemory


def _learned_upstream(graph: Graph, rows: Sequence[LayerRow]) -> list[bool]:
    """Per node: whether some op with params is it or lies upstream of it. Only such a tensor needs a gradient:
    the network's input, and what weightless ops (a pad, an activation, a normalising Sub/Div) make of it alone,
    need none, as autograd computes none there."""
    learned = [row.params > 0 for row in rows]
    for i, node in enumerate(graph.nodes):
        if not learned[i]:
            learned[i] = any(t != INPUT and learned[t] for t in node.inputs)
    return learned


class _Rows:
    """Training of each row and alternative of one graph (a factorization's first stage is
    rebuilt only for a layer fed by the network input)."""

    def __init__(self, report: ModelReport) -> None:
        self.graph = graph = report.graph
        self.batch = report.batch
        self.results: dict[Alternative, MethodResult] = {}
        """Each alternative's stages, rebuilt once (identical layers share one alternative)."""
        self.built: dict[tuple[Alternative, bool], tuple[Training, tuple[Training, ...]]] = {}
        nodes = report.nodes if report.variant is None or report.as_written is None else report.as_written.nodes
        self.learned = _learned_upstream(graph, nodes) if graph is not None and len(nodes) == len(graph.nodes) else None
        """Per node: a tensor that needs a gradient (some op with params is it or upstream of it)."""

    def result(self, alt: Alternative) -> MethodResult:
        found = self.results.get(alt)
        if found is None:
            found = self.results[alt] = alt.result
        return found

    def inputs(self, row: LayerRow) -> tuple[int, ...]:
        return self.graph.nodes[row.node].inputs if self.graph is not None and row.node >= 0 else (INPUT,)

    def gradients(self, row: LayerRow) -> int:
        """How many of the row's inputs need a gradient."""
        learned = self.learned
        if learned is None:
            return sum(1 for t in self.inputs(row) if t != INPUT)
        return sum(1 for t in self.inputs(row) if t != INPUT and learned[t])

    def fed(self, row: LayerRow) -> bool:
        """The row's input needs no gradient (the network's input, or made of it by weightless ops alone)."""
        return self.gradients(row) == 0

    def row(self, row: LayerRow) -> tuple[Training, tuple[Training, ...]]:
        if row.built is not None:
            key = (row.built, self.fed(row))
            found = self.built.get(key)
            if found is None:
                parts = self.stages(self.result(row.built), row.built.cost.mults, key[1])
                found = self.built[key] = (add(parts), parts)
            return found
        if not row.mults:
            return ZERO, ()
        return op_training(row.mults, self.gradients(row), row.params > 0), ()

    def all(self, layers: Sequence[LayerRow]) -> list[tuple[Training, tuple[Training, ...]]]:
        """:meth:`row` of every row, the common case (one op) written out: a network has 100,000 rows."""
        graph, learned = self.graph, self.learned
        if graph is None or learned is None:
            return [self.row(row) for row in layers]
        nodes = graph.nodes
        found: list[tuple[Training, tuple[Training, ...]]] = []
        append = found.append
        none: tuple[Training, ...] = ()
        for row in layers:
            mults = row.mults
            if row.built is not None or row.node < 0:
                append(self.row(row))
            elif not mults:
                append((ZERO, none))
            else:
                gradients = 0
                for t in nodes[row.node].inputs:
                    if t != INPUT and learned[t]:
                        gradients += 1
                append((Training(mults, mults * gradients, mults if row.params else 0), none))
        return found

    def stages(self, result: MethodResult, mults: int, fed: bool) -> tuple[Training, ...]:
        return stages_training([s.mults * self.batch for s in result.stages], fed) if result.stages else (op_training(mults, 1, True),)


def model_training(report: ModelReport, settings: TrainingSettings, precision: Precision = FP32) -> ModelTraining:
    """Every shown row's training cost, the totals, each what-if entry's, and the memory of a step
    (``precision``: the dtypes; the batch is the report's)."""
    base = report.as_written if report.variant is not None and report.as_written is not None else report
    rows = _Rows(report)
    found = rows.all(report.layers)
    shown = tuple(t for t, _ in found)
    total = add(shown)
    written = [t for t, _ in rows.all(base.layers)] if base is not report else list(shown)
    written_total = add(written)
    whatif = _whatif(base, written, written_total, rows)
    memory = training_memory(report, settings.optimizer, precision._replace(batch=report.batch), rows)
    return ModelTraining(settings, shown, tuple(s for _, s in found), total, tuple(whatif), written_total, memory)


def _whatif(base: ModelReport, written: Sequence[Training], total: Training, rows: _Rows) -> tuple[Training, ...]:
    """Each what-if entry: the network as written with every alternative swapped in (one pass, in ints)."""
    count = len(base.whatif)
    forward = [total.forward_mults] * count
    inputs = [total.backward_input_mults] * count
    weights = [total.backward_weight_mults] * count
    for row, old in zip(base.layers, written, strict=True):
        if not row.alternatives:
            continue
        fed: bool | None = None
        for i, alt in enumerate(row.alternatives[:count]):
            if alt is None:
                continue
            if fed is None:
                fed = rows.fed(row)
            mults = alt.cost.mults
            first = rows.result(alt).stages[0].conv.mults * rows.batch if fed else 0
            forward[i] += mults - old.forward_mults
            inputs[i] += mults - first - old.backward_input_mults
            weights[i] += mults - old.backward_weight_mults
    return tuple(Training(f, b, w) for f, b, w in zip(forward, inputs, weights, strict=True))


def training_memory(report: ModelReport, optimizer: str, precision: Precision, rows: _Rows | None = None) -> TrainingMemory:
    """Weights, their gradients, the optimizer's state (``OPTIMIZERS`` copies of the weights), all at
    the weight dtype, and the activations kept for backward (every input of an op with mults, and a
    factorized layer's inner tensors, each once) at the activation dtype and batch."""
    graph = report.graph
    rows = rows if rows is not None else _Rows(report)
    weights = sum(row.cost.weight_elems for row in report.nodes)
    kept: set[int] = set()
    inner = 0
    for row in report.nodes:
        if not row.mults:
            continue
        if graph is not None and row.node >= 0:
            kept.update(graph.nodes[row.node].inputs)
        if row.built is not None:
            for stage in rows.result(row.built).stages[1:]:
                c = stage.conv.inp
                inner += c.h * c.w * c.c
    elements = inner
    if graph is not None:
        shapes, start = graph.shapes, graph.input
        for t in kept:
            shape = start if t == INPUT else shapes[t]
            elements += shape.h * shape.w * shape.c
    w = precision.weight_bytes
    return TrainingMemory(
        optimizer,
        w * weights,
        w * weights,
        w * weights * OPTIMIZERS[optimizer],
        precision.act_bytes * precision.batch * elements,
    )


# --- bytes and time ---------------------------------------------------------------------------


def _scaled(fig: Figures, passes: int) -> Figures:
    """``passes`` runs of a layer whose figures are ``fig`` (each pass its own kernel: bytes and time add)."""
    t, timing = fig.traffic, fig.timing
    scaled = None if timing is None else Timing(timing.seconds * passes, timing.bound)
    return Figures(Traffic(t.flops * passes, t.bytes * passes), scaled)


def step_figures(fig: Figures, parts: Sequence[Training], whole: Training) -> Figures:
    """A layer's training step from its forward figures: each stage's passes (``parts``), or the
    layer's (``whole``) when it is one op."""
    if fig.stages and len(parts) == len(fig.stages):
        return combine([_scaled(f, p.passes) for f, p in zip(fig.stages, parts, strict=True)])
    return _scaled(fig, whole.passes)


class TrainingFigures(NamedTuple):
    """A training step's bytes and time: per row (method) and the total."""

    rows: tuple[Figures | None, ...]
    total: Figures | None


def model_step(mf: ModelFigures, training: ModelTraining) -> TrainingFigures:
    """Per shown row and for the network: the step's figures (the merges, which have no mults, forward only)."""
    memo: dict[tuple[Figures, tuple[Training, ...], Training], Figures] = {}  # identical layers share their figures: each step once
    rows = []
    for f, s, t in zip(mf.rows, training.stages, training.rows, strict=True):
        key = (f, s, t)
        found = memo.get(key)
        if found is None:
            found = memo[key] = step_figures(f, s, t)
        rows.append(found)
    total = combine([*rows, mf.merges])
    check_representable(total, "the training step")
    return TrainingFigures(tuple(rows), total)


def stage_step(lf: LayerFigures, training: LayerTraining, method: int, stage: int) -> Figures | None:
    """One stage's training step: its forward figures times its passes (None where the method does not apply)."""
    fig = lf.figures[method]
    parts = training.stages[method]
    if fig is None or stage >= len(parts):
        return None
    return _scaled(fig.stages[stage] if fig.stages else fig, parts[stage].passes)


def layer_step(lf: LayerFigures, training: LayerTraining) -> TrainingFigures:
    """Per cost model: the step's figures (None where it does not apply)."""
    rows = []
    for fig, whole, parts in zip(lf.figures, training.methods, training.stages, strict=True):
        step = None if fig is None or whole is None else step_figures(fig, parts, whole)
        if step is not None:
            check_representable(step, "the training step")
        rows.append(step)
    return TrainingFigures(tuple(rows), rows[0] if rows else None)


# --- a run ------------------------------------------------------------------------------------


class TrainingRun(NamedTuple):
    """``--samples N --epochs E``: the whole run's compute, and its bound time with a device."""

    samples: int
    epochs: int
    batch: int
    training_mults: int
    """Per sample x samples x epochs."""
    seconds: Fraction | None
    """The step's bound time x samples x epochs / batch (the last, partial step of an epoch pro rata)."""

    @property
    def training_flops(self) -> int:
        """2 x mults."""
        return 2 * self.training_mults


def training_run(step: Training, batch: int, settings: TrainingSettings, seconds: Fraction | None) -> TrainingRun | None:
    """The run ``settings`` ask for (None without ``--samples``): ``step`` counts ``batch`` samples."""
    if settings.samples is None:
        return None
    epochs = settings.epochs or 1
    per_sample = step.training_mults // batch
    time = None if seconds is None else seconds * settings.samples * epochs / batch
    return TrainingRun(settings.samples, epochs, batch, per_sample * settings.samples * epochs, time)
