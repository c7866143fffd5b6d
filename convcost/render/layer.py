"""``convcost layer``: one layer under every cost model, as a table, CSV, Markdown, JSON, ``--explain``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import gcd
from typing import TYPE_CHECKING

from convcost.core.cost import reduction_pct, speedup
from convcost.core.shapes import AXIS_NAMES, Conv
from convcost.factorize import METHODS, LayerReport, MethodResult, Stage
from convcost.render.formats import visible
from convcost.render.numbers import num, padding_text, pair_text, reduction_text, speedup_text
from convcost.render.rows import CONVENTION, Line, channels_first_hint

if TYPE_CHECKING:
    from convcost.analysis.roofline import LayerFigures
    from convcost.analysis.training import LayerTraining
    from convcost.render.columns import Column, Sheet
    from convcost.render.table import Prose, TextTable


def _figures(line: Line) -> tuple[str, str, str, str, str]:
    """mults, params, mults saved, how many times fewer mults, params saved of a method row; stage rows have the first two."""
    if line.stage is not None:
        return (num(line.stage.mults), num(line.stage.params), "", "", "")
    base, result = line.report.baseline, line.result
    if result.mults is None or result.params is None or base.mults is None or base.params is None:
        return ("-", "-", "-", "-", "-")
    return (
        num(result.mults),
        num(result.params),
        reduction_text(base.mults, result.mults),
        speedup_text(base.mults, result.mults),
        reduction_text(base.params, result.params),
    )


def _output(line: Line) -> str:
    if line.stage is not None:
        return str(line.stage.conv.out)
    return str(line.result.stages[-1].conv.out) if line.result.applicable and line.result.stages else "not applicable"


def _csv_out(line: Line) -> str:
    stages = line.result.stages
    return str(line.stage.conv.out) if line.stage else str(stages[-1].conv.out) if stages else ""


def _method_cell(line: Line) -> str:
    return line.result.method if line.stage is None else ""


def _stage_cell(line: Line) -> str:
    return line.stage.name if line.stage is not None else _method_note(line.result) or ""


def _saved_pct(base: int | None, value: int | None) -> float | None:
    return None if base is None or value is None else reduction_pct(base, value)


def _total(line: Line, key: str) -> object:
    """A method row's figure for the CSV (what its JSON entry says too); None on a stage row."""
    if line.stage is not None:
        return None
    result, base = line.result, line.report.baseline
    if key == "mults_reduction_pct":
        return _saved_pct(base.mults, result.mults)
    if key == "params_reduction_pct":
        return _saved_pct(base.params, result.params)
    if key == "speedup":
        return None if base.mults is None or result.mults is None else speedup(base.mults, result.mults)
    return {"applicable": result.applicable, "reason": result.reason}[key]


@cache
def method_columns() -> list[Column[Line]]:
    """The layer views' columns: the table, Markdown and CSV all read this list. (Built on first
    use: the JSON path never loads the column machinery.)"""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.columns import Column, Where, csv_only

    return [
        Column(
            "method / stage",
            lambda ln: ln.result.method if ln.stage is None else "  " + ln.stage.name,
            csv="method",
            value=lambda ln: ln.result.method,
            where=Where.TABLE,
        ),
        Column("method", _method_cell, where=Where.MARKDOWN, strong=True),
        Column("stage", _stage_cell, where=Where.MARKDOWN),
        csv_only("row", lambda ln: "total" if ln.stage is None else "stage"),
        csv_only("name", lambda ln: ln.stage.name if ln.stage else ""),
        csv_only("in", lambda ln: str(ln.stage.conv.inp if ln.stage else ln.report.conv.inp)),
        Column("output", _output, csv="out", value=_csv_out, drop=3),
        Column(
            "mults", lambda ln: _figures(ln)[0], right=True, csv="mults", value=lambda ln: ln.stage.mults if ln.stage else ln.result.mults
        ),
        Column(
            "params",
            lambda ln: _figures(ln)[1],
            right=True,
            csv="params",
            value=lambda ln: ln.stage.params if ln.stage else ln.result.params,
            drop=2,
        ),
        Column(
            "mults\nsaved",
            lambda ln: _figures(ln)[2],
            right=True,
            csv="mults_reduction_pct",
            value=lambda ln: _total(ln, "mults_reduction_pct"),
            drop=1,
        ),
        Column("fewer\nmults", lambda ln: _figures(ln)[3], right=True, drop=4),  # a ratio of mults: never called a speed-up
        Column(
            "params\nsaved",
            lambda ln: _figures(ln)[4],
            right=True,
            csv="params_reduction_pct",
            value=lambda ln: _total(ln, "params_reduction_pct"),
            drop=5,
        ),
        csv_only("applicable", lambda ln: _total(ln, "applicable")),
        csv_only("reason", lambda ln: _total(ln, "reason")),
        csv_only("speedup", lambda ln: _total(ln, "speedup")),  # last: the columns before it keep their places
    ]


