"""``linear``: a fully connected layer on the flattened input, ``features * out`` mults; and the ONNX ops that
multiply matrices (``Gemm``, ``MatMul``, ``Einsum``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from math import prod
from typing import Any, NamedTuple

from convcost.core.cost import Cost
from convcost.core.shapes import Shape, shown
from convcost.errors import ConvcostError
from convcost.ops.conv import KEYS
from convcost.ops.onnx_node import FLAG, STRING, UNKNOWN, AttributeRule, Lowered, OnnxHandler, OnnxNode, broadcasts, not_lowered
from convcost.ops.registry import Evaluated, OpDef, register


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``H*W*C`` features in, ``out`` features out; params ``features*out`` (+ bias, + 2 per output with bn)."""
    (shape,) = inputs
    features = shape.elements
    if "features" in v and v["features"] != features:
        raise ConvcostError(f"linear expects {v['features']:,} input features, but its input {shape} flattens to {features:,}")
    n = v["out"]
    params = features * n + (n if v.get("bias") else 0) + (2 * n if v.get("bn") else 0)
    return Evaluated(Shape(1, 1, n), Cost(features * n, params, features, n, params))


def matmul_mults(a: Sequence[int], b: Sequence[int]) -> int:
    """numpy ``matmul``: the broadcast batch dimensions x M x N x K (a 1-D operand is a vector)."""
    if not a or not b:
        raise ConvcostError("MatMul needs operands of rank 1 or more")
    a = (1, *a) if len(a) == 1 else tuple(a)
    b = (*b, 1) if len(b) == 1 else tuple(b)
    m, k, n = a[-2], a[-1], b[-1]
    batch_a, batch_b = a[:-2], b[:-2]
    width = max(len(batch_a), len(batch_b))
    batch_a = (1,) * (width - len(batch_a)) + batch_a
    batch_b = (1,) * (width - len(batch_b)) + batch_b
    batch = prod(max(x, y) if 1 in (x, y) else x for x, y in zip(batch_a, batch_b, strict=True))
    return batch * m * n * k


def onnx_gemm_mults(node: OnnxNode) -> int:
    """Gemm: M x N x K (``transA``, ``transB``)."""
    a, b = node.need(0), node.need(1)
    m, k = (a[1], a[0]) if node.attrs.get("transA", 0) else (a[0], a[1])
    n = b[0] if node.attrs.get("transB", 0) else b[1]
    return m * n * k


def onnx_matmul_mults(node: OnnxNode) -> int:
    """MatMul: the broadcast batch dimensions x M x N x K, whether the second operand is a weight or an activation."""
    return matmul_mults(node.need(0), node.need(1))


def check_onnx_gemm(node: OnnxNode) -> None:
    """Gemm's C broadcasts one way onto its (M, N) output: at most 2 dimensions, each 1 or the output's."""
    if len(node.inputs) < 3 or not node.inputs[2]:
        return
    bias, out = node.known(2), node.out_dims[0] if node.out_dims else None
    if bias is None or out is None or any(d < 0 for d in out):
        return
    if len(bias) > 2 or not broadcasts(bias, out):
        raise ConvcostError(
            f"{node.where}: its C {shown(node.inputs[2])} is {'x'.join(map(str, bias)) or 'a scalar'}; expected a shape that "
            f"broadcasts onto the {'x'.join(map(str, out))} output (at most 2 dimensions, each 1 or the output's)"
        )


def lower_onnx_linear(node: OnnxNode) -> Lowered | None:
    """Gemm or MatMul of a batch of vectors by a 2-D weight as ``linear`` (Gemm's C as its bias when it is one per output)."""
    attrs, ins = node.attrs, node.inputs
    dims, weight = node.known(0), node.known(1)
    if dims is None or len(dims) != 2 or len(node.activations) != 1:
        return None
    if weight is None or len(weight) != 2 or attrs.get("transA", 0):
        return None
    n = weight[0] if attrs.get("transB", 0) else weight[1]
    bias = False
    if node.op_type == "Gemm" and len(ins) > 2 and ins[2]:
        c = node.dims[2]
        if c is None or not node.constant[2] or UNKNOWN in c or prod(c) != n:
            return None
        bias = True
    return ("linear", {"out": n, "bias": bias}, (ins[0],))


