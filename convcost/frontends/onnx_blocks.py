"""Blocks of an ONNX graph from its node names: ``/layer1/layer1.0/conv1/Conv`` is in ``layer1`` and ``layer1.0``."""

from __future__ import annotations

from collections.abc import Sequence

from convcost.core.graph import Block

MAX_BLOCK_DEPTH = 32
"""--depth groups ONNX nodes by at most this many leading components of their name paths."""
MAX_BLOCK_CHARS = 1_000
"""... and by components of at most this many characters in all (a model file's longest name)."""


def name_path(name: str) -> tuple[str, ...]:
    """The scopes of a node-name path (``/layer1/layer1.0/conv1/Conv``: ``layer1``, ``layer1.0``, ``conv1``),
    at most MAX_BLOCK_DEPTH of them and MAX_BLOCK_CHARS characters in all (the rest of a longer path is not grouped)."""
    if "/" not in name:
        return ()
    parts = name.strip("/").split("/", MAX_BLOCK_DEPTH + 1)[:-1]
    kept: list[str] = []
    length = 0
    for part in parts[:MAX_BLOCK_DEPTH]:
        length += len(part)
        if length > MAX_BLOCK_CHARS:
            break
        kept.append(part)
    return tuple(kept)


def blocks(names: Sequence[str], hidden: Sequence[bool]) -> tuple[Block, ...]:
    """Blocks from node-name paths (``/layer1/layer1.0/conv1/Conv``: ``layer1``, ``layer1.0``, ``conv1``).

    A block is a run of consecutive nodes whose paths share a prefix; one that holds a single
    node, or no visible one, is left out. One pass, linear in the paths' lengths: a block opens
    where a path leaves its predecessor's prefix and closes where the next path leaves it.
    """
    visible = [0]  # visible[i]: visible nodes before node i
    for flag in hidden:
        visible.append(visible[-1] + (not flag))
    blocks: list[Block] = []
    opened: list[int] = []  # opened[d]: the first node of the open block at depth d
    previous: tuple[str, ...] = ()
    for i, path in enumerate([*map(name_path, names), ()]):  # an empty path at the end closes every block
        common = 0
        while common < min(len(previous), len(path)) and previous[common] == path[common]:
            common += 1
        for depth in range(len(previous) - 1, common - 1, -1):
            first, last = opened[depth], i - 1
            if last > first and visible[last + 1] > visible[first]:
                blocks.append(Block(block_name(previous[: depth + 1]), depth, first, last))
        del opened[common:]
        opened.extend([i] * (len(path) - common))
        previous = path
    return tuple(sorted(blocks, key=lambda b: (b.first, b.depth)))


def block_name(prefix: Sequence[str]) -> str:
    """The dotted module path of a name-path prefix, as PyTorch names modules.

    torch's exporter writes a scope relative to its parent where the parent is a container
    (``/features/features.1/block/block.0``): a part that starts with the previous part and a
    dot replaces it, any other part is appended (``features.1.block.0``).
    """
    name, last = prefix[0], prefix[0]
    for part in prefix[1:]:
        name = name[: len(name) - len(last)] + part if part.startswith(last + ".") else f"{name}.{part}"
        last = part
    return name
