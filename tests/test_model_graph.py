"""The operator graph through `convcost model`: every new layer type, `from:`, `output:`, `--depth` and block subtotals."""

from __future__ import annotations

import json

import pytest
from conftest import SPECS, assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost.core.shapes import Shape


def _layers(tmp_yaml, text: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return run_json("model", tmp_yaml(text))["layers"]  # type: ignore[no-any-return]


def _one(tmp_yaml, input_shape: str, layer: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The single row of a one-layer model."""
    (row,) = _layers(tmp_yaml, f"input: {input_shape}\nlayers:\n  - {layer}\n")
    return row


# --- zero-cost types ---------------------------------------------------------------------

ACTIVATIONS = ["relu", "relu6", "sigmoid", "silu", "swish", "hardswish", "hardsigmoid", "gelu", "tanh", "softmax", "identity", "dropout"]


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_keeps_shape_and_costs_nothing(tmp_yaml, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Activations, identity and dropout: same shape, 0 mults, 0 params."""
    row = _one(tmp_yaml, "7x5x3", f"{{type: {kind}}}")
    assert (row["type"], row["out"], row["mults"], row["params"]) == (kind, [7, 5, 3], 0, 0)


@pytest.mark.parametrize(("kind", "per_channel"), [("prelu", 1), ("batchnorm", 2), ("layernorm", 2)])
def test_prelu_and_norms_count_params_per_channel(tmp_yaml, kind: str, per_channel: int) -> None:  # type: ignore[no-untyped-def]
    """prelu: C params; batchnorm and layernorm: 2C; none has mults."""
    row = _one(tmp_yaml, "9x9x13", f"{{type: {kind}}}")
    assert (row["out"], row["mults"], row["params"]) == ([9, 9, 13], 0, per_channel * 13)


def test_flatten_shuffle_pad_upsample_shapes(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """flatten: 1x1x(HWC); shuffle keeps the shape; pad adds top,bottom,left,right; upsample scales or sets."""
    rows = _layers(
        tmp_yaml,
        """\
input: 6x4x8
layers:
  - {type: shuffle, groups: 4}
  - {type: pad, padding: "1,2,3,4"}
  - {type: pad, padding: 1x0}
  - {type: upsample, scale: 2x3}
  - {type: upsample, size: 5x7, mode: bilinear}
  - {type: flatten}
""",
    )
    assert [r["out"] for r in rows] == [[6, 4, 8], [9, 11, 8], [11, 11, 8], [22, 33, 8], [5, 7, 8], [1, 1, 5 * 7 * 8]]
    assert all(r["mults"] == 0 and r["params"] == 0 for r in rows)


# --- deconv -----------------------------------------------------------------------------


def _deconv_out(size: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """PyTorch's ConvTranspose2d output size, written independently of convcost."""
    return (size - 1) * s - 2 * p + d * (k - 1) + op + 1


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    c=st.sampled_from([1, 2, 4, 6, 12]),
    n=st.sampled_from([1, 2, 3, 6, 12]),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    g=st.sampled_from([1, 2]),
    bias=st.booleans(),
)
def test_deconv_matches_pytorch_formulas(h: int, w: int, c: int, n: int, k: int, s: int, d: int, g: int, bias: bool) -> None:
    """deconv: output as ConvTranspose2d; mults H*W*C*(N/G)*K*K; params K*K*(C/G)*N (+N bias)."""
    from convcost.core.shapes import Shape
    from convcost.ops import OPS

    if c % g or n % g:
        return
    p = (k - 1) // 2 if h > 1 and w > 1 else 0
    op = s - 1 if s > 1 else 0
    attrs = {"k": (k, k), "out": n, "stride": (s, s), "padding": (p, p, p, p), "dilation": (d, d), "groups": g,
             "bias": bias, "output_padding": (op, op)}  # fmt: skip
    ho, wo = _deconv_out(h, k, s, p, d, op), _deconv_out(w, k, s, p, d, op)
    if ho < 1 or wo < 1:
        return
    result = OPS["deconv"].evaluate("deconv", attrs, (Shape(h, w, c),))
    assert result.out == Shape(ho, wo, n)
    assert result.cost.mults == h * w * c * (n // g) * k * k
    assert result.cost.params == k * k * (c // g) * n + (n if bias else 0)


def test_deconv_through_the_cli(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A U-Net up-step: 2x2 stride 2 doubles HxW; 3x3 stride 2 padding 1 output_padding 1 too; bias and bn count."""
    rows = _layers(
        tmp_yaml,
        """\
input: 16x16x64
layers:
  - {type: deconv, k: 2, out: 32, stride: 2, bias: true}
  - {type: deconv, k: 3, out: 16, stride: 2, padding: 1, output_padding: 1, bn: true}
""",
    )
    assert rows[0]["out"] == [32, 32, 32]
    assert rows[0]["mults"] == 16 * 16 * 64 * 32 * 2 * 2
    assert rows[0]["params"] == 2 * 2 * 64 * 32 + 32
    assert rows[0]["kernel"] == "2x2/2"
    assert rows[1]["out"] == [64, 64, 16]
    assert rows[1]["mults"] == 32 * 32 * 32 * 16 * 3 * 3
    assert rows[1]["params"] == 3 * 3 * 32 * 16 + 2 * 16


def test_deconv_is_not_factorized(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The what-if changes conv layers only: a deconv stays as written."""
    data = run_json("model", tmp_yaml("input: 8x8x8\nlayers:\n  - {type: deconv, k: 3, out: 8}\n"))
    assert all(w["layers_changed"] == 0 for w in data["whatif"])


# --- se ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "squeeze", "bias"),
    [("squeeze: 8", 8, True), ("ratio: 4", 24 // 4, True), ("ratio: 100", 1, True), ("squeeze: 6, bias: false", 6, False)],
)
def test_se_costs_two_1x1_convs_on_the_pooled_vector(tmp_yaml, keys: str, squeeze: int, bias: bool) -> None:  # type: ignore[no-untyped-def]
    """se: 2*C*S mults, 2*C*S params (+ S + C with bias); ratio r gives max(1, C // r)."""
    row = _one(tmp_yaml, "10x10x24", f"{{type: se, {keys}}}")
    c = 24
    assert row["out"] == [10, 10, 24]
    assert row["mults"] == 2 * c * squeeze
    assert row["params"] == 2 * c * squeeze + ((squeeze + c) if bias else 0)


# --- from:, add, concat, output: ----------------------------------------------------------

DENSE = """\
input: 8x8x16
layers:
  - {name: a, k: 3, out: 8, padding: 1}
  - {name: b, k: 3, out: 8, padding: 1}
  - {name: ab, type: concat, from: [a, b, input]}
  - {name: c, type: pointwise, out: 16}
  - {name: sum, type: add, from: [c, input]}
  - {name: side, k: 1, out: 4, from: a}
  - {name: head, type: linear, out: 10, from: sum}
"""


def test_from_concat_and_add_wire_the_graph(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """from: takes an earlier layer's output (or input); concat sums channels; add keeps the shape."""
    rows = {r["name"]: r for r in _layers(tmp_yaml, DENSE)}
    assert rows["b"]["in"] == [8, 8, 8]
    assert rows["ab"]["out"] == [8, 8, 8 + 8 + 16]
    assert rows["c"]["in"] == [8, 8, 32]
    assert rows["sum"]["out"] == [8, 8, 16]
    assert rows["side"]["in"] == [8, 8, 8]
    assert rows["side"]["mults"] == 8 * 8 * 8 * 4
    assert rows["head"]["in"] == [8, 8, 16]
    assert rows["head"]["mults"] == 8 * 8 * 16 * 10


def test_output_picks_the_model_output(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """output: names the tensor the model returns; by default it is the last item's."""
    data = run_json("model", tmp_yaml(DENSE + "output: side\n"))
    assert data["output"] == [8, 8, 4]
    assert run_json("model", tmp_yaml(DENSE, "d2.yaml"))["output"] == [1, 1, 10]


def test_block_from_starts_a_block_on_an_earlier_tensor(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A block's from: names its input; a later layer can read the block's output by its name."""
    text = """\
input: 16x16x3
layers:
  - {name: stem, k: 3, out: 8, padding: 1}
  - {name: down, k: 3, out: 16, stride: 2, padding: 1}
  - name: skip
    from: stem
    layers: [{type: maxpool, k: 2}, {type: pointwise, out: 16}]
  - {type: add, from: [down, skip]}
"""
    rows = _layers(tmp_yaml, text)
    assert rows[2]["name"] == "skip.pool3"
    assert rows[2]["in"] == [16, 16, 8]
    assert rows[-1]["out"] == [8, 8, 16]


@pytest.mark.parametrize(
    ("layers", "fragments"),
    [
        ("  - {name: a, k: 1, out: 4}\n  - {type: add, from: [a, b]}\n  - {name: b, k: 1, out: 4}\n", ["4:23", "'b'", "later layer"]),
        ("  - {name: a, k: 1, out: 4, from: a}\n", ["3:35", "'a'", "itself"]),
        ("  - {name: alpha, k: 1, out: 4}\n  - {type: concat, from: [alpha, alhpa]}\n",
         ["4:26", "unknown layer 'alhpa'", "did you mean 'alpha'"]),
        ("  - {name: a, k: 1, out: 4}\n  - {name: a, k: 1, out: 4}\n  - {type: add, from: [a, input]}\n", ["'a'", "must be unique"]),
        ("  - {name: a, k: 3, out: 4}\n  - {name: b, k: 1, out: 4, from: input}\n  - {type: add, from: [a, b]}\n",
         ["5:5", "add needs inputs of one shape", "'a' gives 6x6x4", "'b' gives 8x8x4"]),
        ("  - {name: a, k: 3, out: 4}\n  - {type: add, from: [a, input]}\n", ["4:5", "'a' gives 6x6x4", "the model input gives 8x8x3"]),
        ("  - {name: a, k: 3, out: 4}\n  - {type: concat, from: [a, input]}\n", ["one height and width", "'a' gives 6x6x4"]),
        ("  - {type: add}\n", ["3:5", "from:"]),
        ("  - {type: concat, from: a}\n", ["3:26", "two or more"]),
    ],
)  # fmt: skip
def test_bad_references_and_shapes_name_both_sides(tmp_yaml, layers: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Unknown, later, self and ambiguous references and mismatched merges: file:line:col, names, one line."""
    assert_user_error(run("model", tmp_yaml("input: 8x8x3\nlayers:\n" + layers)), *fragments)


@pytest.mark.parametrize(
    ("layer", "fragments"),
    [
        ("{type: se}", ["3:5", "exactly one of squeeze"]),
        ("{type: upsample}", ["exactly one of scale"]),
        ("{type: upsample, scale: 2, mode: cubic}", ["3:38", "mode", "nearest, bilinear", "cubic"]),
        ("{type: shuffle, groups: 5}", ["3:5", "groups 5", "8 channels"]),
        ("{type: pad, padding: same}", ["3:26", "top,bottom,left,right"]),
        ("{type: deconv, k: 3, out: 4, stride: 2, output_padding: 2}", ["output_padding 2", "smaller than the stride"]),
        ("{type: deconv, k: 1, out: 4, padding: 5}", ["leaves no output"]),
        ("{type: relu, k: 3}", ["3:18", "a relu layer takes no key"]),
        ("{type: rleu}", ["3:12", "unknown layer type 'rleu'", "did you mean 'relu'"]),
    ],
)
def test_new_types_refuse_bad_keys_with_locations(tmp_yaml, layer: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Every new type's bad values: exit 2, one Error line with file:line:col."""
    assert_user_error(run("model", tmp_yaml(f"input: 8x8x8\nlayers:\n  - {layer}\n")), *fragments)


def test_existing_blocks_lower_to_the_same_figures() -> None:
    """ResNet-50 (residual project/identity, repeat) and MobileNetV2 keep their published totals."""
    assert run_json("model", str(SPECS / "resnet50.yaml"))["totals"] == {"mults": 4_089_184_256, "params": 25_557_032}
    assert run_json("model", str(SPECS / "mobilenet_v2.yaml"))["totals"] == {"mults": 300_774_272, "params": 3_504_872}


# --- blocks and --depth ---------------------------------------------------------------------


def test_json_blocks_are_subtotals_of_their_layers() -> None:
    """JSON lists every block with its depth, layer count, mults and params; they add up to the layers'."""
    data = run_json("model", str(SPECS / "resnet50.yaml"))
    blocks = {b["name"]: b for b in data["blocks"]}
    layer1 = [r for r in data["layers"] if r["name"].startswith("layer1.")]
    assert blocks["layer1"] == {"name": "layer1", "depth": 0, "layers": 4,
                                "mults": sum(r["mults"] for r in layer1), "params": sum(r["params"] for r in layer1)}  # fmt: skip
    rest = blocks["layer3-rest"]
    assert (rest["depth"], rest["layers"]) == (0, 5 * 3)
    assert blocks["layer3-rest[2]"]["depth"] == 1
    top = [b for b in data["blocks"] if b["depth"] == 0]
    outside = [r for r in data["layers"] if "." not in r["name"]]
    assert sum(b["mults"] for b in top) + sum(r["mults"] for r in outside) == data["totals"]["mults"]


def test_depth_collapses_blocks_into_subtotal_rows() -> None:
    """--depth 0 shows top-level items only: ResNet-50 fits in one screen; totals are unchanged."""
    result = run("model", str(SPECS / "resnet50.yaml"), "--depth", "0", "--format", "csv")
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.startswith("layer,")]
    names = [line.split(",")[2] for line in rows]
    assert names == ["conv1", "maxpool", "layer1", "layer1-rest", "layer2", "layer2-rest", "layer3", "layer3-rest",
                     "layer4", "layer4-rest", "avgpool", "fc"]  # fmt: skip
    assert ",block," in rows[2]
    table = run("model", str(SPECS / "resnet50.yaml"), "--depth", "1")
    assert table.exit_code == 0
    full = run("model", str(SPECS / "resnet50.yaml"))
    assert len(table.stdout.splitlines()) < len(full.stdout.splitlines()) - 20  # fewer rows: blocks collapsed
    assert "4,089,184,256" in table.stdout


def test_depth_must_be_a_whole_number(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--depth -1: one Error line, exit 2."""
    assert_user_error(run("model", str(SPECS / "resnet50.yaml"), "--depth", "-1"), "--depth")


# --- the schema -----------------------------------------------------------------------------


def test_schema_covers_every_type_and_from(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The JSON Schema accepts the new types and from:/output:, and rejects their unknown keys."""
    import jsonschema
    import yaml

    schema = json.loads(run("schema").stdout)
    good = yaml.safe_load(DENSE + "output: side\n")
    good["layers"] += [{"type": "se", "ratio": 4}, {"type": "deconv", "k": 2, "out": 4, "stride": 2, "output_padding": 1},
                       {"type": "upsample", "scale": "2x2", "mode": "nearest"}, {"type": "pad", "padding": "1,0,0,1"},
                       {"type": "shuffle", "groups": 2}, {"type": "prelu"}, {"type": "layernorm"}]  # fmt: skip
    jsonschema.validate(good, schema)
    for bad in ({"type": "relu", "k": 3}, {"type": "add", "from": "a"}, {"type": "se", "squash": 3}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"input": "8x8x3", "layers": [bad]}, schema)


def test_readme_type_table_lists_every_registered_type() -> None:
    """Every op in the registry has a row in docs/model-files.md's table of types, and no row names an unknown type."""
    import re

    from conftest import ROOT

    from convcost.ops import OPS

    page = (ROOT / "docs" / "model-files.md").read_text(encoding="utf-8")
    table = page.split("- **Layer types and their keys**", 1)[1].split("\n\n", 2)[1]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("  | `")]
    listed = {name for cell in first_cells for name in re.findall(r"`([a-z0-9]+)`", cell)}
    assert listed == set(OPS)


# --- hostile graphs (the independent attack's cases) ------------------------------------------


def test_a_layer_may_not_take_the_name_input(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """'input' means the model input in from:; a layer named so is refused instead of silently taking it over."""
    text = "input: 8x8x4\nlayers:\n  - {name: input, k: 3, out: 16}\n  - {name: x, k: 1, out: 2, from: input}\n"
    assert_user_error(run("model", tmp_yaml(text)), "3:12", "'input' is reserved")


def test_aliased_from_lists_count_toward_the_work_cap(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A 10,000-name from: list aliased 1,000 times is refused at once, not costed for minutes."""
    names = ", ".join(["input"] * 10_000)
    text = f"input: 8x8x3\nlayers:\n  - {{type: concat, from: &L [{names}]}}\n" + "  - {type: concat, from: *L}\n" * 999
    assert_user_error(run("model", tmp_yaml(text)), "at most 200,000")


def test_long_names_are_refused_before_expansion(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A 2 MB block name repeated 10,000 times is refused by its length; nested prefixes are capped too."""
    text = "input: 8x8x3\nlayers:\n  - name: " + "A" * 2_000_000 + "\n    repeat: 10000\n    layers: [{type: relu}]\n"
    assert_user_error(run("model", tmp_yaml(text)), "name:", "at most 1,000")
    nested = "input: 8x8x3\nlayers:\n" + "".join(f"{'  ' * i}  - name: {'B' * 300}\n{'  ' * i}    layers:\n" for i in range(4))
    nested += "  " * 4 + "  - {type: relu}\n"
    assert_user_error(run("model", tmp_yaml(nested, "n.yaml")), "full name", "at most 1,000")


def test_output_errors_say_output_and_empty_blocks_say_empty(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """output: names its own key in errors; a model of empty blocks is 'no layers', not an output error."""
    assert_user_error(run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {k: 1, out: 2}\noutput: nope\n")), "output: unknown layer 'nope'")
    assert_user_error(run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {repeat: 2, layers: []}\n", "e.yaml")), "no layers")


@pytest.mark.parametrize(("layer", "fragments"), [
    ("{k: 3, out: 8, as: standard, rank: 2}", ["rank:", "built as standard"]),
    ("{k: 3, out: 8, as: tucker2, mid: 3}", ["mid:", "built as tucker2", "rank:"]),
    ("{k: 3, out: 8, as: spatial-separable, rank: 3}", ["rank:", "takes mid:"]),
])  # fmt: skip
def test_as_layers_refuse_keys_their_method_ignores(tmp_yaml, layer: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """as: with a rank or mid the chosen factorization does not use is an error, not silently ignored."""
    assert_user_error(run("model", tmp_yaml(f"input: 8x8x8\nlayers:\n  - {layer}\n")), "3:5", *fragments)


def test_layer_flags_lower_into_a_one_node_graph(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """convcost layer builds the same graph a one-layer model file does: one conv node, the same output and cost."""
    from convcost.analysis.layer import cost_layer_graph
    from convcost.factorize import LayerSpec
    from convcost.frontends.fields import layer_graph

    spec = LayerSpec(Shape(10, 20, 3), 8, (1, 7), padding=(0, 0, 3, 3), name="inception_1x7")
    graph = layer_graph(spec)
    (node,) = graph.nodes
    assert (node.op, node.name, graph.shapes[0]) == ("conv", "inception_1x7", Shape(10, 20, 8))
    report = cost_layer_graph(graph, spec)
    assert report.conv.mults == 10 * 20 * 8 * 3 * 1 * 7 == 33_600
    model = run_json("model", tmp_yaml("input: 10x20x3\nlayers:\n  - {name: inception_1x7, k: 1x7, out: 8, padding: 0x3}\n"))
    assert model["layers"][0]["mults"] == report.conv.mults
    assert model["layers"][0]["out"] == report.conv.out.as_list()
    layer = run_json("layer", "--in", "10x20x3", "--k", "1x7", "--out", "8", "--padding", "0x3")
    assert layer["methods"][0]["mults"] == report.conv.mults


def test_method_table_says_why_deconv_layers_stay() -> None:
    """Under --method, the table and Markdown say which deconv layers the variant leaves as written, and why."""
    for fmt in ("table", "markdown"):
        out = run("model", str(SPECS / "unet_small.yaml"), "--method", "low-rank", "--format", fmt).stdout
        assert "Left as written under low-rank: up3, up2, up1 (a transposed convolution is not factorized)." in out
    assert "Left as written" not in run("model", str(SPECS / "unet_small.yaml")).stdout


def test_whatif_alternatives_keep_no_stages_and_rebuild_the_same_ones() -> None:
    """A layer's what-if alternatives hold no stages (memory for networks of distinct layers); read, the stages
    are rebuilt from the chosen rank and are exactly the factorization's own, cost for cost."""
    from convcost.analysis.network import cost_graph
    from convcost.factorize import MethodOptions, apply
    from convcost.frontends import load_graph

    report = cost_graph(load_graph(str(SPECS / "resnet50.yaml")))
    seen = 0
    for row in report.layers:
        for alt in row.alternatives:
            if alt is None:
                continue
            seen += 1
            assert alt.ranks().stages == ()
            assert alt.conv is not None
            rebuilt = alt.result
            assert rebuilt.stages == apply(rebuilt.method, alt.conv, MethodOptions()).stages
            assert sum(s.mults for s in rebuilt.stages) == alt.cost.mults
    assert seen > 50


# --- issue 21: PyTorch's names and typos in model files -----------------------------------------


def test_model_layers_take_pytorch_names_and_defaults_too(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """kernel_size and out_channels work in a model layer and in defaults:, costing as k and out do."""
    spec = tmp_yaml("input: 8x8x3\ndefaults: {kernel_size: 3}\nlayers:\n  - {out_channels: 4}\n  - {type: maxpool, kernel_size: 2}\n")
    data = run_json("model", spec, "--format", "json")
    assert [(r["type"], r["kernel"], r["out"]) for r in data["layers"]] == [("conv", "3x3", [6, 6, 4]), ("maxpool", "2x2/2", [3, 3, 4])]
    assert data["totals"]["mults"] == 6 * 6 * 4 * 3 * 3 * 3


def test_model_key_typos_and_in_channels_are_explained(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """kernel: suggests k; in_channels says the channels come from the input; both names of one key are refused."""
    assert_user_error(run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {kernel: 3, out: 4}\n")), "unknown key 'kernel'; did you mean 'k'?")
    assert_user_error(
        run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {in_channels: 3, k: 3, out: 4}\n")),
        ":3:6: a conv layer takes no key 'in_channels': its input channels are those of the layer before it",
    )
    assert_user_error(
        run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {k: 3, out: 4, out_channels: 4}\n")),
        "'out_channels' is PyTorch's name for 'out', which is given too",
    )
