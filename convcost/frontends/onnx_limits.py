"""The limits of the ONNX scan (``onnx_read``) and the counters that hold a file to them, before
anything of it is parsed: entries per node, per graph and in all, values per attribute, dimensions
per tensor, nesting, opset imports, and the bytes kept."""

from __future__ import annotations

import mmap

from convcost.frontends.onnx_wire import _fields

KEEP_BYTES = 4096
"""Tensors whose encoded size is at most this keep their data (shape tensors, scales)."""

MAX_NODES = 100_000
"""An ONNX graph of more nodes than this (subgraphs and functions included) is refused: the cap of a model
file's layers (``model_file.MAX_LAYERS``, not imported: that would load the YAML grammar)."""

MAX_ENTRIES = 200_000
"""A graph's fields other than nodes (initializers, inputs, outputs, value infos) and a model's own fields
are capped at this: each costs protobuf an object, or the scan a step."""

GRAPH_ENTRIES_PER_NODE = 16
"""The graphs' inputs, outputs, value infos and initializers (functions' too) are at most this many per node,
beyond a first :data:`SPARE_GRAPH_ENTRIES`: a real graph has a few per node. Checked on each graph's
fields before any of them is walked, so the order of the fields does not matter."""

SPARE_GRAPH_ENTRIES = 10_000

MAX_NODE_ENTRIES = 10_000
"""A node's inputs, outputs and attributes, together, are at most this (a Concat of 10,000 tensors)."""

MAX_NODE_ATTRIBUTES = 64
"""A node has at most this many attributes (ONNX's operators declare at most about a dozen)."""

ENTRIES_PER_NODE = 24
"""On average over the nodes read so far, a node has at most this many inputs, outputs and attributes
(a Conv has 3 inputs, 1 output and 5 attributes), beyond a first :data:`SPARE_NODE_ENTRIES` (one
Concat of 10,000 tensors): the scan's time then grows with the nodes, as a real graph's does."""

SPARE_NODE_ENTRIES = MAX_NODE_ENTRIES

OTHER_FIELDS_PER_NODE = 16
"""Fields the scan reads besides the entries above are at most this many per node, beyond a first
:data:`SPARE_OTHER_FIELDS`: the fields left out (doc strings, metadata, device configurations,
annotations, denotations) and a tensor's values stored one by one. Left-out fields are skipped, never
parsed, but each is a step of the scan."""

SPARE_OTHER_FIELDS = 10_000

MAX_LIST_ITEMS = 100_000
"""An attribute holds at most this many values (ints, floats, strings, tensors, graphs, types)."""

MAX_RANK = 64
"""A tensor (an input, output, value info, initializer, sparse tensor, attribute tensor or type) has at most
this many dimensions, its repeated fields (which protobuf merges) counted together."""

MAX_INFERRED_DIMS = 100_000
"""The tensors of a graph have at most this many dimensions in all (ranks added up), estimated before shape
inference as the nodes times the largest rank of an input, then counted on what inference gives: shape
inference and the walk take time and memory by the dimension (a chain of 99,999 rank-64 nodes, 6.4 million of
them, took 12 s and 900 MB; 50,000 rank-4 nodes 3.4 s and 230 MB). A real network has a few per tensor: ResNet-50
about 1,000 in all, a 20,000-node transformer export 80,000; at rank 4 this is 25,000 nodes."""

MAX_TOTAL_ENTRIES = 500_000
"""All of these together: nodes, their inputs, outputs, attributes and attribute values, tensor
dimensions, and every graph's other entries, subgraphs and functions included."""

MAX_SUBGRAPH_DEPTH = 8
"""Subgraphs (and types: a sequence of sequences) nest at most this deep."""

MAX_OPSETS = 1_000
"""A model (or a function) imports at most this many opsets, in all."""

MAX_FUNCTIONS = 10_000
"""A model holds at most this many model-local functions (onnx's own limit, which it checks only once all is parsed)."""

MAX_TEXT_BYTES = 1_000_000
"""A string convcost keeps (a name, an op type, a domain, an attribute's text) has at most this many bytes."""

MAX_KEPT_BYTES = 16_000_000
"""The bytes kept in all (strings, small tensors, dimensions): the graph without its weights, which
for a real model is well under a megabyte per thousand nodes."""

STRIPPED = b"convcost: weights not read"
"""The external-data location written into a stripped initializer."""


class TooManyNodesError(Exception):
    """The graph has more than MAX_NODES nodes."""


class TooManyEntriesError(Exception):
    """The model or a graph has more than MAX_ENTRIES fields besides its nodes."""


class LimitError(Exception):
    """Another limit is crossed; the message says which."""


class OpsetError(Exception):
    """An opset import of a version below 1: the domain and the version."""


def too_many_nodes(path: str) -> str:
    """The error for a graph over MAX_NODES nodes."""
    return f"{path}: the graph has more than {MAX_NODES:,} nodes (its subgraphs' included); at most {MAX_NODES:,} are costed"


def nodes_text(count: int) -> str:
    """``1 node``, ``2,000 nodes``."""
    return f"{count:,} node" + ("" if count == 1 else "s")


