"""Bytes moved, arithmetic intensity and roofline time: the issue's worked checks, exact."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner
from conftest import SPECS, assert_user_error, run, run_json
from hypothesis import given
from hypothesis import strategies as st

from convcost.analysis.devices import builtin_devices
from convcost.analysis.roofline import (
    Traffic,
    add_timings,
    attainable,
    ridge,
    roofline_time,
    traffic,
)
from convcost.cli import cli
from convcost.core.cost import Cost, batched, conv_cost
from convcost.core.shapes import Shape, make_conv
from convcost.core.units import Precision, precision
from convcost.errors import ConvcostError

FP16 = Precision("fp16", "fp16")
INT8 = Precision("int8", "int8")


def sig(value: Fraction | float, digits: int) -> str:
    """``value`` to ``digits`` significant digits (a check independent of the renderer)."""
    return f"{float(value):.{digits}g}"


def a100_fp16() -> tuple[Fraction, Fraction]:
    device = builtin_devices()["a100"]
    return device.peak("fp16"), device.bandwidth


# --- the worked checks --------------------------------------------------------


def test_vgg16_conv3_2_on_a100_fp16() -> None:
    """VGG-16 conv3_2: 3,699,376,128 FLOPs, 4,390,912 bytes, intensity 842.5, compute-bound, 11.86 us."""
    conv = make_conv(Shape(56, 56, 256), 256, (3, 3), padding=(1, 1, 1, 1))
    t = traffic(conv_cost(conv), FP16)
    assert t == Traffic(3_699_376_128, 4_390_912)
    assert t.flops == 2 * 56 * 56 * 256 * 256 * 9
    assert t.bytes == 2 * (56 * 56 * 256 * 2) + 2 * 3 * 3 * 256 * 256
    assert sig(Fraction(t.flops, t.bytes), 4) == "842.5"
    peak, bw = a100_fp16()
    timing = roofline_time(t, peak, bw)
    assert timing.bound == "compute"
    assert timing.seconds == Fraction(3_699_376_128, 312 * 10**12)
    assert sig(timing.seconds * 10**6, 4) == "11.86"


def test_depthwise_3x3_on_a100_fp16() -> None:
    """Depthwise 3x3 on 56x56x256, padding 1: 14,450,688 FLOPs, 3,215,872 bytes, intensity 4.49, memory-bound, 1.58 us."""
    conv = make_conv(Shape(56, 56, 256), 256, (3, 3), padding=(1, 1, 1, 1), groups=256)
    t = traffic(conv_cost(conv), FP16)
    assert t == Traffic(14_450_688, 3_215_872)
    assert sig(Fraction(t.flops, t.bytes), 3) == "4.49"
    peak, bw = a100_fp16()
    timing = roofline_time(t, peak, bw)
    assert timing.bound == "memory"
    assert timing.seconds == Fraction(3_215_872, 2_039 * 10**9)
    assert sig(timing.seconds * 10**6, 3) == "1.58"


def test_pointwise_256_to_256_is_memory_bound_below_the_ridge() -> None:
    """Pointwise 256 -> 256 at 56x56: intensity 123, memory-bound on the A100 (ridge 153)."""
    conv = make_conv(Shape(56, 56, 256), 256, (1, 1))
    t = traffic(conv_cost(conv), FP16)
    assert round(Fraction(t.flops, t.bytes)) == 123
    peak, bw = a100_fp16()
    assert ridge(peak, bw) == Fraction(312 * 10**12, 2_039 * 10**9)
    assert round(ridge(peak, bw)) == 153
    assert roofline_time(t, peak, bw).bound == "memory"


def test_shufflenet_v2_memory_access_cost_check() -> None:
    """A 1x1 conv, 56x56, 256 -> 256, 1 byte per element moves 1,671,168 bytes."""
    conv = make_conv(Shape(56, 56, 256), 256, (1, 1))
    assert traffic(conv_cost(conv), INT8).bytes == 56 * 56 * (256 + 256) + 256 * 256 == 1_671_168


@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 512), st.integers(1, 512))
def test_shufflenet_v2_identity_over_random_1x1_layers(h: int, w: int, c1: int, c2: int) -> None:
    """ShuffleNet V2's MAC = hw(c1 + c2) + c1c2 for every 1x1 layer at 1 byte per element."""
    conv = make_conv(Shape(h, w, c1), c2, (1, 1))
    assert traffic(conv_cost(conv), INT8).bytes == h * w * (c1 + c2) + c1 * c2


# --- the formula's parts --------------------------------------------------------------


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.sampled_from(["fp32", "fp16", "bf16", "int8"]),
    st.sampled_from(["fp32", "fp16", "bf16", "int8"]),
    st.integers(1, 1024),
)
def test_bytes_formula(mults: int, inputs: int, outputs: int, weights: int, act: str, wt: str, batch: int) -> None:
    """bytes = a x B x (in + out) + w x weights; FLOPs = 2 x B x mults; the batch leaves the weights alone."""
    size = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
    cost = Cost(mults, weights, inputs, outputs, weights)
    t = traffic(batched(cost, batch), Precision(act, wt, batch))
    assert t.bytes == size[act] * batch * (inputs + outputs) + size[wt] * weights
    assert t.flops == 2 * batch * mults
    one = traffic(cost, Precision(act, wt, 1))
    assert t.bytes - batch * one.bytes == size[wt] * weights * (1 - batch)


@given(st.integers(0, 10**15), st.integers(0, 10**12), st.integers(1, 10**15), st.integers(1, 10**13))
def test_roofline_time_is_the_larger_roof(fl: int, by: int, peak: int, bw: int) -> None:
    """time = max(FLOPs/peak, bytes/bandwidth) exactly, with the bound naming the larger term."""
    timing = roofline_time(Traffic(fl, by), Fraction(peak), Fraction(bw))
    assert timing.seconds == max(Fraction(fl, peak), Fraction(by, bw))
    if Fraction(fl, peak) >= Fraction(by, bw):  # a tie (0 and 0 too) counts as compute
        assert timing.bound == "compute"
    else:
        assert timing.bound == "memory"


