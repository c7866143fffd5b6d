"""Budgets: limits on mults, params, bytes and time that gate a script (exit status 1 when exceeded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction


@dataclass(frozen=True)
class BudgetCheck:
    """One limit against one figure."""

    figure: str
    """``mults``, ``params``, ``flops``, ``bytes`` or ``time``."""
    limit: int | Fraction
    limit_text: str
    """The limit as written, e.g. ``600M``."""
    value: int | Fraction
    """Exact: an int, or the seconds of ``time`` as a Fraction."""

    @property
    def ok(self) -> bool:
        """True when the figure is within the limit."""
        return self.value <= self.limit

    def over_by(self) -> tuple[int, int]:
        """``100 x (value - limit) / limit`` as an exact (numerator, denominator)."""
        value, limit = self.value, self.limit
        if isinstance(value, int) and isinstance(limit, int):
            return 100 * (value - limit), limit
        # (v - l) / l with v = a/b and l = c/d is (a*d - c*b) / (c*b)
        top = value.numerator * limit.denominator - limit.numerator * value.denominator
        return 100 * top, limit.numerator * value.denominator


def check_budget(limits: Mapping[str, tuple[int, str]], mults: int, params: int) -> tuple[BudgetCheck, ...]:
    """Check ``max-mults`` / ``max-params`` / ``max-flops`` limits (value, text) against the figures (FLOPs = 2 x mults)."""
    figures = {"max-mults": ("mults", mults), "max-params": ("params", params), "max-flops": ("flops", 2 * mults)}
    return tuple(BudgetCheck(figures[key][0], limit, text, figures[key][1]) for key, (limit, text) in limits.items())


def check_roofline_budget(
    max_bytes: tuple[int, str] | None, max_time: tuple[Fraction, str] | None, nbytes: int, seconds: Fraction | None
) -> tuple[BudgetCheck, ...]:
    """Check ``--max-bytes`` against the bytes moved and ``--max-time`` against the roofline time (exact seconds)."""
    checks = []
    if max_bytes is not None:
        checks.append(BudgetCheck("bytes", max_bytes[0], max_bytes[1], nbytes))
    if max_time is not None and seconds is not None:
        checks.append(BudgetCheck("time", max_time[0], max_time[1], seconds))
    return tuple(checks)
