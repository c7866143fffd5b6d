"""A parsed model file into the operator graph, inferring every shape on the way.

Blocks, ``repeat``, branches, residuals and ``from:`` become nodes and edges: a block's
branches end in a hidden ``concat``, a residual in a hidden ``add`` (and a visible projection
``shortcut`` where the shapes differ), ``from:`` picks a node's inputs by name. Names are the
ones the tables show: a layer's own name (or its type's prefix and its row number) after the
names of the blocks around it (``layer1.conv2``, ``inception.branch2.pw2``, ``blk[2].conv``).
"""

from __future__ import annotations

from typing import Any

from convcost.core.graph import INPUT, Block, Graph, Node
from convcost.core.perf import paused_gc
from convcost.core.shapes import Shape, too_large_dimension
from convcost.errors import ConvcostError, SpecError
from convcost.frontends.model_file import MAX_NAME, MAX_WORK, BlockNode, LayerNode, ModelSpec, Ref
from convcost.frontends.model_file import Node as SpecNode
from convcost.frontends.yaml import LocDict, _did_you_mean
from convcost.ops import OPS, Evaluated
from convcost.ops.merge import MergeMismatchError


def _written_names(nodes: tuple[SpecNode, ...], found: set[str]) -> set[str]:
    """Every name the file gives a layer or block (for "refers to a later layer" errors)."""
    stack = list(nodes)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.name is not None:
            found.add(node.name)
        if isinstance(node, BlockNode):
            stack.extend(node.layers)
            for branch in node.branches or ():
                stack.extend(branch)
    return found


class Origin:
    """Where a node stood in its file, formatted only when an error needs it (``file:line:col``)."""

    __slots__ = ("mapping",)

    def __init__(self, mapping: LocDict) -> None:
        self.mapping = mapping

    def __str__(self) -> str:
        return str(self.mapping.loc)