def test_intensity_is_the_nearest_float_and_none_without_bytes() -> None:
    """Intensity is FLOPs / bytes rounded once; a layer that moves no bytes has none (JSON null, never NaN)."""
    assert Traffic(3_699_376_128, 4_390_912).intensity == float(Fraction(3_699_376_128, 4_390_912))
    assert Traffic(0, 0).intensity is None
    assert Traffic(0, 100).intensity == 0.0


def test_network_time_adds_and_its_bound_is_where_most_time_goes() -> None:
    """Layers run one after another: times add; a sum is compute- or memory-bound by where most of its time goes."""
    a = roofline_time(Traffic(100, 1), Fraction(10), Fraction(10))  # compute, 10 s
    b = roofline_time(Traffic(1, 100), Fraction(10), Fraction(10))  # memory, 10 s
    c = roofline_time(Traffic(1, 300), Fraction(10), Fraction(10))  # memory, 30 s
    assert (a.bound, b.bound, c.seconds) == ("compute", "memory", 30)
    assert add_timings([a, a]) == (20, "compute")
    assert add_timings([a, b]) == (20, "compute")  # a tie counts as compute, as for one layer
    assert add_timings([a, c]) == (40, "memory")
    assert add_timings([a, a, c]) == (50, "memory")
    assert add_timings([a, a, a, c]) == (60, "compute")


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8))
def test_a_sums_bound_is_always_compute_or_memory(parts: list[tuple[int, int]]) -> None:
    """Never a third value: the bound of any sum is the roof its larger share of time sits under."""
    timings = [roofline_time(Traffic(f, b), Fraction(7), Fraction(3)) for f, b in parts]
    total = add_timings(timings)
    compute = sum((t.seconds for t in timings if t.bound == "compute"), Fraction(0))
    assert total.seconds == sum((t.seconds for t in timings), Fraction(0))
    assert total.bound == ("compute" if 2 * compute >= total.seconds else "memory")


def test_attainable_is_the_roofline() -> None:
    """attainable = min(peak, intensity x bandwidth)."""
    assert attainable(Fraction(1), Fraction(100), Fraction(10)) == 10
    assert attainable(Fraction(1000), Fraction(100), Fraction(10)) == 100


def test_precision_from_flags() -> None:
    """--dtype sets both dtypes, --weight-dtype the weights alone, --batch the batch."""
    assert precision() == Precision("fp32", "fp32", 1)
    assert precision("fp16") == Precision("fp16", "fp16", 1)
    assert precision("FP16", "int8", "8") == Precision("fp16", "int8", 8)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("fp64", None, None), "--dtype: expected one of fp32, fp16, bf16, int8, got 'fp64'"),
        ((None, "half", None), "--weight-dtype: expected one of fp32, fp16, bf16, int8, got 'half'"),
        ((None, None, "0"), "--batch: expected a whole number >= 1, got '0'"),
        ((None, None, "1000001"), "--batch: expected a whole number from 1 to 1,000,000"),
    ],
)
def test_precision_errors(args: tuple[str | None, str | None, str | None], fragment: str) -> None:
    """A bad dtype or batch is one message naming the value and what was expected."""
    with pytest.raises(ConvcostError) as info:
        precision(*args)
    assert fragment in str(info.value)


# --- through the CLI ------------------------------------------------------------------

VGG_CONV3_2 = ("layer", "--in", "56x56x256", "--k", "3", "--out", "256", "--padding", "1")
A100_FP16 = ("--device", "a100", "--dtype", "fp16")


def _cells(output: str, label: str) -> list[str]:
    """The cells of the table row that starts with ``label`` (split on runs of two or more spaces)."""
    import re

    line = next(line for line in output.splitlines() if line.strip().startswith(label))
    return re.split(r"\s{2,}", line.strip())


def test_layer_table_shows_the_worked_checks() -> None:
    """`layer --device a100 --dtype fp16`: conv3_2 is 4,390,912 bytes, 842.5 FLOP/B, compute-bound, 11.86 us;
    its depthwise stage 3,215,872 bytes, 4.49, memory-bound, 1.577 us; the pointwise 123.0, memory-bound."""
    result = run(*VGG_CONV3_2, *A100_FP16)
    assert result.exit_code == 0, result.output
    assert _cells(result.stdout, "standard")[-5:] == ["4,390,912", "842.5", "compute", "11.86 us", "0.0%"]
    assert _cells(result.stdout, "depthwise 3x3")[-4:] == ["3,215,872", "4.49", "memory", "1.577 us"]
    assert _cells(result.stdout, "pointwise 1x1")[-4:] == ["3,342,336", "123.0", "memory", "1.639 us"]
    assert "ridge 153.0 FLOP/B" in result.stdout
    assert "each tensor crosses memory once, no fusion between layers" in result.stdout


def test_layer_json_without_a_device_has_bytes_and_intensity_only() -> None:
    """Without --device the JSON still carries bytes and intensity per method and stage, and no time."""
    data = run_json(*VGG_CONV3_2, "--method", "depthwise-separable")
    method = data["methods"][0]
    assert (method["bytes"], method["stages"][0]["bytes"]) == (2 * 6_558_208, 2 * 3_215_872)  # fp32: twice fp16's
    assert method["stages"][0]["intensity"] == 14_450_688 / (2 * 3_215_872)
    assert "time_s" not in method
    assert "device" not in data
    assert data["roofline"] == {"dtype": "fp32", "weight_dtype": "fp32", "batch": 1}


def test_layer_json_with_a_device_has_time_bound_and_the_device() -> None:
    """With --device: bound and time_s (the float nearest the exact seconds) per method and stage, and the device."""
    data = run_json(*VGG_CONV3_2, *A100_FP16)
    standard, separable = data["methods"][0], data["methods"][1]
    assert standard["time_s"] == float(Fraction(3_699_376_128, 312 * 10**12))
    assert standard["bound"] == "compute"
    assert separable["stages"][0]["time_s"] == float(Fraction(3_215_872, 2_039 * 10**9))
    assert separable["time_reduction_pct"] == float(100 * (1 - Fraction(6_558_208, 2_039 * 10**9) / Fraction(3_699_376_128, 312 * 10**12)))
    assert data["device"]["peak_flops"] == 312 * 10**12
    assert data["device"]["bandwidth_bytes_per_s"] == 2_039 * 10**9


