"""Budgets: limits on mults and params that gate a script (exit status 1 when exceeded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convcost.core.shapes import shown
from convcost.errors import ConvcostError

BUDGET_KEYS = ("max-mults", "max-params")
"""The budget keys, as flags (``--max-mults``) and as keys of a model file's ``budget:``."""

_SCALE = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_EXPECTED = "a whole number, optionally with k, M, G or T (e.g. 600M, 1.5G, 250k)"


def parse_si(value: object, what: object) -> tuple[int, str]:
    """An exact whole number with an optional SI suffix, and the text as written.

    ``600M`` -> 600,000,000; ``1.5G`` -> 1,500,000,000; ``250k``; ``1000``. Decided with
    exact rational arithmetic: ``1.2345k`` (1234.5) is refused, not rounded.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}")
    text = str(value).strip()
    factor = _SCALE.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in _SCALE else text
    whole, _, frac = digits.partition(".")
    if not whole.isascii() or not whole.isdigit() or not (frac == "" or (frac.isascii() and frac.isdigit())):
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}")
    numerator = int(whole + frac) * factor
    denominator = 10 ** len(frac)
    if numerator % denominator or numerator == 0:
        raise ConvcostError(f"{what}: expected a whole number >= 1, got {shown(value)}")
    return numerator // denominator, text


@dataclass(frozen=True)
class BudgetCheck:
    """One limit against one figure."""

    figure: str
    """``mults`` or ``params``."""
    limit: int
    limit_text: str
    """The limit as written, e.g. ``600M``."""
    value: int

    @property
    def ok(self) -> bool:
        """True when the figure is within the limit."""
        return self.value <= self.limit


def check_budget(limits: Mapping[str, tuple[int, str]], mults: int, params: int) -> tuple[BudgetCheck, ...]:
    """Check ``max-mults`` / ``max-params`` limits (value, text) against the figures."""
    figures = {"max-mults": ("mults", mults), "max-params": ("params", params)}
    return tuple(BudgetCheck(figures[key][0], limit, text, figures[key][1]) for key, (limit, text) in limits.items())


def budget_dict(checks: tuple[BudgetCheck, ...]) -> dict[str, Any]:
    """The JSON verdict: ``{"mults": {"limit", "value", "ok"}, ...}``."""
    return {c.figure: {"limit": c.limit, "value": c.value, "ok": c.ok} for c in checks}
