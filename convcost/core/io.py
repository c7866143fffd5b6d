"""Bounded reading of inputs and safe writing of exports.

Reading: only regular files and ``-`` (standard input) are read, at most MAX_INPUT_BYTES of
them; a file's size is checked before anything is read, and standard input is read in chunks
that stop at the cap. FIFOs, devices, sockets and directories are refused without being
opened, so nothing blocks and nothing is read without end (``/dev/zero``).

Writing: an export goes to a temporary file named ``.convcost-XXXXXXXX.tmp`` in the target's
directory, then is renamed over the target (whole or not at all). The temporary file is
removed on every exit Python can run (an error, Ctrl-C, SIGTERM through the CLI's handlers).
A target that is one of the inputs (the same file, by device and inode) is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Sequence

from convcost.errors import ConvcostError

MAX_INPUT_BYTES = 8 * 1024 * 1024
"""The largest input read (a file or standard input): 8 MiB. A 100,000-layer model file is
about 4 MB; anything bigger is refused before it is read."""
_CAP_TEXT = f"8 MiB ({MAX_INPUT_BYTES:,} bytes)"
_CHUNK = 1 << 16

STDIN_NAME = "<stdin>"
"""How standard input is named in messages."""

_PENDING: set[str] = set()
"""Temporary export files being written, removed by :func:`remove_pending` on an interrupt."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_big(name: str, size: int | None) -> ConvcostError:
    if size is None:
        return ConvcostError(f"{name}: more than {_CAP_TEXT}, the limit on inputs")
    return ConvcostError(f"{name}: {size:,} bytes, over the {_CAP_TEXT} limit on inputs")


def _read_fd(fd: int, name: str) -> bytes:
    """Read ``fd`` to its end, refusing as soon as more than MAX_INPUT_BYTES arrive."""
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:  # a non-blocking pipe with no data yet: wait for it
            # lazy: select only to wait on a pipe
            import select

            select.select([fd], [], [])
            continue
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_INPUT_BYTES:
            raise _too_big(name, None)
        chunks.append(chunk)


def _decode(data: bytes, name: str, kind: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # valid up to the first bad byte
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1 - (1 if line == 1 and before.startswith("\ufeff") else 0)
        raise ConvcostError(f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x}), expected {kind}") from None


def _read_stdin(kind: str) -> str:
    stream = sys.stdin
    if stream is None or stream.closed:
        raise ConvcostError(f"-: standard input is closed; expected {kind} on it")
    try:
        fd: int | None = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced stdin (tests): no descriptor
        fd = None
    if fd is None:
        raw = getattr(stream, "buffer", None)
        data = raw.read(MAX_INPUT_BYTES + 1) if raw is not None else stream.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogateescape")
        if len(data) > MAX_INPUT_BYTES:
            raise _too_big(STDIN_NAME, None)
        return _decode(data, STDIN_NAME, kind)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConvcostError(f"{STDIN_NAME}: is a directory, expected {kind}")
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_INPUT_BYTES:
            raise _too_big(STDIN_NAME, info.st_size)
        data = _read_fd(fd, STDIN_NAME)
    except OSError as exc:
        raise ConvcostError(f"-: standard input cannot be read ({exc.strerror})") from None
    return _decode(data, STDIN_NAME, kind)


def regular_file(path: str, kind: str) -> os.stat_result:
    """``path``'s status after checking that it names a regular file, without opening it (a FIFO
    would block, a device never end); ``kind`` (``a YAML file``) words what was expected."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ConvcostError(f"{path}: no such file") from None
    except ValueError:  # a NUL byte
        raise ConvcostError(f"{path!r}: not a valid file name") from None
    except OSError as exc:
        raise ConvcostError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConvcostError(f"{path}: is a directory, expected {kind}")
    if not stat.S_ISREG(info.st_mode):
        raise ConvcostError(f"{path}: {_kind(info.st_mode)}; convcost reads only regular files and '-' (standard input)")
    return info


def read_input(path: str, kind: str = "a YAML file") -> tuple[str, str]:
    """The text of ``path`` (``-``: standard input) and the name to use in messages.

    ``kind`` (``a YAML file``) words what was expected in an error.
    """
    if path == "-":
        return _read_stdin(kind), STDIN_NAME
    info = regular_file(path, kind)
    if info.st_size > MAX_INPUT_BYTES:
        raise _too_big(path, info.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ConvcostError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        again = os.fstat(fd)  # replaced between the stat and the open?
        if not stat.S_ISREG(again.st_mode):
            raise ConvcostError(f"{path}: {_kind(again.st_mode)}; convcost reads only regular files and '-' (standard input)")
        data = _read_fd(fd, path)
    except OSError as exc:
        raise ConvcostError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return _decode(data, path, kind), path


# --- writing ------------------------------------------------------------------------


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of an input, or None when it cannot be told."""
    try:
        if path == "-":
            stream = sys.stdin
            if stream is None:
                return None
            info = os.fstat(stream.fileno())
        else:
            info = os.stat(path)
    except (OSError, ValueError, AttributeError):
        return None
    return (info.st_dev, info.st_ino)


