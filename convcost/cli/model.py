"""``convcost model``: a whole network."""

from __future__ import annotations

import click

from convcost import render
from convcost.cli.common import _finish, _format_option, _limits, _review_options
from convcost.factorize import FACTORIZATIONS


@click.command()
@click.argument("file", metavar="MODEL.yaml")
@click.option("--method", type=click.Choice(list(FACTORIZATIONS)), help="Show the per-layer table of this what-if variant.")
@click.option("--rank", metavar="R", help="Low-rank rank for every layer (capped at each layer's full rank; a layer's own rank wins).")
@click.option("--mid", metavar="M", help="Spatial-separable middle channels for every layer (a layer's own mid wins).")
@_format_option
@_review_options
def model(
    file: str,
    method: str | None,
    rank: str | None,
    mid: str | None,
    fmt: str,
    max_mults: str | None,
    max_params: str | None,
    export: str | None,
) -> None:
    """Cost a whole network from a YAML model file ('-': standard input).

    Budgets (flags, or the file's budget: mapping; the flags win) check the
    totals shown: as written, or the --method variant.

    \b
    Example:
      convcost model layer_specs/mobilenet_v1.yaml
    """
    from convcost.analysis.budget import check_budget
    from convcost.analysis.network import cost_model
    from convcost.core.perf import paused_gc
    from convcost.core.shapes import parse_int
    from convcost.frontends.model_file import load_model

    rank_value = parse_int(rank, "--rank") if rank is not None else None
    mid_value = parse_int(mid, "--mid") if mid is not None else None
    with paused_gc():
        spec = load_model(file)
        limits = _limits(max_mults, max_params, spec.budget)
        report = cost_model(spec, rank_value, mid_value, method)
        checks = check_budget(limits, report.mults, report.params)
        _finish(fmt, render.views(report, checks), export, f"convcost model: {report.name or report.source}", checks)
