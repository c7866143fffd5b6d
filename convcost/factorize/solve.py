"""Choosing a factorization's rank: given, a fraction of its full rank, or the largest that
reaches a target reduction; and the parsers of ``--rank`` and ``--target``.

Exact integers throughout: a fraction is ``num/den`` and a target is met when
``base * den >= cost * num``; the largest rank is found by integer bisection over the
model's own stage costs (which only grow with the rank), never by a float search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isqrt
from typing import NamedTuple

from convcost.core.shapes import DIGITS_REASON, MAX_DIGITS, Conv, leading_zero, parse_int, shown
from convcost.errors import ConvcostError
from convcost.factorize.base import (
    DEFAULT_TARGET,
    Extra,
    Factorization,
    MethodOptions,
    MethodResult,
    Rank,
    RankFraction,
    RankPair,
    RankParam,
    Setting,
    Target,
)


class _TooManyDigitsError(Exception):
    """A decimal with more than MAX_DIGITS digits: refused with DIGITS_REASON."""


class _LeadingZeroError(Exception):
    """A decimal whose whole part has a leading zero (``04x``, ``00.25``): refused with leading_zero()."""


def _decimal(text: str) -> tuple[int, int] | None:
    """``2.5`` -> (25, 10); ``4`` -> (4, 1); None unless plain ASCII digits with at most one
    point; raises _TooManyDigitsError past MAX_DIGITS digits, _LeadingZeroError for ``04``
    (the rule of every whole number: ``--batch 010`` is refused so)."""
    whole, point, part = text.partition(".")
    digits = whole + part
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    if point and not part:
        return None
    if len(digits) > MAX_DIGITS:
        raise _TooManyDigitsError
    if len(whole) > 1 and whole[0] == "0":
        raise _LeadingZeroError
    return int(digits), 10 ** len(part)


_RANK_EXPECTED = "a rank: a whole number >= 1, R3xR4 (tucker2), or a fraction between 0 and 1 (e.g. 64, 64x32 or 0.25)"


def _whole_rank(text: str, what: object, value: object) -> int:
    """One whole-number part of a rank: the shared whole-number rule (no leading zero, at most
    MAX_DIGITS digits, with its own message), else the rank message."""
    if text.isascii() and text.isdigit() and text.strip("0"):
        return parse_int(text, what)
    raise ConvcostError(f"{what}: expected {_RANK_EXPECTED}, got {shown(value)}")


def parse_rank(value: object, what: object) -> Rank:
    """``64`` -> 64; ``64x32`` -> RankPair(64, 32); ``0.25`` -> a quarter of each full rank."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ConvcostError(f"{what}: expected {_RANK_EXPECTED}, got {shown(value)}")
        return parse_int(value, what)
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace("\u00d7", "x").replace(" ", "")
    else:
        raise ConvcostError(f"{what}: expected {_RANK_EXPECTED}, got {shown(value)}")
    if "x" in text:
        parts = text.split("x")
        if len(parts) == 2 and all(parts):
            return RankPair(_whole_rank(parts[0], what, value), _whole_rank(parts[1], what, value))
    elif "." not in text:
        rank = _whole_rank(text, what, value)
        if rank >= 1:
            return rank
    else:
        try:
            number = _decimal(text)
        except _TooManyDigitsError:
            raise ConvcostError(f"{what}: expected {_RANK_EXPECTED}, got {shown(value)}: {DIGITS_REASON}") from None
        except _LeadingZeroError:
            raise ConvcostError(f"{what}: {leading_zero(text)}") from None
        if number is not None and 0 < number[0] < number[1]:
            return RankFraction(number[0], number[1], text)
    raise ConvcostError(f"{what}: expected {_RANK_EXPECTED}, got {shown(value)}")


_TARGET_EXPECTED = "a reduction above 1x (e.g. 4x) or a percentage between 0% and 100% (e.g. 75%)"


