"""The ops: one module per family, each registering its types, keys, shape inference and cost.

Importing this package fills :data:`OPS` and :data:`ONNX_HANDLERS`. Adding an op is one new
module here plus its name in :data:`FAMILIES`; its ``register`` call also declares the ONNX op
types it lowers (``onnx={"OpType": OnnxHandler(lower, attribute_rules)}``).
"""

from __future__ import annotations

import importlib

from convcost.ops.registry import MANY, ONNX_HANDLERS, OPS, Evaluated, Key, OpDef, register

FAMILIES = ("conv", "linear", "pool", "elementwise", "se", "merge")
"""The op modules, in the order their types are listed (help, schema, README)."""

for _family in FAMILIES:
    importlib.import_module(f"convcost.ops.{_family}")

__all__ = ["FAMILIES", "MANY", "ONNX_HANDLERS", "OPS", "Evaluated", "Key", "OpDef", "register"]
