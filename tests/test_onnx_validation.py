"""An ONNX file is checked as a model file is: sizes, attributes, node consistency and entry counts, one named error each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import ROOT, assert_user_error, run, run_json
from onnx import TensorProto, helper
from onnx_cases import init, save

# --- 1. every size >= 1 ---------------------------------------------------------------


def test_conv_transpose_whose_pads_exceed_its_output_is_refused(tmp_path: Path) -> None:
    """ConvTranspose on 2x8 with kernel 3 and pads 5 on the height: the deconv rule refuses it (never -6x10x4)."""
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", pads=[5, 0, 5, 0])
    path = save(tmp_path / "t.onnx", [node], [("x", [1, 4, 2, 8])], ["y"], [init("w", [4, 4, 3, 3])])
    # (2 - 1) * 1 - 10 + 1 * (3 - 1) + 0 + 1 = -6 rows
    assert_user_error(run("model", path), "node 'up' (ConvTranspose)", "the padding 5,5,0,0 leaves no output (-6x10) for input 2x8")


def test_negative_pad_that_empties_the_tensor_is_refused(tmp_path: Path) -> None:
    """Pad of -3 per side on 4x4: the output would be -2x-2, refused naming the node, the tensor and the shape;
    -1 per side on 6x6 (a crop, which ONNX allows) is 4x4x3."""
    node = helper.make_node("Pad", ["x", "p"], ["y"], name="crop")
    pads = init("p", [8], np.int64, [0, 0, -3, -3, 0, 0, -3, -3])
    path = save(tmp_path / "p.onnx", [node], [("x", [1, 3, 4, 4])], ["y"], [pads], opset=13)
    assert_user_error(run("model", path), "node 'crop' (Pad)", "output 'y' would be 1x3x-2x-2", "expected every dimension to be 1 or more")
    crop = init("p", [8], np.int64, [0, 0, -1, -1, 0, 0, -1, -1])
    path = save(tmp_path / "p.onnx", [node], [("x", [1, 3, 6, 6])], ["y"], [crop], opset=13)
    assert run_json("model", path, "--all-ops")["layers"][0]["out"] == [6 - 2, 6 - 2, 3]


# --- 2. attribute types and ranges ----------------------------------------------------


def _gemm(tmp_path: Path, trans_b: onnx.AttributeProto) -> str:
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")
    node.attribute.append(trans_b)
    return save(tmp_path / "g.onnx", [node], [("x", [1, 4])], ["y"], [init("w", [16, 4])])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0", "attribute transB is the STRING '0'; expected an INT (0 or 1)"),
        (0.5, "attribute transB is the FLOAT 0.5; expected an INT (0 or 1)"),
    ],
)
def test_gemm_trans_b_of_the_wrong_type_is_refused(tmp_path: Path, value: object, fragment: str) -> None:
    """Gemm's transB as the string "0" or the float 0.5 is refused (it was read as true: 4x the mults)."""
    assert_user_error(run("model", _gemm(tmp_path, helper.make_attribute("transB", value))), "node 'fc' (Gemm)", fragment)


def test_gemm_trans_b_out_of_range_is_refused(tmp_path: Path) -> None:
    """transB 2 is neither 0 nor 1; transB 1 on a 16x4 weight is N = 16, K = 4."""
    assert_user_error(run("model", _gemm(tmp_path, helper.make_attribute("transB", 2))), "attribute transB 2; expected 0 or 1")
    assert run_json("model", _gemm(tmp_path, helper.make_attribute("transB", 1)))["totals"]["mults"] == 1 * 16 * 4


def _conv(tmp_path: Path, weight: list[int] | None = None, x: list[int] | None = None, **attrs: Any) -> str:
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    return save(tmp_path / "c.onnx", [node], [("x", x or [1, 4, 8, 8])], ["y"], [init("w", weight or [8, 4, 3, 3])])


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"group": "1"}, "attribute group is the STRING '1'; expected an INT (a whole number >= 1)"),
        ({"group": 1.0}, "attribute group is the FLOAT 1.0; expected an INT (a whole number >= 1)"),
        ({"group": -2}, "attribute group -2; expected a whole number >= 1"),
        ({"strides": [1, 0]}, "attribute strides [1, 0]; expected whole numbers >= 1"),
        ({"strides": 2}, "attribute strides is the INT 2; expected an INTS (whole numbers >= 1)"),
        ({"dilations": [0, 1]}, "attribute dilations [0, 1]; expected whole numbers >= 1"),
        ({"pads": [1, -1, 1, 1]}, "attribute pads [1, -1, 1, 1]; expected whole numbers >= 0"),
        ({"auto_pad": "SAME_MIDDLE"}, "attribute auto_pad 'SAME_MIDDLE'; expected one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
        ({"auto_pad": 1}, "attribute auto_pad is the INT 1; expected an STRING"),
        ({"kernel_shape": [3, 0]}, "attribute kernel_shape [3, 0]; expected whole numbers >= 1"),
    ],
)
def test_conv_attributes_of_the_wrong_type_or_range_are_refused(tmp_path: Path, attrs: dict[str, Any], fragment: str) -> None:
    """Each attribute a Conv reads: its declared type and its range, named with the value as it is stored."""
    assert_user_error(run("model", _conv(tmp_path, **attrs)), "node 'conv' (Conv)", fragment)


