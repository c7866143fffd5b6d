"""``convcost diff``: two models compared."""

from __future__ import annotations

import click

from convcost import render
from convcost.cli.common import _finish, _format_option, _limits, _review_options
from convcost.core.shapes import shown
from convcost.errors import ConvcostError
from convcost.frontends import is_onnx, load_graph
from convcost.pipeline import Settings, diff_run


@click.command()
@click.argument("base", metavar="BASE.yaml", type=click.Path(allow_dash=True, readable=False))
@click.argument("proposed", metavar="PROPOSED.yaml", type=click.Path(allow_dash=True, readable=False))
@click.option(
    "--input",
    "input_dims",
    multiple=True,
    metavar="[NAME=]NxCxHxW",
    help="An input's shape, for the .onnx sides only (dynamic dimensions); NAME= for another input (repeat the flag).",
)
@_format_option
@_review_options
def diff(
    base: str,
    proposed: str,
    input_dims: tuple[str, ...],
    fmt: str,
    max_mults: str | None,
    max_params: str | None,
    max_flops: str | None,
    export: str | None,
) -> None:
    """Compare two model files (YAML or ONNX): totals side by side, then the layers that differ.

    Layers are matched by the names the files give them, else by position;
    added, removed and renamed layers are shown as such, heaviest changes first.
    Budgets (flags, or PROPOSED's budget: mapping) apply to PROPOSED.

    \b
    Example:
      convcost diff base.yaml proposed.yaml --max-mults 600M
    """

    if base == "-" and proposed == "-":
        raise ConvcostError("BASE.yaml and PROPOSED.yaml are both '-': standard input can be read only once; give at least one as a file")
    if input_dims and not (is_onnx(base) or is_onnx(proposed)):
        raise ConvcostError(f"--input {shown(input_dims[0])}: only an .onnx model takes --input, and neither {base} nor {proposed} is one")
    # an ONNX file's zero-cost nodes stay rows, so they match the layers of its import
    base_graph, proposed_graph = (load_graph(f, (input_dims or None) if is_onnx(f) else None, all_ops=True) for f in (base, proposed))
    run = diff_run(base_graph, proposed_graph, Settings(limits=_limits(max_mults, max_params, max_flops=max_flops)))
    _finish(fmt, render.run_views(run), export, f"convcost diff: {base} -> {proposed}", run.checks, (base, proposed))
