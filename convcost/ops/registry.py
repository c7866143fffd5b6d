"""The op table: one handler signature, one table, every type registered once.

In the spirit of fvcore's ``jit_handles``: each op family module registers an :class:`OpDef`
with its type names, the keys it takes (each with its parser and JSON Schema, so the file
grammar, the schema and the key-typo suggestions come from this one table), one
``evaluate`` function: input shapes and parsed keys in, output shape and :class:`Cost` out,
and its ONNX handlers (``onnx``: the ONNX op types it lowers, each an
:class:`~convcost.ops.onnx_node.OnnxHandler`), which fill :data:`ONNX_HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from convcost.core.graph import Evaluated  # the record an op returns (re-exported); it lives with the graph that keeps it
from convcost.core.shapes import Shape
from convcost.ops.onnx_node import OnnxHandler

Parser = Callable[[object, object], Any]
"""``parser(value, what)``: a raw value (flag text or YAML scalar) into its parsed form;
``what`` names the value in an error."""


class Key(NamedTuple):
    """One key an op takes: how it is parsed, and its JSON Schema fragment."""

    parser: Parser
    schema: Mapping[str, Any]
    description: str = ""


Evaluate = Callable[[str, Mapping[str, Any], Sequence[Shape]], Evaluated]
"""``evaluate(type, attrs, input_shapes)``; raises ConvcostError for a shape it cannot take."""

_NONE: Mapping[Any, Any] = MappingProxyType({})

MANY = 0
"""``OpDef.inputs`` for an op that takes two or more inputs (``add``, ``concat``)."""


class OpDef(NamedTuple):
    """One op family's registration."""

    types: tuple[str, ...]
    evaluate: Evaluate
    keys: Mapping[str, Key] = _NONE
    """The keys each of ``types`` takes, besides ``type``, ``name`` and ``from``."""
    required: tuple[str, ...] = ()
    inputs: int = 1
    """1, or MANY for two or more."""
    auto_name: str = ""
    """Prefix of the name an unnamed layer gets (followed by its index); default: the type."""
    factorizable: bool = False
    """True when factorizations replace this op in the what-if (``conv``)."""
    summary: str = ""
    """One line for the README's table of types."""
    type_keys: Mapping[str, tuple[str, ...]] = _NONE
    """Per-type key subsets where the types of one family take different keys."""
    required_of: Mapping[str, tuple[str, ...]] = _NONE
    """Per-type required keys, where they differ from ``required``."""
    auto_names: Mapping[str, str] = _NONE
    """Per-type name prefixes, where they differ from ``auto_name``."""
    onnx: Mapping[str, OnnxHandler] = _NONE
    """The ONNX op types this family lowers (or knows the rules of), each with its handler."""

    def keys_of(self, kind: str) -> Mapping[str, Key]:
        """The keys ``kind`` takes."""
        subset = self.type_keys.get(kind)
        if subset is None:
            return self.keys
        return {k: self.keys[k] for k in subset}

    def required_keys(self, kind: str) -> tuple[str, ...]:
        """The keys ``kind`` needs."""
        return self.required_of.get(kind, self.required)

    def name_prefix(self, kind: str) -> str:
        """The prefix of an unnamed ``kind`` layer's name."""
        return self.auto_names.get(kind, self.auto_name or kind)


OPS: dict[str, OpDef] = {}
"""Every registered type name -> its OpDef, in registration order."""

INTERNAL_OPS: dict[str, OpDef] = {}
"""Types a front end makes but no model file may write (``onnx``: a node of an ONNX file that
carries its own cost): the walk finds them here; the grammar, the schema and the help do not."""


ONNX_HANDLERS: dict[str, OnnxHandler] = {}
"""Every ONNX op type convcost knows (default domain) -> its handler: the ONNX front end's one dispatch."""


def register(op: OpDef) -> OpDef:
    """Add an op family to the table, with its ONNX handlers (a later registration of a name replaces the earlier)."""
    for kind in op.types:
        OPS[kind] = op
    ONNX_HANDLERS.update(op.onnx)
    return op


def window_kernel(k: Sequence[int], strides: Sequence[int]) -> str:
    """An ONNX window's kernel text: :func:`kernel_text` of any rank."""
    return kernel_text(k, strides)


def kernel_text(k: Sequence[int], stride: Sequence[int]) -> str:
    """``3x3``, ``3x3/2``, ``1x7/1x2``; any rank alike (``3``, ``3/2``, ``3x3x3/1x2x2``)."""
    text = "x".join(map(str, k))
    if any(s != 1 for s in stride):
        text += f"/{stride[0]}" if len(set(stride)) == 1 else "/" + "x".join(map(str, stride))
    return text


def kernel_lists(text: str) -> tuple[list[int], list[int]] | None:
    """The kernel and stride lists a :func:`kernel_text` or :func:`window_kernel` text stands for
    (``3x3/2`` -> ``[3, 3]``, ``[2, 2]``; ``1x7/1x2`` -> ``[1, 7]``, ``[1, 2]``); None for any other text."""
    size, _, step = text.partition("/")
    parts = size.split("x")
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    k = [int(p) for p in parts]
    strides = step.split("x") if step else ["1"]
    if not all(s.isascii() and s.isdigit() for s in strides) or len(strides) not in (1, len(k)):
        return None
    stride = [int(s) for s in strides] * (len(k) if len(strides) == 1 else 1)
    return k, stride


__all__ = [
    "INTERNAL_OPS",
    "MANY",
    "ONNX_HANDLERS",
    "OPS",
    "Evaluate",
    "Evaluated",
    "Key",
    "OpDef",
    "Parser",
    "kernel_lists",
    "kernel_text",
    "register",
]
