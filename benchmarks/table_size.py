"""Big-table benchmark (issue: output that survives pipes; big tables are cheap).

Generates a 100,000-layer model (benchmarks/model_size.py's generator) and times, as whole
processes in a fresh virtual environment with convcost installed as users install it:

  convcost model FILE --format json           the baseline, in the same run
  convcost model FILE                         the table, printed to a pipe (natural width)
  convcost model FILE --export FILE.html      the table printed, and the HTML page written

CPU time (user + system) of each process, median over interleaved runs, as ratios to the
JSON run. Targets: table <= 2x JSON; HTML export <= 3x JSON.
Run: .venv/bin/python benchmarks/table_size.py [RUNS] [LAYERS]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from _timing import ENV, installed_venv
from model_size import write_model


def cpu_seconds(command: Sequence[str]) -> float:
    """User + system CPU time of one whole process (its output to a pipe we drain and drop)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with subprocess.Popen(command, stdout=subprocess.PIPE, env=ENV) as process:
        assert process.stdout is not None
        while process.stdout.read(1 << 20):
            pass
        if process.wait() != 0:
            raise SystemExit(f"failed: {' '.join(command)}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_cpu(commands: Sequence[Sequence[str]], runs: int) -> list[float]:
    """Each command ``runs`` times, interleaved so machine noise hits all alike; median CPU seconds."""
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, command in enumerate(commands):
            samples[i].append(cpu_seconds(command))
    return [statistics.median(s) for s in samples]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        convcost = str(installed_venv(root / "venv") / "convcost")
        model = root / "big.yaml"
        write_model(model, layers)
        page = root / "big.html"
        json_s, table_s, html_s = median_cpu(
            [
                [convcost, "model", str(model), "--format", "json"],
                [convcost, "model", str(model)],
                [convcost, "model", str(model), "--export", str(page)],
            ],
            runs,
        )
        size = os.path.getsize(page)
    print(f"{layers:,} layers, CPU seconds, median of {runs}")
    print(f"json         {json_s:6.2f} s")
    for label, seconds, target in (("table", table_s, 2), ("html export", html_s, 3)):
        verdict = "PASS" if seconds <= target * json_s else "FAIL"
        print(f"{label:12} {seconds:6.2f} s  ratio {seconds / json_s:.2f} (target <= {target})   {verdict}")
    print(f"html page    {size:,} bytes")


if __name__ == "__main__":
    main()
