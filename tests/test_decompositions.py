"""Tucker-2 and CP, ranks as fractions and from targets, and the factorization registry (issue 12)."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from conftest import assert_user_error, run, run_json
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcost.core.shapes import Pair, Shape
from convcost.factorize import METHODS, LayerSpec, MethodOptions, RankFraction, RankPair, Target, apply, cost_layer
from convcost.factorize.stacked_3x3 import spread

VGG = ["--in", "56x56x256", "--k", "3", "--out", "256", "--padding", "1"]
"""VGG-16 conv3_2: 1,849,688,064 mults and 589,824 params as a standard layer."""


def _method(*args: str) -> dict:  # type: ignore[type-arg]
    """The one method entry of ``convcost layer ... --format json``."""
    data = run_json("layer", *args)
    assert len(data["methods"]) == 1
    return data["methods"][0]  # type: ignore[no-any-return]


# --- the worked figures -------------------------------------------------------------


def test_vgg_conv3_2_standard() -> None:
    """The full layer: 1,849,688,064 mults, 589,824 params."""
    m = _method(*VGG, "--method", "standard")
    assert (m["mults"], m["params"]) == (1_849_688_064, 589_824)


@pytest.mark.parametrize(
    ("flags", "method", "key", "chosen", "mults", "params"),
    [
        (["--rank", "128"], "tucker2", "ranks", [128, 128], 667_942_912, 212_992),
        (["--rank", "64"], "tucker2", "ranks", [64, 64], 218_365_952, 69_632),
        (["--rank", "256"], "cp", "rank", 256, 415_858_688, 132_608),
        (["--rank", "128"], "cp", "rank", 128, 207_929_344, 66_304),
        (["--mid", "128"], "spatial-separable", "mid", 128, 616_562_688, 196_608),
        (["--rank", "128"], "low-rank", "rank", 128, 1_027_604_480, 327_680),
        (["--target", "4x"], "tucker2", "ranks", [102, 102], 457_416_960, 145_860),
        (["--target", "4x"], "cp", "rank", 284, 461_343_232, 147_112),
        (["--target", "4x"], "spatial-separable", "mid", 96, 462_422_016, 147_456),
        (["--target", "4x"], "low-rank", "rank", 57, 457_605_120, 145_920),
    ],
)
def test_worked_table(flags: list[str], method: str, key: str, chosen: object, mults: int, params: int) -> None:
    """Every row of the issue's VGG-16 conv3_2 table, through the CLI."""
    m = _method(*VGG, *flags, "--method", method)
    assert m[key] == chosen
    assert (m["mults"], m["params"]) == (mults, params)


def test_target_75_percent_is_4x() -> None:
    """--target 75% picks the same ranks as --target 4x."""
    for method in ("tucker2", "cp", "spatial-separable", "low-rank"):
        assert _method(*VGG, "--target", "75%", "--method", method) == _method(*VGG, "--target", "4x", "--method", method)


def test_defaults_tucker2_and_cp_reach_4x_and_say_so() -> None:
    """Without --rank or --target: tucker2 and cp take the 4x ranks (caption says so); low-rank and spatial keep theirs."""
    data = {m["method"]: m for m in run_json("layer", *VGG)["methods"]}
    assert data["tucker2"]["ranks"] == [102, 102]
    assert data["cp"]["rank"] == 284
    assert data["low-rank"]["rank"] == 64  # max(1, min(2304, 256) // 4)
    assert data["spatial-separable"]["mid"] == 256  # min(C, N)
    out = run("layer", *VGG).stdout
    assert "tucker2: ranks R3xR4 = 102x102, the largest reaching 4x fewer mults (the default without --rank or --target)" in out
    assert "cp: rank 284, the largest reaching 4x fewer mults (the default without --rank or --target)" in out


