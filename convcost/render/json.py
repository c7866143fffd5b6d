"""Every JSON document convcost prints, built here and only here, from the report records and their figures.

Exact integers stay integers (mults, params, FLOPs, bytes). Intensity, seconds and percentages
are the float nearest the exact fraction (int / int and float(Fraction) round once, correctly);
never NaN or Infinity: an undefined ratio is null (a figure past a float's range is refused
before it gets here, by the roofline analysis). The records know nothing of JSON: each record's
dict (its rows, totals and what-if) and the figures, the setup, the device, memory and the
budget verdict are all written here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from convcost.analysis.roofline import Setup, layer_figures, model_figures, ridge, shown_rows
from convcost.core.cost import change_pct, reduction_pct, speedup
from convcost.factorize import chosen_ranks
from convcost.ops.registry import kernel_lists
from convcost.render.formats import json_text

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.devices import Device
    from convcost.analysis.diff import DiffReport, DiffRow
    from convcost.analysis.memory import Memory
    from convcost.analysis.network import Alternative, BlockTotal, LayerRow, ModelReport, WhatIf
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures, Timing
    from convcost.analysis.training import LayerTraining, ModelTraining, Training, TrainingRun
    from convcost.factorize import LayerReport
    from convcost.factorize.base import Extra, Stage
    from convcost.separable import Separability


# --- the documents ----------------------------------------------------------------------------


def layer_json(
    report: LayerReport,
    checks: Sequence[BudgetCheck] = (),
    roofline: Callable[[], LayerFigures] | None = None,
    training: Callable[[], LayerTraining] | None = None,
) -> str:
    """``convcost layer --format json``: bytes and intensity per method and stage (fp32, batch 1
    unless ``roofline`` says otherwise; with a device, bound and time too), the budget verdict
    when budgets were given, and the training cost under ``--training``."""
    figures = roofline() if roofline is not None else layer_figures(report, Setup())
    data = _extend_layer(layer_report_dict(report), figures)
    if training is not None:
        _layer_training(data, report, figures, training())
    return json_text(_with_budget(data, checks), flat_depth=4)


def model_json(
    report: ModelReport,
    checks: Sequence[BudgetCheck] = (),
    roofline: Callable[[], ModelFigures] | None = None,
    training: Callable[[], ModelTraining] | None = None,
) -> str:
    """``convcost model --format json``: bytes and intensity per layer and peak memory (fp32,
    batch 1 unless ``roofline`` says otherwise; with a device, bound and time too), the budget
    verdict when budgets were given, and the training cost under ``--training``."""
    data = model_report_dict(report)
    if report.graph is not None and report.graph.notes:
        data["notes"] = list(report.graph.notes)
    figures = roofline() if roofline is not None else model_figures(report, Setup())
    data = _extend_model(data, report, figures)
    if report.sort is not None or report.top is not None:  # every row stays; the order the tables show is added
        rows = shown_rows(report, lambda: figures)
        # by name: a --depth block row's index is its first layer's, so only names say which rows are shown
        data["order"] = {"by": report.sort or "mults", "top": report.top, "rows": [row.name for row in rows]}
    if training is not None:
        _model_training(data, report, figures, training())
    return json_text(_with_budget(data, checks), flat_depth=2)


def diff_json(report: DiffReport, checks: Sequence[BudgetCheck] = ()) -> str:
    """``convcost diff --format json``."""
    return json_text(_with_budget(diff_report_dict(report), checks), flat_depth=3)


def separability_json(result: Separability) -> str:
    """``convcost separable --format json``."""
    return json_text(separability_dict(result))


def devices_json(table: dict[str, Device]) -> str:
    """``convcost devices --format json``: exact figures, integers where whole, else the nearest float."""
    # lazy: model JSON only
    import json

    return json.dumps({"devices": [device_entry_dict(dev) for dev in table.values()]}, indent=2)


def _with_budget(data: dict[str, Any], checks: Sequence[BudgetCheck]) -> dict[str, Any]:
    """Add the verdict ``"budget"`` when budgets were given."""
    if checks:
        data["budget"] = budget_dict(tuple(checks))
    return data


# --- training (--training) ------------------------------------------------------------------


def training_dict(t: Training | None) -> dict[str, int | None]:
    """The three training keys (null where the method does not apply)."""
    if t is None:
        return {"training_mults": None, "backward_input_mults": None, "backward_weight_mults": None}
    return {
        "training_mults": t.training_mults,
        "backward_input_mults": t.backward_input_mults,
        "backward_weight_mults": t.backward_weight_mults,
    }


def _step_dict(fig: Figures | None) -> dict[str, Any]:
    """``training_bytes`` and ``training_time_s`` (a device was given)."""
    if fig is None:
        return {"training_bytes": None}
    data: dict[str, Any] = {"training_bytes": fig.traffic.bytes}
    if fig.timing is not None:
        data["training_time_s"] = float(fig.timing.seconds)
    return data


def run_dict(run: TrainingRun) -> dict[str, Any]:
    """``--samples``/``--epochs``: the run's compute (FLOPs = 2 x mults) and, with a device, its bound time."""
    return {
        "samples": run.samples,
        "epochs": run.epochs,
        "batch": run.batch,
        "training_mults": run.training_mults,
        "training_flops": run.training_flops,
        "time_s": None if run.seconds is None else float(run.seconds),
    }