def test_pool_and_resize_attributes_are_checked(tmp_path: Path) -> None:
    """MaxPool ceil_mode 2 and Resize mode 'bicubic' are refused by name."""
    node = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], ceil_mode=2)
    path = save(tmp_path / "m.onnx", [node], [("x", [1, 3, 8, 8])], ["y"])
    assert_user_error(run("model", path), "node 'pool' (MaxPool): attribute ceil_mode 2; expected 0 or 1")
    scales = init("s", [4], np.float32, [1, 1, 2, 2])
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], name="up", mode="bicubic")
    path = save(tmp_path / "r.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [scales])
    assert_user_error(run("model", path), "node 'up' (Resize): attribute mode 'bicubic'; expected one of nearest, linear, cubic")


# --- 3. inconsistent nodes ------------------------------------------------------------


def test_kernel_shape_that_disagrees_with_the_weight_is_refused(tmp_path: Path) -> None:
    """kernel_shape 5x5 with a 3x3 weight: refused (it was costed 3,456 mults, a figure no convolution has)."""
    assert_user_error(
        run("model", _conv(tmp_path, kernel_shape=[5, 5])),
        "node 'conv' (Conv): attribute kernel_shape [5, 5] disagrees with weight 'w', which is 8x4x3x3 (kernel 3x3)",
    )


def test_kernel_that_does_not_fit_is_reported_as_that(tmp_path: Path) -> None:
    """A 5x5 kernel on a 3x3 input: the model file's wording, not "shape inference could not resolve it"."""
    result = run("model", _conv(tmp_path, weight=[8, 4, 5, 5], x=[1, 4, 3, 3]))
    assert_user_error(result, "node 'conv' (Conv): kernel 5x5 does not fit the padded input 3x3 (input 3x3, padding 0,0,0,0)")
    layer = run("layer", "--in", "3x3x4", "--k", "5", "--out", "8")
    assert_user_error(layer, "kernel 5x5 does not fit the padded input 3x3 (input 3x3, padding 0,0,0,0)")


def test_kernel_that_does_not_fit_with_dilation(tmp_path: Path) -> None:
    """A dilated 3x3 (spanning 5x5) on 4x4 with pads: named with its span, as the YAML path names it."""
    result = run("model", _conv(tmp_path, x=[1, 4, 4, 4], dilations=[2, 2], pads=[0, 0, 0, 0]))
    assert_user_error(result, "kernel 3x3 with dilation 2x2 (spans 5x5) does not fit the padded input 4x4")


def test_conv_of_zero_output_channels_is_refused(tmp_path: Path) -> None:
    """A weight of 0 filters: out channels 0 is refused, as `out: 0` is in a model file."""
    assert_user_error(run("model", _conv(tmp_path, weight=[0, 4, 3, 3])), "node 'conv' (Conv)", "1 or more output channels, got 0")


def test_conv_1d_kernel_that_does_not_fit(tmp_path: Path) -> None:
    """The rule holds for any rank: a 1-D kernel of 7 on a length of 5."""
    result = run("model", _conv(tmp_path, weight=[2, 4, 7], x=[1, 4, 5]))
    assert_user_error(result, "kernel 7 does not fit the padded input 5 (input 5, padding 0,0)")


# --- 4. named errors, not internal ones -----------------------------------------------


def test_conv_with_one_input_is_refused(tmp_path: Path) -> None:
    """A Conv with no weight: a named error (it was an internal IndexError)."""
    node = helper.make_node("Conv", ["x"], ["y"], name="conv")
    path = save(tmp_path / "c.onnx", [node], [("x", [1, 3, 8, 8])], ["y"])
    assert_user_error(run("model", path), "node 'conv' (Conv) has 1 input; expected 2 to 3 (X, W, B)")


def test_conv_with_an_empty_weight_name_is_refused(tmp_path: Path) -> None:
    """A Conv whose weight input is the empty name: required, so refused."""
    node = helper.make_node("Conv", ["x", ""], ["y"], name="conv")
    path = save(tmp_path / "c.onnx", [node], [("x", [1, 3, 8, 8])], ["y"])
    assert_user_error(run("model", path), "node 'conv' (Conv): input 1 (W) is required but empty")


def _clip_min(**fields: Any) -> onnx.TensorProto:
    tensor = onnx.TensorProto(name="lo", **{k: v for k, v in fields.items() if k != "location"})
    if "location" in fields:
        tensor.data_location = TensorProto.EXTERNAL
        tensor.external_data.add(key="location", value=fields["location"])
    return tensor


@pytest.mark.parametrize(
    ("tensor", "fragment"),
    [
        (_clip_min(data_type=TensorProto.FLOAT, dims=[0]), "is empty"),
        (_clip_min(data_type=TensorProto.FLOAT, dims=[1], raw_data=b"\x00\x00"), "cannot be read"),
        (_clip_min(data_type=TensorProto.STRING, dims=[1], string_data=[b"0"]), "is STRING"),
        (_clip_min(data_type=0, dims=[1], raw_data=b"\x00" * 4), "is UNDEFINED"),
        (_clip_min(data_type=TensorProto.FLOAT, dims=[], location="absent.bin"), "is stored outside the file"),
    ],
)
def test_clip_bound_that_cannot_be_read_is_refused(tmp_path: Path, tensor: onnx.TensorProto, fragment: str) -> None:
    """Clip's min: empty, too short, text, of no type, or external with no data: a named error."""
    node = helper.make_node("Clip", ["x", "lo"], ["y"], name="clip")
    path = save(tmp_path / "clip.onnx", [node], [("x", [1, 3, 4, 4])], ["y"], [tensor])
    assert_user_error(run("model", path), "node 'clip' (Clip): input 'lo' (min)", fragment)


# --- 6. digits ------------------------------------------------------------------------


def test_tensor_of_more_than_30_digits_of_elements_is_refused(tmp_path: Path) -> None:
    """A rank-8 input of 10**4 per dimension has 10**32 elements: refused (every figure stays exact and printable);
    10**29 elements (30 digits) is read."""
    relu = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    path = save(tmp_path / "big.onnx", relu, [("x", [10**4] * 8)], ["y"])
    assert_user_error(run("model", path), "input 'x' is", "more than 30 digits of elements", "at most 30 digits are accepted")
    assert run("model", save(tmp_path / "ok.onnx", relu, [("x", [10**4] * 7 + [10])], ["y"])).exit_code == 0


def test_initializer_of_huge_dimensions_is_refused(tmp_path: Path) -> None:
    """A stripped weight of 2**62 x 2**62 x ... (no data) is refused by its element count, not costed."""
    weight = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**62] * 4)
    weight.data_location = TensorProto.EXTERNAL
    weight.external_data.add(key="location", value="absent.bin")
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    path = save(tmp_path / "w.onnx", [node], [("x", [1, 1, 2**62, 2**62])], ["y"], [weight])
    assert_user_error(run("model", path), "more than 30 digits of elements")


# --- 7. entry counts ------------------------------------------------------------------


def _model(tmp_path: Path, nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto] | None = None) -> str:
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])]
    graph = helper.make_graph([], "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    graph.node.extend(nodes)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "bomb.onnx"
    path.write_bytes(model.SerializeToString())
    return str(path)


def _refused_fast(path: str, *fragments: str) -> None:
    assert_user_error(run("model", path), *fragments)


def test_node_of_too_many_attributes_is_refused(tmp_path: Path) -> None:
    """A node of 65 attributes is refused while the bytes are counted; 64 are read."""
    node = helper.make_node("Relu", ["x"], ["y"])
    node.attribute.extend([helper.make_attribute("a*2", 1)] * 65)
    _refused_fast(_model(tmp_path, [node]), "a node has more than 64 attributes")
    del node.attribute[64:]
    assert run("model", _model(tmp_path, [node])).exit_code == 0


def test_nodes_of_many_entries_on_average_are_refused(tmp_path: Path) -> None:
    """One Sum of 9,999 inputs is read; three are past 24 inputs, outputs and attributes a node on average (beyond 10,000)."""
    node = helper.make_node("Sum", ["x"] * 9_999, ["y"])
    assert run("model", _model(tmp_path, [node])).exit_code == 0
    _refused_fast(_model(tmp_path, [node] * 3), "more than 24 inputs, outputs and attributes each on average")


def test_ten_nodes_of_9990_attributes_are_refused_at_once(tmp_path: Path) -> None:
    """Attributes whose names hold the bytes of list tags (each walked) cannot add up to a slow file: refused at the 65th."""
    node = helper.make_node("Relu", ["x"], ["y"])
    node.attribute.extend([helper.make_attribute(f"a*2{j}", 1) for j in range(9_990)])
    _refused_fast(_model(tmp_path, [node] * 10), "a node has more than 64 attributes")


def test_node_of_too_many_inputs_is_refused(tmp_path: Path) -> None:
    """A Sum of 10,001 inputs is refused; one of 9,999 is read."""
    _refused_fast(_model(tmp_path, [helper.make_node("Sum", ["x"] * 10_000, ["y"])]), "more than 10,000 inputs, outputs and attributes")
    assert run("model", _model(tmp_path, [helper.make_node("Sum", ["x"] * 9_999, ["y"])])).exit_code == 0


def test_attribute_of_too_many_values_is_refused(tmp_path: Path) -> None:
    """An attribute of 100,001 ints (packed) is refused, counted without being parsed."""
    node = helper.make_node("Relu", ["x"], ["y"], big=list(range(100_001)))
    _refused_fast(_model(tmp_path, [node]), "an attribute has more than 100,000 values")


def test_tensor_of_too_many_dimensions_is_refused(tmp_path: Path) -> None:
    """An input of rank 65 is refused; rank 64 is read."""
    big = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * 65)]
    _refused_fast(_model(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], big), "a tensor has more than 64 dimensions")
    ok = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * 64)]
    assert run("model", _model(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], ok)).exit_code == 0


def test_initializer_of_too_many_dimensions_is_refused(tmp_path: Path) -> None:
    """An initializer of rank 65 (packed dims) is refused."""
    weight = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1] * 65, raw_data=b"\x00" * 4)
    path = save(tmp_path / "w.onnx", [helper.make_node("Add", ["x", "w"], ["y"])], [("x", [1, 1])], ["y"], [weight])
    _refused_fast(path, "a tensor has more than 64 dimensions")


def test_too_many_entries_in_all_are_refused(tmp_path: Path) -> None:
    """20,400 nodes of 24 entries each (23 inputs, an output) and themselves: 510,000 in all, past 500,000: refused."""
    node = helper.make_node("Sum", ["x"] * 23, ["y"])
    _refused_fast(_model(tmp_path, [node] * 20_400), "the model has more than 500,000 entries in all")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _len(number: int, payload: bytes = b"") -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int(number: int, value: int) -> bytes:
    """A varint protobuf field (negative values as int64)."""
    return _varint(number << 3) + _varint(value & (1 << 64) - 1)


