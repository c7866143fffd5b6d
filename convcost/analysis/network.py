"""Walking a network: shape propagation, per-layer costs, totals and what-if.

Counting convention as in ``methods``: ``mults`` are multiply-accumulates of conv and
linear layers only (pooling, batch norm and residual additions count none); batch
norm adds 2 parameters per output channel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from convcost.core.cost import reduction_pct
from convcost.core.perf import paused_gc
from convcost.core.shapes import Conv, Shape, make_conv, resolve_padding, window_out
from convcost.errors import ConvcostError, SpecError
from convcost.factorize import (
    FACTORIZATIONS,
    METHODS,
    MethodOptions,
    full_rank,
)
from convcost.frontends.model_file import MAX_LAYERS, BlockNode, LayerNode, ModelSpec, Node


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
    alternatives: tuple[tuple[int, int] | None, ...] = ()
    """(mults, params) per FACTORIZATIONS entry if the what-if replaces this layer."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a layer row."""
        return {
            "index": self.index,
            "name": self.name,
            "type": self.type,
            "in": self.inp.as_list(),
            "out": self.out.as_list(),
            "kernel": self.kernel,
            "mults": self.mults,
            "params": self.params,
            "as": self.method,
        }


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The model's totals if every layer a factorization applies to were built that way."""

    method: str
    mults: int
    params: int
    mults_reduction_pct: float
    params_reduction_pct: float
    layers_changed: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a what-if row."""
        return {
            "method": self.method,
            "mults": self.mults,
            "params": self.params,
            "mults_reduction_pct": self.mults_reduction_pct,
            "params_reduction_pct": self.params_reduction_pct,
            "layers_changed": self.layers_changed,
        }


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

    @property
    def mults(self) -> int:
        """Total multiply-accumulates."""
        return sum(row.mults for row in self.layers)

    @property
    def params(self) -> int:
        """Total parameters."""
        return sum(row.params for row in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``convcost model --format json``."""
        return {
            "name": self.name,
            "input": self.input.as_list(),
            "output": self.output.as_list(),
            "variant": self.variant,
            "layers": [row.to_dict() for row in self.layers],
            "totals": {"mults": self.mults, "params": self.params},
            "whatif": [w.to_dict() for w in self.whatif],
        }


def _kernel_text(k: tuple[int, int], stride: tuple[int, int]) -> str:
    text = f"{k[0]}x{k[1]}"
    if stride != (1, 1):
        text += f"/{stride[0]}" if stride[0] == stride[1] else f"/{stride[0]}x{stride[1]}"
    return text


_AUTO_NAMES = {"conv": "conv", "depthwise": "dw", "pointwise": "pw", "linear": "fc", "maxpool": "pool", "avgpool": "pool"}
"""Prefixes of the names given to unnamed layers, followed by the layer's index."""

_Cost = tuple[Shape, str, int, int, "str | None", tuple["tuple[int, int] | None", ...]]


