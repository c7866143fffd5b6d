"""--training benchmark (issue: training cost).

Times `convcost model FILE --format json` with and without `--training` as whole processes,
interleaved, median of several runs, on ResNet-50 (layer_specs/resnet50.yaml and the ONNX export in
benchmarks/data) and on a generated 10,000-layer model (benchmarks/model_size.py's).
Target: --training adds under 10% (ratio < 1.10) on each.
Run: .venv/bin/python benchmarks/training.py [RUNS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _timing import ROOT, installed_venv, median_seconds
from model_size import write_model


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bin_dir = installed_venv(root / "venv")
        import subprocess

        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "onnx"], check=True)
        convcost = str(bin_dir / "convcost")
        large = root / "m10k.yaml"
        write_model(large, 10_000)
        files = [
            ("ResNet-50 (YAML)", ROOT / "layer_specs" / "resnet50.yaml"),
            ("ResNet-50 (ONNX)", ROOT / "benchmarks" / "data" / "resnet50.onnx"),
            ("10,000 layers", large),
        ]
        for name, path in files:
            plain = [convcost, "model", str(path), "--format", "json"]
            base, trained = median_seconds([plain, [*plain, "--training"]], runs)
            ratio = trained / base
            verdict = "PASS" if ratio < 1.10 else "FAIL"
            print(f"{name:18}  {base:6.3f} s  --training {trained:6.3f} s  ratio {ratio:.3f}x (target < 1.10x)   {verdict}")


if __name__ == "__main__":
    main()
