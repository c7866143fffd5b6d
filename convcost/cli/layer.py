"""``convcost layer``: one layer under every cost model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from convcost import render
from convcost.cli.common import (
    DeviceFlags,
    LazyChoice,
    _finish,
    _format_option,
    _limits,
    _review_options,
    training_options,
    training_settings,
)
from convcost.cli.roofline import device_options, layer_hooks, roofline_settings

if TYPE_CHECKING:
    from convcost.factorize import Target
    from convcost.frontends.fields import Field


def _method_names() -> list[str]:
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost.factorize import METHODS

    return list(METHODS)


def _targets(mults: str | None, params: str | None) -> tuple[Target, ...]:
    """--target and --target-params, parsed."""
    if mults is None and params is None:
        return ()  # the cost models load after the layer is read: a bad value is refused sooner
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost.factorize import parse_target

    given = ((mults, "--target", "mults"), (params, "--target-params", "params"))
    return tuple(parse_target(text, flag, figure) for text, flag, figure in given if text is not None)


@click.command()
@click.argument("file", required=False, metavar="[LAYER.yaml]", type=click.Path(allow_dash=True, readable=False))
@click.option("--in", "in_", metavar="HxWxC", help="Input height x width x channels, e.g. 28x28x8.")
@click.option("--k", "--kernel-size", "--kernel_size", "k", metavar="K|KHxKW", help="Kernel size, e.g. 3 or 1x7 (PyTorch's kernel_size).")
@click.option("--out", "--out-channels", "--out_channels", "out", metavar="N", help="Output channels (PyTorch's out_channels).")
@click.option("--stride", metavar="S|SHxSW", help="Stride.  [default: 1]")
@click.option("--padding", metavar="P|PHxPW|same|valid", help="Padding per side, or TensorFlow same/valid.  [default: 0]")
@click.option("--dilation", metavar="D|DHxDW", help="Dilation.  [default: 1]")
@click.option("--groups", metavar="G", help="Groups (C and N must divide by G).  [default: 1]")
@click.option("--bias/--no-bias", default=None, help="Count one bias per output channel of each stage.  [default: no-bias]")
@click.option(
    "--rank",
    metavar="R|R3xR4|F",
    help="Rank for low-rank, tucker2 (R3xR4: its two ranks) and cp; a fraction F in (0, 1): that fraction of each "
    "method's full rank (spatial-separable's mid too).  [default: low-rank max(1, full rank // 4); tucker2, cp: --target 4x]",
)
@click.option("--mid", metavar="M", help="Middle channels for spatial-separable.  [default: min(C, N)]")
@click.option("--target", metavar="Fx|P%", help="Each method's rank (or mid): the largest with at least this mults reduction (4x, 75%).")
@click.option("--target-params", metavar="Fx|P%", help="The same on params (with --target: both must be met).")
@click.option("--method", "methods", multiple=True, type=LazyChoice(_method_names), help="Show only this method (repeatable).")
@_format_option
@click.option("--explain", is_flag=True, help="Print every stage's arithmetic after the table.")
@training_options(first_layer=True)
@_review_options
@device_options
def layer(
    file: str | None,
    methods: tuple[str, ...],
    fmt: str,
    explain: bool,
    max_mults: str | None,
    max_params: str | None,
    max_flops: str | None,
    export: str | None,
    **flags: Any,
) -> None:
    """Cost one convolution layer under every method (standard and each factorization).

    The layer comes from flags, or from LAYER.yaml (keys named like the flags;
    '-' reads standard input), with flags overriding the file. Budgets check the
    first method shown: standard, or the first --method given.

    \b
    Example:
      convcost layer --in 28x28x8 --k 3 --out 16
    """
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost._early import kept
    from convcost.frontends.fields import layer_spec, load_layer_fields, missing_layer_key

    if explain and fmt != "table":
        raise click.UsageError("--explain goes with --format table")
    fields: dict[str, Field] = {}
    source = None
    if file is not None:
        fields, source = kept("layer", file) or load_layer_fields(file)
    training = training_settings(flags)
    device_flags = DeviceFlags.pop(flags)
    inputs = (*(() if file is None else (file,)), *device_flags.inputs)
    roofline = roofline_settings(device_flags, inputs, export)
    flags["in"] = flags.pop("in_")
    targets = _targets(flags.pop("target"), flags.pop("target_params"))
    for key, value in flags.items():
        if value is not None:
            fields[key] = (value, f"--{key}")

    limits = _limits(max_mults, max_params, max_flops=max_flops)
    spec = layer_spec(fields, missing_layer_key(source))._replace(targets=targets)
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost.pipeline import Settings, layer_run  # after the layer is read: a bad value is refused sooner

    device = None if roofline is None else roofline.settings
    run = layer_run(spec, Settings(methods=methods, limits=limits, device=device, training=training))
    report = run.report
    title = f"convcost layer: {report.conv.inp} -> {report.conv.out}"
    hooks = layer_hooks(roofline, run, title)
    views = render.run_views(run)
    if explain:
        views["table"] = lambda: [*render.layer_table(report, run.figures, run.training), "\n" + render.layer_explain(report)]
    _finish(fmt, views, export, title, run.checks, inputs, hooks.figure)