def parse_target(value: object, what: object, figure: str = "mults") -> Target:
    """``4x`` (at least 4 times fewer) or ``75%`` (at least 75% fewer) of ``figure``."""
    text = value.strip().lower() if isinstance(value, str) else ""
    try:
        number = _decimal(text[:-1]) if text[-1:] in ("x", "%") else None
    except _TooManyDigitsError:
        raise ConvcostError(f"{what}: expected {_TARGET_EXPECTED}, got {shown(value)}: {DIGITS_REASON}") from None
    except _LeadingZeroError:
        raise ConvcostError(f"{what}: {leading_zero(value.strip() if isinstance(value, str) else text)}") from None
    if number is not None:
        a, b = number
        if text.endswith("x") and a > b:
            return Target(a, b, figure, text)
        if text.endswith("%") and 0 < a < 100 * b:
            return Target(100 * b, 100 * b - a, figure, text)
    raise ConvcostError(f"{what}: expected {_TARGET_EXPECTED}, got {shown(value)}")


def check_choice(rank: object, mid: object, targets: tuple[Target, ...]) -> None:
    """A target chooses every rank: it cannot go with --rank or --mid."""
    if targets and (rank is not None or mid is not None):
        given = "--rank" if rank is not None else "--mid"
        raise ConvcostError(f"--target chooses each method's rank: give either {given} or --target, not both")


# --- choosing ------------------------------------------------------------------------------


class Choice(NamedTuple):
    """A factorization's chosen setting, how it was chosen, or why none can be."""

    setting: Setting
    how: str | None = None
    reason: str | None = None


def largest(meets: Callable[[int], bool], hi: int | None, guess: int | None = None) -> int | None:
    """The largest r in [1, hi] (hi None: unbounded) with ``meets(r)``, for a ``meets`` that holds
    up to some r and fails beyond it; None when it fails at 1. O(log r) calls, or two when
    ``guess`` is the answer (checked: it meets, and the next one does not)."""
    if hi is not None and hi < 1:
        return None
    if guess is not None and guess >= 1:
        g = min(guess, hi) if hi is not None else guess
        if meets(g) and (g == hi or not meets(g + 1)):
            return g
    if not meets(1):
        return None
    lo = 1
    if hi is None:
        step = 2
        while meets(step):
            lo, step = step, 2 * step
        hi = step - 1
    elif meets(hi):
        return hi
    else:
        hi -= 1
    while lo < hi:  # meets(lo) holds; meets(hi + 1) fails
        middle = (lo + hi + 1) // 2
        if meets(middle):
            lo = middle
        else:
            hi = middle - 1
    return lo


def _cost(f: Factorization, conv: Conv, setting: Setting) -> tuple[int, int]:
    stages = f.stages(conv, setting)
    return sum(s.mults for s in stages), sum(s.params for s in stages)


def _figure(cost: tuple[int, int], figure: str) -> int:
    return cost[0] if figure == "mults" else cost[1]


def _search(p: RankParam, conv: Conv) -> tuple[Callable[[int], Setting], int | None]:
    """The one-number family the solver walks (tucker2: R3 = min(r, C), R4 = min(r, N)) and its end."""
    full = p.full(conv)
    if isinstance(full, tuple):
        c, n = full
        return (lambda r: (min(r, c), min(r, n))), max(c, n)
    return (lambda r: r), (full if p.bounded else None)