def test_rank_pair_sets_r3_and_r4_apart() -> None:
    """--rank 64x32: C*R3 + 9*R3*R4 + R4*N params; the one-rank methods apply at the rank they choose without it."""
    data = {m["method"]: m for m in run_json("layer", *VGG, "--rank", "64x32")["methods"]}
    assert data["tucker2"]["ranks"] == [64, 32]
    assert data["tucker2"]["params"] == 256 * 64 + 9 * 64 * 32 + 32 * 256
    assert data["tucker2"]["mults"] == 56 * 56 * (256 * 64 + 9 * 64 * 32 + 32 * 256)
    without = {m["method"]: m for m in run_json("layer", *VGG)["methods"]}
    for method in ("low-rank", "cp"):
        assert data[method]["applicable"]
        assert (data[method]["rank"], data[method]["mults"]) == (without[method]["rank"], without[method]["mults"])
    out = run("layer", *VGG, "--rank", "64x32").stdout
    assert "cp: rank 284, the largest reaching 4x fewer mults (the default without --rank or --target); --rank 64x32 is" in out
    assert "low-rank: rank 64, --rank 64x32 is tucker2's R3xR4, so rank is chosen as without it" in out


def test_explain_prints_closed_forms_of_tucker2_and_cp() -> None:
    """--explain writes each stage and the closed-form ratio of both new models."""
    out = run("layer", *VGG, "--target", "4x", "--method", "tucker2", "--method", "cp", "--explain").stdout
    assert "  core 3x3 (56x56x102 -> 56x56x102): 56 x 56 x 3 x 3 x 102 x 102 = 293,642,496 mults" in out
    assert "R3/(KH*KW*N) + R3*R4/(C*N) + R4/(KH*KW*C) = 102/2304 + 10404/65536 + 102/2304" in out
    assert "  depthwise 3x1 (56x56x284 -> 56x56x284): 56 x 56 x 3 x 1 x 284 = 2,671,872 mults" in out
    assert "R*(C + KH + KW + N)/(KH*KW*C*N) = 284*(256 + 3 + 3 + 256)/(3*3*256*256)" in out


def test_csv_and_markdown_list_the_new_models() -> None:
    """CSV and Markdown carry tucker2 and cp with their stages."""
    csv_out = run("layer", *VGG, "--format", "csv").stdout
    assert "tucker2,total,,56x56x256,56x56x256,457416960,145860," in csv_out
    assert "cp,stage,depthwise 1x3,56x56x284,56x56x284,2671872,852,,,," in csv_out
    md = run("layer", *VGG, "--format", "markdown").stdout
    assert "| **cp** | rank 284, the largest reaching 4x fewer mults" in md


def test_target_params_and_both_targets() -> None:
    """--target-params solves on params; with --target both must hold."""
    m = _method(*VGG, "--target-params", "4x", "--method", "low-rank")
    assert m["rank"] == 57  # 2560 r <= 147,456
    both = _method(*VGG, "--target", "2x", "--target-params", "8x", "--method", "low-rank")
    assert both["rank"] == 28  # params: 2560 r <= 73,728; mults allow 115


def test_unreachable_target_says_so() -> None:
    """A model that cannot reach the target at rank 1 is not applicable and says why."""
    data = {m["method"]: m for m in run_json("layer", "--in", "8x8x1", "--k", "3", "--out", "1", "--target", "4x")["methods"]}
    for method in ("tucker2", "cp", "low-rank", "spatial-separable"):
        assert not data[method]["applicable"], method
        assert "cannot reach 4x fewer mults even at" in data[method]["reason"]
    assert "even at rank 1 (" in data["cp"]["reason"]
    assert "even at mid 1 (" in data["spatial-separable"]["reason"]


def test_not_applicable_where_low_rank_is_not() -> None:
    """tucker2 and cp need groups 1 and a kernel larger than 1x1; cp takes non-square kernels."""
    grouped = {m["method"]: m for m in run_json("layer", "--in", "8x8x8", "--k", "3", "--out", "8", "--groups", "2")["methods"]}
    pointwise = {m["method"]: m for m in run_json("layer", "--in", "8x8x8", "--k", "1", "--out", "8")["methods"]}
    for method in ("tucker2", "cp"):
        assert "groups = 1" in grouped[method]["reason"]
        assert "1x1 kernel" in pointwise[method]["reason"]
    tall = _method("--in", "20x20x8", "--k", "7x1", "--out", "16", "--method", "cp", "--rank", "4")
    assert tall["mults"] == 20 * 20 * 8 * 4 + 14 * 20 * 7 * 4 + 14 * 20 * 1 * 4 + 14 * 20 * 4 * 16


