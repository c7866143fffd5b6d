"""Files and streams: only regular files and standard input are read, at most 8 MiB, and an
export never destroys an input nor leaves a stray temporary file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SPECS, assert_user_error, run, run_process

from convcost.cli import cli
from convcost.core import io
from convcost.core.io import MAX_INPUT_BYTES, read_input, write_atomic
from convcost.errors import ConvcostError

MODEL = (SPECS / "mobilenet_v1.yaml").read_text(encoding="utf-8")


def _run_bytes(*args: str, input: bytes) -> object:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, prog_name="convcost")


# --- reading ------------------------------------------------------------------------


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    """A 50 MB file (sparse: no 50 MB written) is refused by its size at once, naming the size and the limit."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50_000_000)
    start = time.perf_counter()
    assert_user_error(run("model", str(big)), "big.yaml: 50,000,000 bytes", "8 MiB (8,388,608 bytes)")
    assert time.perf_counter() - start < 30  # a hang, not speed: speed is in benchmarks/


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    """Exactly 8 MiB is read (here a comment that pads a valid layer file)."""
    path = tmp_path / "layer.yaml"
    head = "in: 8x8x3\nk: 3\nout: 4\n#"
    path.write_text(head + "x" * (MAX_INPUT_BYTES - len(head)), encoding="utf-8")
    assert path.stat().st_size == MAX_INPUT_BYTES
    assert run("layer", str(path), "--format", "json").exit_code == 0


@pytest.mark.parametrize(("path", "fragment"), [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")])
def test_devices_are_refused_without_reading(path: str, fragment: str) -> None:
    """/dev/zero and /dev/urandom are refused by their kind, not read until memory runs out."""
    assert_user_error(run("layer", path), fragment, "only regular files and '-'")


def test_a_fifo_without_writer_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO is refused at once (opening it would block until a writer came)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert_user_error(run("model", str(fifo)), "a FIFO (named pipe)")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("missing.yaml", "no such file"), ("dir", "is a directory, expected a YAML file"), ("file.yaml/x", "no such file")],
)
def test_unreadable_paths_are_one_line(tmp_path: Path, name: str, fragment: str) -> None:
    """Missing files, directories and paths through a file: one Error line each."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.yaml").write_text("x: 1\n", encoding="utf-8")
    assert_user_error(run("model", str(tmp_path / name)), fragment)


def test_stdin_stops_at_the_cap() -> None:
    """Standard input is read up to the cap and refused as soon as it passes it (from /dev/zero too)."""
    assert_user_error(_run_bytes("model", "-", input=b"#" * (MAX_INPUT_BYTES + 1)), "<stdin>: more than 8 MiB")  # type: ignore[arg-type]
    with open("/dev/zero", "rb") as zero:
        result = run_process("model", "-", stdin=zero)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == "Error: <stdin>: more than 8 MiB (8,388,608 bytes), the limit on inputs\n"


def test_undecodable_and_closed_stdin() -> None:
    """Non-UTF-8 bytes on stdin, and a closed stdin, are one Error line with exit 2."""
    assert_user_error(_run_bytes("layer", "-", input=b"in: 8x8x3\nk: \xff\n"), "<stdin>:2:4: not UTF-8 text (byte 0xff)")  # type: ignore[arg-type]
    closed = run_process("model", "-", stdin=None, pass_fds=(), preexec_fn=lambda: os.close(0))
    assert closed.returncode == 2
    assert closed.stderr.decode() == "Error: -: standard input is closed; expected a YAML file on it\n"


def test_read_input_names_things_plainly(tmp_path: Path) -> None:
    """read_input returns the text and the name used in messages; NUL bytes in a name are refused."""
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_input(str(path)) == ("a: 1\n", str(path))
    with pytest.raises(ConvcostError, match="not a valid file name"):
        read_input("a\0b")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("\x1b[2Jnofile.yaml", "\\x1b[2Jnofile.yaml"),
        ("a\nb.yaml", "a\\nb.yaml"),
        ("\u202egnp.yaml", "\\u202egnp.yaml"),
        ("tab\there.yaml", "tab\\there.yaml"),
    ],
)
def test_file_names_in_errors_are_escaped_not_dropped(name: str, shown: str) -> None:
    """A missing file named `\\e[2Jnofile.yaml` is shown as `\\x1b[2Jnofile.yaml` (escaped, never dropped)."""
    result = run("model", name)
    assert_user_error(result)
    assert result.stderr == f"Error: {shown}: no such file\n"


def test_escaped_file_names_in_a_real_process_and_inside_files(tmp_path: Path) -> None:
    """Through a real stderr (click strips colour codes there) and for an existing file's syntax error."""
    result = run_process("model", "\x1b[2Jnofile.yaml")
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == b"Error: \\x1b[2Jnofile.yaml: no such file\n"
    bad = tmp_path / "\x1b[31mbad.yaml"
    bad.write_text("input: [8\n", encoding="utf-8")
    result = run_process("diff", str(bad), str(bad))
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"Error: {tmp_path}/\\x1b[31mbad.yaml:")
    assert b"\x1b" not in result.stderr


