"""The Python API: a bare import is free, every function takes what users naturally pass, and every
mistake is a ConvcostError naming the value and what was expected (issue 7 item 6, issue 8)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PYPROJECT, ROOT, SPECS, run
from hypothesis import given, settings
from hypothesis import strategies as st

import convcost
from convcost import ConvcostError, LayerSpec, Shape

MOBILENET = str(SPECS / "mobilenet_v1.yaml")
MOBILENET_TOTALS = (568_740_352, 4_209_088)
"""mults and params of MobileNetV1 (the README's figures)."""


def _standard_mults(h: int, w: int, c: int, n: int, kh: int, kw: int) -> int:
    """Ho*Wo*N*C*KH*KW for stride 1, no padding: written independently of convcost."""
    return (h - kh + 1) * (w - kw + 1) * n * c * kh * kw


def _error(call: Callable[[], object], *fragments: str) -> str:
    """Call it; it must raise ConvcostError (not a bare ValueError, TypeError...) whose message has every fragment."""
    with pytest.raises(ConvcostError) as caught:
        call()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# --- the import ----------------------------------------------------------------------


def test_bare_import_loads_no_other_module() -> None:
    """`import convcost` imports nothing else (no submodule, no yaml, rich, click or typing)."""
    probe = "import sys; before = set(sys.modules); import convcost; print(sorted(set(sys.modules) - before))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['convcost']"


def test_every_public_name_resolves_on_first_use() -> None:
    """Every name in __all__ loads from its module, dir() lists them, and a star import works."""
    for name in convcost.__all__:
        assert getattr(convcost, name) is not None, name
    assert set(convcost.__all__) <= set(dir(convcost))
    namespace: dict[str, Any] = {}
    exec("from convcost import *", namespace)  # noqa: S102 - the star import itself is under test
    assert set(convcost.__all__) <= set(namespace)


def test_exports_are_the_validating_wrappers() -> None:
    """The functions exported take user values through convcost.api; the classes are the library's own."""
    from convcost import api
    from convcost.core.shapes import Shape as CoreShape

    for name in api.__all__:
        assert getattr(convcost, name) is getattr(api, name), name
    assert convcost.Shape is CoreShape


def test_unknown_name_is_attribute_error_and_submodules_still_import() -> None:
    """A missing name raises AttributeError (so hasattr works); `from convcost import render` still imports the module."""
    assert not hasattr(convcost, "no_such_name")
    from convcost import render

    assert render.__name__ == "convcost.render"


def test_version_is_the_installed_distributions() -> None:
    """convcost.__version__ is the version importlib.metadata reports."""
    from importlib import metadata

    assert convcost.__version__ == metadata.version("convcost")


def test_version_falls_back_to_pyproject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Not installed: the version comes from pyproject.toml's [project] table; without one, 0+unknown."""
    from importlib import metadata

    from convcost.core import version

    expected = PYPROJECT["project"]["version"]

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setattr(metadata, "version", not_installed)
    assert version.version() == expected
    other = tmp_path / "pyproject.toml"
    other.write_text('[tool.x]\nversion = "9"\n[project]\nname = "convcost"\nversion = "1.2.3"\n', encoding="utf-8")
    assert version._pyproject_version(str(other)) == "1.2.3"
    assert version._pyproject_version(str(tmp_path / "missing.toml")) == "0+unknown"


# --- validates like the CLI (issue 7, item 6) -------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: convcost.cost_model_file(MOBILENET, mid=-3),
        lambda: convcost.cost_model(MOBILENET, mid=-3),
        lambda: convcost.build_layer("28x28x8", k=3, out=16, mid=-3),
        lambda: convcost.cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), mid=-3)),
    ],
)
def test_negative_mid_is_refused(call: Callable[[], object]) -> None:
    """mid=-3 (negative mults in the what-if) is a ConvcostError naming mid and -3."""
    _error(call, "mid", "got -3")


@pytest.mark.parametrize(
    "call",
    [
        lambda: convcost.cost_model_file(MOBILENET, rank=0),
        lambda: convcost.cost_model(MOBILENET, rank=0),
        lambda: convcost.build_layer("28x28x8", k=3, out=16, rank=0),
        lambda: convcost.cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), rank=0)),
    ],
)
def test_rank_zero_is_refused(call: Callable[[], object]) -> None:
    """rank=0 is a ConvcostError naming rank and 0."""
    _error(call, "rank", "got 0")


