"""Devices for roofline time: the built-in table, a user's table, and ``peak=...,bw=...``.

The built-in table is package data (``convcost/data/devices.json``), read with the stdlib json
module only when a device is asked for. A user's table (``--devices FILE.yaml``) has the same
shape, and both go through one validator:

    name:                  # a short key: letters, digits, '-', '_', '.'
      name: NVIDIA A100    # optional display name
      peak: {fp32: 19.5T, fp16: 312T}   # FLOP/s per dtype (or one figure for every dtype)
      bandwidth: 2039G     # bytes/s
      memory: 80G          # optional, bytes
      source: https://...  # optional: where the figures come from
      note: ...            # optional

Figures are exact decimals with an optional SI suffix (k, M, G, T, P; decimal: 1G = 10^9).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from convcost.core.shapes import DIGITS_REASON, MAX_DIGITS, leading_zero, shown, trimmed
from convcost.core.suggest import did_you_mean
from convcost.core.units import DTYPES
from convcost.errors import ConvcostError
from convcost.frontends.yaml import load_yaml, read_text

if TYPE_CHECKING:
    from fractions import Fraction

PEAK_DTYPES = (*DTYPES[:1], "tf32", *DTYPES[1:])
"""The dtypes a device may list a peak for (``--dtype tf32``: fp32 tensors at the tf32 peak)."""

SI = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_NUMBER = re.compile(r"([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,2}))?([kKMGTP]?)")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_ENTRY_KEYS = ("name", "peak", "bandwidth", "memory", "source", "note")
MAX_DEVICES = 1_000
"""The most entries a user's table may hold."""
MAX_TEXT = 1_000
"""The longest name, source or note accepted."""
MAX_FILE = 1_000_000
"""The largest ``--devices`` file read, in characters."""


def _shown(value: object) -> str:

    return shown(value)


def parse_rate(value: object, what: object, unit: str) -> Fraction:
    """An exact positive figure: ``19.5T``, ``1555G``, ``2039e9``, ``100``; YAML numbers too."""

    text = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
    elif isinstance(value, str):
        text = trimmed(value)

    match = _NUMBER.fullmatch(text) if text is not None else None
    too_long = match is not None and len(match[1]) + len(match[2] or "") > MAX_DIGITS
    if match is None or too_long:
        raise ConvcostError(
            f"{what}: expected a figure in {unit}, a decimal number with an optional k, M, G, T or P (e.g. 19.5T), got {_shown(value)}"
            + (f": {DIGITS_REASON}" if too_long else "")
        )
    whole, frac, exponent, suffix = match.groups()
    if len(whole) > 1 and whole[0] == "0":  # the rule every whole number and size follows (``--batch 010``)
        raise ConvcostError(f"{what}: {leading_zero(text or '')}")
    number = Fraction(int(whole + (frac or "")), 10 ** len(frac or "")) * SI[suffix] * Fraction(10) ** int(exponent or 0)
    if number <= 0:
        raise ConvcostError(f"{what}: expected a figure above 0 {unit}, got {_shown(value)}")
    return number