def _assemble(tmp_path: Path, node: bytes = b"", graph: bytes = b"", model: bytes = b"", opset: int | None = 17) -> str:
    """A Relu from x (1x3x4x4) to y, with raw fields appended to its node, its graph and its model (protobuf
    reads fields in any order), written to a file."""
    relu = helper.make_node("Relu", ["x"], ["y"], name="r").SerializeToString()
    body = helper.make_graph(
        [],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    head = _int(1, 8) + (_len(8, _int(2, opset)) if opset is not None else b"")
    path = tmp_path / "raw.onnx"
    path.write_bytes(head + _len(7, _len(1, relu + node) + body.SerializeToString() + graph) + model)
    return str(path)


_FIELDS = (
    "more than 16 fields per node besides its entries (doc strings, metadata, annotations, tensor values stored one by one) "
    "beyond a first 10,000"
)


@pytest.mark.parametrize("field", [9, 10], ids=["metadata_props", "device_configurations"])
def test_node_of_many_fields_left_out_is_refused(tmp_path: Path, field: int) -> None:
    """A node of 20,000 metadata_props (or device configurations), which convcost does not read: refused at once."""
    _refused_fast(_assemble(tmp_path, node=_len(field) * 20_000), _FIELDS, "(10,017 for 1 node)")


def test_value_info_graph_and_tensor_fields_left_out_are_counted(tmp_path: Path) -> None:
    """20,000 metadata_props in a value info, quantization annotations in a graph, or unknown fields in a
    sparse tensor: refused as a node's are."""
    value_info = _len(13, _len(1, b"y") + _len(4) * 20_000)
    _refused_fast(_assemble(tmp_path, graph=value_info), _FIELDS)
    _refused_fast(_assemble(tmp_path, graph=_len(14, _len(2)) * 20_000), _FIELDS)
    sparse = _len(1, _len(8, b"s") + _int(2, TensorProto.STRING)) + _len(3, b"\x01") + _len(9) * 20_000
    _refused_fast(_assemble(tmp_path, graph=_len(15, sparse)), _FIELDS)


def test_fields_convcost_does_not_read_are_left_out_unparsed(tmp_path: Path) -> None:
    """A 2 MB model doc string, a node doc string, metadata and a configuration of 100,000 entries: left out of
    the bytes onnx parses (never read), and the model is costed."""
    from convcost.frontends.onnx_read import model_bytes

    big = b"d" * 2_000_000
    path = _assemble(
        tmp_path, node=_len(6, big), graph=_len(10, big), model=_len(6, big) + _len(26, _len(3) * 100_000) + _len(14, _len(1, b"k"))
    )
    assert len(model_bytes(path)) < 1_000
    assert run_json("model", path, "--all-ops")["layers"][0]["out"] == [4, 4, 3]


def test_attribute_of_too_many_type_protos_is_refused(tmp_path: Path) -> None:
    """An attribute of 100,001 type_protos (of one dimension each: empty ones are refused sooner, as other fields):
    past the values an attribute holds."""
    one_dim = _len(1, _int(1, 1) + _len(2, _len(1, _int(1, 1))))
    attribute = _len(1, b"t") + _int(20, 14) + _len(15, one_dim) * 100_001
    _refused_fast(_assemble(tmp_path, node=_len(5, attribute)), "an attribute has more than 100,000 values")


def test_attribute_type_nested_too_deep_is_refused(tmp_path: Path) -> None:
    """An attribute's tp, a sequence of sequences 20 deep: past 8 levels."""
    type_proto = _len(1, _int(1, 1))
    for _ in range(20):
        type_proto = _len(4, _len(1, type_proto))
    attribute = _len(1, b"t") + _int(20, 13) + _len(14, type_proto)
    _refused_fast(_assemble(tmp_path, node=_len(5, attribute)), "a type is nested more than 8 deep")


def _shapes(*ranks: int) -> bytes:
    """A value info 'x', float, of one shape field per rank (protobuf merges them: the ranks add up)."""
    shapes = b"".join(_len(2, _len(1, _int(1, 1)) * rank) for rank in ranks)
    return _len(11, _len(1, b"x") + _len(2, _len(1, _int(1, 1) + shapes)))


def test_repeated_shape_fields_count_together(tmp_path: Path) -> None:
    """Two shape fields of 40 dimensions are one shape of rank 80, refused; two of 32 are rank 64, read."""
    relu = helper.make_node("Relu", ["x"], ["y"], name="r").SerializeToString()
    out = _len(12, _len(1, b"y"))
    for ranks, refused in (((40, 40), True), ((32, 32), False)):
        path = tmp_path / "merged.onnx"
        path.write_bytes(_int(1, 8) + _len(8, _int(2, 17)) + _len(7, _len(1, relu) + _shapes(*ranks) + out))
        result = run("model", str(path))
        if refused:
            assert_user_error(result, "a tensor has more than 64 dimensions")
        else:
            assert result.exit_code == 0, result.stderr


def test_repeated_type_and_attribute_tensor_fields_count_together(tmp_path: Path) -> None:
    """A value info whose type field is repeated, an attribute whose tensor field is, and a sparse initializer of
    65 dims: each past 64 dimensions."""
    type_proto = _len(1, _int(1, 1) + _len(2, _len(1, _int(1, 1)) * 40))
    _refused_fast(_assemble(tmp_path, graph=_len(13, _len(1, b"z") + _len(2, type_proto) * 2)), "more than 64 dimensions")
    tensor = _len(5, _len(1, b"\x01" * 40) + _int(2, 1))
    _refused_fast(_assemble(tmp_path, node=_len(5, _len(1, b"t") + _int(20, 4) + tensor * 2)), "more than 64 dimensions")
    sparse = _len(1, _len(8, b"s") + _int(2, 1)) + _len(3, b"\x01" * 65)
    _refused_fast(_assemble(tmp_path, graph=_len(15, sparse)), "more than 64 dimensions")


def test_large_sparse_initializer_is_stripped(tmp_path: Path) -> None:
    """A sparse initializer of 1 MB of values: its data is left out like a weight's, and the model is costed."""
    from convcost.frontends.onnx_read import model_bytes

    values = onnx.numpy_helper.from_array(np.zeros(250_000, np.float32), "sp")
    indices = onnx.numpy_helper.from_array(np.arange(250_000, dtype=np.int64), "")
    sparse = helper.make_sparse_tensor(values, indices, [1_000_000]).SerializeToString()
    path = _assemble(tmp_path, graph=_len(15, sparse))
    assert len(model_bytes(path)) < 1_000
    assert run("model", path).exit_code == 0


def test_functions_count_as_graphs(tmp_path: Path) -> None:
    """A model-local function's nodes count as nodes (100,001 is past the cap) and their entries as a node's."""
    function = _len(1, b"f") + _len(10, b"d") + _len(7, _len(4, b"Relu")) * 100_001
    _refused_fast(_assemble(tmp_path, model=_len(25, function)), "the graph has more than 100,000 nodes")
    node = _len(4, b"Relu") + _len(5, _len(1, b"a*2") + _int(20, 2) + _int(3, 1)) * 65
    _refused_fast(_assemble(tmp_path, model=_len(25, _len(1, b"f") + _len(7, node))), "a node has more than 64 attributes")
    _refused_fast(_assemble(tmp_path, model=_len(25, _len(1, b"f") + _len(14) * 20_000)), _FIELDS)


def test_string_of_more_than_a_megabyte_is_refused(tmp_path: Path) -> None:
    """A node's op type of 1,000,001 bytes is refused; its doc string, left out, may be any length."""
    _refused_fast(
        _assemble(tmp_path, node=_len(3, b"n" * 1_000_001)),
        "a string (a name, op type, domain or attribute text) has more than 1,000,000 bytes",
    )


def test_kept_bytes_are_capped(tmp_path: Path) -> None:
    """17 nodes named with 1,000,000 bytes each: past 16,000,000 bytes besides the weights."""
    nodes = _len(1, _len(1, b"x") + _len(2, b"y") + _len(4, b"Relu") + _len(3, b"n" * 1_000_000)) * 17
    _refused_fast(_assemble(tmp_path, graph=nodes), "more than 16,000,000 bytes besides its large tensors' data")


def test_too_many_opset_imports_are_refused(tmp_path: Path) -> None:
    """1,001 opset imports (each cheap, together slow to parse): refused."""
    _refused_fast(_assemble(tmp_path, model=_len(8, _len(1, b"x") + _int(2, 1)) * 1_000), "the model has more than 1,000 opset imports")


def test_graph_entries_are_bounded_by_its_nodes(tmp_path: Path) -> None:
    """One node, its input and output and 10,015 value infos (past 16 a node beyond 10,000) are refused before any
    is walked; 10,014 value infos are read."""
    value_infos = _len(13, _len(1, b"y")) * 10_014
    assert run("model", _assemble(tmp_path, graph=value_infos)).exit_code == 0
    too_many = _assemble(tmp_path, graph=value_infos + _len(13, _len(1, b"y")))
    _refused_fast(too_many, "more than 16 inputs, outputs, value infos and initializers per node beyond a first 10,000 (10,017 for 1 node)")


def test_external_data_entries_of_small_tensors_count_as_entries(tmp_path: Path) -> None:
    """260 small initializers (kept) of 2,000 empty external_data entries each: 520,000 entries, past 500,000."""
    tensor = _len(5, _int(1, 1) + _int(2, TensorProto.FLOAT) + _len(8, b"e") + _len(13) * 2_000)
    _refused_fast(_assemble(tmp_path, graph=tensor * 260), "the model has more than 500,000 entries in all")


def test_fields_of_a_stripped_tensor_are_counted(tmp_path: Path) -> None:
    """A large initializer of 20,000 empty external_data entries (dropped with its data): each is a step, counted."""
    tensor = _int(1, 1) + _int(2, TensorProto.FLOAT) + _len(8, b"big") + _len(13) * 20_000
    _refused_fast(_assemble(tmp_path, graph=_len(5, tensor)), _FIELDS)


_REPEATED = {
    "node name": {"node": _len(3) * 20_000},
    "graph name": {"graph": _len(2) * 20_000},
    "opset domain": {"model": _len(8, _len(1) * 20_000 + _len(1, b"x") + _int(2, 1))},
    "value info name": {"graph": _len(13, _len(1) * 20_000 + _len(1, b"q"))},
    "elem_type": {"graph": _len(13, _len(1, b"q") + _len(2, _len(1, _int(1, 1) * 20_000)))},
    "empty shapes": {"graph": _len(13, _len(1, b"q") + _len(2, _len(1, _int(1, 1) + _len(2) * 20_000)))},
    "attribute i": {"node": _len(5, _len(1, b"a") + _int(20, 2) + _int(3, 1) * 20_000)},
    "attribute t": {"node": _len(5, _len(1, b"a") + _int(20, 4) + _len(5) * 20_000)},
    "empty packed ints": {"node": _len(5, _len(1, b"a") + _int(20, 7) + _len(8) * 20_000)},
    "tensor data_type": {"graph": _len(5, _len(8, b"w") + _int(2, 1) * 20_000)},
    "function name": {"model": _len(25, _len(1) * 20_000 + _len(1, b"f") + _len(10, b"d"))},
}


@pytest.mark.parametrize("fields", list(_REPEATED.values()), ids=list(_REPEATED))
def test_repeated_singular_and_empty_fields_are_counted(tmp_path: Path, fields: dict[str, bytes]) -> None:
    """A singular field repeated 20,000 times (protobuf keeps the last), or 20,000 empty fields that hold no
    entry: each repeat a step of the scan, counted as an other field and refused."""
    _refused_fast(_assemble(tmp_path, **fields), _FIELDS)


def test_repeated_sparse_tensor_attribute_counts_its_dimensions_together(tmp_path: Path) -> None:
    """An attribute's sparse_tensor field twice, 40 dimensions each: protobuf merges them into 80, refused."""
    sparse = _len(1, _len(8, b"v") + _int(2, TensorProto.FLOAT)) + _len(3, b"\x01" * 40)
    attribute = _len(1, b"s") + _int(20, 11) + _len(22, sparse) * 2
    _refused_fast(_assemble(tmp_path, node=_len(5, attribute)), "a tensor has more than 64 dimensions")


def _nested_type(depth: int) -> bytes:
    """A TypeProto: a float tensor inside ``depth`` sequences."""
    inner = _len(1, _int(1, 1))
    for _ in range(depth):
        inner = _len(4, _len(1, inner))
    return inner


def test_nested_types_of_an_attribute_count_as_values(tmp_path: Path) -> None:
    """12,000 type_protos of 8 nested sequences: 108,000 types, past an attribute's 100,000 values (each type
    was one value however deep it nested)."""
    attribute = _len(1, b"a") + _int(20, 14) + _len(15, _nested_type(8)) * 12_000
    _refused_fast(_assemble(tmp_path, node=_len(5, attribute)), "an attribute has more than 100,000 values (nested types counted)")


def test_nested_types_of_value_infos_count_as_graph_entries(tmp_path: Path) -> None:
    """2,000 value infos naming no tensor, each 8 sequences deep, for one node: 18,000 graph entries, past 10,016."""
    value_info = _len(13, _len(1, b"v") + _len(2, _nested_type(8)))
    _refused_fast(_assemble(tmp_path, graph=value_info * 2_000), "value infos and initializers per node", "(10,018 for 1 node)")


def test_more_than_10000_functions_are_refused_by_the_scan(tmp_path: Path) -> None:
    """10,001 model-local functions: refused by the scan (onnx refuses them only once all is parsed)."""
    functions = b"".join(_len(25, _len(1, b"f%d" % i) + _len(10, b"d")) for i in range(10_001))
    _refused_fast(_assemble(tmp_path, model=functions), "the model has more than 10,000 model-local functions")


_EMPTY_VALUES = {"graphs": (10, _len(11, _len(2, b"n"))), "tensors": (9, _len(10, _int(2, 1))), "strings": (8, _len(9))}


@pytest.mark.parametrize("kind", list(_EMPTY_VALUES.values()), ids=list(_EMPTY_VALUES))
def test_empty_list_values_are_counted(tmp_path: Path, kind: tuple[int, bytes]) -> None:
    """An attribute of 20,000 empty graphs (tensors, strings) holds no entry but costs protobuf 20,000 objects:
    each counts as an entry and an other field, refused; 100,001 are past the attribute's values."""
    attribute_type, value = kind
    attribute = _len(1, b"a") + _int(20, attribute_type) + value * 20_000
    _refused_fast(_assemble(tmp_path, node=_len(5, attribute)), _FIELDS)
    many = _len(1, b"a") + _int(20, attribute_type) + value * 100_001
    big = _assemble(tmp_path, node=_len(5, many), graph=_len(1, helper.make_node("Relu", ["x"], ["z"]).SerializeToString()) * 10_000)
    _refused_fast(big, "an attribute has more than 100,000 values")


def test_unused_vocabulary_initializer_is_read(tmp_path: Path) -> None:
    """An unused STRING initializer of 30,000 labels (stripped, its values stored one by one): the model is
    costed; the values count towards the total only, not the fields per node."""
    labels = helper.make_tensor("labels", TensorProto.STRING, [30_000], [b"tok%d" % i for i in range(30_000)])
    path = _assemble(tmp_path, graph=_len(5, labels.SerializeToString()))
    assert run_json("model", path, "--all-ops")["layers"][0]["out"] == [4, 4, 3]


@pytest.mark.parametrize("version", [0, -1])
def test_opset_version_below_one_is_named(tmp_path: Path, version: int) -> None:
    """An opset import of version 0 or -1: named with what is expected (it was "the shape of tensor 'y' is unknown")."""
    newest = onnx.defs.onnx_opset_version()
    result = run("model", _assemble(tmp_path, opset=version))
    assert_user_error(result, f"the opset import of domain '' (ai.onnx) has version {version}; expected 1 to {newest}")
    custom = _len(8, _len(1, b"com.acme") + _int(2, version))
    assert_user_error(run("model", _assemble(tmp_path, model=custom)), "domain 'com.acme' has version", "; expected 1 or more")


# --- 14, 15. --input ------------------------------------------------------------------


def _two_inputs(tmp_path: Path, second: list[int | str]) -> str:
    node = helper.make_node("Add", ["a", "b"], ["y"], name="add")
    return save(tmp_path / "two.onnx", [node], [("a", [1, 3, 4, 4]), ("b", second)], ["y"])


def test_second_dynamic_input_is_set_by_name(tmp_path: Path) -> None:
    """A dynamic second input: the error says --input b=..., and following it costs the graph."""
    path = _two_inputs(tmp_path, [1, 3, "h", 4])
    assert_user_error(run("model", path), "input 'b' has dynamic dimension 'h'; give --input b=NxCxHxW")
    data = run_json("model", path, "--all-ops", "--input", "b=1x3x4x4")
    assert data["layers"][0]["out"] == [4, 4, 3]


def test_input_by_name_must_name_an_input(tmp_path: Path) -> None:
    """--input c=... for a graph whose inputs are a and b: refused, naming them."""
    path = _two_inputs(tmp_path, [1, 3, "h", 4])
    result = run("model", path, "--input", "c=1x3x4x4")
    assert_user_error(result, "--input 'c=1x3x4x4': the graph has no input 'c'; its inputs are 'a', 'b'")


def test_rank_9_dynamic_input_is_told_what_input_takes(tmp_path: Path) -> None:
    """A rank-9 dynamic input: the suggested --input is accepted (ranks up to 64 are)."""
    node = helper.make_node("Relu", ["x"], ["y"], name="r")
    path = save(tmp_path / "r9.onnx", [node], [("x", ["n", 1, 1, 1, 1, 1, 1, 1, 1])], ["y"])
    result = run("model", path)
    assert_user_error(result, "give --input with one size per dimension (e.g. 1x1x1x1x1x1x1x1x1)")
    assert run("model", path, "--input", "1x1x1x1x1x1x1x1x1").exit_code == 0


# --- second attack: unknown dimensions, never negative ---------------------------------


def _resize(tmp_path: Path, slot: int, values: list[float]) -> str:
    inputs = ["x", "", "", "sz"] if slot == 3 else ["x", "", "sc"]
    node = helper.make_node("Resize", inputs, ["y"], name="up")
    constant = init("sz", [4], np.int64, values) if slot == 3 else init("sc", [4], np.float32, values)
    return save(tmp_path / "r.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [constant], opset=13)


@pytest.mark.parametrize(("slot", "values", "shape"), [(3, [1, 3, 0, 0], "1x3x0x0"), (3, [1, 3, -4, -4], "1x3x-4x-4")])
def test_resize_to_an_empty_output_is_refused(tmp_path: Path, slot: int, values: list[float], shape: str) -> None:
    """Resize sizes [1,3,0,0] or [1,3,-4,-4] refused naming the node, the tensor and the shape (was [3, -1, -1])."""
    result = run("model", _resize(tmp_path, slot, values))
    assert_user_error(result, "node 'up' (Resize): its output 'y' would be " + shape, "expected every dimension to be 1 or more")


def test_node_without_an_op_type_is_refused(tmp_path: Path) -> None:
    """A node whose op_type is '': an op type is required (it was a row with output [-1])."""
    path = save(tmp_path / "e.onnx", [helper.make_node("", ["x"], ["y"], name="blank")], [("x", [1, 3, 8, 8])], ["y"])
    assert_user_error(run("model", path), "node 'blank' () has no op type; an op type is required")


def test_unknown_dimensions_are_null_in_json(tmp_path: Path) -> None:
    """An If whose branch holds a Conv (control flow costs 0): its unknown output is [null, null, null], never -1."""
    then = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["t"])], "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)]
    )
    other = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["e"])], "else", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)]
    )
    node = helper.make_node("If", ["c"], ["y"], name="branch", then_branch=then, else_branch=other)
    inits = [init("c", [], np.bool_, [True]), init("w", [4, 3, 3, 3])]
    data = run_json("model", save(tmp_path / "if.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], inits))
    assert data["output"] == [None, None, None]
    assert data["totals"]["mults"] == 0
    assert "not costed: 1 x If" in data["notes"]


# --- second attack: auto_pad with explicit pads ----------------------------------------


@pytest.mark.parametrize(
    ("op", "mode"),
    [("Conv", "VALID"), ("Conv", "SAME_UPPER"), ("ConvTranspose", "VALID"), ("MaxPool", "SAME_LOWER"), ("AveragePool", "VALID")],
)
def test_auto_pad_with_explicit_pads_is_refused(tmp_path: Path, op: str, mode: str) -> None:
    """auto_pad other than NOTSET with pads (VALID 3x3 on 8x8 was costed 24x24, 62,208 mults): refused, naming both."""
    inputs, inits = (["x"], []) if op.endswith("Pool") else (["x", "w"], [init("w", [3, 3, 3, 3])])
    attrs: dict[str, Any] = {"kernel_shape": [3, 3]} if op.endswith("Pool") else {}
    node = helper.make_node(op, inputs, ["y"], name="win", auto_pad=mode, pads=[9, 9, 9, 9], **attrs)
    path = save(tmp_path / "a.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], inits)
    assert_user_error(run("model", path), f"node 'win' ({op}): attribute pads [9, 9, 9, 9] with auto_pad '{mode}'", "ONNX forbids")


# --- second attack: inputs, outputs and types against the op's schema -------------------


def test_conv_bias_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    """A bias of 7 values for 4 output channels: refused (it was costed, params 115)."""
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv")
    path = save(tmp_path / "b.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3]), init("b", [7])])
    assert_user_error(run("model", path), "node 'conv' (Conv): bias 'b' is 7; expected 4 values, one per output channel")


def _typed_weight(data_type: int) -> onnx.TensorProto:
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    weight.data_type = data_type
    return weight


@pytest.mark.parametrize(
    ("data_type", "kind"), [(TensorProto.INT64, "INT64"), (TensorProto.STRING, "STRING"), (999, "of undefined type 999")]
)
def test_conv_weight_of_a_type_conv_does_not_take_is_refused(tmp_path: Path, data_type: int, kind: str) -> None:
    """A Conv weight of type INT64, STRING or 999: refused against the schema's type constraint (it was costed)."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    path = save(tmp_path / "t.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [_typed_weight(data_type)])
    assert_user_error(run("model", path), f"node 'conv' (Conv): input 'w' (W) is {kind}; expected a tensor of DOUBLE, FLOAT, FLOAT16")


def test_node_with_more_outputs_than_its_op_is_refused(tmp_path: Path) -> None:
    """A Conv with two outputs: refused (Conv has one)."""
    node = helper.make_node("Conv", ["x", "w"], ["y", "z"], name="conv")
    path = save(tmp_path / "o.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3])])
    assert_user_error(run("model", path), "node 'conv' (Conv) has 2 outputs; expected 1")


# --- second attack: ConvTranspose output_shape ------------------------------------------


@pytest.mark.parametrize(("stride", "wanted", "full"), [(1, 100, 10), (2, 30, 17)])
def test_conv_transpose_output_shape_past_its_full_output_is_refused(tmp_path: Path, stride: int, wanted: int, full: int) -> None:
    """output_shape 100x100 on a full output of 10x10 (negative implied pads; it was costed 100x100x4): refused."""
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[stride, stride], output_shape=[wanted, wanted])
    path = save(tmp_path / "ct.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [init("w", [3, 4, 3, 3])])
    result = run("model", path)
    assert_user_error(
        result, f"node 'up' (ConvTranspose): its output {wanted}x{wanted} is larger than the full transposed output {full}x{full}"
    )
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[stride, stride], output_shape=[full, full])
    path = save(tmp_path / "ct.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [init("w", [3, 4, 3, 3])])
    assert run_json("model", path)["output"] == [full, full, 4]


# --- second attack: --input -------------------------------------------------------------


@pytest.mark.parametrize("text", ["1x3x010x010", "0001x03x010x0010"])
def test_input_with_a_leading_zero_is_refused(tmp_path: Path, text: str) -> None:
    """--input 1x3x010x010 is refused as every size with a leading zero is (it was read as 10x10)."""
    node = helper.make_node("Relu", ["x"], ["y"], name="r")
    path = save(tmp_path / "d.onnx", [node], [("x", [1, 3, "h", "w"])], ["y"])
    assert_user_error(run("model", path, "--input", text), "has a leading zero")


def test_api_input_shape_error_names_the_argument(tmp_path: Path) -> None:
    """cost_model_file(..., input_shape=(1, 3, 0, 8)) names input_shape, not --input."""
    import convcost
    from convcost.errors import ConvcostError

    node = helper.make_node("Relu", ["x"], ["y"], name="r")
    path = save(tmp_path / "d.onnx", [node], [("x", [1, 3, "h", "w"])], ["y"])
    with pytest.raises(ConvcostError, match=r"^input_shape: expected NxCxHxW"):
        convcost.cost_model_file(path, input_shape=(1, 3, 0, 8))


def _named_inputs(tmp_path: Path, first: str) -> str:
    node = helper.make_node("Add", [first, "b"], ["y"], name="add")
    return save(tmp_path / "n.onnx", [node], [(first, [1, 3, "h", 4]), ("b", [1, 3, "h", 4])], ["y"])


@pytest.mark.parametrize("command", ["model", "diff", "import"])
def test_input_is_repeatable_and_takes_any_name(tmp_path: Path, command: str) -> None:
    """--input a=b,c=1x3x4x4 --input b=1x3x4x4: each value one input, split at its last '=' (every command that takes it)."""
    path = _named_inputs(tmp_path, "a=b,c")
    args = [path, path] if command == "diff" else [path]
    result = run(command, *args, "--input", "a=b,c=1x3x4x4", "--input", "b=1x3x4x4")
    assert result.exit_code == 0, result.stderr


def test_comma_form_of_input_still_works_when_unambiguous(tmp_path: Path) -> None:
    """--input a=...,b=... still sets both; it is refused when the graph has an input named like the whole value."""
    path = _named_inputs(tmp_path, "a")
    assert run("model", path, "--input", "a=1x3x4x4,b=1x3x4x4").exit_code == 0
    path = _named_inputs(tmp_path, "a=1x3x4x4,b")
    result = run("model", path, "--input", "a=1x3x4x4,b=1x3x4x4")
    assert_user_error(result, "ambiguous, the graph has an input named 'a=1x3x4x4,b'; give --input once per input")


# --- second attack: names are quoted bounded --------------------------------------------


def test_a_huge_node_name_is_quoted_bounded(tmp_path: Path) -> None:
    """A node name of 1,000,000 characters in an error: cut (the line was 1,000,067 characters)."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="n" * 1_000_000, group=0)
    path = save(tmp_path / "long.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3])])
    result = run("model", path)
    assert_user_error(result, "(Conv): attribute group 0; expected a whole number >= 1")
    assert len(result.stderr) < 400


# --- budgets on unknown shapes, and the verdict over a failed export ---------------------------


def test_a_bytes_budget_on_an_unknown_shape_is_refused(tmp_path: Path) -> None:
    """A tensor whose shape ONNX cannot resolve would count 0 bytes: a bytes or time budget over it is refused, never passed."""
    custom = helper.make_node("Foo", ["x"], ["u"], name="foo", domain="cust")
    relu = helper.make_node("Relu", ["u"], ["y"], name="relu")
    model = helper.make_model(
        helper.make_graph([custom, relu], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("cust", 1)],
    )  # fmt: skip
    path = tmp_path / "unknown.onnx"
    path.write_bytes(model.SerializeToString())
    for flags in (["--max-bytes", "1K"], ["--device", "a100", "--max-time", "1s"]):
        assert_user_error(run("model", str(path), "--all-ops", *flags), "the budget cannot be checked", "unknown shape")
    assert run("model", str(path), "--all-ops").exit_code == 0  # the costs themselves stand


def test_over_budget_the_verdict_wins_over_an_export_that_cannot_be_written(tmp_path: Path) -> None:
    """Over budget with an --export that cannot be written: exit 1, the export's error and the budget line on stderr."""
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 8x8x3\nlayers:\n  - {k: 3, out: 8}\n", encoding="utf-8")
    result = run("model", str(spec), "--max-mults", "1", "--export", str(tmp_path / "missing" / "x.md"))
    assert result.exit_code == 1
    error, verdict = result.stderr.splitlines()
    assert error.startswith("Error: ")
    assert "x.md" in error
    assert verdict.startswith(f"mults {6 * 6 * 3 * 3 * 3 * 8:,} > 1 by ")
    assert run("model", str(spec), "--export", str(tmp_path / "missing" / "x.md")).exit_code == 2  # within budget: an error


@pytest.mark.parametrize("target", [[1, 7], [1, 100_000]])
def test_a_reshape_that_changes_the_element_count_is_refused(tmp_path: Path, target: list[int]) -> None:
    """A Reshape of 192 elements to 1x7 would feed a Gemm figures of a network that does not exist: refused, both counts named."""
    shape = helper.make_tensor("s", TensorProto.INT64, [2], target)
    weight = init("w", [target[1], 10])
    nodes = [helper.make_node("Reshape", ["x", "s"], ["r"]), helper.make_node("Gemm", ["r", "w"], ["y"])]
    path = save(tmp_path / "reshape.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"], [shape, weight])
    count = target[0] * target[1]
    assert_user_error(run("model", path), f"would be {target[0]}x{target[1]} ({count:,} elements)", "(192 elements)")


@pytest.mark.parametrize("index", [7, 3, -4])
def test_a_gather_index_outside_its_axis_is_refused(tmp_path: Path, index: int) -> None:
    """A Gather's constant index outside its axis (size 3: -3 to 2) is refused, naming the index and the range."""
    indices = helper.make_tensor("i", TensorProto.INT64, [1], [index])
    node = helper.make_node("Gather", ["x", "i"], ["y"], axis=1)
    path = save(tmp_path / "gather.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [indices])
    assert_user_error(run("model", path), f"index {index} of 'i' is outside axis 1 of size 3; expected -3 to 2")
    ok = save(tmp_path / "ok.onnx", [node], [("x", [1, 3, 8, 8])], ["y"], [helper.make_tensor("i", TensorProto.INT64, [1], [-3])])
    assert run("model", ok).exit_code == 0


@pytest.mark.parametrize(("bias", "ok"), [([10, 10], False), ([1, 2, 10], False), ([3, 10], False), ([2, 1], True), ([10], True)])
def test_a_gemm_bias_must_broadcast_onto_its_output(tmp_path: Path, bias: list[int], ok: bool) -> None:
    """Gemm's C broadcasts one way onto its 2x10 output, in at most 2 dimensions; else it is refused, never counted in params."""
    nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["y"])]
    path = save(tmp_path / "gemm.onnx", nodes, [("x", [2, 16])], ["y"], [init("w", [16, 10]), init("c", bias)])
    if ok:
        assert run("model", path).exit_code == 0
    else:
        assert_user_error(
            run("model", path), f"its C 'c' is {'x'.join(map(str, bias))}; expected a shape that broadcasts onto the 2x10 output"
        )


def test_a_prelu_slope_must_broadcast_onto_its_input(tmp_path: Path) -> None:
    """PRelu's slope of 5 values does not broadcast onto 1x3x8x8: refused (one per channel, 3x1x1, is read)."""
    nodes = [helper.make_node("PRelu", ["x", "s"], ["y"])]
    bad = save(tmp_path / "bad.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"], [init("s", [5])])
    assert_user_error(run("model", bad), "its slope 's' is 5; expected a shape that broadcasts onto the 1x3x8x8 input")
    good = save(tmp_path / "good.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"], [init("s", [3, 1, 1])])
    assert run("model", good).exit_code == 0


@pytest.mark.parametrize(
    ("start", "limit", "delta", "fragment"),
    [(5, 1, 1, "would have 0 values (from 5 to 1 by 1)"), (1, 5, 0, "delta 0; expected a finite delta other than 0")],
)
def test_a_range_of_no_values_or_no_step_is_refused(tmp_path: Path, start: int, limit: int, delta: int, fragment: str) -> None:
    """Range(5, 1, 1) has no values and Range(1, 5, 0) no step: refused, never an output of size 0; Range(0, 4, 1) is read."""
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"]), helper.make_node("Add", ["r", "r"], ["y"])]

    def scalars(*values: int) -> list[onnx.TensorProto]:
        return [helper.make_tensor(name, TensorProto.FLOAT, [], [float(v)]) for name, v in zip("abd", values, strict=True)]

    assert_user_error(run("model", save(tmp_path / "bad.onnx", nodes, [("x", [1, 3])], ["y"], scalars(start, limit, delta))), fragment)
    assert run("model", save(tmp_path / "ok.onnx", nodes, [("x", [1, 3])], ["y"], scalars(0, 4, 1))).exit_code == 0


def test_a_custom_domain_op_is_not_read_by_the_default_ops_rules(tmp_path: Path) -> None:
    """A node of another domain whose op type is a default op's (com.example.Conv) is not costed or lowered by Conv's rules."""
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="custom_conv", domain="com.example")
    model = helper.make_model(
        helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], [weight]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
    )  # fmt: skip
    path = tmp_path / "custom.onnx"
    path.write_bytes(model.SerializeToString())
    data = run_json("model", str(path), "--all-ops")
    (row,) = data["layers"]
    assert (row["type"], row["mults"], row["kernel"]) == ("com.example.Conv", 0, "")
    assert "not costed: 1 x com.example.Conv" in data["notes"]


