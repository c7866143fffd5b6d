"""Can a 2-D kernel be split into a vertical and a horizontal 1-D kernel?

Integer and fraction kernels are decided exactly: the rank by fraction-free (Bareiss)
elimination on integers, and a rank-r kernel written as an exact sum of r separable pairs
(cross/skeleton decomposition: each step takes a pivot's column and row and subtracts their
outer product, lowering the rank by one; Bareiss's integers are those residuals times known
minors, so no fraction is formed until the pairs are written out). Floating-point kernels use
a tolerance.

Limits (refused with a message, so the work stays bounded): at most MAX_SIZE x MAX_SIZE
entries; every whole number (an integer, a numerator or denominator, a run of digits in a
decimal) at most MAX_DIGITS digits; entries finite; an exact kernel's rows, each over its
common denominator, need at most MAX_EXACT_DIGITS digits in all (the size of the minors the
exact arithmetic works with).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Any, Union

from convcost.core.shapes import MAX_DIGITS, leading_zero, shown
from convcost.errors import ConvcostError

Number = Union[Fraction, float]

DEFAULT_TOLERANCE = 1e-9
"""For floating-point kernels: entries below ``tolerance * max |entry|`` count as zero."""
MAX_SIZE = 64
"""The largest kernel: 64x64 (far beyond any real one)."""
MAX_EXACT_DIGITS = 640
"""An exact kernel's rows, each written over its common denominator, may need at most this many
digits in all (summing each row's longest entry): 64 rows of 10-digit entries, or 3 rows of 30.
It bounds the size of every minor, so the exact split takes at most a second or two."""

_EXAMPLES = "e.g. 2, -1, 1/16, 0.25"
_INTEGER = re.compile(r"[+-]?([0-9]+)")
_FRACTION = re.compile(r"([+-]?)([0-9]+)/([0-9]+)")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGIT_RUN = re.compile(r"[0-9]+")


def _digits_error(where: object, token: object) -> ConvcostError:
    return ConvcostError(f"{where}: expected a number with at most {MAX_DIGITS} digits in each part, got {shown(token)}")


def _whole_part(digits: str, where: object, token: object) -> int:
    if len(digits) > MAX_DIGITS:
        raise _digits_error(where, token)
    if len(digits) > 1 and digits[0] == "0":
        raise ConvcostError(f"{where}: {leading_zero(str(token))}")
    return int(digits)


def parse_entry(token: object, where: object) -> Number:
    """``3``, ``-1``, ``1/16`` -> exact Fraction; ``0.25``, ``1e-3`` -> float (finite only);
    ``where`` (``row 2``, or a file location) names it in an error."""
    if isinstance(token, bool):
        raise ConvcostError(f"{where}: expected a number ({_EXAMPLES}), got {shown(token)}")
    if isinstance(token, int):
        if abs(token) >= 10**MAX_DIGITS:
            raise _digits_error(where, token)
        return Fraction(int(token))
    if isinstance(token, Fraction):
        if abs(token.numerator) >= 10**MAX_DIGITS or token.denominator >= 10**MAX_DIGITS:
            raise _digits_error(where, token)
        return token
    if isinstance(token, float):
        if not math.isfinite(token):
            raise ConvcostError(f"{where}: expected a finite number, got {shown(token)}")
        return token
    if not isinstance(token, str):
        raise ConvcostError(f"{where}: expected a number ({_EXAMPLES}), got {shown(token)}")
    text = token.strip()
    match = _INTEGER.fullmatch(text)
    if match:
        value = _whole_part(match.group(1), where, token)
        return Fraction(-value if text[0] == "-" else value)
    match = _FRACTION.fullmatch(text)
    if match:
        sign, top, bottom = match.groups()
        numerator, denominator = _whole_part(top, where, token), _whole_part(bottom, where, token)
        if denominator == 0:
            raise ConvcostError(f"{where}: expected a number ({_EXAMPLES}), got {shown(token)}: a zero denominator")
        return Fraction(-numerator if sign == "-" else numerator, denominator)
    if _DECIMAL.fullmatch(text):
        if any(len(run) > MAX_DIGITS for run in _DIGIT_RUN.findall(text)):
            raise _digits_error(where, token)
        decimal = float(text)
        if not math.isfinite(decimal):
            raise ConvcostError(f"{where}: {shown(token)} is too large for floating point (at most about 1.8e308)")
        return decimal
    raise ConvcostError(f"{where}: expected a number ({_EXAMPLES}), got {shown(token)}")


def size_error(what: str) -> ConvcostError:
    return ConvcostError(f"the kernel has more than {MAX_SIZE} {what}; at most {MAX_SIZE}x{MAX_SIZE} is accepted")


_SEPARATOR = re.compile(r"[;\n]")
_ENTRY_OR_COMMA = re.compile(r",|[^\s,]+")
_FORM = "entries split by spaces or commas, rows by ';' or new lines (e.g. '1 2 1; 2 4 2; 1 2 1')"


def _row_texts(text: str) -> Iterator[str]:
    """The text between row separators, one at a time (a huge text is split no further than read)."""
    start = 0
    for separator in _SEPARATOR.finditer(text):
        yield text[start : separator.start()]
        start = separator.end()
    yield text[start:]


def empty_entry(prefix: str, row: int, entry: int) -> ConvcostError:
    """The error for an empty entry (``1,,2``, ``2,4,``): one wording for text and CSV kernels;
    ``prefix`` (``file:3:5: `` or nothing) starts it."""
    return ConvcostError(f"{prefix}row {row}: entry {entry} is empty (a comma with no number before or after it); expected a number")


def empty_row(prefix: str, row: int) -> ConvcostError:
    """The error for an empty row (``1 2;;2 4``): one wording for text and CSV kernels."""
    return ConvcostError(f"{prefix}row {row} is empty; expected {_FORM}")


def kernel_tokens(text: str, where: object = "") -> list[list[str]]:
    """``"1 2 1; 2 4 2"`` -> ``[["1", "2", "1"], ["2", "4", "2"]]``: rows split by ``;`` or new
    lines, entries by spaces or commas. An empty row (``;;``) or an empty entry (``1,,2``) is
    refused, not skipped; so is a kernel over the size limit, as soon as it is crossed.
    ``where`` (a file location) starts every error."""
    prefix = f"{where}: " if where else ""
    body = text.strip()
    if not body:
        return []
    rows: list[list[str]] = []
    for row in _row_texts(body):
        if len(rows) == MAX_SIZE:
            raise size_error("rows")
        number = len(rows) + 1
        tokens: list[str] = []
        after_comma = False
        for match in _ENTRY_OR_COMMA.finditer(row):
            piece = match.group()
            if piece == ",":
                if after_comma or not tokens:
                    raise empty_entry(prefix, number, len(tokens) + 1)
                after_comma = True
                continue
            if len(tokens) == MAX_SIZE:
                raise size_error(f"entries in row {number}")
            tokens.append(piece)
            after_comma = False
        if after_comma:
            raise empty_entry(prefix, number, len(tokens) + 1)
        if not tokens:
            raise empty_row(prefix, number)
        rows.append(tokens)
    return rows


def parse_kernel_text(text: str, where: object = "") -> list[list[Number]]:
    """``"1 2 1; 2 4 2; 1 2 1"``: rows split by ``;`` (or new lines), entries by spaces or commas;
    ``where`` (a file location) starts every error."""
    prefix = f"{where}: " if where else ""
    return check_rows([[parse_entry(t, f"{prefix}row {i + 1}") for t in row] for i, row in enumerate(kernel_tokens(text, where))])


def check_size(rows: list[Any]) -> None:
    """At most MAX_SIZE rows of at most MAX_SIZE entries (checked before any entry is read)."""
    if len(rows) > MAX_SIZE:
        raise size_error("rows")
    for i, row in enumerate(rows):
        if len(row) > MAX_SIZE:
            raise size_error(f"entries in row {i + 1}")


def check_rows(rows: list[list[Number]]) -> list[list[Number]]:
    """A kernel must be a non-empty rectangle of at most MAX_SIZE x MAX_SIZE entries."""
    check_size(rows)
    if not rows or not rows[0]:
        raise ConvcostError("the kernel is empty; expected rows like '1 2 1; 2 4 2; 1 2 1'")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ConvcostError(f"ragged kernel: row {i + 1} has {len(row)} entries, row 1 has {width}")
    return rows


Pairs = list[tuple[list[Number], list[Number]]]


def _exact_pairs(rows: list[list[Fraction]]) -> Pairs:
    """Separable pairs of an exact kernel by Bareiss elimination, pivoting on the first non-zero
    entry in reading order (the same pairs as subtracting outer products with fractions)."""
    scale = [lcm(*(x.denominator for x in row)) for row in rows]
    work = [[x.numerator * (s // x.denominator) for x in row] for row, s in zip(rows, scale, strict=True)]
    digits = sum(len(str(max(abs(x) for x in row))) for row in work)
    if digits > MAX_EXACT_DIGITS:
        raise ConvcostError(
            f"the kernel's rows, each over its common denominator, need {digits:,} digits in all; "
            f"exact kernels may need at most {MAX_EXACT_DIGITS:,} (use smaller numbers, or decimals for floating point)"
        )
    free = list(range(len(work)))
    previous = 1
    pairs: Pairs = []
    while True:
        at = next(((i, j) for i in free for j, x in enumerate(work[i]) if x), None)
        if at is None:
            return pairs
        i, j = at
        pivot_row = work[i]
        pivot = pivot_row[j]
        free.remove(i)
        # The residual (Schur complement) is work / previous, row r scaled by scale[r].
        column: list[Number] = [Fraction(0)] * len(work)
        for r in [*free, i]:
            column[r] = Fraction(work[r][j], previous * scale[r])
        row: list[Number] = [Fraction(x, pivot) for x in pivot_row]
        pairs.append((column, row))
        for r in free:
            current = work[r]
            factor = current[j]
            if factor:
                work[r] = [(x * pivot - factor * y) // previous for x, y in zip(current, pivot_row, strict=True)]
            elif pivot != previous:
                work[r] = [x * pivot // previous for x in current]
        previous = pivot


def _float_pairs(rows: list[list[float]], tolerance: float, normalised: bool) -> Pairs:
    """Separable pairs within the tolerance: complete pivoting (the largest entry first).

    ``normalised`` (for entries near the floating-point limit, where products overflow): the
    elimination runs on the kernel divided by its largest entry, and the square root of that
    scale goes back onto each side of every pair.
    """
    biggest = max(abs(x) for row in rows for x in row)
    if biggest == 0:
        return []
    if normalised:
        residual = [[x / biggest for x in row] for row in rows]
        threshold, side = tolerance, math.sqrt(biggest)
    else:
        residual = [list(row) for row in rows]
        threshold, side = tolerance * biggest, 1.0
    pairs: Pairs = []
    column: list[Number]
    row_i: list[Number]
    for _ in range(min(len(rows), len(rows[0]))):
        size, i, j = max((abs(x), i, j) for i, row in enumerate(residual) for j, x in enumerate(row))
        if not size > threshold:
            break
        pivot = residual[i][j]
        column = [row[j] for row in residual]
        row_i = [x / pivot for x in residual[i]]
        pairs.append((column, row_i) if side == 1.0 else ([c * side for c in column], [x * side for x in row_i]))
        residual = [[x - c * y for x, y in zip(row, row_i, strict=True)] for row, c in zip(residual, column, strict=True)]
        residual[i] = [0.0] * len(row_i)  # exactly zero, as in exact arithmetic
        for row in residual:
            row[j] = 0.0
    return pairs


def rank_pairs(rows: list[list[Number]], tolerance: float) -> Pairs:
    """Separable pairs (column, row) whose outer products sum to the kernel; their count is its rank."""
    if all(isinstance(x, Fraction) for r in rows for x in r):
        return _exact_pairs([[Fraction(x) for x in r] for r in rows])
    floats = [[float(x) for x in r] for r in rows]
    for normalised in (False, True):
        pairs = _float_pairs(floats, tolerance, normalised)
        if all(math.isfinite(float(x)) for c, r in pairs for x in c + r):
            return pairs
    raise ConvcostError("the kernel's entries are too large to split in floating point (at most about 1e150 in size)")


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


def separability(rows: list[list[Number]], tolerance: float = DEFAULT_TOLERANCE) -> Separability:
    """Decide the rank of a kernel and split it into separable pairs."""
    rows = check_rows(rows)
    for i, row in enumerate(rows):
        for x in row:
            if isinstance(x, float) and not math.isfinite(x):
                raise ConvcostError(f"row {i + 1}: expected a finite number, got {shown(x)}")
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 1):
        raise ConvcostError(f"tolerance: expected a number from 0 to below 1, got {shown(tolerance)}")
    exact = all(isinstance(x, Fraction) for r in rows for x in r)
    pairs = [_normalise(c, r) for c, r in rank_pairs(rows, tolerance)]
    return Separability(rows, pairs, exact, None if exact else tolerance)
