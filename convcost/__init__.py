"""convcost: exact costs of convolution layers and networks, and what factorizations would save.

The Python API (the CLI is a thin layer over it)::

    import convcost

    spec = convcost.build_layer("28x28x8", k=3, out=16)
    report = convcost.cost_layer(spec)                 # every cost model; or cost_layer(spec, ["low-rank"])
    report.results[1].mults                            # 135200 (depthwise-separable)
    convcost.to_json(report)                           # the CLI's --format json text

    model = convcost.cost_model_file("layer_specs/mobilenet_v1.yaml")
    model.mults, model.params                          # 568740352, 4209088

Counts are multiply-accumulates (``mults``; FLOPs = 2 x mults) and parameters, exact ints.
Results are frozen dataclasses with ``to_dict()``. Names from the heavier modules (models,
diffs, separability, the schema) load on first use, to keep ``import convcost`` light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from convcost.api import build_layer, cost_model_file, to_json
from convcost.core.shapes import Conv, Shape
from convcost.errors import ConvcostError, SpecError
from convcost.factorize import FACTORIZATIONS, METHODS, LayerReport, LayerSpec, MethodOptions, MethodResult, Stage, cost_layer

if TYPE_CHECKING:
    from convcost.analysis.budget import BudgetCheck, check_budget
    from convcost.analysis.diff import DiffReport, DiffRow, diff_models
    from convcost.analysis.network import LayerRow, ModelReport, WhatIf, cost_model
    from convcost.frontends.model_file import ModelSpec, load_model
    from convcost.frontends.schema import model_schema
    from convcost.separable import Separability, separability

_LAZY = {
    "BudgetCheck": "analysis.budget",
    "check_budget": "analysis.budget",
    "DiffReport": "analysis.diff",
    "DiffRow": "analysis.diff",
    "diff_models": "analysis.diff",
    "LayerRow": "analysis.network",
    "ModelReport": "analysis.network",
    "WhatIf": "analysis.network",
    "cost_model": "analysis.network",
    "model_schema": "frontends.schema",
    "Separability": "separable",
    "separability": "separable",
    "ModelSpec": "frontends.model_file",
    "load_model": "frontends.model_file",
}


def __getattr__(name: str) -> Any:
    """Load the heavier modules' names on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"convcost.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'convcost' has no attribute {name!r}")


__all__ = [
    "FACTORIZATIONS",
    "METHODS",
    "BudgetCheck",
    "Conv",
    "ConvcostError",
    "DiffReport",
    "DiffRow",
    "LayerReport",
    "LayerRow",
    "LayerSpec",
    "MethodOptions",
    "MethodResult",
    "ModelReport",
    "ModelSpec",
    "Separability",
    "Shape",
    "SpecError",
    "Stage",
    "WhatIf",
    "build_layer",
    "check_budget",
    "cost_layer",
    "cost_model",
    "cost_model_file",
    "diff_models",
    "load_model",
    "model_schema",
    "separability",
    "to_json",
]
