"""YAML with locations: files read safely into LocDict/LocList values that remember file:line:column.

The only module that imports yaml, and only when a file is read. libyaml's event stream is
read in one iterative pass (no recursion), with every limit checked as the events arrive:
nesting depth, merge-key copies; aliases are shared, never copied. Plain (unquoted) scalars
are kept as their source text (:class:`Plain`): no YAML 1.1 resolver turns ``0x3``, ``064``
or ``1:30`` into a number; the field parsers decide what the text means.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import Any, NamedTuple, Union

from convcost.core.shapes import shown
from convcost.core.suggest import did_you_mean
from convcost.errors import ConvcostError, SpecError

MAX_DEPTH = 200
"""The deepest nesting of lists and mappings read (a real model file nests a few levels)."""
MAX_MERGED = 1_000_000
"""The most keys merge keys (``<<: *a``) may copy in one file, counted as they are copied."""


class Loc(NamedTuple):
    """A place in a file, 1-based (a NamedTuple: one is made per YAML value, so it must be cheap)."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


class Plain(str):
    """A plain (unquoted) YAML scalar: the text as written in the file.

    ``0x3``, ``064``, ``1:30``, ``1_000``, ``.inf``, ``true`` all stay text; the field parsers
    decide what each key accepts. (A plain ``~``, ``null`` or nothing is read as None.)
    """

    __slots__ = ()


def _pos(mark: Any) -> int:
    """A libyaml mark as one int (0-based line and column), so a value's place costs 8 bytes."""
    line: int = mark.line
    column: int = mark.column  # below 2**32: load_yaml reads at most 8 MiB
    return (line << 32) | column


def _loc(source: str, pos: int) -> Loc:
    return Loc(source, (pos >> 32) + 1, (pos & 0xFFFFFFFF) + 1)


