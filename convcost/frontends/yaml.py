"""YAML with locations: files read safely into LocDict/LocList values that remember file:line:column.

The only module that imports yaml, and only when a file is read. libyaml's event stream is
read in one iterative pass (no recursion); aliases are shared, never copied.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, NamedTuple, Union

from convcost.core.shapes import shown
from convcost.errors import ConvcostError, SpecError


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

    from convcost.core.perf import paused_gc

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
    return mapping_from_text(text, source, what)


def mapping_from_text(text: str, source: str, what: str) -> LocDict:
    """Parse YAML ``text`` (named ``source`` in messages) and check that it holds a mapping."""
    data = load_yaml(text, source)
    if data is None:
        raise SpecError(f"{source}:1:1: the file is empty; expected a {what} mapping")
    if not isinstance(data, LocDict):
        raise SpecError(f"{source}:1:1: expected a {what} mapping of keys, got {_describe(data)}")
    return data
