"""The zoo's newer networks (issue 9): DenseNet-121, EfficientNet-B0, MobileNetV3-Small and a small U-Net.

The torchvision figures are the networks at 224x224x3: mults = PyTorch's FLOP counter / 2 over
convolution and linear layers (a squeeze-excitation's two 1x1 convolutions included), params
with batch norm as 2 per channel. The U-Net's figures are derived by hand below.
"""

from __future__ import annotations

from typing import Any

from conftest import SPECS, run_json


def _model(name: str) -> Any:
    return run_json("model", str(SPECS / name))


def _rows(data: Any, kind: str) -> list[Any]:
    return [row for row in data["layers"] if row["type"] == kind]


# --- DenseNet-121 ----------------------------------------------------------------------


def test_densenet121_2_834_161_664_mults_7_978_856_params() -> None:
    """torchvision DenseNet-121: 2,834,161,664 mults (2.83 GFLOPS), 7,978,856 parameters with batch norm."""
    data = _model("densenet121.yaml")
    assert data["totals"] == {"mults": 2_834_161_664, "params": 7_978_856}
    assert data["input"] == [224, 224, 3]
    assert data["output"] == [1, 1, 1000]


def test_densenet121_concatenates_every_earlier_layer() -> None:
    """58 dense layers, each adding 32 channels: blocks end at 256, 512, 1024 and 1024 channels."""
    data = _model("densenet121.yaml")
    grows = [row for row in data["layers"] if row["type"] == "conv" and row["kernel"] == "3x3"]
    assert len(grows) == 6 + 12 + 24 + 16
    assert {row["out"][2] for row in grows} == {32}
    concats = {row["name"]: row["out"] for row in _rows(data, "concat")}
    assert len(concats) == (6 - 1) + (12 - 1) + (24 - 1) + (16 - 1) + 4
    assert [concats[f"block{b}"] for b in (1, 2, 3, 4)] == [[56, 56, 256], [28, 28, 512], [14, 14, 1024], [7, 7, 1024]]
    transitions = [row["out"] for row in data["layers"] if row["type"] == "pointwise" and row["name"].startswith("transition")]
    assert transitions == [[56, 56, 128], [28, 28, 256], [14, 14, 512]]
    blocks = data["blocks"]
    assert len(blocks) == 58 + 3
    assert blocks[-1]["name"] == "dense4.16"
    assert blocks[-1]["layers"] == 7  # concat, norm, relu, 1x1, norm, relu, 3x3
    # the last dense layer's bottleneck reads 512 + 15 x 32 channels
    assert [row["in"] for row in data["layers"] if row["name"].startswith("dense4.16.") and row["type"] == "pointwise"] == [[7, 7, 992]]


def test_densenet121_batch_norms_before_each_convolution() -> None:
    """Pre-activation: a batch norm on every dense layer's input and bottleneck, each 2 params per channel."""
    data = _model("densenet121.yaml")
    norms = _rows(data, "batchnorm")
    assert len(norms) == 1 + 2 * 58 + 3 + 1  # norm0, two per dense layer, one per transition, norm5
    assert all(row["mults"] == 0 and row["params"] == 2 * row["in"][2] for row in norms)


# --- EfficientNet-B0 -------------------------------------------------------------------


def test_efficientnet_b0_385_814_752_mults_5_288_548_params() -> None:
    """torchvision EfficientNet-B0: 385,814,752 mults (0.39 GFLOPS), 5,288,548 parameters with batch norm."""
    data = _model("efficientnet_b0.yaml")
    assert data["totals"] == {"mults": 385_814_752, "params": 5_288_548}
    assert data["output"] == [1, 1, 1000]


