"""The roofline picture (``--plot FILE.svg|.png``): the device's roofs, log-log, and a point per layer.

x is arithmetic intensity (FLOP per byte), y the FLOP/s a layer attains under the roofline
model (its FLOPs over its roofline time, so every point sits on the roof: the picture shows
where on it each layer falls). The heaviest layers by time are labelled; a ``--method``
variant's stages (or, for ``convcost layer``, each cost model's stages) get their own marker.
Layers without FLOPs (pooling, activations, merges) have no place on a log axis and are
counted in the caption instead.

matplotlib is an optional extra (``pip install 'convcost[plot]'``), imported only here and
only when a picture is drawn. :func:`plot_data` builds everything the picture shows, so tests
check the data, not pixels.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from convcost.analysis.devices import rate_text
from convcost.core.io import write_atomic
from convcost.errors import ConvcostError
from convcost.render.formats import visible
from convcost.render.roofline import precision_text

if TYPE_CHECKING:
    from fractions import Fraction

    from matplotlib.figure import Figure

    from convcost.analysis.network import ModelReport
    from convcost.analysis.roofline import Figures, ModelFigures, Setup
    from convcost.factorize import LayerReport

PLOT_FORMATS = (".svg", ".png")
LABELLED = 6
"""How many of the heaviest points (by time) carry their name."""
MARKERS = ("o", "^", "s", "D", "v", "P", "X")


class Point(NamedTuple):
    """One layer (or stage) on the picture."""

    label: str
    series: str
    """Which marker it takes: ``as written``, a method's name."""
    intensity: Fraction
    """FLOP per byte."""
    performance: Fraction
    """FLOP/s attained: FLOPs / roofline time."""
    seconds: Fraction


class PlotData(NamedTuple):
    """Everything the picture shows."""

    title: str
    device: str
    peak: Fraction
    bandwidth: Fraction
    points: tuple[Point, ...]
    series: tuple[str, ...]
    """Series in legend order (the first is drawn first)."""
    labelled: tuple[int, ...]
    """Indices into ``points`` of the labelled ones."""
    skipped: int
    """Layers with no FLOPs, not drawn."""
    caption: str


def _point(label: str, series: str, fig: Figures) -> Point | None:

    t, timing = fig.traffic, fig.timing
    if timing is None or not t.flops or not t.bytes or not timing.seconds:
        return None
    return Point(label, series, Fraction(t.flops, t.bytes), Fraction(t.flops) / timing.seconds, timing.seconds)


def _heaviest(points: Sequence[Point], count: int = LABELLED) -> tuple[int, ...]:
    order = sorted(range(len(points)), key=lambda i: (-points[i].seconds, i))
    return tuple(sorted(order[:count]))


def _caption(setup: Setup, skipped: int) -> str:

    assert setup.device is not None
    p = setup.precision
    text = (
        f"{precision_text(p)}, batch {p.batch}; peak {rate_text(setup.peak, 'FLOP/s')}, "
        f"bandwidth {rate_text(setup.device.bandwidth, 'B/s')}. Each tensor crosses memory once, no fusion."
    )
    return text + (f" {skipped} layer{'s' if skipped != 1 else ''} without FLOPs not drawn." if skipped else "")


def _data(title: str, setup: Setup, points: list[Point], series: list[str], skipped: int) -> PlotData:
    assert setup.device is not None
    used = [s for s in series if any(p.series == s for p in points)]
    return PlotData(
        title, setup.device.name, setup.peak, setup.device.bandwidth, tuple(points), tuple(used), _heaviest(points), skipped,
        _caption(setup, skipped),
    )  # fmt: skip


def model_plot_data(report: ModelReport, figures: ModelFigures, variant: str | None, title: str) -> PlotData:
    """A point per layer of the network as written; with ``variant``, a point per stage of each layer it changes."""
    points: list[Point] = []
    skipped = 0
    for row, fig in zip(report.layers, figures.base_rows, strict=True):
        point = _point(row.name, "as written", fig)
        if point is None:
            skipped += 1
        else:
            points.append(point)
    series = ["as written"]
    if variant is not None:
        series.append(variant)
        for row, fig, base in zip(report.layers, figures.rows, figures.base_rows, strict=True):
            if fig is base:
                continue
            for j, stage in enumerate(fig.stages or (fig,)):
                point = _point(f"{row.name} ({j + 1})", variant, stage)
                if point is not None:
                    points.append(point)
    return _data(title, figures.setup, points, series, skipped)