def _layer_training(data: dict[str, Any], report: LayerReport, lf: LayerFigures, lt: LayerTraining) -> None:
    """Add the training keys to ``convcost layer``'s JSON: per method and stage, and the run."""
    from convcost.analysis.training import layer_step, stage_step, training_run  # lazy: the training analysis only under --training

    timed = lf.setup.device is not None  # the step's bytes and time: with a device, as in the tables
    step = layer_step(lf, lt)
    for index, (entry, whole, parts, fig) in enumerate(zip(data["methods"], lt.methods, lt.stages, step.rows, strict=True)):
        entry.update(training_dict(whole))
        if timed:
            entry.update(_step_dict(fig))
        for at, (stage, part) in enumerate(zip(entry["stages"], parts, strict=True)):
            stage.update(training_dict(part))
            if timed:
                stage.update(_step_dict(stage_step(lf, lt, index, at)))
    first = lt.methods[0] if lt.methods else None
    seconds = step.total.timing.seconds if step.total is not None and step.total.timing is not None else None
    run = training_run(first, report.batch, lt.settings, seconds) if first is not None else None
    data["training"] = {"first_layer": lt.settings.first_layer, "method": report.results[0].method if report.results else None}
    if run is not None:
        data["training"]["run"] = run_dict(run)


def _model_training(data: dict[str, Any], report: ModelReport, mf: ModelFigures, mt: ModelTraining) -> None:
    """Add the training keys to ``convcost model``'s JSON: per layer, the totals, the what-if, the step, memory and the run."""
    from convcost.analysis.training import model_step, training_run  # lazy: the training analysis only under --training

    timed = mf.setup.device is not None  # the step's bytes and time: with a device, as in the tables
    step = model_step(mf, mt) if timed else None
    for entry, t in zip(data["layers"], mt.rows, strict=True):  # written out: a network has 100,000 rows
        entry["training_mults"] = t.forward_mults + t.backward_input_mults + t.backward_weight_mults
        entry["backward_input_mults"] = t.backward_input_mults
        entry["backward_weight_mults"] = t.backward_weight_mults
    if step is not None:
        for entry, fig in zip(data["layers"], step.rows, strict=True):
            entry.update(_step_dict(fig))
        data["roofline"].update(_step_dict(step.total))
    data["totals"].update(training_dict(mt.total))
    for entry, t in zip(data["whatif"], mt.whatif, strict=False):
        entry.update(training_dict(t))
    m = mt.memory
    training: dict[str, Any] = {
        "optimizer": m.optimizer,
        "memory": {
            "weights_bytes": m.weights_bytes,
            "gradients_bytes": m.gradients_bytes,
            "optimizer_bytes": m.optimizer_bytes,
            "activations_bytes": m.activations_bytes,
            "total_bytes": m.total_bytes,
        },
    }
    seconds = step.total.timing.seconds if step is not None and step.total is not None and step.total.timing is not None else None
    run = training_run(mt.total, report.batch, mt.settings, seconds)
    if run is not None:
        training["run"] = run_dict(run)
    data["training"] = training


# --- the records -----------------------------------------------------------------------------


def stage_dict(stage: Stage) -> dict[str, Any]:
    """A stage: its shapes, mults (for its batch), params and its convolution's settings."""
    c = stage.conv
    return {
        "name": stage.name,
        "in": c.inp.as_list(),
        "out": c.out.as_list(),
        "mults": stage.mults,
        "params": c.params,
        "k": list(c.k),
        "stride": list(c.stride),
        "padding": list(c.padding),
        "dilation": list(c.dilation),
        "groups": c.groups,
    }


