"""Results into text: rich tables, JSON, CSV, Markdown and the ``--explain`` arithmetic.

Renderers return objects (a ``str``, or a rich renderable from the ``*_table``
functions); :func:`emit` prints them once, at the edge. This is the only module that
imports rich, and it does so only inside the functions that build or print tables,
so the JSON, CSV and Markdown paths never load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from math import gcd
from typing import TYPE_CHECKING, Any, Union

from convcost.core.cost import share_pct
from convcost.core.shapes import Conv
from convcost.factorize import LayerReport, MethodResult, Stage

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.diff import DiffReport, DiffRow
    from convcost.analysis.network import ModelReport
    from convcost.separable import Separability

CONVENTION = "mults = multiply-accumulates, one per weight use (FLOPs = 2 x mults); additions are not counted"
MODEL_CONVENTION = f"{CONVENTION}; pooling, batch norm and residual additions count none."

# --- numbers ------------------------------------------------------------------------


def num(n: int) -> str:
    """An exact integer with thousands separators: ``778,752``."""
    return f"{n:,}"


def fixed(numerator: int, denominator: int, digits: int) -> str:
    """``numerator / denominator`` to ``digits`` decimals, rounded half away from zero, exactly."""
    negative = (numerator < 0) != (denominator < 0)
    top, bottom = abs(numerator), abs(denominator)
    scaled = (2 * top * 10**digits + bottom) // (2 * bottom)
    whole, part = divmod(scaled, 10**digits)
    text = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    return "-" + text if negative and scaled else text


def reduction_text(base: int, value: int) -> str:
    """How much smaller ``value`` is than ``base``, e.g. ``82.6%`` (negative: larger)."""
    return fixed(100 * (base - value), base, 1) + "%" if base else "0.0%"


def speedup_text(base: int, value: int) -> str:
    """``base / value`` as a factor, e.g. ``5.76x``."""
    return fixed(base, value, 2) + "x" if value else "-"


def json_text(data: Any, flat_depth: int = 3, _depth: int = 0) -> str:
    """Exact-integer JSON, indented two spaces, with each container that holds no other
    container, or that sits ``flat_depth`` levels deep, on one line (a layer row, a stage,
    a shape). One-line parts go through json's C encoder, so 100,000 rows stay fast."""
    import json

    if isinstance(data, dict):
        items = data.items()
        nested = any(isinstance(v, (dict, list)) for v in data.values())
    elif isinstance(data, list):
        items = None
        nested = any(isinstance(v, (dict, list)) for v in data)
    else:
        return json.dumps(data)
    if not data or not nested or _depth >= flat_depth:
        return json.dumps(data)
    pad = "  " * (_depth + 1)
    if items is not None:
        parts = [f"{pad}{json.dumps(k)}: {json_text(v, flat_depth, _depth + 1)}" for k, v in items]
        return "{\n" + ",\n".join(parts) + "\n" + "  " * _depth + "}"
    parts = [pad + json_text(v, flat_depth, _depth + 1) for v in data]
    return "[\n" + ",\n".join(parts) + "\n" + "  " * _depth + "]"


