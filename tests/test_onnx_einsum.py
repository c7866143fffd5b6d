"""``Einsum`` in an ONNX file: two operands cost the sizes of the indices in the output or in both, one costs 0,
more contract left to right; its equation is checked (a hostile one is one error line)."""

from __future__ import annotations

import string
from math import prod
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_user_error, run, run_json
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from onnx_cases import init, save


def _einsum(tmp_path: Path, equation: str, shapes: list[list[int]], name: str = "e.onnx") -> str:
    """One Einsum of graph inputs x0, x1, ... of these shapes."""
    names = [f"x{i}" for i in range(len(shapes))]
    node = helper.make_node("Einsum", names, ["y"], name="einsum", equation=equation)
    return save(tmp_path / name, [node], list(zip(names, shapes, strict=True)), ["y"])


def _mults(path: str) -> int:
    data = run_json("model", path, "--all-ops")
    assert not any(note.startswith("not costed") for note in data["notes"]), data["notes"]  # costed, never listed
    return int(data["totals"]["mults"])


def test_attention_einsums_count_as_their_matmuls(tmp_path: Path) -> None:
    """Q K^T and A V written as Einsum: batch x heads x queries x keys x head dim each, as MatMul counts them."""
    b, h, q, k, d = 1, 4, 6, 5, 8
    nodes = [
        helper.make_node("Einsum", ["q", "k"], ["scores"], name="scores", equation="bhqd,bhkd->bhqk"),
        helper.make_node("Softmax", ["scores"], ["attn"], name="softmax", axis=-1),
        helper.make_node("Einsum", ["attn", "v"], ["y"], name="mix", equation="bhqk,bhkd->bhqd"),
    ]
    path = save(tmp_path / "attn.onnx", nodes, [("q", [b, h, q, d]), ("k", [b, h, k, d]), ("v", [b, h, k, d])], ["y"])
    rows = {row["name"]: row for row in run_json("model", path, "--all-ops")["layers"]}
    assert rows["scores"]["mults"] == h * q * k * d  # per sample: the batch is 1
    assert rows["mix"]["mults"] == h * q * k * d
    assert _mults(path) == 2 * b * h * q * k * d


def test_an_einsum_with_a_weight_has_its_params(tmp_path: Path) -> None:
    """A projection written as Einsum ('bnc,cd->bnd'): N x C x D mults and the C x D weight's params."""
    node = helper.make_node("Einsum", ["x", "w"], ["y"], name="proj", equation="bnc,cd->bnd")
    path = save(tmp_path / "p.onnx", [node], [("x", [1, 7, 12])], ["y"], [init("w", [12, 5])])
    data = run_json("model", path)
    assert (data["totals"]["mults"], data["totals"]["params"]) == (7 * 12 * 5, 12 * 5)


@pytest.mark.parametrize(
    ("equation", "shapes", "mults"),
    [
        ("bhqd->bhdq", [[1, 2, 3, 4]], 0),  # a transpose
        ("ii->", [[5, 5]], 0),  # a trace
        ("bij->b", [[1, 3, 4]], 0),  # a sum
        ("ij,jk->k", [[3, 4], [4, 5]], 4 * 5),  # i summed within the first operand first: free
        ("ij,kl->", [[3, 4], [5, 6]], 1),  # both operands summed first, then one product
        ("i,j->ij", [[3], [4]], 3 * 4),  # an outer product
        ("ij,ij->ij", [[3, 4], [3, 4]], 3 * 4),  # elementwise: a batch of 1x1 products
        ("ij,jk", [[3, 4], [4, 5]], 3 * 4 * 5),  # implicit output: ik
        ("...qd,...kd->...qk", [[2, 1, 6, 8], [1, 3, 5, 8]], 2 * 3 * 6 * 5 * 8),  # batch dimensions broadcast: 2x3
        ("b i j, b j k -> b i k", [[2, 3, 4], [2, 4, 5]], 2 * 3 * 4 * 5),  # spaces, as ONNX allows
        ("ij,jk,kl->il", [[3, 4], [4, 5], [5, 6]], 3 * 4 * 5 + 3 * 5 * 6),  # left to right: (ij,jk->ik), then (ik,kl->il)
    ],
)
def test_einsum_mults_by_the_rule(tmp_path: Path, equation: str, shapes: list[list[int]], mults: int) -> None:
    """Each equation costs the hand-written product of the sizes of its kept and shared indices."""
    assert _mults(_einsum(tmp_path, equation, shapes)) == mults


_LETTERS = string.ascii_lowercase[:8]


@settings(max_examples=40, deadline=None)
@given(
    left=st.lists(st.sampled_from(_LETTERS), min_size=1, max_size=4, unique=True),
    right=st.lists(st.sampled_from(_LETTERS), min_size=1, max_size=4, unique=True),
    keep=st.sets(st.sampled_from(_LETTERS)),
    sizes=st.lists(st.integers(1, 4), min_size=8, max_size=8),
)
def test_two_operand_einsum_is_its_bmm(tmp_path_factory: pytest.TempPathFactory, left: list[str], right: list[str],
                                       keep: set[str], sizes: list[int]) -> None:  # fmt: skip
    """Any two-operand Einsum costs what its bmm costs: batch x rows x columns x contracted (numpy gives the output shape)."""
    out = [x for x in _LETTERS if x in keep and (x in left or x in right)]
    size = dict(zip(_LETTERS, sizes, strict=True))
    a, b = [size[x] for x in left], [size[x] for x in right]
    batch = [x for x in out if x in left and x in right]
    rows_ = [x for x in out if x in left and x not in right]
    columns = [x for x in out if x in right and x not in left]
    contracted = [x for x in left if x in right and x not in out]
    expected = prod(size[x] for x in batch + rows_ + columns + contracted)
    equation = f"{''.join(left)},{''.join(right)}->{''.join(out)}"
    path = _einsum(tmp_path_factory.mktemp("einsum"), equation, [a, b])
    data = run_json("model", path, "--all-ops")
    assert data["totals"]["mults"] == expected
    shape = np.einsum(equation, np.zeros(a), np.zeros(b)).shape
    assert prod(shape) == prod(size[x] for x in out)  # the output is what numpy says


