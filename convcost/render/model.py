"""``convcost model``: the per-layer table and the what-if table, as a table, CSV, Markdown, JSON."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from convcost.core.cost import share_pct, speedup
from convcost.render.columns import Column, Sheet, Where, csv_only, csv_sheet, markdown_sheet, text_table
from convcost.render.formats import markdown_cell, visible
from convcost.render.numbers import num, reduction_text, share_bar, share_text, short
from convcost.render.rows import CONVENTION, AsWritten, Entry, Option, Total, channels_first_hint
from convcost.render.table import Prose, TextTable

if TYPE_CHECKING:
    from convcost.analysis.network import LayerRow, ModelReport
    from convcost.analysis.roofline import ModelFigures
    from convcost.analysis.training import ModelTraining

MODEL_CONVENTION = f"{CONVENTION}; pooling, batch norm and residual additions count none."
MODEL_NOTES = f"{CONVENTION};\npooling, batch norm and residual additions count none."
"""The convention as table notes, on two lines."""


def _type_label(row: LayerRow) -> str:
    return f"{row.type} as {row.method}" if row.method else row.type


def _layer_label(row: LayerRow) -> str:
    """Type and kernel in one cell: ``conv 3x3/2``, ``depthwise 3x3``, ``linear``."""
    label = _type_label(row)
    return f"{label} {row.kernel}" if row.kernel and row.type not in ("pointwise", "shortcut") else label


def layer_columns(report: ModelReport, total: Total, rows: Sequence[LayerRow] | None = None) -> list[Column[Entry]]:
    """The per-layer table's columns (tables, Markdown and the CSV's ``layer``/``total`` rows);
    ``rows``: the rows shown (default every layer), the heaviest of which has a full bar.

    A new column is one entry here: its header, its cell for a layer row and the total row,
    and its CSV name and exact value."""
    peak = max((r.mults for r in (report.layers if rows is None else rows)), default=0)
    everything = total.mults

    def layer(r: Entry) -> LayerRow | None:
        return None if isinstance(r, Total) else r

    return [
        csv_only("section", lambda r: "total" if isinstance(r, Total) else "layer"),
        Column(
            "#",
            lambda r: "" if isinstance(r, Total) else str(r.index),
            right=True,
            csv="index",
            value=lambda r: "" if isinstance(r, Total) else r.index,
        ),
        Column(
            "name",
            lambda r: "total" if isinstance(r, Total) else visible(r.name),
            csv="name",
            value=lambda r: report.name or "" if isinstance(r, Total) else r.name,
            strong=True,
        ),
        csv_only("type", lambda r: "" if isinstance(r, Total) else r.type),
        Column("layer", lambda r: "" if isinstance(r, Total) else _layer_label(r), drop=3),
        Column("input", lambda r: str(report.input if isinstance(r, Total) else r.inp), csv="in", drop=7),
        Column("output", lambda r: str(report.output if isinstance(r, Total) else r.out), csv="out", drop=5),
        csv_only("kernel", lambda r: "" if isinstance(r, Total) else r.kernel),
        Column("mults", lambda r: num(r.mults), right=True, csv="mults", value=lambda r: r.mults, strong=True),
        Column("params", lambda r: num(r.params), right=True, csv="params", value=lambda r: r.params, strong=True, drop=4),
        Column(
            "share\nof mults",
            lambda r: share_text(r.mults, everything),
            right=True,
            csv="share",
            value=lambda r: 100.0 if isinstance(r, Total) else share_pct(r.mults, everything),
            drop=2,
        ),
        Column("", lambda r: "" if layer(r) is None else share_bar(r.mults, peak), where=Where.TABLE, drop=6),
    ]


def whatif_columns(reference: AsWritten) -> list[Column[Option]]:
    """The what-if table's columns (tables, Markdown and the CSV's ``whatif`` rows)."""

    def saved(base: int, value: int) -> str:
        return reduction_text(base, value)

    return [
        csv_only("section", lambda w: "whatif"),
        Column("method", lambda w: "as written" if isinstance(w, AsWritten) else w.method, csv="name"),
        Column("mults", lambda w: num(w.mults), right=True, csv="mults", value=lambda w: w.mults),
        Column("params", lambda w: num(w.params), right=True, csv="params", value=lambda w: w.params, drop=2),
        Column(
            "mults\nsaved",
            lambda w: "" if isinstance(w, AsWritten) else saved(reference.mults, w.mults),
            right=True,
            csv="mults_reduction_pct",
            value=lambda w: None if isinstance(w, AsWritten) else w.mults_reduction_pct,
            drop=1,
        ),
        Column(
            "params\nsaved",
            lambda w: "" if isinstance(w, AsWritten) else saved(reference.params, w.params),
            right=True,
            csv="params_reduction_pct",
            value=lambda w: None if isinstance(w, AsWritten) else w.params_reduction_pct,
            drop=3,
        ),
        Column(
            "layers\nchanged",
            lambda w: "" if isinstance(w, AsWritten) else str(w.layers_changed),
            right=True,
            csv="layers_changed",
            value=lambda w: None if isinstance(w, AsWritten) else w.layers_changed,
            drop=4,
        ),
        csv_only("speedup", lambda w: None if isinstance(w, AsWritten) else speedup(reference.mults, w.mults)),  # last: no column moves
    ]


def _model_title(report: ModelReport) -> str:
    name = visible(report.name or report.source)
    variant = f" as {report.variant} where it applies" if report.variant else ""
    return f"{name}{variant}: {report.input} -> {report.output}"


def _convention(report: ModelReport) -> str:
    """The counting convention under the tables: the source's own lines where it states them
    (an ONNX file: its other nodes, the ops not costed, the counting rule), and the batch."""
    graph = report.graph
    text = "\n".join(graph.notes) if graph is not None and graph.notes else MODEL_NOTES
    if report.batch != 1:
        text += f"\nbatch {report.batch:,}: mults and activations count the whole batch; shapes are per sample."
    inp = report.input
    hint = channels_first_hint(inp.h, inp.w, inp.c, "input:") if graph is None or not graph.notes else ""  # ONNX: NCHW, read as such
    return text + (f"\n{hint}" if hint else "")


def _left_as_written(report: ModelReport) -> str:
    """Under ``--method``: the layers the variant leaves as written although their type might
    suggest otherwise, and why (``up3, up2: a transposed convolution is not factorized``)."""
    if report.variant is None:
        return ""
    why: dict[str, list[str]] = {}
    for row in report.layers:
        if row.reason is not None:
            why.setdefault(row.reason, []).append(visible(row.name))
    return "".join(f"\nLeft as written under {report.variant}: {', '.join(names)} ({reason})." for reason, names in why.items())


def shown(report: ModelReport, roofline: Callable[[], ModelFigures] | None) -> tuple[LayerRow, ...]:
    """The rows the views show: every layer (with --depth the blocks below it as subtotal rows), in
    network order or, with --sort or --top, heaviest first (bytes and time from the roofline)."""
    # lazy: the roofline analysis only for its figures
    from convcost.analysis.roofline import Setup, model_figures, shown_rows

    return shown_rows(report, roofline if roofline is not None else lambda: model_figures(report, Setup()))


def _short_totals(total: Total) -> str:
    """``Total: 4.09 G mults (8.18 G FLOPs), 25.6 M params.``: the exact totals above, in short units."""
    return f"Total: {short(total.mults)} mults ({short(2 * total.mults)} FLOPs), {short(total.params)} params."


def _order_note(report: ModelReport, rows: Sequence[LayerRow]) -> str:
    """Under --sort or --top: which rows the table shows, in what order."""
    if report.sort is None and report.top is None:
        return ""
    by = report.sort or "mults"
    everything = len(report.table_rows)
    if report.top is not None and len(rows) < everything:
        return f"\nThe {len(rows):,} heaviest of {everything:,} rows by {by}, heaviest first; the total is the whole network's."
    return f"\nRows heaviest first by {by}."


def _sheets(
    report: ModelReport,
    mf: ModelFigures | None = None,
    mt: ModelTraining | None = None,
    rows: Sequence[LayerRow] | None = None,
) -> tuple[Sheet[Entry], Sheet[Option]]:
    total = Total(report.mults, report.params)
    rows = report.table_rows if rows is None else rows  # every layer, or with --depth the blocks below it as subtotal rows
    columns = layer_columns(report, total, rows)
    bars = "Bars are scaled to the heaviest layer shown." if report.top is not None else "Bars are scaled to the heaviest layer."
    notes = f"{_short_totals(total)}\n{bars}{_order_note(report, rows)}\n{_convention(report)}" + _left_as_written(report)
    written = report.written if report.variant is not None else total  # under --method, the rows are the variant's
    reference = AsWritten(written.mults, written.params)
    options = whatif_columns(reference)
    if mf is not None:  # the roofline columns: after the shares of mults; time saved next to mults saved
        # lazy: the renderers and the roofline columns only when a view asks for them
        from convcost.render import roofline

        columns = [*columns, *roofline.model_columns(report, mf)]
        notes += "\n" + roofline.model_notes(mf) + "\n" + roofline.memory_note(mf, [row.name for row in report.nodes])
        at = next(i for i, c in enumerate(options) if c.csv == "mults_reduction_pct") + 1
        options = [*options[:at], *roofline.whatif_columns(report, mf), *options[at:]]
    if mt is not None:  # the training columns: after params (and after the roofline's, with a device)
        # lazy: the training columns only under --training
        from convcost.render.training import ModelView

        view = ModelView(report, mt, mf)
        at = next(i for i, c in enumerate(columns) if c.csv == "params") + 1
        columns = [*columns[:at], *view.columns(), *columns[at:]]
        at = next(i for i, c in enumerate(options) if c.csv == "params") + 1
        options = [*options[:at], *view.whatif_columns(), *options[at:]]
        notes += "\n" + view.notes()
    layers: Sheet[Entry] = Sheet(
        columns,
        [*rows, total],
        title=_model_title(report),
        notes=notes,
        style=lambda r: "strong" if isinstance(r, Total) else "dim" if r.mults == 0 else "",
        breaks=lambda r: isinstance(r, Total),
    )
    whatif: Sheet[Option] = Sheet(
        options,
        [reference, *report.whatif],
        title="What if every layer a method applies to were factorized",
        notes=report.whatif_note,
        in_csv=lambda w: not isinstance(w, AsWritten),
    )
    return layers, whatif


def _timed(roofline: Callable[[], ModelFigures] | None) -> ModelFigures | None:
    """The roofline figures when they have a device (the table, CSV and Markdown show them only then)."""
    if roofline is None:
        return None
    mf = roofline()
    return mf if mf.setup.device is not None else None


def _trained(training: Callable[[], ModelTraining] | None) -> ModelTraining | None:
    return None if training is None else training()


def model_csv(
    report: ModelReport, roofline: Callable[[], ModelFigures] | None = None, training: Callable[[], ModelTraining] | None = None
) -> str:
    """``convcost model --format csv``: the layers, then a ``total`` row, then the what-if rows."""
    return csv_sheet(*_sheets(report, _timed(roofline), _trained(training), shown(report, roofline)))


def model_markdown(
    report: ModelReport, roofline: Callable[[], ModelFigures] | None = None, training: Callable[[], ModelTraining] | None = None
) -> str:
    """``convcost model --format markdown``: the layer table and the what-if table."""
    mf = _timed(roofline)
    mt = _trained(training)
    layers, whatif = _sheets(report, mf, mt, shown(report, roofline))
    title = markdown_cell(_model_title(report))
    tail = _convention(report).replace("\n", "  \n") if report.graph is not None and report.graph.notes else MODEL_CONVENTION
    tail += _left_as_written(report).replace("\n", " ")
    if mf is not None:
        # lazy: the renderers and the roofline columns only when a view asks for them
        from convcost.render.roofline import model_notes

        tail += " " + model_notes(mf, markdown=True).replace("\n", " ")
    if mt is not None:
        # lazy: the training columns only under --training
        from convcost.render.training import ModelView

        tail += " " + ModelView(report, mt, mf).notes(markdown=True)
    return f"**{title}**\n\n{markdown_sheet(layers)}\n\n**{whatif.title}**\n\n{markdown_sheet(whatif)}\n\n{tail}"


def model_tables(
    report: ModelReport, roofline: Callable[[], ModelFigures] | None = None, training: Callable[[], ModelTraining] | None = None
) -> list[str | TextTable]:
    """The default ``model`` output: the per-layer table and the what-if table."""
    layers, whatif = _sheets(report, _timed(roofline), _trained(training), shown(report, roofline))
    return [text_table(layers), Prose(""), text_table(whatif)]
