"""The five cost models against independently written expressions and invariants."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from convcost.core.shapes import Shape, make_conv
from convcost.errors import ConvcostError
from convcost.factorize import METHODS, LayerSpec, MethodOptions, apply, break_even_rank, cost_layer

sizes = st.integers(1, 64)
channels = st.integers(1, 64)
kernels = st.integers(1, 7)


def _layer(h: int, w: int, c: int, k: int, n: int, stride: int = 1, pad: int = 0) -> LayerSpec:
    return LayerSpec(Shape(h, w, c), n, (k, k), (stride, stride), (pad, pad, pad, pad))


@given(h=sizes, w=sizes, c=channels, n=channels, k=kernels, stride=st.integers(1, 3), pad=st.integers(0, 3))
def test_standard_is_ho_wo_n_c_k_k(h: int, w: int, c: int, n: int, k: int, stride: int, pad: int) -> None:
    """standard = Ho*Wo*N*C*KH*KW, params = KH*KW*C*N, with Ho from PyTorch's formula."""
    assume(h + 2 * pad >= k and w + 2 * pad >= k)
    ho = (h + 2 * pad - k) // stride + 1
    wo = (w + 2 * pad - k) // stride + 1
    result = cost_layer(_layer(h, w, c, k, n, stride, pad), ["standard"]).results[0]
    assert result.mults == ho * wo * n * c * k * k
    assert result.params == k * k * c * n


@given(h=sizes, w=sizes, c=channels, n=channels, k=st.integers(2, 7), stride=st.integers(1, 3))
def test_depthwise_separable_ratio_is_closed_form(h: int, w: int, c: int, n: int, k: int, stride: int) -> None:
    """With G = 1: depthwise-separable / standard = 1/N + 1/(KH*KW) exactly (MobileNet, section 3.1)."""
    assume(h >= k and w >= k)
    report = cost_layer(_layer(h, w, c, k, n, stride), ["standard", "depthwise-separable"])
    std, dws = report.results
    assert std.mults is not None
    assert dws.mults is not None
    assert Fraction(dws.mults, std.mults) == Fraction(1, n) + Fraction(1, k * k)
    assert dws.params == k * k * c + c * n


@given(h=sizes, w=sizes, c=channels, n=channels, k=kernels, stride=st.integers(1, 3), pad=st.integers(0, 3))
def test_every_applicable_model_keeps_the_output_shape(h: int, w: int, c: int, n: int, k: int, stride: int, pad: int) -> None:
    """Each factorization ends at the standard layer's output shape."""
    assume(h + 2 * pad >= k and w + 2 * pad >= k)
    report = cost_layer(_layer(h, w, c, k, n, stride, pad))
    for result in report.results:
        if result.applicable:
            assert result.stages[-1].conv.out == report.conv.out, result.method
        else:
            assert result.reason


@given(c=channels, n=channels, k=st.integers(1, 5), size=st.integers(5, 20))
def test_break_even_rank_is_largest_cheaper_rank(c: int, n: int, k: int, size: int) -> None:
    """break_even_rank is the largest r whose low-rank pair is cheaper than standard (brute force)."""
    conv = make_conv(Shape(size, size, c), n, (k, k))
    full = min(k * k * c, n)
    cheaper = [r for r in range(1, full + 1) if apply("low-rank", conv, MethodOptions(rank=r)).mults < conv.mults]
    assert break_even_rank(conv) == (max(cheaper) if cheaper else 0)


def test_low_rank_default_and_limits() -> None:
    """Default rank max(1, full // 4); rank above full rank is an error; r/N + r/(KH*KW*C)."""
    report = cost_layer(_layer(28, 28, 8, 3, 16), ["low-rank"])
    result = report.results[0]
    assert result.extra["rank"] == 4  # min(72, 16) // 4
    assert Fraction(result.mults, report.conv.mults) == Fraction(4, 16) + Fraction(4, 72)  # type: ignore[arg-type]
    with pytest.raises(ConvcostError, match="rank 17 is above the full rank 16"):
        cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), rank=17), ["low-rank"])


def test_spatial_separable_single_channel_is_the_documents_pair() -> None:
    """With C = N = M = 1 the spatial pair is the documents' 3x1 then 1x3: 45 + 27 = 72 against 81."""
    report = cost_layer(_layer(5, 5, 1, 3, 1), ["standard", "spatial-separable"])
    std, sep = report.results
    assert std.mults == 81
    assert [s.mults for s in sep.stages] == [45, 27]
    assert sep.extra["mid"] == 1