def _quadratic_largest(y0: int, y1: int, y2: int, limit: int) -> int | None:
    """The largest whole r >= 1 with p(r) <= limit, for the quadratic p through (1, y0), (2, y1),
    (3, y2); 0 when p(1) > limit; None when p does not grow (no largest)."""
    a2 = y2 - 2 * y1 + y0  # 2a: with s = r - 1, 2 p = a2 s^2 + b s + 2 y0
    b = 2 * (y1 - y0) - a2

    def p2(s: int) -> int:  # 2 p(s + 1), exact
        return a2 * s * s + b * s + 2 * y0

    if y0 > limit:
        return 0
    if a2 < 0 or (a2 == 0 and b <= 0):
        return None
    if a2 == 0:
        s = (2 * limit - 2 * y0) // b
    else:
        disc = b * b - 4 * a2 * (2 * y0 - 2 * limit)
        s = max(0, (-b + isqrt(disc)) // (2 * a2))
    while p2(s + 1) <= 2 * limit:
        s += 1
    while s > 0 and p2(s) > 2 * limit:
        s -= 1
    return s + 1


def _guess(f: Factorization, conv: Conv, at: Callable[[int], Setting], base: tuple[int, int], targets: tuple[Target, ...]) -> int | None:
    """Where the solver looks first: each factorization's mults and params are, along its rank,
    a polynomial of degree at most 2 (tucker2 below min(C, N)), so three samples place the
    answer exactly; :func:`largest` checks it and searches when it is wrong."""
    samples = [_cost(f, conv, at(r)) for r in (1, 2, 3)]
    found: int | None = None
    for t in targets:
        y0, y1, y2 = (_figure(c, t.figure) for c in samples)
        r = _quadratic_largest(y0, y1, y2, t.limit(_figure(base, t.figure)))
        if r is None:
            return None
        found = r if found is None else min(found, r)
    return found


def solve(f: Factorization, conv: Conv, targets: tuple[Target, ...], default: bool = False) -> Choice:
    """The largest setting whose cost meets every target (rank+1 misses one), or why none does."""
    assert f.param is not None
    base = (conv.mults, conv.params)
    at, hi = _search(f.param, conv)

    def meets(r: int) -> bool:
        cost = _cost(f, conv, at(r))
        return all(t.met(_figure(base, t.figure), _figure(cost, t.figure)) for t in targets)

    found = largest(meets, hi, _guess(f, conv, at, base, targets))
    word = f.param.key.rstrip("s")
    if found is None:
        at_one = _cost(f, conv, at(1))
        missed = next(t for t in targets if not t.met(_figure(base, t.figure), _figure(at_one, t.figure)))
        reason = (
            f"cannot reach {missed} even at {word} 1 ({_figure(at_one, missed.figure):,} {missed.figure}; "
            f"{missed.text} needs at most {missed.limit(_figure(base, missed.figure)):,})"
        )
        if default:
            reason += "; that is the default target: give --rank or --target"
        return Choice(None, reason=reason)
    how = "the largest reaching " + " and ".join(map(str, targets))
    if default:
        how += " (the default without --rank or --target)"
    return Choice(at(found), how)


def _given(p: RankParam, options: MethodOptions) -> Rank | None:
    if p.option == "mid":
        if options.mid is not None:
            return options.mid
        return options.rank if isinstance(options.rank, RankFraction) else None
    return options.rank


def _explicit(f: Factorization, conv: Conv, given: int | RankPair, capped: bool) -> Choice:
    assert f.param is not None
    p = f.param
    full = p.full(conv)
    if isinstance(full, tuple):
        wanted = (given.r3, given.r4) if isinstance(given, RankPair) else (given, given)
        if capped:
            return Choice((min(wanted[0], full[0]), min(wanted[1], full[1])))
        if wanted[0] > full[0] or wanted[1] > full[1]:  # refused, as a single rank above the full rank is (--rank 257)
            raise ConvcostError(
                f"ranks {wanted[0]}x{wanted[1]} are above the full ranks {full[0]}x{full[1]} = CxN (R3 <= C, R4 <= N); "
                f"expected R3 from 1 to {full[0]} and R4 from 1 to {full[1]}"
            )
        return Choice(wanted)
    if isinstance(given, RankPair):
        return Choice(None, reason=f"takes one rank R; {given} (R3xR4) is for tucker2")
    if capped and p.option == "rank":
        return Choice(min(given, full))
    if given > full and p.too_big is not None:
        raise ConvcostError(p.too_big(conv, given))
    return Choice(given)


def choose(f: Factorization, conv: Conv, options: MethodOptions) -> Choice:
    """A layer's setting: given (the layer's own, or a model-wide one capped at the full rank),
    a fraction of the full rank, the largest meeting the targets, or the model's default."""
    p = f.param
    assert p is not None
    given = _given(p, options)
    if isinstance(given, RankFraction):
        full = p.full(conv)
        if isinstance(full, tuple):
            setting: Setting = (given.of(full[0]), given.of(full[1]))
            full_text = f"{full[0]}x{full[1]}"
        else:
            setting, full_text = given.of(full), f"{full:,}"
        return Choice(setting, f"{given.text} of the full {p.key} {full_text} = {p.full_text}, rounded down, at least 1")
    if isinstance(given, RankPair) and not isinstance(p.full(conv), tuple):  # tucker2's form: this method's own default
        chosen = choose(f, conv, options._replace(rank=None))
        note = f"--rank {given} is tucker2's R3xR4, so {p.key} is chosen as without it"
        return chosen._replace(how=f"{chosen.how}; {note}" if chosen.how else note)
    if given is not None:
        return _explicit(f, conv, given, options.capped)
    if options.targets:
        return solve(f, conv, options.targets)
    if p.default is not None:
        return Choice(p.default(conv))
    return solve(f, conv, (DEFAULT_TARGET,), default=True)


def _value(setting: Setting) -> Extra:
    return list(setting) if isinstance(setting, tuple) else setting


def build(f: Factorization, conv: Conv, options: MethodOptions) -> MethodResult:
    """What a factorization makes of a layer: not applicable (with why), or its stages at the chosen setting."""
    p = f.param
    reason = f.why_not(conv)
    if p is None:
        return MethodResult(f.name, reason=reason) if reason else MethodResult(f.name, f.stages(conv, None))
    figures: dict[str, Extra] = dict.fromkeys(p.figure_keys)
    if reason:
        given = options.mid if p.option == "mid" else options.rank
        return MethodResult(
            f.name, reason=reason, extra={p.key: given if isinstance(given, int) else None, **figures, f"full_{p.key}": None}
        )
    choice = choose(f, conv, options)
    if choice.reason is not None:
        return MethodResult(f.name, reason=choice.reason, extra={p.key: None, **figures, f"full_{p.key}": _value(p.full(conv))})
    extra: dict[str, Extra] = {p.key: _value(choice.setting)}
    if p.figures:
        extra.update(p.figures(conv))
    extra[f"full_{p.key}"] = _value(p.full(conv))
    return MethodResult(f.name, f.stages(conv, choice.setting), extra=extra, how=choice.how)


def chosen_setting(result: MethodResult, f: Factorization) -> Setting:
    """The setting a result was built with, read back from its JSON figure (the inverse of the
    ``extra`` entry :func:`build` writes): rebuilds its stages without searching again."""
    if f.param is None:
        return None
    value = result.extra[f.param.key]
    return (value[0], value[1]) if isinstance(value, list) else value


def rank_value(result: MethodResult, f: Factorization) -> Extra:
    """The chosen rank (or mid, or [R3, R4]) of a result, for the model JSON; None without one."""
    return None if f.param is None or not result.applicable else result.extra.get(f.param.key)


_RANK_WHOLE = f"[1-9][0-9]{{0,{MAX_DIGITS - 1}}}"  # no leading zero, at most MAX_DIGITS digits
_RANK_FRACTION = rf"(0\.(?=[0-9]*[1-9])[0-9]{{1,{MAX_DIGITS - 1}}}|\.(?=[0-9]*[1-9])[0-9]{{1,{MAX_DIGITS}}})"  # in (0, 1)
RANK_SCHEMA: dict[str, object] = {
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": 10**MAX_DIGITS - 1},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        {"type": "string", "pattern": rf"^\s*({_RANK_WHOLE}(\s*[xX\u00d7]\s*{_RANK_WHOLE})?|{_RANK_FRACTION})\s*$"},
    ]
}
"""The JSON Schema of a ``rank:`` value: R, R3xR4 or a fraction in (0, 1)."""


