"""The signal handlers every run installs first: Ctrl-C prints one line, ``Error: interrupted``,
and exits with status 130 (never a KeyboardInterrupt traceback); SIGTERM and SIGHUP exit quietly
with 128 + the signal's number. Every handler first removes any half-written ``--export``
temporary file. Imports nothing of convcost, so it can be installed before anything else loads.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType


def _remove_pending() -> None:
    io = sys.modules.get("convcost.core.io")  # loaded only if an export may be under way
    if io is not None:
        io.remove_pending()


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    _remove_pending()
    with contextlib.suppress(OSError):
        os.write(2, b"Error: interrupted\n")
    os._exit(130)


def _on_terminate(signum: int, frame: FrameType | None) -> None:
    _remove_pending()
    os._exit(128 + signum)


def install_signal_handlers() -> None:
    """Ctrl-C: one line and exit 130; SIGTERM, SIGHUP: a quiet exit 128 + N. A signal the
    parent set to be ignored (``nohup``, a background job) stays ignored."""
    handlers = [("SIGINT", _on_interrupt), ("SIGTERM", _on_terminate), ("SIGHUP", _on_terminate)]
    for name, handler in handlers:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, handler)