def test_float_in_a_shape_is_refused() -> None:
    """Shape(28.0, 28, 8), to build_layer or inside a LayerSpec, is refused (no float mults)."""
    _error(lambda: convcost.build_layer(Shape(28.0, 28, 8), k=3, out=16), "inp", "28.0")  # type: ignore[arg-type]
    _error(lambda: convcost.cost_layer(LayerSpec(Shape(28.0, 28, 8), 16, (3, 3))), "spec.inp", "28.0")  # type: ignore[arg-type]
    _error(lambda: convcost.build_layer("28x28x8", k=3.0, out=16), "k", "3.0")  # type: ignore[arg-type]
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=16.0), "out", "16.0")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda: convcost.build_layer("28x28x8", k=3, out=True), "out"),
        (lambda: convcost.build_layer("28x28x8", k=True, out=16), "k"),
        (lambda: convcost.build_layer((True, 28, 8), k=3, out=16), "inp"),
        (lambda: convcost.build_layer("28x28x8", k=3, out=16, groups=True), "groups"),
        (lambda: convcost.build_layer("28x28x8", k=3, out=16, bias=1), "bias"),  # type: ignore[arg-type] # an int where a bool belongs
        (lambda: convcost.cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), groups=True)), "spec.groups"),
        (lambda: convcost.cost_model(MOBILENET, rank=True), "rank"),
        (lambda: convcost.check_budget({"max-mults": "600M"}, True, 5), "mults"),
        (lambda: convcost.check_budget({"max-mults": True}, 5, 5), "max-mults"),
    ],
)
def test_bools_where_ints_are_expected_are_refused(call: Callable[[], object], what: str) -> None:
    """True and False are not 1 and 0 (nor is 1 a bool): each is refused, naming the argument."""
    _error(call, what)


def test_int_file_name_is_refused_and_stdout_stays_open() -> None:
    """cost_model_file(1) is refused before anything is opened: the caller's stdout (fd 1) stays open."""
    _error(lambda: convcost.cost_model_file(1), "path: expected a file name", "int 1")  # type: ignore[arg-type]
    _error(lambda: convcost.load_model(1), "model: expected a file path", "int 1")  # type: ignore[arg-type]
    _error(lambda: convcost.cost_model(0), "int 0")  # type: ignore[arg-type]
    os.fstat(1)
    os.fstat(0)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (LayerSpec(Shape(28, 28, 8), 16, (3, 3), stride=(0, 1)), "spec.stride"),
        (LayerSpec(Shape(28, 28, 8), 16, (3, 3), groups=0), "spec.groups"),
        (LayerSpec(Shape(28, 28, 8), 16, (3, 3), dilation=(1, -1)), "spec.dilation"),
        (LayerSpec(Shape(28, 28, 8), 16, (3, 3), padding=(-1, 0, 0, 0)), "spec.padding"),
        (LayerSpec(Shape(28, 28, 8), 0, (3, 3)), "spec.out"),
        (LayerSpec(Shape(28, 0, 8), 16, (3, 3)), "spec.inp"),
        (LayerSpec(Shape(28, 28, 8), 16, (3, 3), bias=1), "spec.bias"),  # type: ignore[arg-type]
    ],
)
def test_hand_built_layer_spec_is_checked(spec: LayerSpec, fragment: str) -> None:
    """A LayerSpec built by hand is checked like flags: a zero stride is a ConvcostError, not a ZeroDivisionError."""
    _error(lambda: convcost.cost_layer(spec), fragment)


def test_unknown_method_is_convcost_error() -> None:
    """An unknown --method (a bare ValueError before) is a ConvcostError with the closest name."""
    _error(lambda: convcost.cost_model_file(MOBILENET, method="foo"), "method", "'foo'", "low-rank")
    spec = convcost.build_layer("28x28x8", k=3, out=16)
    _error(lambda: convcost.cost_layer(spec, "lowrank"), "unknown method 'lowrank'", "did you mean 'low-rank'?")
    _error(lambda: convcost.cost_layer(spec, ["standard", 5]), "unknown method 5")  # type: ignore[list-item]
    _error(lambda: convcost.cost_layer(spec, 5), "methods: expected a method name or a list", "int 5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: convcost.to_json(42), "result: expected a LayerReport"),  # type: ignore[arg-type]
        (lambda: convcost.cost_layer("28x28x8"), "spec: expected a LayerSpec"),  # type: ignore[arg-type]
        (lambda: convcost.cost_layer({"in": "28x28x8", "k": 3, "outt": 16}), "did you mean 'out'?"),
        (lambda: convcost.cost_layer({"in": "28x28x8", "k": 3}), "out: missing"),
        (lambda: convcost.load_model(b"model.yaml"), "bytes"),  # type: ignore[arg-type]
        (lambda: convcost.load_model(str(ROOT / "no-such-model.yaml")), "no such file"),
        (lambda: convcost.cost_model_file(""), "path: expected a file name"),
        (lambda: convcost.diff_models(42, MOBILENET), "int 42"),  # type: ignore[arg-type]
        (lambda: convcost.check_budget([("max-mults", "1M")], 1, 2), "limits: expected a mapping"),  # type: ignore[arg-type]
        (lambda: convcost.check_budget({"max-mults": "1M"}, 1), "params: missing"),
        (lambda: convcost.separability(5), "kernel: expected text"),  # type: ignore[arg-type]
        (lambda: convcost.separability(["1 2", "3 4"]), "row 1: expected a list of numbers"),
        (lambda: convcost.separability([[1, float("nan")], [1, 1]]), "row 1: expected a finite number"),
        (lambda: convcost.separability("1 2; 3 x"), "row 2"),
        (lambda: convcost.separability("1 2; 3"), "ragged kernel"),
        (lambda: convcost.separability([]), "the kernel is empty"),
        (lambda: convcost.separability("1 2; 3 4", tolerance=2), "tolerance: expected a number from 0 to below 1"),
        (lambda: convcost.separability("1 2; 3 4", tolerance=True), "tolerance"),
    ],
)
def test_every_mistake_is_a_convcost_error(call: Callable[[], object], fragment: str) -> None:
    """Wrong types and values anywhere in the API are ConvcostErrors naming what was expected."""
    _error(call, fragment)


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="0123456789x -.same", max_size=7),
    st.lists(st.one_of(st.integers(-1, 9), st.floats(0, 9), st.booleans()), max_size=5),
    st.tuples(st.integers(0, 9), st.integers(0, 9)),
    st.builds(object),
)