def _csv(rows: Iterable[Sequence[object]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue().rstrip("\n")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[bool]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- layer --------------------------------------------------------------------------


def layer_json(report: LayerReport, checks: Sequence[BudgetCheck] = ()) -> str:
    """``convcost layer --format json`` (with the budget verdict when budgets were given)."""
    return json_text(with_budget(report.to_dict(), checks), flat_depth=4)


def _layer_figures(report: LayerReport, result: MethodResult) -> tuple[str, str, str, str, str]:
    base = report.baseline
    if result.mults is None or result.params is None or base.mults is None or base.params is None:
        return ("-", "-", "-", "-", "-")
    return (
        num(result.mults),
        num(result.params),
        reduction_text(base.mults, result.mults),
        speedup_text(base.mults, result.mults),
        reduction_text(base.params, result.params),
    )


def layer_csv(report: LayerReport) -> str:
    """``convcost layer --format csv``: a ``total`` row per method, then its ``stage`` rows."""
    header: list[object] = [
        "method",
        "row",
        "name",
        "in",
        "out",
        "mults",
        "params",
        "mults_reduction_pct",
        "params_reduction_pct",
        "applicable",
        "reason",
    ]
    rows: list[list[object]] = [header]
    data = report.to_dict()
    for entry, result in zip(data["methods"], report.results, strict=True):
        out = str(result.stages[-1].conv.out) if result.stages else ""
        rows.append(
            [
                entry["method"],
                "total",
                "",
                str(report.conv.inp),
                out,
                entry["mults"],
                entry["params"],
                entry["mults_reduction_pct"],
                entry["params_reduction_pct"],
                entry["applicable"],
                entry["reason"],
            ]
        )
        for stage in result.stages:
            rows.append(
                [entry["method"], "stage", stage.name, str(stage.conv.inp), str(stage.conv.out), stage.mults, stage.params, "", "", "", ""]
            )
    return _csv(rows)


def layer_markdown(report: LayerReport) -> str:
    """``convcost layer --format markdown``: a GitHub table, one row per method and stage."""
    header = ["method", "stage", "output", "mults", "params", "mults saved", "speed-up", "params saved"]
    rows: list[list[str]] = []
    for result in report.results:
        if not result.applicable:
            rows.append([result.method, f"not applicable: {result.reason}", "", "-", "-", "-", "-", "-"])
            continue
        m, p, saved, speed, psaved = _layer_figures(report, result)
        note = _method_note(result)
        rows.append([f"**{result.method}**", note or "", str(result.stages[-1].conv.out), m, p, saved, speed, psaved])
        rows += [["", s.name, str(s.conv.out), num(s.mults), num(s.params), "", "", ""] for s in result.stages]
    title = f"**{_layer_title(report)}**\n\n"
    return title + _md_table(header, rows, [False, False, False, True, True, True, True, True]) + f"\n\n{_caption(report.conv.bias, ' ')}"


def pair_text(pair: tuple[int, int]) -> str:
    """``(1, 1)`` -> ``1``; ``(1, 2)`` -> ``1x2``."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def padding_text(padding: tuple[int, int, int, int]) -> str:
    """``0``, ``PHxPW`` when each axis is symmetric, else ``top,bottom,left,right``."""
    top, bottom, left, right = padding
    if top == bottom and left == right:
        return pair_text((top, left))
    return f"{top},{bottom},{left},{right}"


def _layer_title(report: LayerReport) -> str:
    c = report.conv
    name = f"{report.spec.name}: " if report.spec.name else ""
    parts = [f"{name}{c.inp} -> {c.out}", f"conv {c.k[0]}x{c.k[1]}", f"stride {pair_text(c.stride)}", f"padding {padding_text(c.padding)}"]
    if c.dilation != (1, 1):
        parts.append(f"dilation {pair_text(c.dilation)}")
    if c.groups != 1:
        parts.append(f"groups {c.groups}")
    parts.append("bias" if c.bias else "no bias")
    return ", ".join(parts)


def _caption(bias: bool, sep: str = "\n") -> str:
    counted = "bias parameters counted, bias adds not" if bias else "no bias (--no-bias)"
    return f"{CONVENTION};{sep}{counted}."


def _method_note(result: MethodResult) -> str | None:
    """The model's own figures, shown beneath its name."""
    extra = result.extra
    if not result.applicable:
        return f"not applicable: {result.reason}"
    if result.method == "low-rank":
        return f"rank {extra['rank']}; break-even rank {extra['break_even_rank']}"
    if result.method == "spatial-separable":
        return f"mid channels {extra['mid']}"
    return None


def layer_table(report: LayerReport) -> list[RenderableType | str]:
    """The default ``layer`` output: the layer, a table with one row per method and its stages
    indented beneath, then notes (rank, mid, reasons for not applying) and the convention.

    The title and notes are plain lines, not rich's title and caption: wrapping those costs
    rich about 6 ms of a start-up that is meant to take a few tens."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    notes = [f"{r.method}: {note}" for r in report.results if (note := _method_note(r))]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("method / stage")
    table.add_column("output", no_wrap=True)
    for label in ("mults", "params", "mults\nsaved", "speed-up", "params\nsaved"):
        table.add_column(label, justify="right", no_wrap=True)
    for i, result in enumerate(report.results):
        last_method = i == len(report.results) - 1
        if not result.applicable:
            table.add_row(Text(result.method, style="bold"), "not applicable", "-", "-", "-", "-", "-", end_section=not last_method)
            continue
        m, p, saved, speed, psaved = _layer_figures(report, result)
        table.add_row(Text(result.method, style="bold"), str(result.stages[-1].conv.out), m, p, saved, speed, psaved)
        for j, stage in enumerate(result.stages):
            end = j == len(result.stages) - 1 and not last_method
            table.add_row(f"  {stage.name}", str(stage.conv.out), num(stage.mults), num(stage.params), style="dim", end_section=end)
    return [_layer_title(report), table, "\n".join([*notes, _caption(report.conv.bias)])]


def _factors(conv: Conv) -> tuple[list[int], list[int]]:
    """The documents' factors of a stage's mults (Ho, Wo, KH, KW, C/G, N) and weights."""
    kernel = [] if conv.k == (1, 1) else [conv.k[0], conv.k[1]]
    per_group = [] if conv.inp.c // conv.groups == 1 else [conv.inp.c // conv.groups]
    weights = kernel + per_group + [conv.out.c]
    return [conv.out.h, conv.out.w, *weights], weights


def _product(factors: list[int]) -> str:
    return " x ".join(map(str, factors))


def _stage_line(stage: Stage) -> str:
    c = stage.conv
    mults, weights = _factors(c)
    params = _product(weights) + (f" + {c.out.c}" if c.bias else "")
    shape = f"{c.inp} -> {c.out}"
    return f"  {stage.name} ({shape}): {_product(mults)} = {num(c.mults)} mults; {params} = {num(c.params)} params"


def _ratio(top: int, bottom: int) -> str:
    d = gcd(top, bottom)
    return f"{top // d}/{bottom // d}"


def _closed_form(report: LayerReport, result: MethodResult) -> str | None:
    c = report.conv
    kk = c.k[0] * c.k[1]
    if result.mults is None or c.groups != 1:
        return None
    lhs = f"{num(result.mults)} / {num(c.mults)} = {_ratio(result.mults, c.mults)}"
    if result.method == "depthwise-separable":
        return f"{lhs} = 1/N + 1/(KH*KW) = 1/{c.out.c} + 1/{kk}"
    if result.method == "low-rank":
        r, p = result.extra["rank"], kk * c.inp.c
        return f"{lhs} = r/N + r/(KH*KW*C) = {r}/{c.out.c} + {r}/{p}"
    return None


def _versus(base: int, value: int) -> str:
    """``82.6% fewer than standard`` or ``128.7% more than standard``."""
    text = reduction_text(base, value)
    return f"{text.lstrip('-')} more than standard" if text.startswith("-") else f"{text} fewer than standard"


def _axis_line(axis: str, size: int, k: int, s: int, before: int, after: int, d: int, out: int) -> str:
    return f"output {axis}: floor(({size} + {before} + {after} - {d} x ({k} - 1) - 1) / {s}) + 1 = {out}"


def layer_explain(report: LayerReport) -> str:
    """``--explain``: every stage's arithmetic in the documents' style, and closed-form ratios."""
    c = report.conv
    top, bottom, left, right = c.padding
    lines = [
        f"layer: {_layer_title(report)}",
        _axis_line("height", c.inp.h, c.k[0], c.stride[0], top, bottom, c.dilation[0], c.out.h),
        _axis_line("width", c.inp.w, c.k[1], c.stride[1], left, right, c.dilation[1], c.out.w),
        f"counting: {CONVENTION}.",
    ]
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
                f"speed-up {speedup_text(base.mults, result.mults)}); {psum} = {num(result.params)} params "
                f"({_versus(base.params, result.params)})"
            )
        closed = _closed_form(report, result)
        if closed:
            lines.append(f"  ratio: {closed}")
    return "\n".join(lines)


# --- model --------------------------------------------------------------------------


def model_json(report: ModelReport, checks: Sequence[BudgetCheck] = ()) -> str:
    """``convcost model --format json`` (with the budget verdict when budgets were given)."""
    return json_text(with_budget(report.to_dict(), checks), flat_depth=2)


def _share(part: int, total: int) -> str:
    return fixed(100 * part, total, 1) + "%" if total else "0.0%"


MODEL_HEADER = ["index", "name", "type", "in", "out", "kernel", "mults", "params", "share"]


def model_csv(report: ModelReport) -> str:
    """``convcost model --format csv``: the layers, then a ``total`` row, then the what-if rows."""
    total = report.mults
    rows: list[list[object]] = [["section", *MODEL_HEADER, "mults_reduction_pct", "params_reduction_pct", "layers_changed"]]
    for r in report.layers:
        rows.append(
            [
                "layer",
                r.index,
                r.name,
                r.type,
                str(r.inp),
                str(r.out),
                r.kernel,
                r.mults,
                r.params,
                share_pct(r.mults, total),
                "",
                "",
                "",
            ]
        )
    rows.append(
        ["total", "", report.name or "", "", str(report.input), str(report.output), "", report.mults, report.params, 100.0, "", "", ""]
    )
    for w in report.whatif:
        rows.append(
            ["whatif", "", w.method, "", "", "", "", w.mults, w.params, "", w.mults_reduction_pct, w.params_reduction_pct, w.layers_changed]
        )
    return _csv(rows)


def _model_title(report: ModelReport) -> str:
    name = report.name or report.source
    variant = f" as {report.variant} where it applies" if report.variant else ""
    return f"{name}{variant}: {report.input} -> {report.output}"


def _type_label(row: Any) -> str:
    return f"{row.type} as {row.method}" if row.method else row.type


def _whatif_rows(report: ModelReport) -> list[list[str]]:
    rows = [["as written", num(report.mults), num(report.params), "", "", ""]]
    for w in report.whatif:
        rows.append(
            [
                w.method,
                num(w.mults),
                num(w.params),
                reduction_text(report.mults, w.mults),
                reduction_text(report.params, w.params),
                str(w.layers_changed),
            ]
        )
    return rows


WHATIF_HEADER = ["model", "mults", "params", "mults saved", "params saved", "layers changed"]
"""Columns of the what-if table (Markdown and rich)."""


def model_markdown(report: ModelReport) -> str:
    """``convcost model --format markdown``: the layer table and the what-if table."""
    total = report.mults
    rows = [
        [str(r.index), r.name, _type_label(r), f"{r.inp} -> {r.out}", r.kernel, num(r.mults), num(r.params), _share(r.mults, total)]
        for r in report.layers
    ]
    rows.append(
        ["", "**total**", "", f"{report.input} -> {report.output}", "", f"**{num(report.mults)}**", f"**{num(report.params)}**", "100.0%"]
    )
    layers = _md_table(
        ["#", "name", "type", "in -> out", "kernel", "mults", "params", "share"], rows, [True, False, False, False, False, True, True, True]
    )
    whatif = _md_table(WHATIF_HEADER, _whatif_rows(report), [False, True, True, True, True, True])
    return f"**{_model_title(report)}**\n\n{layers}\n\n**What if**\n\n{whatif}\n\n{MODEL_CONVENTION}"


_BAR_WIDTH = 8
_BLOCKS = " ▏▎▍▌▋▊▉█"


def share_bar(part: int, total: int, width: int = _BAR_WIDTH) -> str:
    """A bar of ``width`` cells for ``part / total``, in eighths of a cell (the model table
    passes the heaviest layer as ``total``, so that layer's bar is full)."""
    eighths = (part * width * 8 * 2 + total) // (2 * total) if total else 0
    full, rest = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[rest] if rest else "")


def _layer_label(row: Any) -> str:
    """Type and kernel in one cell: ``conv 3x3/2``, ``depthwise 3x3``, ``linear``."""
    label = _type_label(row)
    return f"{label} {row.kernel}" if row.kernel and row.type not in ("pointwise", "shortcut") else label


def _compact(title: str, caption: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(title=title, caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)


def model_tables(report: ModelReport) -> RenderableType:
    """The default ``model`` output: the per-layer table and the what-if table."""
    from rich.console import Group

    total = report.mults
    layers = _compact(_model_title(report), f"Bars are scaled to the heaviest layer. {MODEL_CONVENTION}")
    layers.add_column("#", justify="right")
    layers.add_column("name", overflow="fold")
    layers.add_column("layer", overflow="fold")
    layers.add_column("output", no_wrap=True)
    layers.add_column("mults", justify="right", no_wrap=True)
    layers.add_column("params", justify="right", no_wrap=True)
    layers.add_column("share\nof mults", no_wrap=True)
    peak = max((r.mults for r in report.layers), default=0)
    for r in report.layers:
        share = f"{_share(r.mults, total):>6} {share_bar(r.mults, peak)}"
        layers.add_row(
            str(r.index), r.name, _layer_label(r), str(r.out), num(r.mults), num(r.params), share, style="dim" if r.mults == 0 else None
        )
    layers.add_section()
    layers.add_row("", "total", "", str(report.output), num(report.mults), num(report.params), "100.0%", style="bold")
    whatif = _compact("What if every layer a method applies to were factorized")
    for label, right in zip(WHATIF_HEADER, [False, True, True, True, True, True], strict=True):
        whatif.add_column(label.replace(" ", "\n"), justify="right" if right else "left", no_wrap=right)
    for row in _whatif_rows(report):
        whatif.add_row(*row)
    return Group(layers, whatif)


# --- views -------------------------------------------------------------------------

View = Callable[[], "Output"]


def views(report: LayerReport | ModelReport | DiffReport, checks: Sequence[BudgetCheck] = ()) -> dict[str, View]:
    """Each output format of a result, rendered only when asked for (so JSON never loads rich)."""
    table: dict[str, tuple[Callable[..., Any], ...]] = {
        "layer": (layer_json, layer_csv, layer_markdown, layer_table),
        "model": (model_json, model_csv, model_markdown, model_tables),
        "diff": (diff_json, diff_csv, diff_markdown, diff_tables),
    }
    renderers = table[report.kind]  # dispatch by name: importing diff/model here would slow every layer command
    return {
        "json": lambda: renderers[0](report, checks),
        "csv": lambda: renderers[1](report),
        "markdown": lambda: renderers[2](report),
        "table": lambda: renderers[3](report),
    }


# --- printing -----------------------------------------------------------------------


def console(width: int | None = None, record: bool = False) -> Console:
    """A rich console on stdout (``width``: fixed, for snapshots and exports)."""
    from rich.console import Console

    return Console(width=width, record=record, highlight=False, soft_wrap=False, emoji=False, markup=False)


Output = Union["RenderableType", str, list[Union["RenderableType", str]]]
"""What a renderer returns: text, a rich renderable, or a list of them printed in turn."""


def _parts(output: Output) -> list[RenderableType | str]:
    return list(output) if isinstance(output, list) else [output]


def emit(output: Output) -> None:
    """Print a result on stdout: plain text as is (never wrapped), rich renderables through a console."""
    import sys

    out = None
    for part in _parts(output):
        if isinstance(part, str):
            sys.stdout.write(part + "\n")
        else:
            out = out or console()
            out.print(part)


# --- budgets ------------------------------------------------------------------------


def budget_lines(checks: Sequence[BudgetCheck]) -> list[str]:
    """One stderr line per exceeded budget: ``mults 612,400,000 > 600M by 2.1%``."""
    return [f"{c.figure} {num(c.value)} > {c.limit_text} by {fixed(100 * (c.value - c.limit), c.limit, 1)}%" for c in checks if not c.ok]


def with_budget(data: dict[str, Any], checks: Sequence[BudgetCheck]) -> dict[str, Any]:
    """Add the JSON verdict ``"budget"`` when budgets were given."""
    if checks:
        from convcost.analysis.budget import budget_dict

        data["budget"] = budget_dict(tuple(checks))
    return data


# --- diff ---------------------------------------------------------------------------


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def _change_text(base: int, value: int) -> str:
    if not base:
        return "-"
    text = fixed(100 * (value - base), base, 1)
    return ("+" if value > base else "") + text + "%"


DIFF_HEADER = ["status", "base layer", "proposed layer", "base mults", "proposed mults", "mults change", "params change"]


def _diff_cells(row: DiffRow) -> list[str]:
    b, p = row.base, row.proposed
    return [
        row.status,
        f"{b.index} {b.name}" if b else "",
        f"{p.index} {p.name}" if p else "",
        num(b.mults) if b else "",
        num(p.mults) if p else "",
        _signed(row.mults_change),
        _signed(row.params_change),
    ]


def _diff_totals(report: DiffReport) -> list[list[str]]:
    b, p = report.base, report.proposed
    return [
        ["mults", num(b.mults), num(p.mults), _signed(p.mults - b.mults), _change_text(b.mults, p.mults)],
        ["params", num(b.params), num(p.params), _signed(p.params - b.params), _change_text(b.params, p.params)],
    ]


def _diff_names(report: DiffReport) -> tuple[str, str]:
    return (report.base.name or report.base.source, report.proposed.name or report.proposed.source)


def diff_json(report: DiffReport, checks: Sequence[BudgetCheck] = ()) -> str:
    """``convcost diff --format json``."""
    return json_text(with_budget(report.to_dict(), checks), flat_depth=3)


def diff_csv(report: DiffReport) -> str:
    """``convcost diff --format csv``: one row per layer of either model, heaviest changes first."""
    rows: list[list[object]] = [
        [
            "status",
            "base_index",
            "base_name",
            "proposed_index",
            "proposed_name",
            "base_mults",
            "proposed_mults",
            "mults_change",
            "base_params",
            "proposed_params",
            "params_change",
        ]
    ]
    for r in report.rows:
        b, p = r.base, r.proposed
        rows.append(
            [
                r.status,
                b.index if b else "",
                b.name if b else "",
                p.index if p else "",
                p.name if p else "",
                b.mults if b else "",
                p.mults if p else "",
                r.mults_change,
                b.params if b else "",
                p.params if p else "",
                r.params_change,
            ]
        )
    return _csv(rows)


def diff_markdown(report: DiffReport) -> str:
    """``convcost diff --format markdown``: totals, then the layers that differ."""
    base, proposed = _diff_names(report)
    totals = _md_table(["", "base", "proposed", "change", "change %"], _diff_totals(report), [False, True, True, True, True])
    differing = [r for r in report.rows if r.status != "unchanged"]
    layers = _md_table(DIFF_HEADER, [_diff_cells(r) for r in differing], [False, False, False, True, True, True, True])
    same = len(report.rows) - len(differing)
    return f"**{base} -> {proposed}**\n\n{totals}\n\n{layers}\n\n{same} unchanged layers not shown. {MODEL_CONVENTION}"


def diff_tables(report: DiffReport) -> RenderableType:
    """The default ``diff`` output: totals side by side, then the layers that differ, heaviest first."""
    from rich.console import Group

    base, proposed = _diff_names(report)
    totals = _compact(f"{base} -> {proposed}")
    for label, right in zip(["", "base", "proposed", "change", "change %"], [False, True, True, True, True], strict=True):
        totals.add_column(label, justify="right" if right else "left", no_wrap=True)
    for row in _diff_totals(report):
        totals.add_row(*row)
    differing = [r for r in report.rows if r.status != "unchanged"]
    same = len(report.rows) - len(differing)
    layers = _compact("Layers that differ, heaviest change first", f"{same} unchanged layers not shown. {MODEL_CONVENTION}")
    for label in DIFF_HEADER:
        numeric = label.endswith(("mults", "change"))
        layers.add_column(label.replace(" ", "\n", 1), justify="right" if numeric else "left", no_wrap=numeric, overflow="fold")
    for r in differing:
        layers.add_row(*_diff_cells(r))
    return Group(totals, layers)


# --- separability -------------------------------------------------------------------


def _vector(values: Sequence[Any]) -> str:
    from convcost.separable import number_text

    return "[" + " ".join(number_text(v) for v in values) + "]"


def separable_text(result: Separability) -> str:
    """``convcost separable``: the rank, the 1-D kernels (or the sum of pairs) and the cost per pixel."""
    kh, kw = len(result.rows), len(result.rows[0])
    how = "exact rational arithmetic" if result.exact else f"floating point, tolerance {result.tolerance:g} x max |entry|"
    lines = [f"kernel {kh}x{kw}, rank {result.rank} ({how})"]
    if result.rank == 0:
        lines.append("all zero: nothing to compute")
        return "\n".join(lines)
    if result.separable:
        column, row = result.pairs[0]
        lines += [
            "separable: one vertical times one horizontal 1-D kernel",
            f"  vertical ({kh}x1):   {_vector(column)}^T",
            f"  horizontal (1x{kw}): {_vector(row)}",
            f"  kernel = {_vector(column)}^T x {_vector(row)}",
        ]
    else:
        lines.append(
            f"not separable: it is an exact sum of {result.rank} separable pairs"
            if result.exact
            else f"not separable: within the tolerance it is a sum of {result.rank} separable pairs"
        )
        lines += [f"  {_vector(c)}^T x {_vector(r)}" for c, r in result.pairs]
    full, pairs = result.full_cost, result.pair_cost
    label = f"{kh}x1 then 1x{kw}" if result.separable else f"{result.rank} pairs, {result.rank} x ({kh} + {kw})"
    lines.append(f"mults per output pixel: {full} as a {kh}x{kw} kernel, {pairs} as {label} (speed-up {speedup_text(full, pairs)})")
    return "\n".join(lines)


# --- export -------------------------------------------------------------------------

EXPORT_FORMATS = (".html", ".svg", ".md", ".txt")

_HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{{stylesheet}}
body {{{{ color: {{foreground}}; background-color: {{background}}; margin: 2em auto; max-width: 70em; padding: 0 1em; }}}}
h1 {{{{ font-family: system-ui, sans-serif; font-size: 1.3em; }}}}
pre {{{{ font-family: Menlo, "DejaVu Sans Mono", Consolas, "Courier New", monospace; font-size: 13px; line-height: 1.35; }}}}
</style>
</head>
<body>
<h1>{title}</h1>
<pre><code>{{code}}</code></pre>
</body>
</html>
"""


def export_text(path: str, output: Output, fmt: str, title: str, markdown: Output | None = None) -> str:
    """What was printed (``output``, in format ``fmt``) as an ``--export`` file, by its extension.

    ``.md`` of a table is its Markdown view (``markdown``); of JSON or CSV, a fenced block.
    """
    import html
    import io
    from pathlib import Path

    from convcost.errors import ConvcostError

    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ConvcostError(f"--export: expected a file ending in {', '.join(EXPORT_FORMATS)}, got {path!r}")
    if suffix == ".md":
        if isinstance(markdown, str):
            return markdown + "\n"
        if fmt == "markdown" and isinstance(output, str):
            return output + "\n"
        return f"```{fmt}\n{output}\n```\n"
    from rich.console import Console

    recorder = Console(file=io.StringIO(), record=True, width=100, highlight=False, emoji=False, markup=False, color_system="truecolor")
    for part in _parts(output):
        recorder.print(part, soft_wrap=isinstance(part, str))
    if suffix == ".txt":
        return recorder.export_text()
    if suffix == ".svg":
        return recorder.export_svg(title=title)
    return recorder.export_html(code_format=_HTML_PAGE.format(title=html.escape(title)), inline_styles=False)


def write_export(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file, then an atomic rename)."""
    import os
    import tempfile
    from pathlib import Path

    from convcost.errors import ConvcostError

    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConvcostError(f"--export: cannot write {path!r} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it owner-only; an export is an ordinary file
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ConvcostError(f"--export: cannot write {path!r} ({exc.strerror})") from None
