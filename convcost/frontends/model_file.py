"""The model-file grammar: defaults, blocks, repeat, residuals, branches, ``from:`` and
``output:``, read into typed nodes. The keys each layer type takes, and how each is parsed,
come from the op registry (``convcost.ops``); ``frontends.lower`` turns the nodes into the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Union

from convcost.core.shapes import Shape, parse_int, parse_shape, shown
from convcost.core.suggest import accepted_key, alias_clash
from convcost.core.units import BUDGET_KEYS, MAX_BATCH, parse_si
from convcost.errors import ConvcostError, SpecError
from convcost.frontends.fields import Label, file_fields, parse_cached, parse_name
from convcost.frontends.yaml import Loc, LocDict, LocList, _describe, _did_you_mean, _suggest, load_mapping, mapping_from_text
from convcost.ops import OPS
from convcost.ops.registry import MANY

MAX_LAYERS = 100_000
"""A model file that expands to more layers than this is refused."""
MAX_WORK = 200_000
"""A model file whose expansion takes more steps than this (layers plus block passes, so that
empty blocks repeated count too, plus every name a ``from:`` list reads) is refused before
anything is expanded."""
MAX_NAME = 1_000
"""The longest layer, block or model name, in characters, block prefixes included."""
RESERVED = "input"
"""The name ``from:`` uses for the model input: no layer or block may take it."""

# --- the model file -----------------------------------------------------------------

LAYER_TYPES: tuple[str, ...] = tuple(OPS)
"""Every layer type a model file may use, in the registry's order."""

TYPE_KEYS: dict[str, frozenset[str]] = {kind: frozenset(OPS[kind].keys_of(kind)) for kind in OPS}
"""The keys each layer type takes (besides ``type``, ``name`` and ``from``)."""

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {kind: OPS[kind].required_keys(kind) for kind in OPS}
DEFAULT_KEYS = frozenset({"type"}.union(*TYPE_KEYS.values()))
"""The keys ``defaults`` may set: any key some layer type takes (not ``name`` or ``from``)."""
_LAYER_KEYS = {kind: keys | {"type", "name", "from"} for kind, keys in TYPE_KEYS.items()}
BLOCK_KEYS = frozenset({"layers", "branches", "name", "repeat", "residual", "from"})
MODEL_KEYS = frozenset({"name", "input", "batch", "defaults", "layers", "budget", "output"})
RESIDUALS = ("identity", "project")


def parse_type(value: object, what: object) -> str:
    """A model layer's type: one of the registered ops."""
    if isinstance(value, str) and value in OPS:
        return str(value)
    hint = _did_you_mean(value, LAYER_TYPES) if isinstance(value, str) else ""
    raise ConvcostError(f"{what}: unknown layer type {shown(value)}{hint} (expected one of {', '.join(LAYER_TYPES)})")


class Ref(NamedTuple):
    """A ``from:`` (or ``output:``) reference: the names as written and where they stood."""

    names: tuple[str, ...]
    loc: Loc
    key: str = "from"
    """The key it was written under (``from`` or ``output``), for messages."""


class LayerNode(NamedTuple):
    """One layer of a model file, defaults filled in and every value parsed."""

    type: str
    mapping: LocDict
    """The layer's YAML mapping, for its location in errors."""
    name: str | None
    values: dict[str, Any]
    key: tuple[tuple[str, Any], ...] = ()
    """The values as a hashable tuple: layers with equal keys on equal inputs cost the same."""
    source: Ref | None = None
    """``from:``: the layers whose outputs this one reads (None: the previous item's)."""

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
    source: Ref | None = None
    """``from:``: the layer or block whose output starts this block."""
    work: int = 1
    """Steps one pass takes: its layers plus one per block pass and branch (empty ones too)."""


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
    output: Ref | None = None
    """``output:``: the layer or block whose tensor is the model's output (None: the last item's)."""
    references: frozenset[str] = frozenset()
    """Every name a ``from:`` or ``output:`` uses (only these names need remembering)."""
    batch: int = 1
    """``batch:``: the inputs the costs count (mults and activations scale with it, as an ONNX file's batch)."""


def _ref(item: LocDict, key: str, many: bool) -> Ref:
    """A ``from:`` value: one name, or (``many``) a list of two or more."""
    value, where = item[key], item.where(key)
    if isinstance(value, LocList):
        names = [parse_name(v, Label(value, i)) for i, v in enumerate(value)]
        if not many and len(names) == 1:
            return Ref((names[0],), where, key)
        if not many:
            raise SpecError(f"{where}: {key}: expected one layer name, got a list of {len(names)}")
        if len(names) < 2:
            raise SpecError(f"{where}: {key}: expected two or more layer names, got {len(names)}")
        return Ref(tuple(names), where, key)
    name = parse_name(value, f"{where}: {key}")
    if many:
        raise SpecError(f"{where}: {key}: expected a list of two or more layer names, got {shown(value)}")
    return Ref((name,), where, key)


