"""The ``convcost`` command: a thin click layer over the library.

The only module that imports click. Library errors (:class:`ConvcostError`) and click's
own usage errors both become one ``Error: ...`` line on stderr with exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from convcost import render
from convcost.errors import ConvcostError
from convcost.methods import FACTORIZATIONS, METHODS, cost_layer
from convcost.spec import Field, layer_spec, load_layer_fields

FORMATS = ("table", "json", "csv", "markdown")
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo("Error: " + message.replace("\n", " "), err=True)


class _Group(click.Group):
    """A group whose errors are one ``Error:`` line (no usage block, no traceback)."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except ConvcostError as exc:
            _fail(str(exc))
            sys.exit(2)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `convcost`: the help, not an error
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.ClickException as exc:
            _fail(exc.format_message())
            sys.exit(2 if isinstance(exc, click.UsageError) or exc.exit_code == 1 else exc.exit_code)
        except click.Abort:
            _fail("aborted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="convcost", prog_name="convcost", message="%(prog)s %(version)s")
def cli() -> None:
    """Exact costs of convolution layers and networks, and what factorizations would save.

    Counts are multiply-accumulates (mults; FLOPs = 2 x mults) and parameters,
    as exact integers.
    """


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format; json is the stable scripting contract.",
    )(func)


def _review_options(func: F) -> F:
    """--max-mults, --max-params and --export, shared by layer, model and diff."""
    func = click.option("--export", metavar="FILE", help="Also write the report to FILE (.html, .svg, .md or .txt, by its extension).")(
        func
    )
    func = click.option("--max-params", metavar="N", help="Budget: exit 1 if params exceed N (e.g. 4.2M).")(func)
    return click.option("--max-mults", metavar="N", help="Budget: exit 1 if mults exceed N (e.g. 600M, 1.5G, 250k).")(func)


def _limits(max_mults: str | None, max_params: str | None, base: Mapping[str, tuple[int, str]] | None = None) -> dict[str, tuple[int, str]]:
    """Budget limits: a file's ``budget:`` overridden by the flags."""
    limits = dict(base or {})
    for key, value in (("max-mults", max_mults), ("max-params", max_params)):
        if value is not None:
            from convcost.budget import parse_si

            limits[key] = parse_si(value, f"--{key}")
    return limits


def _finish(fmt: str, views: Mapping[str, render.View], export: str | None, title: str, checks: Sequence[Any] = ()) -> None:
    """Export (whole or not at all, before anything is printed), print, then report budgets.

    Exit status 1 when a budget is exceeded; the output is printed all the same.
    """
    output = views[fmt]()
    if export is not None:
        markdown = views["markdown"]() if fmt == "table" else None
        render.write_export(export, render.export_text(export, output, fmt, title, markdown))
    render.emit(output)
    lines = render.budget_lines(checks)
    for line in lines:
        click.echo(line, err=True)
    if lines:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("file", required=False, metavar="[LAYER.yaml]")
@click.option("--in", "in_", metavar="HxWxC", help="Input height x width x channels, e.g. 28x28x8.")
@click.option("--k", metavar="K|KHxKW", help="Kernel size, e.g. 3 or 1x7.")
@click.option("--out", metavar="N", help="Output channels.")
@click.option("--stride", metavar="S|SHxSW", help="Stride.  [default: 1]")
@click.option("--padding", metavar="P|PHxPW|same|valid", help="Padding per side, or TensorFlow same/valid.  [default: 0]")
@click.option("--dilation", metavar="D|DHxDW", help="Dilation.  [default: 1]")
@click.option("--groups", metavar="G", help="Groups (C and N must divide by G).  [default: 1]")
@click.option("--bias/--no-bias", default=None, help="Count one bias per output channel of each stage.  [default: no-bias]")
@click.option("--rank", metavar="R", help="Rank for low-rank.  [default: max(1, full rank // 4)]")
@click.option("--mid", metavar="M", help="Middle channels for spatial-separable.  [default: min(C, N)]")
@click.option("--method", "methods", multiple=True, type=click.Choice(list(METHODS)), help="Show only this model (repeatable).")
@_format_option
@click.option("--explain", is_flag=True, help="Print every stage's arithmetic after the table.")
@_review_options
def layer(
    file: str | None,
    methods: tuple[str, ...],
    fmt: str,
    explain: bool,
    max_mults: str | None,
    max_params: str | None,
    export: str | None,
    **flags: Any,
) -> None:
    """Cost one convolution layer under every model.

    The layer comes from flags, or from LAYER.yaml (keys named like the flags;
    '-' reads standard input), with flags overriding the file. Budgets check the
    first model shown: standard, or the first --method given.

    \b
    Example:
      convcost layer --in 28x28x8 --k 3 --out 16
    """
    if explain and fmt != "table":
        raise click.UsageError("--explain goes with --format table")
    fields: dict[str, Field] = {}
    source = None
    if file is not None:
        fields, source = load_layer_fields(file)
    flags["in"] = flags.pop("in_")
    for key, value in flags.items():
        if value is not None:
            fields[key] = (value, f"--{key}")

    def missing(key: str) -> str:
        where = f" (or '{key}:' in {source})" if source else ""
        return f"missing --{key}{where}; e.g. convcost layer --in 28x28x8 --k 3 --out 16"

    limits = _limits(max_mults, max_params)
    report = cost_layer(layer_spec(fields, missing), methods)
    checks: Sequence[Any] = ()
    if limits:
        from convcost.budget import check_budget

        first = report.results[0]
        if first.mults is None or first.params is None:
            raise ConvcostError(f"the budget cannot be checked: {first.method} does not apply ({first.reason})")
        checks = check_budget(limits, first.mults, first.params)

    views = render.views(report, checks)
    if explain:
        views["table"] = lambda: [*render.layer_table(report), "\n" + render.layer_explain(report)]
    _finish(fmt, views, export, f"convcost layer: {report.conv.inp} -> {report.conv.out}", checks)