class _Walker:
    """Expands the nodes of a model file into costed rows, propagating shapes."""

    def __init__(self, spec: ModelSpec, options: MethodOptions) -> None:
        self.spec = spec
        self.options = options
        self.rows: list[LayerRow] = []
        self.memo: dict[tuple[str, tuple[tuple[str, Any], ...], Shape], _Cost] = {}

    def fail(self, loc: object, name: str, inp: Shape, message: str) -> SpecError:
        index = len(self.rows) + 1
        return SpecError(f"{loc}: layer {index} {name!r} (input {inp}): {message}")

    def nodes(self, nodes: tuple[Node, ...], shape: Shape, prefix: str) -> Shape:
        for node in nodes:
            shape = self.layer(node, shape, prefix) if isinstance(node, LayerNode) else self.block(node, shape, prefix)
        return shape

    def block(self, node: BlockNode, shape: Shape, prefix: str) -> Shape:
        for rep in range(1, node.repeat + 1):
            label = node.name or ""
            if node.repeat > 1:
                label = f"{label or 'block'}[{rep}]"
            inner = f"{prefix}{label}." if label else prefix
            start = shape
            shape = self.nodes(node.layers, start, inner) if node.branches is None else self.concat(node, start, inner)
            if node.residual == "project" and shape != start:
                self.shortcut(node, start, shape, inner)
        return shape

    def concat(self, node: BlockNode, start: Shape, prefix: str) -> Shape:
        assert node.branches is not None
        outs = [self.nodes(branch, start, f"{prefix}branch{i + 1}.") for i, branch in enumerate(node.branches)]
        sizes = {(s.h, s.w) for s in outs}
        if len(sizes) > 1:
            given = ", ".join(f"branch {i + 1} gives {s.h}x{s.w}" for i, s in enumerate(outs))
            raise SpecError(f"{node.loc}: block {node.name or ''!r} (input {start}): branches of different HxW: {given}")
        return Shape(outs[0].h, outs[0].w, sum(s.c for s in outs))

    def shortcut(self, node: BlockNode, start: Shape, end: Shape, prefix: str) -> None:
        strides = []
        for size, target in ((start.h, end.h), (start.w, end.w)):
            step = (size - 1) // target + 1  # the smallest stride with (size - 1) // step + 1 <= target
            if (size - 1) // step + 1 != target:
                raise SpecError(
                    f"{node.loc}: block {node.name or ''!r}: a projection shortcut cannot map "
                    f"{start.h}x{start.w} to {end.h}x{end.w} with a strided 1x1 convolution"
                )
            strides.append(step)
        values = {"out": end.c, "stride": (strides[0], strides[1]), **self.spec.shortcut}
        out, kernel, mults, params, _, _ = self.compute("pointwise", values, start)
        self.add(f"{prefix}shortcut", False, "shortcut", start, out, kernel, mults, params)

    def add(self, name: str, named: bool, kind: str, inp: Shape, out: Shape, kernel: str, mults: int, params: int, **extra: Any) -> None:
        if len(self.rows) >= MAX_LAYERS:
            raise SpecError(f"{self.spec.source}: the model expands to more than {MAX_LAYERS:,} layers")
        self.rows.append(LayerRow(len(self.rows) + 1, name, named, kind, inp, out, kernel, mults, params, **extra))

    def layer(self, node: LayerNode, shape: Shape, prefix: str) -> Shape:
        index = len(self.rows) + 1
        name = prefix + (node.name if node.name is not None else f"{_AUTO_NAMES[node.type]}{index}")
        try:
            return self.cost(node, shape, name)
        except SpecError:
            raise
        except ConvcostError as exc:
            raise self.fail(node.loc, name, shape, str(exc)) from None

    def cost(self, node: LayerNode, shape: Shape, name: str) -> Shape:
        """Add the row of one layer; identical layers on identical inputs are costed once."""
        key = (node.type, node.key, shape)
        cost = self.memo.get(key)
        if cost is None:
            cost = self.memo[key] = self.compute(node.type, node.values, shape)
        out, kernel, mults, params, method, alternatives = cost
        self.add(name, node.name is not None, node.type, shape, out, kernel, mults, params, method=method, alternatives=alternatives)
        return out

    def compute(self, kind: str, v: dict[str, Any], shape: Shape) -> _Cost:
        """Output shape, kernel text, mults, params, ``as:`` method and what-if alternatives of a layer."""
        bn = 2 if v.get("bn") else 0
        if kind in ("maxpool", "avgpool"):
            if v.get("global"):
                return (Shape(1, 1, shape.c), "global", 0, 0, None, ())
            k = v["k"]
            stride = v.get("stride", k)
            pad = resolve_padding(v.get("padding", (0, 0, 0, 0)), (shape.h, shape.w), k, stride, (1, 1))
            ho, wo = window_out(shape, k, stride, pad)
            return (Shape(ho, wo, shape.c), _kernel_text(k, stride), 0, 0, None, ())
        if kind == "linear":
            features = shape.h * shape.w * shape.c
            if "features" in v and v["features"] != features:
                raise ConvcostError(f"linear expects {v['features']:,} input features, but its input {shape} flattens to {features:,}")
            n = v["out"]
            params = features * n + (n if v.get("bias") else 0) + bn * n
            return (Shape(1, 1, n), "", features * n, params, None, ())
        if kind == "depthwise":
            conv = self.conv(shape, shape.c * v.get("multiplier", 1), v["k"], v, groups=shape.c)
        elif kind == "pointwise":
            conv = self.conv(shape, v["out"], (1, 1), v, groups=v.get("groups", 1))
        else:
            conv = self.conv(shape, v["out"], v["k"], v, groups=v.get("groups", 1))
        extra_bn = bn * conv.out.c
        mults, params, method = conv.mults, conv.params, v.get("as")
        options = self.layer_options(conv, v)
        if method is not None and method != "standard":
            result = METHODS[method](conv, options)
            as_mults, as_params = result.mults, result.params
            if as_mults is None or as_params is None:
                raise ConvcostError(f"as: {method} does not apply: {result.reason}")
            mults, params = as_mults, as_params
        alternatives: tuple[tuple[int, int] | None, ...] = ()
        if kind == "conv" and method is None and conv.groups == 1 and conv.k != (1, 1):
            alts = []
            for fact in FACTORIZATIONS:
                alt = METHODS[fact](conv, options)
                alt_mults, alt_params = alt.mults, alt.params
                alts.append(None if alt_mults is None or alt_params is None else (alt_mults, alt_params + extra_bn))
            alternatives = tuple(alts)
        return (conv.out, _kernel_text(conv.k, conv.stride), mults, params + extra_bn, method, alternatives)

    def conv(self, shape: Shape, n: int, k: tuple[int, int], v: dict[str, Any], groups: int) -> Conv:
        return make_conv(
            shape,
            n,
            k,
            v.get("stride", (1, 1)),
            v.get("padding", (0, 0, 0, 0)),
            v.get("dilation", (1, 1)),
            groups,
            bool(v.get("bias", False)),
        )

    def layer_options(self, conv: Conv, v: dict[str, Any]) -> MethodOptions:
        """A layer's own rank/mid win; the model-wide rank is capped at the layer's full rank."""
        rank = v.get("rank")
        if rank is None and self.options.rank is not None:
            rank = min(self.options.rank, full_rank(conv))
        mid = v.get("mid", self.options.mid)
        return MethodOptions(rank, mid)


