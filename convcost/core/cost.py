"""The cost record, and the one place where ratios of costs become percentages.

Counting convention, everywhere: ``mults`` are multiply-accumulates, one per weight use
(FLOPs = 2 x mults); additions and bias adds are not counted. ``params`` are the learned
values (weights, biases, batch-norm scale and shift). The element counts are what memory
traffic needs: activation elements read and written, and weight elements read, each once
(batch 1; a batch multiplies the activation figures, not the weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from convcost.core.shapes import Conv


class Cost(NamedTuple):
    """What one node (or a sum of nodes) costs, as exact integers.

    A NamedTuple, not a dataclass: a 100,000-layer network makes one per layer. Add costs
    with :meth:`plus` or :func:`total` (``+`` would concatenate the tuples).
    """

    mults: int = 0
    params: int = 0
    input_elems: int = 0
    """Activation elements read (every input tensor of the node, once)."""
    output_elems: int = 0
    """Activation elements written."""
    weight_elems: int = 0
    """Weight elements read, biases included (usually equal to ``params``)."""

    def plus(self, other: Cost) -> Cost:
        """The sum of two costs, field by field."""
        return Cost(
            self.mults + other.mults,
            self.params + other.params,
            self.input_elems + other.input_elems,
            self.output_elems + other.output_elems,
            self.weight_elems + other.weight_elems,
        )

    def minus(self, other: Cost) -> Cost:
        """The difference of two costs, field by field."""
        return Cost(
            self.mults - other.mults,
            self.params - other.params,
            self.input_elems - other.input_elems,
            self.output_elems - other.output_elems,
            self.weight_elems - other.weight_elems,
        )


ZERO = Cost()


def conv_cost(conv: Conv, extra_params: int = 0) -> Cost:
    """The batch-1 cost of one convolution: its input read and output written once, its weights
    (and ``extra_params``, e.g. batch norm's 2 per channel) read once."""
    inp, out = conv.inp, conv.out
    params = conv.params + extra_params
    return Cost(conv.mults, params, inp.h * inp.w * inp.c, out.h * out.w * out.c, params)


def batched(cost: Cost, batch: int) -> Cost:
    """A batch-1 cost for ``batch`` inputs: mults and activation elements scale, weights do not."""
    if batch == 1:
        return cost
    return cost._replace(mults=cost.mults * batch, input_elems=cost.input_elems * batch, output_elems=cost.output_elems * batch)


def total(costs: Iterable[Cost]) -> Cost:
    """The field-by-field sum of ``costs`` (ZERO for none)."""
    mults = params = inputs = outputs = weights = 0
    for c in costs:
        mults += c.mults
        params += c.params
        inputs += c.input_elems
        outputs += c.output_elems
        weights += c.weight_elems
    return Cost(mults, params, inputs, outputs, weights)


def reduction_pct(base: int, value: int) -> float:
    """``100 * (base - value) / base``: the float nearest the exact ratio (negative: a rise).

    Integer true division is correctly rounded, so nothing goes through an inexact float
    first; input digit limits keep every ratio far inside the float range. A base of 0
    gives 0.0.
    """
    return 100 * (base - value) / base if base else 0.0


def change_pct(base: int, value: int) -> float | None:
    """``100 * (value - base) / base``, the float nearest the exact ratio; None when base is 0."""
    return 100 * (value - base) / base if base else None


def share_pct(part: int, whole: int) -> float:
    """``100 * part / whole`` (0.0 for an empty whole)."""
    return 100 * part / whole if whole else 0.0


def speedup(base: int, value: int) -> float | None:
    """``base / value``, the float nearest the exact ratio; None when value is 0."""
    return base / value if value else None
