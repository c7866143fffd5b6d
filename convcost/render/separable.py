"""``convcost separable``: the rank, the 1-D kernels (or the sum of pairs) and the cost per pixel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from convcost.render.numbers import speedup_text
from convcost.separable import number_text

if TYPE_CHECKING:
    from convcost.separable import Separability


def _vector(values: Sequence[Any]) -> str:

    return "[" + " ".join(number_text(v) for v in values) + "]"


def separable_text(result: Separability) -> str:
    """``convcost separable``: the rank, the 1-D kernels (or the sum of pairs) and the cost per pixel."""
    kh, kw = len(result.rows), len(result.rows[0])
    how = "exact rational arithmetic" if result.exact else f"floating point, tolerance {result.tolerance:g} x max |entry|"
    lines = [f"kernel {kh}x{kw}, rank {result.rank} ({how})"]
    if result.rank == 0:
        lines.append("all zero: nothing to compute")
        return "\n".join(lines)
    if result.separable:
        column, row = result.pairs[0]
        lines += [
            "separable: one vertical times one horizontal 1-D kernel",
            f"  vertical ({kh}x1):   {_vector(column)}^T",
            f"  horizontal (1x{kw}): {_vector(row)}",
            f"  kernel = {_vector(column)}^T x {_vector(row)}",
        ]
    else:
        lines.append(
            f"not separable: it is an exact sum of {result.rank} separable pairs"
            if result.exact
            else f"not separable: within the tolerance it is a sum of {result.rank} separable pairs"
        )
        lines += [f"  {_vector(c)}^T x {_vector(r)}" for c, r in result.pairs]
    full, pairs = result.full_cost, result.pair_cost
    label = f"{kh}x1 then 1x{kw}" if result.separable else f"{result.rank} pairs, {result.rank} x ({kh} + {kw})"
    lines.append(f"mults per output pixel: {full} as a {kh}x{kw} kernel, {pairs} as {label} ({speedup_text(full, pairs)} fewer)")
    return "\n".join(lines)


def separable_csv(result: Separability) -> str:
    """``--format csv``: a ``total`` row (rank, verdict, mults per pixel), then one ``pair`` row per separable pair."""
    # lazy: each format's encoder only for that format
    from convcost.render.formats import csv_text

    header = ["row", "pair", "vertical", "horizontal", "rank", "separable", "exact", "mults_kernel", "mults_pairs"]
    total = ["total", None, None, None, result.rank, result.separable, result.exact, result.full_cost, result.pair_cost]
    pairs = [["pair", i, _vector(c), _vector(r), None, None, None, None, None] for i, (c, r) in enumerate(result.pairs, 1)]
    return csv_text([header, total, *pairs])


def separable_markdown(result: Separability) -> str:
    """``--format markdown``: the verdict as a title, the pairs as a GitHub table, the cost per pixel."""
    first, verdict, *rest = separable_text(result).split("\n")
    lines = [f"**{first}**", "", verdict]
    if result.pairs:
        lines += ["", "| pair | vertical | horizontal |", "|---:|---|---|"]
        lines += [f"| {i} | {_vector(c)}^T | {_vector(r)} |" for i, (c, r) in enumerate(result.pairs, 1)]
    if rest:
        lines += ["", rest[-1]]
    return "\n".join(lines)
