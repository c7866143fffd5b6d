"""The roofline columns (bytes, intensity, bound, time, share of time, time saved) and notes,
as column specs the layer and model views splice into theirs; the caption that states the model.

Every figure is formatted from exact integers and fractions (``render.numbers``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from convcost.analysis.devices import rate_text
from convcost.analysis.memory import peak_at
from convcost.analysis.roofline import ridge, row_figures
from convcost.core.units import storage_dtype
from convcost.render.columns import Column
from convcost.render.formats import markdown_cell, visible
from convcost.render.numbers import fraction_reduction_text, fraction_share_text, intensity_text, num, seconds_text
from convcost.render.rows import AsWritten, Total

if TYPE_CHECKING:
    from convcost.analysis.network import ModelReport
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures, Setup
    from convcost.core.units import Precision
    from convcost.factorize import MethodResult
    from convcost.render.rows import Entry, Line, Option

R = TypeVar("R")

ASSUMPTIONS = (
    "bytes = a x B x (input + output elements) + w x (weight + bias elements): each tensor crosses memory once, "
    "no fusion between layers, no im2col workspace, weights read once per batch; "
    "time = max(FLOPs / peak, bytes / bandwidth), FLOPs = 2 x mults."
)


def markdown_text(text: str) -> str:
    """Untrusted text (a device's name or source) for Markdown: :func:`markdown_cell` (controls shown
    escaped, ``\\``, ``|`` and ``<`` escaped), and ``[``, ``]`` escaped too, so it makes no link."""
    text = markdown_cell(text)
    return text.replace("[", "\\[").replace("]", "\\]") if "[" in text or "]" in text else text


def precision_text(p: Precision) -> str:
    """``fp16``, ``fp16 (weights int8)``, ``tf32 (stored as fp32)``: the precision and how tensors are stored."""
    stored = storage_dtype(p.dtype)
    if stored != p.dtype:
        weights = "" if p.weight_dtype == stored else f"; weights {p.weight_dtype}"
        return f"{p.dtype} (stored as {stored}{weights})"
    return p.dtype if p.weight_dtype == p.dtype else f"{p.dtype} (weights {p.weight_dtype})"


def setup_text(setup: Setup, markdown: bool = False) -> str:
    """``fp16 (weights int8), batch 8 on a100 (NVIDIA A100 80GB SXM): peak 312 TFLOP/s, 2.039 TB/s, ridge 153.0 FLOP/B``.

    The device's name comes from a user's table (or ``--device``): escaped for text (:func:`visible`),
    or with ``markdown`` for Markdown (:func:`markdown_text`)."""
    escape = markdown_text if markdown else visible

    p = setup.precision
    text = f"{precision_text(p)}, batch {p.batch}"
    device = setup.device
    if device is None:
        return text
    r = ridge(setup.peak, device.bandwidth)
    named = escape(device.key) if device.name in (device.key, "") else f"{escape(device.key)} ({escape(device.name)})"
    if device.custom:  # its name is the flag's text, which says all: "custom (peak=1T,bw=1G)", not "custom (custom (...))"
        named = escape(device.name)
    return (
        f"{text}, on {named}: peak {rate_text(setup.peak, 'FLOP/s')}, "
        f"bandwidth {rate_text(device.bandwidth, 'B/s')}, ridge {intensity_text(r.numerator, r.denominator)} FLOP/B"
    )


def notes(setup: Setup, markdown: bool = False) -> str:
    """The caption lines under a table that shows roofline columns (``markdown``: see :func:`setup_text`)."""
    return f"Roofline: {setup_text(setup, markdown)}.\n{ASSUMPTIONS}"


def model_notes(mf: ModelFigures, markdown: bool = False) -> str:
    """The caption under the model table: the setup, the merges the file implies, the assumptions
    (``markdown``: see :func:`setup_text`)."""
    text = f"Roofline: {setup_text(mf.setup, markdown)}."
    merges, total = mf.merges, mf.total
    if mf.merge_count and merges.timing is not None and total.timing is not None:
        count = mf.merge_count
        nodes = f"{count} node{'s' if count != 1 else ''}"
        what = f"{nodes} the file implies or sums in one line (residual additions, concatenations, zero-cost ops)"
        text += (
            f"\nThe total includes the {what}, not rows above: {num(merges.traffic.bytes)} bytes, "
            f"{seconds_text(merges.timing.seconds)} ({fraction_share_text(merges.timing.seconds, total.timing.seconds)} of the time)."
        )
    return f"{text}\n{ASSUMPTIONS}"


def memory_note(mf: ModelFigures, names: Sequence[str]) -> str:
    """``Peak activation memory: 9,633,792 bytes at layer1.add; weights 102,228,128 bytes.``"""

    memory = mf.memory
    at = visible(peak_at(memory, names))
    return f"Peak activation memory: {num(memory.peak_bytes)} bytes at {at}; weights {num(memory.weights_bytes)} bytes."


def _timed(setup: Setup) -> bool:
    return setup.device is not None


def figure_columns(get: Callable[[R], Figures | None], setup: Setup, whole: Figures | None, drops: Sequence[int]) -> list[Column[R]]:
    """bytes, intensity, bound, time and share of time, for rows whose figures ``get`` finds (None: blank cells)."""

    def cell(fn: Callable[[Figures], str]) -> Callable[[R], str]:
        def text(r: R) -> str:
            fig = get(r)
            return "" if fig is None else fn(fig)

        return text

    def value(fn: Callable[[Figures], object]) -> Callable[[R], object]:
        def exact(r: R) -> object:
            fig = get(r)
            return None if fig is None else fn(fig)

        return exact

    columns: list[Column[R]] = [
        Column(
            "bytes", cell(lambda f: num(f.traffic.bytes)), right=True, csv="bytes", value=value(lambda f: f.traffic.bytes), drop=drops[0]
        ),
        Column(
            "FLOP/B",
            cell(lambda f: intensity_text(f.traffic.flops, f.traffic.bytes)),
            right=True,
            csv="intensity",
            value=value(lambda f: f.traffic.intensity),
            drop=drops[1],
        ),
    ]
    if not _timed(setup):
        return columns
    total = whole.timing.seconds if whole is not None and whole.timing is not None else None
    columns += [
        Column("bound", cell(lambda f: f.timing.bound if f.timing else ""), csv="bound", drop=drops[2]),
        Column(
            "time",
            cell(lambda f: seconds_text(f.timing.seconds) if f.timing else ""),
            right=True,
            csv="time_s",
            value=value(lambda f: float(f.timing.seconds) if f.timing else None),
            drop=drops[3],
        ),
    ]
    if total is not None:
        columns.append(
            Column(
                "share\nof time",
                cell(lambda f: fraction_share_text(f.timing.seconds, total) if f.timing else ""),
                right=True,
                csv="time_share",
                value=value(lambda f: float(100 * f.timing.seconds / total) if f.timing and total else 0.0),
                drop=drops[4],
            )
        )
    return columns


# --- convcost model -------------------------------------------------------------------------


def model_columns(report: ModelReport, mf: ModelFigures) -> list[Column[Entry]]:
    """The per-layer table's roofline columns (a block row of ``--depth`` sums its layers)."""

    figures = row_figures(report, mf)

    def get(r: Entry) -> Figures | None:
        return mf.total if isinstance(r, Total) else figures(r)

    return figure_columns(get, mf.setup, mf.total, (7, 9, 8, 1, 1))


