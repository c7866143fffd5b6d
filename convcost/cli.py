"""The ``convcost`` command: a thin click layer over the library.

The only module that imports click. Library errors (:class:`ConvcostError`) and click's
own usage errors both become one ``Error: ...`` line on stderr with exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from convcost import render
from convcost.errors import ConvcostError
from convcost.methods import METHODS, cost_layer
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
def layer(file: str | None, methods: tuple[str, ...], fmt: str, explain: bool, **flags: Any) -> None:
    """Cost one convolution layer under every model.

    The layer comes from flags, or from LAYER.yaml (keys named like the flags;
    '-' reads standard input), with flags overriding the file.

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

    report = cost_layer(layer_spec(fields, missing), methods)
    if fmt == "json":
        render.emit(render.layer_json(report))
    elif fmt == "csv":
        render.emit(render.layer_csv(report))
    elif fmt == "markdown":
        render.emit(render.layer_markdown(report))
    else:
        render.emit(render.layer_table(report))
        if explain:
            render.emit("\n" + render.layer_explain(report))


@cli.command()
@click.argument("file", metavar="MODEL.yaml")
@click.option(
    "--method", type=click.Choice([m for m in METHODS if m != "standard"]), help="Show the per-layer table of this what-if variant."
)
@click.option("--rank", metavar="R", help="Low-rank rank for every layer (capped at each layer's full rank; a layer's own rank wins).")
@click.option("--mid", metavar="M", help="Spatial-separable middle channels for every layer (a layer's own mid wins).")
@_format_option
def model(file: str, method: str | None, rank: str | None, mid: str | None, fmt: str) -> None:
    """Cost a whole network from a YAML model file ('-': standard input).

    \b
    Example:
      convcost model layer_specs/mobilenet_v1.yaml
    """
    from convcost.model import cost_model
    from convcost.perf import paused_gc
    from convcost.shapes import parse_int
    from convcost.spec import load_model

    rank_value = parse_int(rank, "--rank") if rank is not None else None
    mid_value = parse_int(mid, "--mid") if mid is not None else None
    with paused_gc():
        report = cost_model(load_model(file), rank_value, mid_value, method)
        if fmt == "json":
            render.emit(render.model_json(report))
        elif fmt == "csv":
            render.emit(render.model_csv(report))
        elif fmt == "markdown":
            render.emit(render.model_markdown(report))
        else:
            render.emit(render.model_tables(report))


def run() -> None:
    """The console-script entry point."""
    try:
        cli(prog_name="convcost")
    except BrokenPipeError:  # e.g. `convcost ... | head -1`
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
