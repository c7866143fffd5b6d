"""Options and the output edge shared by the commands."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

import click

from convcost import render
from convcost._early import to_devnull
from convcost.core.suggest import closest
from convcost.core.units import parse_si
from convcost.errors import ConvcostError

FORMATS = ("table", "json", "csv", "markdown")


class SuggestingChoice(click.Choice[str]):
    """A click.Choice whose refusal adds the likeliest choice (:func:`convcost.core.suggest.closest`:
    ``depthwise`` -> ``depthwise-separable``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return str(super().convert(value, param, ctx))
        except click.BadParameter as exc:
            best = closest(value, [str(c) for c in self.choices])
            if best is None:
                raise
            raise click.BadParameter(f"{exc.message.rstrip('.')}; did you mean {best!r}?", exc.ctx, exc.param) from None


class LazyChoice(SuggestingChoice):
    """A click.Choice whose choices are looked up when first needed (parsing a value, help,
    completion), so that defining a command does not import what lists them (the cost models)."""

    def __init__(self, names: Callable[[], Sequence[str]]) -> None:
        self._names = names
        self._choices: tuple[str, ...] | None = None
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._names())
        return self._choices

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        self._choices = tuple(value)


F = TypeVar("F", bound=Callable[..., Any])


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=SuggestingChoice(FORMATS),
        default="table",
        show_default=True,
        help="Output format; json is the stable scripting contract.",
    )(func)


def _review_options(func: F) -> F:
    """--max-mults, --max-params, --max-flops and --export, shared by layer, model and diff."""
    func = click.option(
        "--export",
        metavar="FILE",
        type=click.Path(readable=False),  # a path: shells complete file names
        help="Also write the report to FILE (.html, .svg, .md or .txt, by its extension), with the command line, "
        "input files, version and date it came from.",
    )(func)
    func = click.option("--max-flops", metavar="N", help="Budget: exit 1 if FLOPs (2 x mults) exceed N (e.g. 1.2G).")(func)
    func = click.option("--max-params", metavar="N", help="Budget: exit 1 if params exceed N (e.g. 4.2M).")(func)
    return click.option("--max-mults", metavar="N", help="Budget: exit 1 if mults exceed N (e.g. 600M, 1.5G, 250k).")(func)


def _limits(
    max_mults: str | None, max_params: str | None, base: Mapping[str, tuple[int, str]] | None = None, max_flops: str | None = None
) -> dict[str, tuple[int, str]]:
    """Budget limits: a file's ``budget:`` overridden by the flags."""
    limits = dict(base or {})
    for key, value in (("max-mults", max_mults), ("max-params", max_params), ("max-flops", max_flops)):
        if value is not None:
            limits[key] = parse_si(value, f"--{key}")
    return limits


def _finish(
    fmt: str,
    views: Mapping[str, render.View],
    export: str | None,
    title: str,
    checks: Sequence[Any] = (),
    inputs: Sequence[str] = (),
    figure: Callable[[], str] | None = None,
) -> None:
    """Export (whole or not at all, before anything is printed), print, then report budgets.

    An export carries its provenance: the command line, the input files ``inputs`` (``-`` is
    standard input), the convcost version and the date. Exit status 1 when a budget is
    exceeded; the output is printed all the same. ``figure`` draws the SVG picture an ``.html``
    export embeds under the tables (the roofline, with ``--device``).
    """
    output = views[fmt]()
    lines = render.budget_lines(checks)
    unwritten: ConvcostError | None = None
    if export is not None:
        markdown = views["markdown"]() if fmt == "table" else None
        origin = render.provenance(click.get_current_context().meta.get("convcost.argv", ()), inputs)
        try:
            render.write_export(export, render.export_text(export, output, fmt, title, markdown, origin, figure), inputs)
        except ConvcostError as exc:
            if not lines:
                raise
            unwritten = exc  # over budget: the verdict wins over an export that could not be written (exit 1)
    try:
        render.emit(output)
        sys.stdout.flush()  # the report before any budget line (2>&1), and a closed pipe seen here (exit 141)
    except OSError:
        if not lines:
            raise
        # over budget: the verdict wins over an output that could not be written (`| head -c1`, >/dev/full)

        with contextlib.suppress(OSError, ValueError):
            to_devnull(sys.stdout.fileno())
    for line in [*([] if unwritten is None else [f"Error: {unwritten}"]), *lines]:
        with contextlib.suppress(OSError):  # stderr unwritable (2>/dev/full): the verdict still stands, exit 1
            click.echo(line, err=True)
    if lines:
        raise click.exceptions.Exit(1)


# --- the device flags' records (cli/roofline declares the flags, cli/devices does their work) ---


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

    @property
    def inputs(self) -> tuple[str, ...]:
        """The files the flags read (``--devices``): inputs no ``--export`` or ``--plot`` may overwrite."""
        return () if self.devices_file is None else (self.devices_file,)


class Hooks:
    """What a command needs of its device flags beyond the run: the picture an HTML export embeds
    (a plain class: defining it costs next to nothing)."""

    __slots__ = ("figure",)

    def __init__(self, figure: Callable[[], str] | None = None) -> None:
        self.figure = figure


NO_HOOKS = Hooks()


# --- the training flags -------------------------------------------------------------------------

OPTIMIZER_NAMES = ("sgd", "momentum", "adam")
"""``--optimizer``: its state is 0, 1 or 2 copies of the weights (``analysis.training.OPTIMIZERS``)."""


def training_options(first_layer: bool) -> Callable[[F], F]:
    """--training, --samples, --epochs, --optimizer (a model's memory); ``first_layer``: --first-layer (``layer``)."""

    def decorate(func: F) -> F:
        if not first_layer:
            func = click.option(
                "--optimizer",
                type=SuggestingChoice(OPTIMIZER_NAMES),
                help="With --training: the optimizer whose state the training memory counts (sgd 0, momentum 1, adam 2 "
                "copies of the weights).  [default: sgd]",
            )(func)
        func = click.option("--epochs", metavar="E", help="With --samples: passes over the samples.  [default: 1]")(func)
        func = click.option(
            "--samples", metavar="N", help="With --training: a run's samples per epoch; gives the run's FLOPs (and time with --device)."
        )(func)
        if first_layer:
            func = click.option(
                "--first-layer", is_flag=True, help="With --training: the layer is fed by the network input (no input gradient)."
            )(func)
        return click.option(
            "--training",
            is_flag=True,
            help="Add the backward pass: input-gradient and weight-gradient mults per row, and a training step's bytes and time.",
        )(func)

    return decorate


def training_settings(flags: dict[str, Any]) -> Any:
    """Take the training flags out of a command's keyword arguments: a TrainingSettings, or None without --training."""
    training = flags.pop("training")
    first = flags.pop("first_layer", False)
    samples, epochs, optimizer = flags.pop("samples"), flags.pop("epochs"), flags.pop("optimizer", None)
    if not training:
        given = [
            name
            for name, value in (("--first-layer", first), ("--samples", samples), ("--epochs", epochs), ("--optimizer", optimizer))
            if value
        ]
        if given:
            raise ConvcostError(f"{given[0]} goes with --training")
        return None
    if epochs is not None and samples is None:
        raise ConvcostError("--epochs goes with --samples (the samples per epoch)")
    # lazy: the training analysis only under --training
    from convcost.analysis.training import TrainingSettings
    from convcost.core.shapes import parse_int

    count = parse_int(samples, "--samples") if samples is not None else None
    passes = parse_int(epochs, "--epochs") if epochs is not None else None
    return TrainingSettings(bool(first), count, passes, optimizer or "sgd")
