"""The Python API's helpers: build a layer from CLI-style values, cost a model file, serialise.

Everything here is re-exported by the ``convcost`` package; see the README for an example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcost.factorize import LayerReport, LayerSpec
from convcost.frontends.fields import Field, layer_spec

if TYPE_CHECKING:
    from convcost.analysis.diff import DiffReport
    from convcost.analysis.network import ModelReport
    from convcost.separable import Separability

Value = object
"""A layer value as the CLI takes it: ``"28x28x8"``, ``[28, 28, 8]``, ``3``, ``"3x5"``, ``"same"``."""


def build_layer(
    inp: Value,
    k: Value,
    out: Value,
    *,
    stride: Value = None,
    padding: Value = None,
    dilation: Value = None,
    groups: Value = None,
    bias: bool | None = None,
    rank: Value = None,
    mid: Value = None,
    name: str | None = None,
) -> LayerSpec:
    """A layer from the same values the ``layer`` command takes (``inp`` is ``--in``).

    Raises ConvcostError with the CLI's message for a bad value.
    """
    given = {"in": inp, "k": k, "out": out, "stride": stride, "padding": padding, "dilation": dilation,
             "groups": groups, "bias": bias, "rank": rank, "mid": mid, "name": name}  # fmt: skip
    fields: dict[str, Field] = {key: (value, key) for key, value in given.items() if value is not None}
    return layer_spec(fields, lambda key: f"missing {key}")


def cost_model_file(path: str, rank: int | None = None, mid: int | None = None, method: str | None = None) -> ModelReport:
    """Load and cost a model file, as ``convcost model PATH`` does."""
    from convcost.analysis.network import cost_model
    from convcost.frontends.model_file import load_model

    return cost_model(load_model(path), rank, mid, method)


def to_json(result: LayerReport | ModelReport | DiffReport | Separability) -> str:
    """The same JSON text the CLI prints for this result with ``--format json``."""
    from convcost import render
    from convcost.separable import Separability

    if isinstance(result, Separability):
        return render.json_text(result.to_dict())
    text = render.views(result)["json"]()
    assert isinstance(text, str)
    return text


__all__ = ["build_layer", "cost_model_file", "to_json"]
