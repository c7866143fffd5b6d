"""Peak activation memory: the most bytes of tensors alive at once while a network runs.

The model: nodes run one at a time in the graph's execution order; each writes one new
tensor (nothing in place, no aliasing). A tensor is alive from the node that writes it until
its last consumer has run; the graph input counts, and is alive until its last consumer; the
network's output tensor stays alive to the end. While node ``i`` runs, its inputs, its output
and every other tensor still needed later are alive together; that sum, maximised over the
nodes, is the peak, reported with the node where it first occurs. A residual or a
concatenation therefore keeps its inputs alive across the branch between. Weights are
reported apart (``weights_bytes``: all of them, resident throughout).

Bytes are ``a x B x elements`` for activations and ``w x elements`` for weights, with the
dtype sizes and batch of :class:`~convcost.analysis.roofline.Precision`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from convcost.core.graph import INPUT
from convcost.core.units import FP32, Precision

if TYPE_CHECKING:
    from convcost.core.graph import Graph


class Memory(NamedTuple):
    """The peak of live activations and the weights, in bytes."""

    peak_bytes: int
    at: int
    """Index of the node at which the peak first occurs (INPUT for a graph without nodes)."""
    weights_bytes: int


class PeakElements(NamedTuple):
    """The peak in elements (batch 1), before dtype and batch apply."""

    elements: int
    at: int


def peak_elements(inputs: Sequence[Sequence[int]], sizes: Sequence[int], input_size: int, output: int) -> PeakElements:
    """The largest number of activation elements alive at once.

    ``inputs[i]`` are the producers node ``i`` reads (``INPUT``: the graph input), ``sizes[i]``
    the elements of node ``i``'s output, ``input_size`` those of the graph input, ``output``
    the node whose tensor is the network's result (kept to the end). Linear in the graph size.
    """
    count = len(sizes)
    last = [-1] * count  # last consumer of each node's tensor (-1: none)
    input_last = -1
    for i, producers in enumerate(inputs):
        for p in producers:
            if p == INPUT:
                input_last = i
            else:
                last[p] = i
    if 0 <= output < count:
        last[output] = count  # the result is never freed
    frees: list[list[int]] = [[] for _ in range(count)]
    for p, consumer in enumerate(last):
        if consumer < count:
            frees[max(consumer, p)].append(p)  # an unread tensor is freed right after it is written
    live = input_size
    peak, at = (input_size, INPUT)
    for i in range(count):
        live += sizes[i]
        if live > peak:
            peak, at = live, i
        for p in frees[i]:
            live -= sizes[p]
        if i == input_last:
            live -= input_size
    return PeakElements(peak, at)


def peak_memory(graph: Graph, weight_elems: int, prec: Precision = FP32) -> Memory:
    """Peak activation bytes of ``graph`` (its ``shapes``, times ``prec.batch``) and the bytes of ``weight_elems`` weights."""
    inp = graph.input
    sizes = [s.h * s.w * s.c for s in graph.shapes]
    peak = peak_elements([node.inputs for node in graph.nodes], sizes, inp.h * inp.w * inp.c, graph.output)
    return Memory(prec.act_bytes * prec.batch * peak.elements, peak.at, prec.weight_bytes * weight_elems)


def peak_at(memory: Memory, names: Sequence[str]) -> str:
    """The name of the node where the peak is reached (``input`` before any node)."""
    return names[memory.at] if 0 <= memory.at < len(names) else "input"
