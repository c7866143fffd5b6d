"""``convcost model``: a whole network."""

from __future__ import annotations

from typing import Any

import click

from convcost import render
from convcost.cli.common import (
    DeviceFlags,
    LazyChoice,
    SuggestingChoice,
    _finish,
    _format_option,
    _limits,
    _review_options,
    training_options,
    training_settings,
)
from convcost.cli.roofline import device_options, model_hooks, roofline_settings


def _method_names() -> list[str]:
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost.factorize import METHODS

    return list(METHODS)  # standard too, as `convcost layer` takes it: the model as written


@click.command()
@click.argument("file", metavar="MODEL.yaml|MODEL.onnx", type=click.Path(allow_dash=True, readable=False))
@click.option(
    "--method",
    type=LazyChoice(_method_names),
    help="Show the per-layer table with every layer this method applies to built that way (standard: as written).",
)
@click.option(
    "--rank",
    metavar="R|R3xR4|F",
    help="Rank for every layer (low-rank, tucker2, cp; capped at each layer's full rank; a fraction F in (0, 1): that fraction "
    "of each full rank; a layer's own rank wins).",
)
@click.option("--mid", metavar="M", help="Spatial-separable middle channels for every layer (a layer's own mid wins).")
@click.option("--target", metavar="Fx|P%", help="Each layer's ranks: the largest with at least this mults reduction (4x, 75%).")
@click.option("--target-params", metavar="Fx|P%", help="The same on params (with --target: both must be met).")
@click.option("--depth", metavar="N", help="Show layers at most N blocks deep; a deeper block is one row with its subtotal.")
@click.option(
    "--top", metavar="N", help="Show only the N heaviest rows (by --sort, default mults); JSON keeps every row and adds the order."
)
@click.option(
    "--sort",
    type=SuggestingChoice(("mults", "params", "bytes", "time")),
    help="Show the rows heaviest first by this figure (bytes and time need --device, which shows them).",
)
@click.option(
    "--input",
    "input_dims",
    multiple=True,
    metavar="[NAME=]NxCxHxW",
    help="ONNX: an input's shape, for an input with dynamic dimensions; NAME= for an input other than the first (repeat the flag).",
)
@click.option("--all-ops", is_flag=True, help="ONNX: a row for every node (default: zero-cost nodes summed in one line).")
@_format_option
@training_options(first_layer=False)
@_review_options
@device_options
def model(
    file: str,
    method: str | None,
    rank: str | None,
    mid: str | None,
    target: str | None,
    target_params: str | None,
    depth: str | None,
    top: str | None,
    sort: str | None,
    input_dims: tuple[str, ...],
    all_ops: bool,
    fmt: str,
    max_mults: str | None,
    max_params: str | None,
    max_flops: str | None,
    export: str | None,
    **device_flags: Any,
) -> None:
    """Cost a whole network from a YAML model file ('-': standard input) or an ONNX file.

    Budgets (flags, or the file's budget: mapping; the flags win) check the
    totals shown: as written, or under --method.

    \b
    Example:
      convcost model layer_specs/mobilenet_v1.yaml
    """
    # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
    from convcost._early import kept
    from convcost.core.perf import paused_gc
    from convcost.core.shapes import parse_int
    from convcost.frontends import load_graph
    from convcost.pipeline import Settings, model_run

    rank_value: Any = None
    mid_value: int | None = None
    targets: tuple[Any, ...] = ()
    if rank is not None or mid is not None or target is not None or target_params is not None:  # the cost models load later otherwise
        # lazy: after the flags and the file are read (a bad value is refused sooner); the cost models' names only for --method
        from convcost.factorize import check_choice, parse_rank, parse_target

        rank_value = parse_rank(rank, "--rank") if rank is not None else None
        mid_value = parse_int(mid, "--mid") if mid is not None else None
        given = ((target, "--target", "mults"), (target_params, "--target-params", "params"))
        targets = tuple(parse_target(text, flag, figure) for text, flag, figure in given if text is not None)
        check_choice(rank_value, mid_value, targets)
    depth_value = parse_int(depth, "--depth", 0) if depth is not None else None
    top_value = parse_int(top, "--top") if top is not None else None
    training = training_settings(device_flags)
    flags = DeviceFlags.pop(device_flags)
    inputs = (file, *flags.inputs)
    roofline = roofline_settings(flags, inputs, export)
    with paused_gc():
        graph = kept("model", file) or load_graph(file, input_dims or None, all_ops)
        limits = _limits(max_mults, max_params, max_flops=max_flops)  # after the file is read: a bad file is refused sooner
        device = None if roofline is None else roofline.settings
        if sort in ("time", "bytes") and (device is None or device.device is None):  # the tables show these with a device only
            raise click.UsageError(f"--sort {sort} needs --device (the table shows {sort} with a device)")
        settings = Settings(
            rank_value,
            mid_value,
            targets,
            method,
            depth=depth_value,
            sort=sort,
            top=top_value,
            limits=limits,
            device=device,
            training=training,
        )
        run = model_run(graph, settings)
        report = run.report
        title = f"convcost model: {report.name or report.source}"
        hooks = model_hooks(roofline, run, title)
        _finish(fmt, render.run_views(run), export, title, run.checks, inputs, hooks.figure)
