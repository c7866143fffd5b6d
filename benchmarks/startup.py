"""Start-up benchmark (issue: layer command speed).

Times whole processes over several interleaved runs and prints median ratios:
  convcost layer ... --format json   against   python -c "import click, json"
  convcost layer ... (table)         against   python -c "import click, rich.console, rich.table"
Target: both ratios <= 1.3. Both sides run in a fresh virtual environment where convcost is
installed as users install it (pip install ., byte-compiled).
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
    pairs = [
        ("json", [*layer, "--format", "json"], [python, "-c", "import click, json"]),
        ("table", layer, [python, "-c", "import click, rich.console, rich.table"]),
    ]
    worst = 0.0
    for label, ours, baseline in pairs:
        mine, base = median_seconds([ours, baseline], runs)
        ratio = mine / base
        worst = max(worst, ratio)
        print(f"{label:5}  convcost {mine * 1000:6.1f} ms   baseline {base * 1000:6.1f} ms   ratio {ratio:.2f}  (target <= 1.3)")
    print(f"worst ratio {worst:.2f}: {'PASS' if worst <= 1.3 else 'FAIL'}")


if __name__ == "__main__":
    main()
