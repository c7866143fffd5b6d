"""``convcost devices``, and the device flags ``layer`` and ``model`` share.

Nothing here reads the device table, or imports ``fractions``, unless a device is asked for:
``convcost layer`` without ``--device`` starts as fast as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click

from convcost.errors import ConvcostError

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.devices import Device
    from convcost.analysis.network import ModelReport
    from convcost.analysis.roofline import Figures, LayerFigures, ModelFigures, Precision, Setup
    from convcost.core.graph import Graph
    from convcost.factorize import LayerReport
    from convcost.render.roofline_plot import PlotData

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

DTYPE_CHOICES = ("fp32", "fp16", "bf16", "int8")


def device_options(func: F) -> F:
    """--device, --devices, --batch, --dtype, --weight-dtype, --max-time, --max-bytes and --plot."""
    options = [
        click.option(
            "--plot",
            metavar="FILE",
            type=click.Path(),
            help="Draw the roofline with a point per layer to FILE (.svg or .png; needs --device).",
        ),
        click.option("--max-bytes", metavar="N", help="Budget: exit 1 if bytes moved exceed N (e.g. 40M)."),
        click.option("--max-time", metavar="T", help="Budget: exit 1 if the roofline time exceeds T (e.g. 2ms, 150us; needs --device)."),
        click.option("--weight-dtype", metavar="DTYPE", help="Weight dtype, if not --dtype's: fp32, fp16, bf16 or int8."),
        click.option("--dtype", metavar="DTYPE", help="Tensor dtype for bytes and the peak used: fp32, fp16, bf16, int8.  [default: fp32]"),
        click.option(
            "--batch",
            metavar="B",
            help="Batch: FLOPs, activation bytes and time scale with it, weights do not (model: mults too).  [default: 1]",
        ),
        click.option(
            "--devices",
            "devices_file",
            metavar="FILE.yaml",
            type=click.Path(),
            help="Your own device table (see 'convcost devices --help').",
        ),
        click.option(
            "--device",
            metavar="NAME|peak=P,bw=B",
            help="Add bytes, intensity, bound and time on this device ('convcost devices' lists them).",
        ),
    ]
    for option in options:
        func = option(func)
    return func


class DeviceFlags(NamedTuple):
    """The device flags as given, before any is parsed."""

    device: str | None = None
    devices_file: str | None = None
    batch: str | None = None
    dtype: str | None = None
    weight_dtype: str | None = None
    max_time: str | None = None
    max_bytes: str | None = None
    plot: str | None = None

    @classmethod
    def pop(cls, flags: dict[str, Any]) -> DeviceFlags:
        """Take the device flags out of a command's keyword arguments."""
        return cls(*(flags.pop(name) for name in cls._fields))


class Roofline(NamedTuple):
    """The parsed device settings: the device (or None), the precision, and the roofline budgets."""

    device: Device | None
    precision: Precision
    max_time: tuple[Fraction, str] | None = None
    max_bytes: tuple[int, str] | None = None
    plot: str | None = None

    @property
    def setup(self) -> Setup:
        """The analysis' view of the settings."""
        from convcost.analysis.roofline import Setup

        return Setup(self.precision, self.device)

    def figures_needed(self, fmt: str) -> bool:
        """True when the output shows roofline figures: JSON always (bytes, intensity), the others with a device."""
        return fmt == "json" or self.device is not None or self.max_bytes is not None


def roofline_settings(flags: DeviceFlags) -> Roofline | None:
    """Parse and check the device flags (one ``Error:`` line for any mistake); None when none was
    given (nothing is imported then: the JSON views show bytes at fp32, batch 1 by themselves)."""
    if all(value is None for value in flags):
        return None
    from convcost.analysis.roofline import precision

    prec = precision(flags.dtype, flags.weight_dtype, flags.batch)
    device = None
    if flags.devices_file is not None and flags.device is None:
        raise click.UsageError("--devices goes with --device NAME (a name from the table)")
    if flags.max_time is not None and flags.device is None:
        raise click.UsageError("--max-time needs --device (time depends on the device)")
    if flags.plot is not None:
        if flags.device is None:
            raise click.UsageError("--plot needs --device (the roofline is the device's)")
        from convcost.render.roofline_plot import check_plot_path

        check_plot_path(flags.plot)
    if flags.device is not None:
        from convcost.analysis.devices import find_device

        device = find_device(flags.device, flags.devices_file)
        device.peak(prec.dtype)  # the device must list a peak for the dtype
    max_time = max_bytes = None
    if flags.max_time is not None:
        from convcost.analysis.devices import parse_duration

        max_time = parse_duration(flags.max_time, "--max-time")
    if flags.max_bytes is not None:
        from convcost.analysis.budget import parse_si

        max_bytes = parse_si(flags.max_bytes, "--max-bytes")
    return Roofline(device, prec, max_time, max_bytes, flags.plot)


