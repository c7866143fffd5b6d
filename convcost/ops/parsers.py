"""Parsers and JSON Schema fragments for the keys the ops take.

The shape-like parsers (``parse_shape``, ``parse_pair``, ``parse_padding``, ...) live in
``convcost.core.shapes``; this module adds the few that only model-file ops use, and one
schema fragment per kind of value, so the file grammar and the JSON Schema share one table.
"""

from __future__ import annotations

from typing import Any

from convcost.core.shapes import MAX_DIGITS, PaddingSpec, parse_int, parse_padding, shown
from convcost.errors import ConvcostError

# The schema fragments follow the parsers' rules for whole numbers (core.shapes): decimal digits,
# no leading zero, at most MAX_DIGITS of them. A schema sees values as YAML loaded them: with
# YAML 1.2's JSON schema (plain ``0x10``, ``064``, ``yes`` stay text) the patterns refuse exactly
# what convcost refuses; a YAML 1.1 loader has already turned ``0x10`` into 16 and ``yes`` into
# true before any schema can tell (convcost itself reads the text as written and refuses them).
N1 = f"[1-9][0-9]{{0,{MAX_DIGITS - 1}}}"
"""A whole number >= 1 as text, as a pattern."""
N0 = f"(0|{N1})"
"""A whole number >= 0 as text, as a pattern."""
BY = r"\s*[xX\u00d7]\s*"
"""The ``x`` between sizes (any case, or the multiplication sign), with spaces."""


def int_schema(minimum: int) -> dict[str, Any]:
    """A YAML integer from ``minimum`` to the largest with MAX_DIGITS digits."""
    return {"type": "integer", "minimum": minimum, "maximum": 10**MAX_DIGITS - 1}


def text_schema(body: str) -> dict[str, Any]:
    """Text matching the pattern ``body`` whole, with spaces around it."""
    return {"type": "string", "pattern": rf"^\s*{body}\s*$"}


def _lists(minimum: int, *counts: int) -> list[dict[str, Any]]:
    return [{"type": "array", "items": int_schema(minimum), "minItems": n, "maxItems": n} for n in counts]


COUNT_SCHEMA: dict[str, Any] = {"anyOf": [int_schema(1), text_schema(N1)]}
PAIR_SCHEMA: dict[str, Any] = {"anyOf": [int_schema(1), text_schema(f"{N1}({BY}{N1})?"), *_lists(1, 2)]}
SIZES_SCHEMA: dict[str, Any] = {"anyOf": [int_schema(1), text_schema(f"{N1}({BY}{N1}){{0,2}}"), *_lists(1, 2, 3)]}
"""One size, or one per axis (1-D, 2-D, 3-D): a kernel, a stride, a dilation."""
SIZES0_SCHEMA: dict[str, Any] = {"anyOf": [int_schema(0), text_schema(f"{N0}({BY}{N0}){{0,2}}"), *_lists(0, 2, 3)]}
PADDING_SCHEMA: dict[str, Any] = {
    "anyOf": [int_schema(0), text_schema(f"({N0}({BY}{N0}){{0,3}}|{N0}({BY}{N0}){{5}}|same|valid)"), *_lists(0, 1, 2, 3, 4, 6)]
}
EXPLICIT_PADDING_SCHEMA: dict[str, Any] = {
    "anyOf": [
        int_schema(0),
        text_schema(rf"{N0}(({BY}{N0}){{0,3}}|({BY}{N0}){{5}}|(\s*,\s*{N0}){{3}}|(\s*,\s*{N0}){{5}})"),
        *_lists(0, 1, 2, 3, 4, 6),
    ]
}
BOOL_SCHEMA: dict[str, Any] = {"type": "boolean"}
NAME_SCHEMA: dict[str, Any] = {"type": ["string", "number"]}

_EXPLICIT_EXPECTED = "P, one per axis (PHxPW) or begin,end per axis (top,bottom,left,right)"


def parse_explicit_padding(value: object, what: object) -> PaddingSpec:
    """``P``, ``PHxPW``, ``top,bottom,left,right`` (3-D: six values, begin,end per axis) or a list: explicit padding (no ``same``)."""
    if isinstance(value, str) and "," in value:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) not in (4, 6):
            raise ConvcostError(f"{what}: expected {_EXPLICIT_EXPECTED}, got {shown(value)}")
        value = [parse_int(part, what, 0) for part in parts]
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        raise ConvcostError(f"{what}: expected {_EXPLICIT_EXPECTED}, got {shown(value)}")
    return parse_padding(value, what)


def choice(*options: str) -> Any:
    """A parser that accepts exactly one of ``options``."""

    def parse(value: object, what: object) -> str:
        if isinstance(value, str) and value in options:
            return str(value)
        raise ConvcostError(f"{what}: expected one of {', '.join(options)}, got {shown(value)}")

    return parse


def parse_method(value: object, what: object) -> str:
    """A cost model's name (``as:``)."""
    # lazy: the cost models load only when a method is named
    from convcost.factorize import METHODS

    if isinstance(value, str) and value in METHODS:
        return str(value)
    raise ConvcostError(f"{what}: expected one of {', '.join(METHODS)}, got {shown(value)}")


def method_schema() -> dict[str, Any]:
    """The schema of ``as:``: one of the cost models."""
    # lazy: the cost models load only when a method is named
    from convcost.factorize import METHODS

    return {"enum": list(METHODS)}