@settings(max_examples=200, deadline=None)
@given(
    inp=_ANY_VALUE,
    k=_ANY_VALUE,
    out=_ANY_VALUE,
    stride=_ANY_VALUE,
    padding=_ANY_VALUE,
    groups=_ANY_VALUE,
    rank=_ANY_VALUE,
    mid=_ANY_VALUE,
)
def test_any_values_give_a_layer_or_a_convcost_error(
    inp: Any, k: Any, out: Any, stride: Any, padding: Any, groups: Any, rank: Any, mid: Any
) -> None:
    """Whatever is passed, build_layer and cost_layer return exact ints or raise ConvcostError, nothing else."""
    try:
        spec = convcost.build_layer(inp, k, out, stride=stride, padding=padding, groups=groups, rank=rank, mid=mid)
        report = convcost.cost_layer(spec)
    except ConvcostError:
        return
    for result in report.results:
        assert result.mults is None or type(result.mults) is int
        for stage in result.stages:
            assert all(type(x) is int for x in (*stage.conv.inp, *stage.conv.out, *stage.conv.k, *stage.conv.stride))


# --- takes what users pass (issue 8) -------------------------------------------------------


def test_build_layer_takes_tuples() -> None:
    """build_layer((28, 28, 8), k=(1, 7), out=16) is the same layer as the text form; its cost is Ho*Wo*N*C*KH*KW."""
    spec = convcost.build_layer((28, 28, 8), k=(1, 7), out=16)
    assert spec == convcost.build_layer("28x28x8", k="1x7", out=16)
    assert convcost.cost_layer(spec, "standard").results[0].mults == _standard_mults(28, 28, 8, 16, 1, 7) == 551_936


@pytest.mark.parametrize(
    ("param", "text", "listed"),
    [
        ("inp", "28x28x8", [28, 28, 8]),
        ("k", "3x5", [3, 5]),
        ("stride", "2x1", (2, 1)),
        ("padding", "0x3", (0, 3)),
        ("padding", "1x2x3x4", [1, 2, 3, 4]),
        ("dilation", "2x1", [2, 1]),
        ("out", "16", 16),
        ("groups", "2", 2),
        ("mid", "4", 4),
    ],
)
def test_every_size_takes_text_a_list_or_a_tuple(param: str, text: str, listed: Any) -> None:
    """Each size is the same given as the CLI's text, a list or a tuple (and ints as decimal text)."""
    base: dict[str, Any] = {"inp": "28x28x8", "k": 3, "out": 16}
    as_text = convcost.build_layer(**{**base, param: text})
    assert convcost.build_layer(**{**base, param: listed}) == as_text
    if isinstance(listed, list):
        assert convcost.build_layer(**{**base, param: tuple(listed)}) == as_text


def test_build_layer_takes_a_shape_and_numpy_ints() -> None:
    """A Shape (say another layer's output) and numpy integers are sizes like any other."""
    numpy = pytest.importorskip("numpy")
    spec = convcost.build_layer(Shape(28, 28, 8), k=3, out=16)
    assert spec == convcost.build_layer("28x28x8", k=3, out=16)
    assert convcost.build_layer(numpy.array([28, 28, 8]), k=numpy.int64(3), out=numpy.uint8(16)) == spec
    assert type(convcost.build_layer(Shape(28, 28, 8), k=3, out=numpy.int64(16)).out) is int
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=numpy.float64(16.0)), "out")
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=numpy.bool_(True)), "out")


def test_cost_layer_takes_a_single_method_name() -> None:
    """cost_layer(spec, "low-rank") runs that one model (it used to read the name letter by letter)."""
    spec = convcost.build_layer("28x28x8", k=3, out=16, rank=4)
    report = convcost.cost_layer(spec, "low-rank")
    assert [r.method for r in report.results] == ["low-rank"]
    ho = wo = 26
    assert report.results[0].mults == ho * wo * 4 * (3 * 3 * 8) + ho * wo * 16 * 4 == 237_952


def test_cost_layer_takes_a_list_or_tuple_of_names() -> None:
    """A list or tuple of names runs those models in that order; a repeated name runs once."""
    spec = convcost.build_layer("28x28x8", k=3, out=16)
    for names in (["depthwise-separable", "standard"], ("depthwise-separable", "standard", "standard")):
        report = convcost.cost_layer(spec, names)
        assert [(r.method, r.mults) for r in report.results] == [("depthwise-separable", 135_200), ("standard", 778_752)]


