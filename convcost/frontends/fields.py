"""Fields: how each key of a layer or model file (and each flag) is read, with its location."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from convcost.core.shapes import (
    parse_bool,
    parse_int,
    parse_padding,
    parse_pair,
    parse_shape,
)
from convcost.errors import ConvcostError, SpecError
from convcost.factorize import LayerSpec, parse_rank

if TYPE_CHECKING:
    from convcost.frontends.yaml import KeySet, LocDict, LocList

# --- fields -------------------------------------------------------------------------


def parse_name(value: object, what: object) -> str:
    """A layer or model name: a string, or a number written as one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        from convcost.frontends.yaml import _describe

        raise ConvcostError(f"{what}: expected a name, got {_describe(value)}")
    return str(value)


FIELD_PARSERS: dict[str, Callable[[object, object], Any]] = {
    "in": parse_shape,
    "k": parse_pair,
    "out": parse_int,
    "stride": parse_pair,
    "padding": parse_padding,
    "dilation": parse_pair,
    "groups": parse_int,
    "bias": parse_bool,
    "rank": parse_rank,
    "mid": parse_int,
    "name": parse_name,
}
"""How each key of a layer file (and each ``layer`` flag) is read, from a flag's text or a YAML value."""

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
        from convcost.frontends.yaml import LocList

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
            from convcost.frontends.yaml import _suggest

            raise SpecError(f"{data.key_loc(key)}: {_suggest(key, allowed)}")
        fields[key] = (value, Label(data, key))
    return fields


def load_kernel_rows(path: str) -> list[list[object]]:
    """The rows of a kernel file: YAML (a list of rows, or a mapping with ``kernel:``) or CSV.

    At most 64x64 entries (separable.MAX_SIZE), refused before the entries are copied.
    """
    from convcost.frontends.yaml import LocDict, _describe, load_yaml, read_text
    from convcost.separable import MAX_SIZE, check_size, kernel_tokens, size_error

    if path.lower().endswith(".csv"):
        import csv

        text, _ = read_text(path, "a CSV file")
        rows: list[list[object]] = []
        for line in text.splitlines():
            if line.count(",") > 16 * MAX_SIZE:  # refused before csv splits it into cells
                raise size_error(f"entries in row {len(rows) + 1}")
            cells = [cell for row in csv.reader([line]) for cell in row if cell.strip()]
            if cells:
                rows.append(list(cells))
                check_size(rows)
        return rows
    text, source = read_text(path)
    data = load_yaml(text, source)
    if isinstance(data, LocDict) and "kernel" in data:
        data = data["kernel"]
    if isinstance(data, str):
        return [list(row) for row in kernel_tokens(data)]
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise SpecError(f"{source}:1:1: expected a kernel: a list of rows (e.g. [[1, 2, 1], [2, 4, 2], [1, 2, 1]]), got {_describe(data)}")
    check_size(data)
    return [list(row) for row in data]


def load_layer_fields(path: str) -> tuple[dict[str, Field], str]:
    """The raw fields of a layer file and its name for messages."""
    from convcost.frontends.yaml import load_mapping

    data = load_mapping(path, "layer")
    return file_fields(data, LAYER_KEYS), data.loc.source
