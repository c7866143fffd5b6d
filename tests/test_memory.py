"""Peak activation memory: hand-computed for a chain, a residual block and a branch/concat block."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from convcost.analysis.memory import Memory, peak_elements, peak_memory
from convcost.core.graph import INPUT, Graph, Node
from convcost.core.shapes import Shape
from convcost.core.units import Precision
from convcost.render.json import memory_dict


def graph(inp: Shape, layers: Sequence[tuple[str, tuple[int, ...], Shape]]) -> Graph:
    """A graph of (name, producers, output shape) nodes, the last one the output."""
    nodes = tuple(Node(name, "conv", {}, producers) for name, producers, _ in layers)
    return Graph(source="<test>", name=None, input=inp, nodes=nodes, shapes=tuple(s for _, _, s in layers), output=len(layers) - 1)


def sizes(g: Graph) -> list[int]:
    return [s.h * s.w * s.c for s in g.shapes]


def test_straight_chain_peaks_at_the_largest_input_output_pair() -> None:
    """A chain: the peak is the largest input + output pair (1,024 + 512 at the second layer)."""
    g = graph(
        Shape(8, 8, 3),  # 192
        [("a", (INPUT,), Shape(8, 8, 16)), ("b", (0,), Shape(4, 4, 32)), ("fc", (1,), Shape(1, 1, 10))],  # 1,024; 512; 10
    )
    memory = peak_memory(g, weight_elems=1000)
    assert memory == Memory(4 * (1024 + 512), 1, 4 * 1000)
    assert memory_dict(memory, ["a", "b", "fc"]) == {"peak_bytes": 6144, "at": "b", "weights_bytes": 4000}


def test_residual_block_keeps_its_input_alive() -> None:
    """A residual: the block input stays alive across the branch, so the peak is S + A + B, not A + B."""
    g = graph(
        Shape(8, 8, 3),  # 192
        [
            ("stem", (INPUT,), Shape(8, 8, 16)),  # S = 1,024
            ("conv1", (0,), Shape(8, 8, 32)),  # A = 2,048
            ("conv2", (1,), Shape(8, 8, 16)),  # B = 1,024
            ("add", (0, 2), Shape(8, 8, 16)),  # 1,024
            ("fc", (3,), Shape(1, 1, 10)),
        ],
    )
    # stem: 192 + 1,024; conv1: S + A = 3,072; conv2: S + A + B = 4,096 (then A dies); add: S + B + out = 3,072
    assert peak_elements([n.inputs for n in g.nodes], sizes(g), 192, g.output) == (4096, 2)
    assert peak_memory(g, 0, Precision("fp16", "int8", 3)).peak_bytes == 2 * 3 * 4096


def test_branch_concat_block_keeps_the_first_branch_alive() -> None:
    """Branches joined by a concat: branch 1's output waits while branch 2 runs from the shared input."""
    g = graph(
        Shape(8, 8, 4),  # 256
        [
            ("stem", (INPUT,), Shape(8, 8, 8)),  # P = 512
            ("b1", (0,), Shape(8, 8, 8)),  # B1 = 512
            ("b2a", (0,), Shape(8, 8, 32)),  # 2,048
            ("b2b", (2,), Shape(8, 8, 4)),  # 256
            ("cat", (1, 3), Shape(8, 8, 12)),  # 768
        ],
    )
    # stem 768; b1: P + B1 = 1,024; b2a: P + B1 + 2,048 = 3,072 (P dies); b2b: B1 + 2,048 + 256 = 2,816; cat: 512 + 256 + 768
    assert peak_elements([n.inputs for n in g.nodes], sizes(g), 256, g.output) == (3072, 2)


def test_the_input_counts_until_its_last_consumer() -> None:
    """The graph input is live until the last node that reads it (here a skip from the input)."""
    g = graph(
        Shape(4, 4, 10),  # 160
        [("a", (INPUT,), Shape(4, 4, 1)), ("b", (0,), Shape(4, 4, 1)), ("add", (INPUT, 1), Shape(4, 4, 10))],  # 16, 16, 160
    )
    # a: 160 + 16; b: 160 + 16 + 16 = 192 (a dies); add: 160 + 16 + 160 = 336
    assert peak_elements([n.inputs for n in g.nodes], sizes(g), 160, g.output) == (336, 2)


def test_an_unread_tensor_is_freed_and_the_output_is_kept() -> None:
    """A dead-end node's tensor dies when written; the output tensor lives to the end."""
    # out (node 0) is the output, read by nobody later yet kept; node 1 is a dead end; node 2 reads the input
    inputs = [(INPUT,), (0,), (INPUT,)]
    assert peak_elements(inputs, [5, 100, 7], 10, output=0) == (10 + 5 + 100, 1)
    # node 2: input 10 + output 5 (kept) + 7; the dead end's 100 is gone
    assert peak_elements(inputs, [5, 100, 1000], 10, output=0) == (10 + 5 + 1000, 2)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[tuple[int, ...]], list[int], int, int]:
    count = draw(st.integers(1, 12))
    inputs = []
    for i in range(count):
        producers = draw(st.lists(st.integers(INPUT, i - 1), min_size=1, max_size=3, unique=True))
        inputs.append(tuple(producers))
    node_sizes = draw(st.lists(st.integers(0, 1000), min_size=count, max_size=count))
    return inputs, node_sizes, draw(st.integers(0, 1000)), draw(st.integers(0, count - 1))


@given(dags())
def test_peak_matches_a_brute_force_over_every_step(case: tuple[list[tuple[int, ...]], list[int], int, int]) -> None:
    """The linear-time walk equals summing, at each step, every tensor written and still needed then or later."""
    inputs, node_sizes, input_size, output = case
    count = len(node_sizes)
    best = (input_size, INPUT)
    for i in range(count):
        live = node_sizes[i]
        if any(INPUT in inputs[j] for j in range(i, count)) or not any(INPUT in p for p in inputs):
            live += input_size
        for t in range(i):
            if t == output or any(t in inputs[j] for j in range(i, count)):
                live += node_sizes[t]
        if live > best[0]:
            best = (live, i)
    assert tuple(peak_elements(inputs, node_sizes, input_size, output)) == best