def test_cost_layer_takes_a_mapping_of_layer_keys() -> None:
    """A dict with a layer file's keys is a layer."""
    spec = convcost.build_layer("28x28x8", k=3, out=16, padding=1)
    report = convcost.cost_layer({"in": [28, 28, 8], "k": 3, "out": 16, "padding": 1})
    assert report.spec == spec


def test_the_api_takes_pytorch_names_as_files_do() -> None:
    """A layer mapping and a model dict take kernel_size and out_channels for k and out; both names of one key are refused."""
    assert convcost.cost_layer({"in": "28x28x8", "kernel_size": 3, "out_channels": 16}).spec == convcost.build_layer("28x28x8", k=3, out=16)
    model = convcost.cost_model({"input": "8x8x3", "layers": [{"kernel_size": 3, "out_channels": 4}]})
    assert model.mults == 6 * 6 * 4 * 3 * 3 * 3
    with pytest.raises(convcost.ConvcostError, match="'kernel_size' is PyTorch's name for 'k', which is given too"):
        convcost.cost_layer({"in": "28x28x8", "kernel_size": 3, "k": 3, "out": 16})


def test_load_model_takes_a_path_text_or_a_dict() -> None:
    """load_model (and cost_model) read a str path, a Path, YAML text, one-line flow YAML or a dict alike."""
    text = Path(MOBILENET).read_text(encoding="utf-8")
    sources: list[Any] = [MOBILENET, Path(MOBILENET), text, yaml.safe_load(text)]
    for source in sources:
        report = convcost.cost_model(source)
        assert (report.mults, report.params) == MOBILENET_TOTALS, type(source)
    assert convcost.load_model(text).source == "<text>"
    assert convcost.load_model(yaml.safe_load(text)).source == "<dict>"
    spec = convcost.load_model(MOBILENET)
    assert convcost.load_model(spec) is spec
    flow = convcost.load_model("{input: 8x8x3, layers: [{k: 3, out: 4}]}")
    assert flow.input == Shape(8, 8, 3)


def test_load_model_dict_takes_tuples_and_shares_blocks() -> None:
    """In a dict, tuples are lists and an object used twice is one shared block (an alias), as in YAML."""
    block = {"layers": [{"k": 3, "out": 8, "padding": 1}]}
    as_dict = convcost.cost_model({"input": (8, 8, 3), "layers": [block, block]})
    as_text = convcost.cost_model(
        "input: 8x8x3\nlayers:\n  - layers: [{k: 3, out: 8, padding: 1}]\n  - layers: [{k: 3, out: 8, padding: 1}]\n"
    )
    assert (
        (as_dict.mults, as_dict.params) == (as_text.mults, as_text.params) == (8 * 8 * 8 * 3 * 9 + 8 * 8 * 8 * 8 * 9, 8 * 3 * 9 + 8 * 8 * 9)
    )


def test_load_model_dict_reads_padding_text_as_text() -> None:
    """'0x3' in a dict is the padding text (PH=0, PW=3), never the hexadecimal number 3."""
    model = convcost.load_model({"input": "10x20x3", "layers": [{"k": "1x7", "out": 8, "padding": "0x3"}]})
    assert convcost.cost_model(model).output == Shape(10, 20, 8)


@pytest.mark.parametrize(
    ("layers", "fragment"),
    [
        ([{"k": 3, "out": 4.0}], "4.0"),
        ([{"k": 3, "out": object()}], "model: expected a mapping of strings, numbers, lists and mappings, got object"),
        ([{"k": 3, "outt": 4}], "did you mean 'out'?"),
        ([{"k": 3, "out": 10**5000}], "about 5,001 digits"),
        ([{"k": 3, "out": 10**40}], "10000000000"),
        ([{"k": 3, "out": float("inf")}], "inf"),
    ],
)
def test_load_model_dict_errors_name_the_value(layers: list[Any], fragment: str) -> None:
    """A bad value in a dict is refused like the same value in a file (located in '<dict>')."""
    _error(lambda: convcost.load_model({"input": "8x8x3", "layers": layers}), fragment)


def test_load_model_refuses_cyclic_and_deep_dicts_quickly() -> None:
    """A dict that contains itself, or one nested thousands deep, is a ConvcostError (no RecursionError, no hang)."""
    cycle: list[Any] = []
    cycle.append({"layers": cycle})
    _error(lambda: convcost.load_model({"input": "8x8x3", "layers": cycle}))
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["layers"] = [{}]
        node = node["layers"][0]
    _error(lambda: convcost.load_model({"input": "8x8x3", "layers": [deep]}))


def test_load_model_dict_shared_blocks_are_not_copied() -> None:
    """2^40 paths through a dict that shares its blocks are counted, never expanded."""
    layers: list[Any] = [{"k": 3, "out": 3, "padding": 1}]
    for _ in range(40):
        layers = [{"layers": layers}, {"layers": layers}]
    _error(lambda: convcost.load_model({"input": "8x8x3", "layers": layers}), "layers")


