"""The operator graph every front end lowers into and every analysis folds over.

A graph is a list of nodes in execution order (every node's inputs come before it). Each
node has one output tensor, named by the node; ``INPUT`` (-1) stands for the graph's input
tensor. Shapes are channels last, H x W x C at batch 1; the batch is a graph-wide factor.
Nothing here knows YAML or ONNX: a node's ``origin`` is whatever names its place in the
source (``file:line:col`` for a model file, the node name for ONNX), shown with ``str()``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from convcost.core.cost import Cost
from convcost.core.shapes import Conv, Shape

INPUT = -1
"""The index that stands for the graph's input tensor in ``Node.inputs``."""

GRAPH_INPUT = "graph_input"
"""The attribute of a node that stands for a graph input after the first (an ONNX file's): the input's name."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Node(NamedTuple):
    """One operator applied to earlier tensors (a NamedTuple: a large network has 100,000)."""

    name: str
    """Unique display name, block path included (``layer1.conv2``)."""
    op: str
    """A type registered in ``convcost.ops`` (``conv``, ``relu``, ``concat``, ...)."""
    attrs: Mapping[str, Any]
    """The op's parsed keys (``k``, ``out``, ``stride``, ...)."""
    inputs: tuple[int, ...]
    """Indices of the nodes whose outputs this node reads (``INPUT``: the graph input)."""
    origin: object = ""
    """Where the node came from, for errors: a ``Loc`` or an ONNX node name."""
    named: bool = False
    """True when the source named the node (diff matches nodes by such names)."""
    key: Hashable = None
    """Nodes with equal keys on equal input shapes cost the same (a memo key); None: no memo."""
    shortcut: bool = False
    """True for a projection shortcut a ``residual: project`` block adds."""
    hidden: bool = False
    """True for a merge the source implies rather than writes (a block's residual addition,
    its branches' concatenation): part of the graph, not a row of the tables."""


class Evaluated(NamedTuple):
    """What an op makes of its inputs."""

    out: Shape
    cost: Cost
    kernel: str = ""
    """Kernel and stride text for tables (``3x3/2``); empty where none applies."""
    conv: Conv | None = None
    """The convolution itself, for factorizations (what-if, ``as:``); None for other ops."""
    stages: tuple[tuple[str, Cost, Shape, Shape], ...] = ()
    """(name, cost, input, output) per internal stage, for ops shown as stages (``se``)."""


class Block(NamedTuple):
    """A named group of consecutive nodes (a model file's block, an ONNX name-path prefix)."""

    name: str
    depth: int
    """0 for a top-level block."""
    first: int
    last: int
    """The node index range, inclusive."""


class Graph(NamedTuple):
    """A whole network: its input, its nodes in execution order, and which tensor is the output.

    (Node, Block and Graph are NamedTuples, not dataclasses: ``convcost layer`` builds a graph too,
    and a NamedTuple class costs a fifth of a dataclass's to create at start-up.)"""

    source: str
    name: str | None
    input: Shape
    nodes: tuple[Node, ...]
    shapes: tuple[Shape, ...]
    """The output shape of each node (batch 1)."""
    output: int
    """Index of the node whose tensor is the network's output."""
    blocks: tuple[Block, ...] = ()
    batch: int = 1
    budget: Mapping[str, tuple[int, str]] = _EMPTY
    """Budget limits the source carried (``max-mults``: (limit, as written))."""
    input_name: str = "input"
    notes: tuple[str, ...] = ()
    """Lines the source adds under the tables (an ONNX file: ``412 other nodes: 0 mults``,
    ``not costed: 3 x CustomOp``, its counting rule)."""
    evaluated: tuple[Evaluated, ...] = ()
    """What each node's op made of its inputs, as the front end evaluated it while inferring the
    shapes (so no node is evaluated twice); empty where a front end leaves it to the walk."""