def whatif_columns(report: ModelReport, mf: ModelFigures) -> list[Column[Option]]:
    """The what-if table's bytes, time and time saved (to go next to mults saved)."""

    options = {w.method: fig for w, fig in zip(report.whatif, mf.whatif, strict=True)}  # one what-if row per method

    def get(w: Option) -> Figures:
        return mf.base if isinstance(w, AsWritten) else options[w.method]

    columns = [c for c in figure_columns(get, mf.setup, None, (5, 6, 7, 2, 0)) if c.csv in ("bytes", "time_s")]
    base = mf.base.timing
    if base is not None:
        columns.append(
            Column(
                "time\nsaved",
                lambda w: "" if isinstance(w, AsWritten) else _saved(base.seconds, get(w)),
                right=True,
                csv="time_reduction_pct",
                value=lambda w: None if isinstance(w, AsWritten) else _saved_pct(base.seconds, get(w)),
                drop=1,
            )
        )
    return columns


def _saved(base: Any, fig: Figures) -> str:
    return fraction_reduction_text(base, fig.timing.seconds) if fig.timing is not None else ""


def _saved_pct(base: Any, fig: Figures) -> float | None:
    return float(100 * (base - fig.timing.seconds) / base) if fig.timing is not None and base else None


# --- convcost layer -------------------------------------------------------------------------


def layer_columns(lf: LayerFigures, results: Sequence[MethodResult]) -> list[Column[Line]]:
    """The layer table's roofline columns: per method (its stages summed) and per stage; time saved against the standard layer."""
    index = {r.method: i for i, r in enumerate(results)}  # a layer report shows each method once

    def get(ln: Line) -> Figures | None:
        fig = lf.figures[index[ln.result.method]]
        if fig is None or ln.stage is None:
            return fig
        parts = fig.stages or (fig,)
        return parts[ln.result.stages.index(ln.stage)]

    def total(ln: Line) -> Figures | None:
        return None if ln.stage is not None else get(ln)

    columns = figure_columns(get, lf.setup, None, (7, 9, 8, 0, 0))
    base = lf.baseline.timing
    if base is not None:
        columns.append(
            Column(
                "time\nsaved",
                lambda ln: "" if (fig := total(ln)) is None else _saved(base.seconds, fig),
                right=True,
                csv="time_reduction_pct",
                value=lambda ln: None if (fig := total(ln)) is None else _saved_pct(base.seconds, fig),
                drop=6,
            )
        )
    return columns