def test_check_budget_takes_si_strings_and_ints() -> None:
    """check_budget({"max-mults": "600M"}, ...) with SI strings or ints, against figures or a report."""
    report = convcost.cost_model(MOBILENET)
    checks = convcost.check_budget({"max-mults": "600M", "max-params": 4_000_000}, report)
    assert [(c.figure, c.limit, c.limit_text, c.value, c.ok) for c in checks] == [
        ("mults", 600_000_000, "600M", 568_740_352, True),
        ("params", 4_000_000, "4000000", 4_209_088, False),
    ]
    assert convcost.check_budget({"max_mults": "1.5k"}, 1500, 0)[0].ok
    assert not convcost.check_budget({"max-mults": "1.5k"}, 1501, 0)[0].ok
    budget = convcost.load_model("input: 8x8x3\nbudget: {max-mults: 1k}\nlayers: [{k: 3, out: 4}]\n").budget
    assert [(c.limit, c.ok) for c in convcost.check_budget(budget, 1000, 1)] == [(1000, True)]


def test_check_budget_reads_reports_as_the_cli_does() -> None:
    """A layer report is checked on its first result; a diff on its proposed model."""
    layer = convcost.cost_layer(convcost.build_layer("28x28x8", k=3, out=16), "depthwise-separable")
    assert convcost.check_budget({"max-mults": 135_200}, layer)[0].ok
    assert not convcost.check_budget({"max-mults": 135_199}, layer)[0].ok
    diff = convcost.diff_models(MOBILENET, MOBILENET)
    assert convcost.check_budget({"max-params": "4209088"}, diff)[0].ok
    pointwise = convcost.cost_layer(convcost.build_layer("8x8x4", k=1, out=4), "depthwise-separable")
    _error(lambda: convcost.check_budget({"max-mults": "1M"}, pointwise), "does not apply")
    _error(lambda: convcost.check_budget({"max-mults": "1M"}, layer, 5), "not both")


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [
        ({"max-mult": "600M"}, "did you mean 'max-mults'?"),
        ({"max-mults": "6.5"}, "max-mults: expected a whole number"),
        ({"max-mults": 600.0}, "600.0"),
        ({"max-mults": -1}, "-1"),
        ({"max-mults": (5, "6")}, "5 is not the value of '6'"),
    ],
)
def test_check_budget_refuses_bad_limits(limits: dict[str, Any], fragment: str) -> None:
    """A bad limit is named with what was expected."""
    _error(lambda: convcost.check_budget(limits, 1, 2), fragment)


def test_separability_takes_text_or_rows() -> None:
    """separability("1 2 1; 2 4 2; 1 2 1") equals rows of ints, tuples, Fractions and '1/16' text."""
    text = convcost.separability("1 2 1; 2 4 2; 1 2 1")
    assert text.rank == 1
    assert convcost.to_dict(text) == convcost.to_dict(convcost.separability([[1, 2, 1], [2, 4, 2], [1, 2, 1]]))
    assert convcost.to_dict(text) == convcost.to_dict(convcost.separability(((1, "2", Fraction(1)), (2, 4, 2), [1, 2, 1])))
    sixteenth = convcost.separability([["1/16", "2/16"], ["2/16", "4/16"]])
    assert sixteenth.exact
    assert sixteenth.rank == 1
    floats = convcost.separability([[1.0, 0.5], [0.5, 0.25]], tolerance=1e-6)
    assert not floats.exact
    assert floats.rank == 1
    assert convcost.separability("1 0; 0 1").rank == 2


def test_diff_models_takes_paths_or_reports() -> None:
    """diff_models takes costed reports or anything load_model takes."""
    base = convcost.cost_model(MOBILENET)
    text = "input: 224x224x3\nlayers: [{k: 3, out: 32, stride: 2, padding: 1}]\n"
    by_report = convcost.diff_models(base, convcost.cost_model(text))
    by_source = convcost.diff_models(MOBILENET, text)
    assert convcost.to_dict(by_report) == convcost.to_dict(by_source)


def test_cost_model_takes_rank_and_mid_as_text_like_the_flags() -> None:
    """rank and mid are ints or their decimal text, as --rank and --mid; method as --method."""
    assert convcost.cost_model(MOBILENET, rank="8").whatif == convcost.cost_model(MOBILENET, rank=8).whatif
    assert convcost.cost_model_file(Path(MOBILENET), method="low-rank").variant == "low-rank"


