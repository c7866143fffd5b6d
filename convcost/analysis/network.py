"""The network walk: a fold over the operator graph into per-layer costs, totals, block
subtotals and the what-if table.

Counting convention as in ``factorize``: ``mults`` are multiply-accumulates of convolutions
and linear layers (squeeze-excitation's two 1x1 convolutions included); pooling, activations,
normalization and merges count none; batch norm adds 2 parameters per channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from convcost.core.cost import ZERO, Cost, batched, conv_cost, reduction_pct, total
from convcost.core.graph import INPUT, Evaluated, Graph
from convcost.core.perf import paused_gc
from convcost.core.shapes import Conv, Shape
from convcost.errors import ConvcostError, SpecError
from convcost.factorize import (
    FACTORIZATIONS,
    METHODS,
    MethodOptions,
    MethodResult,
    Rank,
    Target,
    alternatives,
    apply,
    chosen_setting,
    layer_options,
    whatif_caption,
)
from convcost.ops import OPS
from convcost.ops.conv import not_factorized_reason
from convcost.ops.registry import INTERNAL_OPS


class Alternative:
    """One factorization of one layer: what the layer then costs (batch norm included), and its
    result. Given the layer's ``conv``, the result's stages are left out and rebuilt from the
    chosen rank when :attr:`result` is read (no search): a network of distinct layers then holds
    a few numbers per factorization and layer, not every stage's shapes."""

    __slots__ = ("_kept", "conv", "cost")

    def __init__(self, result: MethodResult, cost: Cost, conv: Conv | None = None) -> None:
        self._kept = replace(result, stages=()) if conv is not None else result
        self.cost = cost
        self.conv = conv

    def ranks(self) -> MethodResult:
        """The result as kept, for its method and chosen ranks only: without its stages when they
        were left out, so its mults and params are not to be read (use :attr:`result`)."""
        return self._kept

    @property
    def result(self) -> MethodResult:
        """The whole result, stages included."""
        if self.conv is None:
            return self._kept

        f = METHODS[self._kept.method]
        return replace(self._kept, stages=f.stages(self.conv, chosen_setting(self._kept, f)))


@dataclass(frozen=True, slots=True)
class BlockTotal:
    """A block's subtotal: how many layers it holds and what they cost."""

    name: str
    depth: int
    layers: int
    mults: int
    params: int
    first: int
    """Index (0-based) of its first row in ``ModelReport.nodes``."""
    last: int


@dataclass(frozen=True, slots=True)
class LayerRow:
    """One layer of the expanded network with its cost."""

    index: int
    """1-based position in the expanded network."""
    name: str
    named: bool
    """True when the file named the layer (diff matches layers by such names)."""
    type: str
    inp: Shape
    out: Shape
    kernel: str
    """Kernel and stride, e.g. ``3x3/2``; empty for linear and global pools."""
    mults: int
    params: int
    method: str | None = None
    """The factorization the layer is built with (``as:``), if any."""
    alternatives: tuple[Alternative | None, ...] = ()
    """Per FACTORIZATIONS entry, what the what-if makes of this layer (None: left as it is)."""
    cost: Cost = ZERO
    """The whole cost record (mults and params as above; element counts for memory traffic)."""
    node: int = -1
    """The graph node this row is (an index into ``ModelReport.graph.nodes``)."""
    reason: str | None = None
    """Why the what-if leaves this layer as it is, where its type might suggest otherwise."""
    built: Alternative | None = None
    """For a layer built with ``as:``, its factorization's stages and cost (counted at the batch)."""


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The model's totals if every layer a factorization applies to were built that way."""

    method: str
    mults: int
    params: int
    mults_reduction_pct: float
    params_reduction_pct: float
    layers_changed: int


@dataclass(frozen=True, slots=True)
class ModelReport:
    """A costed network: its layers, totals and what-if table."""

    kind: ClassVar[str] = "model"

    source: str
    name: str | None
    input: Shape
    output: Shape
    layers: tuple[LayerRow, ...]
    whatif: tuple[WhatIf, ...]
    variant: str | None = None
    """The factorization applied model-wide to ``layers`` (``--method``), if any."""
    nodes: tuple[LayerRow, ...] = ()
    """One row per graph node, hidden merges included (``layers`` holds the visible ones)."""
    blocks: tuple[BlockTotal, ...] = ()
    graph: Graph | None = None
    depth: int | None = None
    """``--depth``: the tables show layers at most this many blocks deep (None: all)."""
    sort: str | None = None
    """``--sort``: the tables show their rows heaviest first by this figure (``mults``, ``params``, ``bytes``, ``time``)."""
    top: int | None = None
    """``--top``: the tables show only this many rows, the heaviest by ``sort`` (mults by default)."""
    whatif_note: str = ""
    """How the what-if chose each factorization's ranks (its caption)."""
    written: Cost = ZERO
    """The totals as written (with ``variant`` set, ``mults``/``params`` are the variant's)."""
    as_written: ModelReport | None = field(default=None, compare=False, repr=False)
    """With ``variant`` set, the same network as written (costed in the same walk), else None."""

    @property
    def table_rows(self) -> tuple[LayerRow, ...]:
        """The rows the table, CSV and Markdown views show: every layer, or with ``depth`` set,
        layers at most that deep and one subtotal row per block just below it."""
        if self.depth is None:
            return self.layers
        return collapse(self, self.depth)

    @property
    def batch(self) -> int:
        """The inputs the mults count: the graph's batch (its one record), 1 without a graph."""
        return self.graph.batch if self.graph is not None else 1

    @property
    def mults(self) -> int:
        """Total multiply-accumulates."""
        return sum(row.mults for row in self.layers)

    @property
    def params(self) -> int:
        """Total parameters."""
        return sum(row.params for row in self.layers)


