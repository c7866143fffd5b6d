"""Hostile-input benchmark (issue: hostile input).

Times whole processes (interleaved runs, medians) and takes each one's peak memory (its own
maximum resident set, from wait4) while convcost refuses, or answers, inputs built to make it
slow or greedy:

  alias bomb       a 1.9 kB layer file whose `in:` is 9**30 aliased leaves (the error quotes it)
  brackets         200 kB of `[` (a model file nested 200,000 deep)
  50 MB file       a 50 MB model file whose first key is unknown
  /dev/zero        `convcost model /dev/zero`, and `convcost model - < /dev/zero`
  --k 1000001      `convcost layer --in 2000000001x2000000001x1 --k 1000001 --out 1`
  ONNX bombs       an 80 MB node of 8M attributes, a 40 MB one of 4M, an 8 MB input of rank 2M,
                   a 30 MB Sum of 10M inputs, 10 nodes of 9,990 attributes whose names make each
                   one walked, 20,400 Sums of 23 inputs (past 500,000 entries in all); fields
                   convcost does not read, 4M each (node metadata_props and device configurations,
                   value-info metadata, quantization annotations, a model configuration), an
                   attribute of 4M type_protos, a sparse initializer of 4M dims, a function of 4M
                   nodes, 7,000 repeated shape fields of 64 dims (rank 448,000 once merged), a
                   150 MB model doc string, 199,000 opset imports, 99,000 value infos for one node,
                   an opset of version 0; fourth round: 3,900 small initializers of 2,000 empty
                   external_data entries, a large one of 20M (and one of 20M empty strings), 10M
                   repeated node names, opset domains, value-info names, elem_types, attribute ints,
                   7,000 repeated sparse_tensor fields of 64 dims (merged); fifth round: 4 attributes of
                   100,000 type_protos 8 sequences deep, 169,000 value infos 8 deep for 10,000 nodes,
                   199,990 model-local functions, 4 attributes of 100,000 empty graphs (tensors); written
                   byte by byte here, refused before onnx is
                   imported (the quantization annotation, configuration and doc string are left
                   out and the model read: this venv has no onnx, so they end at its absence,
                   exit 2; with onnx they cost a one-node model's time and memory)

  third round     (onnx then installed in the venv, so the ONNX files get past the scan) nested model-local
                  functions of 2 kB (10^8 nodes expanded), Unsqueeze of 99,990 axes (an attribute) and of 2,048
                  (a constant) along chains of Identity nodes, a weight storing 108 of 27,000,000 values; a 90-byte
                  model file of chained 30-digit upsamples; beside a valid one-Conv ONNX file (onnx's import)

each against `python -c "import yaml"` (and, for reference, a valid `convcost layer ... --format
json`: convcost's own start-up; the last column is each case's time over it). Targets: every YAML and
flag case within 2x that time and under 100 MB peak; every ONNX case within 1 s and under 200 MB.
Both sides run in a fresh virtual environment where convcost is installed as users install it
(pip install ., byte-compiled).
Run: .venv/bin/python benchmarks/hostile.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _timing import ENV, installed_venv

MAX_RATIO = 2.0
MAX_PEAK_MB = 100.0
MAX_ONNX_SECONDS = 1.0
MAX_ONNX_PEAK_MB = 200.0


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
    files = {"bomb": bomb, "brackets": brackets, "big": big}
    # in a child process: the bombs are built in memory, and this process must stay small (see measure)
    subprocess.run([sys.executable, __file__, "--write-onnx", str(root)], check=True)
    files.update({label: root / f"{label}.onnx" for label in ONNX_BOMBS})
    return files


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _model(nodes: bytes, inputs: bytes) -> bytes:
    """A ModelProto (ir_version 8, opset 17) of a graph with these node and input fields."""
    graph = nodes + _field(2, b"g") + inputs + _field(12, _field(1, b"y"))
    return b"\x08\x08" + _field(7, graph) + _field(8, b"\x10\x11")


def _input(dims: int) -> bytes:
    """A graph input 'x', float, of ``dims`` dimensions of size 1."""
    shape = _field(1, b"\x08\x01") * dims
    return _field(11, _field(1, b"x") + _field(2, _field(1, b"\x08\x01" + _field(2, shape))))


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value & (1 << 64) - 1)


_RELU = _field(1, b"x") + _field(2, b"y") + _field(4, b"Relu")
_M = 4_000_000


def _fields_model(node: bytes = b"", graph: bytes = b"", model: bytes = b"", opset: int = 17) -> bytes:
    """A Relu model (x 1x1x1x1 to y) with raw fields appended to its node, graph and model."""
    body = _field(1, _RELU + node) + _field(2, b"g") + _input(4) + _field(12, _field(1, b"y")) + graph
    return b"\x08\x08" + _field(7, body) + _field(8, _int(2, opset)) + model


def _merged_shapes() -> bytes:
    shape = _field(2, _field(1, b"\x08\x01") * 64)
    return _field(13, _field(1, b"y") + _field(2, _field(1, b"\x08\x01" + shape * 7_000)))


def _sparse(dims: int) -> bytes:
    """A SparseTensorProto of ``dims`` dimensions of size 1 and one float value."""
    values = _int(2, 1) + _field(1, b"\x01") + _field(8, b"v")
    indices = _int(2, 7) + _field(1, b"\x01") + _field(7, b"\x00")
    return _field(1, values) + _field(2, indices) + _field(3, b"\x01" * dims)


def _nested_type(depth: int) -> bytes:
    """A TypeProto: a float tensor inside ``depth`` sequences."""
    inner = _field(1, _int(1, 1))
    for _ in range(depth):
        inner = _field(4, _field(1, inner))
    return inner


def _list_attributes(attribute_type: int, value: bytes) -> bytes:
    """Four attributes of 100,000 list values each (within an attribute's limit)."""
    return b"".join(_field(5, _field(1, b"a%d" % k) + _int(20, attribute_type) + value * 100_000) for k in range(4))


def _nested_value_infos() -> bytes:
    """10,000 Identity nodes (room for 170,000 graph entries) and 169,000 value infos 8 sequences deep."""
    nodes = _field(1, _field(1, b"x") + _field(2, b"i") + _field(4, b"Identity")) * 10_000
    return nodes + _field(13, _field(1, b"v") + _field(2, _nested_type(8))) * 169_000


ONNX_FIELD_BOMBS: tuple[tuple[str, Callable[[], bytes]], ...] = (
    ("node_meta", lambda: _fields_model(node=_field(9, b"") * _M)),
    ("node_devcfg", lambda: _fields_model(node=_field(10, b"") * _M)),
    ("vi_meta", lambda: _fields_model(graph=_field(13, _field(1, b"y") + _field(4, b"") * _M))),
    ("quant", lambda: _fields_model(graph=_field(14, _field(2, b"") * _M))),
    ("config", lambda: _fields_model(model=_field(26, _field(3, b"") * _M))),
    ("type_protos", lambda: _fields_model(node=_field(5, _field(1, b"t") + _int(20, 14) + _field(15, b"") * _M))),
    ("sparse_dims", lambda: _fields_model(graph=_field(15, _field(1, _field(8, b"s") + _int(2, 1)) + _field(3, b"\x01" * _M)))),
    ("function", lambda: _fields_model(model=_field(25, _field(1, b"f") + _field(7, _field(4, b"Relu")) * _M))),
    ("merged_rank", lambda: _fields_model(graph=_merged_shapes())),
    ("doc_string", lambda: _fields_model(model=_field(6, b"d" * 150_000_000))),
    ("opsets", lambda: _fields_model(model=_field(8, _field(1, b"x") + _int(2, 1)) * 199_000)),
    ("value_infos", lambda: _fields_model(graph=_field(13, _field(1, b"y")) * 99_000)),
    ("opset0", lambda: _fields_model(opset=0)),
    ("ext_small", lambda: _fields_model(graph=_field(5, _int(1, 1) + _int(2, 1) + _field(8, b"e") + _field(13, b"") * 2_000) * 3_900)),
    ("ext_stripped", lambda: _fields_model(graph=_field(5, _int(1, 1) + _int(2, 1) + _field(8, b"w") + _field(13, b"") * 20_000_000))),
    ("values_stripped", lambda: _fields_model(graph=_field(5, _int(1, 1) + _int(2, 8) + _field(8, b"w") + _field(6, b"") * 20_000_000))),
    ("node_names", lambda: _fields_model(node=_field(3, b"") * 10_000_000)),
    ("opset_domains", lambda: _fields_model(model=_field(8, _field(1, b"") * 10_000_000 + _int(2, 1)))),
    ("vi_names", lambda: _fields_model(graph=_field(13, _field(1, b"") * 10_000_000 + _field(1, b"q")))),
    ("elem_types", lambda: _fields_model(graph=_field(13, _field(1, b"q") + _field(2, _field(1, _int(1, 1) * 10_000_000))))),
    ("attr_i", lambda: _fields_model(node=_field(5, _field(1, b"a") + _int(20, 2) + _int(3, 1) * 10_000_000))),
    ("sparse_merged", lambda: _fields_model(node=_field(5, _field(1, b"s") + _int(20, 11) + _field(22, _sparse(64)) * 7_000))),
    ("nested_types", lambda: _fields_model(node=_list_attributes(14, _field(15, _nested_type(8))))),
    ("nested_vis", lambda: _fields_model(graph=_nested_value_infos())),
    (
        "functions",
        lambda: _fields_model(model=b"".join(_field(25, _field(1, b"f%038d" % i) + _field(10, b"d" * 38)) for i in range(199_990))),
    ),
    ("empty_graphs", lambda: _fields_model(node=_list_attributes(10, _field(11, _field(2, b"n"))))),
    ("empty_tensors", lambda: _fields_model(node=_list_attributes(9, _field(10, _int(2, 1))))),
)
"""Label and bytes of the third round's ONNX cases (fields protobuf merges, fields convcost leaves out)."""

ONNX_BOMBS = ("attrs8m", "attrs4m", "rank2m", "sum10m", "walked", "entries", *(label for label, _ in ONNX_FIELD_BOMBS))


def onnx_bombs(root: Path) -> dict[str, Path]:
    """The hostile ONNX files of the second round, each written field by field (no onnx needed here)."""
    x4 = _input(4)
    attribute = _field(5, _field(1, b"a") + b"\x18\x01\xa0\x01\x02")  # a: INT 1
    relu_head = _field(1, b"x") + _field(2, b"y") + _field(4, b"Relu")
    out = {}
    for label, count in (("attrs8m", 8_000_000), ("attrs4m", 4_000_000)):
        path = root / f"{label}.onnx"
        path.write_bytes(_model(_field(1, relu_head + attribute * count), x4))
        out[label] = path
    out["rank2m"] = root / "rank2m.onnx"
    out["rank2m"].write_bytes(_model(_field(1, relu_head), _input(2_000_000)))
    out["sum10m"] = root / "sum10m.onnx"
    out["sum10m"].write_bytes(_model(_field(1, _field(1, b"x") * 10_000_000 + _field(2, b"y") + _field(4, b"Sum")), x4))
    walked = b"".join(_field(5, _field(1, b"a*2%d" % j) + b"\x18\x01\xa0\x01\x02") for j in range(9_990))  # '*': a list tag's byte
    out["walked"] = root / "walked.onnx"
    out["walked"].write_bytes(_model(_field(1, relu_head + walked) * 10, x4))
    sum23 = _field(1, _field(1, b"x") * 23 + _field(2, b"y") + _field(4, b"Sum"))
    out["entries"] = root / "entries.onnx"
    out["entries"].write_bytes(_model(sum23 * 20_400, x4))
    for label, build in ONNX_FIELD_BOMBS:
        out[label] = root / f"{label}.onnx"
        out[label].write_bytes(build())
    return out


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


THIRD_ROUND = ("functions 2 kB", "Unsqueeze 99,990 axes", "Unsqueeze 2,048 axes", "weight 108 of 27M")
"""The third attack's files (needing onnx to write and, past the scan, to read): nested model-local functions
(10^8 nodes expanded), Unsqueeze axes along a chain of Identity nodes (as an attribute and as a constant), a
weight that stores 108 values under dimensions of 27,000,000; and a model file of chained 30-digit upsamples."""


def third_round(root: Path) -> dict[str, Path]:
    """The third attack's files, written with onnx.helper (the runner's Python has onnx)."""
    import onnx
    from onnx import TensorProto, helper

    def save(name: str, nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], opset: int = 17, **extra: object) -> Path:
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)  # fmt: skip
        opsets = [helper.make_opsetid("", opset), *extra.pop("opsets", [])]  # type: ignore[misc]
        model = helper.make_model(graph, opset_imports=opsets, **extra)
        model.ir_version = 8
        path = root / name
        path.write_bytes(model.SerializeToString())
        return path

    def chain(first: onnx.NodeProto, count: int) -> list[onnx.NodeProto]:
        nodes = [first, *(helper.make_node("Identity", [f"t{i}"], [f"t{i + 1}"]) for i in range(count))]
        return [*nodes, helper.make_node("Relu", [f"t{count}"], ["y"])]

    local = [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)]
    functions = []
    for k in range(8):
        body = [
            helper.make_node("Relu" if k == 0 else f"F{k - 1}", ["a" if i == 0 else f"t{i - 1}"], ["b" if i == 9 else f"t{i}"],
                             domain="" if k == 0 else "local")
            for i in range(10)
        ]  # fmt: skip
        functions.append(helper.make_function("local", f"F{k}", ["a"], ["b"], body, local))
    out = {
        "functions 2 kB": save("functions.onnx", [helper.make_node("F7", ["x"], ["y"], domain="local")], [], opsets=[local[1]],
                               functions=functions),
        "Unsqueeze 99,990 axes": save("axes_attr.onnx", chain(helper.make_node("Unsqueeze", ["x"], ["t0"], axes=[*range(4, 99_994)]), 1000),
                                      [], opset=11),
        "Unsqueeze 2,048 axes": save("axes_const.onnx", chain(helper.make_node("Unsqueeze", ["x", "ax"], ["t0"]), 30_000),
                                     [helper.make_tensor("ax", TensorProto.INT64, [2048], list(range(4, 2052)))]),
        "weight 108 of 27M": save("weight.onnx", [helper.make_node("Conv", ["x", "w"], ["y"])],
                                  [onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[10**6, 3, 3, 3], float_data=[0.0] * 108)]),
    }  # fmt: skip
    upsamples = root / "upsamples.yaml"
    upsamples.write_text(
        "input: 1x1x1\nlayers:\n  - {repeat: 3000, layers: [{type: upsample, scale: " + "9" * 30 + "}]}\n", encoding="utf-8"
    )
    out["upsamples 90 B"] = upsamples
    return out


