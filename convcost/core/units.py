"""Units and precision: dtypes and their sizes, the batch, and whole numbers with SI suffixes.

Shared by every front end (flags, model files, the API) and by the analyses that use them.
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.core.shapes import DIGITS_REASON, MAX_DIGITS, leading_zero, parse_int, shown, trimmed
from convcost.core.suggest import did_you_mean
from convcost.errors import ConvcostError

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
"""Bytes per element of each storage dtype (``--dtype``, ``--weight-dtype``)."""

DTYPES = tuple(DTYPE_BYTES)

COMPUTE_DTYPES = {"tf32": "fp32"}
"""Precisions the arithmetic may run in that are no storage format -> the dtype their tensors are
stored in: ``--dtype tf32`` is fp32 tensors (4 bytes) on TF32 tensor cores, at the device's tf32 peak."""


def storage_dtype(dtype: str) -> str:
    """The dtype ``dtype``'s tensors are stored in (``tf32`` -> ``fp32``; a storage dtype is its own)."""
    return COMPUTE_DTYPES.get(dtype, dtype)


MAX_BATCH = 1_000_000
"""The largest ``--batch`` accepted (figures stay exact at any size; this bounds the digits shown)."""


class Precision(NamedTuple):
    """How the tensors are stored, and how many inputs go through at once."""

    dtype: str = "fp32"
    """The precision the arithmetic runs in (which peak applies), and the activations' dtype
    (``tf32``: stored as fp32, :data:`COMPUTE_DTYPES`)."""
    weight_dtype: str = "fp32"
    batch: int = 1

    @property
    def act_bytes(self) -> int:
        """Bytes per activation element (``a``)."""
        return DTYPE_BYTES[storage_dtype(self.dtype)]

    @property
    def weight_bytes(self) -> int:
        """Bytes per weight element (``w``)."""
        return DTYPE_BYTES[self.weight_dtype]


FP32 = Precision()


def parse_dtype(value: object, what: str, compute: bool = False) -> str:
    """One of :data:`DTYPES` (any case); with ``compute``, a compute precision (``tf32``) too."""
    text = trimmed(value).lower() if isinstance(value, str) else None
    allowed = (*DTYPES, *COMPUTE_DTYPES) if compute else DTYPES
    if text is None or text not in allowed:
        if compute:
            also = f" ({what} also takes {', '.join(f'{c}: {s} tensors at the {c} peak' for c, s in COMPUTE_DTYPES.items())})"
        elif text in COMPUTE_DTYPES:
            also = f" ({text} is a precision of the arithmetic, stored as {storage_dtype(text)}: give it to --dtype)"
        else:
            also = ""
        raise ConvcostError(f"{what}: expected one of {', '.join(DTYPES)}, got {shown(value)}{did_you_mean(value, allowed)}{also}")
    return text


def precision(dtype: str | None = None, weight_dtype: str | None = None, batch: str | int | None = None) -> Precision:
    """A Precision from the flags' text: ``--dtype`` sets both dtypes, ``--weight-dtype`` the weights alone."""

    act = parse_dtype(dtype, "--dtype", compute=True) if dtype is not None else "fp32"
    weights = parse_dtype(weight_dtype, "--weight-dtype") if weight_dtype is not None else storage_dtype(act)
    size = parse_int(batch, "--batch") if batch is not None else 1
    if size > MAX_BATCH:
        raise ConvcostError(f"--batch: expected a whole number from 1 to {MAX_BATCH:,}, got {shown(batch)}")
    return Precision(act, weights, size)


BUDGET_KEYS = ("max-mults", "max-params", "max-flops")
"""The budget keys, as flags (``--max-mults``) and as keys of a model file's ``budget:`` (``max-flops``: FLOPs = 2 x mults)."""

_SCALE = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_EXPECTED = "a whole number, optionally with k, M, G or T (e.g. 600M, 1.5G, 250k)"


def parse_si(value: object, what: object) -> tuple[int, str]:
    """An exact whole number with an optional SI suffix, and the text as written.

    ``600M`` -> 600,000,000; ``1.5G`` -> 1,500,000,000; ``250k``; ``1000``. Decided with
    exact rational arithmetic: ``1.2345k`` (1234.5) is refused, not rounded. At most 30
    digits; odd forms (``1.``, ``.5k``, a leading zero as in ``0600M``, signs, exponents,
    underscores) are refused.
    """

    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}")
    if isinstance(value, int) and not -(10**MAX_DIGITS) < value < 10**MAX_DIGITS:
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}: {DIGITS_REASON}")
    text = trimmed(str(value))
    factor = _SCALE.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in _SCALE else text
    whole, dot, frac = digits.partition(".")
    if not whole.isascii() or not whole.isdigit() or (dot and not (frac.isascii() and frac.isdigit())):
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}")
    if len(whole) + len(frac) > MAX_DIGITS:
        raise ConvcostError(f"{what}: expected {_EXPECTED}, got {shown(value)}: {DIGITS_REASON}")
    if len(whole) > 1 and whole[0] == "0":
        raise ConvcostError(f"{what}: {leading_zero(text)}")
    numerator = int(whole + frac) * factor
    denominator = 10 ** len(frac)
    if numerator % denominator or numerator == 0:
        raise ConvcostError(f"{what}: expected a whole number >= 1, got {shown(value)}")
    return numerator // denominator, text