def _saved(base: int | None, value: int | None) -> float | None:
    return None if base is None or value is None else reduction_pct(base, value)


def layer_report_dict(report: LayerReport) -> dict[str, Any]:
    """``convcost layer``'s document before figures: the layer and one entry per method."""
    c = report.conv
    methods = []
    for r in report.results:
        entry: dict[str, Any] = {
            "method": r.method,
            "applicable": r.applicable,
            "reason": r.reason,
            "mults": r.mults,
            "params": r.params,
            "mults_reduction_pct": _saved(report.baseline.mults, r.mults),
            "params_reduction_pct": _saved(report.baseline.params, r.params),
            "speedup": None if r.mults is None else speedup(c.mults * report.batch, r.mults),
            "stages": [stage_dict(s) for s in r.stages],
        }
        entry.update(r.extra)
        methods.append(entry)
    layer = {
        "name": report.spec.name,
        "in": c.inp.as_list(),
        "out": c.out.as_list(),
        "k": list(c.k),
        "stride": list(c.stride),
        "padding": list(c.padding),
        "dilation": list(c.dilation),
        "groups": c.groups,
        "bias": c.bias,
    }
    return {"layer": layer, "methods": methods}


_kernel_cache: dict[str, dict[str, list[int] | None]] = {}


def _kernel_keys(kernel: str) -> dict[str, list[int] | None]:
    """``"k"`` and ``"stride"`` as lists (as in ``convcost layer``'s JSON) beside the ``"kernel"`` text; null without a kernel."""
    keys = _kernel_cache.get(kernel)
    if keys is None:  # a network repeats a few kernels: each parsed once
        lists = kernel_lists(kernel)
        keys = _kernel_cache[kernel] = {"k": None, "stride": None} if lists is None else {"k": lists[0], "stride": lists[1]}
    return keys


def row_dict(row: LayerRow, ranks: Mapping[str, Extra] | None) -> dict[str, Any]:
    """A model's layer row; ``ranks``: what each factorization chose for it (:func:`chosen_ranks`)."""
    keys = _kernel_keys(row.kernel)
    return {
        "index": row.index,
        "name": row.name,
        "type": row.type,
        "in": row.inp.as_list(),
        "out": row.out.as_list(),
        "kernel": row.kernel,
        "k": keys["k"],
        "stride": keys["stride"],
        "mults": row.mults,
        "params": row.params,
        "as": row.method,
        "ranks": ranks,
        **({"reason": row.reason} if row.reason is not None else {}),
    }


def _row_dicts(rows: Sequence[LayerRow]) -> list[dict[str, Any]]:
    """Every row. Layers costed once share one tuple of alternatives (whose members hash by
    identity, so the tuple is a cheap key): their ranks are worked out once."""
    ranks: dict[tuple[Alternative | None, ...], Mapping[str, Extra] | None] = {}
    found: list[dict[str, Any]] = []
    for row in rows:
        alts = row.alternatives
        if alts not in ranks:
            ranks[alts] = chosen_ranks([a.ranks() if a else None for a in alts], len(row.inp) - 1) if alts else None
        found.append(row_dict(row, ranks[alts]))
    return found


def whatif_dict(w: WhatIf) -> dict[str, Any]:
    """A what-if row: the model's totals with one factorization applied where it applies."""
    return {
        "method": w.method,
        "mults": w.mults,
        "params": w.params,
        "mults_reduction_pct": w.mults_reduction_pct,
        "params_reduction_pct": w.params_reduction_pct,
        "layers_changed": w.layers_changed,
    }


def block_dict(b: BlockTotal) -> dict[str, Any]:
    """A block's subtotal: name, depth, layers, mults, params."""
    return {"name": b.name, "depth": b.depth, "layers": b.layers, "mults": b.mults, "params": b.params}


def model_report_dict(report: ModelReport) -> dict[str, Any]:
    """``convcost model``'s document before figures: layers, totals, what-if, blocks."""
    return {
        "name": report.name,
        "input": report.input.as_list(),
        "output": report.output.as_list(),
        "variant": report.variant,
        "method": report.variant,  # the one word for it everywhere ("variant" kept for scripts that read it)
        "layers": _row_dicts(report.layers),
        "totals": {"mults": report.mults, "params": report.params},
        "whatif": [whatif_dict(w) for w in report.whatif],
        "blocks": [block_dict(b) for b in report.blocks],
    }


