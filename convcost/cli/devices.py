"""``convcost devices``, and the work behind the device flags of ``layer`` and ``model``.

Loaded only when a device flag is given (see ``cli/roofline.py``, which declares the flags) or
``convcost devices`` runs: ``convcost layer`` without them starts as fast as before.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from urllib.parse import quote

import click

from convcost.analysis.devices import PEAK_DTYPES, builtin_devices, find_device, load_devices, parse_duration, rate_text
from convcost.cli.common import FORMATS, NO_HOOKS, DeviceFlags, Hooks, SuggestingChoice
from convcost.core.io import check_target, same_target
from convcost.core.units import parse_si, precision
from convcost.errors import ConvcostError
from convcost.pipeline import DeviceSettings
from convcost.render.formats import csv_text, visible
from convcost.render.json import devices_json as document
from convcost.render.roofline import markdown_text
from convcost.render.roofline_plot import check_plot_path, layer_plot_data, model_plot_data, svg_inline, write_plot

if TYPE_CHECKING:
    from fractions import Fraction

    from convcost.analysis.devices import Device
    from convcost.analysis.network import ModelReport
    from convcost.analysis.roofline import LayerFigures, ModelFigures
    from convcost.factorize import LayerReport
    from convcost.pipeline import Run
    from convcost.render.roofline_plot import PlotData

T = TypeVar("T")


class Roofline(NamedTuple):
    """The parsed device flags: the run's device settings, and the picture ``--plot`` asks for."""

    settings: DeviceSettings
    plot: str | None = None
    inputs: tuple[str, ...] = ()
    """Every file the command reads (the picture may overwrite none of them)."""


def parse_settings(flags: DeviceFlags, inputs: tuple[str, ...] = (), export: str | None = None) -> Roofline:
    """Parse and check the device flags (one ``Error:`` line for any mistake); ``inputs`` and
    ``export`` (see :func:`check_plot_target`) are what ``--plot`` must not overwrite."""

    if flags.devices_file == "-" and inputs.count("-") > 1:
        raise ConvcostError("--devices -: the input file is '-' too; standard input can be read only once; give the device table as a file")
    prec = precision(flags.dtype, flags.weight_dtype, flags.batch)
    device = None
    if flags.devices_file is not None and flags.device is None:
        raise click.UsageError("--devices goes with --device NAME (a name from the table)")
    if flags.max_time is not None and flags.device is None:
        raise click.UsageError("--max-time needs --device (time depends on the device)")
    if flags.plot is not None:
        if flags.device is None:
            raise click.UsageError("--plot needs --device (the roofline is the device's)")
        check_plot_target(flags.plot, inputs, export)
    if flags.device is not None:
        device = find_device(flags.device, flags.devices_file)
        device.peak(prec.dtype)  # the device must list a peak for the dtype
    max_time = max_bytes = None
    if flags.max_time is not None:
        max_time = parse_duration(flags.max_time, "--max-time")
    if flags.max_bytes is not None:
        max_bytes = parse_si(flags.max_bytes, "--max-bytes")
    return Roofline(DeviceSettings(device, prec, max_time, max_bytes, flags.batch is not None), flags.plot, inputs)


def check_plot_target(plot: str, inputs: tuple[str, ...], export: str | None) -> None:
    """Refuse a ``--plot`` file before anything is computed: a suffix other than .svg or .png, a
    directory path, one of the ``inputs``, or the ``--export`` target (the two would overwrite
    each other). An ``--export`` that would be refused later is refused now, before the picture
    is written."""

    check_plot_path(plot)
    check_target(plot, inputs, "--plot")
    if export is not None:
        if same_target(plot, export):
            raise ConvcostError(f"--plot: cannot write {plot!r} (it is the --export file too; give each its own file)")
        check_target(export, inputs)


def _lazy(compute: Callable[[], T]) -> Callable[[], T]:
    """``compute``, run once on first call."""
    cache: list[T] = []

    def get() -> T:
        if not cache:
            cache.append(compute())
        return cache[0]

    return get


def model_hooks(roofline: Roofline, run: Run, title: str) -> Hooks:
    """The picture ``--plot`` asks for (written before anything is printed; a ``--method``
    variant's points are measured against the model as written), and the one an HTML export embeds."""
    if roofline.plot is None and roofline.settings.device is None:
        return NO_HOOKS
    report = run.report
    written = report.as_written or report
    figures = run.figures
    assert figures is not None
    plot_data = _lazy(lambda: _model_plot_data(written, figures(), report.variant, title))
    if roofline.plot is not None:
        write_plot(roofline.plot, plot_data(), roofline.inputs)
    return Hooks(figure=_figure(roofline, plot_data))


def _model_plot_data(report: ModelReport, figures: ModelFigures, variant: str | None, title: str) -> PlotData:

    return model_plot_data(report, figures, variant, title)


def _figure(roofline: Roofline, plot_data: Callable[[], PlotData]) -> Callable[[], str] | None:
    """The picture an HTML export embeds, when there is a device."""
    if roofline.settings.device is None:
        return None

    def draw() -> str:

        return svg_inline(plot_data())

    return draw


# --- convcost devices -----------------------------------------------------------------


def _columns(table: dict[str, Device]) -> list[str]:

    return [d for d in PEAK_DTYPES if any(d in dev.peaks or "*" in dev.peaks for dev in table.values())]