def too_deep(what: str) -> LimitError:
    return LimitError(f"{what} nested more than {MAX_SUBGRAPH_DEPTH} deep")


def too_many_dims() -> LimitError:
    return LimitError(f"a tensor has more than {MAX_RANK} dimensions (its repeated shape or dims fields counted together)")


class Counts:
    """What the scan has counted so far, each count checked against its limit as it grows."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.nodes = 0
        """Nodes walked so far: the main graph's, its subgraphs' and the functions'."""
        self.known_nodes = 0
        """Nodes known so far: those of every graph and function whose fields were counted."""
        self.total = 0
        """Entries seen so far, of every kind."""
        self.node_entries = 0
        """Nodes' inputs, outputs and attributes seen so far, subgraphs' included."""
        self.graph_entries = 0
        """Graphs' and functions' inputs, outputs, value infos and initializers counted so far."""
        self.other_fields = 0
        """Fields read that are no entry: left out, or tensor values stored one by one."""
        self.opsets = 0
        self.functions = 0
        self.nested_types = 0
        """Types nested in others (a sequence's, an optional's, a map's) walked so far: each an entry."""
        self.kept = 0
        """Bytes of strings, small tensors and dimensions kept so far."""

    # --- counters ---------------------------------------------------------------------

    def count(self, n: int = 1) -> None:
        self.total += n
        if self.total > MAX_TOTAL_ENTRIES:
            raise LimitError(
                f"the model has more than {MAX_TOTAL_ENTRIES:,} entries in all (nodes, their inputs, outputs, attributes "
                "and attribute values, tensor dimensions, graph inputs, outputs, initializers and value infos)"
            )

    def node_entry(self) -> None:
        """One more input, output or attribute of a node: within the average per node."""
        self.node_entries += 1
        if self.node_entries > ENTRIES_PER_NODE * self.nodes + SPARE_NODE_ENTRIES:
            raise LimitError(
                f"the model's nodes have more than {ENTRIES_PER_NODE} inputs, outputs and attributes each on average "
                f"({self.node_entries:,} in its first {nodes_text(self.nodes)})"
            )

    def other_field(self, n: int = 1) -> None:
        """``n`` more fields read that are no entry: within the average per node."""
        self.other_fields += n
        if self.other_fields > OTHER_FIELDS_PER_NODE * self.known_nodes + SPARE_OTHER_FIELDS:
            raise LimitError(
                f"the model has more than {OTHER_FIELDS_PER_NODE} fields per node besides its entries (doc strings, "
                f"metadata, annotations, tensor values stored one by one) beyond a first {SPARE_OTHER_FIELDS:,} "
                f"({self.other_fields:,} for {nodes_text(self.known_nodes)})"
            )

    def empty_value(self) -> None:
        """An attribute's list value that holds no entry (an empty string, graph, tensor or type): protobuf still makes
        an object of it, so it counts as an entry and, holding nothing, as an other field too."""
        self.count()
        self.other_field()

    def once(self, seen: set[int], field: int) -> None:
        """A singular field of a message: its first occurrence is part of the message (counted as the message's
        entry: at most a fixed few per message); each repeat, which protobuf reads again (keeping the last, or
        merging), counts as an other field, so that no field is ever free."""
        if field in seen:
            self.other_field()
        else:
            seen.add(field)

    def text(self, start: int, end: int) -> None:
        """A string convcost keeps: at most MAX_TEXT_BYTES, and counted in MAX_KEPT_BYTES."""
        if end - start > MAX_TEXT_BYTES:
            raise LimitError(
                f"a string (a name, op type, domain or attribute text) has more than {MAX_TEXT_BYTES:,} bytes ({end - start:,})"
            )
        self.keep(end - start)

    def keep(self, n: int) -> None:
        self.kept += n
        if self.kept > MAX_KEPT_BYTES:
            raise LimitError(
                f"the model has more than {MAX_KEPT_BYTES:,} bytes besides its large tensors' data (names, "
                "attributes, small tensors, shapes)"
            )

    def container(self, start: int, end: int, node_field: int, entries: frozenset[int]) -> None:
        """Count a graph's (or a function's) nodes and entries before walking any: within the limits, whatever
        the order of its fields."""
        nodes = count = others = 0
        for field, *_ in _fields(self.buf, start, end):
            if field == node_field:
                nodes += 1
                if self.known_nodes + nodes > MAX_NODES:
                    raise TooManyNodesError
            else:
                count += field in entries
                others += 1
                if others > MAX_ENTRIES:
                    raise TooManyEntriesError
        self.known_nodes += nodes
        self.graph_entry(count)

    def graph_entry(self, n: int = 1) -> None:
        """``n`` more inputs, outputs, value infos or initializers of a graph (or levels of their nested types): within
        the average per node."""
        self.graph_entries += n
        if self.graph_entries > GRAPH_ENTRIES_PER_NODE * self.known_nodes + SPARE_GRAPH_ENTRIES:
            raise LimitError(
                f"the model's graphs have more than {GRAPH_ENTRIES_PER_NODE} inputs, outputs, value infos and "
                f"initializers per node beyond a first {SPARE_GRAPH_ENTRIES:,} ({self.graph_entries:,} for "
                f"{nodes_text(self.known_nodes)})"
            )