def test_the_separable_paradox_saves_less_time_than_mults() -> None:
    """Depthwise-separable conv3_2 saves 88.5% of the mults but only 72.9% of the time on an A100 at fp16."""
    cells = _cells(run(*VGG_CONV3_2, *A100_FP16, "--method", "standard", "--method", "depthwise-separable").stdout, "depthwise-separable")
    assert cells[4] == "88.5%"
    assert cells[-1] == "72.9%"


def test_weight_dtype_and_batch() -> None:
    """--weight-dtype sets weights alone; --batch scales activation bytes and FLOPs, not weights."""
    one = run_json(*VGG_CONV3_2, "--method", "standard", "--dtype", "fp16", "--weight-dtype", "int8")["methods"][0]
    assert one["bytes"] == 2 * 2 * 802_816 + 589_824
    eight = run_json(*VGG_CONV3_2, "--method", "standard", "--dtype", "fp16", "--batch", "8", *A100_FP16[:2])["methods"][0]
    assert eight["bytes"] == 8 * 2 * 2 * 802_816 + 2 * 589_824
    assert eight["time_s"] == float(Fraction(8 * 3_699_376_128, 312 * 10**12))


def test_layer_batch_scales_mults_not_params() -> None:
    """convcost layer --batch 8: every method's and stage's mults x8 (as on model), params and ratios unchanged."""
    args = (*VGG_CONV3_2, "--method", "standard", "--method", "depthwise-separable")
    one, eight = run_json(*args)["methods"], run_json(*args, "--batch", "8")["methods"]
    for a, b in zip(one, eight, strict=True):
        assert b["mults"] == 8 * a["mults"]
        assert b["params"] == a["params"]
        assert [s["mults"] for s in b["stages"]] == [8 * s["mults"] for s in a["stages"]]
        assert (b["speedup"], b["mults_reduction_pct"]) == (a["speedup"], a["mults_reduction_pct"])
    assert eight[0]["mults"] == 8 * 56 * 56 * 3 * 3 * 256 * 256
    text = run(*args, "--batch", "8", "--explain").stdout
    assert "batch 8: mults count the whole batch; shapes are per input." in text
    assert "8 x 56 x 56 x 3 x 3 x 256 = 57,802,752 mults" in text
    assert "ratio: 1,701,969,920 / 14,797,504,512 = 265/2304" in text
    over = run(*VGG_CONV3_2, "--batch", "8", "--max-mults", "10G")
    assert over.exit_code == 1  # 14.8G mults for the batch; 1.85G per input would pass
    assert run(*VGG_CONV3_2, "--max-mults", "10G").exit_code == 0


def test_model_json_memory_and_roofline() -> None:
    """Model JSON: bytes and intensity per layer, the totals under "roofline", and "memory" (peak, where, weights)."""
    data = run_json("model", str(SPECS / "mobilenet_v1.yaml"), "--dtype", "fp16")
    # pw3 reads 112x112x32 and writes 112x112x64 while nothing else is alive
    assert data["memory"] == {"peak_bytes": 2 * 112 * 112 * (32 + 64), "at": "dw_pw.pw3", "weights_bytes": 2 * 4_209_088}
    assert data["layers"][1]["bytes"] == 2 * (2 * 112 * 112 * 32) + 2 * 288
    assert data["roofline"]["bytes"] == sum(layer["bytes"] for layer in data["layers"])
    assert data["roofline"]["flops"] == 2 * data["totals"]["mults"]
    assert "time_s" not in data["layers"][0]
    assert data["totals"] == {"mults": 568_740_352, "params": 4_209_088}  # unchanged keys


def _conv3_2_model(tmp_path, as_: str = "") -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.yaml"
    built = f", as: {as_}" if as_ else ""
    layers = f"  - {{name: a, k: 3, out: 256, padding: 1{built}}}\n  - {{name: b, k: 3, out: 256, padding: 1}}\n"
    path.write_text(f"input: 56x56x256\nlayers:\n{layers}")
    return str(path)


def test_model_json_factorized_rows_have_stages_with_their_own_figures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A layer built with as: (or shown under --method) lists its stages, each with bytes, intensity, bound and time."""
    data = run_json("model", _conv3_2_model(tmp_path, "depthwise-separable"), *A100_FP16, "--batch", "2")
    built, plain = data["layers"]
    assert "stages" not in plain
    dw, pw = built["stages"]
    assert (dw["name"], pw["name"]) == ("depthwise 3x3", "pointwise 1x1")
    assert dw["mults"] == 2 * 56 * 56 * 9 * 256
    assert pw["mults"] == 2 * 56 * 56 * 256 * 256
    assert dw["bytes"] == 2 * 2 * 2 * 56 * 56 * 256 + 2 * 9 * 256
    assert pw["bytes"] == 2 * 2 * 2 * 56 * 56 * 256 + 2 * 256 * 256
    assert dw["time_s"] == float(Fraction(dw["bytes"], 2_039 * 10**9))
    assert dw["bound"] == "memory"
    assert (built["bytes"], built["mults"]) == (dw["bytes"] + pw["bytes"], dw["mults"] + pw["mults"])
    assert built["time_s"] == float(Fraction(dw["bytes"], 2_039 * 10**9) + Fraction(pw["bytes"], 2_039 * 10**9))
    variant = run_json("model", _conv3_2_model(tmp_path), *A100_FP16, "--batch", "2", "--method", "depthwise-separable")
    assert variant["layers"][0]["stages"] == built["stages"]
    no_device = run_json("model", _conv3_2_model(tmp_path), "--method", "low-rank")["layers"][1]
    assert [set(stage) >= {"bytes", "intensity"} and "time_s" not in stage for stage in no_device["stages"]] == [True, True]


def test_whatif_under_method_matches_the_model_as_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--method changes the rows shown (and the weights held), never the what-if table (measured against the model as written)."""
    path = _conv3_2_model(tmp_path)
    plain = run_json("model", path, *A100_FP16)
    for method in ("low-rank", "cp"):
        shown = run_json("model", path, *A100_FP16, "--method", method)
        assert shown["whatif"] == plain["whatif"]
        assert shown["roofline"]["time_s"] == next(w["time_s"] for w in plain["whatif"] if w["method"] == method)
        assert shown["memory"]["weights_bytes"] == 2 * shown["totals"]["params"]  # the weights of the network shown