def _rows(table: dict[str, Device]) -> tuple[list[str], list[list[str]]]:

    dtypes = _columns(table)
    header = ["device", *dtypes, "bandwidth", "memory"]
    rows = []
    for key, dev in table.items():
        peaks = [rate_text(dev.peaks.get(d, dev.peaks.get("*"))) for d in dtypes]
        memory = rate_text(dev.memory, "B") if dev.memory is not None else "-"
        rows.append([key, *peaks, rate_text(dev.bandwidth, "B/s"), memory])
    return header, rows


_DEVICES_NOTE = (
    "Peaks in FLOP/s (int8: ops/s), dense (no sparsity); decimal units: 1 GB/s = 10^9 bytes/s.\n"
    "tf32: fp32 tensors (4 bytes) multiplied on TF32 tensor cores; --dtype tf32 uses that peak."
)


def devices_text(table: dict[str, Device]) -> str:
    """The table, then each device's full name, source and note."""

    header, rows = _rows(table)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    lines = [line(header), *(line(r) for r in rows), _DEVICES_NOTE]
    for key, dev in table.items():  # a user's table may hold any text: shown escaped (visible)
        lines += ["", f"{key}: {visible(dev.name)}"]
        if dev.source:
            lines.append(f"  {visible(dev.source)}")
        if dev.note:
            lines += textwrap.wrap(visible(dev.note), 78, initial_indent="  ", subsequent_indent="  ", break_long_words=False)
    return "\n".join(lines)


def devices_markdown(table: dict[str, Device]) -> str:
    """A GitHub table with a source link per device."""
    header, rows = _rows(table)
    lines = ["| " + " | ".join([*header, "source"]) + " |", "|---|" + "---:|" * (len(header) - 1) + "---|"]
    for row, dev in zip(rows, table.values(), strict=True):
        lines.append("| " + " | ".join([f"`{row[0]}`", *row[1:], source_markdown(dev.name, dev.source)]) + " |")
    return "\n".join([*lines, "", _DEVICES_NOTE])


_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)


def source_markdown(name: str, source: str) -> str:
    """A device's name for a Markdown cell, linked to its source only when that is an http(s)
    address (percent-encoded so it cannot end the link or the cell); any other source is text."""

    text = markdown_text(name)
    if not source:
        return text
    if _WEB_ADDRESS.fullmatch(source):
        return f"[{text}]({quote(source, safe=_URL_SAFE)})"
    return f"{text} ({markdown_text(source)})"


_URL_SAFE = "/:?#@!$&'*+,;=%~-._"
"""What an address keeps as it is; anything else (``(``, ``)``, ``<``, ``|``, ``[``, ``]``, ``\\``, non-ASCII) is percent-encoded."""


def _exact(value: Fraction | None) -> int | str | None:
    """A figure for CSV: the integer when whole, else its exact decimal (every figure is a decimal as written)."""
    if value is None:
        return None
    if value.denominator == 1:
        return int(value)
    places = next((p for p in range(1, 64) if (value * 10**p).denominator == 1), None)
    if places is None:  # not a decimal: the nearest float, as JSON gives it
        return repr(float(value))
    whole, part = divmod(int(value * 10**places), 10**places)
    return f"{whole}.{part:0{places}d}"


def devices_csv(table: dict[str, Device]) -> str:
    """One row per device: its peaks in FLOP/s per dtype (empty where it lists none), bandwidth and
    memory in bytes, exact; then its name and source."""
    dtypes = _columns(table)
    header = ["device", *dtypes, "bandwidth_bytes_per_s", "memory_bytes", "name", "source"]
    rows: list[list[object]] = [list(header)]
    for key, dev in table.items():
        peaks = [_exact(dev.peaks.get(d, dev.peaks.get("*"))) for d in dtypes]
        rows.append([key, *peaks, _exact(dev.bandwidth), _exact(dev.memory), dev.name, dev.source])
    return csv_text(rows)


def devices_json(table: dict[str, Device]) -> str:
    """Exact figures: integers where whole, else the nearest float."""

    return document(table)


@click.command()
@click.option(
    "--devices",
    "devices_file",
    metavar="FILE.yaml",
    type=click.Path(readable=False),
    help="Also list the devices of your own table (they win on a name clash).",
)
@click.option("--format", "fmt", type=SuggestingChoice(FORMATS), default="table", show_default=True, help="Output format.")
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

    table = builtin_devices()
    if devices_file is not None:
        table.update(load_devices(devices_file))
    text = {"table": devices_text, "markdown": devices_markdown, "json": devices_json, "csv": devices_csv}[fmt](table)
    click.echo(text)


def layer_hooks(roofline: Roofline, run: Run, title: str) -> Hooks:
    """The picture ``--plot`` asks for (written before anything is printed), and the one an HTML export embeds."""
    if roofline.plot is None and roofline.settings.device is None:
        return NO_HOOKS
    figures = run.figures
    assert figures is not None
    plot_data = _lazy(lambda: _layer_plot_data(run.report, figures(), title))
    if roofline.plot is not None:
        write_plot(roofline.plot, plot_data(), roofline.inputs)
    return Hooks(figure=_figure(roofline, plot_data))


def _layer_plot_data(report: LayerReport, lf: LayerFigures, title: str) -> PlotData:

    return layer_plot_data(report, lf.figures, lf.setup, title)