@pytest.mark.parametrize(
    ("equation", "shapes", "fragments"),
    [
        ("ij,jk->ik->i", [[3, 4], [4, 5]], ("attribute equation 'ij,jk->ik->i'", "expected an Einsum equation")),
        ("ij,j1->i", [[3, 4], [4, 5]], ("attribute equation 'ij,j1->i'", "expected an Einsum equation")),
        ("i..j,jk->ik", [[3, 4], [4, 5]], ("expected an Einsum equation",)),
        ("ij,jk->ikk", [[3, 4], [4, 5]], ("attribute equation 'ij,jk->ikk'", "each once")),
        ("ij,jk->iz", [[3, 4], [4, 5]], ("attribute equation 'ij,jk->iz'", "each in an input")),
        ("..." * 330_000, [[3, 4], [4, 5]], ("attribute equation '.....", "expected an Einsum equation")),
    ],
)
def test_a_bad_equation_is_one_error(tmp_path: Path, equation: str, shapes: list[list[int]], fragments: tuple[str, ...]) -> None:
    """An equation outside the grammar (or 1 MB of dots): one error line naming the node and the value, exit 2."""
    assert_user_error(run("model", _einsum(tmp_path, equation, shapes)), "node 'einsum' (Einsum)", *fragments)


def test_an_index_of_two_sizes_is_refused(tmp_path: Path) -> None:
    """An index whose sizes differ between the operands (neither 1): one error line naming the index and both sizes."""
    result = run("model", _einsum(tmp_path, "ij,jk->ik", [[3, 4], [6, 5]]))
    assert_user_error(result, "node 'einsum' (Einsum)", "index 'j' of its equation 'ij,jk->ik' has sizes 4 and 6")


@pytest.mark.parametrize(
    ("equation", "shapes", "fragment"),
    [
        ("ij,jk,kl->il", [[3, 4], [4, 5]], "has 3 input terms; expected one per input (2)"),
        ("ijk,jk->i", [[3, 4], [4, 5]], "input 'x0' is 3x4 (rank 2), but its term in the equation 'ijk,jk->i' has 3 letters"),
        ("ijk->i", [[3, 4]], "input 'x0' is 3x4 (rank 2), but its term"),
        ("i->i", [[]], "input 'x0' is a scalar (rank 0), but its term"),
        ("...i,...i->...", [[4, 2], [5, 2]], "index '...' of its equation '...i,...i->...' has sizes 4 and 5"),
    ],
)
def test_an_equation_that_does_not_fit_its_operands(tmp_path: Path, equation: str, shapes: list[list[int]], fragment: str) -> None:
    """More terms than inputs, a term of another rank than its operand, ellipses that disagree: one error line, exit 2
    (convcost's own check: ONNX's Einsum shape function, which crashes the process on some of these, is never run)."""
    assert_user_error(run("model", _einsum(tmp_path, equation, shapes)), "node 'einsum' (Einsum)", fragment)


@pytest.mark.parametrize(
    ("equation", "shapes", "mults"),
    [("...,...->...", [[], [2, 3]], 2 * 3), ("...i,...i->...", [[2], [5, 2]], 5 * 2), ("...j,ij->...i", [[7, 3], [4, 3]], 7 * 4 * 3)],
)
def test_ellipses_of_different_widths_broadcast(tmp_path: Path, equation: str, shapes: list[list[int]], mults: int) -> None:
    """A later operand's ``...`` wider than an earlier one's broadcasts, as numpy does (ONNX's shape function crashes)."""
    assert _mults(_einsum(tmp_path, equation, shapes)) == mults


def test_an_einsum_of_computed_tensors_is_checked_and_shaped(tmp_path: Path) -> None:
    """Operands whose shapes only inference knows (after a Relu): the same check; a good one's output feeds what follows."""
    bad = [
        helper.make_node("Relu", ["x0"], ["r"], name="relu"),
        helper.make_node("Einsum", ["r", "x1"], ["y"], name="einsum", equation="ijk,jk->i"),
    ]
    path = save(tmp_path / "bad.onnx", bad, [("x0", [3, 4]), ("x1", [4, 5])], ["y"])
    assert_user_error(run("model", path), "node 'einsum' (Einsum)", "input 'r' is 3x4 (rank 2)")
    good = [
        helper.make_node("Relu", ["x0"], ["r"], name="relu"),
        helper.make_node("Einsum", ["r", "x1"], ["y"], name="einsum", equation="ij,jk->ik"),
        helper.make_node("Einsum", ["y", "x2"], ["z"], name="again", equation="ik,kl->il"),
    ]
    path = save(tmp_path / "good.onnx", good, [("x0", [3, 4]), ("x1", [4, 5]), ("x2", [5, 7])], ["z"])
    rows = {row["name"]: row for row in run_json("model", path, "--all-ops")["layers"]}
    assert rows["einsum"]["mults"] == 3 * 4 * 5
    assert rows["again"]["mults"] == 3 * 5 * 7  # y's shape 3x5 comes from convcost's own Einsum rule