def _text(value: object, what: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ConvcostError(f"{what}: expected text of at most {MAX_TEXT:,} characters, got {_shown(value)}")
    return value


@dataclass(frozen=True)
class Device:
    """A device's roofs: peak FLOP/s per dtype and memory bandwidth, with where they come from."""

    key: str
    name: str
    peaks: Mapping[str, Fraction]
    """FLOP/s (ops/s for int8) per dtype, exact."""
    bandwidth: Fraction
    """Bytes per second, exact."""
    memory: Fraction | None = None
    """Memory size in bytes, if known."""
    source: str = ""
    note: str = ""
    custom: bool = False
    """True for ``--device peak=...,bw=...`` (its name is the flag's text)."""

    def peak(self, dtype: str) -> Fraction:
        """The peak for ``dtype``; an error naming the dtypes the device lists if it has none."""
        if dtype in self.peaks:
            return self.peaks[dtype]
        if "*" in self.peaks:
            return self.peaks["*"]
        listed = ", ".join(d for d in PEAK_DTYPES if d in self.peaks)
        raise ConvcostError(
            f"--dtype {dtype}: the device {self.key!r} lists no {dtype} peak (it lists {listed}); choose --dtype among those"
        )


def _where(data: Any, key: str, fallback: object) -> object:
    """``file:line:col`` of ``data[key]`` for YAML data, ``fallback`` for JSON."""
    where = getattr(data, "where", None)
    return where(key) if where is not None else fallback


def _key_where(data: Any, key: object, fallback: object) -> object:
    """``file:line:col`` of the key ``key`` itself for YAML data, ``fallback`` for JSON."""
    key_loc = getattr(data, "key_loc", None)
    return key_loc(key) if key_loc is not None else fallback


def device_entry(key: object, data: object, what: object) -> Device:
    """Validate one table entry (built-in or a user's) into a Device."""
    if not isinstance(key, str) or _KEY.fullmatch(key) is None:
        raise ConvcostError(f"{what}: a device name is letters, digits, '-', '_' or '.', at most 40 characters, got {_shown(key)}")
    if not isinstance(data, Mapping):
        raise ConvcostError(f"{what}: expected a mapping with peak and bandwidth, got {_shown(data)}")
    unknown = [k for k in data if k not in _ENTRY_KEYS]
    if unknown:
        hint = did_you_mean(unknown[0], _ENTRY_KEYS)
        raise ConvcostError(
            f"{_key_where(data, unknown[0], what)}: unknown key {_shown(unknown[0])}{hint} (valid keys: {', '.join(_ENTRY_KEYS)})"
        )
    for required in ("peak", "bandwidth"):
        if required not in data:
            raise ConvcostError(f"{what}: device {key!r} has no {required!r}; e.g. peak: {{fp32: 19.5T, fp16: 312T}}, bandwidth: 2039G")
    peak = data["peak"]
    peak_at = _where(data, "peak", f"{what}.peak")
    peaks: dict[str, Fraction] = {}
    if isinstance(peak, Mapping):
        if not peak:
            raise ConvcostError(f"{peak_at}: expected at least one dtype's peak ({', '.join(PEAK_DTYPES)})")
        for dtype, figure in peak.items():
            if dtype not in PEAK_DTYPES:
                raise ConvcostError(
                    f"{_key_where(peak, dtype, peak_at)}: unknown dtype {_shown(dtype)}{did_you_mean(dtype, PEAK_DTYPES)} "
                    f"(expected {', '.join(PEAK_DTYPES)})"
                )
            peaks[dtype] = parse_rate(figure, _where(peak, dtype, f"{what}.peak.{dtype}"), "FLOP/s")
    else:
        peaks["*"] = parse_rate(peak, peak_at, "FLOP/s")
    bandwidth = parse_rate(data["bandwidth"], _where(data, "bandwidth", f"{what}.bandwidth"), "bytes/s")
    memory = parse_rate(data["memory"], _where(data, "memory", f"{what}.memory"), "bytes") if "memory" in data else None
    texts = {k: _text(data[k], _where(data, k, f"{what}.{k}")) for k in ("name", "source", "note") if k in data}
    return Device(key, texts.get("name", key), peaks, bandwidth, memory, texts.get("source", ""), texts.get("note", ""))


def _table(data: object, what: str) -> dict[str, Device]:
    if not isinstance(data, Mapping) or not data:
        raise ConvcostError(f"{what}: expected a mapping of device names to their figures, got {_shown(data)}")
    if len(data) > MAX_DEVICES:
        raise ConvcostError(f"{what}: {len(data):,} devices; at most {MAX_DEVICES:,} are allowed")
    return {key: device_entry(key, entry, _key_where(data, key, f"{what}: {key}")) for key, entry in data.items()}


_BUILTIN: dict[str, Device] = {}


def builtin_devices() -> dict[str, Device]:
    """The shipped table, read on first use."""
    if not _BUILTIN:
        text = files("convcost").joinpath("data/devices.json").read_text(encoding="utf-8")
        _BUILTIN.update(_table(json.loads(text), "devices.json"))
    return dict(_BUILTIN)


def load_devices(path: str) -> dict[str, Device]:
    """A user's table from a YAML (or JSON) file; ``-`` reads standard input."""

    text, source = read_text(path)
    if len(text) > MAX_FILE:
        raise ConvcostError(f"{source}: {len(text):,} characters; a device table may hold at most {MAX_FILE:,}")
    data = load_yaml(text, source)
    if data is None:
        raise ConvcostError(f"{source}:1:1: the file is empty; expected a mapping of device names to their figures")
    return _table(data, source)


def custom_device(text: str) -> Device:
    """``peak=19.5T,bw=1555G``: one peak for every dtype, and the bandwidth."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or name not in ("peak", "bw") or name in fields:
            raise ConvcostError(
                f"--device: expected a device name or peak=FLOP/s,bw=BYTES/s (e.g. peak=19.5T,bw=1555G), got {_shown(text)}"
            )
        fields[name] = value
    if len(fields) != 2:
        raise ConvcostError(f"--device: a custom device needs both peak= and bw= (e.g. peak=19.5T,bw=1555G), got {_shown(text)}")
    peak = parse_rate(fields["peak"], "--device peak", "FLOP/s")
    bandwidth = parse_rate(fields["bw"], "--device bw", "bytes/s")
    return Device("custom", f"custom ({text.strip()})", {"*": peak}, bandwidth, custom=True)


def find_device(spec: str, table_path: str | None = None) -> Device:
    """The device ``--device`` names: a custom ``peak=...,bw=...``, or a name in the user's table, then the built-in one."""
    if "=" in spec:
        if table_path is not None:
            raise ConvcostError("--devices: a custom --device peak=...,bw=... takes no table; give a device name from the table")
        return custom_device(spec)
    table = builtin_devices()
    if table_path is not None:
        table.update(load_devices(table_path))
    key = spec.strip()
    if key in table:
        return table[key]

    hint = did_you_mean(key, table)
    raise ConvcostError(f"--device: unknown device {_shown(spec)}{hint} (known: {', '.join(table)}; or peak=19.5T,bw=1555G)")


_DURATION = re.compile(r"([0-9]+)(?:\.([0-9]+))?(s|ms|us|\u00b5s|\u03bcs|ns)")
_SECONDS = {"s": 1, "ms": 10**3, "us": 10**6, "\u00b5s": 10**6, "\u03bcs": 10**6, "ns": 10**9}
"""Microseconds as ``us``, with the micro sign (U+00B5) or the Greek mu (U+03BC) that keyboards and NFKC give."""


def parse_duration(value: object, what: object) -> tuple[Fraction, str]:
    """``2ms``, ``150us``, ``1.5s``, ``800ns`` -> exact seconds, and the text as written."""

    text = trimmed(value) if isinstance(value, str) else ""
    match = _DURATION.fullmatch(text)
    if match is not None and len(match[1]) + len(match[2] or "") > MAX_DIGITS:
        raise ConvcostError(f"{what}: expected a time with a unit s, ms, us or ns (e.g. 2ms, 1.5s), got {_shown(value)}: {DIGITS_REASON}")
    if match is not None and len(match[1]) > 1 and match[1][0] == "0":
        raise ConvcostError(f"{what}: {leading_zero(text)}")
    if match is None or not (seconds := Fraction(int(match[1] + (match[2] or "")), 10 ** len(match[2] or "") * _SECONDS[match[3]])):
        raise ConvcostError(f"{what}: expected a time above 0 with a unit s, ms, us or ns (e.g. 2ms, 150us, 1.5s), got {_shown(value)}")
    return seconds, text


_PREFIXES = (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3), ("", 1))


def decimal_text(value: Fraction, digits: int = 4) -> str:
    """An exact decimal when it ends within 6 places (``17.068``), else ``digits`` significant digits."""

    for places in range(7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            whole, part = divmod(int(scaled), 10**places)
            return f"{whole:,}" + (f".{part:0{places}d}" if places else "")
    exponent = len(str(int(value))) if value >= 1 else 0
    places = max(digits - exponent, 0)
    rounded = Fraction(round(value * 10**places), 10**places)
    return decimal_text(rounded)


def rate_text(value: Fraction | None, unit: str = "") -> str:
    """``19.5T``, ``2.039 TB/s``, ``80 GB``: the SI prefix (up to T) that puts the figure in [1, 1000) if one does."""
    if value is None:
        return "-"
    prefix, scale = next(((p, s) for p, s in _PREFIXES if value >= s), _PREFIXES[-1])
    number = decimal_text(value / scale)
    return f"{number} {prefix}{unit}" if unit else f"{number}{prefix}"