def test_diff_refuses_stdin_twice() -> None:
    """`diff - -` would read standard input twice: one line saying so, before anything is read."""
    text = "input: 8x8x3\nlayers: [{k: 3, out: 4}]\n"
    result = run("diff", "-", "-", input=text)
    assert_user_error(result)
    assert result.stderr == (
        "Error: BASE.yaml and PROPOSED.yaml are both '-': standard input can be read only once; give at least one as a file\n"
    )


def test_diff_reads_stdin_once_beside_a_file(tmp_path: Path) -> None:
    """`diff - proposed.yaml` still reads the base from standard input."""
    text = "input: 8x8x3\nlayers: [{k: 3, out: 4}]\n"
    proposed = tmp_path / "p.yaml"
    proposed.write_text(text.replace("out: 4", "out: 8"), encoding="utf-8")
    result = run("diff", "-", str(proposed), "--format", "json", input=text)
    assert result.exit_code == 0, result.stderr


# --- exports ------------------------------------------------------------------------


@pytest.fixture
def model_txt(tmp_path: Path) -> Path:
    """A model file whose name ends in .txt, an export extension."""
    path = tmp_path / "model.txt"
    path.write_text(MODEL, encoding="utf-8")
    return path


def test_export_over_its_own_input_is_refused(model_txt: Path, tmp_path: Path) -> None:
    """`--export` naming the input (itself, through a symlink or a hard link) is refused; the input is untouched."""
    (tmp_path / "link.txt").symlink_to(model_txt)
    os.link(model_txt, tmp_path / "hard.txt")
    for target in (model_txt, tmp_path / "link.txt", tmp_path / "hard.txt"):
        result = run("model", str(model_txt), "--export", str(target))
        assert_user_error(result, "--export: cannot write", f"it is the input '{model_txt}'", "would destroy it")
    assert model_txt.read_text(encoding="utf-8") == MODEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.txt", "link.txt", "model.txt"]


def test_export_over_stdin_s_file_is_refused(model_txt: Path) -> None:
    """`convcost model - --export model.txt < model.txt` is refused too: stdin is that file."""
    with model_txt.open("rb") as handle:
        result = run_process("model", "-", "--export", str(model_txt), stdin=handle)
    assert result.returncode == 2
    assert "it is standard input, an input" in result.stderr.decode()
    assert model_txt.read_text(encoding="utf-8") == MODEL


def test_export_to_a_directory_path_is_refused(model_txt: Path, tmp_path: Path) -> None:
    """A trailing slash (`x.txt/`) or an existing directory is refused; nothing is written."""
    assert_user_error(run("model", str(model_txt), "--export", str(tmp_path / "x.txt") + "/"), "expected a file name", "a directory path")
    (tmp_path / "d.txt").mkdir()
    assert_user_error(run("model", str(model_txt), "--export", str(tmp_path / "d.txt")), "it is a directory")
    assert not (tmp_path / "x.txt").exists()


def test_long_final_names_work(model_txt: Path, tmp_path: Path) -> None:
    """A 255-character file name is written (the temporary name is short); 256 characters is one Error line."""
    name = "e" * 251 + ".txt"
    assert run("model", str(model_txt), "--export", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / name).read_text(encoding="utf-8")
    assert_user_error(run("model", str(model_txt), "--export", str(tmp_path / ("e" + name))), "File name too long")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".convcost-")]


def test_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error or Ctrl-C while the export is written removes the temporary file and leaves the target as it was."""
    target = tmp_path / "out.txt"
    target.write_text("before", encoding="utf-8")

    def broken(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(target), "after")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert not io._PENDING
    with pytest.raises(ConvcostError, match="No such file or directory"):
        write_atomic(str(tmp_path / "no" / "out.txt"), "x")


def test_interrupt_during_an_export_removes_the_temporary_file(tmp_path: Path) -> None:
    """SIGINT while a temporary export file exists: the handler removes it, prints one line and exits 130."""
    probe = (
        "import os, signal\n"
        "from convcost._entry import install_signal_handlers\n"
        "from convcost.core import io\n"
        "install_signal_handlers()\n"
        f"temp, fd = io._create_temp({str(tmp_path)!r}, '--export', 'x.txt')\n"
        "os.write(fd, b'partial')\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "import time; time.sleep(5)\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30, check=False)
    assert result.returncode == 130
    assert result.stderr == b"Error: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_export_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    """Replacing an existing export keeps its permission bits; a new export gets the usual 0666 & ~umask."""
    target = tmp_path / "r.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(str(target), "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_click_never_words_a_file_error(monkeypatch: pytest.MonkeyPatch, tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """click does not pre-check readability ("is not readable."): convcost's reader words every file error, on every path."""
    layer = tmp_yaml("in: 28x28x8\nk: 3\nout: 16\n", "layer.yaml")
    model = tmp_yaml("input: 28x28x8\nlayers:\n  - {k: 3, out: 16}\n", "model.yaml")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # what click's check would ask
    assert run("layer", layer, "--format", "json").exit_code == 0
    assert run("model", model, "--format", "json").exit_code == 0
    assert run("diff", model, model, "--format", "json").exit_code == 0
