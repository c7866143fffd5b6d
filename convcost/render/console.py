"""Printing at the edge: where standard output goes, how wide it is, what it can encode.

- Machine text (JSON, CSV, Markdown, a plain ``str``) is written exactly as it is; rich is
  never imported for it.
- Reports for people (tables and :class:`~convcost.render.table.Prose`) ask rich's Console
  what standard output is: a terminal (honouring ``TTY_COMPATIBLE``, ``FORCE_COLOR``,
  ``TERM=dumb``, ``NO_COLOR``), and how wide. Not a terminal (a pipe, a file): the natural
  layout, no colour codes; ``FORCE_COLOR`` or ``TTY_COMPATIBLE`` on a pipe force the colour
  codes only, never a width (:func:`is_tty` decides the layout). A terminal: the layout that fits its width (see
  :mod:`convcost.render.table`); prose wrapped at spaces; bold and dim unless ``NO_COLOR`` is
  set or the terminal is dumb. ``COLUMNS=0`` (or no size at all) counts as unknown: the
  terminal's own size, else 80.
- Whatever the encoding (``PYTHONIOENCODING=ascii``, ``latin-1``, a C locale): box drawing,
  bars and the multiplication sign fall back to ASCII where the encoding lacks them, and any
  other character it cannot encode is written as a backslash escape, never a crash.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO, Union

if TYPE_CHECKING:
    from rich.console import Console

    from convcost.render.table import Line, TextTable

Part = Union[str, "TextTable"]
Output = Union[Part, Sequence[Part]]
"""What a renderer returns: text, a table, or a list of them printed in turn."""

ASCII_GLYPHS = {
    "─": "-",
    "█": "#",
    "▏": "+",
    "▎": "+",
    "▍": "+",
    "▌": "+",
    "▋": "+",
    "▊": "+",
    "▉": "+",
    "\u00d7": "x",  # the multiplication sign
    "…": "...",
}
"""The non-ASCII characters convcost itself prints, and their ASCII stand-ins."""

_STYLES = {"strong": "\x1b[1m", "dim": "\x1b[2m"}
_RESET = "\x1b[0m"


def parts(output: Output) -> list[Part]:
    """An output as the list of its parts."""
    return [output] if isinstance(output, str) or not isinstance(output, Sequence) else list(output)


def glyph_table(encoding: str | None) -> dict[int, str]:
    """A ``str.translate`` table replacing the glyphs ``encoding`` cannot encode."""
    table: dict[int, str] = {}
    for glyph, stand_in in ASCII_GLYPHS.items():
        try:
            glyph.encode(encoding or "utf-8")
        except (UnicodeEncodeError, LookupError):
            table[ord(glyph)] = stand_in
    return table


def encodable(text: str, encoding: str | None) -> str:
    """``text`` with convcost's glyphs in ASCII where needed, and any other character the
    encoding lacks as a backslash escape (a layer name in Greek on an ASCII pipe)."""
    encoding = encoding or "utf-8"
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf16", "utf32"):
        return text
    translated = text.translate(glyph_table(encoding))
    try:
        return translated.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return translated


class Target(NamedTuple):
    """Where a report is printed: the width to fit (None: natural), and whether to style it."""

    width: int | None
    styled: bool


def console(width: int | None = None, record: bool = False, file: TextIO | None = None) -> Console:
    """A rich console (``width``: fixed, for snapshots and exports). Markup, emoji and
    highlighting are off: names from files are printed as they are, never interpreted."""
    # lazy: rich, the terminal's size and the table layout only for a report for people
    from rich.console import Console

    return Console(width=width, record=record, file=file, highlight=False, soft_wrap=False, emoji=False, markup=False)


def is_tty(stream: object) -> bool:
    """True when ``stream`` is a real terminal (``isatty``), whatever the environment forces."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # no isatty, or closed
        return False


def target(out: Console) -> Target:
    """Decide the layout and styling for printing through ``out``: styled when rich takes it for a
    terminal (``FORCE_COLOR`` and ``TTY_COMPATIBLE`` force that on a pipe), but laid out for a
    width only when it really is one: a pipe or a file always gets the natural layout, every column."""
    if not out.is_terminal:
        return Target(None, False)
    styled = out.color_system is not None and not out.no_color and not out.is_dumb_terminal and not out.legacy_windows
    if not is_tty(out.file):
        return Target(None, styled)
    width = out.size.width
    if width <= 0:
        # lazy: rich, the terminal's size and the table layout only for a report for people
        import shutil

        width = shutil.get_terminal_size((80, 25)).columns or 80
    return Target(width, styled)


def lines_for(output: Output, where: Target) -> Iterable[str]:
    """The printed lines of ``output`` for a target: laid out, prose wrapped, styled."""
    # lazy: rich, the terminal's size and the table layout only for a report for people
    from convcost.render.table import rendered, wrap

    for line in rendered(parts(output), where.width):
        texts = wrap(line.text, where.width) if line.prose and where.width else [line.text]
        for text in texts:
            yield _style(text, line) if where.styled else text


def _style(text: str, line: Line) -> str:
    code = _STYLES.get(line.style)
    return f"{code}{text}{_RESET}" if code and text else text


def emit(output: Output, file: TextIO | None = None) -> None:
    """Print a result on stdout: machine text as it is; reports at the layout that fits."""
    stream: Any = file or sys.stdout
    encoding = getattr(stream, "encoding", None)
    items = parts(output)
    if all(type(p) is str for p in items):  # machine text (Prose, a str subclass, is for people)
        text = "\n".join(str(p) for p in items) + "\n"
    else:
        where = target(console(file=stream))
        text = "\n".join(lines_for(items, where)) + "\n"
    stream.write(encodable(text, encoding))
