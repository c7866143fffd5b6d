"""Can a 2-D kernel be split into a vertical and a horizontal 1-D kernel?

Integer and fraction kernels are decided exactly with rational arithmetic: the rank by
Gaussian elimination, and a rank-r kernel written as an exact sum of r separable pairs
(cross/skeleton decomposition: each step takes a pivot's column and row and subtracts
their outer product, lowering the rank by one). Floating-point kernels use a tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Any, Union

from convcost.core.shapes import shown
from convcost.errors import ConvcostError

Number = Union[Fraction, float]

DEFAULT_TOLERANCE = 1e-9
"""For floating-point kernels: entries below ``tolerance * max |entry|`` count as zero."""


def parse_entry(token: object, where: str) -> Number:
    """``3``, ``-1``, ``1/16`` -> exact Fraction; ``0.25``, ``1e-3`` -> float."""
    if isinstance(token, bool):
        raise ConvcostError(f"{where}: expected a number, got {shown(token)}")
    if isinstance(token, int):
        return Fraction(token)
    if isinstance(token, float):
        return token
    text = str(token).strip()
    try:
        if any(ch in text for ch in ".eE") and "/" not in text:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ConvcostError(f"{where}: expected a number (e.g. 2, -1, 1/16, 0.25), got {shown(token)}") from None


def parse_kernel_text(text: str) -> list[list[Number]]:
    """``"1 2 1; 2 4 2; 1 2 1"``: rows split by ``;`` (or new lines), entries by spaces or commas."""
    rows = [row for row in text.replace("\n", ";").split(";") if row.strip()]
    return check_rows([[parse_entry(t, f"row {i + 1}") for t in row.replace(",", " ").split()] for i, row in enumerate(rows)])


def check_rows(rows: list[list[Number]]) -> list[list[Number]]:
    """A kernel must be a non-empty rectangle."""
    if not rows or not rows[0]:
        raise ConvcostError("the kernel is empty; expected rows like '1 2 1; 2 4 2; 1 2 1'")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ConvcostError(f"ragged kernel: row {i + 1} has {len(row)} entries, row 1 has {width}")
    return rows


def _pivot(residual: list[list[Number]], exact: bool, threshold: float) -> tuple[int, int] | None:
    """Exact: the first non-zero entry. Floats: the largest entry above the threshold (partial pivoting)."""
    if exact:
        return next(((i, j) for i, r in enumerate(residual) for j, x in enumerate(r) if x != 0), None)
    size, i, j = max((abs(float(x)), i, j) for i, r in enumerate(residual) for j, x in enumerate(r))
    return (i, j) if size > threshold else None


def rank_pairs(rows: list[list[Number]], tolerance: float) -> list[tuple[list[Number], list[Number]]]:
    """Separable pairs (column, row) whose outer products sum to the kernel; their count is its rank."""
    residual = [list(r) for r in rows]
    exact = all(isinstance(x, Fraction) for r in rows for x in r)
    threshold = 0.0 if exact else tolerance * max(abs(float(x)) for r in rows for x in r)
    pairs: list[tuple[list[Number], list[Number]]] = []
    while True:
        at = _pivot(residual, exact, threshold)
        if at is None:
            return pairs
        i, j = at
        pivot = residual[i][j]
        column = [r[j] for r in residual]
        row = [x / pivot for x in residual[i]]
        pairs.append((column, row))
        residual = [[x - c * y for x, y in zip(r, row, strict=True)] for r, c in zip(residual, column, strict=True)]


def _normalise(column: list[Number], row: list[Number]) -> tuple[list[Number], list[Number]]:
    """Scale an exact pair so the column is primitive integers with a positive first entry."""
    if not all(isinstance(x, Fraction) for x in column + row):
        return column, row
    fracs = [Fraction(x) for x in column]
    common = lcm(*(f.denominator for f in fracs))
    ints = [int(f * common) for f in fracs]
    divisor = gcd(*ints) or 1
    first = next(x for x in ints if x)
    factor = Fraction(common, divisor) * (1 if first > 0 else -1)
    return [f * factor for f in fracs], [Fraction(x) / factor for x in row]


def number_text(x: Number) -> str:
    """An entry as written back: ``2``, ``-1/16``, ``0.25``."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return f"{x:.6g}"


def _json_number(x: Number) -> Any:
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else str(x)
    return x


@dataclass(frozen=True)
class Separability:
    """The rank of a kernel and an exact (or, for floats, approximate) sum of separable pairs."""

    rows: list[list[Number]]
    pairs: list[tuple[list[Number], list[Number]]]
    exact: bool
    tolerance: float | None

    @property
    def rank(self) -> int:
        """The kernel's rank (0 for an all-zero kernel)."""
        return len(self.pairs)

    @property
    def separable(self) -> bool:
        """True when the kernel is one vertical times one horizontal 1-D kernel."""
        return self.rank <= 1

    @property
    def full_cost(self) -> int:
        """Multiplications per output pixel as a 2-D kernel: KH*KW."""
        return len(self.rows) * len(self.rows[0])

    @property
    def pair_cost(self) -> int:
        """Multiplications per output pixel as rank-many 1-D pairs: r * (KH + KW)."""
        return max(self.rank, 1) * (len(self.rows) + len(self.rows[0]))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``convcost separable --format json``."""
        return {
            "kernel": [[_json_number(x) for x in r] for r in self.rows],
            "size": [len(self.rows), len(self.rows[0])],
            "rank": self.rank,
            "separable": self.separable,
            "exact": self.exact,
            "tolerance": self.tolerance,
            "pairs": [{"vertical": [_json_number(x) for x in c], "horizontal": [_json_number(x) for x in r]} for c, r in self.pairs],
            "mults_per_pixel": {"kernel": self.full_cost, "pairs": self.pair_cost},
        }


def separability(rows: list[list[Number]], tolerance: float = DEFAULT_TOLERANCE) -> Separability:
    """Decide the rank of a kernel and split it into separable pairs."""
    rows = check_rows(rows)
    exact = all(isinstance(x, Fraction) for r in rows for x in r)
    pairs = [_normalise(c, r) for c, r in rank_pairs(rows, tolerance)]
    return Separability(rows, pairs, exact, None if exact else tolerance)