def _lazy(compute: Callable[[], T]) -> Callable[[], T]:
    """``compute``, run once on first call."""
    cache: list[T] = []

    def get() -> T:
        if not cache:
            cache.append(compute())
        return cache[0]

    return get


def _budget(settings: Roofline, total: Figures) -> tuple[BudgetCheck, ...]:
    from convcost.analysis.budget import check_roofline_budget
    from convcost.render.numbers import seconds_text

    timing = total.timing
    seconds = timing.seconds if timing is not None else None
    shown = seconds_text(seconds) if seconds is not None else ""
    return check_roofline_budget(settings.max_bytes, settings.max_time, total.traffic.bytes, seconds, shown)


class ModelRoofline(NamedTuple):
    """What ``convcost model`` needs of the roofline: the lazy figures for the views, budgets, the picture."""

    view: Callable[[], ModelFigures] | None
    checks: tuple[BudgetCheck, ...]
    figure: Callable[[], str] | None = None
    """The picture for an HTML export (with a device)."""


def model_roofline(settings: Roofline | None, report: ModelReport, base: Callable[[], ModelReport], fmt: str, title: str) -> ModelRoofline:
    """Figures for ``report`` (``base``: the model as written, costed only when ``report`` is a ``--method`` variant),
    its roofline budgets, and the picture if ``--plot`` asked for one (written before anything is printed)."""
    if settings is None or (not settings.figures_needed(fmt) and settings.plot is None):
        return ModelRoofline(None, ())
    from convcost.analysis.roofline import model_figures

    written = _lazy(base) if report.variant else (lambda: report)
    if settings.device is None:  # bytes add up over stages: the variant's own rows give them exactly, without costing it twice
        figures = _lazy(lambda: model_figures(report, settings.setup, report.variant, as_shown=True))
    else:
        figures = _lazy(lambda: model_figures(written(), settings.setup, report.variant))
    checks = _budget(settings, figures().total) if settings.max_bytes or settings.max_time else ()
    plot_data = _lazy(lambda: _model_plot_data(written(), figures(), report.variant, title))
    if settings.plot is not None:
        from convcost.render.roofline_plot import write_plot

        write_plot(settings.plot, plot_data())
    return ModelRoofline(figures if settings.figures_needed(fmt) else None, checks, _figure(settings, plot_data))


def _model_plot_data(report: ModelReport, figures: ModelFigures, variant: str | None, title: str) -> PlotData:
    from convcost.render.roofline_plot import model_plot_data

    return model_plot_data(report, figures, variant, title)


def _figure(settings: Roofline, plot_data: Callable[[], PlotData]) -> Callable[[], str] | None:
    """The picture an HTML export embeds, when there is a device."""
    if settings.device is None:
        return None

    def draw() -> str:
        from convcost.render.roofline_plot import svg_inline

        return svg_inline(plot_data())

    return draw


def batched_graph(graph: Graph, settings: Roofline | None) -> Graph:
    """The graph at ``--batch`` (mults and activations scale with it, weights do not)."""
    if settings is None or settings.precision.batch == 1:
        return graph
    from dataclasses import replace

    return replace(graph, batch=settings.precision.batch)


# --- convcost devices -----------------------------------------------------------------


def _columns(table: dict[str, Device]) -> list[str]:
    from convcost.analysis.devices import PEAK_DTYPES

    return [d for d in PEAK_DTYPES if any(d in dev.peaks or "*" in dev.peaks for dev in table.values())]


def _rows(table: dict[str, Device]) -> tuple[list[str], list[list[str]]]:
    from convcost.analysis.devices import rate_text

    dtypes = _columns(table)
    header = ["device", *dtypes, "bandwidth", "memory"]
    rows = []
    for key, dev in table.items():
        peaks = [rate_text(dev.peaks.get(d, dev.peaks.get("*"))) for d in dtypes]
        memory = rate_text(dev.memory, "B") if dev.memory is not None else "-"
        rows.append([key, *peaks, rate_text(dev.bandwidth, "B/s"), memory])
    return header, rows


