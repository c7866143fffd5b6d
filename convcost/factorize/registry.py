"""The factorization registry, and the entry points the commands and the network walk call.

Adding a factorization: write ``factorize/<name>.py`` declaring ``FACTORIZATION`` (see
:class:`~convcost.factorize.base.Factorization`), and list it in ``REGISTRY`` below.
"""

from __future__ import annotations

from collections.abc import Sequence

from convcost.core.shapes import Conv
from convcost.errors import ConvcostError
from convcost.factorize.base import Extra, Factorization, LayerReport, LayerSpec, MethodOptions, MethodResult, Rank
from convcost.factorize.cp import FACTORIZATION as CP
from convcost.factorize.depthwise_separable import FACTORIZATION as DEPTHWISE_SEPARABLE
from convcost.factorize.low_rank import FACTORIZATION as LOW_RANK
from convcost.factorize.solve import build, check_choice, describe_choice, rank_value
from convcost.factorize.spatial_separable import FACTORIZATION as SPATIAL_SEPARABLE
from convcost.factorize.spatial_separable import full_mid
from convcost.factorize.stacked_3x3 import FACTORIZATION as STACKED_3X3
from convcost.factorize.standard import FACTORIZATION as STANDARD
from convcost.factorize.tucker2 import FACTORIZATION as TUCKER2
from convcost.factorize.two_plus_one_d import FACTORIZATION as TWO_PLUS_ONE_D

REGISTRY: tuple[Factorization, ...] = (
    STANDARD,
    DEPTHWISE_SEPARABLE,
    SPATIAL_SEPARABLE,
    LOW_RANK,
    STACKED_3X3,
    TUCKER2,
    CP,
    TWO_PLUS_ONE_D,
)
"""Every cost model, in display order (those shown for fewer ranks last: the what-if leaves them out at the end)."""

METHODS: dict[str, Factorization] = {f.name: f for f in REGISTRY}
"""Every cost model by name, in display order; each is applied as ``apply(name, conv, options)``."""

FACTORIZATIONS: tuple[str, ...] = tuple(name for name in METHODS if name != "standard")
"""The models that factorize a standard layer (the what-if's rows)."""


def cost_layer(spec: LayerSpec, methods: Sequence[str] | None = None, conv: Conv | None = None) -> LayerReport:
    """Run the named cost models (all of them by default) on one layer (``conv``: the layer as
    its graph resolved it; by default the spec's own)."""
    check_choice(spec.rank, spec.mid, spec.targets)
    conv = spec.conv() if conv is None else conv
    options = MethodOptions(spec.rank, spec.mid, spec.targets)
    names = list(dict.fromkeys(methods)) if methods else default_methods(conv.inp.rank)
    for name in names:
        if name not in METHODS:
            raise ConvcostError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    baseline = build(STANDARD, conv, options)
    results = tuple(baseline if name == "standard" else build(METHODS[name], conv, options) for name in names)
    return LayerReport(spec, conv, results, baseline)


def default_methods(rank: int) -> list[str]:
    """The cost models shown without --method for a layer of this spatial rank (2plus1d: 3-D only)."""
    return [name for name, f in METHODS.items() if rank in f.ranks]


def layer_options(conv: Conv, model: MethodOptions, layer_rank: Rank | None = None, layer_mid: int | None = None) -> MethodOptions:
    """The options one layer of a network is factorized with: the layer's own ``rank``/``mid`` win
    (a layer's own rank also wins over the model's targets); a model-wide rank is capped at each
    method's full rank on this layer, a model-wide mid at spatial-separable's full mid."""
    rank: Rank | None
    if layer_rank is not None:
        rank, capped = layer_rank, False
    else:
        rank, capped = model.rank, model.rank is not None
    mid = layer_mid if layer_mid is not None else model.mid
    if layer_mid is None and mid is not None and SPATIAL_SEPARABLE.why_not(conv) is None:
        mid = min(mid, full_mid(conv))
    return MethodOptions(rank, mid, model.targets, capped)


def apply(method: str, conv: Conv, options: MethodOptions) -> MethodResult:
    """One named cost model on a resolved convolution (``as:`` in a model file)."""
    return build(METHODS[method], conv, options)


def alternatives(conv: Conv, options: MethodOptions) -> tuple[MethodResult, ...]:
    """Every factorization of ``conv``, in FACTORIZATIONS order (the what-if of one layer)."""
    return tuple(build(METHODS[name], conv, options) for name in FACTORIZATIONS)


def chosen_ranks(results: Sequence[MethodResult | None], rank: int | None = None) -> dict[str, Extra] | None:
    """The rank each factorization chose for one layer, by name (FACTORIZATIONS order; ``results``
    in that order, None where it does not apply): ``rank``, ``mid`` or ``[R3, R4]``, null where the
    model does not apply; models without a rank, and those not shown for a layer of spatial ``rank``
    (2plus1d on a 2-D layer), are left out. None when there are no results."""
    if not results:
        return None
    return {
        name: None if result is None else rank_value(result, METHODS[name])
        for name, result in zip(FACTORIZATIONS, results, strict=True)
        if METHODS[name].param is not None and (rank is None or rank in METHODS[name].ranks)
    }


def whatif_caption(options: MethodOptions, methods: Sequence[str] | None = None) -> str:
    """The model what-if's caption: how each factorization's ranks (of ``methods``, default all) are chosen under ``options``."""
    return describe_choice(REGISTRY if methods is None else [METHODS[m] for m in methods], options)
