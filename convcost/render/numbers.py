"""Exact integers and ratios as text: ``778,752``, ``82.6%``, ``5.76x``, ``+4,096``.

Every figure is formatted from integers; nothing goes through a float before it is printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction


def num(n: int) -> str:
    """An exact integer with thousands separators: ``778,752``."""
    return f"{n:,}"


_SHORT = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def short(n: int) -> str:
    """A count in short SI units to 3 significant digits, rounded exactly (half away from zero):
    ``4.09 G``, ``25.6 M``, ``569 M``, ``912`` (the exact integer stays beside it, and in JSON)."""
    if n < 0:
        return "-" + short(-n)
    for scale, unit in _SHORT:
        if n >= scale:
            whole = n // scale
            digits = max(0, 3 - len(str(whole)))
            text = fixed(n, scale, digits)
            if text.replace(",", "").split(".")[0] == "1000" and unit != "T":  # rounded up into the next unit
                return short_next(n, scale * 1000)
            return f"{text} {unit}"
    return str(n)


def short_next(n: int, scale: int) -> str:
    unit = dict(_SHORT)[scale]
    return f"{fixed(n, scale, 2)} {unit}"


def signed(n: int) -> str:
    """An integer with its sign, ``+4,096``, ``-576`` or ``0``."""
    return f"+{n:,}" if n > 0 else f"{n:,}"


def fixed(numerator: int, denominator: int, digits: int) -> str:
    """``numerator / denominator`` to ``digits`` decimals, rounded half away from zero, exactly."""
    negative = (numerator < 0) != (denominator < 0)
    top, bottom = abs(numerator), abs(denominator)
    scaled = (2 * top * 10**digits + bottom) // (2 * bottom)
    whole, part = divmod(scaled, 10**digits)
    text = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    return "-" + text if negative and scaled else text


def reduction_text(base: int, value: int) -> str:
    """How much smaller ``value`` is than ``base``, e.g. ``82.6%`` (negative: larger)."""
    return fixed(100 * (base - value), base, 1) + "%" if base else "0.0%"


def speedup_text(base: int, value: int) -> str:
    """``base / value`` as a factor, e.g. ``5.76x``."""
    return fixed(base, value, 2) + "x" if value else "-"


def share_text(part: int, total: int) -> str:
    """``part`` as a percentage of ``total``, e.g. ``9.0%`` (``0.0%`` of nothing)."""
    return fixed(100 * part, total, 1) + "%" if total else "0.0%"


def change_text(base: int, value: int) -> str:
    """The relative change from ``base`` to ``value``, e.g. ``-50.1%`` or ``+3.0%``; ``-`` from 0."""
    if not base:
        return "-"
    text = fixed(100 * (value - base), base, 1)
    return ("+" if value > base else "") + text + "%"


def pair_text(pair: tuple[int, ...]) -> str:
    """``(1, 1)`` -> ``1``; ``(1, 2)`` -> ``1x2``; any rank alike (``(1, 2, 2)`` -> ``1x2x2``)."""
    return str(pair[0]) if len(set(pair)) == 1 else "x".join(map(str, pair))


def padding_text(padding: tuple[int, ...]) -> str:
    """``0``, ``PHxPW`` when each axis is symmetric, else ``top,bottom,left,right`` (begin,end per axis in any rank)."""
    if padding[0::2] == padding[1::2]:
        return pair_text(padding[0::2])
    return ",".join(map(str, padding))


BAR_WIDTH = 8
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def share_bar(part: int, total: int, width: int = BAR_WIDTH) -> str:
    """A bar of ``width`` cells for ``part / total``, in eighths of a cell (the model table
    passes the heaviest layer as ``total``, so that layer's bar is full). Block characters;
    the console swaps them for ASCII where the output encoding lacks them."""
    eighths = (part * width * 8 * 2 + total) // (2 * total) if total else 0
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


# --- roofline figures: exact fractions (``fractions.Fraction``) in, text out ------------------


def intensity_text(flops: int, nbytes: int) -> str:
    """FLOP per byte: two decimals below 10 (``4.49``), one above (``842.5``, ``123.0``); ``-`` for no bytes."""
    if not nbytes:
        return "-"
    return fixed(flops, nbytes, 2 if flops < 10 * nbytes else 1)


_TIME_UNITS = (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9))


def seconds_text(seconds: Fraction, digits: int = 4) -> str:
    """A time to ``digits`` significant digits in s, ms, us or ns, rounded exactly: ``11.86 us``, ``1.577 us``."""
    if seconds <= 0:
        return "0 s"
    at = next(i for i, (_, scale) in enumerate(_TIME_UNITS) if seconds * scale >= 1 or i == len(_TIME_UNITS) - 1)
    unit, scale = _TIME_UNITS[at]
    top, bottom = seconds.numerator * scale, seconds.denominator
    text = fixed(top, bottom, max(digits - len(str(top // bottom)), 0))
    if at and text.split(".")[0] == "1,000":  # rounded up into the next unit: 999.96 us is 1.000 ms
        return "1." + "0" * (digits - 1) + " " + _TIME_UNITS[at - 1][0]
    return f"{text} {unit}"


def fraction_share_text(part: Fraction, whole: Fraction) -> str:
    """``part`` as a percentage of ``whole`` to one decimal, exactly (``0.0%`` of nothing)."""
    if not whole:
        return "0.0%"
    ratio = 100 * part / whole
    return fixed(ratio.numerator, ratio.denominator, 1) + "%"


def fraction_reduction_text(base: Fraction, value: Fraction) -> str:
    """How much smaller ``value`` is than ``base``, e.g. ``41.3%`` (negative: larger)."""
    return fraction_share_text(base - value, base)
