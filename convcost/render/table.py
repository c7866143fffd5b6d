"""Plain-text tables and prose, laid out for a width without ever cutting a cell.

Layouts, chosen by :meth:`TextTable.lines`:

1. **natural** (no width: a pipe, a file, an export; or a terminal wide enough): every column
   as wide as its widest cell, two spaces apart, one row per line, no trailing spaces;
2. **fewer columns** (a narrower terminal): the columns with the highest ``drop`` are left out,
   one by one, until the table fits; a line under the table names them;
3. **stacked** (still too narrow): one record per row, its label on a line, then one
   ``column  value`` line per cell, the value on a line of its own when both do not fit
   (a column without a header, the bars, is left out).

No layout wraps, truncates or ellipsizes a cell: a value wider than the terminal is printed
whole and the terminal folds it. Prose (titles, notes, ``--explain``) is wrapped at spaces only
(:func:`wrap`), so a number never breaks. Pure Python: rendering 100,000 rows costs about
as much as their JSON, and rich is not needed for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple
from unicodedata import combining, east_asian_width

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

GAP = "  "


class Prose(str):
    """Text for people (titles, notes, ``--explain``): terminals wrap it at spaces.

    A plain ``str`` output (JSON, CSV, Markdown) is printed exactly as it is. Concatenation
    keeps the mark: ``"\\n" + Prose(...)`` is Prose.
    """

    __slots__ = ()

    def __add__(self, other: str) -> Prose:
        return Prose(str.__add__(self, other))

    def __radd__(self, other: str) -> Prose:
        return Prose(other + str(self))


class Row(NamedTuple):
    """One table row: its cells, its style (``strong``, ``dim`` or ``""``) and whether it opens a group."""

    cells: tuple[str, ...]
    style: str = ""
    breaks: bool = False


class Line(NamedTuple):
    """One output line: its text, its style, and whether it is prose (wrappable at spaces)."""

    text: str
    style: str = ""
    prose: bool = False


def cell_width(text: str) -> int:
    """Terminal cells taken by ``text`` (East Asian wide characters count 2, combining marks 0)."""
    if text.isascii():
        return len(text)

    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in text)


def wrap(line: str, width: int) -> list[str]:
    """``line`` broken at spaces to fit ``width``, never inside a word or number; continuation
    lines are indented four more than the first. A word wider than ``width`` stays whole."""
    if width <= 0 or cell_width(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    more = indent + "    "
    out: list[str] = []
    current = indent
    for word in line[len(indent) :].split(" "):
        if not word:
            current += " "
            continue
        if current.strip() and cell_width(current) + 1 + cell_width(word) > width:
            out.append(current.rstrip(" "))
            current = more + word
        else:
            current += ("" if current == indent or current.endswith(" ") else " ") + word
    out.append(current.rstrip(" "))
    return out


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - cell_width(text))
    return fill + text if right else text + fill


class TextTable:
    """A table as plain text: header, cells, and what to leave out when a terminal is narrow
    (immutable by convention; a plain class with slots: a dataclass costs start-up)."""

    __slots__ = ("_widths", "drop", "headers", "notes", "right", "rows", "title")

    def __init__(
        self,
        headers: tuple[str, ...],
        right: tuple[bool, ...],
        drop: tuple[int, ...],
        rows: Sequence[Row],
        title: str = "",
        notes: str = "",
    ) -> None:
        self.headers = headers
        self.right = right
        self.drop = drop
        self.rows = rows
        self.title = title
        self.notes = notes
        self._widths: list[int] | None = None

    def natural_width(self, keep: Sequence[int] | None = None) -> int:
        """The width of the natural layout (of only the columns ``keep``)."""
        widths = self.widths
        chosen = range(len(widths)) if keep is None else keep
        return sum(widths[i] for i in chosen) + len(GAP) * max(0, len(chosen) - 1)

    @property
    def widths(self) -> list[int]:
        """Each column's natural width: its widest header line or cell (computed once)."""
        if self._widths is None:
            self._widths = self._measure()
        return self._widths

    def _measure(self) -> list[int]:
        widths = [max((cell_width(part) for part in h.split("\n")), default=0) for h in self.headers]
        for i in range(len(widths)):
            column = [r.cells[i] for r in self.rows]
            measure = len if "".join(column).isascii() else cell_width
            widest = max(map(measure, set(column)), default=0)
            widths[i] = max(widths[i], widest)
        return widths

    def lines(self, width: int | None = None, rule: str = "─") -> list[Line]:
        """The table as lines for ``width`` terminal columns (None: the natural layout)."""
        out = [Line(self.title, "strong", prose=True)] if self.title else []
        keep = list(range(len(self.headers)))
        if width is not None and self.natural_width() > width:
            for i in sorted((i for i in keep if self.drop[i]), key=lambda i: (-self.drop[i], -i)):
                keep.remove(i)
                if self.natural_width(keep) <= width:
                    break
            if self.natural_width(keep) > width:
                out += self._stacked(width)
                return self._end(out)
        out += self._columns(keep, rule)
        left_out = [self.headers[i].replace("\n", " ") for i in range(len(self.headers)) if i not in keep and self.headers[i]]
        if left_out:
            out += [Line(""), Line(f"Left out at this width: {', '.join(left_out)} (a wider terminal or a pipe shows them).", prose=True)]
        return self._end(out)

    def _end(self, out: list[Line]) -> list[Line]:
        if self.notes:
            out.append(Line(""))
            out += [Line(n, prose=True) for n in self.notes.split("\n")]
        return out

    def _columns(self, keep: Sequence[int], rule: str) -> list[Line]:
        all_widths = self.widths
        widths = [all_widths[i] for i in keep]
        right = [self.right[i] for i in keep]
        split = [self.headers[i].split("\n") for i in keep]
        height = max((len(h) for h in split), default=1)
        out = []
        for level in range(height):
            parts = [h[level - height + len(h)] if level >= height - len(h) else "" for h in split]
            out.append(Line(GAP.join(_pad(p, w, r) for p, w, r in zip(parts, widths, right, strict=True)).rstrip(" ")))
        total = sum(widths) + len(GAP) * max(0, len(widths) - 1)
        out.append(Line(rule * total))
        padded = [self._padded(i, w, r) for i, w, r in zip(keep, widths, right, strict=True)]  # column by column: fast
        for row, cells in zip(self.rows, zip(*padded, strict=True), strict=True):
            if row.breaks and out[-1].text != rule * total:
                out.append(Line(""))
            out.append(Line(GAP.join(cells).rstrip(" "), row.style))
        return out

    def _padded(self, i: int, width: int, right: bool) -> list[str]:
        """Column ``i``'s cells padded to ``width``."""
        column = [r.cells[i] for r in self.rows]
        if "".join(column).isascii():
            return [c.rjust(width) for c in column] if right else [c.ljust(width) for c in column]
        known: dict[str, str] = {}
        out = []
        for c in column:
            if c not in known:
                known[c] = _pad(c, width, right)
            out.append(known[c])
        return out

    def _stacked(self, width: int) -> list[Line]:
        """One record per row: the label (cells up to the first left-justified one), then the rest."""
        lead = next((i for i, r in enumerate(self.right) if not r), 0) + 1
        labels = [h.replace("\n", " ") for h in self.headers]
        label_width = max((cell_width(labels[i]) for i in range(lead, len(labels))), default=0)
        out: list[Line] = []
        for row in self.rows:
            if row.breaks and out:
                out.append(Line(""))
            title_cells = [c for c in row.cells[:lead] if c.strip()]
            title = GAP.join(c if i == len(title_cells) - 1 else c.strip() for i, c in enumerate(title_cells))
            indent = " " * (len(title) - len(title.lstrip(" ")) + 2)
            out.append(Line(title.rstrip(" ") or "-", row.style))
            style = "dim" if row.style == "dim" else ""
            fields = [(labels[i], row.cells[i].strip()) for i in range(lead, len(row.cells)) if labels[i] and row.cells[i].strip()]
            pad = label_width if all(len(indent) + label_width + len(GAP) + cell_width(v) <= width for _, v in fields) else 0
            for label, value in fields:
                line = f"{indent}{_pad(label, pad, False) if pad else label}{GAP}{value}"
                if cell_width(line) <= width:
                    out.append(Line(line, style))
                else:
                    out += [Line(f"{indent}{label}", style), Line(f"{indent}  {value}", style)]
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Print through rich at the console's width (snapshots, and rich users)."""
        # lazy: rich only when a table is printed
        from rich.segment import Segment

        for line in self.lines(options.max_width):
            for text in wrap(line.text, options.max_width) if line.prose else [line.text]:
                yield Segment(text)
                yield Segment.line()


def rendered(parts: Sequence[object], width: int | None = None, rule: str = "─") -> Iterator[Line]:
    """Every line of an output (prose, tables, plain text) for ``width`` (None: natural)."""
    for part in parts:
        if isinstance(part, TextTable):
            yield from part.lines(width, rule)
        elif isinstance(part, Prose):
            yield from (Line(t, prose=True) for t in str(part).split("\n"))
        elif isinstance(part, str):
            yield from (Line(t) for t in part.split("\n"))
        else:
            raise TypeError(f"cannot render {type(part).__name__} as text")
