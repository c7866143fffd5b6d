"""Every JSON document convcost prints, built here and only here, from the report records and their figures.

Exact integers stay integers (mults, params, FLOPs, bytes). Intensity, seconds and percentages
are the float nearest the exact fraction (int / int and float(Fraction) round once, correctly);
never NaN or Infinity: an undefined ratio is null (a figure past a float's range is refused
before it gets here, by the roofline analysis). The records' own ``to_dict()`` (the API's data
view of one record) give each document its rows; the figures, the setup, the device, memory and
the budget verdict are added here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from convcost.analysis.roofline import Setup, layer_figures, model_figures, ridge
from convcost.render.formats import json_text

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.devices import Device
    from convcost.analysis.diff import DiffReport
    from convcost.analysis.memory import Memory
    from convcost.analysis.network import Alternative, ModelReport
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures, Timing
    from convcost.factorize import LayerReport
    from convcost.factorize.base import Stage
    from convcost.separable import Separability


# --- the documents ----------------------------------------------------------------------------


def layer_json(report: LayerReport, checks: Sequence[BudgetCheck] = (), roofline: Callable[[], LayerFigures] | None = None) -> str:
    """``convcost layer --format json``: bytes and intensity per method and stage (fp32, batch 1
    unless ``roofline`` says otherwise; with a device, bound and time too), and the budget
    verdict when budgets were given."""
    figures = roofline() if roofline is not None else layer_figures(report, Setup())
    return json_text(_with_budget(_extend_layer(report.to_dict(), figures), checks), flat_depth=4)


def model_json(report: ModelReport, checks: Sequence[BudgetCheck] = (), roofline: Callable[[], ModelFigures] | None = None) -> str:
    """``convcost model --format json``: bytes and intensity per layer and peak memory (fp32,
    batch 1 unless ``roofline`` says otherwise; with a device, bound and time too), and the
    budget verdict when budgets were given."""
    data = report.to_dict()
    if report.graph is not None and report.graph.notes:
        data["notes"] = list(report.graph.notes)
    figures = roofline() if roofline is not None else model_figures(report, Setup())
    return json_text(_with_budget(_extend_model(data, report, figures), checks), flat_depth=2)


def diff_json(report: DiffReport, checks: Sequence[BudgetCheck] = ()) -> str:
    """``convcost diff --format json``."""
    return json_text(_with_budget(report.to_dict(), checks), flat_depth=3)


def separability_json(result: Separability) -> str:
    """``convcost separable --format json``."""
    return json_text(result.to_dict())


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
    found = [{**replace(s, batch=batch).to_dict(), **figures_dict(part)} for s, part in zip(stages, parts, strict=True)]
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
