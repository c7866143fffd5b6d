"""convcost: exact costs of convolution layers and networks, and what factorizations would save.

The Python API (the CLI is a thin layer over it)::

    import convcost

    spec = convcost.build_layer((28, 28, 8), k=3, out=16)  # or "28x28x8"; a Shape; lists for any size
    report = convcost.cost_layer(spec)                     # every cost model; or "low-rank", or a list
    report.results[1].mults                                # 135200 (depthwise-separable)
    convcost.to_json(report)                               # the CLI's --format json text

    model = convcost.cost_model_file("layer_specs/mobilenet_v1.yaml")
    model.mults, model.params                              # 568740352, 4209088

Counts are multiply-accumulates (``mults``; FLOPs = 2 x mults) and parameters, exact ints.
Results are frozen dataclasses; ``convcost.to_dict(result)`` is the CLI's JSON document as Python
data (``to_json``'s text, parsed). Every user mistake raises ConvcostError.

``import convcost`` imports nothing else: every name below loads its module on first use,
so a program (or the CLI, installing its Ctrl-C handler) pays only for what it touches.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers read this block
if TYPE_CHECKING:
    from typing import Any

    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.diff import DiffReport, DiffRow
    from convcost.analysis.network import LayerRow, ModelReport, WhatIf
    from convcost.api import (
        build_layer,
        check_budget,
        cost_layer,
        cost_model,
        cost_model_file,
        diff_models,
        load_model,
        model_schema,
        separability,
        to_dict,
        to_json,
    )
    from convcost.core.shapes import Conv, Shape
    from convcost.errors import ConvcostError, SpecError
    from convcost.factorize import FACTORIZATIONS, METHODS, LayerReport, LayerSpec, MethodOptions, MethodResult, Stage
    from convcost.frontends.model_file import ModelSpec
    from convcost.separable import Separability

    __version__: str

_EXPORTS = {
    "ConvcostError": "errors",
    "SpecError": "errors",
    "Conv": "core.shapes",
    "Shape": "core.shapes",
    "FACTORIZATIONS": "factorize",
    "METHODS": "factorize",
    "LayerReport": "factorize",
    "LayerSpec": "factorize",
    "MethodOptions": "factorize",
    "MethodResult": "factorize",
    "Stage": "factorize",
    "BudgetCheck": "analysis.budget",
    "DiffReport": "analysis.diff",
    "DiffRow": "analysis.diff",
    "LayerRow": "analysis.network",
    "ModelReport": "analysis.network",
    "WhatIf": "analysis.network",
    "ModelSpec": "frontends.model_file",
    "model_schema": "api",
    "Separability": "separable",
    # The functions that take user values: the validating wrappers.
    "build_layer": "api",
    "check_budget": "api",
    "cost_layer": "api",
    "cost_model": "api",
    "cost_model_file": "api",
    "diff_models": "api",
    "load_model": "api",
    "separability": "api",
    "to_dict": "api",
    "to_json": "api",
}
"""Each public name -> the module under ``convcost`` it is loaded from on first use."""


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (and keep the name, so the next access is a plain lookup)."""
    if name == "__version__":
        # lazy: the API loads on first use of a name (`import convcost` imports nothing)
        from convcost.core.version import version

        value: object = version()
    elif name in _EXPORTS:
        # lazy: the API loads on first use of a name (`import convcost` imports nothing)
        import importlib

        value = getattr(importlib.import_module(f"convcost.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module 'convcost' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


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
    "to_dict",
    "to_json",
]
