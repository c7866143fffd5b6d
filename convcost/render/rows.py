"""The records the layer and model views are made of (rows, totals), shared by the per-report
modules and the roofline columns that splice into them."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Union

if TYPE_CHECKING:
    from convcost.analysis.network import LayerRow, WhatIf
    from convcost.factorize import LayerReport, MethodResult, Stage

CONVENTION = "mults = multiply-accumulates, one per weight use (FLOPs = 2 x mults); additions are not counted"


def channels_first_hint(h: int, w: int, c: int, flag: str) -> str:
    """A line for an input that looks channels-first (``8x28x28``: H below W, W equal to C, as PyTorch's
    CxHxW of a square image reads): sizes are HxWxC, channels last, and never reinterpreted, so say how to
    write the other reading. Empty for any other input."""
    if not h < w == c:
        return ""
    return (
        f"{flag} {h}x{w}x{c} is read channels last: {h} high, {w} wide, {c} channels; "
        f"for PyTorch's CxHxW ({h} channels of {w}x{c}) write {w}x{c}x{h}."
    )


class Line(NamedTuple):
    """One row of the layer views: a method's total (``stage`` None) or one of its stages."""

    report: LayerReport
    result: MethodResult
    stage: Stage | None = None


class Total(NamedTuple):
    """The total row of the per-layer table."""

    mults: int
    params: int


Entry = Union["LayerRow", Total]


class AsWritten(NamedTuple):
    """The reference row of the what-if table (tables and Markdown only)."""

    mults: int
    params: int


Option = Union["WhatIf", AsWritten]
