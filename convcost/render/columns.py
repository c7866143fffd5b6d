"""Columns as data: one list of column specs per report section, read by every view.

A :class:`Column` says what a column is called, how a row shows in it (text for tables and
Markdown) and what CSV writes for it (the exact value); a :class:`Sheet` is the rows and the
columns of one section. The terminal table (:func:`text_table`), Markdown
(:func:`markdown_sheet`) and CSV (:func:`csv_sheet`) iterate the same specs, so they cannot
drift apart, and adding a column to a report is one entry in its list.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from convcost.render.formats import csv_text, markdown_cell, markdown_table
from convcost.render.table import Row, TextTable

R = TypeVar("R")


class Where(enum.Flag):
    """The human views a column appears in (CSV is decided by :attr:`Column.csv`)."""

    NONE = 0
    TABLE = enum.auto()
    MARKDOWN = enum.auto()
    TEXT = TABLE | MARKDOWN


class Column(Generic[R]):
    """One column of a report section (immutable by convention; a plain class with slots, not a
    dataclass, because building a dataclass costs a millisecond of start-up)."""

    __slots__ = ("csv", "drop", "header", "right", "strong", "text", "value", "where")

    def __init__(
        self,
        header: str,
        text: Callable[[R], str] | None,
        right: bool = False,
        csv: str = "",
        value: Callable[[R], object] | None = None,
        where: Where = Where.TEXT,
        drop: int = 0,
        strong: bool = False,
    ) -> None:
        self.header = header
        """Title in tables and Markdown; ``\\n`` splits it over two lines in tables."""
        self.text = text
        """The cell as people read it (``778,752``); None for a CSV-only column."""
        self.right = right
        """Right-justified (figures)."""
        self.csv = csv
        """CSV header; empty: CSV leaves the column out."""
        self.value = value
        """The CSV cell (an exact int, a float percentage, a str, None for empty); default: ``text``."""
        self.where = where
        self.drop = drop
        """Narrow terminals leave out the columns with the highest ``drop`` first; 0: never left out."""
        self.strong = strong
        """Bold in Markdown on a row styled ``strong`` (a method's total, the model's total)."""

    def __repr__(self) -> str:
        return f"Column({self.header!r}, csv={self.csv!r})"


def csv_only(key: str, value: Callable[[R], object]) -> Column[R]:
    """A column that only CSV writes."""
    return Column("", None, csv=key, value=value, where=Where.NONE)


def _plain(row: object) -> str:
    return ""


def _never(row: object) -> bool:
    return False


def _always(row: object) -> bool:
    return True


class Sheet(Generic[R]):
    """One section of a report: rows, columns, and how tables set them (immutable by convention)."""

    __slots__ = ("breaks", "columns", "in_csv", "notes", "rows", "style", "title")

    def __init__(
        self,
        columns: Sequence[Column[R]],
        rows: Sequence[R],
        title: str = "",
        notes: str = "",
        style: Callable[[R], str] = _plain,
        breaks: Callable[[R], bool] = _never,
        in_csv: Callable[[R], bool] = _always,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.title = title
        self.notes = notes
        self.style = style
        """``strong``, ``dim`` or ``""`` per row."""
        self.breaks = breaks
        """True where a row starts a new group (a blank line before it in tables)."""
        self.in_csv = in_csv
        """False for rows that only the human views show (e.g. an ``as written`` reference row)."""

    def shown(self, where: Where) -> list[Column[R]]:
        """The columns of one human view, in order."""
        return [c for c in self.columns if c.where & where and c.text is not None]


def text_table(sheet: Sheet[R]) -> TextTable:
    """The terminal (and ``.txt``, HTML, SVG) view of a sheet."""
    columns = sheet.shown(Where.TABLE)
    getters = [c.text for c in columns if c.text is not None]
    style, breaks = sheet.style, sheet.breaks
    rows = [Row(tuple([get(r) for get in getters]), style(r), breaks(r)) for r in sheet.rows]
    return TextTable(
        tuple(c.header for c in columns),
        tuple(c.right for c in columns),
        tuple(c.drop for c in columns),
        rows,
        sheet.title,
        sheet.notes,
    )


def markdown_sheet(sheet: Sheet[R]) -> str:
    """The Markdown view of a sheet: a GitHub table, strong rows in bold where the column says so."""
    columns = sheet.shown(Where.MARKDOWN)
    rows = []
    for r in sheet.rows:
        strong = sheet.style(r) == "strong"
        cells = []
        for c in columns:
            assert c.text is not None
            cell = markdown_cell(c.text(r))
            cells.append(f"**{cell}**" if strong and c.strong and cell else cell)
        rows.append(cells)
    header = [c.header.replace("\n", " ") for c in columns]
    return markdown_table(header, rows, [c.right for c in columns])


def _csv_value(column: Column[R]) -> Callable[[R], object]:
    if column.value is not None:
        return column.value
    assert column.text is not None
    return column.text


def csv_sheet(*sheets: Sheet[Any]) -> str:
    """The CSV view of one or more sheets: one header, the union of their CSV columns in order of
    first appearance; each sheet's rows fill their own columns and leave the others empty."""
    keys: list[str] = []
    for sheet in sheets:
        keys += [c.csv for c in sheet.columns if c.csv and c.csv not in keys]
    out: list[list[object]] = [list(keys)]
    for sheet in sheets:
        getters = {c.csv: _csv_value(c) for c in sheet.columns if c.csv}
        order = [getters.get(k) for k in keys]
        out += [[None if get is None else get(r) for get in order] for r in sheet.rows if sheet.in_csv(r)]
    return csv_text(out)