def test_readme_python_api_example_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Python block in docs/python-api.md (the README's former "Python API" section) runs as shown."""
    section = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert blocks
    monkeypatch.chdir(ROOT)  # the example names layer_specs/ relative to the repository
    for block in blocks:
        exec(compile(block, "docs/python-api.md", "exec"), {})  # noqa: S102 - the page's own example
    assert capsys.readouterr().out


def test_rank_takes_a_number_a_fraction_or_a_pair() -> None:
    """rank is a whole number, a fraction of each full rank or tucker2's pair, as --rank; 8.0 is not 8."""
    base: dict[str, Any] = {"inp": "28x28x8", "k": 3, "out": 16}
    assert convcost.build_layer(**base, rank=(4, 2)) == convcost.build_layer(**base, rank="4x2")
    assert convcost.build_layer(**base, rank=0.25) == convcost.build_layer(**base, rank="0.25")
    spec = convcost.build_layer(**base, rank=(4, 2))
    assert convcost.cost_layer(spec._replace(name="again")).spec.rank == spec.rank
    _error(lambda: convcost.build_layer(**base, rank=8.0), "rank", "8.0")
    _error(lambda: convcost.build_layer(**base, rank=(4, True)), "rank")
    _error(lambda: convcost.build_layer(**base, rank=(10**5000, 2)), "rank", "about 5,001 digits")
    _error(lambda: convcost.cost_model(MOBILENET, rank=-1), "rank", "-1")


def test_targets_are_taken_like_the_flags() -> None:
    """target and target_params ("4x", "75%") as --target and --target-params; never with rank."""
    spec = convcost.build_layer("28x28x8", k=3, out=16, target="4x", target_params="75%")
    assert [(t.figure, t.text) for t in spec.targets] == [("mults", "4x"), ("params", "75%")]
    assert convcost.cost_layer(spec).spec.targets == spec.targets
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=16, target=4), "target", "4")  # type: ignore[arg-type]
    _error(lambda: convcost.cost_layer(convcost.build_layer("28x28x8", k=3, out=16, rank=2, target="4x")), "not both")
    _error(lambda: convcost.cost_layer(LayerSpec(Shape(28, 28, 8), 16, (3, 3), targets=("4x",))), "spec.targets")  # type: ignore[arg-type]
    _error(lambda: convcost.cost_model(MOBILENET, rank=2, target="4x"), "not both")


@pytest.mark.parametrize(
    ("kwargs", "flags"),
    [
        ({}, []),
        ({"rank": "0.25"}, ["--rank", "0.25"]),
        ({"target": "4x"}, ["--target", "4x"]),
        ({"mid": 8, "method": "spatial-separable"}, ["--mid", "8", "--method", "spatial-separable"]),
        ({"method": "low-rank"}, ["--method", "low-rank"]),
    ],
)
def test_cost_model_json_is_the_clis(kwargs: dict[str, Any], flags: list[str]) -> None:
    """to_json(cost_model(...)) with the flags' values is exactly the JSON `convcost model` prints."""
    report = convcost.cost_model(MOBILENET, **kwargs)
    assert convcost.to_json(report) == run("model", MOBILENET, *flags, "--format", "json").stdout.rstrip("\n")


ZOO = sorted(str(p) for p in SPECS.glob("*.yaml") if "\nlayers:" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ZOO, ids=lambda p: Path(p).name)
def test_every_zoo_file_gives_the_clis_json_through_the_api(path: str) -> None:
    """One run for both front doors: the API's JSON of every model file in layer_specs/ is the CLI's, byte for byte."""
    assert convcost.to_json(convcost.cost_model_file(path)) == run("model", path, "--format", "json").stdout.rstrip("\n")


def test_layer_and_diff_json_are_the_clis() -> None:
    """to_json of a layer (one method or all) and of a diff is exactly the CLI's JSON."""
    layer = convcost.cost_layer(convcost.build_layer((28, 28, 8), k=3, out=16, rank=4), "low-rank")
    flags = ["--in", "28x28x8", "--k", "3", "--out", "16", "--rank", "4", "--method", "low-rank", "--format", "json"]
    assert convcost.to_json(layer) == run("layer", *flags).stdout.rstrip("\n")
    resnet = str(SPECS / "resnet50.yaml")
    diff = convcost.diff_models(MOBILENET, resnet)
    assert convcost.to_json(diff) == run("diff", MOBILENET, resnet, "--format", "json").stdout.rstrip("\n")


def test_separability_reads_rows_no_further_than_the_size_limit() -> None:
    """An endless generator of rows, or of entries, is refused at the size limit, not read to the end."""
    import itertools

    from convcost.separable import MAX_SIZE

    _error(lambda: convcost.separability([1, 2] for _ in itertools.count()), f"more than {MAX_SIZE} rows")
    _error(lambda: convcost.separability([itertools.count()]), f"more than {MAX_SIZE} entries in row 1")
    numpy = pytest.importorskip("numpy")
    assert convcost.separability(numpy.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]])).rank == 1


# --- arguments of any type, numbers of any numeric type, ONNX files -------------------------------

_DICT_MODEL = {"input": "8x8x4", "layers": [{"type": "conv", "k": 3, "out": 8}]}


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: convcost.build_layer({28, 8}, k=3, out=16), "inp: expected HxWxC"),
        (lambda: convcost.build_layer("28x28x8", k={3}, out=16), "k: expected N or AxB"),
        (lambda: convcost.build_layer("28x28x8", k=3, out={16}), "out: expected a whole number"),
        (lambda: convcost.build_layer("28x28x8", k=3, out=16, rank={3}), "rank: expected a rank"),
        (lambda: convcost.build_layer("28x28x8", k=3, out=16, name={"a"}), "name: expected a name, got set"),
        (lambda: convcost.cost_layer({"in": "8x8x3", "k": 3, "out": {4}}), "out: expected a whole number"),
        (lambda: convcost.cost_model({**_DICT_MODEL, ("a",): 1}), "model: keys must be plain words, got tuple ('a')"),
        (lambda: convcost.cost_model({"input": "8x8x4", "layers": [{"type": "conv", ("k",): 3, "out": 8}]}), "keys must be plain words"),
    ],
)
def test_unhashable_arguments_are_convcost_errors(call: Callable[[], object], fragment: str) -> None:
    """A set, or a tuple as a mapping key, is a ConvcostError naming it, never a bare TypeError."""
    _error(call, fragment)


