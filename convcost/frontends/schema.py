"""A JSON Schema (draft 2020-12) for model files and layer files, for editors' YAML support.

Built from spec's own tables (layer types and their keys), so the schema and the validator
cannot drift apart. Required-ness of ``k``/``out`` is left to convcost itself, since
``defaults`` may supply them.
"""

from __future__ import annotations

from typing import Any

from convcost.analysis.budget import BUDGET_KEYS
from convcost.factorize import METHODS
from convcost.frontends.fields import LAYER_KEYS, LAYER_TYPES
from convcost.frontends.model_file import BLOCK_KEYS, DEFAULT_KEYS, RESIDUALS, TYPE_KEYS

_COUNT = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\s*[0-9]+\s*$"}]}
_PAIR = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": r"^\s*[0-9]+\s*([xX]\s*[0-9]+\s*)?$"},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 2},
    ]
}
_SHAPE = {
    "description": "height x width x channels, e.g. 28x28x8",
    "anyOf": [
        {"type": "string", "pattern": r"^\s*[0-9]+\s*[xX]\s*[0-9]+\s*[xX]\s*[0-9]+\s*$"},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 3, "maxItems": 3},
    ],
}
_PADDING = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*([0-9]+\s*([xX]\s*[0-9]+\s*)?|same|valid)\s*$"},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 4},
    ]
}
_SI = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?[kKMGT]?\s*$"}]}

VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "in": _SHAPE,
    "k": _PAIR,
    "out": _COUNT,
    "stride": _PAIR,
    "padding": _PADDING,
    "dilation": _PAIR,
    "groups": _COUNT,
    "bias": {"type": "boolean"},
    "rank": _COUNT,
    "mid": _COUNT,
    "name": {"type": ["string", "number"]},
    "type": {"enum": list(LAYER_TYPES)},
    "bn": {"type": "boolean"},
    "as": {"enum": list(METHODS)},
    "multiplier": _COUNT,
    "global": {"type": "boolean"},
    "features": _COUNT,
}
"""The schema of each key's value, keyed like spec.FIELD_PARSERS."""


def _closed(keys: frozenset[str] | set[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {key: VALUE_SCHEMAS[key] for key in sorted(keys)}
    properties.update(extra or {})
    return {"type": "object", "properties": properties, "additionalProperties": False}


def model_schema() -> dict[str, Any]:
    """The JSON Schema printed by ``convcost schema``: a model file or a layer file."""
    layer_defs: dict[str, Any] = {}
    for kind, keys in TYPE_KEYS.items():
        schema = _closed(keys | {"name", "type"})
        schema["properties"]["type"] = {"const": kind}
        if kind == "conv":
            schema["properties"]["type"] = {"const": "conv"}
        else:
            schema["required"] = ["type"]
        layer_defs[f"{kind}_layer"] = schema
    block = {
        "type": "object",
        "properties": {
            "name": VALUE_SCHEMAS["name"],
            "repeat": _COUNT,
            "residual": {"enum": list(RESIDUALS)},
            "layers": {"$ref": "#/$defs/layer_list"},
            "branches": {"type": "array", "items": {"$ref": "#/$defs/layer_list"}, "minItems": 1},
        },
        "additionalProperties": False,
        "oneOf": [{"required": ["layers"]}, {"required": ["branches"]}],
    }
    assert set(block["properties"]) == BLOCK_KEYS  # type: ignore[call-overload]
    budget = {"type": "object", "properties": dict.fromkeys(BUDGET_KEYS, _SI), "additionalProperties": False}
    model = {
        "type": "object",
        "properties": {
            "name": VALUE_SCHEMAS["name"],
            "input": _SHAPE,
            "defaults": _closed(DEFAULT_KEYS),
            "layers": {"$ref": "#/$defs/layer_list"},
            "budget": budget,
        },
        "required": ["input", "layers"],
        "additionalProperties": False,
    }
    layer_file = _closed(LAYER_KEYS)
    layer_file["required"] = ["in", "k", "out"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://convcost.invalid/schema/convcost.json",
        "title": "convcost model or layer file",
        "description": "A model file (input, layers, ...) for `convcost model`, or a layer file (in, k, out, ...) for `convcost layer`.",
        "oneOf": [{"$ref": "#/$defs/model"}, {"$ref": "#/$defs/layer_file"}],
        "$defs": {
            "model": model,
            "layer_file": layer_file,
            "block": block,
            "item": {"anyOf": [{"$ref": "#/$defs/block"}, *({"$ref": f"#/$defs/{k}_layer"} for k in TYPE_KEYS)]},
            "layer_list": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            **layer_defs,
        },
    }