# --- fractions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "low", "mid", "tucker", "cp"),
    [
        # full ranks: low-rank min(72, 16) = 16; mid min(24, 48) = 24; tucker2 8 and 16; cp 36
        ("0.5", 8, 12, [4, 8], 18),
        ("0.999", 15, 23, [7, 15], 35),
        ("0.0001", 1, 1, [1, 1], 1),
        (".25", 4, 6, [2, 4], 9),
    ],
)
def test_rank_fractions(fraction: str, low: int, mid: int, tucker: list[int], cp: int) -> None:
    """--rank F: floor(F x each method's full rank), at least 1 (spatial-separable's mid too)."""
    data = {m["method"]: m for m in run_json("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--rank", fraction)["methods"]}
    assert data["low-rank"]["rank"] == low
    assert data["spatial-separable"]["mid"] == mid
    assert data["tucker2"]["ranks"] == tucker
    assert data["cp"]["rank"] == cp
    assert data["cp"]["full_rank"] == 36  # 778,752 // (784*8 + 26*28*3 + 26*26*(3 + 16)) = 778,752 // 21,300


def test_layer_file_ranks(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer file's ``rank:`` takes R3xR4 and fractions as --rank does."""
    pair = tmp_yaml("in: 56x56x256\nk: 3\nout: 256\npadding: 1\nrank: 64x32\n")
    assert _method(pair, "--method", "tucker2")["ranks"] == [64, 32]
    fraction = tmp_yaml("in: 28x28x8\nk: 3\nout: 16\nrank: 0.5\n", "f.yaml")
    assert _method(fraction, "--method", "low-rank")["rank"] == 8


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--rank", "0"], ["--rank", "'0'", ">= 1"]),
        (["--rank", "1.5"], ["--rank", "'1.5'", "fraction between 0 and 1"]),
        (["--rank", "64x"], ["--rank", "'64x'", "R3xR4"]),
        (["--rank", "0x4"], ["--rank", "'0x4'"]),
        (["--rank", "-0.5"], ["--rank", "'-0.5'"]),
        (["--rank", "1e-3"], ["--rank", "'1e-3'"]),
        (["--rank", "0." + "1" * 5000], ["--rank", "..."]),
        (["--rank", "064"], ["--rank", "leading zero"]),
        (["--rank", "1" * 31], ["--rank", "at most 30 digits"]),
        (["--target", "0x"], ["--target", "'0x'", "above 1x"]),
        (["--target", "1x"], ["--target", "'1x'", "above 1x"]),
        (["--target", "0.5x"], ["--target", "'0.5x'"]),
        (["--target", "100%"], ["--target", "'100%'", "between 0% and 100%"]),
        (["--target", "0%"], ["--target", "'0%'"]),
        (["--target", "4"], ["--target", "'4'"]),
        (["--target", "x"], ["--target", "'x'"]),
        (["--target-params", "1x"], ["--target-params", "'1x'"]),
        (["--target", "4x", "--rank", "64"], ["--target", "--rank", "not both"]),
        (["--target", "4x", "--mid", "64"], ["--target", "--mid", "not both"]),
        (["--target-params", "4x", "--rank", "0.5"], ["--target", "--rank", "not both"]),
    ],
)
def test_bad_rank_and_target(flags: list[str], fragments: list[str]) -> None:
    """Each bad --rank / --target: one Error line naming it, exit 2, nothing on stdout."""
    assert_user_error(run("layer", *VGG, *flags), *fragments)


