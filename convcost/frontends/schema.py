"""A JSON Schema (draft 2020-12) for model files and layer files, for editors' YAML support.

Generated from the op registry (each op's keys carry their schema), so the schema, the
validator and the key-typo suggestions cannot drift apart. Required-ness of ``k``/``out`` is
left to convcost itself, since ``defaults`` may supply them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from convcost.core.shapes import MAX_DIGITS
from convcost.core.units import BUDGET_KEYS
from convcost.frontends.fields import LAYER_KEYS
from convcost.frontends.model_file import BLOCK_KEYS, DEFAULT_KEYS, RESIDUALS, TYPE_KEYS
from convcost.ops import MANY, OPS
from convcost.ops.parsers import BY, COUNT_SCHEMA, N1, NAME_SCHEMA, int_schema, text_schema

_SHAPE = {
    "description": "height x width x channels, e.g. 28x28x8",
    "anyOf": [
        text_schema(f"{N1}{BY}{N1}{BY}{N1}"),
        {"type": "array", "items": int_schema(1), "minItems": 3, "maxItems": 3},
    ],
}
_SI_TEXT = (
    rf"(?=(\D*[0-9]){{1,{MAX_DIGITS}}}\D*$)"  # at most MAX_DIGITS digits in all
    r"(?=.*[1-9])"  # not zero
    r"(0|[1-9][0-9]*)"  # no leading zero
    r"((\.0+)?|(\.[0-9]{1,3}0*)?[kK]|(\.[0-9]{1,6}0*)?M|(\.[0-9]{1,9}0*)?G|(\.[0-9]{1,12}0*)?T)"  # a whole number once scaled
)
_SI = {"anyOf": [int_schema(1), text_schema(_SI_TEXT)]}
_FROM_ONE = {"description": "the earlier layer or block whose output this one reads (or input)", **NAME_SCHEMA}
_FROM_MANY = {"description": "two or more earlier layers or blocks", "type": "array", "items": NAME_SCHEMA, "minItems": 2}


def _value_schemas() -> dict[str, Mapping[str, Any]]:
    """The schema of each key's value: every op's keys (the first family to define a key wins)."""
    schemas: dict[str, Mapping[str, Any]] = {"in": _SHAPE, "name": NAME_SCHEMA, "type": {"enum": list(OPS)}}
    for kind, op in OPS.items():
        for key, spec in op.keys_of(kind).items():
            schemas.setdefault(key, spec.schema)
    return schemas


def _closed(keys: Iterable[str], schemas: Mapping[str, Mapping[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {key: schemas[key] for key in sorted(keys)}
    properties.update(extra or {})
    return {"type": "object", "properties": properties, "additionalProperties": False}


def model_schema() -> dict[str, Any]:
    """The JSON Schema printed by ``convcost schema``: a model file or a layer file."""

    schemas = _value_schemas()
    layer_defs: dict[str, Any] = {}
    for kind, op in OPS.items():
        own = {key: spec.schema for key, spec in op.keys_of(kind).items()}
        many = op.inputs == MANY
        schema = _closed(own, own, {"name": NAME_SCHEMA, "type": {"const": kind}, "from": _FROM_MANY if many else _FROM_ONE})
        required = ["from"] if many else []
        if kind != "conv":
            required.insert(0, "type")
        if required:
            schema["required"] = required
        layer_defs[f"{kind}_layer"] = schema
    block = {
        "type": "object",
        "properties": {
            "name": NAME_SCHEMA,
            "repeat": COUNT_SCHEMA,
            "residual": {"enum": list(RESIDUALS)},
            "from": _FROM_ONE,
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
            "name": NAME_SCHEMA,
            "input": _SHAPE,
            "batch": {"description": "the inputs the costs count (mults and activations scale with it; default 1)", **COUNT_SCHEMA},
            "defaults": _closed(DEFAULT_KEYS, schemas),
            "layers": {"$ref": "#/$defs/layer_list"},
            "budget": budget,
            "output": {"description": "the layer or block whose output is the model's (default: the last)", **NAME_SCHEMA},
        },
        "required": ["input", "layers"],
        "additionalProperties": False,
    }
    layer_file = _closed(LAYER_KEYS, schemas)
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