@cli.command()
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
    from convcost.budget import check_budget
    from convcost.model import cost_model
    from convcost.perf import paused_gc
    from convcost.shapes import parse_int
    from convcost.spec import load_model

    rank_value = parse_int(rank, "--rank") if rank is not None else None
    mid_value = parse_int(mid, "--mid") if mid is not None else None
    with paused_gc():
        spec = load_model(file)
        limits = _limits(max_mults, max_params, spec.budget)
        report = cost_model(spec, rank_value, mid_value, method)
        checks = check_budget(limits, report.mults, report.params)
        _finish(fmt, render.views(report, checks), export, f"convcost model: {report.name or report.source}", checks)


@cli.command()
@click.argument("base", metavar="BASE.yaml")
@click.argument("proposed", metavar="PROPOSED.yaml")
@_format_option
@_review_options
def diff(base: str, proposed: str, fmt: str, max_mults: str | None, max_params: str | None, export: str | None) -> None:
    """Compare two model files: totals side by side, then the layers that differ.

    Layers are matched by the names the files give them, else by position;
    added, removed and renamed layers are shown as such, heaviest changes first.
    Budgets (flags, or PROPOSED's budget: mapping) apply to PROPOSED.

    \b
    Example:
      convcost diff base.yaml proposed.yaml --max-mults 600M
    """
    from convcost.budget import check_budget
    from convcost.diff import diff_models
    from convcost.model import cost_model
    from convcost.spec import load_model

    base_spec, proposed_spec = load_model(base), load_model(proposed)
    report = diff_models(cost_model(base_spec), cost_model(proposed_spec))
    limits = _limits(max_mults, max_params, proposed_spec.budget)
    checks = check_budget(limits, report.proposed.mults, report.proposed.params)
    _finish(fmt, render.views(report, checks), export, f"convcost diff: {base} -> {proposed}", checks)


@cli.command(context_settings={"ignore_unknown_options": True})  # a kernel may start with "-1"
@click.argument("kernel", metavar="KERNEL")
@click.option(
    "--tol", type=float, default=None, help="Tolerance for floating-point kernels, relative to the largest entry.  [default: 1e-9]"
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
def separable(kernel: str, tol: float | None, fmt: str) -> None:
    """Decide whether a 2-D kernel splits into a vertical and a horizontal 1-D kernel.

    KERNEL is written like "1 2 1; 2 4 2; 1 2 1" (rows split by ';'), or is a
    YAML or CSV file. Integer and fraction (1/16) kernels are decided exactly;
    kernels with decimals (0.25) use the tolerance.

    \b
    Example:
      convcost separable "-1 0 1; -2 0 2; -1 0 1"
    """
    import os

    from convcost.separable import DEFAULT_TOLERANCE, check_rows, parse_entry, parse_kernel_text, separability
    from convcost.spec import load_kernel_rows

    if tol is not None and not 0 <= tol < 1:
        raise ConvcostError(f"--tol: expected a number from 0 to below 1, got {tol}")
    if os.path.exists(kernel) or kernel.lower().endswith((".yaml", ".yml", ".csv")):
        raw = load_kernel_rows(kernel)
        rows = check_rows([[parse_entry(x, f"{kernel}: row {i + 1}") for x in row] for i, row in enumerate(raw)])
    else:
        rows = parse_kernel_text(kernel)
    result = separability(rows, DEFAULT_TOLERANCE if tol is None else tol)
    render.emit(render.json_text(result.to_dict()) if fmt == "json" else render.separable_text(result))


@cli.command()
def schema() -> None:
    """Print a JSON Schema of model and layer files, for editors that validate YAML.

    \b
    Example (VS Code with the YAML extension, in .vscode/settings.json):
      "yaml.schemas": {"convcost.schema.json": "layer_specs/*.yaml"}
    """
    from convcost.schema import model_schema

    render.emit(render.json_text(model_schema(), flat_depth=99))


def run() -> None:
    """The console-script entry point."""
    try:
        cli(prog_name="convcost")
    except BrokenPipeError:  # e.g. `convcost ... | head -1`
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
