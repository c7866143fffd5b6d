"""Shape arithmetic: parsing sizes and PyTorch/TensorFlow output sizes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convcost.core.shapes import Shape, explicit_padding, make_conv, out_size, parse_padding, parse_pair, parse_shape, same_padding
from convcost.errors import ConvcostError


def test_parse_shape_accepts_text_and_lists() -> None:
    """HxWxC parses from text (any case, spaces) and from a YAML list."""
    assert parse_shape("28x28x8", "--in") == Shape(28, 28, 8)
    assert parse_shape("28 X 28 x 8", "--in") == Shape(28, 28, 8)
    assert parse_shape([12, 12, 3], "in") == Shape(12, 12, 3)


@pytest.mark.parametrize("bad", ["28", "28x28x8x1x2", "axbxc", "2.5x28x8", "", [28], [28, 28, 8, 1, 2], True, None])
def test_parse_shape_rejects_malformed(bad: object) -> None:
    """Anything but two to four whole numbers (1-D, 2-D, 3-D) is refused, naming what was expected."""
    with pytest.raises(ConvcostError, match="expected HxWxC"):
        parse_shape(bad, "--in")


def test_parse_shape_rejects_zero_and_negative() -> None:
    """Sizes must be >= 1."""
    with pytest.raises(ConvcostError, match="sizes must be whole numbers >= 1"):
        parse_shape("0x28x8", "--in")
    with pytest.raises(ConvcostError, match=">= 1"):
        parse_shape("-1x28x8", "--in")


def test_parse_pair_and_padding() -> None:
    """Kernel/stride pairs and every padding form."""
    assert parse_pair("3", "--k") == (3, 3)
    assert parse_pair("1x7", "--k") == (1, 7)
    assert parse_pair(5, "k") == (5, 5)
    assert parse_padding("same", "--padding") == "same"
    assert parse_padding("valid", "--padding") == (0,)
    assert parse_padding("2", "--padding") == (2,)
    assert parse_padding("1x2", "--padding") == (1, 2)
    assert parse_padding([0, 1, 2, 3], "padding") == (0, 1, 2, 3)
    inp = Shape(8, 8, 3)
    assert explicit_padding((2,), 2, inp) == (2, 2, 2, 2)
    assert explicit_padding((1, 2), 2, inp) == (1, 1, 2, 2)
    assert explicit_padding((0, 1, 2, 3), 2, inp) == (0, 1, 2, 3)
    assert explicit_padding((1, 2), 1, Shape(8, 3)) == (1, 2)
    assert explicit_padding((1, 2, 2), 3, Shape(8, 8, 8, 3)) == (1, 1, 2, 2, 2, 2)
    with pytest.raises(ConvcostError, match="gives 3 values, but the input 8x8x3 has 2 spatial axes"):
        explicit_padding((1, 2, 2), 2, inp)
    with pytest.raises(ConvcostError, match="'same' or 'valid', got 'full'"):
        parse_padding("full", "--padding")


@given(
    size=st.integers(1, 300),
    k=st.integers(1, 11),
    stride=st.integers(1, 5),
    pad=st.integers(0, 6),
    dilation=st.integers(1, 4),
)
def test_out_size_is_pytorch_formula(size: int, k: int, stride: int, pad: int, dilation: int) -> None:
    """out_size equals PyTorch's floor((H + 2P - D(K-1) - 1)/S) + 1 whenever the kernel fits."""
    expected = math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1
    assert out_size(size, k, stride, 2 * pad, dilation) == (expected if size + 2 * pad >= dilation * (k - 1) + 1 else 0)


@given(size=st.integers(1, 500), k=st.integers(1, 9), stride=st.integers(1, 4), dilation=st.integers(1, 3))
def test_same_padding_gives_ceil(size: int, k: int, stride: int, dilation: int) -> None:
    """TensorFlow SAME: output ceil(H/S), odd pixel after, never negative."""
    (before,), (after,) = same_padding((size,), (k,), (stride,), (dilation,))
    assert 0 <= before <= after <= before + 1
    assert out_size(size, k, stride, before + after, dilation) == math.ceil(size / stride)


def test_kernel_that_does_not_fit_names_both_sizes() -> None:
    """A kernel larger than the padded input is refused with both sizes."""
    with pytest.raises(ConvcostError, match=r"kernel 5x5 does not fit the padded input 3x3"):
        make_conv(Shape(3, 3, 1), 1, (5, 5))


def test_groups_must_divide_channels() -> None:
    """C and N must both divide by G."""
    with pytest.raises(ConvcostError, match="groups 3 does not divide the 8 input channels"):
        make_conv(Shape(8, 8, 8), 12, (3, 3), groups=3)
    with pytest.raises(ConvcostError, match="groups 4 does not divide the 6 output channels"):
        make_conv(Shape(8, 8, 8), 6, (3, 3), groups=4)