def test_stages_add_up_to_their_row_batch_norm_included() -> None:
    """ResNet-50 under --method cp (layers with bn: true): each row's stages add up to its mults, params and bytes."""
    data = run_json("model", str(SPECS / "resnet50.yaml"), *A100_FP16, "--method", "cp", "--batch", "2")
    rows = [layer for layer in data["layers"] if "stages" in layer]
    assert len(rows) > 10
    for row in rows:
        for key in ("mults", "params", "bytes"):
            assert sum(stage[key] for stage in row["stages"]) == row[key], (row["name"], key)
        assert sum(Fraction(stage["time_s"]) for stage in row["stages"]) == pytest.approx(Fraction(row["time_s"]), rel=1e-12)


def test_nothing_to_do_is_compute_bound_by_the_tie_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0 FLOPs and 0 bytes (a model without merges) is a tie, and a tie counts as compute, as everywhere."""
    assert roofline_time(Traffic(0, 0), Fraction(10), Fraction(10)) == (0, "compute")
    merges = run_json("model", _conv3_2_model(tmp_path), *A100_FP16)["roofline"]["merges"]
    assert merges == {"count": 0, "bytes": 0, "intensity": None, "bound": "compute", "time_s": 0.0}


def test_every_bound_is_compute_or_memory() -> None:
    """Layers, stages, totals and what-if: a bound is always 'compute' or 'memory', never a third word."""
    data = run_json("model", str(SPECS / "resnet50.yaml"), *A100_FP16, "--method", "tucker2")
    bounds = [data["roofline"]["bound"], data["roofline"]["merges"]["bound"]]
    for layer in data["layers"]:
        bounds += [layer["bound"], *(stage["bound"] for stage in layer.get("stages", ()))]
    assert set(bounds) == {"compute", "memory"}
    assert any(len({s["bound"] for s in layer.get("stages", ())}) == 2 for layer in data["layers"])  # stages that differ


def test_mobilenet_depthwise_layers_take_more_time_than_mults() -> None:
    """On an A100 at fp16 every depthwise layer of MobileNetV1 has a larger share of time than of mults."""
    data = run_json("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16)
    total_time, total_mults = data["roofline"]["time_s"], data["totals"]["mults"]
    depthwise = [layer for layer in data["layers"] if layer["type"] == "depthwise"]
    assert len(depthwise) == 13
    for layer in depthwise:
        assert layer["time_s"] / total_time > 2 * layer["mults"] / total_mults, layer["name"]
    assert sum(layer["time_s"] for layer in data["layers"]) == pytest.approx(total_time, rel=1e-12)


def test_model_table_and_whatif_columns() -> None:
    """With --device the layer table gains bytes .. share of time, the what-if gains time and time saved."""
    out = run("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16).stdout
    assert _cells(out, "2  dw_pw.dw2") == [
        "2", "dw_pw.dw2", "depthwise 3x3", "112x112x32", "112x112x32", "3,612,672", "288", "0.6%", "▋",
        "1,606,208", "4.50", "memory", "787.7 ns", "5.6%",
    ]  # fmt: skip
    assert _cells(out, "total")[-5:] == ["28,896,080", "39.4", "memory", "14.17 us", "100.0%"]
    header = next(line for line in out.splitlines() if line.startswith("model"))
    assert header.split()[:5] == ["model", "mults", "params", "saved", "bytes"]
    assert _cells(out, "as written")[-2:] == ["28,896,080", "14.17 us"]


def test_model_csv_and_markdown_have_the_columns() -> None:
    """CSV and Markdown carry the same roofline columns as the table."""
    args = ("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16)
    header = run(*args, "--format", "csv").stdout.splitlines()[0].split(",")
    assert {"bytes", "intensity", "bound", "time_s", "time_share", "time_reduction_pct"} <= set(header)
    markdown = run(*args, "--format", "markdown").stdout
    assert "| bytes | FLOP/B | bound | time | share of time |" in markdown


def test_model_batch_scales_mults_and_activations_not_weights() -> None:
    """--batch 4: mults x4, activation bytes x4, weight bytes once; peak memory x4."""
    one = run_json("model", str(SPECS / "mobilenet_v1.yaml"))
    four = run_json("model", str(SPECS / "mobilenet_v1.yaml"), "--batch", "4")
    assert four["totals"]["mults"] == 4 * one["totals"]["mults"]
    weights = 4 * 4_209_088
    assert four["roofline"]["bytes"] - weights == 4 * (one["roofline"]["bytes"] - weights)
    assert four["memory"]["peak_bytes"] == 4 * one["memory"]["peak_bytes"]
    assert four["memory"]["weights_bytes"] == one["memory"]["weights_bytes"]


def test_a_files_batch_is_the_batch_shown_and_batch_flag_overrides_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A model file's batch: is what the figures count and what the caption and JSON say; --batch (1 included) overrides it."""
    path = tmp_path / "b.yaml"
    path.write_text("input: 56x56x64\nbatch: 2\nlayers:\n  - {k: 3, out: 64, padding: 1}\n")
    per_input = 56 * 56 * 9 * 64 * 64
    for flags, batch in (((), 2), (("--batch", "1"), 1), (("--batch", "3"), 3), (("--device", "a100"), 2)):
        data = run_json("model", str(path), *flags)
        assert data["totals"]["mults"] == batch * per_input, flags
        assert data["roofline"]["batch"] == batch, flags
        assert data["roofline"]["bytes"] == 4 * batch * 2 * 56 * 56 * 64 + 4 * 9 * 64 * 64, flags
    caption = run("model", str(path), "--device", "a100").stdout
    assert "Roofline: fp32, batch 2, on a100" in caption
    assert "batch 2: mults and activations count the whole batch" in caption


