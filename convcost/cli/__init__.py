"""The ``convcost`` command: a thin click layer over the library, one module per command.

The only package that imports click. Commands are loaded lazily (click's "complex" example):
``convcost layer`` imports only ``cli/layer.py``. Library errors (:class:`ConvcostError`) and
click's own usage errors both become one ``Error: ...`` line on stderr with exit status 2, here
at the one edge.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import sys
from typing import Any

import click

from convcost._early import fail as _fail
from convcost._early import internal_message as _internal
from convcost._early import standard_streams as _standard_streams
from convcost._early import to_devnull as _to_devnull
from convcost.core.suggest import closest
from convcost.errors import ConvcostError

COMMANDS = {
    "layer": "layer:layer",
    "model": "model:model",
    "diff": "diff:diff",
    "separable": "separable:separable",
    "schema": "schema:schema",
    "import": "import_cmd:import_",
    "devices": "devices:devices",
}
"""Command name -> ``module:attribute`` under ``convcost.cli``, in help order."""


_OUTPUT_ERRORS = frozenset(getattr(errno, name) for name in ("EIO", "EFBIG", "ENOSPC", "EDQUOT") if hasattr(errno, name))
"""errno values of a failed write to stdout (besides EPIPE)."""


def _output_failed(exc: OSError) -> int:
    """The exit status after a write to stdout failed: 141 (quiet) for a closed pipe, else 2 and one line."""
    if sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            _to_devnull(sys.stdout.fileno())
    if isinstance(exc, BrokenPipeError):  # `convcost ... | head -1`: the reader has what it wanted
        return 141
    _fail(f"cannot write output: {exc.strerror or exc}")
    return 2


def _usage_message(exc: click.ClickException) -> str:
    """click's message; for an unknown flag, the closest flag first (click sorts them alphabetically),
    or convcost's own guess (:func:`convcost.core.suggest.closest`: ``--kernel`` -> ``--k``) where click has none."""
    if isinstance(exc, click.NoSuchOption):
        possibilities = list(exc.possibilities or ())
        if exc.ctx is not None:  # convcost's guess first (a synonym, a prefix), then click's spellings
            names = [name for param in exc.ctx.command.params for name in (*param.opts, *param.secondary_opts)]
            guess = closest(exc.option_name, [n for n in names if n.startswith("--")])
            possibilities = [*([] if guess is None else [guess]), *(p for p in possibilities if p != guess)]
        if possibilities:
            best, *others = possibilities  # difflib's order: the closest first
            also = f" (or {', '.join(repr(p) for p in others)})" if others else ""
            return f"No such option {exc.option_name!r}. Did you mean {best!r}{also}?"  # convcost's words, in every click
    return exc.format_message()


class _Group(click.Group):
    """A group whose commands load on first use and whose errors are one ``Error:`` line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["convcost.argv"] = tuple(args)  # the command line, for the provenance of --export files
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            best = closest(args[0], COMMANDS) if args and args[0] not in COMMANDS else None
            if best is None:
                raise
            raise click.UsageError(f"No such command {args[0]!r}. Did you mean {best!r}?", exc.ctx) from None

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
            _fail(_usage_message(exc))
            sys.exit(2 if isinstance(exc, click.UsageError) or exc.exit_code == 1 else exc.exit_code)
        except SystemExit:
            if type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):  # click's own EPIPE handling would exit 1
                sys.exit(_output_failed(BrokenPipeError()))
            raise
        except click.Abort:  # Ctrl-C where convcost's own handler is not installed (an embedding program)
            _fail("interrupted")
            sys.exit(130)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno in _OUTPUT_ERRORS:
                sys.exit(_output_failed(exc))
            _fail(_internal(exc))
            sys.exit(2)
        except Exception as exc:  # the last resort: never a traceback, never exit status 1
            _fail(_internal(exc))
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


class _Version(str):
    """convcost's version, looked up only when ``--version`` prints it (click's own look-up
    imports importlib.metadata, about 60 ms; ``convcost.__version__`` reads the METADATA file)."""

    def __str__(self) -> str:
        # lazy: the version only for --version; the handlers for a caller other than the entry point
        import convcost

        return str(convcost.__version__)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(version=_Version(), prog_name="convcost", message="%(prog)s %(version)s")
def cli() -> None:
    """Exact costs of convolution layers and networks, and what factorizations would save.

    Counts are multiply-accumulates (mults; FLOPs = 2 x mults) and parameters,
    as exact integers.
    """


def run() -> None:
    """The ``convcost`` command (console scripts start at :func:`convcost._entry.main`).

    Exit status: 0 success, 1 a budget exceeded (only that), 2 any error convcost can name
    (one ``Error:`` line), 130 Ctrl-C, 141 (quietly) when the reader of stdout has gone.
    """
    # lazy: the version only for --version; the handlers for a caller other than the entry point
    from convcost._signals import install_signal_handlers

    install_signal_handlers()
    _standard_streams()
    try:
        cli.main(prog_name="convcost")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    try:
        sys.stdout.flush()
    except OSError as exc:
        code = _output_failed(exc)
    sys.exit(code)