def _name(item: LocDict) -> str | None:
    """A layer's or block's ``name:``, checked: not the reserved ``input``, at most MAX_NAME characters."""
    if "name" not in item:
        return None
    name = parse_name(item["name"], Label(item, "name"))
    if name == RESERVED:
        raise SpecError(f"{item.where('name')}: name: {RESERVED!r} is reserved for the model input (from: input); choose another name")
    if len(name) > MAX_NAME:
        raise SpecError(f"{item.where('name')}: name: {len(name):,} characters; at most {MAX_NAME:,} are allowed")
    return name


class _ModelParser:
    """Turns the YAML of a model file into nodes, once per distinct YAML object."""

    def __init__(self, defaults: Mapping[str, tuple[object, object]]) -> None:
        self.defaults = defaults
        """Raw default values and their labels, parsed per layer type with that type's parser."""
        self.memo: dict[int, Node] = {}  # aliases share one YAML object: parse it once
        self.parsed_defaults: dict[str, dict[str, Any]] = {}
        self.references: set[str] = set()
        self.refs: dict[tuple[int, bool], Ref] = {}  # an aliased from: list is read once

    def ref(self, item: LocDict, many: bool) -> Ref:
        value = item["from"]
        if not isinstance(value, LocList):
            return _ref(item, "from", many)
        found = self.refs.get((id(value), many))
        if found is None:
            found = self.refs[(id(value), many)] = _ref(item, "from", many)
            self.references.update(found.names)
        return found

    def defaults_for(self, kind: str, item: LocDict) -> dict[str, Any]:
        """The defaults a ``kind`` layer takes, parsed with that type's parsers (once per type)."""
        found = self.parsed_defaults.get(kind)
        if found is None:
            keys = OPS[kind].keys_of(kind)
            found = {}
            for key, (value, what) in self.defaults.items():
                if key in keys:
                    try:
                        found[key] = parse_cached(keys[key].parser, value, what)
                    except ConvcostError as exc:
                        raise SpecError(f"{exc} (a default, which the {kind} layer at {item.loc} cannot take)") from None
            self.parsed_defaults[kind] = found
        return found

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
        name = _name(item)
        repeat = parse_int(item["repeat"], Label(item, "repeat")) if "repeat" in item else 1
        source = self.ref(item, many=False) if "from" in item else None
        if source is not None:
            self.references.update(source.names)
        residual = None
        if "residual" in item:
            residual = item["residual"]
            if residual not in RESIDUALS:
                raise SpecError(f"{item.where('residual')}: residual: expected identity or project, got {shown(residual)}")
        if "layers" in item:
            body = self.layers(item["layers"], item.where("layers"), "layers")
            size, work = _capped(body, (), repeat, item.loc)
            return BlockNode(item.loc, name, repeat, residual, layers=body, size=size, source=source, work=work)
        raw = item["branches"]
        where = item.where("branches")
        if not isinstance(raw, LocList) or not raw:
            raise SpecError(f"{where}: branches: expected a list of layer lists, got {_describe(raw)}")
        branches = tuple(self.layers(b, Label(raw, i), f"branch {i + 1}") for i, b in enumerate(raw))
        size, work = _capped((), branches, repeat, item.loc)
        return BlockNode(item.loc, name, repeat, residual, branches=branches, size=size, source=source, work=work)

    def layer(self, item: LocDict) -> LayerNode:
        if "type" in item:
            kind = parse_type(item["type"], Label(item, "type"))
        elif "type" in self.defaults:
            kind = parse_type(*self.defaults["type"])
        else:
            kind = "conv"
        allowed = _LAYER_KEYS[kind]
        op = OPS[kind]
        keys = op.keys_of(kind)
        values: dict[str, Any] = {}
        try:
            for key, value in item.items():
                if key in keys:
                    values[key] = parse_cached(keys[key].parser, value, Label(item, key))
                elif (canonical := accepted_key(key, keys)) is not None:  # PyTorch's name for one of the keys
                    if canonical in item:
                        raise SpecError(f"{item.key_loc(key)}: {alias_clash(str(key), canonical)}")
                    values[canonical] = parse_cached(keys[canonical].parser, value, Label(item, key))
                elif key not in allowed:
                    if key in BLOCK_KEYS - {"name", "from"}:
                        raise SpecError(f"{item.key_loc(key)}: {key!r} belongs to a block, which needs layers: or branches:")
                    if key in ("in_channels", "in-channels"):  # PyTorch's Conv2d argument: here it is the input's, never written
                        raise SpecError(
                            f"{item.key_loc(key)}: a {kind} layer takes no key {shown(key)}: its input channels are those of "
                            "the layer before it (or of the model's input: HxWxC); remove the key"
                        )
                    raise SpecError(f"{item.key_loc(key)}: a {kind} layer takes no key {shown(key)}: {_suggest(key, allowed)}")
            for key, value in self.defaults_for(kind, item).items():
                if key not in values:
                    values[key] = value
            name = _name(item)
        except SpecError:
            raise
        except ConvcostError as exc:
            raise SpecError(str(exc)) from None
        if not values.get("global"):
            for key in op.required_keys(kind):
                if key not in values:
                    raise SpecError(f"{item.loc}: a {kind} layer needs the key {key!r}")
        many = op.inputs == MANY
        source = self.ref(item, many) if "from" in item else None
        if source is not None and source.names and len(source.names) < 2:
            self.references.update(source.names)
        if many and source is None:
            raise SpecError(f"{item.loc}: a {kind} layer needs from: with two or more layer names (e.g. from: [a, b])")
        return LayerNode(kind, item, name, values, tuple(sorted(values.items())), source)


