"""Fields: how each key of a layer or model file (and each flag) is read, with its location."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from convcost.core.shapes import (
    parse_shape,
)
from convcost.core.suggest import accepted_key, alias_clash
from convcost.errors import ConvcostError, SpecError

if TYPE_CHECKING:
    from convcost.core.graph import Graph
    from convcost.factorize import LayerSpec
    from convcost.frontends.yaml import KeySet, LocDict, LocList
    from convcost.separable import Number

# --- fields -------------------------------------------------------------------------


def parse_name(value: object, what: object) -> str:
    """A layer or model name: a string, or a number written as one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
        from convcost.frontends.yaml import _describe

        raise ConvcostError(f"{what}: expected a name, got {_describe(value)}")
    return str(value)


def key_parser(key: str) -> Callable[[object, object], Any]:
    """How a key of a layer file (and the ``layer`` flag of that name) is read: ``in`` and ``name``
    here, every other key by the ``conv`` op's own parser, the one a model file's conv layer uses."""
    if key == "in":
        return parse_shape
    if key == "name":
        return parse_name
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.ops.conv import KEYS

    return KEYS[key].parser


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
        # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
        from convcost.frontends.yaml import LocList

        if isinstance(self.data, LocList):
            return str(self.data.item_loc(self.key))
        return f"{self.data.where(self.key)}: {self.key}"


Field = tuple[object, object]
"""A raw value and how to name it in an error (``--in``, or a Label)."""


_PARSED: dict[tuple[int, type, object], Any] = {}
"""Parsed scalars by (parser, type, value): large files repeat the same few values."""


def parse_cached(parser: Callable[[object, object], Any], value: object, what: object) -> Any:
    """``parser(value, what)``, once per distinct scalar value (lists and mappings every time)."""
    if isinstance(value, (list, dict)):
        return parser(value, what)
    cache_key = (id(parser), type(value), value)
    try:
        result = _PARSED.get(cache_key, _PARSED)
    except (TypeError, ValueError):  # unhashable (a set from the Python API, a numpy time): parsed, and refused, every time
        return parser(value, what)
    if result is _PARSED:
        result = _PARSED[cache_key] = parser(value, what)
    return result


def parse_fields(fields: Mapping[str, Field]) -> dict[str, Any]:
    """Parse every raw field with its key's parser."""
    return {key: parse_cached(key_parser(key), value, what) for key, (value, what) in fields.items()}


