"""``--export FILE``: what was printed, as a ``.html``, ``.svg``, ``.md`` or ``.txt`` file that
says where it came from (the command line, the input files, the convcost version, the date).

- ``.txt`` of a table: the rows a pipe gets (natural width), then the provenance lines. Of
  JSON, CSV or Markdown: exactly the printed text, so the file stays machine-readable.
- ``.md``: the Markdown view of a table (JSON or CSV in a fenced block), then the provenance.
- ``.html``: a standalone page with real HTML tables (figures right-aligned, as wide as the
  window allows, space between the tables), the provenance in its footer. Built here, without
  rich: a 100,000-layer page costs about as much as its JSON.
- ``.svg``: rich's terminal-style picture of the natural layout, provenance included.

Names are already escaped for text (see :func:`~convcost.render.formats.visible`); HTML and SVG
escape markup on top and drop every character XML forbids, so both parse as XML.
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from convcost.core.io import write_atomic
from convcost.core.version import version
from convcost.errors import ConvcostError
from convcost.render.console import Output, Target, console, lines_for, parts
from convcost.render.formats import drop_xml_forbidden, markdown_cell, visible, xml_text
from convcost.render.table import Prose, TextTable

EXPORT_FORMATS = (".html", ".svg", ".md", ".txt")


@dataclass(frozen=True)
class Provenance:
    """What made a report: the command line, the input files, the convcost version and the date."""

    command: str
    inputs: tuple[str, ...]
    version: str
    date: str

    def items(self) -> list[tuple[str, str]]:
        """(label, text) pairs, names escaped for text: command, input, version, date."""
        inputs = ", ".join(visible(_input_name(p)) for p in self.inputs) or "command-line flags only"
        return [("command", visible(self.command)), ("input", inputs), ("version", f"convcost {self.version}"), ("date", self.date)]

    def lines(self) -> list[str]:
        """The provenance as text lines, ``label: text``."""
        return [f"{label}: {text}" for label, text in self.items()]


def _input_name(path: str) -> str:
    return "standard input" if path == "-" else path


def provenance(argv: Sequence[str], inputs: Sequence[str]) -> Provenance:
    """The provenance of a command run now with arguments ``argv`` (after ``convcost``).

    The date is UTC, to the second; ``SOURCE_DATE_EPOCH`` fixes it (reproducible reports)."""

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return Provenance(shlex.join(["convcost", *argv]), tuple(inputs), version(), when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def export_text(
    path: str,
    output: Output,
    fmt: str,
    title: str,
    markdown: Output | None = None,
    origin: Provenance | None = None,
    figure: Callable[[], str] | None = None,
) -> str:
    """What was printed (``output``, in format ``fmt``) as an ``--export`` file, by its extension.

    ``markdown`` is the Markdown view of a table; ``origin`` the provenance the file carries;
    ``figure`` draws an SVG picture that an ``.html`` export embeds under the tables (the roofline).
    """

    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ConvcostError(f"--export: expected a file ending in {', '.join(EXPORT_FORMATS)}, got {visible(path)!r}")
    about = origin.lines() if origin else []
    if suffix == ".md":
        return _markdown(output, fmt, markdown, about)
    if suffix == ".txt":
        if fmt != "table":
            return "\n".join(str(p) for p in parts(output)) + "\n"
        return "\n".join([*lines_for(output, Target(None, False)), *(["", *about] if about else [])]) + "\n"
    if suffix == ".svg":
        return _svg(output, title, about)
    return _html(output, title, origin.items() if origin else [], figure() if figure is not None else "")


def _markdown(output: Output, fmt: str, markdown: Output | None, about: list[str]) -> str:
    if isinstance(markdown, str):
        body = markdown
    elif fmt == "markdown" and isinstance(output, str):
        body = output
    else:
        text = "\n".join(str(p) for p in parts(output))
        fence = "`" * max(3, _longest_backtick_run(text) + 1)  # a name holding ``` cannot close the block
        body = f"{fence}{fmt}\n{text}\n{fence}"
    if about:
        body += "\n\n---\n\n" + "\n".join(f"- {markdown_cell(line)}" for line in about)
    return body + "\n"


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return longest


def _svg(output: Output, title: str, about: list[str]) -> str:

    # lazy: rich only for an SVG export
    from rich.text import Text

    lines = [*lines_for(output, Target(None, False)), *(["", *about] if about else [])]
    width = max(40, *(len(line) for line in lines))
    recorder = console(width=width, record=True, file=io.StringIO())
    for line in lines:
        recorder.print(Text(line, no_wrap=True, overflow="ignore"), soft_wrap=True)
    return drop_xml_forbidden(recorder.export_svg(title=visible(title)))


_HTML_STYLE = """\
body { margin: 1.5em 2em; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 1em; }
h2 { font-size: 1.05em; margin: 0 0 0.5em; }
section { overflow-x: auto; }
section + section { margin-top: 2.5em; }
table { border-collapse: collapse; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.15em 0.8em; text-align: left; white-space: nowrap; vertical-align: bottom; }
th { border-bottom: 1px solid #888; font-weight: 600; }
.num { text-align: right; }
tbody + tbody tr:first-child td { padding-top: 0.9em; }
tr.strong td { font-weight: 700; }
tr.dim td { color: #6b6b6b; }
pre { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 1.4; }
pre.notes { color: #444; white-space: pre-wrap; margin: 0.8em 0 0; }
footer { margin-top: 3em; padding-top: 0.5em; border-top: 1px solid #ccc; color: #555; font-size: 0.9em; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }"""


def _cell(text: str, right: bool) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = xml_text(text)
    return f'<td class="num">{text}</td>' if right else f"<td>{text}</td>"


def _header(text: str, right: bool) -> str:
    lines = "<br>".join(xml_text(part) for part in text.split("\n"))
    return f'<th class="num">{lines}</th>' if right else f"<th>{lines}</th>"


def _html_table(table: TextTable) -> str:
    out = ["<section>"]
    if table.title:
        out.append(f"<h2>{xml_text(table.title)}</h2>")
    head = "".join(_header(h, r) for h, r in zip(table.headers, table.right, strict=True))
    out += ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    right = table.right
    for i, row in enumerate(table.rows):
        if row.breaks and i:
            out.append("</tbody><tbody>")
        cells = "".join([_cell(c, r) for c, r in zip(row.cells, right, strict=True)])
        out.append(f'<tr class="{row.style}">{cells}</tr>' if row.style else f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    if table.notes:
        out.append(f'<pre class="notes">{xml_text(table.notes)}</pre>')
    out.append("</section>")
    return "\n".join(out)


def _html(output: Output, title: str, about: list[tuple[str, str]], figure: str = "") -> str:
    body: list[str] = []
    for part in parts(output):
        if isinstance(part, TextTable):
            body.append(_html_table(part))
        elif isinstance(part, Prose):
            if part.strip():
                body.append(f'<pre class="notes">{xml_text(part.strip(chr(10)))}</pre>')
        else:
            body.append(f"<section><pre>{xml_text(part)}</pre></section>")
    if figure:
        body.append(f"<figure>{figure}</figure>")  # SVG from render/roofline_plot.py (matplotlib escapes its labels)
    footer = ""
    if about:
        items = "".join(f"<dt>{xml_text(label)}</dt><dd>{xml_text(text)}</dd>" for label, text in about)
        footer = f"<footer><dl>{items}</dl></footer>"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{xml_text(visible(title))}</title>
<style>
{_HTML_STYLE}
</style>
</head>
<body>
<h1>{xml_text(visible(title))}</h1>
{chr(10).join(body)}
{footer}
</body>
</html>
"""
    return drop_xml_forbidden(page)


def write_export(path: str, text: str, inputs: Sequence[str] = ()) -> None:
    """Write ``text`` to ``path`` whole or not at all, never over one of ``inputs`` (see
    :func:`convcost.core.io.write_atomic`: a temporary file, then an atomic rename)."""

    write_atomic(path, text, inputs)