def _diff_side(row: LayerRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"index": row.index, "name": row.name, "type": row.type, "out": row.out.as_list(), "mults": row.mults, "params": row.params}


def diff_row_dict(row: DiffRow) -> dict[str, Any]:
    """A diff row: its status, both sides (null where absent) and the changes."""
    return {
        "status": row.status,
        "base": _diff_side(row.base),
        "proposed": _diff_side(row.proposed),
        "mults_change": row.mults_change,
        "params_change": row.params_change,
    }


def diff_report_dict(report: DiffReport) -> dict[str, Any]:
    """``convcost diff``'s document: both models' totals, the change, the layers."""

    def side(m: ModelReport) -> dict[str, Any]:
        return {"name": m.name, "file": m.source, "mults": m.mults, "params": m.params}

    b, p = report.base, report.proposed
    return {
        "base": side(b),
        "proposed": side(p),
        "change": {
            "mults": p.mults - b.mults,
            "params": p.params - b.params,
            "mults_pct": change_pct(b.mults, p.mults),
            "params_pct": change_pct(b.params, p.params),
        },
        "layers": [diff_row_dict(row) for row in report.rows],
    }


def _entry(x: int | Fraction | float) -> Any:
    """A kernel entry: a float as it is, a fraction as its integer or its text (``"-1/16"``)
    (``fractions`` is not imported for this: the layer path never loads it)."""
    if isinstance(x, (int, float)):
        return x
    return x.numerator if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def separability_dict(result: Separability) -> dict[str, Any]:
    """``convcost separable``'s document (every number finite)."""
    return {
        "kernel": [[_entry(x) for x in r] for r in result.rows],
        "size": [len(result.rows), len(result.rows[0])],
        "rank": result.rank,
        "separable": result.separable,
        "exact": result.exact,
        "tolerance": result.tolerance,
        "pairs": [{"vertical": [_entry(x) for x in c], "horizontal": [_entry(x) for x in r]} for c, r in result.pairs],
        "mults_per_pixel": {"kernel": result.full_cost, "pairs": result.pair_cost},
    }


# --- their parts --------------------------------------------------------------------------


def figures_dict(fig: Figures) -> dict[str, Any]:
    """``{"bytes", "intensity"}``, and ``"bound"``, ``"time_s"`` when there is a device."""
    data: dict[str, Any] = {"bytes": fig.traffic.bytes, "intensity": fig.traffic.intensity}
    if fig.timing is not None:
        data["bound"] = fig.timing.bound
        data["time_s"] = float(fig.timing.seconds)
    return data


def reduction(base: Timing | None, value: Timing | None) -> float | None:
    """``100 x (base - value) / base`` for two times (None without a device or for a zero base)."""
    if base is None or value is None or not base.seconds:
        return None
    return float(100 * (base.seconds - value.seconds) / base.seconds)


def setup_dict(setup: Setup, total: Figures) -> dict[str, Any]:
    """The model-level ``"roofline"`` object: what the figures assume, and the total."""
    p = setup.precision
    data = {"dtype": p.dtype, "weight_dtype": p.weight_dtype, "batch": p.batch, "flops": total.traffic.flops}
    return {**data, **figures_dict(total)}


def device_dict(setup: Setup) -> dict[str, Any]:
    """``"device"``: its key and name, the peak in use, bandwidth, ridge point and source."""
    device = setup.device
    assert device is not None
    peak = setup.peak
    return {
        "key": device.key,
        "name": device.name,
        "dtype": setup.precision.dtype,
        "peak_flops": exact_number(peak),
        "bandwidth_bytes_per_s": exact_number(device.bandwidth),
        "ridge_flops_per_byte": float(ridge(peak, device.bandwidth)),
        "source": device.source,
    }


def stages_list(stages: Sequence[Stage], fig: Figures, batch: int, params: int) -> list[dict[str, Any]]:
    """A factorized layer's stages in JSON, each with its own figures (``fig.stages``, or ``fig``
    for one stage). Parameters the stages do not hold (a layer's batch norm, ``params`` in all)
    are the last stage's, as its bytes count them (:func:`stage_costs`): the stages add up to the row."""
    # lazy: model JSON only
    from dataclasses import replace

    parts = fig.stages or (fig,)
    found = [{**stage_dict(replace(s, batch=batch)), **figures_dict(part)} for s, part in zip(stages, parts, strict=True)]
    if found:
        found[-1]["params"] += params - sum(s.params for s in stages)
    return found


