"""The cost models (factorizations): one module each, listed in :mod:`.registry`.

Counting convention, everywhere: ``mults`` are multiply-accumulates, one per weight use
(FLOPs = 2 x mults); additions and bias adds are not counted. ``params`` are weights, plus
one bias per output channel of each stage when the layer has a bias.

``METHODS`` maps each model's name to its :class:`Factorization` (callable on a convolution
and options), in the order they are shown.
"""

from __future__ import annotations

from collections.abc import Callable

from convcost.core.shapes import Conv
from convcost.factorize.base import (
    DEFAULT_TARGET,
    ClosedForm,
    Factorization,
    LayerReport,
    LayerSpec,
    MethodOptions,
    MethodResult,
    Rank,
    RankFraction,
    RankPair,
    Stage,
    Target,
)
from convcost.factorize.low_rank import break_even_rank, default_rank, full_rank
from convcost.factorize.registry import (
    FACTORIZATIONS,
    METHODS,
    REGISTRY,
    alternatives,
    apply,
    chosen_ranks,
    cost_layer,
    layer_options,
    whatif_caption,
)
from convcost.factorize.solve import check_choice, chosen_setting, parse_rank, parse_target, rank_value

MethodFn = Callable[[Conv, MethodOptions], MethodResult]
"""A cost model as a function of a resolved convolution and the options."""

low_rank: Factorization = METHODS["low-rank"]
"""The low-rank model (callable: ``low_rank(conv, MethodOptions(rank=r))``)."""

__all__ = [
    "DEFAULT_TARGET",
    "FACTORIZATIONS",
    "METHODS",
    "REGISTRY",
    "ClosedForm",
    "Factorization",
    "LayerReport",
    "LayerSpec",
    "MethodFn",
    "MethodOptions",
    "MethodResult",
    "Rank",
    "RankFraction",
    "RankPair",
    "Stage",
    "Target",
    "alternatives",
    "apply",
    "break_even_rank",
    "check_choice",
    "chosen_ranks",
    "chosen_setting",
    "cost_layer",
    "default_rank",
    "full_rank",
    "layer_options",
    "low_rank",
    "parse_rank",
    "parse_target",
    "rank_value",
    "whatif_caption",
]