MODEL = """\
input: 56x56x256
layers:
  - {type: conv, name: conv3_2, k: 3, out: 256, padding: 1}
  - {type: conv, name: conv4_1, k: 3, out: 512, padding: 1, stride: 2}
  - {type: maxpool, k: 2}
"""


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--rank", "0"], ["--rank", "'0'"]),
        (["--rank", "1.5"], ["--rank", "'1.5'"]),
        (["--rank", "64x"], ["--rank", "'64x'"]),
        (["--target", "1x"], ["--target", "'1x'"]),
        (["--target", "100%"], ["--target", "'100%'"]),
        (["--target", "4x", "--rank", "8"], ["not both"]),
    ],
)
def test_bad_model_rank_and_target(tmp_yaml, flags: list[str], fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The model command refuses the same inputs the same way."""
    assert_user_error(run("model", tmp_yaml(MODEL), *flags), *fragments)


# --- across a network ------------------------------------------------------------------------


def test_model_target_gives_each_layer_its_rank(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--target 4x solves every candidate layer on its own; the JSON lists each layer's ranks."""
    data = run_json("model", tmp_yaml(MODEL), "--target", "4x")
    conv3_2, conv4_1, pool = data["layers"]
    assert conv3_2["ranks"] == {"spatial-separable": 96, "low-rank": 57, "tucker2": [102, 102], "cp": 284}
    assert conv4_1["ranks"]["tucker2"] != conv3_2["ranks"]["tucker2"]
    assert pool["ranks"] is None
    whatif = {w["method"]: w for w in data["whatif"]}
    layer2 = {m["method"]: m for m in run_json("layer", "--in", "56x56x256", "--k", "3", "--out", "512", "--padding", "1",
                                               "--stride", "2", "--target", "4x")["methods"]}  # fmt: skip
    assert conv4_1["ranks"]["cp"] == layer2["cp"]["rank"]
    assert whatif["cp"]["mults"] == 461_343_232 + layer2["cp"]["mults"]
    assert whatif["tucker2"]["layers_changed"] == 2
    variant = run_json("model", tmp_yaml(MODEL), "--target", "4x", "--method", "tucker2")
    assert variant["totals"]["mults"] == whatif["tucker2"]["mults"]
    assert [row["as"] for row in variant["layers"]] == ["tucker2", "tucker2", None]


def test_model_rank_fraction_and_cap(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A model-wide fraction is taken of each layer's full ranks; a model-wide R is capped at them."""
    data = run_json("model", tmp_yaml(MODEL), "--rank", "0.5")
    assert data["layers"][1]["ranks"]["tucker2"] == [128, 256]  # C = 256, N = 512
    capped = run_json("model", tmp_yaml(MODEL), "--rank", "300x400")
    assert capped["layers"][0]["ranks"]["tucker2"] == [256, 256]
    assert capped["layers"][1]["ranks"]["tucker2"] == [256, 400]


def test_as_tucker2_and_cp_in_model_files(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """``as: tucker2`` with ``rank: 64x32`` or ``rank: 64``, and ``as: cp`` with ``rank: 128``, build the layer so."""
    text = """\
input: 56x56x256
layers:
  - {type: conv, k: 3, out: 256, padding: 1, as: tucker2, rank: 64x32}
  - {type: conv, k: 3, out: 256, padding: 1, as: tucker2, rank: 64}
  - {type: conv, k: 3, out: 256, padding: 1, as: cp, rank: 128}
"""
    rows = run_json("model", tmp_yaml(text))["layers"]
    assert [(r["as"], r["mults"], r["params"]) for r in rows] == [
        ("tucker2", 56 * 56 * (256 * 64 + 9 * 64 * 32 + 32 * 256), 256 * 64 + 9 * 64 * 32 + 32 * 256),
        ("tucker2", 218_365_952, 69_632),
        ("cp", 207_929_344, 66_304),
    ]


def test_as_tucker2_rank_above_full_is_an_error(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A layer's own ranks above its full ranks: an error with the file's location (as a single rank above the full rank is)."""
    text = "input: 8x8x4\nlayers:\n  - {type: conv, k: 3, out: 8, as: tucker2, rank: 6x6}\n"
    assert_user_error(run("model", tmp_yaml(text)), ":3:", "ranks 6x6 are above the full ranks 4x8", "expected R3 from 1 to 4")


# --- formulas against independently written expressions ----------------------------------------


def _out(size: int, k: int, s: int, pad: int, d: int) -> int:
    return (size + pad - d * (k - 1) - 1) // s + 1


@st.composite
def layers(draw: st.DrawFn, groups_one: bool = True) -> LayerSpec:
    """Random layers with stride, padding, dilation and non-square kernels (the kernel fits)."""
    h, w = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    c, n = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    assume((kh, kw) != (1, 1))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(4))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    assume(h + padding[0] + padding[1] >= dilation[0] * (kh - 1) + 1)
    assume(w + padding[2] + padding[3] >= dilation[1] * (kw - 1) + 1)
    return LayerSpec(Shape(h, w, c), n, (kh, kw), stride, padding, dilation, 1, draw(st.booleans()))  # type: ignore[arg-type]


def _dims(spec: LayerSpec) -> tuple[int, int, int, int, int, int, int, int]:
    (kh, kw), (sh, sw), (t, b, left, right), (dh, dw) = spec.k, spec.stride, spec.padding, spec.dilation  # type: ignore[misc]
    ho, wo = _out(spec.inp.h, kh, sh, t + b, dh), _out(spec.inp.w, kw, sw, left + right, dw)
    return spec.inp.h, spec.inp.w, spec.inp.c, spec.out, kh, kw, ho, wo


def tucker2_cost(spec: LayerSpec, r3: int, r4: int) -> tuple[int, int]:
    """Tucker-2 written out: H*W*C*R3 + Ho*Wo*KH*KW*R3*R4 + Ho*Wo*R4*N; C*R3 + KH*KW*R3*R4 + R4*N (+ biases)."""
    h, w, c, n, kh, kw, ho, wo = _dims(spec)
    mults = h * w * c * r3 + ho * wo * kh * kw * r3 * r4 + ho * wo * r4 * n
    params = c * r3 + kh * kw * r3 * r4 + r4 * n + ((r3 + r4 + n) if spec.bias else 0)
    return mults, params


def cp_cost(spec: LayerSpec, r: int) -> tuple[int, int]:
    """CP written out: H*W*C*R + Ho*W*KH*R + Ho*Wo*KW*R + Ho*Wo*R*N; R*(C + N + KH + KW) (+ biases)."""
    h, w, c, n, kh, kw, ho, wo = _dims(spec)
    mults = h * w * c * r + ho * w * kh * r + ho * wo * kw * r + ho * wo * r * n
    params = r * (c + n + kh + kw) + ((3 * r + n) if spec.bias else 0)
    return mults, params


def low_rank_cost(spec: LayerSpec, r: int) -> tuple[int, int]:
    """Ho*Wo*r*(KH*KW*C + N); r*(KH*KW*C + N) (+ biases)."""
    _, _, c, n, kh, kw, ho, wo = _dims(spec)
    return ho * wo * r * (kh * kw * c + n), r * (kh * kw * c + n) + ((r + n) if spec.bias else 0)


def spatial_cost(spec: LayerSpec, m: int) -> tuple[int, int]:
    """Ho*W*KH*C*M + Ho*Wo*KW*M*N; KH*C*M + KW*M*N (+ biases)."""
    _, w, c, n, kh, kw, ho, wo = _dims(spec)
    return ho * w * kh * c * m + ho * wo * kw * m * n, kh * c * m + kw * m * n + ((m + n) if spec.bias else 0)


def standard_cost(spec: LayerSpec) -> tuple[int, int]:
    """Ho*Wo*KH*KW*C*N; KH*KW*C*N (+ N)."""
    _, _, c, n, kh, kw, ho, wo = _dims(spec)
    return ho * wo * kh * kw * c * n, kh * kw * c * n + (n if spec.bias else 0)


def _chains(spec: LayerSpec, method: str, options: MethodOptions) -> tuple[int, int]:
    """Run one model; check its stages chain from the layer's input to the layer's output."""
    conv = spec.conv()
    result = apply(method, conv, options)
    assert result.applicable, result.reason
    assert result.stages[0].conv.inp == conv.inp
    for a, b in zip(result.stages, result.stages[1:], strict=False):
        assert a.conv.out == b.conv.inp
    assert result.stages[-1].conv.out == conv.out
    closed = METHODS[method].closed_form
    if closed is not None:
        form = closed(conv, result)
        assert form is not None
        assert Fraction(form.num, form.den) == Fraction(result.mults, conv.mults)  # type: ignore[arg-type]
    return result.mults, result.params  # type: ignore[return-value]


@given(spec=layers(), r3=st.integers(1, 12), r4=st.integers(1, 12))
def test_tucker2_formula(spec: LayerSpec, r3: int, r4: int) -> None:
    """tucker2 at R3xR4 equals the written-out formula; stages chain; the closed form is exact."""
    r3, r4 = min(r3, spec.inp.c), min(r4, spec.out)
    assert _chains(spec, "tucker2", MethodOptions(RankPair(r3, r4))) == tucker2_cost(spec, r3, r4)


@given(spec=layers(), r=st.integers(1, 300))
def test_cp_formula(spec: LayerSpec, r: int) -> None:
    """cp at rank R equals the written-out formula; stages chain; the closed form is exact."""
    assert _chains(spec, "cp", MethodOptions(r)) == cp_cost(spec, r)


@given(spec=layers())
def test_full_ranks(spec: LayerSpec) -> None:
    """Full ranks: low-rank min(KH*KW*C, N); mid min(KH*C, KW*N); tucker2 (C, N); cp the largest R costing no more than standard."""
    conv = spec.conv()
    _, _, c, n, kh, kw, _, _ = _dims(spec)
    assert METHODS["low-rank"].full_rank(conv) == min(kh * kw * c, n)
    assert METHODS["spatial-separable"].full_rank(conv) == min(kh * c, kw * n)
    assert METHODS["tucker2"].full_rank(conv) == (c, n)
    full = METHODS["cp"].full_rank(conv)
    assert isinstance(full, int)
    std = standard_cost(spec)[0]
    assert cp_cost(spec, full + 1)[0] > std
    assert full == 1 or cp_cost(spec, full)[0] <= std


@given(spec=layers(), fraction=st.fractions(Fraction(1, 10**4), Fraction(9999, 10**4)))
def test_fraction_is_floor_of_full_at_least_1(spec: LayerSpec, fraction: Fraction) -> None:
    """--rank F takes floor(F x full), at least 1, of each model's full rank."""
    text = str(fraction.numerator / fraction.denominator)
    assume("e" not in text)
    exact = Fraction(text)
    assume(0 < exact < 1)
    conv = spec.conv()
    _, _, c, n, kh, kw, _, _ = _dims(spec)
    options = MethodOptions(RankFraction(exact.numerator, exact.denominator, text))

    def floor_of(full: int) -> int:
        return max(1, int(exact * full))  # int() of an exact Fraction truncates: floor for positives

    assert apply("tucker2", conv, options).extra["ranks"] == [floor_of(c), floor_of(n)]
    assert apply("low-rank", conv, options).extra["rank"] == floor_of(min(kh * kw * c, n))
    if kh > 1 and kw > 1:
        assert apply("spatial-separable", conv, options).extra["mid"] == floor_of(min(kh * c, kw * n))


# --- the solver: the largest rank that reaches the target ---------------------------------------

targets = st.builds(
    lambda a, b, figure: Target(a + b, b, figure, f"{a + b}/{b}x"),
    st.integers(1, 30),
    st.integers(1, 8),
    st.sampled_from(["mults", "params"]),
)


def _meets(t: Target, cost: tuple[int, int], base: tuple[int, int]) -> bool:
    i = 0 if t.figure == "mults" else 1
    return Fraction(base[i], cost[i]) >= Fraction(t.num, t.den)


@settings(max_examples=150)
@given(spec=layers(), target=targets, second=st.one_of(st.none(), targets))
def test_solver_largest_rank_reaching_target(spec: LayerSpec, target: Target, second: Target | None) -> None:
    """The chosen rank (or mid) meets every target and rank+1 misses one (or is beyond the full rank)."""
    chosen_targets = (target,) if second is None else (target, second)
    conv = spec.conv()
    base = standard_cost(spec)
    _, _, c, n, kh, kw, _, _ = _dims(spec)
    options = MethodOptions(targets=chosen_targets)

    def check(method: str, key: str, cost, family, top: int | None) -> None:  # type: ignore[no-untyped-def]
        result = apply(method, conv, options)
        if not result.applicable:
            assert "cannot reach" in (result.reason or "")
            assert not all(_meets(t, cost(family(1)), base) for t in chosen_targets)
            return
        value = result.extra[key]
        r = max(value) if isinstance(value, list) else value
        assert (list(family(r)) if isinstance(value, list) else family(r)) == value
        assert (result.mults, result.params) == cost(family(r))
        assert all(_meets(t, cost(family(r)), base) for t in chosen_targets)
        if top is None or r < top:
            assert not all(_meets(t, cost(family(r + 1)), base) for t in chosen_targets), (method, r)

    check("low-rank", "rank", lambda r: low_rank_cost(spec, r), lambda r: r, min(kh * kw * c, n))
    check("cp", "rank", lambda r: cp_cost(spec, r), lambda r: r, None)
    check("tucker2", "ranks", lambda rr: tucker2_cost(spec, *rr), lambda r: (min(r, c), min(r, n)), max(c, n))
    if kh > 1 and kw > 1:
        check("spatial-separable", "mid", lambda m: spatial_cost(spec, m), lambda m: m, min(kh * c, kw * n))


# --- stacked-3x3: bounded time ------------------------------------------------------------------


def _old_greedy(before: int, after: int, stages: int) -> list[Pair]:
    plan = [(int(i < before), int(i < after)) for i in range(stages)]
    if plan:
        b, a = plan[0]
        plan[0] = (b + max(before - stages, 0), a + max(after - stages, 0))
    return plan


def _old_spread(size: int, before: int, after: int, stride: int, stages: int, target: int) -> list[Pair] | None:
    """The previous implementation (linear in the padding), kept as the oracle."""
    preferred = _old_greedy(before, after, stages)[0]
    shares = [preferred] + [(min(before, t), t - min(before, t)) for t in range(before + after + 1)]
    for first in shares:
        plan = [first, *_old_greedy(before - first[0], after - first[1], stages - 1)]
        current = size
        for i, (b, a) in enumerate(plan):
            span = current + b + a - 3
            current = span // (stride if i == 0 else 1) + 1 if span >= 0 else 0
            if current < 1:
                break
        if current == target:
            return plan
    return None


@given(
    size=st.integers(1, 40),
    before=st.integers(0, 12),
    after=st.integers(0, 12),
    stride=st.integers(1, 4),
    stages=st.integers(2, 5),
)
def test_padding_split_matches_the_linear_search(size: int, before: int, after: int, stride: int, stages: int) -> None:
    """The bisected padding split is the one the old linear search found, for every reachable output."""
    k = 2 * stages + 1
    span = size + before + after - k
    assume(span >= 0)
    target = span // stride + 1
    assert spread(size, before, after, stride, stages, target) == _old_spread(size, before, after, stride, stages, target)


def test_huge_kernel_is_refused_with_its_limit_fast() -> None:
    """--k 1000001 on a 2000000001x2000000001 input: stacked-3x3 states its limit, in well under a second."""
    start = time.perf_counter()
    data = {m["method"]: m for m in run_json("layer", "--in", "2000000001x2000000001x1", "--k", "1000001", "--out", "1")["methods"]}
    assert time.perf_counter() - start < 1.0
    assert "needs K <= 63" in data["stacked-3x3"]["reason"]


def test_huge_padding_is_fast_and_keeps_the_output() -> None:
    """--padding 100000000 with a 5x5 kernel at stride 3: the split is found at once and ends at the layer's output."""
    start = time.perf_counter()
    args = ["--in", "2000000001x2000000001x1", "--k", "5", "--out", "1", "--padding", "100000000", "--stride", "3"]
    data = run_json("layer", *args, "--method", "standard", "--method", "stacked-3x3")
    assert time.perf_counter() - start < 1.0
    standard, stacked = data["methods"]
    assert stacked["applicable"]
    assert stacked["stages"][-1]["out"] == standard["stages"][0]["out"]
    assert len(stacked["stages"]) == 2


def test_huge_layer_in_a_model_is_fast(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The what-if on a huge layer stays fast too."""
    path = tmp_yaml("input: 2000000001x2000000001x1\nlayers:\n  - {type: conv, k: 1000001, out: 1, padding: 100000000}\n")
    start = time.perf_counter()
    data = run_json("model", path)
    assert time.perf_counter() - start < 1.0
    assert {w["method"]: w["layers_changed"] for w in data["whatif"]}["stacked-3x3"] == 0


# --- the registry ------------------------------------------------------------------------------


def test_every_factorization_declares_itself() -> None:
    """Each registered model has a name, stages, and (for those with a rank) a full rank and a note."""
    conv = LayerSpec(Shape(28, 28, 8), 16, (3, 3)).conv()
    for name, f in METHODS.items():
        assert f.name == name
        result = apply(name, conv, MethodOptions())
        if f.param is not None and result.applicable:
            assert f.full_rank(conv) is not None
            assert f.note(result)


def test_api_cost_layer_refuses_target_with_rank() -> None:
    """The Python API refuses a target together with a rank, as the CLI does."""
    from convcost.errors import ConvcostError

    with pytest.raises(ConvcostError, match="not both"):
        cost_layer(LayerSpec(Shape(8, 8, 8), 8, (3, 3), rank=2, targets=(Target(4, 1, "mults", "4x"),)))


def test_model_whatif_caption_says_how_ranks_were_chosen(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The what-if table's caption states each model's rank rule: the 4x default, a target, or a capped rank."""
    path = tmp_yaml(MODEL)
    default = run("model", path).stdout
    assert "  tucker2 and cp: the largest reaching 4x fewer mults (the default without --rank or --target)" in default
    assert "  low-rank: rank max(1, full rank // 4)" in default
    target = run("model", path, "--target", "75%").stdout
    assert "  spatial-separable, low-rank, tucker2 and cp: the largest reaching 75% fewer mults" in target
    capped = run("model", path, "--rank", "64").stdout
    assert "  tucker2: ranks 64x64, capped at the layer's full rank" in capped


def test_schema_takes_the_rank_forms() -> None:
    """The JSON Schema accepts rank: 64, 64x32 and 0.25 and refuses 0 and 1.5."""
    import json

    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(run("schema").stdout))
    for rank in ("64", "64x32", "0.25", "'0.25'"):
        text = f"input: 8x8x3\nlayers: [{{k: 3, out: 4, as: tucker2, rank: {rank}}}]\n"
        assert not list(validator.iter_errors(yaml.safe_load(text))), rank
    for rank in ("0", "1.5", "64x"):
        text = f"input: 8x8x3\nlayers: [{{k: 3, out: 4, as: cp, rank: {rank}}}]\n"
        assert list(validator.iter_errors(yaml.safe_load(text))), rank


@given(st.integers(0, 50), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**9))
def test_quadratic_guess_is_the_largest_rank_under_the_limit(a: int, b: int, c: int, limit: int) -> None:
    """The solver's first guess: for p(r) = a r^2 + b r + c, the largest r with p(r) <= limit (0: none), by bisection on p."""
    from convcost.factorize.solve import _quadratic_largest

    def p(r: int) -> int:
        return a * r * r + b * r + c

    found = _quadratic_largest(p(1), p(2), p(3), limit)
    if a == 0 and b == 0:
        assert found == (None if p(1) <= limit else 0)
        return
    lo, hi = 0, limit + 1  # p(lo) <= limit or lo == 0; p(hi) > limit (p grows by at least 1 per step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if p(mid) <= limit else (lo, mid)
    assert found == lo


@given(st.integers(1, 5000), st.one_of(st.none(), st.integers(-5, 6000)), st.one_of(st.none(), st.integers(1, 5000)))
def test_largest_is_right_whatever_the_guess(answer: int, guess: int | None, hi: int | None) -> None:
    """A wrong guess costs calls, never the answer: largest() checks it (meets, and the next misses) and else searches."""
    from convcost.factorize.solve import largest

    calls: list[int] = []

    def meets(r: int) -> bool:
        calls.append(r)
        return r <= answer

    expected = min(answer, hi) if hi is not None else answer
    assert largest(meets, hi, guess) == expected
    if guess == expected:
        assert len(calls) <= 2


@pytest.mark.parametrize("rank", ["17", "17x1", "1x17", "257x1"])
def test_a_rank_above_the_full_rank_is_refused_pair_or_not(rank: str) -> None:
    """--rank 17x1 is refused as --rank 17 is (exit 2), not shown as tucker2 'not applicable' with exit 0."""
    result = run("layer", "--in", "8x8x16", "--k", "3", "--out", "16", "--method", "tucker2", "--rank", rank)
    r3, r4 = rank.split("x") if "x" in rank else (rank, rank)
    expected = f"Error: ranks {r3}x{r4} are above the full ranks 16x16 = CxN (R3 <= C, R4 <= N); "
    expected += "expected R3 from 1 to 16 and R4 from 1 to 16\n"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)
    assert run("layer", "--in", "8x8x16", "--k", "3", "--out", "16", "--rank", rank).exit_code == 2
