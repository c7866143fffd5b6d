"""What runs before the command-line parser (click) is imported: standard streams made safe,
and the input of ``convcost layer FILE`` and ``convcost model FILE`` read and checked.

click and the modules it imports take longer to load than a model file takes to read, so a
command line that is a command and a file and nothing else has its file read first: a bad or
hostile file is refused (one ``Error:`` line, exit status 2) before click is loaded, and a good
one is kept for the command, which then reads nothing twice. Any other command line (a flag
can change what a file means, e.g. ``--in`` overrides a layer file's ``in:``) goes through
click first, as before. Nothing here imports click.
"""

from __future__ import annotations

import sys
from typing import Any

_KEPT: dict[tuple[str, str], Any] = {}
"""(command, path) -> what :func:`prefetch` read for it; taken once by the command."""


def kept(command: str, path: str) -> Any:
    """What :func:`prefetch` read for ``command`` on ``path`` (None if it read nothing); once."""
    return _KEPT.pop((command, path), None)


def prefetch(args: list[str]) -> str | None:
    """For ``layer FILE`` or ``model FILE`` alone on the command line, read and check the file
    now; return the error message if it is refused (None otherwise, the result then kept)."""
    if len(args) != 2 or args[0] not in ("layer", "model") or (args[1].startswith("-") and args[1] != "-"):
        return None
    # lazy: the early read loads only what refusing a file needs, before click
    from convcost.errors import ConvcostError

    command, path = args
    try:
        if command == "layer":
            # lazy: the early read loads only what refusing a file needs, before click
            from convcost.frontends.fields import layer_spec, load_layer_fields, missing_layer_key

            fields, source = load_layer_fields(path)
            layer_spec(fields, missing_layer_key(source))  # the values, checked as the command will
            _KEPT[(command, path)] = (fields, source)
        else:
            # lazy: the early read loads only what refusing a file needs, before click
            from convcost.core.perf import paused_gc
            from convcost.frontends import load_graph

            with paused_gc():
                _KEPT[(command, path)] = load_graph(path)
    except ConvcostError as exc:
        return str(exc)
    except Exception as exc:  # the last resort, as in the command: never a traceback
        return internal_message(exc)
    return None


def fail(message: str) -> None:
    """Write one ``Error:`` line to stderr (escaped: a file name is shown as it is)."""
    # lazy: the early read loads only what refusing a file needs, before click
    from convcost.render.formats import visible

    try:
        sys.stderr.write("Error: " + visible(message) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr is full or gone: the exit status still tells
        to_devnull(2)


def internal_message(exc: BaseException) -> str:
    """The last resort's message for an exception convcost did not expect (a short prefix of its text)."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"internal error: {type(exc).__name__}{': ' + text if text else ''} (please report this)"


def to_devnull(fd: int) -> None:
    """Point ``fd`` at /dev/null, so that nothing written there later (Python's final flush) fails."""
    # lazy: the early read loads only what refusing a file needs, before click
    import os

    devnull = os.open(os.devnull, os.O_RDWR)
    if devnull != fd:
        os.dup2(devnull, fd)
        os.close(devnull)


def standard_streams() -> None:
    """Make descriptors 0-2 safe: a closed one (``>&-``) is pointed at /dev/null, so no file
    convcost opens takes its number. A closed stdout or stderr then discards what is written
    (the exit status still tells); a closed stdin stays None, refused when ``-`` is read."""
    # lazy: the early read loads only what refusing a file needs, before click
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            to_devnull(fd)
    if sys.stdout is None:
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    _buffered_stdout()
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # file names given as undecodable bytes are written back as those bytes
        reconfigure(errors="surrogateescape")


def _buffered_stdout() -> None:
    """Give stdout a buffer when it has none (``PYTHONUNBUFFERED``, ``python -u``).

    Unbuffered, stdout's text layer writes straight to the descriptor and ignores a partial
    write: when the reader of a pipe goes away during a large write (``| head -1``), the
    kernel accepts part of it, the rest is dropped without an error, and the exit status
    would be 0. A buffered writer keeps writing the rest, meets the closed pipe, and raises
    BrokenPipeError (exit 141). The text layer hands each write on at once (``write_through``);
    the commands flush after their report, and :func:`convcost.cli.run` at the end."""
    # lazy: the early read loads only what refusing a file needs, before click
    import io

    stdout = sys.stdout
    if not isinstance(getattr(stdout, "buffer", None), io.RawIOBase):
        return
    try:
        raw = io.FileIO(stdout.fileno(), "w", closefd=False)
    except (OSError, ValueError):
        return
    stdout.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=bool(stdout.line_buffering),
        write_through=True,
    )