# --- Einsum ----------------------------------------------------------------------------

_TERM = re.compile(r"[A-Za-z]*(?:\.\.\.)?[A-Za-z]*")
"""One term of an Einsum equation: letters, with at most one ``...`` (the broadcast dimensions)."""

ELLIPSIS = "."
"""A term's ``...``, as one item of :class:`Equation`'s terms."""


class Equation(NamedTuple):
    """A parsed Einsum equation: each input's term and the output's (None: implicit, numpy's rule)."""

    terms: tuple[tuple[str, ...], ...]
    output: tuple[str, ...] | None


def parse_equation(text: str) -> Equation | None:
    """``'bhqd,bhkd->bhqk'`` as its terms (spaces ignored, as ONNX does), or None when it is not an equation:
    a term of letters (at most one ``...``) per input, then optionally ``->`` and the output's term, whose
    letters each appear once and in some input."""
    text = text.replace(" ", "")
    left, arrow, right = text.partition("->")
    if "->" in right or "-" in left or ">" in left:
        return None
    pieces = left.split(",")
    if not all(_TERM.fullmatch(p) for p in pieces) or (arrow and not _TERM.fullmatch(right)):
        return None
    terms = tuple(_items(p) for p in pieces)
    if not arrow:
        return Equation(terms, None)
    output = _items(right)
    letters = {x for term in terms for x in term}
    if len(set(output)) != len(output) or not set(output) <= letters:
        return None
    return Equation(terms, output)


def _items(term: str) -> tuple[str, ...]:
    """A term's letters, its ``...`` one item (:data:`ELLIPSIS`)."""
    head, dots, tail = term.partition("...")
    return (*head, *((ELLIPSIS,) if dots else ()), *tail)


EQUATION_RULE: AttributeRule = (
    STRING,
    (
        "an Einsum equation: a term of letters (at most one '...') per input, comma-separated, then optionally '->' and "
        "the output's letters, each once and each in an input"
    ),
    lambda v: isinstance(v, str) and parse_equation(v) is not None,
)


