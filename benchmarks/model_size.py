"""Model-size benchmark (issue: convcost model speed).

Generates a 10,000-layer and a 100,000-layer model (a repeating mix of 3x3 convs with varying
channels, depthwise, pointwise and pooling layers, each layer written out on its own line)
and times `convcost model FILE --format json` on each as whole processes, median of several runs.
Targets: 10,000 layers in under 1 s; the 100,000-layer run under 12x the 10,000-layer one.
Run: .venv/bin/python benchmarks/model_size.py [RUNS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _timing import installed_venv, median_seconds

PATTERN = [
    "  - {{name: conv{i}, k: 3, out: {c}}}",
    "  - {{type: depthwise, k: 3}}",
    "  - {{type: pointwise, out: {c2}, bn: true}}",
    "  - {{name: wide{i}, k: 5, out: {c}, as: depthwise-separable}}",
    "  - {{type: maxpool, k: 3, stride: 1, padding: 1}}",
]


def write_model(path: Path, layers: int) -> None:
    """A valid model of exactly ``layers`` layers at 56x56, channels cycling through 16 values."""
    lines = [f"name: generated {layers}", "input: 56x56x64", "defaults: {padding: same}", "layers:"]
    for i in range(layers):
        c = 32 + 8 * (i % 16)
        lines.append(PATTERN[i % len(PATTERN)].format(i=i, c=c, c2=c + 8))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        convcost = str(installed_venv(root / "venv") / "convcost")
        small, large = root / "m10k.yaml", root / "m100k.yaml"
        write_model(small, 10_000)
        write_model(large, 100_000)
        t_small, t_large = median_seconds(
            [[convcost, "model", str(small), "--format", "json"], [convcost, "model", str(large), "--format", "json"]],
            runs,
            warmup=1,
        )
    ratio = t_large / t_small
    print(f"10,000 layers   {t_small:6.2f} s  (target < 1 s)   {'PASS' if t_small < 1 else 'FAIL'}")
    print(f"100,000 layers  {t_large:6.2f} s  ratio {ratio:.1f}x (target < 12x)   {'PASS' if ratio < 12 else 'FAIL'}")


if __name__ == "__main__":
    main()