def collapse(report: ModelReport, depth: int) -> tuple[LayerRow, ...]:
    """Rows for ``--depth``: a block at ``depth`` becomes one row of type ``block`` with its
    subtotal (its ``kernel`` cell says how many layers it holds)."""
    shown: list[LayerRow] = []
    by_first: dict[int, BlockTotal] = {}
    for block in report.blocks:
        if block.depth == depth:
            by_first.setdefault(block.first, block)
    rows = report.nodes
    i = 0
    while i < len(rows):
        found = by_first.get(i)
        if found is not None:
            block = found
            first_visible = next((r for r in rows[block.first : block.last + 1] if not _hidden(report, r)), rows[block.first])
            last = rows[block.last]
            shown.append(
                LayerRow(
                    first_visible.index, block.name, True, "block", first_visible.inp, last.out,
                    f"{block.layers} layer{'s' if block.layers != 1 else ''}", block.mults, block.params,
                )
            )  # fmt: skip
            i = block.last + 1
            continue
        if not _hidden(report, rows[i]):
            shown.append(rows[i])
        i += 1
    return tuple(shown)


def _hidden(report: ModelReport, row: LayerRow) -> bool:
    return report.graph is not None and row.node >= 0 and report.graph.nodes[row.node].hidden


def _whatif(rows: tuple[LayerRow, ...], base: Cost, inp: Shape) -> tuple[WhatIf, ...]:
    """One entry per factorization, in FACTORIZATIONS order; those shown only for ranks no candidate layer has
    (2plus1d in a 1-D or 2-D network) are left out, and they come last, so positions stay FACTORIZATIONS'."""
    candidates = [row for row in rows if row.alternatives]
    ranks = {len(row.inp) - 1 for row in candidates} or {len(inp) - 1}
    methods = list(FACTORIZATIONS)
    while methods and not ranks & set(METHODS[methods[-1]].ranks):
        methods.pop()
    table = []
    for i, method in enumerate(methods):
        m, p, changed = base.mults, base.params, 0
        for row in candidates:
            alt = row.alternatives[i]
            if alt is not None:
                m += alt.cost.mults - row.mults
                p += alt.cost.params - row.params
                changed += 1
        table.append(WhatIf(method, m, p, reduction_pct(base.mults, m), reduction_pct(base.params, p), changed))
    return tuple(table)


def _stage_cost(result: MethodResult, bn_params: int) -> Cost:
    """The cost of a factorized layer: its stages, plus the layer's batch norm."""
    whole = total(conv_cost(s.conv) for s in result.stages)
    return whole._replace(params=whole.params + bn_params, weight_elems=whole.weight_elems + bn_params)