def layer_spec(fields: Mapping[str, Field], missing: Callable[[str], str]) -> LayerSpec:
    """A LayerSpec from raw fields; ``missing(key)`` words the error for a required key."""
    for key in ("in", "k", "out"):
        if key not in fields:
            raise ConvcostError(missing(key))
    v = parse_fields(fields)
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.factorize import LayerSpec  # after the values are read: a bad file is refused sooner

    return LayerSpec(
        inp=v["in"],
        out=v["out"],
        k=v["k"],
        stride=v.get("stride", (1,)),
        padding=v.get("padding", (0,)),
        dilation=v.get("dilation", (1,)),
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
        canonical = accepted_key(key, allowed)
        if canonical is None:
            # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
            from convcost.frontends.yaml import _suggest

            raise SpecError(f"{data.key_loc(key)}: {_suggest(key, allowed)}")
        if canonical != key and canonical in data:
            raise SpecError(f"{data.key_loc(key)}: {alias_clash(key, canonical)}")
        fields[canonical] = (value, Label(data, key))
    return fields


KERNEL_KEYS = frozenset({"kernel"})
"""The keys of a kernel file's mapping form (``kernel: [[1, 2, 1], ...]``)."""


def load_kernel(path: str) -> list[list[Number]]:
    """The kernel in a file: YAML (a list of rows, a mapping with ``kernel:``, or the text form
    ``"1 2 1; 2 4 2"``) or CSV. Every error names its place in the file (``file:line:col``).

    At most 64x64 entries (separable.MAX_SIZE), refused before the entries are copied; unknown
    keys beside ``kernel:``, empty rows and empty entries are refused, not skipped.
    """
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.separable import check_rows

    if path.lower().endswith(".csv"):
        return check_rows(_csv_kernel(path))
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.frontends.yaml import LocDict, LocList, _describe, _suggest, load_yaml, read_text
    from convcost.separable import check_size, parse_entry, parse_kernel_text

    text, source = read_text(path)
    data = load_yaml(text, source)
    where: object = source
    at: object = f"{source}:1:1"
    expected = "a kernel: a list of rows (e.g. [[1, 2, 1], [2, 4, 2], [1, 2, 1]]) or text like '1 2 1; 2 4 2; 1 2 1'"
    if isinstance(data, LocDict):
        for key in data:
            if key not in KERNEL_KEYS:
                raise SpecError(f"{data.key_loc(key)}: {_suggest(key, KERNEL_KEYS)}")
        if "kernel" not in data:
            raise SpecError(f"{data.loc}: expected a mapping with the key 'kernel' ({expected})")
        where = at = data.where("kernel")
        data = data["kernel"]
    if isinstance(data, str):
        return parse_kernel_text(data, where)
    if not isinstance(data, LocList):
        raise SpecError(f"{at}: expected {expected}, got {_describe(data)}")
    check_size(data)
    rows: list[list[Number]] = []
    for i, row in enumerate(data):
        if not isinstance(row, LocList):
            raise SpecError(f"{data.item_loc(i)}: row {i + 1}: expected a list of numbers, got {_describe(row)}")
        if not row:
            raise SpecError(f"{data.item_loc(i)}: row {i + 1} is empty; expected a list of numbers")
        check_size([*rows, row])
        if rows and len(row) != len(rows[0]):
            raise SpecError(f"{data.item_loc(i)}: ragged kernel: row {i + 1} has {len(row)} entries, row 1 has {len(rows[0])}")
        rows.append([parse_entry(x, Label(row, j)) for j, x in enumerate(row)])
    return check_rows(rows)


def _csv_kernel(path: str) -> list[list[Number]]:
    """The rows of a CSV kernel, each entry named ``file:line:col`` in an error."""
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    import csv

    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.frontends.yaml import read_text
    from convcost.separable import MAX_SIZE, check_size, empty_entry, empty_row, parse_entry, size_error

    text, source = read_text(path, "a CSV file")
    lines = text.rstrip().splitlines()
    rows: list[list[Number]] = []
    for number, line in enumerate(lines, 1):
        if line.count(",") > 16 * MAX_SIZE:  # refused before csv splits it into cells
            raise size_error(f"entries in row {len(rows) + 1}")
        cells = [cell for row in csv.reader([line]) for cell in row]
        if not any(cell.strip() for cell in cells):
            raise empty_row(f"{source}:{number}:1: ", len(rows) + 1)
        starts = _cell_starts(line, cells)
        entries: list[Number] = []
        for j, cell in enumerate(cells):
            where = f"{source}:{number}:{starts[j]}" if starts else f"{source}:{number}"
            if not cell.strip():
                raise empty_entry(f"{where}: ", len(rows) + 1, j + 1)
            entries.append(parse_entry(cell, where))
        rows.append(entries)
        check_size(rows)
        if len(entries) != len(rows[0]):
            raise SpecError(f"{source}:{number}:1: ragged kernel: row {len(rows)} has {len(entries)} entries, row 1 has {len(rows[0])}")
    return rows


def _cell_starts(line: str, cells: list[str]) -> list[int] | None:
    """The 1-based column where each cell starts, when the line has no quoting (else None)."""
    if '"' in line:
        return None
    starts, column = [], 1
    for cell in cells:
        starts.append(column + len(cell) - len(cell.lstrip()))
        column += len(cell) + 1
    return starts


def missing_layer_key(source: str | None) -> Callable[[str], str]:
    """The message for a required key the flags and the layer file (``source``) both lack."""

    def missing(key: str) -> str:
        where = f" (or '{key}:' in {source})" if source else ""
        return f"missing --{key}{where}; e.g. convcost layer --in 28x28x8 --k 3 --out 16"

    return missing


def load_layer_fields(path: str) -> tuple[dict[str, Field], str]:
    """The raw fields of a layer file and its name for messages."""
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.frontends.yaml import load_mapping

    data = load_mapping(path, "layer")
    return file_fields(data, LAYER_KEYS), data.loc.source


def layer_graph(spec: LayerSpec) -> Graph:
    """The ``layer`` command's front end into the operator graph: one ``conv`` node on the
    input, its output shape inferred by the ``conv`` op (as a model file's conv layer is)."""
    # lazy: a layer file's early read loads neither the cost models, YAML, nor the kernel reader unless needed
    from convcost.core.graph import INPUT, Graph, Node
    from convcost.ops import OPS

    attrs = {"k": spec.k, "out": spec.out, "stride": spec.stride, "padding": spec.padding, "dilation": spec.dilation,
             "groups": spec.groups, "bias": spec.bias}  # fmt: skip
    evaluated = OPS["conv"].evaluate("conv", attrs, (spec.inp,))
    name = spec.name if spec.name is not None else "layer"
    node = Node(name, "conv", attrs, (INPUT,), "the layer's flags and file", spec.name is not None)
    return Graph("<layer>", spec.name, spec.inp, (node,), (evaluated.out,), 0, evaluated=(evaluated,))
