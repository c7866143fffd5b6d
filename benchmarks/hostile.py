"""Hostile-input benchmark (issue: hostile input).

Times whole processes (interleaved runs, medians) and takes each one's peak memory (its own
maximum resident set, from wait4) while convcost refuses, or answers, inputs built to make it
slow or greedy:

  alias bomb       a 1.9 kB layer file whose `in:` is 9**30 aliased leaves (the error quotes it)
  brackets         200 kB of `[` (a model file nested 200,000 deep)
  50 MB file       a 50 MB model file whose first key is unknown
  /dev/zero        `convcost model /dev/zero`, and `convcost model - < /dev/zero`
  --k 1000001      `convcost layer --in 2000000001x2000000001x1 --k 1000001 --out 1`

each against `python -c "import yaml"` (and, for reference, a valid `convcost layer ... --format
json`: convcost's own start-up; the last column is each case's time over it). Target: every case within 2x that time and under
100 MB peak. Both sides run in a fresh virtual environment where convcost is installed as users
install it (pip install ., byte-compiled).
Run: .venv/bin/python benchmarks/hostile.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _timing import ENV, installed_venv

MAX_RATIO = 2.0
MAX_PEAK_MB = 100.0


def write_inputs(root: Path) -> dict[str, Path]:
    """The hostile files, generated (nothing large is stored)."""
    items = ["&b0 [" + ", ".join(["1"] * 9) + "]"]
    items += [f"&b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 30)]
    bomb = root / "bomb.yaml"
    bomb.write_text("in: [" + ", ".join(items) + "]\nk: 3\nout: 8\n", encoding="utf-8")
    brackets = root / "brackets.yaml"
    brackets.write_text("[" * 200_000, encoding="utf-8")
    big = root / "big.yaml"
    line = "  - {name: conv, k: 3, out: 64, padding: same}\n"
    block = line * 10_000
    with big.open("w", encoding="utf-8") as handle:  # in blocks: this process stays small (see measure)
        handle.write("bogus: 1\ninput: 224x224x3\nlayers:\n")
        for _ in range(50_000_000 // len(block)):
            handle.write(block)
    return {"bomb": bomb, "brackets": brackets, "big": big}


def measure(command: Sequence[str], stdin: str | None) -> tuple[float, float, int]:
    """Seconds, peak resident MB and exit status of one whole process.

    The peak is the child's own maximum resident set (wait4). Linux counts the launching
    process's size at the fork in it too, so this script keeps itself small (about 10 MB):
    the figures are upper bounds.
    """
    with open(stdin or os.devnull, "rb") as source:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bin_dir = installed_venv(root / "venv")
        files = write_inputs(root)
        bench(bin_dir, files, runs)


def bench(bin_dir: Path, files: dict[str, Path], runs: int) -> None:
    python, convcost = str(bin_dir / "python"), str(bin_dir / "convcost")
    cases: list[tuple[str, list[str], str | None]] = [
        ('python -c "import yaml"', [python, "-c", "import yaml"], None),
        ("a valid layer (json)", [convcost, "layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "json"], None),
        ("alias bomb (1.9 kB)", [convcost, "layer", str(files["bomb"])], None),
        ("brackets (200 kB)", [convcost, "model", str(files["brackets"])], None),
        ("50 MB file", [convcost, "model", str(files["big"])], None),
        ("/dev/zero", [convcost, "model", "/dev/zero"], None),
        ("- < /dev/zero", [convcost, "model", "-"], "/dev/zero"),
        # answered, not refused; as JSON, so it is compared with the valid layer above (a table of any
        # layer costs its rich import on top, the same for every layer)
        ("--k 1000001", [convcost, "layer", "--in", "2000000001x2000000001x1", "--k", "1000001", "--out", "1", "--format", "json"], None),
    ]
    for _, command, stdin in cases:  # warm-up: bytecode caches, the page cache
        measure(command, stdin)
    seconds: list[list[float]] = [[] for _ in cases]
    peaks: list[list[float]] = [[] for _ in cases]
    codes: list[set[int]] = [set() for _ in cases]
    for _ in range(runs):
        for i, (_, command, stdin) in enumerate(cases):
            elapsed, peak, code = measure(command, stdin)
            seconds[i].append(elapsed)
            peaks[i].append(peak)
            codes[i].add(code)
    base = statistics.median(seconds[0])
    worst_ratio, worst_peak = 0.0, 0.0
    start_up = statistics.median(seconds[1])
    print(f"{'case':24} {'median':>9} {'ratio':>6} {'peak':>9}  exit  over start-up")
    for i, (label, _, _) in enumerate(cases):
        median, peak = statistics.median(seconds[i]), max(peaks[i])
        ratio = median / base
        if i > 1:  # the baseline and convcost's bare start-up (for reference) are not hostile cases
            worst_ratio, worst_peak = max(worst_ratio, ratio), max(worst_peak, peak)
        extra = f"{(median - start_up) * 1000:+6.0f} ms" if i > 1 else ""
        print(f"{label:24} {median * 1000:6.0f} ms {ratio:5.2f}x {peak:6.1f} MB  {','.join(map(str, sorted(codes[i]))):4}  {extra}")
    ok = worst_ratio <= MAX_RATIO and worst_peak < MAX_PEAK_MB
    verdict = "PASS" if ok else "FAIL"
    print(f"worst ratio {worst_ratio:.2f} (target <= {MAX_RATIO}), worst peak {worst_peak:.1f} MB (target < {MAX_PEAK_MB:.0f}): {verdict}")


if __name__ == "__main__":
    main()
