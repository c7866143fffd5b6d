"""An ONNX file's graph written as a convcost model file (``convcost import``).

Every node the ONNX reader lowered to a model-file type becomes a layer named after the
node, with the same keys, so the model file costs exactly what the ONNX file does. A layer
reads the previous layer's output unless it says ``from:`` (where the graph branches);
``add`` and ``concat`` always name their inputs. Keys most layers share go to ``defaults:``.
A file costed at batch N says ``batch: N``, so the model file counts the same batch.
Nodes with no cost that nothing on the way to the output reads (shape arithmetic, constant
folding leftovers) are left out. A node no type expresses is an error listing every such op
type, or with ``skip_unknown`` an ``identity`` layer with a comment saying so.

Written by hand, not with a YAML library: names are double-quoted (JSON strings are YAML).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from convcost.core.graph import GRAPH_INPUT, INPUT, Graph, Node
from convcost.errors import ConvcostError
from convcost.frontends.model_file import MAX_NAME, RESERVED
from convcost.ops import OPS
from convcost.ops.onnx_generic import ONNX_OP, TensorShape
from convcost.ops.onnx_node import op_label
from convcost.ops.registry import INTERNAL_OPS

_DEFAULT_CANDIDATES = ("bias", "padding", "stride", "dilation", "groups")
"""Keys that may go to ``defaults:`` when most layers that take them share a value."""

_TYPE_DEFAULTS: Mapping[str, Any] = {"bias": False, "padding": (0, 0, 0, 0), "stride": (1, 1), "dilation": (1, 1), "groups": 1}
"""What a layer gets for a candidate key it does not write and ``defaults:`` does not set."""

_KEY_ORDER = ("k", "out", "stride", "padding", "output_padding", "dilation", "groups", "bias", "global", "scale", "size", "mode")


def _pair(value: tuple[int, int]) -> str:
    return str(value[0]) if value[0] == value[1] else f"{value[0]}x{value[1]}"


def _value(key: str, value: Any) -> str:
    """A key's value as model-file text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if key == "padding":
        top, bottom, left, right = value
        if top == bottom and left == right:
            return _pair((top, left))
        return f"[{top}, {bottom}, {left}, {right}]"
    if isinstance(value, tuple):
        return _pair((value[0], value[1]))
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _yaml_char(c: str) -> str:
    """One character inside a YAML double-quoted string: as it is when YAML reads it back so, else
    its escape. Escaped: ``"`` and ``\\``, control characters, the line breaks YAML folds into a
    space (U+0085, U+2028, U+2029), U+FEFF, surrogates and U+FFFE/U+FFFF (not allowed in a YAML file)."""
    code = ord(c)
    if c in ('"', "\\"):
        return "\\" + c
    printable = 0x20 <= code < 0x7F or code >= 0x10000 or 0xA0 <= code <= 0xFFFD
    if printable and code not in (0x2028, 0x2029, 0xFEFF) and not 0xD800 <= code <= 0xDFFF:
        return c
    return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"