def test_numbers_of_any_numeric_type_are_taken_as_their_value() -> None:
    """numpy scalars, Fraction, Decimal and int subclasses are their value (a bool never is)."""
    import enum
    from decimal import Decimal

    import numpy as np

    class Size(enum.IntEnum):
        K = 3

    def report(**kwargs: Any) -> str:
        return convcost.to_json(convcost.cost_layer(convcost.build_layer("28x28x8", **kwargs)))

    half = report(k=3, out=16, rank=0.5)
    for value in (np.float64(0.5), np.float32(0.5), Fraction(1, 2), Decimal("0.5"), Decimal("0.50")):
        assert report(k=3, out=16, rank=value) == half, value
    whole = report(k=3, out=16, rank=4)
    for value in (np.int64(4), Fraction(8, 2), Decimal("4"), Decimal("4.0")):
        assert report(k=3, out=16, rank=value) == whole, value
    assert report(k=Size.K, out=Decimal(16), groups=Fraction(2), mid=np.uint8(4)) == report(k=3, out=16, groups=2, mid=4)
    rows = convcost.cost_model(_DICT_MODEL, rank=Fraction(1, 4)).whatif
    assert rows == convcost.cost_model(_DICT_MODEL, rank=0.25).whatif
    assert convcost.separability([[Decimal("0.1"), Decimal("0.2")], [Decimal("0.2"), Decimal("0.4")]]).rank == 1
    assert convcost.separability("1 2; 2 4", tolerance=np.float64(1e-6)).rank == 1
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=16, rank=Fraction(1, 3)), "rank: expected a decimal fraction", "1/3")
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=16, rank=Decimal("NaN")), "rank: expected a rank", "NaN")
    _error(lambda: convcost.build_layer("28x28x8", k=3, out=16, rank=np.bool_(True)), "rank: expected a rank", "True")
    _error(lambda: convcost.build_layer("28x28x8", k=Decimal("3.5"), out=16), "k: expected N or AxB", "7/2")


def _onnx_paths(tmp_path: Path) -> list[str]:
    from onnx_cases import CASES, case_file

    return [*(case_file(tmp_path, name) for name in sorted(CASES)), str(ROOT / "tests" / "data" / "resnet18.onnx")]


def test_cost_model_file_costs_onnx_files_as_the_cli_does(tmp_path: Path) -> None:
    """cost_model_file (and cost_model) on a .onnx file: the JSON of `convcost model FILE --format json`, for every test graph."""
    for path in _onnx_paths(tmp_path):
        expected = run("model", path, "--format", "json").stdout
        assert convcost.to_json(convcost.cost_model_file(path)) + "\n" == expected, path
        assert convcost.to_json(convcost.cost_model(Path(path))) + "\n" == expected, path
    resnet = str(ROOT / "tests" / "data" / "resnet18.onnx")
    variant = run("model", resnet, "--method", "cp", "--rank", "0.25", "--all-ops", "--format", "json").stdout
    assert convcost.to_json(convcost.cost_model_file(resnet, rank=0.25, method="cp", all_ops=True)) + "\n" == variant
    _error(lambda: convcost.load_model(resnet), "is an ONNX file", "cost_model_file")


def test_zero_dimensional_arrays_are_their_number() -> None:
    """A 0-d numpy array is the number it holds, in every argument (never a bare TypeError from len())."""
    numpy = pytest.importorskip("numpy")
    spec = convcost.build_layer((28, 28, 8), k=numpy.array(3), out=numpy.array(16), rank=numpy.array(4))
    assert (spec.k, spec.out, spec.rank) == ((3,), 16, 4)
    _error(lambda: convcost.build_layer(numpy.array(28), k=3, out=16), "inp: expected HxWxC")


@pytest.mark.parametrize("value_of", [lambda np: np.timedelta64(3), lambda np: np.datetime64(3, "s")])
def test_numpy_times_are_not_numbers(value_of: Callable[[Any], object]) -> None:
    """numpy's timedelta64 and datetime64 are integers to Python, but not sizes: refused, named."""
    numpy = pytest.importorskip("numpy")
    _error(lambda: convcost.build_layer((28, 28, 8), k=value_of(numpy), out=16), "k: expected N or AxB")


@pytest.mark.parametrize("value", [memoryview(b"abc"), bytearray(b"28x28x8")])
def test_bytes_like_values_are_not_shapes(value: object) -> None:
    """A memoryview or bytearray is refused as a shape, as bytes are (never read as its byte values)."""
    _error(lambda: convcost.build_layer(value, k=3, out=16), "inp: expected HxWxC")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1e999999999", "1e100000000", "-1e999999999"])
