"""``standard``: the layer as given, groups included: ``Ho*Wo*N*(C/G)*KH*KW`` mults."""

from __future__ import annotations

from convcost.core.shapes import Conv
from convcost.factorize.base import Factorization, Stage, kname


def stages(conv: Conv, setting: None) -> tuple[Stage, ...]:
    """One stage: the convolution itself."""
    label = f"conv {kname(conv.k)}"
    if conv.groups > 1:
        label += f" groups {conv.groups}"
    return (Stage(label, conv),)


FACTORIZATION = Factorization("standard", stages)
