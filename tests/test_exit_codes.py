"""Exit codes: 0 success, 1 over budget and nothing else, 2 any error convcost can
name, 130 on Ctrl-C, 141 (quiet) when the reader of stdout has gone; never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import assert_user_error, run, run_process

LAYER = ["layer", "--in", "28x28x8", "--k", "3", "--out", "16"]


def test_full_disk_on_stdout_is_one_error_line() -> None:
    """`>/dev/full`: `Error: cannot write output: No space left on device`, exit 2 (small and large outputs)."""
    with open("/dev/full", "w") as full:
        small = run_process(*LAYER, "--format", "json", stdout=full)
        large = run_process("separable", "; ".join(" ".join(str((i * j) % 7 - 3) for j in range(64)) for i in range(64)), stdout=full)
    for result in (small, large):
        assert result.returncode == 2
        assert result.stderr == b"Error: cannot write output: No space left on device\n"


def test_closed_stdout_is_quiet_and_keeps_the_verdict() -> None:
    """`>&-`: the output is discarded, the exit status still tells (0 within budget, 1 over it)."""
    within = run_process(*LAYER, "--format", "json", stdout=None, preexec_fn=lambda: os.close(1))
    over = run_process(*LAYER, "--max-mults", "1k", stdout=None, preexec_fn=lambda: os.close(1))
    assert (within.returncode, within.stderr) == (0, b"")
    assert over.returncode == 1
    assert over.stderr.decode().startswith("mults ")
    assert "> 1k by" in over.stderr.decode()


@pytest.mark.parametrize("args", [[*LAYER], [*LAYER, "--format", "json"], ["--help"], ["separable", "1 2 1; 2 4 2; 1 2 1"]])
def test_closed_pipe_exits_141_quietly(args: list[str]) -> None:
    """The reader of stdout gone (`| head -0`): exit 141, nothing on stderr (click alone would exit 1, "over budget")."""
    process = subprocess.Popen([sys.executable, "-m", "convcost", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=30) == 141
    assert error == b""


@pytest.mark.parametrize("fmt", ["table", "csv"])
@pytest.mark.parametrize("unbuffered", [True, False])
def test_closed_pipe_during_a_large_output_exits_141(tmp_path, fmt: str, unbuffered: bool) -> None:  # type: ignore[no-untyped-def]
    """`convcost model big.yaml | head -1` (output far beyond a pipe's buffer): exit 141 and nothing on
    stderr, with PYTHONUNBUFFERED too (there a partial write used to drop the rest silently and exit 0)."""
    path = tmp_path / "big.yaml"
    path.write_text("input: 8x8x4\nlayers:\n" + "  - {k: 1, out: 4}\n" * 5_000, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "convcost", "model", str(path), "--format", fmt]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline()  # `head -1`: one line, then the reader goes
    process.stdout.close()
    error = process.stderr.read()
    assert (process.wait(timeout=30), error) == (141, b"")


def test_ctrl_c_is_one_line_and_130() -> None:
    """SIGINT while convcost waits on stdin: `Error: interrupted`, exit 130, no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "convcost", "model", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(1.0)  # well past start-up: blocked reading stdin
    process.send_signal(signal.SIGINT)
    out, error = process.communicate(timeout=30)
    assert process.returncode == 130
    assert (out, error) == (b"", b"Error: interrupted\n")


def test_ctrl_c_during_start_up_imports() -> None:
    """SIGINT while click and the commands are still being imported (the entry point's first act is the handler): one line, 130."""
    probe = (
        "import os, signal, sys\n"
        "from convcost._entry import install_signal_handlers\n"
        "install_signal_handlers()\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "import click, convcost.cli, convcost.cli.layer\n"
        "print('not reached')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (130, b"", b"Error: interrupted\n")


SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin", "convcost")


def test_the_command_script_takes_ctrl_c_before_importing_anything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """bin/convcost (installed as `convcost`): Ctrl-C while the package itself is still loading is one line and 130."""
    stand_in = tmp_path / "convcost"
    stand_in.mkdir()
    (stand_in / "__init__.py").write_text("")
    (stand_in / "_entry.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(30)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # a convcost whose import is interrupted
    result = subprocess.run([sys.executable, SCRIPT, *LAYER], capture_output=True, timeout=30, check=False, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (130, b"", b"Error: interrupted\n")
    with open(SCRIPT, encoding="utf-8") as script:
        assert script.readline() == "#!python\n"  # pip points it at the environment's interpreter


def test_the_command_script_runs_convcost() -> None:
    """bin/convcost is the command: output and exit status as `python -m convcost`."""
    result = subprocess.run([sys.executable, SCRIPT, *LAYER, "--format", "json"], capture_output=True, timeout=30, check=False)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == run_process(*LAYER, "--format", "json").stdout


def test_sigterm_exits_quietly() -> None:
    """SIGTERM: a quiet exit with 143 (128 + 15), no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "convcost", "model", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    out, error = process.communicate(timeout=30)
    assert (process.returncode, out, error) == (143, b"", b"")


def test_unexpected_exceptions_are_internal_errors_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (any unexpected exception) is `Error: internal error: <type>: <msg> (please report this)`, exit 2, never 1."""
    import convcost.separable

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("x" * 1000)

    monkeypatch.setattr(convcost.separable, "separability", broken)
    result = run("separable", "1 2 1")
    assert_user_error(result, "internal error: ZeroDivisionError: xxx", "... (please report this)")
    assert len(result.stderr) < 300

    def recursion(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(convcost.separable, "separability", recursion)
    assert_user_error(run("separable", "1 2 1"), "internal error: RecursionError (please report this)")


def test_exit_1_means_over_budget_only() -> None:
    """Exit 1 comes from a budget and nothing else: usage errors, bad values and bad files are 2."""
    assert run(*LAYER, "--max-mults", "1k").exit_code == 1
    assert run(*LAYER, "--max-mults", "1G").exit_code == 0
    for args in ([*LAYER, "--bogus"], [*LAYER, "--out", "0"], ["nosuch"], ["model", "/dev/null/x"]):
        assert run(*args).exit_code == 2


def test_undecodable_file_names_are_written_back(tmp_path: os.PathLike[str]) -> None:
    """A file name that is not UTF-8 is read and named in the output (escaped), not a traceback."""
    name = os.path.join(os.fsencode(tmp_path), b"m\xff.yaml")
    with open(name, "w", encoding="utf-8") as handle:
        handle.write("input: 8x8x3\nlayers:\n  - {k: 3, out: 4}\n")
    result = subprocess.run([sys.executable, "-m", "convcost", "model", name], capture_output=True, timeout=30, check=False)
    assert (result.returncode, result.stderr) == (0, b"")
    assert b"8x8x3 -> 6x6x4" in result.stdout


def test_over_budget_with_stderr_full_still_exits_1() -> None:
    """Over budget with stderr unwritable (2>/dev/full): exit 1, the budget verdict, never 2."""
    with open("/dev/full", "w") as full:
        result = run_process(*LAYER, "--max-mults", "1k", stderr=full)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("28x28x8 -> 26x26x16")


def test_over_budget_into_a_closed_pipe_keeps_the_verdict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Over budget with the reader of stdout gone (`| head -c1`): exit 1 and the budget line on stderr, not 141."""
    path = tmp_path / "big.yaml"
    path.write_text("input: 8x8x4\nlayers:\n" + "  - {k: 1, out: 4}\n" * 3_000, encoding="utf-8")
    command = [sys.executable, "-m", "convcost", "model", str(path), "--max-mults", "1k"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.read(1)
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=30) == 1
    assert error.startswith(f"mults {8 * 8 * 4 * 4 * 3_000:,} > 1k by ")  # 3,000 layers of 8x8 outputs, 4 -> 4 channels
    assert len(error.splitlines()) == 1


def test_over_budget_with_stdout_full_keeps_the_verdict() -> None:
    """Over budget with stdout unwritable (>/dev/full): exit 1 and the budget line, the verdict winning over the lost output."""
    with open("/dev/full", "w") as full:
        result = run_process(*LAYER, "--max-mults", "1k", stdout=full)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("mults ")