def test_decimals_of_huge_exponents_are_refused_at_once(text: str) -> None:
    """A Decimal whose integer would have millions of digits is refused without building it (bounded time)."""
    import time
    from decimal import Decimal

    start = time.perf_counter()
    _error(lambda: convcost.build_layer((28, 28, 8), k=Decimal(text), out=16), "k: expected")
    _error(lambda: convcost.separability([[Decimal(text), 1], [1, 1]]), "row 1: expected a number")
    assert time.perf_counter() - start < 30  # a hang, not speed: speed is in benchmarks/


def test_a_numpy_bool_in_a_model_mapping_is_a_bool() -> None:
    """`bias: numpy.bool_(True)` in a model mapping is True, as a Python bool is."""
    numpy = pytest.importorskip("numpy")
    layers = [{"k": 3, "out": 16, "bias": numpy.bool_(True)}]
    assert convcost.cost_model({"input": (32, 32, 3), "layers": layers}).params == 3 * 3 * 3 * 16 + 16


def test_a_model_files_budget_is_in_the_apis_json_as_in_the_clis(tmp_path: Path) -> None:
    """A file's `budget:` verdict is in to_json(cost_model_file(...)), as in `convcost model FILE --format json`."""
    path = tmp_path / "budget.yaml"
    path.write_text("input: 32x32x3\nbudget: {max-mults: 10}\nlayers:\n  - {k: 3, out: 16}\n", encoding="utf-8")
    text = convcost.to_json(convcost.cost_model_file(str(path)))
    assert json.loads(text)["budget"] == {"mults": {"limit": 10, "value": 30 * 30 * 3 * 3 * 3 * 16, "ok": False}}
    assert text == run("model", str(path), "--format", "json").stdout.rstrip("\n")


def test_numpy_long_doubles_and_0d_times() -> None:
    """numpy's longdouble is a float as any float is (never a RecursionError); a 0-d array of a numpy time is refused like the time."""
    numpy = pytest.importorskip("numpy")
    assert convcost.build_layer((28, 28, 8), k=3, out=16, rank=numpy.longdouble(0.25)).rank is not None
    _error(lambda: convcost.build_layer((28, 28, 8), k=3, out=numpy.longdouble(16)), "out: expected a whole number >= 1, got 16.0")
    _error(lambda: convcost.build_layer((28, 28, 8), k=3, out=numpy.clongdouble(16)), "out: expected")
    _error(lambda: convcost.build_layer((28, 28, 8), k=3, out=numpy.array(numpy.timedelta64(16))), "out: expected")
    _error(lambda: convcost.separability(numpy.array(5)), "kernel: expected")


def test_a_set_of_methods_is_refused() -> None:
    """A set has no order: the methods shown and the one a budget checks would change with PYTHONHASHSEED; refused."""
    spec = convcost.build_layer((28, 28, 8), k=3, out=16)
    for methods in ({"cp", "low-rank"}, frozenset({"cp"})):
        with pytest.raises(convcost.ConvcostError, match="expected a method name or a list of them"):
            convcost.cost_layer(spec, methods)
    assert [r.method for r in convcost.cost_layer(spec, ["cp", "low-rank"]).results] == ["cp", "low-rank"]


def test_a_dict_model_keeps_every_name_exactly() -> None:
    """A layer name with U+0085, U+2028, an escape or a non-ASCII letter survives a dict model exactly (not folded to a space)."""
    for name in ("a\x85b", "a\u2028b", "a\x1bb", "café", "a\tb"):
        model = convcost.cost_model({"input": [8, 8, 3], "layers": [{"name": name, "k": 3, "out": 4}]})
        assert model.layers[0].name == name


def test_a_call_that_does_not_fit_the_signature_raises_convcost_error() -> None:
    """An unknown keyword, a missing or an extra argument: ConvcostError naming the function, never a bare TypeError."""
    with pytest.raises(convcost.ConvcostError, match="build_layer: got an unexpected keyword argument 'evil'"):
        convcost.build_layer((8, 8, 3), k=3, out=4, evil=1)  # type: ignore[call-arg]
    with pytest.raises(convcost.ConvcostError, match="cost_layer: missing a required argument: 'spec'"):
        convcost.cost_layer()  # type: ignore[call-arg]
    with pytest.raises(convcost.ConvcostError, match="to_json: too many positional arguments"):
        convcost.to_json(1, 2)  # type: ignore[call-arg]
    with pytest.raises(convcost.ConvcostError, match="model_schema: too many positional arguments"):
        convcost.model_schema(5)  # type: ignore[call-arg]
    assert convcost.model_schema()["$schema"].startswith("https://json-schema.org/")


def test_a_str_subclass_is_taken_as_its_text() -> None:
    """numpy's str_ (what a DataFrame column gives) as a layer name or a key's value is the text it holds."""
    np = pytest.importorskip("numpy")
    model = convcost.cost_model({"input": (8, 8, 3), "layers": [{"k": 3, "out": 4, "name": np.str_("x"), "padding": np.str_("same")}]})
    assert (model.layers[0].name, model.output) == ("x", convcost.Shape(8, 8, 4))
