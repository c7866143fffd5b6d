"""The device flags of ``layer`` and ``model`` (--device, --dtype, --batch, budgets, --plot).

Imported with those commands, so kept light: when none of the flags is given nothing else is
imported (the JSON views then show bytes and intensity at fp32, batch 1 by themselves); the
parsing and the work live in ``cli/devices.py``, loaded only when a flag asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from convcost.cli.common import NO_HOOKS, DeviceFlags, Hooks

if TYPE_CHECKING:
    from convcost.cli.devices import Roofline
    from convcost.pipeline import Run

F = TypeVar("F", bound=Callable[..., Any])


def _device_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for --device: the built-in devices' names."""
    # lazy: the device table only when a shell asks for completions
    from convcost.analysis.devices import builtin_devices

    return [name for name in builtin_devices() if name.startswith(incomplete)]


def device_options(func: F) -> F:
    """--device, --devices, --batch, --dtype, --weight-dtype, --max-time, --max-bytes and --plot."""
    options = [
        click.option(
            "--plot",
            metavar="FILE",
            type=click.Path(readable=False),
            help="Draw the roofline with a point per layer to FILE (.svg or .png; needs --device).",
        ),
        click.option("--max-bytes", metavar="N", help="Budget: exit 1 if bytes moved exceed N (e.g. 40M)."),
        click.option("--max-time", metavar="T", help="Budget: exit 1 if the roofline time exceeds T (e.g. 2ms, 150us; needs --device)."),
        click.option("--weight-dtype", metavar="DTYPE", help="Weight dtype, if not --dtype's: fp32, fp16, bf16 or int8."),
        click.option(
            "--batch",
            metavar="B",
            help="Batch: mults, FLOPs, activation bytes and time scale with it, weights do not.  [default: 1]",
        ),
        click.option(
            "--devices",
            "devices_file",
            metavar="FILE.yaml",
            type=click.Path(readable=False),
            help="Your own device table (see 'convcost devices --help').",
        ),
        click.option(
            "--device",
            metavar="NAME|peak=P,bw=B",
            help="Add bytes, intensity, bound and time on this device ('convcost devices' lists them).",
            shell_complete=_device_names,
        ),
        click.option(
            "--dtype",
            metavar="DTYPE",
            help="Tensor dtype for bytes and the peak used: fp32, fp16, bf16, int8 (tf32: fp32 tensors at the tf32 peak).  [default: fp32]",
            shell_complete=lambda ctx, param, incomplete: [d for d in ("fp32", "fp16", "bf16", "int8", "tf32") if d.startswith(incomplete)],
        ),
    ]
    for option in options:
        func = option(func)
    return func


def roofline_settings(flags: DeviceFlags, inputs: tuple[str, ...] = (), export: str | None = None) -> Roofline | None:
    """The parsed device flags (one ``Error:`` line for any mistake); None when none was given.

    ``inputs`` are every file the command reads and ``export`` its ``--export`` target: ``--plot``
    may overwrite neither."""
    if all(value is None for value in flags):
        return None
    # lazy: the device flags' work only when one is given
    from convcost.cli.devices import parse_settings

    return parse_settings(flags, inputs, export)


def layer_hooks(roofline: Roofline | None, run: Run, title: str) -> Hooks:
    """``convcost layer``'s picture (nothing without a device flag)."""
    if roofline is None:
        return NO_HOOKS
    # lazy: the device flags' work only when one is given
    from convcost.cli.devices import layer_hooks

    return layer_hooks(roofline, run, title)


def model_hooks(roofline: Roofline | None, run: Run, title: str) -> Hooks:
    """``convcost model``'s picture (nothing without a device flag)."""
    if roofline is None:
        return NO_HOOKS
    # lazy: the device flags' work only when one is given
    from convcost.cli.devices import model_hooks

    return model_hooks(roofline, run, title)