def _conv_weight(tmp_path: Path, weight: onnx.TensorProto) -> str:
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="c1")
    return save(tmp_path / "w.onnx", [conv], [("x", [1, 3, 8, 8])], ["y"], [weight])


@pytest.mark.parametrize(
    ("fields", "held"),
    [
        ({"raw_data": b"\x00" * 432}, "holds 432 bytes of raw data, but its dimensions 1000000x3x3x3 need 108,000,000 bytes"),
        ({"float_data": [0.0] * 108}, "holds 108 values, but its dimensions 1000000x3x3x3 need 27,000,000"),
        ({}, "holds 0 values, but its dimensions 1000000x3x3x3 need 27,000,000"),
        ({"raw_data": b"\x00" * 400_000}, "holds 400,000 bytes of raw data, but its dimensions 1000000x3x3x3 need 108,000,000 bytes"),
    ],
    ids=["raw", "typed", "empty", "large-raw"],
)
def test_a_weight_whose_values_do_not_fit_its_dimensions_is_refused(tmp_path: Path, fields: dict[str, Any], held: str) -> None:
    """A weight stored with fewer values than its dimensions say would invent params and mults: refused, small or large."""
    weight = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1_000_000, 3, 3, 3], **fields)
    assert_user_error(run("model", _conv_weight(tmp_path, weight)), "node 'c1' (Conv): input 'w' (W) cannot be read: it " + held)