# --- budgets ---------------------------------------------------------------------------


def test_time_and_bytes_budgets_gate_with_exit_1() -> None:
    """--max-time and --max-bytes: exit 1 with one line per exceeded budget, output printed all the same."""
    result = run(*VGG_CONV3_2, *A100_FP16, "--method", "depthwise-separable", "--max-time", "2us", "--max-bytes", "5M")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["bytes 6,558,208 > 5M by 31.2%", "time 3.216 us > 2us by 60.8%"]
    assert "depthwise-separable" in result.stdout
    ok = run(*VGG_CONV3_2, *A100_FP16, "--method", "depthwise-separable", "--max-time", "3.3us", "--max-bytes", "6.6M", "--format", "json")
    assert ok.exit_code == 0
    budget = json.loads(ok.stdout)["budget"]
    assert budget["time"] == {"limit": 3.3e-6, "value": float(Fraction(6_558_208, 2_039 * 10**9)), "ok": True}
    assert budget["bytes"] == {"limit": 6_600_000, "value": 6_558_208, "ok": True}


def test_model_budgets_check_the_network() -> None:
    """On a model the budgets check the whole network's bytes and time."""
    result = run("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16, "--max-time", "14us")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["time 14.17 us > 14us by 1.2%"]
    assert run("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16, "--max-time", "15us").exit_code == 0


# --- mistakes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--max-time", "2ms"), ["--max-time needs --device"]),
        (("--plot", "x.svg"), ["--plot needs --device"]),
        (("--devices", "x.yaml"), ["--devices goes with --device"]),
        (("--device", "a10"), ["unknown device 'a10'; did you mean 'a100'?"]),
        (("--device", "apple-m2", "--dtype", "int8"), ["the device 'apple-m2' lists no int8 peak (it lists fp32, fp16)"]),
        (("--device", "a100", "--max-time", "2"), ["--max-time: expected a time above 0 with a unit", "'2'"]),
        (("--device", "a100", "--plot", "x.pdf"), ["--plot: expected a file ending in .svg or .png", "'x.pdf'"]),
        (("--device", "peak=1T,bw=0"), ["--device bw: expected a figure above 0 bytes/s, got '0'"]),
        (("--device", "peak=1T"), ["a custom device needs both peak= and bw="]),
        (("--device", "peak=1T,speed=2"), ["expected a device name or peak=FLOP/s,bw=BYTES/s"]),
        (("--dtype", "fp64"), ["--dtype: expected one of fp32, fp16, bf16, int8, got 'fp64'"]),
        (("--batch", "0"), ["--batch: expected a whole number >= 1, got '0'"]),
        (("--max-bytes", "lots"), ["--max-bytes", "'lots'"]),
    ],
)
def test_bad_device_flags_are_one_error_line(args: tuple[str, ...], fragments: list[str]) -> None:
    """Every mistake in the device flags: one Error line naming the value, exit 2, nothing on stdout."""
    assert_user_error(run(*VGG_CONV3_2, *args), *fragments)


def test_custom_device() -> None:
    """--device peak=19.5T,bw=1555G: the peak for every dtype, the bandwidth as given."""
    data = run_json(*VGG_CONV3_2, "--method", "standard", "--device", "peak=19.5T,bw=1555G")
    assert data["methods"][0]["time_s"] == float(Fraction(3_699_376_128, 19_500 * 10**9))
    assert data["device"]["key"] == "custom"