def _whatif(rows: list[LayerRow], mults: int, params: int) -> tuple[WhatIf, ...]:
    table = []
    for i, method in enumerate(FACTORIZATIONS):
        m, p, changed = mults, params, 0
        for row in rows:
            alt = row.alternatives[i] if row.alternatives else None
            if alt is not None:
                m += alt[0] - row.mults
                p += alt[1] - row.params
                changed += 1
        table.append(WhatIf(method, m, p, reduction_pct(mults, m), reduction_pct(params, p), changed))
    return tuple(table)


def cost_model(spec: ModelSpec, rank: int | None = None, mid: int | None = None, method: str | None = None) -> ModelReport:
    """Cost every layer of a model; ``method`` shows the per-layer rows of that what-if variant."""
    walker = _Walker(spec, MethodOptions(rank, mid))
    try:
        with paused_gc():
            output = walker.nodes(spec.layers, spec.input, "")
    except RecursionError:
        raise SpecError(f"{spec.source}: blocks are nested too deeply") from None
    rows = walker.rows
    mults = sum(row.mults for row in rows)
    params = sum(row.params for row in rows)
    whatif = _whatif(rows, mults, params)
    if method is not None and method != "standard":
        i = FACTORIZATIONS.index(method)
        rows = [
            row
            if not row.alternatives or row.alternatives[i] is None
            else replace(row, mults=row.alternatives[i][0], params=row.alternatives[i][1], method=method)  # type: ignore[index]
            for row in rows
        ]
    return ModelReport(spec.source, spec.name, spec.input, output, tuple(rows), whatif, method if method != "standard" else None)