def _comment(text: str) -> str:
    """Text for a YAML comment: every character outside printable ASCII escaped (a comment ends at any line break)."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _text(name: str) -> str:
    """A name as a YAML double-quoted string that reads back as exactly ``name``."""
    return '"' + "".join(_yaml_char(c) for c in name) + '"'


class _Writer:
    def __init__(self, graph: Graph, skip_unknown: bool) -> None:
        self.graph = graph
        self.skip_unknown = skip_unknown
        self.keep = self.kept()
        self.renamed: dict[int, str] = {}
        """Node index -> why its layer name is not the node's own (said in a comment)."""
        self.names = self.layer_names()
        self.same: set[int] = set()
        """Graph inputs after the first, of its shape, written as the model input."""

    def kept(self) -> list[int]:
        """The nodes to write: the output's and every costed node's ancestors, themselves included."""
        graph = self.graph
        stack = [graph.output]
        stack.extend(i for i, node in enumerate(graph.nodes) if self.costed(node))
        seen: set[int] = set()
        while stack:
            i = stack.pop()
            if i == INPUT or i in seen:
                continue
            seen.add(i)
            stack.extend(graph.nodes[i].inputs)
        return sorted(seen)

    def costed(self, node: Node) -> bool:
        """True for a node with mults or params."""

        shapes = [self.graph.input if t == INPUT else self.graph.shapes[t] for t in node.inputs]
        definition = OPS[node.op] if node.op in OPS else INTERNAL_OPS[node.op]
        cost = definition.evaluate(node.op, node.attrs, shapes).cost
        return bool(cost.mults or cost.params)

    def layer_names(self) -> dict[int, str]:
        """Node index -> its layer name: the node's own, written escaped so that it reads back
        exactly, unless a model file cannot hold it: ``input`` (the model input's) or a name taken
        already gets ``_`` appended, and one over the model file's 1,000 characters is shortened
        with ``~`` and a number; each such rename is said in a comment above its layer."""

        names: dict[int, str] = {}
        taken = {RESERVED}
        for i in self.keep:
            original = name = self.graph.nodes[i].name
            if len(name) > MAX_NAME:
                number = 1
                while (name := f"{original[: MAX_NAME - 12]}~{number}") in taken:
                    number += 1
                self.renamed[i] = f"its {len(original):,} characters are over the model file's {MAX_NAME:,}"
            while name in taken:
                name += "_"
                self.renamed.setdefault(i, "input is the model input's name" if original == RESERVED else "another layer has that name")
            taken.add(name)
            names[i] = name
        return names

    def unknown(self) -> Counter[str]:
        return Counter(str(self.graph.nodes[i].attrs["type"]) for i in self.keep if self.graph.nodes[i].op == ONNX_OP)

    def defaults(self) -> dict[str, Any]:

        chosen: dict[str, Any] = {}
        for key in _DEFAULT_CANDIDATES:
            takers = [self.graph.nodes[i] for i in self.keep if self.graph.nodes[i].op != ONNX_OP]
            takers = [n for n in takers if key in OPS[n.op].keys_of(n.op)]
            if len(takers) < 2 or any(key not in n.attrs for n in takers):
                continue
            value, count = Counter(n.attrs[key] for n in takers).most_common(1)[0]
            if count * 2 > len(takers) and value != _TYPE_DEFAULTS[key]:
                chosen[key] = value
        return chosen

    def write(self, source: str) -> str:
        graph = self.graph
        others = [str(graph.nodes[i].attrs[GRAPH_INPUT]) for i in self.keep if GRAPH_INPUT in graph.nodes[i].attrs]
        if others and all(graph.shapes[i] == graph.input for i in self.keep if GRAPH_INPUT in graph.nodes[i].attrs):
            # inputs of the first input's shape: reading the model input instead costs exactly the same
            self.same = {i for i in self.keep if GRAPH_INPUT in graph.nodes[i].attrs}
            self.keep = [i for i in self.keep if i not in self.same]
            others = []
        if others:
            raise ConvcostError(
                f"{source}: the graph reads {len(others) + 1:,} inputs ({_comment(_text(graph.input_name))}, "
                f"{', '.join(_comment(_text(n)) for n in others[:10])}{', ...' if len(others) > 10 else ''}); "
                "a model file has one input"
            )
        unknown = self.unknown()
        if unknown and not self.skip_unknown:
            ranked = sorted(unknown.items(), key=lambda item: (-item[1], item[0]))
            listed = ", ".join(f"{count} x {op_label(op)}" for op, count in ranked[:10]) + (", ..." if len(ranked) > 10 else "")
            raise ConvcostError(
                f"{source}: no model-file type expresses {listed}; "
                "--skip-unknown writes them as identity layers (the totals may then differ)"
            )
        if isinstance(graph.input, TensorShape):
            raise ConvcostError(f"{source}: the input is {graph.input}, not an NCHW image; a model file starts from HxWxC")
        defaults = self.defaults()
        lines = [f"# Imported from {source} by convcost import."]
        if self.renamed:
            lines.append(f"# {len(self.renamed):,} layer names differ from their ONNX nodes' (a comment above each says why).")
        if unknown:
            listed = ", ".join(f"{count} x {op}" for op, count in sorted(unknown.items()))
            lines.append(
                f"# Not expressible, written as identity layers (--skip-unknown): {listed}; the totals may differ from the ONNX file's."
            )
        if graph.name:
            lines.append(f"name: {_text(graph.name)}")
        lines.append(f"input: {graph.input}")
        if graph.batch != 1:
            lines.append(f"batch: {graph.batch}")
        if defaults:
            lines.append("defaults:")
            lines.extend(f"  {key}: {_value(key, value)}" for key, value in defaults.items())
        lines.append("layers:")
        previous = INPUT
        for i in self.keep:
            lines.extend(self.layer(i, previous, defaults))
            previous = i
        if graph.output != previous:
            lines.append(f"output: {_text(self.names[graph.output])}")
        return "\n".join(lines) + "\n"

    def ref(self, tensor: int) -> str:
        return "input" if tensor == INPUT or tensor in self.same else _text(self.names[tensor])

    def layer(self, i: int, previous: int, defaults: Mapping[str, Any]) -> list[str]:
        node = self.graph.nodes[i]
        lines: list[str] = []
        if node.op == ONNX_OP:
            shape = self.graph.shapes[i]
            lines.append(f"  # {node.attrs['type']} (output {shape}): no model-file type; an identity layer (--skip-unknown)")
            same = [t for t in node.inputs if (self.graph.input if t == INPUT else self.graph.shapes[t]) == shape]
            op, attrs, inputs = "identity", {}, tuple(same or node.inputs)[:1]
        else:
            op, attrs, inputs = node.op, dict(node.attrs), node.inputs
        inputs = tuple(INPUT if t in self.same else t for t in inputs)
        if i in self.renamed:
            original = node.name if len(node.name) <= 60 else node.name[:57] + "..."
            lines.append(f"  # renamed from the ONNX node {_comment(_text(original))}: {self.renamed[i]}")
        lines.append(f"  - name: {_text(self.names[i])}")
        lines.append(f"    type: {op}")
        if op in ("add", "concat"):
            lines.append(f"    from: [{', '.join(self.ref(t) for t in inputs)}]")
        elif inputs and inputs[0] != previous:
            lines.append(f"    from: {self.ref(inputs[0])}")
        for key in sorted(attrs, key=lambda k: _KEY_ORDER.index(k) if k in _KEY_ORDER else len(_KEY_ORDER)):
            value = attrs[key]
            if key in defaults and value == defaults[key]:
                continue
            pool_stride = key == "stride" and op in ("maxpool", "avgpool")  # a pool's stride defaults to its window
            if key not in defaults and not pool_stride and key in _TYPE_DEFAULTS and value == _TYPE_DEFAULTS[key]:
                continue
            lines.append(f"    {key}: {_value(key, value)}")
        return lines


def graph_to_model_file(graph: Graph, source: str, skip_unknown: bool = False) -> str:
    """The model-file text of an ONNX graph (read with every node kept: ``all_ops``)."""
    return _Writer(graph, skip_unknown).write(source)