def _choice_text(p: RankParam, options: MethodOptions) -> str:
    given = _given(p, options)
    if isinstance(given, RankFraction):
        return f"{given.text} of the full {p.key} {p.full_text}, rounded down"
    if isinstance(given, RankPair) and not p.pair:
        return f"not applicable ({given} is for tucker2)"
    if given is not None:
        shown_value = f"{given}x{given}" if p.pair and isinstance(given, int) else str(given)
        return f"{p.key} {shown_value}" + (f", capped at the layer's full {p.option}" if options.capped else "")
    if options.targets:
        return "the largest reaching " + " and ".join(map(str, options.targets))
    if p.default is not None:
        return f"{p.key} {p.default_text}"
    return f"the largest reaching {DEFAULT_TARGET} (the default without --rank or --target)"


def describe_choice(factorizations: Sequence[Factorization], options: MethodOptions) -> str:
    """How the models' ranks are chosen on every layer under ``options``, in one line (the
    model's what-if caption), e.g. ``tucker2 and cp: the largest reaching 4x fewer mults``."""
    by_text: dict[str, list[str]] = {}
    for f in factorizations:
        if f.param is not None:
            by_text.setdefault(_choice_text(f.param, options), []).append(f.name)
    lines = ["Ranks on each layer (a layer's own rank or mid wins; --format json lists them):"]
    for text, names in by_text.items():
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        lines.append(f"  {listed}: {text}")
    return "\n".join(lines)