_DEVICES_NOTE = "Peaks in FLOP/s (int8: ops/s), dense (no sparsity); decimal units: 1 GB/s = 10^9 bytes/s."


def devices_text(table: dict[str, Device]) -> str:
    """The table, then each device's full name, source and note."""
    import textwrap

    header, rows = _rows(table)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    lines = [line(header), *(line(r) for r in rows), _DEVICES_NOTE]
    for key, dev in table.items():
        lines += ["", f"{key}: {dev.name}"]
        if dev.source:
            lines.append(f"  {dev.source}")
        if dev.note:
            lines += textwrap.wrap(dev.note, 78, initial_indent="  ", subsequent_indent="  ", break_long_words=False)
    return "\n".join(lines)


def devices_markdown(table: dict[str, Device]) -> str:
    """A GitHub table with a source link per device."""
    header, rows = _rows(table)
    lines = ["| " + " | ".join([*header, "source"]) + " |", "|---|" + "---:|" * (len(header) - 1) + "---|"]
    for row, dev in zip(rows, table.values(), strict=True):
        source = f"[{dev.name}]({dev.source})" if dev.source else dev.name
        lines.append("| " + " | ".join([f"`{row[0]}`", *row[1:], source.replace("|", "\\|")]) + " |")
    return "\n".join([*lines, "", _DEVICES_NOTE])


def devices_json(table: dict[str, Device]) -> str:
    """Exact figures: integers where whole, else the nearest float."""
    import json

    from convcost.analysis.devices import device_dict

    return json.dumps({"devices": [device_dict(dev) for dev in table.values()]}, indent=2)


@click.command()
@click.option(
    "--devices",
    "devices_file",
    metavar="FILE.yaml",
    type=click.Path(),
    help="Also list the devices of your own table (they win on a name clash).",
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json", "markdown")), default="table", show_default=True, help="Output format."
)
def devices(devices_file: str | None, fmt: str) -> None:
    """List the devices --device knows, with their peaks, bandwidth and sources.

    A table of your own (--devices FILE.yaml) maps names to figures:

    \b
      my-gpu:
        name: My GPU            # optional
        peak: {fp32: 19.5T, fp16: 78T}   # FLOP/s per dtype, or one figure
        bandwidth: 1555G        # bytes/s
        memory: 40G             # optional
        source: https://...     # optional
    """
    from convcost.analysis.devices import builtin_devices, load_devices

    table = builtin_devices()
    if devices_file is not None:
        table.update(load_devices(devices_file))
    text = {"table": devices_text, "markdown": devices_markdown, "json": devices_json}[fmt](table)
    click.echo(text)


class LayerRoofline(NamedTuple):
    """What ``convcost layer`` needs of the roofline: the lazy figures for the views, and budgets."""

    view: Callable[[], LayerFigures] | None
    checks: tuple[BudgetCheck, ...]
    figure: Callable[[], str] | None = None
    """The picture for an HTML export (with a device)."""


def layer_roofline(settings: Roofline | None, report: LayerReport, fmt: str, title: str) -> LayerRoofline:
    """Figures for each cost model of ``report``, budgets on the first one shown, and the picture if asked for."""
    if settings is None or (not settings.figures_needed(fmt) and settings.plot is None):
        return LayerRoofline(None, ())
    from convcost.analysis.roofline import layer_figures

    figures = _lazy(lambda: layer_figures(report, settings.setup))
    checks: tuple[BudgetCheck, ...] = ()
    if settings.max_bytes or settings.max_time:
        first = figures().figures[0]
        if first is None:
            result = report.results[0]
            raise ConvcostError(f"the budget cannot be checked: {result.method} does not apply ({result.reason})")
        checks = _budget(settings, first)
    plot_data = _lazy(lambda: _layer_plot_data(report, figures(), title))
    if settings.plot is not None:
        from convcost.render.roofline_plot import write_plot

        write_plot(settings.plot, plot_data())
    return LayerRoofline(figures if settings.figures_needed(fmt) else None, checks, _figure(settings, plot_data))


def _layer_plot_data(report: LayerReport, lf: LayerFigures, title: str) -> PlotData:
    from convcost.render.roofline_plot import layer_plot_data

    return layer_plot_data(report, lf.figures, lf.setup, title)