def _sheet(report: LayerReport, lf: LayerFigures | None = None, lt: LayerTraining | None = None) -> Sheet[Line]:
    rows: list[Line] = []
    for result in report.results:
        rows.append(Line(report, result))
        rows += [Line(report, result, stage) for stage in result.stages]
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.columns import Sheet

    columns = method_columns()
    if lf is not None:  # the roofline columns, after the figures and before the CSV's applicable/reason
        # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
        from convcost.render.roofline import layer_columns

        at = next(i for i, c in enumerate(columns) if c.csv == "applicable")
        columns = [*columns[:at], *layer_columns(lf, report.results), *columns[at:]]
    if lt is not None:  # the training columns: after the savings (and the roofline's, with a device)
        # lazy: the training columns only under --training
        from convcost.render.training import LayerView

        at = next(i for i, c in enumerate(columns) if c.csv == "applicable")
        columns = [*columns[:at], *LayerView(report, lt, lf).columns(), *columns[at:]]
    return Sheet(
        columns,
        rows,
        style=lambda ln: "strong" if ln.stage is None else "dim",
        breaks=lambda ln: ln.stage is None,
    )


def _timed(roofline: Callable[[], LayerFigures] | None) -> LayerFigures | None:
    """The roofline figures when they have a device (the table, CSV and Markdown show them only then)."""
    if roofline is None:
        return None
    lf = roofline()
    return lf if lf.setup.device is not None else None


def _trained(training: Callable[[], LayerTraining] | None) -> LayerTraining | None:
    return None if training is None else training()


def _training_notes(report: LayerReport, lt: LayerTraining | None, lf: LayerFigures | None, sep: str = "\n") -> str:
    if lt is None:
        return ""
    # lazy: the training columns only under --training
    from convcost.render.training import LayerView

    return sep + LayerView(report, lt, lf).notes(markdown=sep != "\n")


def _roofline_notes(lf: LayerFigures | None, sep: str = "\n", markdown: bool = False) -> str:
    if lf is None:
        return ""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.roofline import notes

    return sep + notes(lf.setup, markdown).replace("\n", sep)


def layer_csv(
    report: LayerReport, roofline: Callable[[], LayerFigures] | None = None, training: Callable[[], LayerTraining] | None = None
) -> str:
    """``convcost layer --format csv``: a ``total`` row per method, then its ``stage`` rows."""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.columns import csv_sheet

    return csv_sheet(_sheet(report, _timed(roofline), _trained(training)))


def layer_markdown(
    report: LayerReport, roofline: Callable[[], LayerFigures] | None = None, training: Callable[[], LayerTraining] | None = None
) -> str:
    """``convcost layer --format markdown``: a GitHub table, one row per method and stage."""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.columns import markdown_sheet

    lf = _timed(roofline)
    lt = _trained(training)
    title = f"**{_escape_md(_layer_title(report))}**\n\n"
    notes = _roofline_notes(lf, " ", markdown=True) + _training_notes(report, lt, lf, " ")
    return title + markdown_sheet(_sheet(report, lf, lt)) + f"\n\n{_caption(report, ' ')}" + notes


def _escape_md(text: str) -> str:
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.formats import markdown_cell

    return markdown_cell(text)


def _layer_title(report: LayerReport) -> str:
    c = report.conv
    name = f"{visible(report.spec.name)}: " if report.spec.name else ""
    kernel = "x".join(map(str, c.k))
    parts = [f"{name}{c.inp} -> {c.out}", f"conv {kernel}", f"stride {pair_text(c.stride)}", f"padding {padding_text(c.padding)}"]
    if set(c.dilation) != {1}:
        parts.append(f"dilation {pair_text(c.dilation)}")
    if c.groups != 1:
        parts.append(f"groups {c.groups}")
    parts.append("bias" if c.bias else "no bias")
    return ", ".join(parts)


def _caption(report: LayerReport, sep: str = "\n") -> str:
    counted = "bias parameters counted, bias adds not" if report.conv.bias else "no bias (--no-bias)"
    batch = f"{sep}batch {report.batch:,}: mults count the whole batch; shapes are per input." if report.batch != 1 else ""
    inp = report.conv.inp
    hint = channels_first_hint(inp.h, inp.w, inp.c, "--in") if inp.rank == 2 else ""
    return f"{CONVENTION};{sep}{counted}.{batch}" + (f"{sep}{hint}" if hint else "")


def _method_note(result: MethodResult) -> str | None:
    """The model's own figures (its rank and how it was chosen) or why it does not apply, shown beneath its name."""
    return METHODS[result.method].note(result)