def test_user_device_table_through_the_cli(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--devices FILE.yaml --device NAME uses the user's figures."""
    path = tmp_yaml("slow:\n  peak: {fp32: 1G}\n  bandwidth: 1G\n", "devices.yaml")
    data = run_json(*VGG_CONV3_2, "--method", "standard", "--devices", path, "--device", "slow")
    assert data["methods"][0]["time_s"] == 3_699_376_128 / 10**9


# --- the picture -------------------------------------------------------------------------


def _mobilenet_plot(variant: str | None = None):  # type: ignore[no-untyped-def]
    from convcost.analysis.network import cost_graph
    from convcost.analysis.roofline import Setup, model_figures
    from convcost.frontends import load_graph
    from convcost.render.roofline_plot import model_plot_data

    report = cost_graph(load_graph(str(SPECS / "mobilenet_v1.yaml")), method=variant)
    written = report.as_written or report
    setup = Setup(Precision("fp16", "fp16"), builtin_devices()["a100"])
    return written, model_plot_data(written, model_figures(report, setup), variant, "MobileNetV1")


def test_plot_data_has_one_marker_per_layer() -> None:
    """A point per layer with FLOPs (the global pool has none and is counted, not drawn); the 6 slowest labelled."""
    report, data = _mobilenet_plot()
    assert len(data.points) == len(report.layers) - 1 == 28
    assert data.skipped == 1
    assert "1 layer without FLOPs not drawn" in data.caption
    assert [p.label for p in data.points] == [row.name for row in report.layers if row.mults]
    assert data.series == ("as written",)
    slowest = sorted(data.points, key=lambda p: -p.seconds)[:6]
    assert {data.points[i].label for i in data.labelled} == {p.label for p in slowest}
    peak, bandwidth = data.peak, data.bandwidth
    for p in data.points:  # every layer sits on the roof: FLOP/s = min(peak, intensity x bandwidth)
        assert p.performance == min(peak, p.intensity * bandwidth)


def test_plot_data_marks_the_variant_stages() -> None:
    """With a --method variant, each stage of each layer it changes is a point in its own series."""
    _, data = _mobilenet_plot("depthwise-separable")
    assert data.series == ("as written", "depthwise-separable")
    assert [p.label for p in data.points if p.series == "depthwise-separable"] == ["conv1 (1)", "conv1 (2)"]


def test_plot_file_is_a_valid_svg(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--plot roofline.svg writes an SVG document of sensible size, its text the layer names labelled."""
    import xml.etree.ElementTree as ET

    path = tmp_path / "roofline.svg"
    result = run("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16, "--plot", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert ET.fromstring(text).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 (our own file)
    assert 5_000 < len(text) < 1_000_000
    assert "dw_pw.pw3" in text
    drawn = []  # reproducible: the same bytes on any day (no date, which matplotlib takes from SOURCE_DATE_EPOCH), the same ids
    for epoch in ("0", "86400"):
        args = ["model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16, "--plot", str(tmp_path / f"{epoch}.svg")]
        assert CliRunner().invoke(cli, args, env={"SOURCE_DATE_EPOCH": epoch}, prog_name="convcost").exit_code == 0
        drawn.append((tmp_path / f"{epoch}.svg").read_bytes())
    assert drawn[0] == drawn[1] == text.encode("utf-8")


def test_plot_file_is_a_valid_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--plot on a layer writes a PNG (signature and a sensible size), one series per cost model."""
    import struct

    path = tmp_path / "layer.png"
    assert run(*VGG_CONV3_2, *A100_FP16, "--plot", str(path)).exit_code == 0
    payload = path.read_bytes()
    assert payload[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", payload[16:24])
    assert (width, height) == (960, 624)
    assert 10_000 < len(payload) < 2_000_000


def test_layer_plot_data_has_a_series_per_method() -> None:
    """For one layer, every stage of every cost model that applies is a point, in its model's series."""
    from convcost.analysis.roofline import Setup, layer_figures
    from convcost.api import build_layer
    from convcost.factorize import cost_layer
    from convcost.render.roofline_plot import layer_plot_data

    report = cost_layer(build_layer("56x56x256", 3, 256, padding=1), ["standard", "depthwise-separable"])
    setup = Setup(Precision("fp16", "fp16"), builtin_devices()["a100"])
    data = layer_plot_data(report, layer_figures(report, setup).figures, setup, "conv3_2")
    assert [(p.series, p.label) for p in data.points] == [
        ("standard", "conv 3x3"), ("depthwise-separable", "depthwise 3x3"), ("depthwise-separable", "pointwise 1x1"),
    ]  # fmt: skip
    assert data.points[1].intensity == Fraction(14_450_688, 3_215_872)


def test_plot_without_matplotlib_names_the_extra(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without matplotlib, --plot is one Error line naming the extra to install; no file is written."""
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    path = tmp_path / "roofline.svg"
    assert_user_error(run(*VGG_CONV3_2, *A100_FP16, "--plot", str(path)), "--plot: the roofline picture needs matplotlib", "convcost[plot]")
    assert not path.exists()


def test_html_export_embeds_the_picture_with_a_device(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An .html export with --device has the roofline SVG under the tables; without a device it has none."""
    with_device, without = tmp_path / "a.html", tmp_path / "b.html"
    assert run("model", str(SPECS / "mobilenet_v1.yaml"), *A100_FP16, "--export", str(with_device)).exit_code == 0
    assert run("model", str(SPECS / "mobilenet_v1.yaml"), "--export", str(without)).exit_code == 0
    page = with_device.read_text(encoding="utf-8")
    assert page.count("<figure><svg") == 1
    assert page.index("<figure>") > page.index("<table")
    assert "<svg" not in without.read_text(encoding="utf-8")


def test_layer_without_a_device_imports_neither_fractions_nor_matplotlib() -> None:
    """Start-up: `layer --format json` (bytes and intensity included) loads no fractions, no matplotlib, no device table."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "sys.argv = ['convcost', 'layer', '--in', '28x28x8', '--k', '3', '--out', '16', '--format', 'json']\n"
        "from convcost.cli import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('fractions', 'matplotlib') or m.endswith('analysis.devices')]\n"
        "print(sorted(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert '"bytes"' in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_residual_additions_count_in_the_network() -> None:
    """ResNet-50's 16 residual additions move bytes (2 inputs read, 1 output written, no fusion): counted in the
    total, not rows; the peak memory is at the first addition (its two inputs and its output)."""
    data = run_json("model", str(SPECS / "resnet50.yaml"), *A100_FP16)
    per_add = {56 * 56 * 256: 3, 28 * 28 * 512: 4, 14 * 14 * 1024: 6, 7 * 7 * 2048: 3}
    merges = data["roofline"]["merges"]
    assert merges["count"] == 16
    assert merges["bytes"] == sum(2 * 3 * elems * count for elems, count in per_add.items()) == 33_116_160
    assert data["roofline"]["bytes"] == sum(layer["bytes"] for layer in data["layers"]) + merges["bytes"]
    assert data["memory"]["peak_bytes"] == 2 * 3 * 56 * 56 * 256
    assert data["memory"]["at"] == "layer1.add"
    out = run("model", str(SPECS / "resnet50.yaml"), *A100_FP16).stdout
    assert (
        "The total includes the 16 nodes the file implies or sums in one line (residual additions, concatenations, "
        "zero-cost ops), not rows above: 33,116,160 bytes" in out
    )


def test_readme_embeds_the_roofline_picture() -> None:
    """docs/roofline-and-devices.md (the README's former "Time on a device") embeds the roofline SVG, valid and in the repository."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "roofline-and-devices.md").read_text(encoding="utf-8")
    assert page.startswith("# Time on a device")
    assert "](roofline_mobilenet_v1_a100.svg)" in page
    svg = (root / "docs" / "roofline_mobilenet_v1_a100.svg").read_text(encoding="utf-8")
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 (our own file)
    assert "dw_pw2.dw4" in svg


def test_as_layer_time_is_the_sum_of_its_stages(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer built with as: is one roofline layer per stage: time = sum of each stage's max(FLOPs/peak, bytes/bw)."""
    from fractions import Fraction

    text = "input: 56x56x256\nlayers:\n  - {name: sep, k: 3, out: 256, padding: 1, as: depthwise-separable}\n"
    row = run_json("model", tmp_yaml(text), "--device", "a100")["layers"][0]  # fp32: the depthwise stage is
    peak, bw = 195 * 10**11, 2039 * 10**9  # memory-bound, the pointwise one compute-bound
    hw, c = 56 * 56, 256
    stages = [(2 * hw * c * 9, 4 * (2 * hw * c) + 4 * 9 * c), (2 * hw * c * c, 4 * (2 * hw * c) + 4 * c * c)]
    bounds = [Fraction(f, peak) >= Fraction(b, bw) for f, b in stages]
    assert bounds == [False, True]
    expected = sum(max(Fraction(f, peak), Fraction(b, bw)) for f, b in stages)
    assert row["bytes"] == sum(b for _, b in stages)
    assert row["time_s"] == float(expected)


# --- files the device flags read and write; names from files in every medium -------------------

HOSTILE_DEVICE = 'g: {peak: 1T, bandwidth: 1G, source: "javascript:alert(1)", name: "\\e[31mred<b>"}\n'
"""A user's device table whose name and source are hostile (ESC, markup, a javascript: address)."""
HOSTILE_MODEL = (
    'name: "\\e[2J\\x00<x>&\\a"\ninput: 28x28x8\nlayers:\n'
    '  - {type: conv, k: 3, out: 16, padding: 1, name: "\\e[2J\\x00<x>&\\a"}\n'
    '  - {type: conv, k: 1, out: 32, name: "$\\\\frac{$ x"}\n'
    "  - {type: conv, k: 1, out: 32, name: 日本語}\n"
)
"""Layer names with terminal controls, NUL, BEL, markup, a stray mathtext ``$`` and glyphs DejaVu Sans lacks."""
SMALL_MODEL = "input: 28x28x8\nlayers:\n  - {type: conv, k: 3, out: 16, padding: 1}\n"


@pytest.mark.parametrize("command", [("layer", "--in", "28x28x8", "--k", "3", "--out", "16"), ("model", "MODEL")])
def test_export_refuses_the_devices_file(tmp_path, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """--export over the --devices table is refused (it is an input): exit 2, one line, the table intact."""
    table = tmp_path / "dev.txt"
    table.write_text(HOSTILE_DEVICE, encoding="utf-8")
    model = tmp_path / "in.yaml"
    model.write_text(SMALL_MODEL, encoding="utf-8")
    args = [str(model) if a == "MODEL" else a for a in command]
    result = run(*args, "--devices", str(table), "--device", "g", "--export", str(table))
    assert_user_error(result, f"--export: cannot write '{table}'", f"it is the input '{table}'", "would destroy it")
    assert table.read_text(encoding="utf-8") == HOSTILE_DEVICE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.txt", "in.yaml"]


def test_export_names_the_devices_file_as_an_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An export made with --devices lists the table among its input files."""
    table = tmp_path / "dev.yaml"
    table.write_text("slow: {peak: 1G, bandwidth: 1G}\n", encoding="utf-8")
    out = tmp_path / "r.txt"
    assert run(*VGG_CONV3_2, "--devices", str(table), "--device", "slow", "--export", str(out)).exit_code == 0
    assert f"input: {table}" in out.read_text(encoding="utf-8").splitlines()


def test_plot_refuses_an_input_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--plot over the model file (or the --devices table) is refused before anything is written."""
    model = tmp_path / "p.svg"
    model.write_text(SMALL_MODEL, encoding="utf-8")
    assert_user_error(run("model", str(model), "--device", "a100", "--plot", str(model)), "--plot: cannot write", "it is the input")
    assert model.read_text(encoding="utf-8") == SMALL_MODEL
    table = tmp_path / "t.svg"
    table.write_text("slow: {peak: 1G, bandwidth: 1G}\n", encoding="utf-8")
    result = run(*VGG_CONV3_2, "--devices", str(table), "--device", "slow", "--plot", str(table))
    assert_user_error(result, "--plot: cannot write", f"it is the input '{table}'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.svg", "t.svg"]


def test_plot_refuses_a_directory_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--plot x.svg/ is a directory path: refused, and no x.svg is written."""
    target = f"{tmp_path / 'x.svg'}/"
    assert_user_error(run(*VGG_CONV3_2, *A100_FP16, "--plot", target), "--plot: expected a file name", "(a directory path)")
    assert list(tmp_path.iterdir()) == []


def test_plot_and_export_refuse_the_same_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--plot and --export naming one file (as written, through ./, or a symbolic link) are refused; nothing is written."""
    first = tmp_path / "a.svg"
    link = tmp_path / "link.svg"
    link.symlink_to(first)
    for plot, export in ((first, first), (f"{tmp_path}/./a.svg", first), (link, first)):
        result = run(*VGG_CONV3_2, *A100_FP16, "--plot", str(plot), "--export", str(export))
        assert_user_error(result, "--plot: cannot write", "it is the --export file too")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.svg"]
    assert not first.exists()


def test_plot_refuses_an_export_that_would_be_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With --plot, an --export over an input is refused before the picture is written (whole run or nothing)."""
    model = tmp_path / "in.yaml"
    model.write_text(SMALL_MODEL, encoding="utf-8")
    plot = tmp_path / "r.svg"
    result = run("model", str(model), "--device", "a100", "--plot", str(plot), "--export", str(model))
    assert_user_error(result, "--export: cannot write", "it is the input")
    assert not plot.exists()


def test_plot_is_written_through_a_convcost_temporary_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The picture goes to .convcost-XXXXXXXX.tmp beside the target, renamed over it; a failed rename leaves nothing."""
    import os
    import re

    renames: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        renames.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "r.png"
    assert run(*VGG_CONV3_2, *A100_FP16, "--plot", str(target)).exit_code == 0
    assert len(renames) == 1
    assert re.fullmatch(r"\.convcost-[0-9a-f]{8}\.tmp", renames[0])
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    assert_user_error(run(*VGG_CONV3_2, *A100_FP16, "--plot", str(tmp_path / "s.svg")), "--plot: cannot write", "No space left")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.png"]


def test_roofline_caption_escapes_the_device_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A device name from --devices is escaped per medium in the Roofline caption: text, Markdown, HTML."""
    table = tmp_path / "src.yaml"
    table.write_text(HOSTILE_DEVICE, encoding="utf-8")
    args = ("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--devices", str(table), "--device", "g")
    text = run(*args).stdout
    assert "\x1b" not in text
    assert "Roofline: fp32, batch 1, on g (\\x1b[31mred<b>): peak 1 TFLOP/s" in text
    markdown = run(*args, "--format", "markdown").stdout
    assert "\x1b" not in markdown
    assert "on g (\\\\x1b\\[31mred\\<b>): peak" in markdown
    model = tmp_path / "in.yaml"
    model.write_text(SMALL_MODEL, encoding="utf-8")
    model_md = run("model", str(model), "--devices", str(table), "--device", "g", "--format", "markdown").stdout
    assert "\x1b" not in model_md
    assert "on g (\\\\x1b\\[31mred\\<b>): peak" in model_md
    page = tmp_path / "r.html"
    assert run(*args, "--export", str(page)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "\x1b" not in html
    assert "<b>" not in html
    assert "on g (\\x1b[31mred&lt;b&gt;)" in html


def _hostile_plot_data():  # type: ignore[no-untyped-def]
    from convcost.analysis.devices import device_entry
    from convcost.analysis.roofline import Setup, model_figures
    from convcost.frontends.lower import lower
    from convcost.frontends.model_file import load_model_text
    from convcost.pipeline import model_run
    from convcost.render.roofline_plot import model_plot_data

    report = model_run(lower(load_model_text(HOSTILE_MODEL))).report
    device = device_entry("g", {"peak": "1T", "bandwidth": "1G", "name": "\x1b[31mred<b>\x00"}, "test")
    setup = Setup(Precision(), device)
    return model_plot_data(report, model_figures(report, setup), None, f"convcost model: {report.name}")


def test_plot_svg_of_hostile_names_is_valid_xml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Names with ESC, NUL, BEL, markup and a stray $ reach the SVG escaped: it parses as XML, shows them as \\x1b."""
    import xml.etree.ElementTree as ET

    from convcost.render.roofline_plot import plot_bytes

    svg = plot_bytes(_hostile_plot_data(), ".svg").decode("utf-8")
    root = ET.fromstring(svg)  # noqa: S314 (our own file)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]
    assert "\\x1b[2J\\x00<x>&\\x07" in texts  # a labelled layer
    assert "$\\frac{$ x" in texts  # a dollar sign, not mathematics
    assert "convcost model: \\x1b[2J\\x00<x>&\\x07" in texts
    assert "\\x1b[31mred<b>\\x00" in texts  # the device's name
    path = tmp_path / "pe.svg"
    model = tmp_path / "esc.yaml"
    model.write_text(HOSTILE_MODEL, encoding="utf-8")
    assert run("model", str(model), "--device", "a100", "--plot", str(path)).exit_code == 0
    ET.parse(path)  # noqa: S314 (our own file)


def test_drawing_hostile_names_raises_no_warning() -> None:
    """Drawing names whose characters the font lacks (controls, CJK) warns nothing (the run's stderr stays empty)."""
    import warnings

    from convcost.render.roofline_plot import plot_bytes

    data = _hostile_plot_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_bytes(data, ".png")
        plot_bytes(data, ".svg")
    assert [str(w.message) for w in caught] == []


def test_successful_plot_and_html_export_write_nothing_to_stderr(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real process drawing hostile names (--plot and an .html export with --device): exit 0, stderr empty."""
    from conftest import run_process

    model = tmp_path / "esc.yaml"
    model.write_text(HOSTILE_MODEL, encoding="utf-8")
    table = tmp_path / "src.yaml"
    table.write_text(HOSTILE_DEVICE, encoding="utf-8")
    args = (str(model), "--devices", str(table), "--device", "g", "--plot", str(tmp_path / "p.svg"), "--export", str(tmp_path / "r.html"))
    result = run_process("model", *args, "--format", "json")
    assert result.returncode == 0
    assert result.stderr == b""
    assert b"<figure><svg" in (tmp_path / "r.html").read_bytes()


def test_model_table_reports_peak_activation_memory() -> None:
    """With --device, the model table states peak activation memory, where it occurs and the weights, as JSON does."""
    data = run_json("model", str(SPECS / "resnet50.yaml"), "--device", "a100")
    out = run("model", str(SPECS / "resnet50.yaml"), "--device", "a100").stdout
    memory = data["memory"]
    assert f"Peak activation memory: {memory['peak_bytes']:,} bytes at {memory['at']}; weights {memory['weights_bytes']:,} bytes." in out


# --- figures past the float range --------------------------------------------------------

_N = "9" * 30
_TINY = "peak=0." + "0" * 28 + "1e-99,bw=1e-99"
PAST_FLOAT = (
    "Error: the standard layer: its roofline time, about 1e+314 s, is past the largest number JSON and CSV can hold (about 1.8e+308); "
    "convcost refuses figures it cannot state, in every format: give a device with a higher peak and bandwidth, or smaller layers\n"
)


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "markdown"])
def test_time_past_float_range_is_refused_in_every_format(fmt: str) -> None:
    """A roofline time above the largest float is one Error line and exit 2 in every format, never an OverflowError."""
    args = ["layer", "--in", f"{_N}x{_N}x{_N}", "--k", _N, "--padding", _N, "--out", _N, "--method", "standard"]
    result = run(*args, "--device", _TINY, "--batch", "1000000", "--format", fmt)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", PAST_FLOAT)


def test_a_network_whose_time_sum_is_past_float_range_is_refused(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Two layers of 1e308 s each fit a float, their 2e308 s sum does not: refused, naming the network."""
    a, half = "1" + "0" * 29, "5" + "0" * 28
    layer = f"{{type: conv, k: {a}, padding: {half}, out: {a}}}"
    one = tmp_yaml(f"input: {a}x{a}x{a}\nlayers:\n  - {layer}\n", "one.yaml")
    two = tmp_yaml(f"input: {a}x{a}x{a}\nlayers:\n  - {layer}\n  - {{type: conv, k: {a}, padding: {half}, out: {a}}}\n", "two.yaml")
    device = ["--device", "peak=0." + "0" * 28 + "2e-99,bw=1", "--batch", "1000000"]
    assert 1e308 <= run_json("model", one, *device)["roofline"]["time_s"] < 1.1e308
    assert_user_error(run("model", two, *device, "--format", "csv"), "the network", "roofline time, about 1e+308 s", "JSON and CSV")
