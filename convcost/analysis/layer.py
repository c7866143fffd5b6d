"""One layer: the ``layer`` command's graph (one ``conv`` node) under every cost model.

Kept apart from the network walk (``analysis.network``) so that ``convcost layer`` loads only
what one layer needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from convcost.core.graph import INPUT
from convcost.factorize import cost_layer
from convcost.ops import OPS

if TYPE_CHECKING:
    from convcost.core.graph import Graph
    from convcost.factorize import LayerReport, LayerSpec


def cost_layer_graph(graph: Graph, spec: LayerSpec, methods: Sequence[str] | None = None) -> LayerReport:
    """The graph's output node, a convolution, under every cost model (or ``methods``), with the
    rank options of ``spec``.

    The convolution is the one the ``conv`` op resolves for the node, so a layer given by flags
    and the same layer in a model file follow one rule."""

    if graph.evaluated:  # as the front end evaluated it
        conv = graph.evaluated[graph.output].conv
    else:
        node = graph.nodes[graph.output]
        inputs = tuple(graph.input if t == INPUT else graph.shapes[t] for t in node.inputs)
        conv = OPS[node.op].evaluate(node.op, node.attrs, inputs).conv
    return cost_layer(spec, methods, conv)
