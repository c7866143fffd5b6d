"""Start-up benchmark: `convcost layer`, the product's speed.

Times whole processes over several interleaved runs, in a fresh virtual environment where
convcost is installed as users install it (pip install ., byte-compiled), and prints medians:
  layer --format json            against   python -c "import click, json"                       (target <= 1.3)
  layer (table)                  against   python -c "import click, rich.console, rich.table"   (target <= 1.3)
  layer ... --device a100        (json and table: what asking for a device costs; the device
                                  table, fractions and matplotlib load only then)
Run: .venv/bin/python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _timing import installed_venv, median_seconds


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        bench(installed_venv(Path(tmp)), runs)


def bench(bin_dir: Path, runs: int) -> None:
    python, convcost = str(bin_dir / "python"), str(bin_dir / "convcost")
    layer = [convcost, "layer", "--in", "28x28x8", "--k", "3", "--out", "16"]
    device = ["--device", "a100", "--dtype", "fp16"]
    commands = {
        "json baseline": [python, "-c", "import click, json"],
        "json": [*layer, "--format", "json"],
        "json --device": [*layer, "--format", "json", *device],
        "table baseline": [python, "-c", "import click, rich.console, rich.table"],
        "table": layer,
        "table --device": [*layer, *device],
    }
    times = dict(zip(commands, median_seconds(list(commands.values()), runs), strict=True))
    worst = 0.0
    for label in ("json", "table"):
        base = times[f"{label} baseline"]
        plain, with_device = times[label], times[f"{label} --device"]
        ratio = plain / base
        worst = max(worst, ratio)
        print(
            f"{label:5}  baseline {base * 1000:6.1f} ms   no device {plain * 1000:6.1f} ms (ratio {ratio:.2f}, target <= 1.3)"
            f"   --device {with_device * 1000:6.1f} ms (+{(with_device - plain) * 1000:.1f} ms)"
        )
    print(f"worst no-device ratio {worst:.2f}: {'PASS' if worst <= 1.3 else 'FAIL'}")


if __name__ == "__main__":
    main()
