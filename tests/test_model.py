"""The model command: the zoo's published figures, what-if, blocks, and bad model files."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import SPECS, assert_user_error, run, run_json


def _model(name: str, *extra: str) -> dict:  # type: ignore[type-arg]
    return run_json("model", str(SPECS / name), *extra)  # type: ignore[no-any-return]


def test_mobilenet_v1_569m_mult_adds_4_2m_params() -> None:
    """MobileNets Table 4: 569M mult-adds, 4.2M parameters (weights only); 7x7x1024 depthwise at stride 1."""
    data = _model("mobilenet_v1.yaml")
    assert round(data["totals"]["mults"] / 10**6) == 569
    assert round(data["totals"]["params"] / 10**5) == 42
    assert data["totals"]["mults"] == 568_740_352
    assert data["output"] == [1, 1, 1000]
    assert [row["out"] for row in data["layers"] if row["type"] == "depthwise"][-1] == [7, 7, 1024]


def test_vgg16_15_47g_and_138_357_544_params() -> None:
    """torchvision VGG-16: 15.47 G multiply-accumulates, 138,357,544 parameters with biases."""
    data = _model("vgg16.yaml")
    assert round(data["totals"]["mults"] / 10**7) == 1547
    assert data["totals"]["params"] == 138_357_544


def test_resnet50_4_09g_and_25_557_032_params() -> None:
    """torchvision ResNet-50: 4.09 G multiply-accumulates, 25,557,032 parameters with batch norm."""
    data = _model("resnet50.yaml")
    assert round(data["totals"]["mults"] / 10**7) == 409
    assert data["totals"]["params"] == 25_557_032
    shortcuts = [row for row in data["layers"] if row["type"] == "shortcut"]
    assert [row["name"] for row in shortcuts] == ["layer1.shortcut", "layer2.shortcut", "layer3.shortcut", "layer4.shortcut"]
    assert shortcuts[1]["in"] == [56, 56, 256]
    assert shortcuts[1]["out"] == [28, 28, 512]


def test_mobilenet_v2_300m_mult_adds_3_504_872_params() -> None:
    """MobileNetV2: 300M multiply-adds (the paper's two significant figures), 3,504,872 parameters."""
    data = _model("mobilenet_v2.yaml")
    assert round(data["totals"]["mults"], -7) == 300_000_000
    assert data["totals"]["params"] == 3_504_872


def test_repeated_blocks_appear_once_per_repetition() -> None:
    """A block with repeat: 5 contributes its layers five times, named by repetition."""
    names = [row["name"] for row in _model("mobilenet_v1.yaml")["layers"]]
    assert sum(name.startswith("dw_pw7-11[") for name in names) == 10
    assert "dw_pw7-11[5].dw22" in names


HAND = """\
name: hand
input: 32x32x3
layers:
  - {name: a, k: 3, out: 16, padding: 1}
  - {name: b, k: 5, out: 32, padding: 2}
  - {name: pool, type: maxpool, k: 2}
  - {name: fc, type: linear, out: 10}
"""


def test_whatif_checked_by_hand(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A standard network's what-if totals, computed by hand layer by layer."""
    data = run_json("model", tmp_yaml(HAND))
    a, b, fc = 32 * 32 * 9 * 3 * 16, 32 * 32 * 25 * 16 * 32, 16 * 16 * 32 * 10
    assert [row["mults"] for row in data["layers"]] == [a, b, 0, fc]
    assert data["totals"] == {"mults": a + b + fc, "params": 9 * 3 * 16 + 25 * 16 * 32 + 16 * 16 * 32 * 10}
    whatif = {w["method"]: w for w in data["whatif"]}
    dws_a = 32 * 32 * 9 * 3 + 32 * 32 * 3 * 16
    dws_b = 32 * 32 * 25 * 16 + 32 * 32 * 16 * 32
    assert whatif["depthwise-separable"]["mults"] == dws_a + dws_b + fc
    assert whatif["depthwise-separable"]["params"] == (9 * 3 + 3 * 16) + (25 * 16 + 16 * 32) + 16 * 16 * 32 * 10
    assert whatif["depthwise-separable"]["layers_changed"] == 2
    stacked_b = 32 * 32 * 9 * 16 * 32 + 32 * 32 * 9 * 32 * 32
    assert whatif["stacked-3x3"]["mults"] == a + stacked_b + fc
    assert whatif["stacked-3x3"]["layers_changed"] == 1
    total = a + b + fc
    assert whatif["depthwise-separable"]["mults_reduction_pct"] == 100 * (total - (dws_a + dws_b + fc)) / total


def test_method_variant_matches_whatif(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--method shows the variant's per-layer rows, whose totals equal its what-if row."""
    path = tmp_yaml(HAND)
    variant = run_json("model", path, "--method", "low-rank", "--rank", "1000")
    whatif = {w["method"]: w for w in variant["whatif"]}
    assert variant["variant"] == "low-rank"
    assert variant["totals"] == {"mults": whatif["low-rank"]["mults"], "params": whatif["low-rank"]["params"]}
    assert [row["as"] for row in variant["layers"]] == ["low-rank", "low-rank", None, None]


def test_as_builds_a_layer_factorized_and_bn_counts_params(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """as: <method> costs the layer as that model; bn adds 2 parameters per channel, no mults."""
    data = run_json("model", tmp_yaml("input: 28x28x8\nlayers:\n  - {k: 3, out: 16, as: depthwise-separable, bn: true}\n"))
    row = data["layers"][0]
    assert row["mults"] == 135_200
    assert row["params"] == 200 + 2 * 16
    assert row["as"] == "depthwise-separable"
    assert data["whatif"][0]["layers_changed"] == 0


def test_branches_concatenate_and_residuals(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Branches run on the block input and concatenate channels; identity residual adds nothing."""
    text = """\
input: 28x28x192
defaults: {padding: same}
layers:
  - name: inception
    branches:
      - [{type: pointwise, out: 64}]
      - [{type: pointwise, out: 96}, {k: 3, out: 128}]
      - [{type: maxpool, k: 3, stride: 1}, {type: pointwise, out: 32}]
  - name: res
    residual: identity
    layers: [{k: 3, out: 224}]
"""
    data = run_json("model", tmp_yaml(text))
    assert data["layers"][4]["out"] == [28, 28, 32]
    assert data["output"] == [28, 28, 224]
    assert data["layers"][-1]["in"] == [28, 28, 224]
    assert data["layers"][1]["name"] == "inception.branch2.pw2"


def test_defaults_merge_keys_and_stdin() -> None:
    """A model file read from standard input; defaults fill the layers that take them."""
    result = run(
        "model",
        "-",
        "--format",
        "json",
        input="input: 8x8x4\ndefaults: {bias: true}\nlayers:\n  - {k: 3, out: 4, padding: same}\n  - {type: maxpool, k: 2}\n",
    )
    assert result.exit_code == 0
    assert '"params": 148' in result.stdout  # 3*3*4*4 + 4


def test_model_table_and_markdown_and_csv() -> None:
    """The table shows shares and bars; Markdown and CSV carry the same totals."""
    out = run("model", str(SPECS / "vgg16.yaml")).stdout
    assert "15,470,264,320" in out
    assert "138,357,544" in out
    assert "What if" in out
    assert "█" in out
    md = run("model", str(SPECS / "vgg16.yaml"), "--format", "markdown").stdout
    assert "**15,470,264,320**" in md
    csv_lines = run("model", str(SPECS / "vgg16.yaml"), "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("section,index,name,type,in,out,kernel,mults,params,share")
    assert any(line.startswith("total,,VGG-16,,224x224x3,1x1x1000,,15470264320,138357544") for line in csv_lines)


BAD_MODELS = [
    (
        "input: 8x8x3\nlayers:\n  - {name: c1, k: 3, out: 16, stride: 2}\n  - {name: c2, k: 5, out: 16}\n",
        ["4:5:", "layer 2 'c2'", "input 3x3x16", "kernel 5x5 does not fit"],
    ),
    (
        "input: 8x8x3\nlayers:\n  - {type: linear, out: 10, features: 100}\n",
        ["3:5:", "layer 1", "input 8x8x3", "expects 100 input features", "192"],
    ),
    (
        "input: 8x8x3\nlayers:\n  - branches:\n      - [{type: pointwise, out: 4}]\n      - [{type: maxpool, k: 2}]\n",
        ["3:5:", "branches of different HxW", "8x8", "4x4"],
    ),
    ("input: 8x8x3\nlayers:\n  - {type: convv, k: 3, out: 4}\n", ["3:12:", "unknown layer type 'convv'", "did you mean 'conv'"]),
    ("input: 8x8x3\nlayers:\n  - {k: 3, out: 4, strid: 2}\n", ["3:20:", "'strid'", "did you mean 'stride'"]),
    ("input: 8x8x3\nlayers:\n  - {type: linear, out: 4, padding: 1}\n", ["3:28:", "linear layer takes no key 'padding'"]),
    ("input: 8x8x3\ndefaults: {paddin: same}\nlayers:\n  - {k: 3, out: 4}\n", ["2:12:", "'paddin'", "did you mean 'padding'"]),
    ("input: 8x8x3\nlayer:\n  - {k: 3, out: 4}\n", ["2:1:", "'layer'", "did you mean 'layers'"]),
    ("input: 8x8x8x8x8\nlayers:\n  - {k: 3, out: 4}\n", ["1:8:", "input", "HxWxC"]),
    ("layers:\n  - {k: 3, out: 4}\n", ["1:1:", "needs the key 'input'"]),
    ("input: 8x8x3\nlayers: []\n", ["no layers"]),
    ("input: 8x8x3\nlayers:\n  - {k: 3}\n", ["3:5:", "needs the key 'out'"]),
    ("input: 8x8x3\nlayers:\n  - {k: 3, out: 4, as: fft}\n", ["3:24:", "as", "'fft'"]),
    ("input: 8x8x3\nlayers:\n  - {k: 3, out: 4, as: stacked-3x3}\n", ["as: stacked-3x3 does not apply"]),
    ("input: 8x8x3\nlayers:\n  - {repeat: 3, k: 3, out: 4}\n", ["'repeat' belongs to a block"]),
    ("input: 8x8x3\nlayers:\n  - {residual: sideways, layers: [{k: 1, out: 3}]}\n", ["residual", "'sideways'"]),
    ("input: 8x8x3\nlayers:\n  - {repeat: 1000000000, layers: [{type: pointwise, out: 3}]}\n", ["1,000,000,000 layers", "100,000"]),
    (
        "input: 8x8x3\nlayers:\n  - repeat: 1000\n    layers:\n      - repeat: 1000\n        layers: [{type: pointwise, out: 3}]\n",
        ["1,000,000 layers"],
    ),
    ("input: 8x8x3\nlayers:\n  - &a {layers: [{type: pointwise, out: 3}, *a]}\n", ["contains it"]),
    ("input: 8x8x3\nlayers: !!python/name:os.system\n", ["not allowed"]),
]


@pytest.mark.parametrize(("text", "fragments"), BAD_MODELS)
def test_bad_model_files(tmp_yaml, text: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Each bad model file: file:line:column, the layer and its input where it applies, exit 2."""
    assert_user_error(run("model", tmp_yaml(text)), *fragments)


def test_alias_bomb_is_refused_quickly(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """30 levels of doubling aliases (2^31 layers) are refused without expanding them."""
    lines = ["input: 8x8x1", "layers:", "  - &l0 {layers: [{type: pointwise, out: 1}, {type: pointwise, out: 1}]}"]
    lines += [f"  - &l{i} {{layers: [*l{i - 1}, *l{i - 1}]}}" for i in range(1, 31)]
    start = time.perf_counter()
    assert_user_error(run("model", tmp_yaml("\n".join(lines) + "\n")), "layers; at most 100,000")
    assert time.perf_counter() - start < 30  # generous: a hang, not speed, is what this catches


def test_whatif_reference_row_stays_as_written_under_method() -> None:
    """With --method, the per-layer rows are the variant's, but the what-if's "as written" row keeps the model as written."""
    written = run_json("model", str(SPECS / "vgg16.yaml"))["totals"]
    result = run("model", str(SPECS / "vgg16.yaml"), "--method", "depthwise-separable", "--format", "markdown")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("| as written"))
    assert f"{written['mults']:,}" in row
    assert f"{written['params']:,}" in row


@pytest.mark.parametrize(
    "layer",
    [
        {"in": "7x7x320", "k": "1", "out": "1280"},  # a 1x1 conv: low-rank applies
        {"in": "14x14x64", "k": "3", "out": "64", "groups": "2"},  # grouped: none applies
        {"in": "14x14x64", "k": "3", "out": "64", "groups": "64"},  # depthwise as a conv
        {"in": "16x16x8", "k": "5", "out": "24", "stride": "2", "padding": "2"},
    ],
)
def test_model_whatif_offers_what_layer_offers(tmp_yaml, layer: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """A one-layer model's what-if applies each factorization exactly where `convcost layer` does, with the same figures."""
    flags = [part for key, value in layer.items() for part in (f"--{key}", value)]
    methods = {m["method"]: m for m in run_json("layer", *flags)["methods"]}
    keys = ", ".join(f"{key}: {value}" for key, value in layer.items() if key != "in")
    whatif = {w["method"]: w for w in run_json("model", tmp_yaml(f"input: {layer['in']}\nlayers:\n  - {{{keys}}}\n"))["whatif"]}
    assert set(whatif) == set(methods) - {"standard"}
    for name, row in whatif.items():
        applies = methods[name]["applicable"]
        assert row["layers_changed"] == (1 if applies else 0), name
        expected = methods[name]["mults"] if applies else methods["standard"]["mults"]
        assert row["mults"] == expected, name


def test_mobilenet_v2_low_rank_whatif_covers_its_1x1_layers() -> None:
    """MobileNetV2's 1x1 layers, most of its cost, are low-rank candidates: each changed one is costed at its own rank."""
    data = run_json("model", str(SPECS / "mobilenet_v2.yaml"))
    low_rank = {w["method"]: w for w in data["whatif"]}["low-rank"]
    ones = [row for row in data["layers"] if row["type"] in ("conv", "pointwise") and row["kernel"].startswith("1x1")]
    assert len(ones) >= 30
    assert low_rank["layers_changed"] >= len(ones)
    assert low_rank["mults_reduction_pct"] > 50


# --- issue 21: model takes what layer takes, and says it the same way -------------------------


def test_model_method_standard_is_the_model_as_written() -> None:
    """`model --method standard` is accepted as `layer` accepts it, and prints exactly the model as written."""
    path = str(SPECS / "mobilenet_v1.yaml")
    for fmt in ("table", "json", "csv"):
        with_standard = run("model", path, "--method", "standard", "--format", fmt)
        assert with_standard.exit_code == 0, with_standard.stderr
        assert with_standard.stdout == run("model", path, "--format", fmt).stdout, fmt


def test_model_json_gives_kernel_and_stride_as_lists_beside_the_text() -> None:
    """Each layer keeps "kernel": "3x3/2" and adds "k" and "stride" as lists, as layer JSON has them (null without a kernel)."""
    layers = {row["name"]: row for row in _model("mobilenet_v1.yaml")["layers"]}
    assert (layers["conv1"]["kernel"], layers["conv1"]["k"], layers["conv1"]["stride"]) == ("3x3/2", [3, 3], [2, 2])
    assert (layers["dw_pw.dw2"]["kernel"], layers["dw_pw.dw2"]["k"], layers["dw_pw.dw2"]["stride"]) == ("3x3", [3, 3], [1, 1])
    assert (layers["dw_pw.pw3"]["k"], layers["dw_pw.pw3"]["stride"]) == ([1, 1], [1, 1])
    assert (layers["pool"]["kernel"], layers["pool"]["k"], layers["pool"]["stride"]) == ("global", None, None)
    assert (layers["fc"]["kernel"], layers["fc"]["k"]) == ("", None)


def test_model_json_lists_an_asymmetric_stride_per_axis(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A 1x7 kernel at stride 1x2 is "1x7/1x2" as text and [1, 7], [1, 2] as lists."""
    spec = tmp_yaml("input: 16x16x4\nlayers: [{k: 1x7, out: 8, stride: 1x2, padding: 0x3}]\n")
    row = run_json("model", spec, "--format", "json")["layers"][0]
    assert (row["kernel"], row["k"], row["stride"]) == ("1x7/1x2", [1, 7], [1, 2])


@pytest.mark.parametrize("method", [None, "low-rank"])
def test_model_json_names_the_method_as_method_and_keeps_variant(method: str | None) -> None:
    """The model JSON's "method" is the --method shown (null: as written), and "variant" keeps the same value."""
    data = _model("vgg16.yaml", *(("--method", method) if method else ()))
    assert data["method"] == data["variant"] == method


def test_model_csv_has_a_speedup_column_for_each_whatif_row() -> None:
    """The what-if CSV rows end with speedup = as-written mults / the row's mults; layer rows leave it empty."""
    lines = run("model", str(SPECS / "examples" / "base.yaml"), "--format", "csv").stdout.splitlines()
    header = lines[0].split(",")
    assert header[-1] == "speedup"
    total = 884_736 + 52_428_800 + 37_748_736 + 589_824 + 640
    rows = {r[2]: r for r in (line.split(",") for line in lines[1:]) if r[0] == "whatif"}
    dws = rows["depthwise-separable"]
    assert float(dws[-1]) == total / int(dws[header.index("mults")])
    assert all(line.endswith(",") for line in lines[1:] if line.startswith("layer,"))


def test_a_computed_size_past_30_digits_is_refused_at_once(tmp_yaml: Any) -> None:
    """Chained 30-digit upsamples: the first output with a dimension past 30 digits is refused, naming the layer (not
    an internal error after minutes of growing sizes); the API raises ConvcostError for it too."""
    import convcost

    text = "input: 1x1x1\nlayers:\n  - {repeat: 3000, layers: [{type: upsample, scale: 999999999999999999999999999999}]}\n"
    path = tmp_yaml(text)
    for fmt in ("json", "table", "csv"):
        assert_user_error(run("model", path, "--format", fmt), "layer 2 'block[2].up2'", "a dimension of more than 30 digits")
    with pytest.raises(convcost.ConvcostError, match="a dimension of more than 30 digits"):
        convcost.cost_model(text)
    one = "input: 1x1x1\nlayers:\n  - {type: upsample, scale: 999999999999999999999999999999}\n"
    assert run_json("model", tmp_yaml(one))["output"] == [999999999999999999999999999999] * 2 + [1]


def test_top_and_sort_show_the_heaviest_rows() -> None:
    """--top N shows the N heaviest rows by mults (ties in network order) and says so; the total stays the network's;
    JSON keeps every row and adds the order."""
    spec = str(SPECS / "mobilenet_v1.yaml")
    data = run_json("model", spec)
    by_mults = sorted(data["layers"], key=lambda r: -r["mults"])  # stable: ties in network order
    top = run_json("model", spec, "--top", "3")
    assert top["layers"] == data["layers"]  # every row, as without --top
    assert top["order"] == {"by": "mults", "top": 3, "rows": [r["name"] for r in by_mults[:3]]}
    assert top["totals"] == data["totals"]
    csv_rows = [line.split(",") for line in run("model", spec, "--top", "3", "--format", "csv").stdout.splitlines()]
    assert [row[1] for row in csv_rows if row[0] == "layer"] == [str(r["index"]) for r in by_mults[:3]]
    table = run("model", spec, "--top", "3").stdout
    assert "The 3 heaviest of 29 rows by mults, heaviest first; the total is the whole network's." in table
    by_params = sorted(data["layers"], key=lambda r: -r["params"])
    assert run_json("model", spec, "--sort", "params")["order"]["rows"] == [r["name"] for r in by_params]
    by_bytes = sorted(run_json("model", spec, "--device", "a100")["layers"], key=lambda r: -r["bytes"])
    ordered = run_json("model", spec, "--sort", "bytes", "--top", "5", "--device", "a100")["order"]["rows"]
    assert ordered == [r["name"] for r in by_bytes[:5]]
    assert_user_error(run("model", spec, "--sort", "bytes"), "--sort bytes needs --device")
    blocks = run_json("model", str(SPECS / "resnet50.yaml"), "--depth", "0", "--top", "3")["order"]["rows"]
    assert blocks == ["layer3-rest", "layer2-rest", "layer1-rest"]  # the block rows shown, by name


def test_sort_by_time_needs_a_device() -> None:
    """--sort time without --device is a mistake (exit 2); with one, rows are ordered by their roofline time."""
    spec = str(SPECS / "mobilenet_v1.yaml")
    assert_user_error(run("model", spec, "--sort", "time"), "--sort time needs --device")
    data = run_json("model", spec, "--sort", "time", "--device", "a100")
    by_time = sorted(data["layers"], key=lambda r: -r["time_s"])
    assert data["order"]["rows"] == [r["name"] for r in by_time]
    assert_user_error(run("model", spec, "--top", "0"), "--top")


def test_branches_that_double_the_channels_are_bounded_too(tmp_yaml: Any) -> None:
    """repeat of branches: [[], []] doubles the channels each pass: refused at the merge past 30 digits, at once."""
    path = tmp_yaml("input: 2x2x1\nlayers:\n  - repeat: 49999\n    layers:\n      - branches: [[], []]\n")
    assert_user_error(run("model", path), "'block[100].concat' (the block's merge)", "a dimension of more than 30 digits")
    fine = tmp_yaml("input: 2x2x1\nlayers:\n  - repeat: 3\n    layers:\n      - branches: [[], []]\n")
    assert run_json("model", fine)["output"] == [2, 2, 8]