def layer_plot_data(report: LayerReport, figures: Sequence[Figures | None], setup: Setup, title: str) -> PlotData:
    """A point per stage of each cost model of one layer, a marker per model."""
    points: list[Point] = []
    skipped = 0
    for result, fig in zip(report.results, figures, strict=True):
        if fig is None:
            continue
        for stage, part in zip(result.stages, fig.stages or (fig,), strict=True):
            point = _point(stage.name, result.method, part)
            if point is None:
                skipped += 1
            else:
                points.append(point)
    return _data(title, setup, points, [r.method for r in report.results], skipped)


def _text(text: str) -> str:
    """A name as the picture shows it: every non-printable character escaped (:func:`visible`), so
    the SVG is well-formed XML and no glyph is missing for a control character. The texts drawn
    from names take ``parse_math=False``: a ``$`` is a dollar sign, never mathematics that fails."""

    return visible(text)


def _figure(data: PlotData) -> Figure:
    """The picture (drawn by :func:`plot_bytes`, which silences matplotlib's warnings)."""
    # lazy: matplotlib, the optional package, only for --plot or an HTML export
    from matplotlib.figure import Figure

    peak, bandwidth = float(data.peak), float(data.bandwidth)
    ridge = peak / bandwidth
    xs = [float(p.intensity) for p in data.points] or [ridge]
    low = min(min(xs) / 4, ridge / 16)
    high = max(max(xs) * 4, ridge * 16)
    fig = Figure(figsize=(8, 5.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.plot([low, ridge, high], [low * bandwidth, peak, peak], color="black", linewidth=1.5, label=f"roofline (ridge {ridge:.4g} FLOP/B)")
    ax.axvline(ridge, color="grey", linewidth=0.6, linestyle=":")
    for k, series in enumerate(data.series):
        chosen = [p for p in data.points if p.series == series]
        ax.scatter(
            [float(p.intensity) for p in chosen],
            [float(p.performance) for p in chosen],
            marker=MARKERS[k % len(MARKERS)],
            s=28,
            alpha=0.75,
            label=f"{series} ({len(chosen)})",  # a method's name or "as written": no $ in it
            zorder=3,
        )
    for i in data.labelled:
        p = data.points[i]
        ax.annotate(
            _text(p.label),
            (float(p.intensity), float(p.performance)),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
            parse_math=False,
        )
    ax.set_xlim(low, high)
    ax.set_ylim(low * bandwidth / 2, peak * 3)
    ax.set_xlabel("arithmetic intensity (FLOP per byte)")
    ax.set_ylabel("attainable FLOP/s")
    ax.set_title(f"{_text(data.title)}\n{_text(data.device)}", fontsize=10, parse_math=False)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    ax.legend(fontsize=8, loc="lower right")
    fig.supxlabel(_text(data.caption), fontsize=6.5, color="dimgrey", parse_math=False)
    return fig


def plot_bytes(data: PlotData, suffix: str) -> bytes:
    """The picture as SVG or PNG bytes (reproducible: no date, a fixed SVG id salt).

    matplotlib's warnings (a glyph missing from the font for a name's character) are silenced:
    a run that succeeds writes nothing to standard error."""

    try:
        # lazy: matplotlib, the optional package, only for --plot or an HTML export
        from matplotlib import rc_context
    except ImportError:
        raise ConvcostError(f"--plot: {MISSING}") from None
    out = io.BytesIO()
    metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
    with warnings.catch_warnings(), rc_context({"svg.hashsalt": "convcost", "svg.fonttype": "none"}):
        warnings.simplefilter("ignore")
        _figure(data).savefig(out, format=suffix[1:], metadata=metadata, dpi=120)
    return out.getvalue()


def check_plot_path(path: str) -> str:
    """The picture's suffix; an error for any other (before anything is computed)."""

    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise ConvcostError(f"--plot: expected a file ending in {' or '.join(PLOT_FORMATS)}, got {path!r}")
    return suffix


def write_plot(path: str, data: PlotData, inputs: Sequence[str] = ()) -> None:
    """Draw and write the picture whole or not at all, never over one of ``inputs`` (the safe
    writer of exports: a ``.convcost-XXXXXXXX.tmp`` file renamed over the target)."""

    write_atomic(path, plot_bytes(data, check_plot_path(path)), inputs, "--plot")


MISSING = "the roofline picture needs matplotlib, which is not installed: pip install 'convcost[plot]'"


def svg_inline(data: PlotData) -> str:
    """The picture as an ``<svg>`` element for an HTML page; without matplotlib, a paragraph saying so."""
    try:
        # lazy: matplotlib, the optional package, only for --plot or an HTML export
        import matplotlib  # noqa: F401
    except ImportError:
        return f"<p>{MISSING}</p>"
    text = plot_bytes(data, ".svg").decode("utf-8")
    return text[text.index("<svg") :]