def _extend_layer(data: dict[str, Any], lf: LayerFigures) -> dict[str, Any]:
    """Add the roofline keys to ``convcost layer``'s JSON: per method and per stage (time saved
    against the standard layer, as mults saved is), and the setup."""
    base, setup = lf.baseline, lf.setup
    for entry, fig in zip(data["methods"], lf.figures, strict=True):
        if fig is None:
            entry.update({"bytes": None, "intensity": None})
            continue
        entry.update(figures_dict(fig))
        if fig.timing is not None:
            entry["time_reduction_pct"] = reduction(base.timing, fig.timing)
        for stage, part in zip(entry["stages"], fig.stages or (fig,), strict=True):
            stage.update(figures_dict(part))
    p = setup.precision
    data["roofline"] = {"dtype": p.dtype, "weight_dtype": p.weight_dtype, "batch": p.batch}
    if setup.device is not None:
        data["device"] = device_dict(setup)
    return data


def _extend_model(data: dict[str, Any], report: ModelReport, mf: ModelFigures) -> dict[str, Any]:
    """Add the roofline keys to ``convcost model``'s JSON: per layer, the total, the what-if, memory."""
    stage_lists: dict[tuple[Alternative, Figures], list[dict[str, Any]]] = {}  # identical layers share their alternative: built once
    for entry, row, fig in zip(data["layers"], report.layers, mf.rows, strict=True):
        entry.update(figures_dict(fig))
        if row.built is not None:  # a factorized layer: each stage is its own layer, as in `convcost layer`
            key = (row.built, fig)
            found = stage_lists.get(key)
            if found is None:
                found = stage_lists[key] = stages_list(row.built.result.stages, fig, report.batch, row.params)
            entry["stages"] = found
    roofline = setup_dict(mf.setup, mf.total)
    roofline["merges"] = {"count": mf.merge_count, **figures_dict(mf.merges)}
    data["roofline"] = roofline
    for entry, fig in zip(data["whatif"], mf.whatif, strict=False):  # no what-if figures for a variant costed alone
        entry.update({"bytes": fig.traffic.bytes, "intensity": fig.traffic.intensity})
        if fig.timing is not None:
            entry["time_s"] = float(fig.timing.seconds)
            entry["time_reduction_pct"] = reduction(mf.base.timing, fig.timing)
    names = [row.name for row in report.nodes]
    data["memory"] = memory_dict(mf.memory, names)
    if mf.setup.device is not None:
        data["device"] = device_dict(mf.setup)
    return data


def memory_dict(memory: Memory, names: Sequence[str]) -> dict[str, Any]:
    """The JSON form: ``{"peak_bytes", "at", "weights_bytes"}``, ``at`` naming the node (``input`` before any)."""
    from convcost.analysis.memory import peak_at  # lazy: model JSON only (the layer path never loads memory)

    return {"peak_bytes": memory.peak_bytes, "at": peak_at(memory, names), "weights_bytes": memory.weights_bytes}


def exact_number(value: Fraction) -> int | float:
    """A JSON number: the integer when whole, else the nearest float."""
    return int(value) if value.denominator == 1 else float(value)


def device_entry_dict(device: Device) -> dict[str, Any]:
    """The JSON form: figures in FLOP/s and bytes/s (``peak`` per dtype; ``*``: every dtype)."""
    return {
        "key": device.key,
        "name": device.name,
        "peak_flops": {d: exact_number(p) for d, p in device.peaks.items()},
        "bandwidth_bytes_per_s": exact_number(device.bandwidth),
        "memory_bytes": exact_number(device.memory) if device.memory is not None else None,
        "source": device.source,
        "note": device.note,
    }


def _json_number(value: int | Fraction) -> int | float:
    """An int as it is; a fraction (seconds) as the nearest float."""
    return value if isinstance(value, int) else float(value)


def budget_dict(checks: tuple[BudgetCheck, ...]) -> dict[str, Any]:
    """The JSON verdict: ``{"mults": {"limit", "value", "ok"}, ...}`` (``time`` in seconds)."""
    return {c.figure: {"limit": _json_number(c.limit), "value": _json_number(c.value), "ok": c.ok} for c in checks}
