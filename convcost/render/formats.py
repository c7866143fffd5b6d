"""The text formats (JSON, CSV, Markdown) and escaping untrusted text for each medium.

Layer and model names, and file names, come from files a user may not have written. Before
any of them reaches an output:

- terminal text, CSV and Markdown show every non-printable character escaped, Python-style
  (``\\x1b``, ``\\n``, ``\\u202e``): control characters cannot move the cursor or clear the
  screen, a newline cannot start a forged row, bidi overrides cannot reorder what is shown;
- Markdown also escapes ``\\``, ``|`` and ``<``, so a name stays inside its cell and adds no HTML;
- HTML and SVG escape markup and drop the characters XML forbids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

_XML_FORBIDDEN = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
"""The characters XML 1.0 forbids (a pattern, compiled when an export needs it)."""


def visible(text: str) -> str:
    """``text`` with every non-printable character (controls, bidi and other format characters,
    line and paragraph separators, spaces other than U+0020) shown as a Python escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


_MARKDOWN_SPECIAL = ("\\", "|", "<", "&", "*", "`")


def markdown_cell(text: str) -> str:
    """``text`` for a Markdown table cell: :func:`visible`, then ``\\``, ``|``, ``<``, ``&`` (an entity such as
    ``&#x41;`` would render as another character), ``*`` and a backtick escaped, and ``](`` broken (``]\\(``) so
    that a name like ``[x](javascript:...)`` is text, never a link; brackets and underscores stay as written
    (``dw_pw7-11[1]``)."""
    text = visible(text)
    if any(ch in text for ch in _MARKDOWN_SPECIAL):
        text = text.replace("\\", "\\\\")
        for ch in _MARKDOWN_SPECIAL[1:]:
            text = text.replace(ch, "\\" + ch)
    return text.replace("](", "]\\(") if "](" in text else text


def xml_text(text: str) -> str:
    """``text`` for HTML or SVG: markup escaped, characters XML forbids dropped."""
    # lazy: each format's encoder only for that format
    import html

    return html.escape(re.sub(_XML_FORBIDDEN, "", text))


def drop_xml_forbidden(document: str) -> str:
    """A whole HTML or SVG document without the characters XML 1.0 forbids."""
    return re.sub(_XML_FORBIDDEN, "", document)


def json_text(data: Any, flat_depth: int = 3, _depth: int = 0) -> str:
    """Exact-integer JSON, indented two spaces, with each container that holds no other
    container, or that sits ``flat_depth`` levels deep, on one line (a layer row, a stage,
    a shape). One-line parts go through json's C encoder, so 100,000 rows stay fast."""
    # lazy: each format's encoder only for that format
    import json

    if _depth >= flat_depth:  # one line, whatever it holds (a layer row): no need to look inside
        return json.dumps(data)
    if isinstance(data, dict):
        items = data.items()
        nested = any(isinstance(v, (dict, list)) for v in data.values())
    elif isinstance(data, list):
        items = None
        nested = any(isinstance(v, (dict, list)) for v in data)
    else:
        return json.dumps(data)
    if not data or not nested:
        return json.dumps(data)
    pad = "  " * (_depth + 1)
    if items is not None:
        parts = [f"{pad}{json.dumps(k)}: {json_text(v, flat_depth, _depth + 1)}" for k, v in items]
        return "{\n" + ",\n".join(parts) + "\n" + "  " * _depth + "}"
    parts = [pad + json_text(v, flat_depth, _depth + 1) for v in data]
    return "[\n" + ",\n".join(parts) + "\n" + "  " * _depth + "]"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a text cell (OWASP's CSV injection list)."""


def csv_cell(text: str) -> str:
    """A text cell for CSV: escaped as for text (:func:`visible`), and one a spreadsheet would run
    as a formula (``=cmd|' /C calc'!A0``, ``+SUM(1)``, ``-2+3``, ``@SUM(1)``) neutralised with a
    leading single quote, as OWASP advises. Numbers are never text cells: they stay numbers."""
    shown = visible(text)  # a tab or CR is escaped here (``\\t``): neutralised all the same, as the raw text starts with it
    return "'" + shown if text.startswith(FORMULA_STARTS) or shown.startswith(FORMULA_STARTS) else shown


def _csv_bool(cell: object) -> object:
    """``true``/``false`` for a boolean (JSON's spelling, not Python's ``True``); any other cell as it is."""
    return ("true" if cell else "false") if isinstance(cell, bool) else cell


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV (``None`` as an empty cell, booleans ``true``/``false`` as in JSON), text cells through :func:`csv_cell`."""
    # lazy: each format's encoder only for that format
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if cell is None else csv_cell(cell) if isinstance(cell, str) else _csv_bool(cell) for cell in row])
    return out.getvalue().rstrip("\n")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> str:
    """A GitHub table. The cells are already Markdown (see :func:`markdown_cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