def test_spatial_separable_general_form() -> None:
    """KHx1 C->M on the height, then 1xKW M->N on the width: H'*W*KH*C*M + H'*W'*KW*M*N."""
    spec = LayerSpec(Shape(28, 30, 8), 16, (3, 5), (2, 1), (1, 1, 2, 2), mid=6)
    result = cost_layer(spec, ["spatial-separable"]).results[0]
    ho, wo = (28 + 2 - 3) // 2 + 1, (30 + 4 - 5) // 1 + 1
    assert result.mults == ho * 30 * 3 * 8 * 6 + ho * wo * 5 * 6 * 16
    assert result.params == 3 * 8 * 6 + 5 * 6 * 16


def test_stacked_3x3_five_by_five_is_two_convs() -> None:
    """5x5 -> two 3x3: (H-2)(W-2)*9*C*N + (H-4)(W-4)*9*N*N, the consistent form of the documents' example."""
    report = cost_layer(_layer(224, 224, 3, 5, 16), ["standard", "stacked-3x3"])
    std, stacked = report.results
    assert std.mults == 220 * 220 * 3 * 5 * 5 * 16 == 58_080_000
    assert stacked.mults == 222 * 222 * 9 * 3 * 16 + 220 * 220 * 9 * 16 * 16 == 132_804_288


@given(
    size=st.integers(7, 60),
    c=st.integers(1, 8),
    n=st.integers(1, 8),
    k=st.sampled_from([5, 7, 9]),
    stride=st.integers(1, 3),
    pad=st.integers(0, 4),
)
def test_stacked_3x3_has_k_minus_1_over_2_stages(size: int, c: int, n: int, k: int, stride: int, pad: int) -> None:
    """When it applies, stacked-3x3 has (K-1)/2 3x3 stages, the first with the layer's stride."""
    assume(size + 2 * pad >= k)
    result = cost_layer(_layer(size, size, c, k, n, stride, pad), ["stacked-3x3"]).results[0]
    assume(result.applicable)
    assert len(result.stages) == (k - 1) // 2
    assert all(s.conv.k == (3, 3) for s in result.stages)
    assert result.stages[0].conv.stride == (stride, stride)


@pytest.mark.parametrize(
    ("spec", "method", "reason"),
    [
        (LayerSpec(Shape(8, 8, 8), 8, (3, 3)), "stacked-3x3", "odd square kernel"),
        (LayerSpec(Shape(8, 8, 8), 8, (1, 3)), "spatial-separable", "already one-dimensional"),
        (LayerSpec(Shape(8, 8, 8), 8, (1, 1)), "depthwise-separable", "already pointwise"),
        (LayerSpec(Shape(8, 8, 8), 8, (3, 3), groups=8), "depthwise-separable", "already depthwise"),
        (LayerSpec(Shape(8, 8, 8), 8, (3, 3), groups=2), "low-rank", "groups = 1"),
        (LayerSpec(Shape(9, 9, 1), 1, (5, 5), dilation=(2, 2)), "stacked-3x3", "dilation 1"),
    ],
)
def test_not_applicable_models_say_why(spec: LayerSpec, method: str, reason: str) -> None:
    """A model that does not apply is kept, with its reason and no figures."""
    result = cost_layer(spec, [method]).results[0]
    assert not result.applicable
    assert result.mults is None
    assert reason in (result.reason or "")


def test_bias_adds_one_per_output_channel_per_stage() -> None:
    """With bias, each stage adds its output channels to the parameters, never to the mults."""
    plain = cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3)))
    biased = cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), bias=True))
    for a, b in zip(plain.results, biased.results, strict=True):
        assert a.mults == b.mults
        if a.applicable:
            assert b.params - a.params == sum(s.conv.out.c for s in a.stages)  # type: ignore[operator]


def test_registry_names() -> None:
    """The models in display order: the original five, then tucker2 and cp (issue 12 adds them), then 2plus1d (3-D only, last)."""
    assert list(METHODS) == ["standard", "depthwise-separable", "spatial-separable", "low-rank", "stacked-3x3", "tucker2", "cp", "2plus1d"]