def layer_table(
    report: LayerReport, roofline: Callable[[], LayerFigures] | None = None, training: Callable[[], LayerTraining] | None = None
) -> list[str | TextTable]:
    """The default ``layer`` output: the layer, a table with one row per method and its stages
    indented beneath, then notes (rank, mid, reasons for not applying) and the convention."""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.columns import text_table
    from convcost.render.table import Prose

    lf = _timed(roofline)
    lt = _trained(training)
    notes = [f"{r.method}: {note}" for r in report.results if (note := _method_note(r))]
    caption = _caption(report) + _roofline_notes(lf) + _training_notes(report, lt, lf)
    return [Prose(_layer_title(report)), text_table(_sheet(report, lf, lt)), Prose("\n".join(["", *notes, caption]))]


def _factors(conv: Conv) -> tuple[list[int], list[int]]:
    """The documents' factors of a stage's mults (Ho, Wo, KH, KW, C/G, N; any rank: every output size and kernel size) and weights."""
    kernel = [] if set(conv.k) == {1} else list(conv.k)
    per_group = [] if conv.inp.c // conv.groups == 1 else [conv.inp.c // conv.groups]
    weights = kernel + per_group + [conv.out.c]
    return [*conv.out.spatial, *weights], weights


def _product(factors: list[int]) -> str:
    return " x ".join(map(str, factors))


def _stage_line(stage: Stage) -> str:
    c = stage.conv
    mults, weights = _factors(c)
    if stage.batch != 1:
        mults = [stage.batch, *mults]
    params = _product(weights) + (f" + {c.out.c}" if c.bias else "")
    shape = f"{c.inp} -> {c.out}"
    return f"  {stage.name} ({shape}): {_product(mults)} = {num(stage.mults)} mults; {params} = {num(c.params)} params"


def _ratio(top: int, bottom: int) -> str:
    d = gcd(top, bottom)
    return f"{top // d}/{bottom // d}"


def _closed_form(report: LayerReport, result: MethodResult) -> str | None:
    """``mults / standard = ratio = the model's closed form``, where the model declares one."""
    c = report.conv
    closed = METHODS[result.method].closed_form
    if result.mults is None or c.groups != 1 or closed is None or (form := closed(c, result)) is None:
        return None
    standard = c.mults * report.batch
    return f"{num(result.mults)} / {num(standard)} = {_ratio(result.mults, standard)} = {form.text}"


def _versus(base: int, value: int) -> str:
    """``82.6% fewer than standard`` or ``128.7% more than standard``."""
    text = reduction_text(base, value)
    return f"{text.lstrip('-')} more than standard" if text.startswith("-") else f"{text} fewer than standard"


def _axis_line(axis: str, size: int, k: int, s: int, before: int, after: int, d: int, out: int) -> str:
    return f"output {axis}: floor(({size} + {before} + {after} - {d} x ({k} - 1) - 1) / {s}) + 1 = {out}"


def layer_explain(report: LayerReport) -> Prose:
    """``--explain``: every stage's arithmetic in the documents' style, and closed-form ratios.
    Prose: a terminal wraps it at spaces, so no number is ever broken."""
    # lazy: the column machinery and the roofline columns only for the table, CSV and Markdown (never for JSON)
    from convcost.render.table import Prose

    c = report.conv
    axes = AXIS_NAMES[c.inp.rank]
    lines = [f"layer: {_layer_title(report)}"]
    for i, axis in enumerate(axes):
        before, after = c.padding[2 * i], c.padding[2 * i + 1]
        lines.append(_axis_line(axis, c.inp.spatial[i], c.k[i], c.stride[i], before, after, c.dilation[i], c.out.spatial[i]))
    lines.append(f"counting: {CONVENTION}.")
    base = report.baseline
    for result in report.results:
        note = _method_note(result)
        lines.append("")
        lines.append(result.method + (f" ({note})" if note and result.applicable else ""))
        if result.mults is None or result.params is None or base.mults is None or base.params is None:
            lines.append(f"  not applicable: {result.reason}")
            continue
        lines += [_stage_line(stage) for stage in result.stages]
        if len(result.stages) > 1:
            msum = " + ".join(num(s.mults) for s in result.stages)
            psum = " + ".join(num(s.params) for s in result.stages)
            lines.append(
                f"  total: {msum} = {num(result.mults)} mults ({_versus(base.mults, result.mults)}, "
                f"{speedup_text(base.mults, result.mults)} fewer mults); {psum} = {num(result.params)} params "
                f"({_versus(base.params, result.params)})"
            )
        closed = _closed_form(report, result)
        if closed:
            lines.append(f"  ratio: {closed}")
    return Prose("\n".join(lines))