def main() -> None:
    if sys.argv[1:2] == ["--write-onnx"]:
        onnx_bombs(Path(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--write-third"]:  # in a process of its own: onnx loaded here would count in every peak below
        for label, path in {**third_round(Path(sys.argv[2])), "a valid ONNX Conv": _valid_onnx(Path(sys.argv[2]))}.items():
            print(f"{label}\t{path}")
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bin_dir = installed_venv(root / "venv")
        files = write_inputs(root)
        bench(bin_dir, files, runs)
        print("\nThird round, with onnx installed in the venv (the ONNX files get past the scan; onnx's import is in each figure):")
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "onnx"], check=True, env=ENV)
        written = subprocess.run([sys.executable, __file__, "--write-third", str(root)], check=True, capture_output=True, text=True)
        third = dict(line.split("\t") for line in written.stdout.splitlines())
        convcost = str(bin_dir / "convcost")
        valid = third.pop("a valid ONNX Conv")
        cases = [(label, [convcost, "model", path], None) for label, path in {"a valid ONNX Conv": valid, **third}.items()]
        report(cases, runs)


def _valid_onnx(root: Path) -> Path:
    """A one-Conv ONNX file: what reading any ONNX file costs here (onnx's import)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)])  # fmt: skip
    path = root / "valid.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def report(cases: list[tuple[str, list[str], str | None]], runs: int) -> None:
    """Median time, peak memory and exit status of each case."""
    for _, command, stdin in cases:
        measure(command, stdin)
    for label, command, stdin in cases:
        found = [measure(command, stdin) for _ in range(runs)]
        median = statistics.median(f[0] for f in found)
        peak = max(f[1] for f in found)
        codes = ",".join(map(str, sorted({f[2] for f in found})))
        print(f"{label:24} {median * 1000:6.0f} ms {peak:6.1f} MB  exit {codes}")


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
        ("ONNX 8M attributes", [convcost, "model", str(files["attrs8m"])], None),
        ("ONNX 4M attributes", [convcost, "model", str(files["attrs4m"])], None),
        ("ONNX input of rank 2M", [convcost, "model", str(files["rank2m"])], None),
        ("ONNX Sum of 10M inputs", [convcost, "model", str(files["sum10m"])], None),
        ("ONNX walked attributes", [convcost, "model", str(files["walked"])], None),
        ("ONNX 510k entries", [convcost, "model", str(files["entries"])], None),
    ]
    cases += [(f"ONNX {label}", [convcost, "model", str(files[label])], None) for label, _ in ONNX_FIELD_BOMBS]
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
    worst_ratio, worst_peak, worst_onnx, worst_onnx_peak = 0.0, 0.0, 0.0, 0.0
    start_up = statistics.median(seconds[1])
    print(f"{'case':24} {'median':>9} {'ratio':>6} {'peak':>9}  exit  over start-up")
    for i, (label, _, _) in enumerate(cases):
        median, peak = statistics.median(seconds[i]), max(peaks[i])
        ratio = median / base
        if label.startswith("ONNX"):
            worst_onnx, worst_onnx_peak = max(worst_onnx, median), max(worst_onnx_peak, peak)
        elif i > 1:  # the baseline and convcost's bare start-up (for reference) are not hostile cases
            worst_ratio, worst_peak = max(worst_ratio, ratio), max(worst_peak, peak)
        extra = f"{(median - start_up) * 1000:+6.0f} ms" if i > 1 else ""
        print(f"{label:24} {median * 1000:6.0f} ms {ratio:5.2f}x {peak:6.1f} MB  {','.join(map(str, sorted(codes[i]))):4}  {extra}")
    ok = worst_ratio <= MAX_RATIO and worst_peak < MAX_PEAK_MB
    print(f"YAML and flags: worst ratio {worst_ratio:.2f} (target <= {MAX_RATIO}), worst peak {worst_peak:.1f} MB "
          f"(target < {MAX_PEAK_MB:.0f}): {'PASS' if ok else 'FAIL'}")  # fmt: skip
    ok = worst_onnx <= MAX_ONNX_SECONDS and worst_onnx_peak < MAX_ONNX_PEAK_MB
    print(f"ONNX: worst {worst_onnx * 1000:.0f} ms (target <= {MAX_ONNX_SECONDS * 1000:.0f}), worst peak {worst_onnx_peak:.1f} MB "
          f"(target < {MAX_ONNX_PEAK_MB:.0f}): {'PASS' if ok else 'FAIL'}")  # fmt: skip


if __name__ == "__main__":
    main()