class LocDict(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys and values stood.

    ``positions`` holds two packed places (key, value) per key, in the mapping's order; a
    Loc is made only when one is asked for (an error), which keeps a large file cheap.
    """

    source: str
    mark: int
    positions: array[int]

    def _index(self, key: Any) -> int:
        for index, own in enumerate(self):
            if own is key or own == key:
                return index
        raise KeyError(key)

    @property
    def loc(self) -> Loc:
        """Where the mapping starts."""
        return _loc(self.source, self.mark)

    def key_loc(self, key: Any) -> Loc:
        """Where ``key`` stood."""
        return _loc(self.source, self.positions[2 * self._index(key)])

    def where(self, key: Any) -> Loc:
        """Where the value of ``key`` stood (the mapping itself if absent)."""
        if key not in self:
            return self.loc
        return _loc(self.source, self.positions[2 * self._index(key) + 1])


class LocList(list[Any]):
    """A YAML sequence that remembers where it and each of its items stood."""

    source: str
    mark: int
    positions: array[int]

    @property
    def loc(self) -> Loc:
        """Where the sequence starts."""
        return _loc(self.source, self.mark)

    def item_loc(self, index: int) -> Loc:
        """Where item ``index`` stood."""
        return _loc(self.source, self.positions[index])


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    kind = "str" if isinstance(value, str) else type(value).__name__
    return f"{kind} {shown(value)}"


KeySet = Union[set[str], frozenset[str], Mapping[str, Any]]


def _did_you_mean(word: object, options: KeySet | tuple[str, ...]) -> str:
    """``; did you mean 'stride'?`` for the likeliest option (:func:`convcost.core.suggest.closest`), or nothing."""
    return did_you_mean(word, sorted(options))


def _suggest(key: object, allowed: KeySet) -> str:
    return f"unknown key {shown(key)}{_did_you_mean(key, allowed)} (valid keys: {', '.join(sorted(allowed))})"


# --- reading and parsing YAML -------------------------------------------------------


def read_text(path: str, kind: str = "a YAML file") -> tuple[str, str]:
    """The text of ``path`` (``-``: standard input) and the name to use in messages.

    Only regular files and ``-`` are read, at most 8 MiB (see :mod:`convcost.core.io`).
    """
    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    from convcost.core.io import read_input

    return read_input(path, kind)


_STR_TAG = "tag:yaml.org,2002:str"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_MERGE = object()
_NO_KEY = object()


def _short_tag(tag: str) -> str:
    short = "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
    return short if len(short) <= 40 else short[:37] + "..."


class _Frame:
    """An open mapping or sequence while the event stream is read."""

    __slots__ = ("anchor", "data", "is_list", "key", "key_pos", "merges")

    def __init__(self, data: LocDict | LocList, anchor: str | None) -> None:
        self.data = data
        self.anchor = anchor
        self.is_list = isinstance(data, LocList)
        self.key: Any = _NO_KEY
        self.key_pos = 0
        self.merges: list[tuple[Any, int]] = []


class _Builder:
    """Builds LocDict/LocList values from libyaml's event stream, iteratively.

    Used instead of PyYAML's composer and constructor: those build a node tree first
    (slow: about 9 s for a 100,000-layer file), recurse once per nesting level, copy merge
    keys without limit and resolve plain scalars by YAML 1.1's rules. This is one linear pass
    with no recursion that stops at the first limit crossed; aliases share the anchored
    object, so an alias bomb stays small.
    """

    def __init__(self, loader: Any, source: str) -> None:
        self.loader = loader
        self.source = source
        self.anchors: dict[str, Any] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.result: Any = None
        self.merged = 0

    def error(self, pos: int, message: str) -> SpecError:
        return SpecError(f"{_loc(self.source, pos)}: {message}")

    def tag_error(self, tag: str, pos: int) -> SpecError:
        allowed = "files are loaded with a safe loader that takes no tags (but !!str)"
        return self.error(pos, f"the tag {_short_tag(tag)!r} is not allowed: {allowed}; write the value without it")

    def add(self, value: Any, pos: int) -> None:
        stack = self.stack
        if not stack:
            self.result = value
            return
        top = stack[-1]
        data = top.data
        if isinstance(data, LocList):
            data.append(value)
            data.positions.append(pos)
        elif top.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise self.error(pos, f"keys must be plain words, got {_describe(value)}")
            if value is not _MERGE and value in data:
                raise self.error(pos, f"duplicate key {shown(value)}")
            top.key, top.key_pos = value, pos
        else:
            if top.key is _MERGE:
                top.merges.append((value, pos))
            else:
                data[top.key] = value
                data.positions.append(top.key_pos)
                data.positions.append(pos)
            top.key = _NO_KEY

    def open(self, event: Any, data: LocDict | LocList, allowed: str) -> None:
        pos = _pos(event.start_mark)
        if event.tag not in (None, "!", f"tag:yaml.org,2002:{allowed}"):
            raise self.tag_error(event.tag, pos)
        if len(self.stack) >= MAX_DEPTH:
            raise _depth_message(self.source, pos)
        data.source, data.mark, data.positions = self.source, pos, array("Q")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(data, event.anchor))

    def merge(self, data: LocDict, merged: Any, pos: int) -> None:
        """Copy the keys of ``merged`` (a mapping or a list of them) that ``data`` lacks; the values are shared."""
        sources = merged if isinstance(merged, LocList) else [merged]
        positions = data.positions
        for sub in sources:
            if not isinstance(sub, LocDict):
                raise self.error(pos, "a merge key (<<) takes a mapping or a list of mappings")
            self.merged += len(sub) + 1
            if self.merged > MAX_MERGED:
                raise self.error(pos, f"merge keys (<<) copy more than {MAX_MERGED:,} keys in this file (at most {MAX_MERGED:,})")
            sub_positions = sub.positions
            for index, (key, value) in enumerate(sub.items()):
                if key not in data:  # own keys win; among merged maps the first wins
                    data[key] = value
                    positions.append(sub_positions[2 * index])
                    positions.append(sub_positions[2 * index + 1])

    def close(self) -> None:
        frame = self.stack.pop()
        data = frame.data
        if isinstance(data, LocDict):
            for merged, pos in frame.merges:
                self.merge(data, merged, pos)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = data
        self.add(data, data.mark)

    def build(self) -> Any:
        # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
        import yaml

        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        document_start, stream_end = yaml.DocumentStartEvent, yaml.StreamEndEvent
        get_event = self.loader.get_event
        stack = self.stack
        plain: dict[str, Any] = {}  # text -> its Plain: large files repeat the same few values
        documents = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar_event:
                value = event.value
                tag = event.tag
                if tag is None and event.implicit[0]:  # plain: kept as the text written
                    if value in _NULLS:
                        value = None
                    elif value == "<<" and stack and not stack[-1].is_list and stack[-1].key is _NO_KEY:
                        value = _MERGE
                    else:
                        text = plain.get(value)
                        if text is None:
                            text = plain[value] = Plain(value)
                        value = text
                elif tag is not None and tag not in ("!", _STR_TAG):
                    raise self.tag_error(tag, _pos(event.start_mark))
                if event.anchor is not None:
                    self.anchors[event.anchor] = value
                self.add(value, _pos(event.start_mark))
            elif kind is mapping_start:
                self.open(event, LocDict(), "map")
            elif kind is sequence_start:
                self.open(event, LocList(), "seq")
            elif kind in ends:
                self.close()
            elif kind is alias_event:
                pos = _pos(event.start_mark)
                if event.anchor in self.open_anchors:
                    raise self.error(pos, f"the alias *{event.anchor} refers to a collection that contains it")
                if event.anchor not in self.anchors:
                    raise self.error(pos, f"unknown alias *{event.anchor}")
                self.add(self.anchors[event.anchor], pos)
            elif kind is document_start:
                documents += 1
                if documents > 1:
                    raise self.error(_pos(event.start_mark), "expected a single YAML document, found another")
            elif kind is stream_end:
                return self.result


def _problem(text: object) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= 120 else words[:117] + "..."


_LIBYAML_DEPTH = "maximum nesting depth"
"""libyaml's own refusal (from PyYAML 6.0.4's bundled libyaml on: 1,000 flow levels), reported as convcost's."""