def _labelled(node: OnnxNode) -> tuple[list[tuple[str, ...]], tuple[str, ...], dict[str, int]]:
    """Each operand's labels (its ``...`` expanded into labels ``.0``, ``.1``, ... aligned on the right), the
    output's labels, and every label's size (broadcast: a size of 1 gives way); the error naming the node when an
    operand's rank or a label's sizes do not fit the equation."""
    equation = parse_equation(str(node.attrs.get("equation", "")))
    assert equation is not None  # the attribute rule refused it before shape inference
    operands = [node.need(slot) for slot in range(len(node.inputs))]
    if len(equation.terms) != len(operands):
        raise ConvcostError(
            f"{node.where}: its equation {shown(node.attrs['equation'])} has {len(equation.terms):,} input terms; "
            f"expected one per input ({len(operands):,})"
        )
    spread = [len(dims) - (len(term) - (ELLIPSIS in term)) for term, dims in zip(equation.terms, operands, strict=True)]
    width = max([s for s, term in zip(spread, equation.terms, strict=True) if ELLIPSIS in term], default=0)
    labels: list[tuple[str, ...]] = []
    sizes: dict[str, int] = {}
    for slot, (term, dims, extra) in enumerate(zip(equation.terms, operands, spread, strict=True)):
        if extra < 0 or (extra and ELLIPSIS not in term):
            letters = len(term) - (ELLIPSIS in term)
            raise ConvcostError(
                f"{node.where}: input {shown(node.inputs[slot])} is {'x'.join(map(str, dims)) or 'a scalar'} (rank {len(dims)}), "
                f"but its term in the equation {shown(node.attrs['equation'])} has {letters} letter{'s' if letters != 1 else ''}"
                f"{' and ...' if ELLIPSIS in term else ''}; expected {'at least ' if ELLIPSIS in term else ''}{letters} dimensions"
            )
        expanded: list[str] = []
        for item in term:
            expanded += [f"{ELLIPSIS}{width - extra + i}" for i in range(extra)] if item == ELLIPSIS else [item]
        for label, size in zip(expanded, dims, strict=True):
            known = sizes.get(label, 1)
            if size != known and 1 not in (size, known):
                raise ConvcostError(
                    f"{node.where}: index {shown(label if not label.startswith(ELLIPSIS) else '...')} of its equation "
                    f"{shown(node.attrs['equation'])} has sizes {known:,} and {size:,}; expected one size (or 1, which broadcasts)"
                )
            sizes[label] = max(size, known)
        labels.append(tuple(expanded))
    broadcast = tuple(f"{ELLIPSIS}{i}" for i in range(width))
    if equation.output is None:  # numpy's implicit output: the broadcast dimensions, then the letters used once, sorted
        counts: dict[str, int] = {}
        for term in equation.terms:
            for item in term:
                counts[item] = counts.get(item, 0) + 1
        output = broadcast + tuple(sorted(x for x, n in counts.items() if n == 1 and x != ELLIPSIS))
    else:
        output = tuple(y for x in equation.output for y in (broadcast if x == ELLIPSIS else (x,)))
    return labels, output, sizes


def einsum_mults(node: OnnxNode) -> int:
    """Einsum: for two operands, the product of the sizes of every index in the output or in both operands (an index
    summed within one operand first costs nothing), as PyTorch's decomposition into ``bmm`` counts; one operand
    (a transpose, trace or sum): 0; more, contracted left to right, each step by the same rule, keeping the indices
    the output or a later operand has."""
    labels, output, sizes = _labelled(node)
    if len(labels) < 2:
        return 0
    total = 0
    current = set(labels[0])
    for step, other in enumerate(labels[1:], 1):
        later = {x for term in labels[step + 1 :] for x in term}
        both = current & set(other)
        kept = (current | set(other)) & (set(output) | later)
        total += prod(sizes[x] for x in kept | both)
        current = kept
    return total


def einsum_dims(node: OnnxNode) -> tuple[int, ...]:
    """Einsum's output: the size of each output index (the broadcast dimensions' where ``...`` stands), once the
    equation is checked against the operands (one term per input, of the input's rank, an index's sizes agreeing)."""
    _, output, sizes = _labelled(node)
    return tuple(sizes[label] for label in output)


def check_einsum(node: OnnxNode) -> None:
    """Einsum's equation fits its operands: one term per input, each of the input's rank, an index's sizes agreeing."""
    if all(node.known(slot) is not None for slot in range(len(node.inputs))):
        _labelled(node)


register(
    OpDef(
        ("linear",),
        evaluate,
        {
            "out": KEYS["out"],
            "bias": KEYS["bias"],
            "bn": KEYS["bn"],
            "features": KEYS["out"]._replace(description="input features (checked)"),
        },
        required=("out",),
        auto_name="fc",
        summary="fully connected on the flattened input: features*out mults and params (+out bias)",
        onnx={
            "Gemm": OnnxHandler(lower_onnx_linear, {"transA": FLAG, "transB": FLAG}, onnx_gemm_mults, check=check_onnx_gemm),
            "MatMul": OnnxHandler(lower_onnx_linear, mults=onnx_matmul_mults),
            "Einsum": OnnxHandler(not_lowered, {"equation": EQUATION_RULE}, einsum_mults, check=check_einsum, shape=einsum_dims),
        },
    )
)
