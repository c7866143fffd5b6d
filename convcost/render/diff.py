"""``convcost diff``: totals side by side, then the layers that differ."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from convcost.render.columns import Column, Sheet, csv_only, csv_sheet, markdown_sheet, text_table
from convcost.render.formats import markdown_cell, visible
from convcost.render.model import MODEL_CONVENTION, MODEL_NOTES
from convcost.render.numbers import change_text, num, signed
from convcost.render.table import Prose, TextTable

if TYPE_CHECKING:
    from convcost.analysis.diff import DiffReport, DiffRow
    from convcost.analysis.network import LayerRow, ModelReport


class Figure(NamedTuple):
    """One row of the totals table: a figure of both models."""

    label: str
    base: int
    proposed: int


TOTAL_COLUMNS: list[Column[Figure]] = [
    Column("", lambda f: f.label),
    Column("base", lambda f: num(f.base), right=True, drop=2),
    Column("proposed", lambda f: num(f.proposed), right=True, drop=3),
    Column("change", lambda f: signed(f.proposed - f.base), right=True),
    Column("change %", lambda f: change_text(f.base, f.proposed), right=True, drop=1),
]
"""The totals table's columns."""


def _side(row: LayerRow | None) -> str:
    return f"{row.index} {visible(row.name)}" if row else ""


LAYER_COLUMNS: list[Column[DiffRow]] = [
    Column("status", lambda r: r.status, csv="status"),
    Column("base\nlayer", lambda r: _side(r.base)),
    csv_only("base_index", lambda r: r.base.index if r.base else ""),
    csv_only("base_name", lambda r: r.base.name if r.base else ""),
    Column("proposed\nlayer", lambda r: _side(r.proposed)),
    csv_only("proposed_index", lambda r: r.proposed.index if r.proposed else ""),
    csv_only("proposed_name", lambda r: r.proposed.name if r.proposed else ""),
    Column(
        "base\nmults",
        lambda r: num(r.base.mults) if r.base else "",
        right=True,
        csv="base_mults",
        value=lambda r: r.base.mults if r.base else "",
        drop=2,
    ),
    Column(
        "proposed\nmults",
        lambda r: num(r.proposed.mults) if r.proposed else "",
        right=True,
        csv="proposed_mults",
        value=lambda r: r.proposed.mults if r.proposed else "",
        drop=3,
    ),
    Column("mults\nchange", lambda r: signed(r.mults_change), right=True, csv="mults_change", value=lambda r: r.mults_change),
    csv_only("base_params", lambda r: r.base.params if r.base else ""),
    csv_only("proposed_params", lambda r: r.proposed.params if r.proposed else ""),
    Column("params\nchange", lambda r: signed(r.params_change), right=True, csv="params_change", value=lambda r: r.params_change, drop=1),
]
"""The changed-layers table's columns (tables, Markdown and CSV, which lists every layer)."""


def _names(report: DiffReport) -> tuple[str, str]:
    """Each side as its file, with the model's name where the file gives one: two files of one network
    (``resnet18.onnx`` and an edit of it) have the same name, but never the same path."""

    def side(m: ModelReport) -> str:
        return visible(m.source) + (f" ({visible(m.name)})" if m.name and m.name != m.source else "")

    return side(report.base), side(report.proposed)


def _layers(count: int) -> str:
    """``12 unchanged layers``, ``1 unchanged layer``."""
    return f"{count:,} unchanged layer{'' if count == 1 else 's'}"


def _unchanged(count: int) -> str:
    return f"{_layers(count)} not shown."


def _no_change(count: int) -> str:
    """What a diff of two models whose layers all agree says instead of an empty table."""
    return f"No layer differs ({_layers(count)})."


def _sheets(report: DiffReport) -> tuple[Sheet[Figure], Sheet[DiffRow]]:
    base, proposed = _names(report)
    b, p = report.base, report.proposed
    figures = [Figure("mults", b.mults, p.mults), Figure("params", b.params, p.params)]
    differing = [r for r in report.rows if r.status != "unchanged"]
    same = len(report.rows) - len(differing)
    totals: Sheet[Figure] = Sheet(TOTAL_COLUMNS, figures, title=f"{base} -> {proposed}")
    notes = f"{_unchanged(same)}\n{MODEL_NOTES}"
    layers: Sheet[DiffRow] = Sheet(LAYER_COLUMNS, differing, title="Layers that differ, heaviest change first", notes=notes)
    return totals, layers


def diff_csv(report: DiffReport) -> str:
    """``convcost diff --format csv``: one row per layer of either model, heaviest changes first."""
    return csv_sheet(Sheet(LAYER_COLUMNS, report.rows))


def diff_markdown(report: DiffReport) -> str:
    """``convcost diff --format markdown``: totals, then the layers that differ."""
    totals, layers = _sheets(report)
    same = len(report.rows) - len(layers.rows)
    title = markdown_cell(totals.title)
    if not layers.rows:  # nothing differs: no empty table
        return f"**{title}**\n\n{markdown_sheet(totals)}\n\n{_no_change(same)} {MODEL_CONVENTION}"
    return f"**{title}**\n\n{markdown_sheet(totals)}\n\n{markdown_sheet(layers)}\n\n{_unchanged(same)} {MODEL_CONVENTION}"


def diff_tables(report: DiffReport) -> list[str | TextTable]:
    """The default ``diff`` output: totals side by side, then the layers that differ, heaviest first."""
    totals, layers = _sheets(report)
    if not layers.rows:  # nothing differs: no empty table
        return [text_table(totals), Prose(""), Prose(f"{_no_change(len(report.rows))}\n{MODEL_NOTES}")]
    return [text_table(totals), Prose(""), text_table(layers)]