def _depth_message(source: str, pos: int) -> SpecError:
    return SpecError(f"{_loc(source, pos)}: lists and mappings nested more than {MAX_DEPTH} levels deep (at most {MAX_DEPTH} are read)")


def _too_deep(text: str, source: str, mark: Any) -> SpecError:
    """convcost's own nesting error where libyaml stopped first at its deeper limit.

    libyaml's scanner reads up to 1,024 characters ahead of the events it hands out, so on a
    file of deep flow brackets its own limit (at level 1,001) can fire before the builder has
    seen level 201. The text before libyaml's mark nests no deeper than its limit, so reading
    it again finds level 201 where the builder counts it.
    """
    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    import yaml

    lines = text.split("\n", mark.line)  # the mark's line and column, in characters
    cut = sum(len(line) + 1 for line in lines[: mark.line]) + mark.column
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text[:cut])
    try:
        _Builder(loader, source).build()
    except SpecError as exc:
        if f"nested more than {MAX_DEPTH}" in str(exc):
            return exc
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return _depth_message(source, _pos(mark))


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document safely; errors become SpecError with file:line:column.

    Text longer than the input cap (8 MiB) is refused before it is parsed.
    """
    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    from convcost.core.io import MAX_INPUT_BYTES

    if len(text) > MAX_INPUT_BYTES:
        raise SpecError(f"{source}: {len(text):,} characters; convcost reads inputs of at most 8 MiB ({MAX_INPUT_BYTES:,} bytes)")
    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    import yaml

    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    from convcost.core.perf import paused_gc

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        with paused_gc():
            return _Builder(loader, source).build()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and _LIBYAML_DEPTH in str(exc.problem):
            raise _too_deep(text, source, mark) from None
        where = f"{_loc(source, _pos(mark))}: " if mark is not None else f"{source}: "
        raise SpecError(f"{where}YAML syntax error: {_problem(exc.problem or exc.context or 'invalid YAML')}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: where it stands, not the reader's internals
        at = exc.position if isinstance(exc.position, int) and exc.position >= 0 else 0
        if type(loader).__name__.startswith("C"):  # libyaml counts bytes of UTF-8
            at = len(text.encode("utf-8", "surrogatepass")[:at].decode("utf-8", "ignore"))
        at = min(at, len(text))
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        if line == 1 and text.startswith("\ufeff"):  # a byte-order mark takes no column
            column -= 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character) if isinstance(exc.character, str) else None
        what = f"character U+{char:04X}" if char is not None else "a character"
        raise SpecError(f"{source}:{line}:{column}: {what} is not allowed in YAML ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: YAML error: {_problem(exc)}") from None
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


def dump_yaml(data: object, what: str) -> str:
    """``data`` (plain dicts, lists and scalars) as YAML text, for reading back with the file's rules;
    ``what`` names it in an error."""
    # lazy: PyYAML only when a file is read; difflib only for a did-you-mean
    import yaml

    try:
        # every character outside ASCII escaped: U+0085 written raw would be read back as a line break, folded to a space
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=False))
    except RecursionError:
        raise ConvcostError(f"{what}: the mapping is nested too deeply") from None
    except yaml.YAMLError as exc:
        culprit = exc.args[1] if len(exc.args) > 1 else exc
        raise ConvcostError(f"{what}: expected a mapping of strings, numbers, lists and mappings, got {_describe(culprit)}") from None
