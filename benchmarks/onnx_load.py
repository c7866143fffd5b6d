"""ONNX benchmark (issue: real models in).

Times ``convcost model FILE.onnx --format json`` as whole processes and measures their peak
memory (the child's maximum resident set size) on:

- benchmarks/data/resnet50.onnx: torchvision's ResNet-50 exported at 224x224 (torch.onnx.export,
  opset 17) with its weights stored externally and the weight file not shipped (31 kB).
  Target: under 1 s wall, cold (the first run, no warm-up).
- a self-contained VGG-16 built here with onnx.helper, every weight embedded (zeros): 138,357,544
  float32 params, a 553 MB file. Target: peak memory under 2x the file's size.

Needs the onnx package. Run: .venv/bin/python benchmarks/onnx_load.py [RUNS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import ENV, ROOT

RESNET50 = ROOT / "benchmarks" / "data" / "resnet50.onnx"

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)
"""


def measure(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak resident bytes) of one run of ``command`` in a fresh process.

    CPU time is shown beside wall time: on a busy machine the wall time waits for a core."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True, env=ENV).stdout
    seconds, cpu, peak = out.split()
    return float(seconds), float(cpu), int(peak)


def vgg16(path: Path) -> int:
    """Write VGG-16 (224x224x3 in, 1000 out) with every weight embedded as zeros; its param count."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    tensor, channels, params = "image", 3, 0
    for stage, (width, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]):
        for i in range(convs):
            name = f"features.{stage}.{i}"
            w, b = np.zeros((width, channels, 3, 3), np.float32), np.zeros(width, np.float32)
            inits += [numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")]
            nodes.append(
                helper.make_node("Conv", [tensor, f"{name}.weight", f"{name}.bias"], [f"{name}.conv"], name=f"/{name}/Conv", pads=[1] * 4)
            )
            nodes.append(helper.make_node("Relu", [f"{name}.conv"], [f"{name}.relu"], name=f"/{name}/Relu"))
            tensor, channels, params = f"{name}.relu", width, params + w.size + b.size
        nodes.append(
            helper.make_node("MaxPool", [tensor], [f"pool{stage}"], name=f"/pool{stage}/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
        )
        tensor = f"pool{stage}"
    nodes.append(helper.make_node("Flatten", [tensor], ["flat"], name="/Flatten"))
    tensor, features = "flat", 512 * 7 * 7
    for i, out in enumerate([4096, 4096, 1000]):
        w, b = np.zeros((out, features), np.float32), np.zeros(out, np.float32)
        inits += [numpy_helper.from_array(w, f"fc{i}.weight"), numpy_helper.from_array(b, f"fc{i}.bias")]
        nodes.append(helper.make_node("Gemm", [tensor, f"fc{i}.weight", f"fc{i}.bias"], [f"fc{i}"], name=f"/fc{i}/Gemm", transB=1))
        tensor, features, params = f"fc{i}", out, params + w.size + b.size
    graph = helper.make_graph(
        nodes,
        "vgg16",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info(tensor, TensorProto.FLOAT, None)],
        inits,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return params


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    convcost = [sys.executable, "-m", "convcost", "model"]
    cold, cold_cpu, cold_peak = measure([*convcost, str(RESNET50), "--format", "json"])
    warm = sorted(measure([*convcost, str(RESNET50), "--format", "json"])[:2] for _ in range(runs))[runs // 2]
    size = RESNET50.stat().st_size
    print(f"ResNet-50, graph only ({size:,} bytes): cold {cold:.2f} s wall ({cold_cpu:.2f} s CPU),", end=" ")
    print(f"median of {runs} {warm[0]:.2f} s wall ({warm[1]:.2f} s CPU), peak {cold_peak / 2**20:.0f} MiB")
    print(f"  target < 1 s cold: {'PASS' if cold < 1 else 'FAIL'}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vgg16.onnx"
        start = time.perf_counter()
        params = vgg16(path)
        built = time.perf_counter() - start
        size = path.stat().st_size
        seconds, cpu, peak = measure([*convcost, str(path), "--format", "json"])
        data = json.loads(subprocess.run([*convcost, str(path), "--format", "json"], capture_output=True, text=True, check=True).stdout)
    assert data["totals"]["params"] == params, (data["totals"], params)
    ratio = peak / size
    print(f"VGG-16, self-contained ({size / 1e6:.0f} MB, built in {built:.0f} s): {seconds:.2f} s wall ({cpu:.2f} s CPU),", end=" ")
    print(f"peak {peak / 2**20:.0f} MiB = {ratio:.2f}x the file")
    print(f"  totals: {data['totals']['mults']:,} mults, {data['totals']['params']:,} params")
    print(f"  target peak < 2x the file: {'PASS' if ratio < 2 else 'FAIL'}")


if __name__ == "__main__":
    main()
