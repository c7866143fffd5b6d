"""Files and flags into typed specs: the layer file, the model file, and their validation.

This is the only module that imports yaml, and it does so only when a file is read.
YAML is loaded with a safe loader (libyaml's C parser when available) whose maps and
lists remember where each key and value stood, so every error names file, line and
column. Merge keys (``<<``) and aliases work; aliases are shared, never copied, so an
alias bomb costs no more than its text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Union

from convcost.errors import ConvcostError, SpecError
from convcost.methods import METHODS, LayerSpec
from convcost.shapes import (
    Shape,
    parse_bool,
    parse_int,
    parse_padding,
    parse_pair,
    parse_shape,
    shown,
)

MAX_LAYERS = 100_000
"""A model file that expands to more layers than this is refused."""


class Loc(NamedTuple):
    """A place in a file, 1-based (a NamedTuple: one is made per YAML value, so it must be cheap)."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


class LocDict(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys and values stood.

    It keeps libyaml's marks and makes a Loc only when one is asked for (an error),
    which keeps loading a large file cheap.
    """

    source: str
    mark: Any
    key_marks: dict[Any, Any]
    value_marks: dict[Any, Any]

    @property
    def loc(self) -> Loc:
        """Where the mapping starts."""
        return _loc(self.source, self.mark)

    def key_loc(self, key: Any) -> Loc:
        """Where ``key`` stood."""
        return _loc(self.source, self.key_marks[key])

    def where(self, key: Any) -> Loc:
        """Where the value of ``key`` stood (the mapping itself if absent)."""
        return _loc(self.source, self.value_marks.get(key, self.mark))


class LocList(list[Any]):
    """A YAML sequence that remembers where it and each of its items stood."""

    source: str
    mark: Any
    item_marks: list[Any]

    @property
    def loc(self) -> Loc:
        """Where the sequence starts."""
        return _loc(self.source, self.mark)

    def item_loc(self, index: int) -> Loc:
        """Where item ``index`` stood."""
        return _loc(self.source, self.item_marks[index])


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {shown(value)}"


KeySet = Union[set[str], frozenset[str], Mapping[str, Any]]


def _did_you_mean(word: object, options: KeySet | tuple[str, ...]) -> str:
    """``; did you mean 'stride'?`` for the closest option, or nothing."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _suggest(key: object, allowed: KeySet) -> str:
    return f"unknown key {shown(key)}{_did_you_mean(key, allowed)} (valid keys: {', '.join(sorted(allowed))})"


# --- reading and parsing YAML -------------------------------------------------------


def read_text(path: str) -> tuple[str, str]:
    """The text of ``path`` (``-``: standard input) and the name to use in messages."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), path
    except FileNotFoundError:
        raise ConvcostError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConvcostError(f"{path}: is a directory, expected a YAML file") from None
    except UnicodeDecodeError:
        raise ConvcostError(f"{path}: not UTF-8 text, expected a YAML file") from None
    except OSError as exc:
        raise ConvcostError(f"{path}: cannot be read ({exc.strerror})") from None


def _loc(source: str, mark: Any) -> Loc:
    return Loc(source, mark.line + 1, mark.column + 1)


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "binary"))
_MERGE = object()
_NO_KEY = object()


class _Frame:
    """An open mapping or sequence while the event stream is read."""

    __slots__ = ("anchor", "data", "key", "key_mark", "merges")

    def __init__(self, data: LocDict | LocList, anchor: str | None) -> None:
        self.data = data
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.merges: list[tuple[Any, Any]] = []


class _Builder:
    """Builds LocDict/LocList values from libyaml's event stream, iteratively.

    Used instead of PyYAML's composer and constructor: those build a node tree first
    (slow: about 9 s for a 100,000-layer file) and recurse once per nesting level
    (libyaml's composer crashes on very deep nesting). This is one linear pass with
    no recursion; aliases share the anchored object, so an alias bomb stays small.
    """

    def __init__(self, loader: Any, source: str) -> None:
        import yaml

        self.yaml = yaml
        self.loader = loader
        self.source = source
        self.anchors: dict[str, Any] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.plain: dict[str, Any] = {}
        self.result: Any = None

    def error(self, mark: Any, message: str) -> SpecError:
        return SpecError(f"{_loc(self.source, mark)}: {message}")

    def scalar(self, event: Any) -> Any:
        yaml = self.yaml
        tag, value = event.tag, event.value
        if tag in (None, "!"):
            if not event.implicit[0]:  # quoted: a string
                return value
            if value in self.plain:
                return self.plain[value]
            tag = self.loader.resolve(yaml.ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:merge":
                return _MERGE
        elif tag not in _SCALAR_TAGS:
            raise self.error(event.start_mark, f"the tag {tag!r} is not allowed: files are loaded with a safe loader")
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        result = yaml.SafeLoader.yaml_constructors[tag](self.loader, node)
        if event.implicit[0] and event.tag in (None, "!"):
            self.plain[value] = result
        return result

    def add(self, value: Any, mark: Any) -> None:
        if not self.stack:
            self.result = value
            return
        top = self.stack[-1]
        data = top.data
        if isinstance(data, LocList):
            data.append(value)
            data.item_marks.append(mark)
        elif top.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise self.error(mark, f"keys must be plain words, got {_describe(value)}")
            if value is not _MERGE and value in data:
                raise self.error(mark, f"duplicate key {shown(value)}")
            top.key, top.key_mark = value, mark
        else:
            if top.key is _MERGE:
                top.merges.append((value, mark))
            else:
                data[top.key] = value
                data.key_marks[top.key] = top.key_mark
                data.value_marks[top.key] = mark
            top.key = _NO_KEY

    def open(self, event: Any, data: LocDict | LocList, allowed: str) -> None:
        if event.tag not in (None, "!", f"tag:yaml.org,2002:{allowed}"):
            raise self.error(event.start_mark, f"the tag {event.tag!r} is not allowed: files are loaded with a safe loader")
        data.source, data.mark = self.source, event.start_mark
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(data, event.anchor))
        self.marks.append(event.start_mark)

    def close(self) -> None:
        frame = self.stack.pop()
        mark = self.marks.pop()
        data = frame.data
        if isinstance(data, LocDict):
            for merged, merge_mark in frame.merges:
                sources = merged if isinstance(merged, LocList) else [merged]
                for sub in sources:
                    if not isinstance(sub, LocDict):
                        raise self.error(merge_mark, "a merge key (<<) takes a mapping or a list of mappings")
                    for key, value in sub.items():
                        if key not in data:  # own keys win; among merged maps the first wins
                            data[key] = value
                            data.key_marks[key], data.value_marks[key] = sub.key_marks[key], sub.value_marks[key]
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = data
        self.add(data, mark)

    def build(self) -> Any:
        import yaml

        self.marks: list[Any] = []
        documents = 0
        loader = self.loader
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                value = self.scalar(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = value
                self.add(value, event.start_mark)
            elif kind is yaml.MappingStartEvent:
                mapping = LocDict()
                mapping.key_marks, mapping.value_marks = {}, {}
                self.open(event, mapping, "map")
            elif kind is yaml.SequenceStartEvent:
                sequence = LocList()
                sequence.item_marks = []
                self.open(event, sequence, "seq")
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                self.close()
            elif kind is yaml.AliasEvent:
                if event.anchor in self.open_anchors:
                    raise self.error(event.start_mark, f"the alias *{event.anchor} refers to a collection that contains it")
                if event.anchor not in self.anchors:
                    raise self.error(event.start_mark, f"unknown alias *{event.anchor}")
                self.add(self.anchors[event.anchor], event.start_mark)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.error(event.start_mark, "expected a single YAML document, found another")
        return self.result


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document safely; errors become SpecError with file:line:column."""
    import yaml

    from convcost.perf import paused_gc

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        with paused_gc():
            return _Builder(loader, source).build()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{_loc(source, mark)}: " if mark is not None else f"{source}: "
        raise SpecError(f"{where}YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: YAML error: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()


def load_mapping(path: str, what: str) -> LocDict:
    """Read ``path`` and check that it holds a YAML mapping (``what`` names the kind of file)."""
    text, source = read_text(path)
    data = load_yaml(text, source)
    if data is None:
        raise SpecError(f"{source}:1:1: the file is empty; expected a {what} mapping")
    if not isinstance(data, LocDict):
        raise SpecError(f"{source}:1:1: expected a {what} mapping of keys, got {_describe(data)}")
    return data


# --- fields -------------------------------------------------------------------------


def parse_name(value: object, what: object) -> str:
    """A layer or model name: a string, or a number written as one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConvcostError(f"{what}: expected a name, got {_describe(value)}")
    return str(value)


def parse_method(value: object, what: object) -> str:
    """A cost model's name."""
    if isinstance(value, str) and value in METHODS:
        return value
    raise ConvcostError(f"{what}: expected one of {', '.join(METHODS)}, got {shown(value)}")


LAYER_TYPES = ("conv", "depthwise", "pointwise", "linear", "maxpool", "avgpool")


def parse_type(value: object, what: object) -> str:
    """A model layer's type."""
    if isinstance(value, str) and value in LAYER_TYPES:
        return value
    hint = _did_you_mean(value, LAYER_TYPES) if isinstance(value, str) else ""
    raise ConvcostError(f"{what}: unknown layer type {shown(value)}{hint} (expected one of {', '.join(LAYER_TYPES)})")


FIELD_PARSERS: dict[str, Callable[[object, object], Any]] = {
    "in": parse_shape,
    "k": parse_pair,
    "out": parse_int,
    "stride": parse_pair,
    "padding": parse_padding,
    "dilation": parse_pair,
    "groups": parse_int,
    "bias": parse_bool,
    "rank": parse_int,
    "mid": parse_int,
    "name": parse_name,
    "type": parse_type,
    "bn": parse_bool,
    "as": parse_method,
    "multiplier": parse_int,
    "global": parse_bool,
    "features": parse_int,
}
"""How each key of a layer is read, from a flag's text or a YAML value."""

LAYER_KEYS = frozenset({"in", "k", "out", "stride", "padding", "dilation", "groups", "bias", "rank", "mid", "name"})
"""The keys of a layer file (and the ``layer`` command's flags)."""


class Label:
    """A place in a file, formatted only when an error needs it (a large file has a label per
    value): a mapping's key, ``file:3:5: in``, or a list's item, ``file:4:5``."""

    __slots__ = ("data", "key")

    def __init__(self, data: LocDict | LocList, key: Any) -> None:
        self.data = data
        self.key = key

    def __str__(self) -> str:
        if isinstance(self.data, LocList):
            return str(self.data.item_loc(self.key))
        return f"{self.data.where(self.key)}: {self.key}"


Field = tuple[object, object]
"""A raw value and how to name it in an error (``--in``, or a Label)."""


_PARSED: dict[tuple[str, type, object], Any] = {}
"""Parsed scalar values by (key, type, value): large files repeat the same few values."""


def parse_fields(fields: Mapping[str, Field]) -> dict[str, Any]:
    """Parse every raw field with its key's parser (scalars once per distinct value)."""
    parsed = {}
    for key, (value, what) in fields.items():
        if isinstance(value, (list, dict)):
            parsed[key] = FIELD_PARSERS[key](value, what)
            continue
        cache_key = (key, type(value), value)
        result = _PARSED.get(cache_key, _PARSED)
        if result is _PARSED:
            result = _PARSED[cache_key] = FIELD_PARSERS[key](value, what)
        parsed[key] = result
    return parsed


def layer_spec(fields: Mapping[str, Field], missing: Callable[[str], str]) -> LayerSpec:
    """A LayerSpec from raw fields; ``missing(key)`` words the error for a required key."""
    for key in ("in", "k", "out"):
        if key not in fields:
            raise ConvcostError(missing(key))
    v = parse_fields(fields)
    return LayerSpec(
        inp=v["in"],
        out=v["out"],
        k=v["k"],
        stride=v.get("stride", (1, 1)),
        padding=v.get("padding", (0, 0, 0, 0)),
        dilation=v.get("dilation", (1, 1)),
        groups=v.get("groups", 1),
        bias=v.get("bias", False),
        rank=v.get("rank"),
        mid=v.get("mid"),
        name=v.get("name"),
    )


def file_fields(data: LocDict, allowed: KeySet) -> dict[str, Field]:
    """The raw fields of a YAML mapping, each named with its location; unknown keys refused."""
    fields: dict[str, Field] = {}
    for key, value in data.items():
        if not isinstance(key, str) or key not in allowed:
            raise SpecError(f"{data.key_loc(key)}: {_suggest(key, allowed)}")
        fields[key] = (value, Label(data, key))
    return fields


def load_kernel_rows(path: str) -> list[list[object]]:
    """The rows of a kernel file: YAML (a list of rows, or a mapping with ``kernel:``) or CSV."""
    if path.lower().endswith(".csv"):
        import csv

        text, _ = read_text(path)
        return [[cell for cell in row if cell.strip()] for row in csv.reader(text.splitlines()) if any(c.strip() for c in row)]
    text, source = read_text(path)
    data = load_yaml(text, source)
    if isinstance(data, LocDict) and "kernel" in data:
        data = data["kernel"]
    if isinstance(data, str):
        from convcost.separable import parse_kernel_text

        return [list(row) for row in parse_kernel_text(data)]
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise SpecError(f"{source}:1:1: expected a kernel: a list of rows (e.g. [[1, 2, 1], [2, 4, 2], [1, 2, 1]]), got {_describe(data)}")
    return [list(row) for row in data]


def load_layer_fields(path: str) -> tuple[dict[str, Field], str]:
    """The raw fields of a layer file and its name for messages."""
    data = load_mapping(path, "layer")
    return file_fields(data, LAYER_KEYS), data.loc.source


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
    from convcost.budget import BUDGET_KEYS, parse_si

    data = load_mapping(path, "model")
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