def test_a_weight_that_fits_its_dimensions_is_costed(tmp_path: Path) -> None:
    """The same Conv with a 4x3x3x3 weight of 108 values (raw or typed) is costed as ever."""
    for fields in ({"raw_data": b"\x00" * 432}, {"float_data": [0.0] * 108}):
        weight = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 3, 3, 3], **fields)
        assert run_json("model", _conv_weight(tmp_path, weight))["totals"] == {"mults": 6 * 6 * 4 * 27, "params": 108}


def _identity_chain(first: onnx.NodeProto, count: int) -> list[onnx.NodeProto]:
    nodes = [first]
    nodes += [helper.make_node("Identity", [f"t{i}"], [f"t{i + 1}"], name=f"i{i}") for i in range(count)]
    return [*nodes, helper.make_node("Relu", [f"t{count}"], ["y"], name="r")]


def test_an_unsqueeze_past_the_rank_limit_is_refused_before_inference(tmp_path: Path) -> None:
    """Unsqueeze with 99,990 axes (an attribute) or 2,048 (a constant) would build a huge rank along a chain: refused at once."""
    old = helper.make_node("Unsqueeze", ["x"], ["t0"], name="u", axes=list(range(4, 4 + 99_990)))
    path = save(tmp_path / "old.onnx", _identity_chain(old, 50), [("x", [1, 3, 8, 8])], ["y"], opset=11)
    assert_user_error(run("model", path), "node 'u' (Unsqueeze): its attribute 'axes' has 99,990 values", "more than 64 dimensions")
    new = helper.make_node("Unsqueeze", ["x", "ax"], ["t0"], name="u")
    axes = helper.make_tensor("ax", TensorProto.INT64, [2048], list(range(4, 4 + 2048)))
    path = save(tmp_path / "new.onnx", _identity_chain(new, 50), [("x", [1, 3, 8, 8])], ["y"], [axes])
    assert_user_error(run("model", path), "node 'u' (Unsqueeze): its input 'ax' has 2,048 values", "more than 64 dimensions")


