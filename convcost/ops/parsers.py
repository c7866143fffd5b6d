"""Parsers and JSON Schema fragments for the keys the ops take.

The shape-like parsers (``parse_shape``, ``parse_pair``, ``parse_padding``, ...) live in
``convcost.core.shapes``; this module adds the few that only model-file ops use, and one
schema fragment per kind of value, so the file grammar and the JSON Schema share one table.
"""

from __future__ import annotations

from typing import Any

from convcost.core.shapes import PaddingSpec, Pair, parse_int, parse_padding, shown
from convcost.errors import ConvcostError

COUNT_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\s*[0-9]+\s*$"}]}
PAIR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": r"^\s*[0-9]+\s*([xX]\s*[0-9]+\s*)?$"},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 2},
    ]
}
PAIR0_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]+\s*([xX]\s*[0-9]+\s*)?$"},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
    ]
}
PADDING_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*([0-9]+\s*([xX]\s*[0-9]+\s*)?|same|valid)\s*$"},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 4},
    ]
}
EXPLICIT_PADDING_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]+\s*(([xX]\s*[0-9]+\s*)|(,\s*[0-9]+\s*){3})?$"},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 4},
    ]
}
BOOL_SCHEMA: dict[str, Any] = {"type": "boolean"}
NAME_SCHEMA: dict[str, Any] = {"type": ["string", "number"]}


def parse_pair0(value: object, what: object) -> Pair:
    """``0``, ``1``, ``1x0`` or ``[1, 0]``: two whole numbers >= 0 (a transposed conv's output padding)."""
    padding = parse_padding(value, what)
    if padding == "same" or padding[0] != padding[1] or padding[2] != padding[3]:
        raise ConvcostError(f"{what}: expected a whole number >= 0 or AxB (e.g. 1 or 1x0), got {shown(value)}")
    return (padding[0], padding[2])


def parse_explicit_padding(value: object, what: object) -> PaddingSpec:
    """``P``, ``PHxPW``, ``top,bottom,left,right`` or a list: explicit padding (no ``same``)."""
    if isinstance(value, str) and "," in value:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 4:
            raise ConvcostError(f"{what}: expected P, PHxPW or top,bottom,left,right, got {shown(value)}")
        value = [parse_int(part, what, 0) for part in parts]
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        raise ConvcostError(f"{what}: expected P, PHxPW or top,bottom,left,right, got {shown(value)}")
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
    from convcost.factorize import METHODS

    if isinstance(value, str) and value in METHODS:
        return str(value)
    raise ConvcostError(f"{what}: expected one of {', '.join(METHODS)}, got {shown(value)}")


def method_schema() -> dict[str, Any]:
    """The schema of ``as:``: one of the cost models."""
    from convcost.factorize import METHODS

    return {"enum": list(METHODS)}