def test_efficientnet_b0_squeeze_excitation_per_block() -> None:
    """16 MBConv blocks, each with an se squeezing to a quarter of the block's input: 2*C*S mults, 2*C*S+S+C params."""
    data = _model("efficientnet_b0.yaml")
    se = _rows(data, "se")
    block_inputs = [32, 16, 24, 24, 40, 40, 80, 80, 80, 112, 112, 112, 192, 192, 192, 192]
    expanded = [32] + [6 * c for c in block_inputs[1:]]
    assert [row["in"][2] for row in se] == expanded
    squeeze = [c // 4 for c in block_inputs]
    assert [row["mults"] for row in se] == [2 * c * s for c, s in zip(expanded, squeeze, strict=True)]
    assert [row["params"] for row in se] == [2 * c * s + s + c for c, s in zip(expanded, squeeze, strict=True)]
    assert [row["out"][:2] for row in _rows(data, "depthwise")][-1] == [7, 7]
    assert len(_rows(data, "silu")) == 1 + 2 * 16 - 1 + 1  # stem, two per block (one in the t=1 block), head


# --- MobileNetV3-Small -----------------------------------------------------------------


def test_mobilenet_v3_small_56_510_400_mults_2_542_856_params() -> None:
    """torchvision MobileNetV3-Small: 56,510,400 mults (0.06 GFLOPS), 2,542,856 parameters with batch norm."""
    data = _model("mobilenet_v3_small.yaml")
    assert data["totals"] == {"mults": 56_510_400, "params": 2_542_856}
    assert data["output"] == [1, 1, 1000]


def test_mobilenet_v3_small_squeeze_rounded_to_multiples_of_8() -> None:
    """Nine se layers; squeeze = expanded // 4 rounded to a multiple of 8 (16 -> 8, 120 -> 32, 144 -> 40)."""
    data = _model("mobilenet_v3_small.yaml")
    se = _rows(data, "se")
    expanded = [16, 96, 240, 240, 120, 144, 288, 576, 576]
    squeeze = [8, 24, 64, 64, 32, 40, 72, 144, 144]
    assert [row["in"][2] for row in se] == expanded
    assert [row["mults"] for row in se] == [2 * c * s for c, s in zip(expanded, squeeze, strict=True)]
    assert [row["params"] for row in se] == [2 * c * s + s + c for c, s in zip(expanded, squeeze, strict=True)]
    fc1, classifier = _rows(data, "linear")
    assert (fc1["in"], fc1["params"]) == ([1, 1, 576], 576 * 1024 + 1024)
    assert classifier["params"] == 1024 * 1000 + 1000


# --- the small U-Net ---------------------------------------------------------------------


def _double(hw: int, cin: int, cout: int) -> tuple[int, int]:
    """Two padded 3x3 convolutions (no bias) with batch norm, on an hw x hw map: (mults, params)."""
    mults = hw * hw * 9 * cin * cout + hw * hw * 9 * cout * cout
    params = 9 * cin * cout + 2 * cout + 9 * cout * cout + 2 * cout
    return mults, params


def _up(hw: int, cin: int, cout: int) -> tuple[int, int]:
    """A 2x2 stride-2 transposed convolution with bias on an hw x hw map: every input pixel meets every weight."""
    return hw * hw * cin * cout * 4, 4 * cin * cout + cout


def test_unet_small_figures_derived_by_hand() -> None:
    """U-Net at 128x128x3: encoder 16/32/64, bottom 128, decoder with deconvs and skips; 580,124,672 mults."""
    parts = [
        _double(128, 3, 16),
        _double(64, 16, 32),
        _double(32, 32, 64),
        _double(16, 64, 128),
        _up(16, 128, 64),
        _double(32, 64 + 64, 64),
        _up(32, 64, 32),
        _double(64, 32 + 32, 32),
        _up(64, 32, 16),
        _double(128, 16 + 16, 16),
        (128 * 128 * 16 * 2, 16 * 2 + 2),
    ]
    mults, params = sum(m for m, _ in parts), sum(p for _, p in parts)
    assert (mults, params) == (580_124_672, 482_754)
    data = _model("unet_small.yaml")
    assert data["totals"] == {"mults": mults, "params": params}


def test_unet_small_skips_and_upsampling() -> None:
    """Three deconvs double HxW; three concats join equal-sized maps; the output is 128x128x2."""
    data = _model("unet_small.yaml")
    assert data["output"] == [128, 128, 2]
    deconvs = _rows(data, "deconv")
    assert [(row["in"], row["out"]) for row in deconvs] == [
        ([16, 16, 128], [32, 32, 64]),
        ([32, 32, 64], [64, 64, 32]),
        ([64, 64, 32], [128, 128, 16]),
    ]
    assert [(row["name"], row["out"]) for row in _rows(data, "concat")] == [
        ("skip3", [32, 32, 128]),
        ("skip2", [64, 64, 64]),
        ("skip1", [128, 128, 32]),
    ]


def test_unet_small_block_subtotals() -> None:
    """Each level's block subtotal is its two 3x3 convolutions; decoder blocks read encoder + upsampled channels."""
    blocks = {block["name"]: block for block in _model("unet_small.yaml")["blocks"]}
    expected = {
        "enc1": _double(128, 3, 16),
        "enc2": _double(64, 16, 32),
        "enc3": _double(32, 32, 64),
        "bottom": _double(16, 64, 128),
        "dec3": _double(32, 128, 64),
        "dec2": _double(64, 64, 32),
        "dec1": _double(128, 32, 16),
    }
    assert {name: (b["mults"], b["params"], b["layers"], b["depth"]) for name, b in blocks.items()} == {
        name: (mults, params, 4, 0) for name, (mults, params) in expected.items()
    }