def test_an_inferred_tensor_past_64_dimensions_is_refused(tmp_path: Path) -> None:
    """61 axes on a rank-4 input: an inferred rank of 65, over the limit every tensor in the file has."""
    node = helper.make_node("Unsqueeze", ["x", "ax"], ["t0"], name="u")
    axes = helper.make_tensor("ax", TensorProto.INT64, [61], list(range(4, 65)))
    path = save(tmp_path / "r.onnx", _identity_chain(node, 1), [("x", [1, 3, 8, 8])], ["y"], [axes])
    assert_user_error(run("model", path), "tensor 't0' would have 65 dimensions; at most 64 are read")
    fits = helper.make_tensor("ax", TensorProto.INT64, [60], list(range(4, 64)))
    assert run("model", save(tmp_path / "ok.onnx", _identity_chain(node, 1), [("x", [1, 3, 8, 8])], ["y"], [fits])).exit_code == 0


def _functions(tmp_path: Path, depth: int, width: int, recursive: bool = False) -> str:
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)]
    functions = []
    for k in range(depth + 1):
        nodes = []
        for i in range(width):
            src, dst = ("a" if i == 0 else f"t{i - 1}"), ("b" if i == width - 1 else f"t{i}")
            callee = f"F{k}" if recursive else f"F{k - 1}"
            nodes.append(
                helper.make_node("Relu", [src], [dst])
                if k == 0 and not recursive
                else helper.make_node(callee, [src], [dst], domain="local")
            )
        functions.append(helper.make_function("local", f"F{k}", ["a"], ["b"], nodes, opsets))
    top = helper.make_node(f"F{depth}", ["x"], ["y"], domain="local", name="top")
    graph = helper.make_graph([top], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])  # fmt: skip
    model = helper.make_model(graph, opset_imports=opsets, functions=functions)
    model.ir_version = 8
    path = tmp_path / f"f{depth}.onnx"
    path.write_bytes(model.SerializeToString())
    return str(path)