def _refuse(what: str, path: str, why: str) -> ConvcostError:
    return ConvcostError(f"{what}: cannot write {path!r} ({why})")


def check_target(path: str, inputs: Sequence[str] = (), what: str = "--export") -> os.stat_result | None:
    """Refuse ``path`` as a file to write (a directory path, a directory, a device, one of
    ``inputs``); its status when it exists. Errors are ConvcostError naming ``what``."""
    separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
    if not path or path.endswith(separators):
        raise ConvcostError(f"{what}: expected a file name, got {path!r} (a directory path)")
    try:
        info: os.stat_result | None = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except ValueError:
        raise ConvcostError(f"{what}: {path!r} is not a valid file name") from None
    except OSError as exc:
        raise _refuse(what, path, exc.strerror or type(exc).__name__) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(what, path, "it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(what, path, f"it is {_kind(info.st_mode)}; exports go to regular files")
        for source in inputs:
            if _identity(source) == (info.st_dev, info.st_ino):
                shown = "standard input, an input" if source == "-" else f"the input {source!r}"
                raise _refuse(what, path, f"it is {shown}; writing there would destroy it")
    return info


def same_target(first: str, second: str) -> bool:
    """True when two output paths name the same file (the same path once resolved, or the same inode)."""
    try:
        if os.path.realpath(first) == os.path.realpath(second):
            return True
        a, b = os.stat(first), os.stat(second)
    except (OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def write_atomic(path: str, text: str | bytes, inputs: Sequence[str] = (), what: str = "--export") -> None:
    """Write ``text`` (UTF-8 text, or bytes as they are) to ``path`` whole or not at all, never
    over one of ``inputs``.

    The text goes to ``.convcost-XXXXXXXX.tmp`` beside the target (a short name, so any valid
    final name works), which is renamed over the target; on any failure or interrupt the
    temporary file is removed. Errors are ConvcostError naming ``what`` (``--export``).
    """
    info = check_target(path, inputs, what)
    directory = os.path.dirname(path) or "."
    temp, fd = _create_temp(directory, what, path)
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as raw:
                raw.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
        os.chmod(temp, mode)  # mkstemp-style files are owner-only; an export is an ordinary file
        os.replace(temp, path)
    except BaseException as exc:
        _remove(temp)
        if isinstance(exc, OSError):
            raise _refuse(what, path, exc.strerror or type(exc).__name__) from None
        raise
    finally:
        _PENDING.discard(temp)


def _create_temp(directory: str, what: str, path: str) -> tuple[str, int]:
    """A new ``.convcost-XXXXXXXX.tmp`` in ``directory``, registered before it exists."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        temp = os.path.join(directory, f".convcost-{os.urandom(4).hex()}.tmp")
        _PENDING.add(temp)
        try:
            return temp, os.open(temp, flags, 0o600)
        except FileExistsError:
            _PENDING.discard(temp)
        except OSError as exc:
            _PENDING.discard(temp)
            raise _refuse(what, path, exc.strerror or type(exc).__name__) from None
        except BaseException:
            _remove(temp)
            _PENDING.discard(temp)
            raise
    raise _refuse(what, path, "no free temporary name")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(temp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)


def remove_pending() -> None:
    """Remove every temporary export file being written (called by the CLI's signal handlers)."""
    for temp in list(_PENDING):
        _remove(temp)
    _PENDING.clear()
