"""The model-file grammar: defaults, blocks, repeat, residuals, branches, into typed nodes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Union

from convcost.core.shapes import Shape, parse_int, parse_shape, shown
from convcost.errors import ConvcostError, SpecError
from convcost.frontends.fields import Field, Label, file_fields, parse_fields, parse_name, parse_type
from convcost.frontends.yaml import Loc, LocDict, LocList, _describe, _suggest, load_mapping, mapping_from_text

MAX_LAYERS = 100_000
"""A model file that expands to more layers than this is refused."""

# --- the model file -----------------------------------------------------------------

TYPE_KEYS: dict[str, frozenset[str]] = {
    "conv": frozenset({"k", "out", "stride", "padding", "dilation", "groups", "bias", "rank", "mid", "bn", "as"}),
    "depthwise": frozenset({"k", "stride", "padding", "dilation", "bias", "bn", "multiplier"}),
    "pointwise": frozenset({"out", "stride", "padding", "groups", "bias", "rank", "bn", "as"}),
    "linear": frozenset({"out", "bias", "bn", "features"}),
    "maxpool": frozenset({"k", "stride", "padding", "global"}),
    "avgpool": frozenset({"k", "stride", "padding", "global"}),
}
"""The keys each layer type takes (besides ``type`` and ``name``)."""

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "conv": ("k", "out"),
    "depthwise": ("k",),
    "pointwise": ("out",),
    "linear": ("out",),
    "maxpool": ("k",),
    "avgpool": ("k",),
}
DEFAULT_KEYS = frozenset({"type"}.union(*TYPE_KEYS.values()))
"""The keys ``defaults`` may set: any key some layer type takes (not ``name``)."""
_LAYER_KEYS = {kind: keys | {"type", "name"} for kind, keys in TYPE_KEYS.items()}
BLOCK_KEYS = frozenset({"layers", "branches", "name", "repeat", "residual"})
MODEL_KEYS = frozenset({"name", "input", "defaults", "layers", "budget"})
RESIDUALS = ("identity", "project")


class LayerNode(NamedTuple):
    """One layer of a model file, defaults filled in and every value parsed."""

    type: str
    mapping: LocDict
    """The layer's YAML mapping, for its location in errors."""
    name: str | None
    values: dict[str, Any]
    key: tuple[tuple[str, Any], ...] = ()
    """The values as a hashable tuple: layers with equal keys on equal inputs cost the same."""

    @property
    def loc(self) -> Loc:
        """Where the layer stands in its file."""
        return self.mapping.loc


class BlockNode(NamedTuple):
    """A block: ``layers`` in order (or ``branches`` concatenated), repeated ``repeat`` times."""

    loc: Loc
    name: str | None
    repeat: int
    residual: str | None
    layers: tuple[Node, ...] = ()
    branches: tuple[tuple[Node, ...], ...] | None = None
    size: int = 0
    """How many layers one pass through the block expands to (shortcuts not counted)."""


Node = Union[LayerNode, BlockNode]


class ModelSpec(NamedTuple):
    """A whole model file, parsed."""

    source: str
    name: str | None
    input: Shape
    layers: tuple[Node, ...]
    shortcut: Mapping[str, Any] = MappingProxyType({})
    """What a projection shortcut takes from ``defaults`` (``bias``, ``bn``)."""
    budget: Mapping[str, tuple[int, str]] = MappingProxyType({})
    """``max-mults`` / ``max-params`` from the file: (limit, as written)."""