def test_model_local_functions_that_expand_past_the_node_limit_are_refused(tmp_path: Path) -> None:
    """Eight functions each calling the one below ten times: 2 kB, 10^8 nodes once expanded; refused before inference."""
    assert_user_error(run("model", _functions(tmp_path, 7, 10)), "model-local functions", "more than 100,000 nodes")
    assert_user_error(run("model", _functions(tmp_path, 1, 2, recursive=True)), "calls itself")
    assert run("model", _functions(tmp_path, 2, 10)).exit_code == 0  # 1,110 nodes expanded: costed


@pytest.mark.parametrize(
    ("node", "initializers", "fragment"),
    [
        (
            helper.make_node("Split", ["x"], ["a", "b"], name="sp", axis=1, num_outputs=5),
            [init("w", [4, 1, 3, 3])],
            "node 'sp' (Split): attribute 'num_outputs' is 5, but the node has 2 outputs; expected them equal",
        ),
        (
            helper.make_node("MaxUnpool", ["x", "i"], ["a"], name="mu", kernel_shape=[0, 0]),
            [helper.make_tensor("i", TensorProto.INT64, [1, 3, 8, 8], [0] * 192), init("w", [4, 3, 3, 3])],
            "node 'mu' (MaxUnpool): attribute kernel_shape [0, 0]; expected whole numbers >= 1",
        ),
        (
            helper.make_node("Transpose", ["x"], ["a"], name="tr", perm=[0]),
            [init("w", [1, 1000])],
            "node 'tr' (Transpose): attribute 'perm' is [0]; expected a permutation of 0 to 3 (the input has 4 dimensions)",
        ),
    ],
    ids=["split", "maxunpool", "transpose"],
)
def test_a_layout_op_with_an_impossible_attribute_is_refused(
    tmp_path: Path, node: onnx.NodeProto, initializers: list[onnx.TensorProto], fragment: str
) -> None:
    """Split, MaxUnpool and Transpose with attributes ONNX's inference lets through would invent the next layer's shape."""
    follow = "MatMul" if node.op_type == "Transpose" else "Conv"
    nodes = [node, helper.make_node(follow, ["a", "w"], ["y"], name="next")]
    path = save(tmp_path / "layout.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"], initializers, opset=18)
    assert_user_error(run("model", path), fragment)


def test_a_chain_of_einsums_growing_the_rank_is_refused_at_65_dimensions(tmp_path: Path) -> None:
    """Einsum '...,a->...a' adds an axis per node, by convcost's own shape rule: refused where a tensor passes 64 dimensions."""
    nodes, prev = [], "x"
    for i in range(100):
        nodes.append(helper.make_node("Einsum", [prev, "o"], [f"t{i}"], equation="...,a->...a", name=f"e{i}"))
        prev = f"t{i}"
    path = save(tmp_path / "e.onnx", nodes, [("x", [1, 3, 2, 2])], [prev], [init("o", [1])], opset=12)
    assert_user_error(run("model", path), "tensor 't60' would have 65 dimensions; at most 64 are read")


@pytest.mark.parametrize(
    ("node", "initializers", "fragment"),
    [
        (
            helper.make_node("SpaceToDepth", ["x"], ["a"], name="s", blocksize=3),
            [],
            "blocksize 3 does not divide the input's height and width 6x8",
        ),
        (
            helper.make_node("DepthToSpace", ["x"], ["a"], name="s", blocksize=2),
            [],
            "blocksize 2 squared (4) does not divide the input's 6 channels",
        ),
        (
            helper.make_node("DepthToSpace", ["x"], ["a"], name="s", blocksize=1, mode="XYZ"),
            [],
            "attribute mode 'XYZ'; expected one of DCR, CRD",
        ),
        (helper.make_node("LRN", ["x"], ["a"], name="s", size=0), [], "attribute size 0; expected a whole number >= 1"),
        (helper.make_node("LpPool", ["x"], ["a"], name="s", kernel_shape=[2, 2], p=0), [], "attribute p 0; expected a whole number >= 1"),
        (
            helper.make_node("GroupNormalization", ["x", "g", "b"], ["a"], name="s", num_groups=4),
            [init("g", [4]), init("b", [4])],
            "attribute 'num_groups' is 4; it does not divide the input's 6 channels",
        ),
        (
            helper.make_node("Resize", ["x", "", "sc"], ["a"], name="s", coordinate_transformation_mode="zzz"),
            [init("sc", [4], values=[1, 1, 2, 2])],
            "attribute coordinate_transformation_mode 'zzz'; expected one of",
        ),
        (
            helper.make_node("Resize", ["x", "", "sc"], ["a"], name="s", nearest_mode="zzz"),
            [init("sc", [4], values=[1, 1, 2, 2])],
            "attribute nearest_mode 'zzz'; expected one of",
        ),
        (
            helper.make_node("Resize", ["x", "", "sc"], ["a"], name="s"),
            [init("sc", [4], values=[1, 1, 1e30, 1e30])],
            "would have a dimension past ONNX's 64-bit range (shape inference overflowed)",
        ),
    ],
    ids=["space-to-depth", "depth-to-space", "d2s-mode", "lrn", "lppool", "groupnorm", "resize-ctm", "resize-nearest", "resize-huge"],
)
def test_a_zero_cost_op_with_an_impossible_attribute_is_refused(
    tmp_path: Path, node: onnx.NodeProto, initializers: list[onnx.TensorProto], fragment: str
) -> None:
    """An op whose attribute its operator forbids (or whose output ONNX's arithmetic overflows) is refused, naming the node."""
    path = save(tmp_path / "z.onnx", [node], [("x", [1, 6, 6, 8])], ["a"], initializers, opset=18)
    assert_user_error(run("model", path), "node 's' (", fragment)


