"""``convcost separable``: does a 2-D kernel split into two 1-D kernels?"""

from __future__ import annotations

import os

import click

from convcost import render
from convcost import separable as kernels
from convcost.cli.common import FORMATS, SuggestingChoice
from convcost.errors import ConvcostError
from convcost.frontends.fields import load_kernel


@click.command(context_settings={"ignore_unknown_options": True})  # a kernel may start with "-1"
@click.argument("kernel", metavar="KERNEL", type=click.Path(allow_dash=True, readable=False))  # text, or a file: complete file names
@click.option(
    "--tol", type=float, default=None, help="Tolerance for floating-point kernels, relative to the largest entry.  [default: 1e-9]"
)
@click.option(
    "--format",
    "fmt",
    type=SuggestingChoice([*FORMATS, "text"]),
    default="table",
    show_default=True,
    help="Output format, as the other commands' (text: the table's old name, kept).",
)
def separable(kernel: str, tol: float | None, fmt: str) -> None:
    """Decide whether a 2-D kernel splits into a vertical and a horizontal 1-D kernel.

    KERNEL is written like "1 2 1; 2 4 2; 1 2 1" (rows split by ';'), or is a
    YAML or CSV file. Integer and fraction (1/16) kernels are decided exactly;
    kernels with decimals (0.25) use the tolerance.

    \b
    Example:
      convcost separable "-1 0 1; -2 0 2; -1 0 1"
    """

    if tol is not None and not 0 <= tol < 1:
        raise ConvcostError(f"--tol: expected a number from 0 to below 1, got {tol}")
    if os.path.exists(kernel) or kernel.lower().endswith((".yaml", ".yml", ".csv")):
        rows = load_kernel(kernel)  # every error names its file:line:col
    else:
        rows = kernels.parse_kernel_text(kernel)
    result = kernels.separability(rows, kernels.DEFAULT_TOLERANCE if tol is None else tol)
    views = {"json": render.separability_json, "csv": render.separable_csv, "markdown": render.separable_markdown}
    render.emit(views.get(fmt, render.separable_text)(result))