class _ModelParser:
    """Turns the YAML of a model file into nodes, once per distinct YAML object."""

    def __init__(self, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.memo: dict[int, Node] = {}  # aliases share one YAML object: parse it once

    def layers(self, items: object, where: object, what: str) -> tuple[Node, ...]:
        if not isinstance(items, LocList):
            raise SpecError(f"{where}: {what}: expected a list of layers, got {_describe(items)}")
        return tuple(self.node(item, Label(items, i)) for i, item in enumerate(items))

    def node(self, item: object, loc: object) -> Node:
        if not isinstance(item, LocDict):
            raise SpecError(f"{loc}: expected a layer or block mapping, got {_describe(item)}")
        key = id(item)
        if key in self.memo:
            return self.memo[key]
        # No cycle check needed: the YAML builder refuses an alias inside its own anchor.
        node = self.block(item) if ("layers" in item or "branches" in item) else self.layer(item)
        self.memo[key] = node
        return node

    def block(self, item: LocDict) -> BlockNode:
        for key in item:
            if key not in BLOCK_KEYS:
                raise SpecError(f"{item.key_loc(key)}: in a block, {_suggest(key, BLOCK_KEYS)}")
        if "layers" in item and "branches" in item:
            raise SpecError(f"{item.loc}: a block takes either layers: or branches:, not both")
        name = parse_name(item["name"], Label(item, "name")) if "name" in item else None
        repeat = parse_int(item["repeat"], Label(item, "repeat")) if "repeat" in item else 1
        residual = None
        if "residual" in item:
            residual = item["residual"]
            if residual not in RESIDUALS:
                raise SpecError(f"{item.where('residual')}: residual: expected identity or project, got {shown(residual)}")
        if "layers" in item:
            body = self.layers(item["layers"], item.where("layers"), "layers")
            size = _capped(sum(_size(n) for n in body), repeat, item.loc)
            return BlockNode(item.loc, name, repeat, residual, layers=body, size=size)
        raw = item["branches"]
        where = item.where("branches")
        if not isinstance(raw, LocList) or not raw:
            raise SpecError(f"{where}: branches: expected a list of layer lists, got {_describe(raw)}")
        branches = tuple(self.layers(b, Label(raw, i), f"branch {i + 1}") for i, b in enumerate(raw))
        size = _capped(sum(_size(n) for b in branches for n in b), repeat, item.loc)
        return BlockNode(item.loc, name, repeat, residual, branches=branches, size=size)

    def layer(self, item: LocDict) -> LayerNode:
        if "type" in item:
            kind = parse_type(item["type"], Label(item, "type"))
        elif "type" in self.defaults:
            kind = self.defaults["type"]
        else:
            kind = "conv"
        allowed = _LAYER_KEYS[kind]
        raw: dict[str, Field] = {}
        for key, value in item.items():
            if key not in allowed:
                if key in BLOCK_KEYS - {"name"}:
                    raise SpecError(f"{item.key_loc(key)}: {key!r} belongs to a block, which needs layers: or branches:")
                raise SpecError(f"{item.key_loc(key)}: a {kind} layer takes no key {shown(key)}: {_suggest(key, allowed)}")
            raw[key] = (value, Label(item, key))
        try:
            values = parse_fields(raw)
        except ConvcostError as exc:
            raise SpecError(str(exc)) from None
        for key, value in self.defaults.items():
            if key in TYPE_KEYS[kind] and key not in values:
                values[key] = value
        if not values.get("global"):
            for key in REQUIRED_KEYS[kind]:
                if key not in values:
                    raise SpecError(f"{item.loc}: a {kind} layer needs the key {key!r}")
        name = values.pop("name", None)
        values.pop("type", None)
        return LayerNode(kind, item, name, values, tuple(sorted(values.items())))


def _size(node: Node) -> int:
    return 1 if isinstance(node, LayerNode) else node.size * node.repeat


def _capped(size: int, repeat: int, loc: Loc) -> int:
    """``size``, after checking that ``repeat`` passes of it stay within MAX_LAYERS."""
    if size * repeat > MAX_LAYERS:
        raise SpecError(f"{loc}: this expands to {size * repeat:,} layers; at most {MAX_LAYERS:,} are allowed")
    return size


def load_model(path: str) -> ModelSpec:
    """Read and validate a model file (``-``: standard input)."""
    return parse_model(load_mapping(path, "model"))


def load_model_text(text: str, source: str = "<text>") -> ModelSpec:
    """Parse and validate model-file YAML given as text (``source`` names it in messages)."""
    return parse_model(mapping_from_text(text, source, "model"))


def parse_model(data: LocDict) -> ModelSpec:
    """Validate a model file's parsed YAML mapping."""
    from convcost.analysis.budget import BUDGET_KEYS, parse_si

    source = data.loc.source
    for key in data:
        if key not in MODEL_KEYS:
            raise SpecError(f"{data.key_loc(key)}: {_suggest(key, MODEL_KEYS)}")
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"{data.loc}: a model file needs the key {key!r}")
    try:
        name = parse_name(data["name"], f"{data.where('name')}: name") if "name" in data else None
        shape = parse_shape(data["input"], f"{data.where('input')}: input")
        defaults: dict[str, Any] = {}
        if "defaults" in data:
            raw = data["defaults"]
            if not isinstance(raw, LocDict):
                raise SpecError(f"{data.where('defaults')}: defaults: expected a mapping, got {_describe(raw)}")
            defaults = parse_fields(file_fields(raw, DEFAULT_KEYS))
        budget: dict[str, tuple[int, str]] = {}
        if "budget" in data:
            raw = data["budget"]
            if not isinstance(raw, LocDict):
                raise SpecError(f"{data.where('budget')}: budget: expected a mapping, got {_describe(raw)}")
            for key, (value, what) in file_fields(raw, frozenset(BUDGET_KEYS)).items():
                budget[key] = parse_si(value, what)
    except SpecError:
        raise
    except ConvcostError as exc:
        raise SpecError(str(exc)) from None
    parser = _ModelParser(defaults)
    try:
        layers = parser.layers(data["layers"], data.where("layers"), "layers")
    except RecursionError:
        raise SpecError(f"{source}: blocks are nested too deeply") from None
    if not layers:
        raise SpecError(f"{data.where('layers')}: layers: the model has no layers")
    _capped(sum(_size(n) for n in layers), 1, data.loc)
    shortcut: dict[str, Any] = {key: defaults[key] for key in ("bias", "bn") if key in defaults}
    return ModelSpec(source, name, shape, layers, shortcut, budget)