class _Walk:
    """Costs every node of a graph once per distinct (op, keys, input shapes)."""

    def __init__(self, graph: Graph, options: MethodOptions) -> None:

        self.ops = OPS
        self.graph = graph
        self.options = options
        self.memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def shape(self, tensor: int) -> Shape:
        return self.graph.input if tensor == INPUT else self.graph.shapes[tensor]

    def rows(self) -> list[LayerRow]:
        graph, batch = self.graph, self.graph.batch
        rows: list[LayerRow] = []
        visible = 0
        shapes, start = graph.shapes, graph.input
        memo = self.memo
        known = graph.evaluated  # the front end's evaluation of each node, when it kept one
        for i, node in enumerate(graph.nodes):
            tensors = node.inputs
            if len(tensors) == 1:
                t = tensors[0]
                inputs: tuple[Shape, ...] = (start if t == INPUT else shapes[t],)
            else:
                inputs = tuple(start if t == INPUT else shapes[t] for t in tensors)
            key = (node.op, node.key, inputs) if node.key is not None else None
            found = memo.get(key) if key is not None else None
            if found is None:
                try:
                    found = self.compute(node.op, node.attrs, inputs, known[i] if known else None)
                except SpecError:
                    raise
                except ConvcostError as exc:
                    raise SpecError(
                        f"{node.origin}: layer {visible + 1} {node.name!r} (input {inputs[0] if inputs else ''}): {exc}"
                    ) from None
                if key is not None:
                    self.memo[key] = found
            out, kernel, cost, method, alts, reason, built = found
            if not node.hidden:
                visible += 1
            kind = "shortcut" if node.shortcut else str(node.attrs.get("type", node.op)) if node.op == "onnx" else node.op
            cost = batched(cost, batch)
            mults, params = cost.mults, cost.params
            rows.append(
                LayerRow(visible, node.name, node.named, kind, inputs[0] if inputs else graph.input, out, kernel, mults, params,
                         method, alts, cost, i, reason, built)
            )  # fmt: skip
        return rows

    def compute(self, op: str, attrs: Any, inputs: tuple[Shape, ...], evaluated: Evaluated | None) -> tuple[Any, ...]:
        """Output shape, kernel text, cost, ``as:`` method, what-if alternatives and not-factorized
        reason (``evaluated``: the front end's evaluation of the node, else it is evaluated here)."""

        definition = self.ops[op] if op in self.ops else INTERNAL_OPS[op]
        if evaluated is None:
            evaluated = definition.evaluate(op, attrs, inputs)
        cost, conv, method = evaluated.cost, evaluated.conv, attrs.get("as")
        if conv is None or not definition.factorizable:
            return (evaluated.out, evaluated.kernel, cost, None, (), not_factorized_reason(op), None)
        bn_params = 2 * conv.out.c if attrs.get("bn") else 0
        options = layer_options(conv, self.options, attrs.get("rank"), attrs.get("mid"))
        built = None
        if method is not None:
            _check_as_keys(method, attrs)
        if method is not None and method != "standard":
            result = apply(method, conv, options)
            if result.mults is None:
                raise ConvcostError(f"as: {method} does not apply: {result.reason}")
            cost = _stage_cost(result, bn_params)
            built = Alternative(result, batched(cost, self.graph.batch))
        alts: tuple[Alternative | None, ...] = ()
        if method is None:  # each factorization's own rule decides where it applies, as in `convcost layer`
            alts = tuple(
                None if r.mults is None else Alternative(r, batched(_stage_cost(r, bn_params), self.graph.batch), conv)
                for r in alternatives(conv, options)
            )
        return (evaluated.out, evaluated.kernel, cost, method, alts, None, built)


def _check_as_keys(method: str, attrs: Any) -> None:
    """A layer built with ``as:`` takes ``rank``/``mid`` only where that factorization uses it."""

    param = METHODS[method].param
    for key in ("rank", "mid"):
        if key in attrs and (param is None or param.option != key):
            uses = f"which takes {param.option}: instead" if param is not None else "which takes neither rank: nor mid:"
            raise ConvcostError(f"{key}: the layer is built as {method}, {uses}")


def _block_totals(graph: Graph, nodes: list[LayerRow]) -> tuple[BlockTotal, ...]:
    """Every block's subtotal, in the order the blocks start (outer before inner)."""
    if not graph.blocks:
        return ()
    mults = [0]
    params = [0]
    layers = [0]
    for row, node in zip(nodes, graph.nodes, strict=True):
        mults.append(mults[-1] + row.mults)
        params.append(params[-1] + row.params)
        layers.append(layers[-1] + (0 if node.hidden else 1))
    found = [
        BlockTotal(b.name, b.depth, layers[b.last + 1] - layers[b.first], mults[b.last + 1] - mults[b.first],
                   params[b.last + 1] - params[b.first], b.first, b.last)
        for b in graph.blocks
        if b.last >= b.first
    ]  # fmt: skip
    return tuple(sorted(found, key=lambda b: (b.first, b.depth)))


def cost_graph(
    graph: Graph, rank: Rank | None = None, mid: int | None = None, method: str | None = None, targets: tuple[Target, ...] = ()
) -> ModelReport:
    """Cost every node of a graph; ``method`` shows the per-layer rows of that what-if variant;
    ``targets`` (--target) choose each layer's ranks."""
    walk = _Walk(graph, MethodOptions(rank, mid, targets))
    with paused_gc():
        nodes = walk.rows()
    visible = tuple(row for row, node in zip(nodes, graph.nodes, strict=True) if not node.hidden)
    base = total(row.cost for row in visible)
    whatif = _whatif(visible, base, graph.input)
    output = graph.input if graph.output == INPUT else graph.shapes[graph.output]
    report = ModelReport(
        graph.source,
        graph.name,
        graph.input,
        output,
        visible,
        whatif,
        nodes=tuple(nodes),
        blocks=_block_totals(graph, nodes),
        graph=graph,
        written=base,
        whatif_note=whatif_caption(MethodOptions(rank, mid, targets, capped=True), tuple(w.method for w in whatif)),
    )
    if method is None or method == "standard":
        return report
    i = FACTORIZATIONS.index(method)
    nodes = [_variant(row, i, method) for row in nodes]
    visible = tuple(row for row, node in zip(nodes, graph.nodes, strict=True) if not node.hidden)
    blocks = _block_totals(graph, nodes)
    return replace(report, layers=visible, variant=method, nodes=tuple(nodes), blocks=blocks, as_written=report)


def _variant(row: LayerRow, i: int, method: str) -> LayerRow:
    alt = row.alternatives[i] if row.alternatives else None
    if alt is None:
        return row
    return replace(row, mults=alt.cost.mults, params=alt.cost.params, method=method, cost=alt.cost, built=alt)
