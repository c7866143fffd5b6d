"""An ONNX file's nodes as the front end reads them, and the operator schemas of its opset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from convcost.ops import ONNX_HANDLERS
from convcost.ops.onnx_node import OnnxHandler

DEFAULT_DOMAINS = ("", "ai.onnx")
"""The default ONNX domain's names: the only ops convcost knows the rules of."""


class FileNode(NamedTuple):
    """One ONNX node, in execution order."""

    at: int
    """Position in the file's node list."""
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any]
    proto: Any

    @property
    def handler(self) -> OnnxHandler | None:
        """Its op's handler (:data:`~convcost.ops.ONNX_HANDLERS`) for a node of the default domain; None otherwise."""
        return ONNX_HANDLERS.get(self.op_type) if self.domain in DEFAULT_DOMAINS else None


def attributes(onnx: Any, node: Any) -> dict[str, Any]:
    """A node's attributes as Python values (tensors and graphs left as protos)."""
    found: dict[str, Any] = {}
    kinds = onnx.AttributeProto
    for attr in node.attribute:
        if attr.type == kinds.INT:
            found[attr.name] = attr.i
        elif attr.type == kinds.FLOAT:
            found[attr.name] = attr.f
        elif attr.type == kinds.STRING:
            found[attr.name] = attr.s.decode("utf-8", "replace")
        elif attr.type == kinds.INTS:
            found[attr.name] = tuple(attr.ints)
        elif attr.type == kinds.FLOATS:
            found[attr.name] = tuple(attr.floats)
        elif attr.type == kinds.TENSOR:
            found[attr.name] = attr.t
        else:
            found[attr.name] = attr
    return found


class Schemas:
    """The ONNX operator schemas of a model's default-domain opset, looked up once per op type."""

    def __init__(self, onnx: Any, model: Any) -> None:
        self.onnx = onnx
        versions = [o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS]
        self.version = versions[0] if versions else onnx.defs.onnx_opset_version()
        self.found: dict[str, Any] = {}

    def get(self, op_type: str) -> Any:
        """The schema of ``op_type`` at the model's opset, or None for an op ONNX does not define."""
        if op_type not in self.found:
            try:
                self.found[op_type] = self.onnx.defs.get_schema(op_type, self.version, "")
            except Exception:  # onnx.defs.SchemaError: no such op (a custom op in the default domain)
                self.found[op_type] = None
        return self.found[op_type]


def label(node: FileNode) -> str:
    """The name of an op type in notes: ``CustomOp``, or ``com.microsoft.FusedConv``."""
    return node.op_type if node.domain in DEFAULT_DOMAINS else f"{node.domain}.{node.op_type}"