class _Lowering:
    """Expands the nodes of a model file into graph nodes, propagating shapes."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.nodes: list[Node] = []
        self.shapes: list[Shape] = []
        self.evaluated: list[Evaluated] = []
        self.blocks: list[Block] = []
        self.rows = 0
        """Visible nodes so far (an unnamed layer is named after its row number)."""
        self.memo: dict[tuple[Any, ...], Evaluated] = {}
        self.single: dict[tuple[Any, ...], Evaluated] = {}
        self.by_name: dict[str, list[int]] = {}
        """Written and full names -> the output tensors of the layers and blocks with that name."""
        self.references = spec.references
        self.limit = 2 * MAX_WORK
        """A safety net: the parser's caps already bound the expansion."""

    # --- tensors and names ------------------------------------------------------------

    def shape(self, tensor: int) -> Shape:
        return self.spec.input if tensor == INPUT else self.shapes[tensor]

    def describe(self, tensor: int) -> str:
        return "the model input" if tensor == INPUT else repr(self.nodes[tensor].name)

    def remember(self, written: str | None, full: str, tensor: int) -> None:
        if written not in self.references and full not in self.references:
            return
        if written is not None:
            self.by_name.setdefault(written, []).append(tensor)
        if full != written:
            self.by_name.setdefault(full, []).append(tensor)

    def resolve(self, ref: Ref, own: str | None) -> tuple[int, ...]:
        """The tensors a ``from:`` names (``input``: the model input)."""
        tensors = []
        for name in ref.names:
            found = self.by_name.get(name)
            if found is None and name == "input":
                tensors.append(INPUT)
                continue
            key = ref.key
            if not found:
                if name == own:
                    raise SpecError(f"{ref.loc}: {key}: {name!r} refers to the layer itself; expected an earlier layer or block")
                if name in _written_names(self.spec.layers, set()):
                    later = "a later layer; expected an earlier layer or block" if key == "from" else "a layer that is never reached"
                    raise SpecError(f"{ref.loc}: {key}: {name!r} refers to {later}")
                known = [*sorted(_written_names(self.spec.layers, set())), "input"]
                raise SpecError(f"{ref.loc}: {key}: unknown layer {name!r}{_did_you_mean(name, tuple(known))}")
            if len(found) > 1:
                raise SpecError(
                    f"{ref.loc}: {key}: {name!r} names {len(found)} layers or blocks so far; a name used with {key}: must be unique"
                )
            tensors.append(found[0])
        return tuple(tensors)

    # --- nodes ------------------------------------------------------------------------

    def emit(self, node: Node, evaluated: Evaluated) -> int:
        if len(self.nodes) >= self.limit:
            raise SpecError(f"{self.spec.source}: the model expands to too many layers")
        out = evaluated.out
        if (why := too_large_dimension((out.h, out.w, out.c))) is not None:  # every node: a layer, a block's concatenation
            where = f"layer {self.rows + 1} {node.name!r}" if not node.hidden else f"{node.name!r} (the block's merge)"
            raise SpecError(f"{node.origin}: {where}: its output {why}")
        self.nodes.append(node)
        self.shapes.append(out)
        self.evaluated.append(evaluated)
        if not node.hidden:
            self.rows += 1
        return len(self.nodes) - 1

    def evaluate(self, op: str, attrs: Any, key: Any, inputs: tuple[int, ...]) -> Evaluated:
        shapes = tuple(self.shape(t) for t in inputs)
        memo_key = (op, key, shapes)
        found = self.memo.get(memo_key)
        if found is None:
            found = self.memo[memo_key] = OPS[op].evaluate(op, attrs, shapes)
        return found

    def items(self, nodes: tuple[SpecNode, ...], tensor: int, prefix: str, depth: int) -> int:
        for node in nodes:
            tensor = self.layer(node, tensor, prefix) if isinstance(node, LayerNode) else self.block(node, tensor, prefix, depth)
        return tensor

    def layer(self, node: LayerNode, tensor: int, prefix: str) -> int:
        name = prefix + (node.name if node.name is not None else f"{OPS[node.type].name_prefix(node.type)}{self.rows + 1}")
        if len(name) > MAX_NAME:
            raise SpecError(f"{node.loc}: the layer's full name, block names included, has {len(name):,} characters; at most {MAX_NAME:,}")
        inputs = self.resolve(node.source, node.name) if node.source is not None else (tensor,)
        try:
            if len(inputs) == 1:  # the common case, without the generic path's tuples
                memo_key = (node.type, node.key, self.shape(inputs[0]))
                evaluated = self.single.get(memo_key)
                if evaluated is None:
                    evaluated = self.single[memo_key] = OPS[node.type].evaluate(node.type, node.values, (self.shape(inputs[0]),))
            else:
                evaluated = self.evaluate(node.type, node.values, node.key, inputs)
        except MergeMismatchError as exc:
            a, b = inputs[exc.first], inputs[exc.second]
            raise SpecError(
                f"{node.loc}: layer {self.rows + 1} {name!r}: {exc.what}: {self.describe(a)} gives {self.shape(a)}, "
                f"{self.describe(b)} gives {self.shape(b)}"
            ) from None
        except SpecError:
            raise
        except ConvcostError as exc:
            raise SpecError(f"{node.loc}: layer {self.rows + 1} {name!r} (input {self.shape(inputs[0])}): {exc}") from None
        out = self.emit(Node(name, node.type, node.values, inputs, Origin(node.mapping), node.name is not None, node.key), evaluated)
        self.remember(node.name, name, out)
        return out

    def block(self, node: BlockNode, tensor: int, prefix: str, depth: int) -> int:
        if node.source is not None:
            (tensor,) = self.resolve(node.source, node.name)
        first = len(self.nodes)
        outer = node.repeat > 1 and node.name is not None
        for rep in range(1, node.repeat + 1):
            label = node.name or ""
            if node.repeat > 1:
                label = f"{label or 'block'}[{rep}]"
            inner = f"{prefix}{label}." if label else prefix
            start = tensor
            begin = len(self.nodes)
            level = depth + 1 if outer else depth
            tensor = (
                self.items(node.layers, start, inner, level + 1) if node.branches is None else self.concat(node, start, inner, level + 1)
            )
            tensor = self.residual(node, start, tensor, inner)
            self.blocks.append(Block(prefix + (label or f"block@{node.loc.line}"), level, begin, len(self.nodes) - 1))
        if outer and node.name is not None:
            self.blocks.append(Block(prefix + node.name, depth, first, len(self.nodes) - 1))
        if node.name is not None:
            self.remember(node.name, prefix + node.name, tensor)
        return tensor

    def concat(self, node: BlockNode, start: int, prefix: str, depth: int) -> int:
        assert node.branches is not None
        outs = []
        for i, branch in enumerate(node.branches):
            begin = len(self.nodes)
            outs.append(self.items(branch, start, f"{prefix}branch{i + 1}.", depth + 1))
            self.blocks.append(Block(f"{prefix}branch{i + 1}", depth, begin, len(self.nodes) - 1))
        shapes = [self.shape(t) for t in outs]
        if len({(s.h, s.w) for s in shapes}) > 1:
            given = ", ".join(f"branch {i + 1} gives {s.h}x{s.w}" for i, s in enumerate(shapes))
            raise SpecError(f"{node.loc}: block {node.name or ''!r} (input {self.shape(start)}): branches of different HxW: {given}")
        evaluated = self.evaluate("concat", {}, None, tuple(outs))
        return self.emit(Node(f"{prefix}concat", "concat", {}, tuple(outs), node.loc, hidden=True), evaluated)

    def residual(self, node: BlockNode, start: int, end: int, prefix: str) -> int:
        """The block's output: its last tensor plus the input (or a projection of it) when asked."""
        if node.residual is None:
            return end
        a, b = self.shape(start), self.shape(end)
        if a != b:
            if node.residual != "project":
                return end  # identity where the shapes differ: no shortcut (MobileNetV2)
            start = self.shortcut(node, start, end, prefix)
        return self.emit(Node(f"{prefix}add", "add", {}, (end, start), node.loc, hidden=True), self.evaluate("add", {}, None, (end, start)))

    def shortcut(self, node: BlockNode, start: int, end: int, prefix: str) -> int:
        a, b = self.shape(start), self.shape(end)
        strides = []
        for size, target in ((a.h, b.h), (a.w, b.w)):
            step = (size - 1) // target + 1  # the smallest stride with (size - 1) // step + 1 <= target
            if (size - 1) // step + 1 != target:
                raise SpecError(
                    f"{node.loc}: block {node.name or ''!r}: a projection shortcut cannot map "
                    f"{a.h}x{a.w} to {b.h}x{b.w} with a strided 1x1 convolution"
                )
            strides.append(step)
        values = {"out": b.c, "stride": (strides[0], strides[1]), **self.spec.shortcut}
        key = tuple(sorted(values.items()))
        evaluated = self.evaluate("pointwise", values, key, (start,))
        return self.emit(Node(f"{prefix}shortcut", "pointwise", values, (start,), node.loc, False, key, shortcut=True), evaluated)


def lower(spec: ModelSpec) -> Graph:
    """The operator graph of a parsed model file, every shape inferred."""

    lowering = _Lowering(spec)
    try:
        with paused_gc():
            last = lowering.items(spec.layers, INPUT, "", 0)
            output = lowering.resolve(spec.output, None)[0] if spec.output is not None else last
    except RecursionError:
        raise SpecError(f"{spec.source}: blocks are nested too deeply") from None
    if output == INPUT:
        if spec.output is None:
            raise SpecError(f"{spec.source}:1:1: the model has no layers: its blocks are empty")
        raise SpecError(f"{spec.output.loc}: output: the model input cannot be the output; name a layer")
    return Graph(
        spec.source,
        spec.name,
        spec.input,
        tuple(lowering.nodes),
        tuple(lowering.shapes),
        output,
        tuple(lowering.blocks),
        batch=spec.batch,
        budget=spec.budget,
        evaluated=tuple(lowering.evaluated),
    )
