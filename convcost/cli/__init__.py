"""The ``convcost`` command: a thin click layer over the library, one module per command.

The only package that imports click. Commands are loaded lazily (click's "complex" example):
``convcost layer`` imports only ``cli/layer.py``. Library errors (:class:`ConvcostError`) and
click's own usage errors both become one ``Error: ...`` line on stderr with exit status 2, here
at the one edge.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from convcost.errors import ConvcostError

COMMANDS = {
    "layer": "layer:layer",
    "model": "model:model",
    "diff": "diff:diff",
    "separable": "separable:separable",
    "schema": "schema:schema",
}
"""Command name -> ``module:attribute`` under ``convcost.cli``, in help order."""


def _fail(message: str) -> None:
    click.echo("Error: " + message.replace("\n", " "), err=True)


class _Group(click.Group):
    """A group whose commands load on first use and whose errors are one ``Error:`` line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(f"convcost.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

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


def run() -> None:
    """The console-script entry point."""
    try:
        cli(prog_name="convcost")
    except BrokenPipeError:  # e.g. `convcost ... | head -1`
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