def _capped(body: tuple[Node, ...], branches: tuple[tuple[Node, ...], ...], repeat: int, loc: Loc) -> tuple[int, int]:
    """Layers and steps of one pass, after checking that ``repeat`` passes stay within the caps."""
    size = sum(_size(n) for n in body) + sum(_size(n) for b in branches for n in b)
    work = 1 + sum(_work(n) for n in body) + sum(1 + sum(_work(n) for n in b) for b in branches)
    if size * repeat > MAX_LAYERS:
        raise SpecError(f"{loc}: this expands to {size * repeat:,} layers; at most {MAX_LAYERS:,} are allowed")
    if work * repeat > MAX_WORK:
        raise SpecError(f"{loc}: this expands to {work * repeat:,} layers and block passes; at most {MAX_WORK:,} are allowed")
    return size, work


def _size(node: Node) -> int:
    return 1 if isinstance(node, LayerNode) else node.size * node.repeat


def _work(node: Node) -> int:
    if isinstance(node, LayerNode):
        return 1 + (len(node.source.names) if node.source is not None else 0)
    return node.work * node.repeat


def load_model(path: str) -> ModelSpec:
    """Read and validate a model file (``-``: standard input)."""
    return parse_model(load_mapping(path, "model"))


def load_model_text(text: str, source: str = "<text>") -> ModelSpec:
    """Parse and validate model-file YAML given as text (``source`` names it in messages)."""
    return parse_model(mapping_from_text(text, source, "model"))


def parse_model(data: LocDict) -> ModelSpec:
    """Validate a model file's parsed YAML mapping."""

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
        defaults: dict[str, tuple[object, object]] = {}
        if "defaults" in data:
            raw = data["defaults"]
            if not isinstance(raw, LocDict):
                raise SpecError(f"{data.where('defaults')}: defaults: expected a mapping, got {_describe(raw)}")
            defaults = dict(file_fields(raw, DEFAULT_KEYS))
            if "type" in defaults:
                parse_type(*defaults["type"])
        budget: dict[str, tuple[int, str]] = {}
        if "budget" in data:
            raw = data["budget"]
            if not isinstance(raw, LocDict):
                raise SpecError(f"{data.where('budget')}: budget: expected a mapping, got {_describe(raw)}")
            for key, (value, what) in file_fields(raw, frozenset(BUDGET_KEYS)).items():
                budget[key] = parse_si(value, what)
        output = _ref(data, "output", many=False) if "output" in data else None
        batch = parse_int(data["batch"], Label(data, "batch")) if "batch" in data else 1

        if batch > MAX_BATCH:
            raise SpecError(f"{data.where('batch')}: batch: expected a whole number from 1 to {MAX_BATCH:,}, got {batch:,}")
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
    _capped(layers, (), 1, data.loc)
    shortcut: dict[str, Any] = {}
    pointwise = OPS["pointwise"].keys_of("pointwise")
    for key in ("bias", "bn"):
        if key in defaults:
            shortcut[key] = parse_cached(pointwise[key].parser, *defaults[key])
    references = frozenset(parser.references | set(output.names if output is not None else ()))
    return ModelSpec(source, name, shape, layers, shortcut, budget, output, references, batch)
