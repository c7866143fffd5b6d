"""Results into text: tables, JSON, CSV, Markdown, ``--explain``, exports.

The package API the CLI uses; each name loads its module on first use, so a JSON, CSV or
Markdown command never imports rich (only printing a table to a console, and SVG export, do).

- :mod:`~convcost.render.numbers`: exact figures as text (``778,752``, ``82.6%``, ``5.76x``);
- :mod:`~convcost.render.columns`: columns as data, read by the table, Markdown and CSV views;
- :mod:`~convcost.render.table`: plain-text tables and prose laid out for a width, never cut;
- :mod:`~convcost.render.formats`: JSON, CSV and Markdown text; escaping per medium;
- :mod:`~convcost.render.console`: terminal, width and encoding detection, and :func:`emit`;
- :mod:`~convcost.render.export`: ``--export`` files with their provenance;
- one module per report: :mod:`~convcost.render.layer`, :mod:`~convcost.render.model`,
  :mod:`~convcost.render.diff`, :mod:`~convcost.render.separable`; :mod:`~convcost.render.dispatch`
  maps a report's formats to them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from convcost.render.columns import Column, Sheet, Where, csv_sheet, markdown_sheet, text_table
    from convcost.render.console import Output, emit, encodable
    from convcost.render.diff import diff_csv, diff_markdown, diff_tables
    from convcost.render.dispatch import View, budget_lines, run_views, views
    from convcost.render.export import EXPORT_FORMATS, Provenance, export_text, provenance, write_export
    from convcost.render.formats import csv_text, json_text, markdown_cell, markdown_table, visible, xml_text
    from convcost.render.json import diff_json, layer_json, model_json, separability_json
    from convcost.render.layer import layer_csv, layer_explain, layer_markdown, layer_table
    from convcost.render.model import MODEL_CONVENTION, model_csv, model_markdown, model_tables
    from convcost.render.numbers import (
        change_text,
        fixed,
        num,
        padding_text,
        pair_text,
        reduction_text,
        share_bar,
        share_text,
        signed,
        speedup_text,
    )
    from convcost.render.rows import CONVENTION
    from convcost.render.separable import separable_csv, separable_markdown, separable_text
    from convcost.render.table import Prose, TextTable

_HOMES = {
    "columns": ("Column", "Sheet", "Where", "csv_sheet", "markdown_sheet", "text_table"),
    "console": ("Output", "emit", "encodable"),
    "diff": ("diff_csv", "diff_markdown", "diff_tables"),
    "export": ("EXPORT_FORMATS", "Provenance", "export_text", "provenance", "write_export"),
    "formats": ("csv_text", "json_text", "markdown_cell", "markdown_table", "visible", "xml_text"),
    "layer": ("CONVENTION", "layer_csv", "layer_explain", "layer_markdown", "layer_table"),
    "model": ("MODEL_CONVENTION", "model_csv", "model_markdown", "model_tables"),
    "numbers": (
        "change_text",
        "fixed",
        "num",
        "padding_text",
        "pair_text",
        "reduction_text",
        "share_bar",
        "share_text",
        "signed",
        "speedup_text",
    ),
    "separable": ("separable_csv", "separable_markdown", "separable_text"),
    "table": ("Prose", "TextTable"),
    "dispatch": ("View", "budget_lines", "run_views", "views"),
    "json": ("diff_json", "layer_json", "model_json", "separability_json"),
}
__all__ = [
    "CONVENTION",
    "EXPORT_FORMATS",
    "MODEL_CONVENTION",
    "Column",
    "Output",
    "Prose",
    "Provenance",
    "Sheet",
    "TextTable",
    "View",
    "Where",
    "budget_lines",
    "change_text",
    "csv_sheet",
    "csv_text",
    "diff_csv",
    "diff_json",
    "diff_markdown",
    "diff_tables",
    "emit",
    "encodable",
    "export_text",
    "fixed",
    "json_text",
    "layer_csv",
    "layer_explain",
    "layer_json",
    "layer_markdown",
    "layer_table",
    "markdown_cell",
    "markdown_sheet",
    "markdown_table",
    "model_csv",
    "model_json",
    "model_markdown",
    "model_tables",
    "num",
    "padding_text",
    "pair_text",
    "provenance",
    "reduction_text",
    "run_views",
    "separability_json",
    "separable_csv",
    "separable_markdown",
    "separable_text",
    "share_bar",
    "share_text",
    "signed",
    "speedup_text",
    "text_table",
    "views",
    "visible",
    "write_export",
    "xml_text",
]

_LAZY = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a name's module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convcost.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"convcost.render.{module}"), name)
    globals()[name] = value
    return value
