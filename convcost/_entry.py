"""The command's entry point (``bin/convcost``, installed as ``convcost``, and ``python -m convcost``).

Its first act is to install the signal handlers, before click or the rest of convcost is
imported, so Ctrl-C at any moment of a run (start-up included) prints one line,
``Error: interrupted``, and exits with status 130: never a KeyboardInterrupt traceback.
SIGTERM and SIGHUP exit quietly with 128 + the signal's number. Every handler first removes
any half-written ``--export`` temporary file.
"""

from __future__ import annotations

import contextlib
import os
import sys

from convcost._signals import install_signal_handlers


def main() -> None:
    """Run the ``convcost`` command, then leave without tearing the interpreter down.

    ``run`` has flushed standard output and decided the exit status; what remains of a normal
    exit is freeing every module and object one by one, which took about a fifth of a short
    run's time. Nothing is left to do at exit (exports are written and closed, temporary files
    removed), so the process ends at once with that status.
    """
    install_signal_handlers()
    # lazy: after the signal handlers: the early read, then the command loader
    from convcost._early import fail, prefetch, standard_streams

    standard_streams()
    refused = prefetch(sys.argv[1:])  # `convcost layer FILE`, `convcost model FILE`: the file is read before click loads
    if refused is not None:
        fail(refused)
        os._exit(2)
    # lazy: after the signal handlers: the early read, then the command loader
    from convcost.cli import run

    try:
        run()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if code is not None and not isinstance(code, int):  # sys.exit("text"): printed, status 1
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code or 0)