def test_nodes_times_the_input_rank_are_bounded_before_inference(tmp_path: Path) -> None:
    """2,000 nodes on a rank-64 input (128,000 dimensions for inference to build) are refused before inference;
    the same chain on a rank-4 input is costed."""
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i}"], [f"t{i + 1}" if i < 1999 else "y"], name=f"r{i}") for i in range(2000)]
    wide = save(tmp_path / "wide.onnx", nodes, [("x", [1] * 62 + [2, 2])], ["y"])
    assert_user_error(
        run("model", wide), "2,000 nodes on an input of 64 dimensions make about 128,000 tensor dimensions", "at most 100,000"
    )
    assert run("model", save(tmp_path / "narrow.onnx", nodes, [("x", [1, 3, 4, 4])], ["y"])).exit_code == 0


def test_clip_bounds_stored_as_initializers_are_not_params_and_import(tmp_path: Path) -> None:
    """Clip(0, 6) with its bounds as initializers is a relu6 like the attribute or Constant forms: its two scalars are
    no params, and convcost import writes it (the round trip's totals equal the file's)."""
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv")
    clip = helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")
    bounds = [init("lo", [], values=[0.0]), init("hi", [], values=[6.0])]
    path = save(tmp_path / "clip.onnx", [conv, clip], [("x", [1, 3, 9, 9])], ["y"], [init("w", [4, 3, 3, 3]), *bounds])
    totals = run_json("model", path)["totals"]
    assert totals == {"mults": 7 * 7 * 4 * 27, "params": 108}
    out = tmp_path / "clip.yaml"
    assert run("import", path, "-o", str(out)).exit_code == 0
    assert run_json("model", str(out))["totals"] == totals


def test_nodes_that_reach_no_output_are_counted_and_said_so(tmp_path: Path) -> None:
    """Convs whose outputs no graph output reads are costed as the file holds them, and a note under the table names them."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="used"),
        helper.make_node("Conv", ["x", "w"], ["dead"], name="dead1"),
        helper.make_node("Conv", ["dead", "w2"], ["dead2"], name="dead2"),
    ]
    path = save(tmp_path / "dead.onnx", nodes, [("x", [1, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3]), init("w2", [4, 4, 3, 3])])
    data = run_json("model", path)
    assert data["totals"]["mults"] == 6 * 6 * 4 * 27 * 2 + 4 * 4 * 4 * 36
    assert any(n.startswith("2 nodes with mults reach no graph output ('dead1', 'dead2')") for n in data["notes"])
    alive = save(tmp_path / "alive.onnx", nodes[:1], [("x", [1, 3, 8, 8])], ["y"], [init("w", [4, 3, 3, 3])])
    assert not any("reach no graph output" in n for n in run_json("model", alive)["notes"])


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1x3x1000000000000x8", "a size has at most 12 digits"),
        ("1x3x0x8", "every size is 1 or more"),
        ("x".join(["1"] * 65), "at most 64 sizes"),
    ],
)
def test_an_input_flag_refused_says_why(value: str, why: str) -> None:
    """--input that is refused says what is wrong with it, not only the form expected."""
    assert_user_error(run("model", str(ROOT / "tests" / "data" / "resnet18.onnx"), "--input", value), "--input: expected NxCxHxW", why)


@pytest.mark.parametrize(
    ("node", "initializers", "fragment"),
    [
        (
            helper.make_node("InstanceNormalization", ["x", "sc", "b"], ["a"], name="s"),
            [init("sc", [7]), init("b", [7])],
            "its scale 'sc' has 7 values; expected one per channel (6)",
        ),
        (
            helper.make_node("LayerNormalization", ["x", "sc"], ["a"], name="s", axis=-1),
            [init("sc", [5])],
            "its scale 'sc' is 5; expected it to broadcast onto 8",
        ),
        (
            helper.make_node("ReduceMean", ["x"], ["a"], name="s", axes=[1, 1], keepdims=0),
            [],
            "attribute 'axes' is [1, 1]; expected distinct axes",
        ),
        (
            helper.make_node("GatherElements", ["x", "i"], ["a"], name="s", axis=9),
            [helper.make_tensor("i", TensorProto.INT64, [1, 6, 6, 8], [0] * 288)],
            "attribute 'axis' is 9; expected -4 to 3",
        ),
        (
            helper.make_node("Reshape", ["x", "sh"], ["a"], name="s"),
            [helper.make_tensor("sh", TensorProto.INT64, [2, 2], [1, 6, 6, 8])],
            "its shape input 'sh' is 2x2; expected a 1-D tensor",
        ),
    ],
    ids=["instancenorm", "layernorm", "reduce-axes", "gather-elements", "reshape-2d"],
)
def test_a_zero_cost_op_with_inconsistent_inputs_is_refused(
    tmp_path: Path, node: onnx.NodeProto, initializers: list[onnx.TensorProto], fragment: str
) -> None:
    """Normalisation scales of the wrong length (invented params), duplicate or out-of-range axes, a 2-D Reshape target."""
    path = save(tmp_path / "z.onnx", [node], [("x", [1, 6, 6, 8])], ["a"], initializers, opset=13 if node.op_type == "ReduceMean" else 17)
    assert_user_error(run("model", path), "node 's' (", fragment)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_a_ceil_mode_pool_is_never_costed_past_the_runtimes_size(tmp_path: Path, op: str) -> None:
    """Ceil mode on 7x7, k 2, s 2, pads 1: runtimes make 4x4 (a last window starting in the padding is dropped). Where
    onnx's inference says 5 (onnx 1.23), the file is refused naming both; where it says 4, the next conv is costed on 4x4."""
    pool = helper.make_node(op, ["x"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    conv = helper.make_node("Conv", ["p", "w"], ["y"], name="conv")
    path = save(tmp_path / "ceil.onnx", [pool, conv], [("x", [1, 4, 7, 7])], ["y"], [init("w", [2, 4, 1, 1])])
    result = run("model", path, "--format", "json")
    if result.exit_code == 2:
        assert_user_error(result, "with ceil_mode its output 'p' is 4 on axis 2 by the runtimes' rule", "gives 5")
    else:
        assert json.loads(result.stdout)["totals"]["mults"] == 4 * 4 * 2 * 4
    fits = helper.make_node(op, ["x"], ["p"], name="pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)  # 8 wide: 4 both ways
    ok = save(tmp_path / "fits.onnx", [fits, conv], [("x", [1, 4, 8, 8])], ["y"], [init("w", [2, 4, 1, 1])])
    assert run_json("model", ok)["totals"]["mults"] == 4 * 4 * 2 * 4


@pytest.mark.parametrize(
    ("node", "fragment"),
    [
        (helper.make_node("LpNormalization", ["x"], ["a"], name="s", axis=9), "attribute 'axis' is 9; expected -4 to 3"),
        (helper.make_node("LpNormalization", ["x"], ["a"], name="s", p=5), "attribute p 5; expected 1 or 2"),
        (
            helper.make_node("ReduceSum", ["x"], ["a"], name="s", noop_with_empty_axes=5),
            "attribute noop_with_empty_axes 5; expected 0 or 1",
        ),
    ],
    ids=["lpnorm-axis", "lpnorm-p", "reducesum-noop"],
)
def test_more_zero_cost_ops_check_their_attributes(tmp_path: Path, node: onnx.NodeProto, fragment: str) -> None:
    """LpNormalization's axis and p, a reduction's flags: refused naming the node and the attribute."""
    path = save(tmp_path / "z.onnx", [node], [("x", [1, 6, 6, 8])], ["a"], opset=18)
    assert_user_error(run("model", path), "node 's' (", fragment)
