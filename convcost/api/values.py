"""The API's argument values: what users naturally pass (numpy scalars, Fractions, Decimals, tuples,
Paths, dicts) as the plain values the parsers read, or left as given for the parsers to refuse."""

from __future__ import annotations

import numbers
import operator
import os
from collections.abc import Iterable, Mapping, Set, Sized
from fractions import Fraction
from typing import SupportsIndex

from convcost.core.shapes import DIGITS_REASON, MAX_DIGITS, parse_int, shown
from convcost.errors import ConvcostError
from convcost.frontends.yaml import _describe


def _scalar(value: object) -> object:
    """A number as its plain value: an int-like one (numpy's int64, an IntEnum, a whole Fraction or
    Decimal) as an int; numpy's float64 or float32 as a float; a Decimal (finite) or another
    Rational as an exact Fraction. Anything else (bools, numpy's too) as given, for the parsers to judge."""
    if isinstance(value, str):
        return str(value)  # a str subclass (numpy's str_, an enum's) as the text it holds
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)

    if getattr(getattr(value, "dtype", None), "kind", None) in ("m", "M"):  # numpy's times (0-d arrays too): not numbers
        return repr(value)  # refused by the parsers as the text it shows
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):  # a 0-d numpy array: its one number
        item = value.item()  # type: ignore[attr-defined]
        if type(item) is not type(value):  # numpy's longdouble is its own item: judged as it is, below
            return _scalar(item)
    if isinstance(value, numbers.Integral) and isinstance(value, SupportsIndex):  # numpy's int64 (not its bool)
        return operator.index(value)
    if isinstance(value, numbers.Rational):
        numerator, denominator = int(value.numerator), int(value.denominator)
    elif isinstance(value, numbers.Real):  # a binary float type (numpy's float32): its value as a float
        return float(value)
    elif isinstance(value, numbers.Number) and hasattr(value, "as_integer_ratio"):  # decimal.Decimal
        adjusted = getattr(value, "adjusted", None)
        if callable(adjusted) and value.is_finite() and abs(adjusted()) > 2 * MAX_DIGITS:  # type: ignore[attr-defined]
            return value  # 1e999999999: its integer would take minutes to build; refused by the parsers as given
        try:
            numerator, denominator = value.as_integer_ratio()
        except (ValueError, OverflowError, TypeError):  # NaN, infinity: refused by the parsers as given
            return value
    else:
        return value
    if denominator == 1:
        return numerator

    return Fraction(numerator, denominator)


def _decimal_text(value: object, what: str) -> object:
    """An exact non-whole number (a Fraction, a Decimal) as the decimal text the CLI takes
    (``0.25``); one with no finite decimal expansion (1/3) is refused: a --rank fraction is a decimal."""

    if not isinstance(value, Fraction):
        return value
    denominator, places = value.denominator, 0
    while denominator % 2 == 0 or denominator % 5 == 0:
        denominator //= next(factor for factor in (10, 2, 5) if denominator % factor == 0)
        places += 1
    if denominator != 1:
        raise ConvcostError(f"{what}: expected a decimal fraction (e.g. 0.25), got {shown(value)}, which has no finite decimal expansion")
    if places > MAX_DIGITS:
        raise ConvcostError(f"{what}: expected a decimal fraction (e.g. 0.25), got {shown(value)}: {DIGITS_REASON}")
    scaled = abs(value.numerator) * 10**places // value.denominator
    whole, part = divmod(scaled, 10**places)
    return ("-" if value < 0 else "") + f"{whole}.{part:0{places}d}".rstrip("0")


_LONGEST_SIZE = 4
"""The most numbers a size holds (padding: top, bottom, left, right)."""


def _plain(value: object) -> object:
    """A tuple (a Shape, ``(1, 7)``), list or other short sequence (a numpy array) as a list of plain
    items: the parsers' list form. Anything else (a longer one too) is left for the parser to refuse."""
    if (
        isinstance(value, (str, bytes, bytearray, memoryview, Mapping, Set))
        or not isinstance(value, Sized)
        or not isinstance(value, Iterable)
    ):
        return _scalar(value)
    try:
        size = len(value)
    except TypeError:  # a 0-d numpy array: one number
        return _scalar(value)
    if isinstance(value, (tuple, list)) or size <= _LONGEST_SIZE:
        return [_scalar(item) for item in value]
    return value


def _optional_int(value: object, what: str, minimum: int = 1) -> int | None:
    return None if value is None else parse_int(_scalar(value), what, minimum)


def _path(path: object, what: str = "path") -> str:
    """A file name: a str or os.PathLike (never an int: ``open(1)`` would take over the caller's stdout)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path or "\0" in path:
        raise ConvcostError(f"{what}: expected a file name (a str or a pathlib.Path), got {_describe(path)}")
    return path


def _yaml_ready(data: object) -> object:
    """Mappings as dicts and tuples as lists, for yaml.safe_dump; objects shared stay shared (an alias), never copied."""
    memo: dict[int, object] = {}

    def convert(value: object) -> object:
        if isinstance(value, (Mapping, list, tuple)):
            if id(value) in memo:
                return memo[id(value)]
            if isinstance(value, Mapping):
                mapping: dict[object, object] = {}
                memo[id(value)] = mapping
                for key, item in value.items():
                    if isinstance(key, (Mapping, list, tuple, Set)):  # a YAML file's rule, worded the same
                        raise ConvcostError(f"model: keys must be plain words, got {_describe(key)}")
                    mapping[convert(key)] = convert(item)
                return mapping
            items: list[object] = []
            memo[id(value)] = items
            items.extend(convert(item) for item in value)
            return items
        value = _scalar(value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
            # refused as the file would refuse it, before yaml's str() of it fails past 4,300 digits
            raise ConvcostError(f"model: expected whole numbers of at most {MAX_DIGITS} digits, got {shown(value)}")
        if type(value).__name__ == "Fraction":  # a Fraction or Decimal: the decimal text a file would hold (0.25)
            return _decimal_text(value, "model")
        return float(value) if isinstance(value, float) else value  # numpy's float64: a float, as a file's 0.25

    return convert(data)
