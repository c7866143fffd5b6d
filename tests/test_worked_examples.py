"""Every worked example of the source documents, end to end through the CLI from layer_specs/."""

from __future__ import annotations

from typing import Any

from conftest import SPECS, run, run_json


def _methods(path: str) -> dict[str, Any]:
    data = run_json("layer", str(SPECS / path))
    return {m["method"]: m for m in data["methods"]}


def test_28x28x8_k3_out16() -> None:
    """778,752 standard; 48,672 + 86,528 = 135,200 depthwise-separable, 82.6% less."""
    m = _methods("doc_28x28x8_k3_out16.yaml")
    assert m["standard"]["mults"] == 778_752 == 26 * 26 * 3 * 3 * 8 * 16
    dws = m["depthwise-separable"]
    assert [s["mults"] for s in dws["stages"]] == [48_672, 86_528]
    assert dws["mults"] == 135_200
    assert f"{dws['mults_reduction_pct']:.1f}" == "82.6"
    assert [s["out"] for s in dws["stages"]] == [[26, 26, 8], [26, 26, 16]]


def test_28x28x8_table_shows_the_figures() -> None:
    """The default table prints the documents' figures with thousands separators."""
    out = run("layer", str(SPECS / "doc_28x28x8_k3_out16.yaml")).stdout
    for text in ("778,752", "48,672", "86,528", "135,200", "82.6%", "5.76x"):
        assert text in out


def test_12x12x3_k5_out256() -> None:
    """1,228,800 standard against 4,800 + 49,152 = 53,952."""
    m = _methods("doc_12x12x3_k5_out256.yaml")
    assert m["standard"]["mults"] == 1_228_800
    assert [s["mults"] for s in m["depthwise-separable"]["stages"]] == [4_800, 49_152]
    assert m["depthwise-separable"]["mults"] == 53_952


def test_5x5x1_k3_spatially_separable() -> None:
    """81 standard against 45 + 27 = 72 for the 3x1 then 1x3 pair."""
    m = _methods("doc_5x5x1_k3_spatial.yaml")
    assert m["standard"]["mults"] == 81
    assert [s["mults"] for s in m["spatial-separable"]["stages"]] == [45, 27]
    assert m["spatial-separable"]["mults"] == 72


def test_5x5_filter_has_25_params_against_10() -> None:
    """A 5x5 filter has 25 parameters; 1x5 plus 5x1 have 10."""
    m = _methods("doc_5x5_filter_params.yaml")
    assert m["standard"]["params"] == 25
    assert m["spatial-separable"]["params"] == 10


def test_params_3x3xcxf_against_3x3xc_plus_cxf() -> None:
    """Parameters 3*3*C*F for standard against 3*3*C + C*F for depthwise-separable."""
    for c, f in ((8, 16), (3, 256), (32, 64)):
        m = {x["method"]: x for x in run_json("layer", "--in", f"16x16x{c}", "--k", "3", "--out", str(f))["methods"]}
        assert m["standard"]["params"] == 3 * 3 * c * f
        assert m["depthwise-separable"]["params"] == 3 * 3 * c + c * f


def test_ratio_and_8_to_9_times_less_for_3x3() -> None:
    """The ratio is 1/N + 1/K^2, so a 3x3 layer with many outputs is 8 to 9 times cheaper."""
    for n in (128, 256, 1024):
        m = {x["method"]: x for x in run_json("layer", "--in", "14x14x512", "--k", "3", "--out", str(n), "--padding", "same")["methods"]}
        speedup = m["standard"]["mults"] / m["depthwise-separable"]["mults"]
        assert 8 <= speedup < 9
        assert m["depthwise-separable"]["mults"] * 9 * n == m["standard"]["mults"] * (9 + n)
    out = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--explain", "--method", "depthwise-separable").stdout
    assert "1/N + 1/(KH*KW) = 1/16 + 1/9" in out


def test_224x224x3_k5_out16_is_58_080_000() -> None:
    """58,080,000 (the document prints 580,800,000); the consistent two-3x3 figure is 132,804,288."""
    m = _methods("doc_224x224x3_k5_out16.yaml")
    assert m["standard"]["mults"] == 58_080_000
    assert m["stacked-3x3"]["mults"] == 132_804_288
    assert m["stacked-3x3"]["mults"] != 42_199_488
    assert [s["mults"] for s in m["stacked-3x3"]["stages"]] == [21_290_688, 111_513_600]
