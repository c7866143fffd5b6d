"""The Python API: the library's functions, taking what users naturally pass and checking it like the CLI.

Every function here validates its arguments (types and ranges) and raises
:class:`~convcost.errors.ConvcostError` with a message naming the bad value and what was
expected, never a bare ValueError, TypeError or ZeroDivisionError. Sizes are taken as the
CLI's text (``"28x28x8"``, ``"1x7"``), as lists or tuples (``(28, 28, 8)``, a ``Shape``), or
as single ints; ints may be any integer type (numpy's too), never a bool or a float.

Everything here is re-exported by the ``convcost`` package, which loads this module on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from fractions import Fraction
from functools import partial, wraps
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast

from convcost import render
from convcost.analysis.budget import check_budget as _check_budget
from convcost.analysis.diff import DiffReport
from convcost.analysis.diff import diff_models as _diff_models
from convcost.analysis.network import ModelReport
from convcost.analysis.roofline import Setup, layer_figures, model_figures
from convcost.api.values import _decimal_text, _optional_int, _path, _plain, _scalar, _yaml_ready
from convcost.core.shapes import MAX_DIGITS, parse_int, shown
from convcost.core.suggest import accepted_key, alias_clash
from convcost.core.units import BUDGET_KEYS, parse_si, precision
from convcost.errors import ConvcostError
from convcost.factorize import (
    METHODS,
    LayerReport,
    LayerSpec,
    RankFraction,
    RankPair,
    Target,
    check_choice,
    parse_rank,
    parse_target,
)
from convcost.frontends import is_onnx, load_graph
from convcost.frontends.fields import LAYER_KEYS, Field, layer_spec
from convcost.frontends.lower import lower
from convcost.frontends.model_file import ModelSpec, load_model_text
from convcost.frontends.model_file import load_model as _load_model
from convcost.frontends.yaml import _describe, _did_you_mean, _suggest, dump_yaml
from convcost.pipeline import Settings, layer_run, model_run
from convcost.separable import DEFAULT_TOLERANCE, MAX_SIZE, Separability, check_rows, check_size, parse_entry, parse_kernel_text
from convcost.separable import separability as _separability

if TYPE_CHECKING:
    from convcost.analysis.budget import BudgetCheck
    from convcost.core.graph import Graph
    from convcost.separable import Number

Size = Union[str, int, Sequence[Union[int, str]]]
"""A size as the CLI takes it (``"28x28x8"``, ``"1x7"``, ``3``) or as a list or tuple (``(1, 7)``, a Shape)."""
RankValue = Union[int, str, float, Sequence[int]]
"""A rank: ``64``, a fraction of each full rank (``0.25``), or tucker2's pair (``(64, 32)``, ``"64x32"``)."""
PathLike = Union[str, "os.PathLike[str]"]
ModelSource = Union["ModelSpec", PathLike, Mapping[str, object]]
"""A model: a ModelSpec, a file path (``-``: standard input), YAML text, or a mapping like the file's."""
Kernel = Union[str, Iterable[Iterable[object]]]
"""A kernel: ``"1 2 1; 2 4 2; 1 2 1"``, or rows of numbers (ints, Fractions, ``"1/16"``, floats)."""


# --- layers -------------------------------------------------------------------------


_SIZES = frozenset({"in", "k", "stride", "padding", "dilation"})


def _field(key: str, value: object) -> object:
    """A value in the form its key's parser reads: sizes as lists, a rank pair as ``R3xR4`` text, ints plain."""
    if key in _SIZES:
        return _plain(value)
    if key == "rank":
        if isinstance(value, RankFraction):
            return value.text
        if isinstance(value, RankPair):
            return f"{value.r3}x{value.r4}"
    if key == "rank" and isinstance(value, (tuple, list)):
        items = [_scalar(item) for item in value]
        items = [_decimal_text(item, "rank") for item in items]
        if all(isinstance(item, int) and not isinstance(item, bool) and abs(item) < 10**MAX_DIGITS for item in items):
            return "x".join(map(str, items))
        return items  # refused by the parser, shown as given
    if key == "rank":
        return _decimal_text(_scalar(value), "rank")
    return _scalar(value)


def _layer(values: Mapping[str, object], label: Mapping[str, str]) -> LayerSpec:
    """A LayerSpec from layer-file keys (``in``, ``k``, ...), each named in errors by ``label``."""
    fields: dict[str, Field] = {key: (_field(key, value), label.get(key, key)) for key, value in values.items() if value is not None}
    return layer_spec(fields, lambda key: f"{label.get(key, key)}: missing; a layer needs in, k and out")


_PARAMS = {"in": "inp"}
"""build_layer's parameter names where they differ from the layer-file keys."""


F = TypeVar("F", bound=Callable[..., Any])


def _arguments(function: F) -> F:
    """An API function whose call does not fit its signature (an unknown keyword, a missing or extra argument)
    raises ConvcostError naming the function, as every other bad argument does; the signature is looked at only
    then, so a good call pays nothing."""

    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TypeError:
            # lazy: inspect only for a call that failed
            import inspect

            try:
                inspect.signature(function).bind(*args, **kwargs)
            except TypeError as exc:
                raise ConvcostError(f"{function.__name__}: {exc}") from None
            raise  # a TypeError of the work itself: not the caller's arguments

    return cast(F, call)


@_arguments
def build_layer(
    inp: Size,
    k: Size,
    out: int | str,
    *,
    stride: Size | None = None,
    padding: Size | None = None,
    dilation: Size | None = None,
    groups: int | str | None = None,
    bias: bool | None = None,
    rank: RankValue | None = None,
    mid: int | str | None = None,
    name: str | None = None,
    target: str | None = None,
    target_params: str | None = None,
) -> LayerSpec:
    """A layer from the values the ``layer`` command takes (``inp`` is ``--in``), as text, ints, lists or tuples.

    ``build_layer((28, 28, 8), k=(1, 7), out=16, padding="0x3")`` equals
    ``build_layer("28x28x8", k="1x7", out=16, padding=(0, 3))``. ``rank`` is a whole number, a
    fraction of each full rank (``0.25``) or tucker2's pair (``(64, 32)``, ``"64x32"``);
    ``target``/``target_params`` as ``--target``/``--target-params`` (``"4x"``, ``"75%"``).
    Raises ConvcostError for a bad value.
    """
    given = {"in": inp, "k": k, "out": out, "stride": stride, "padding": padding, "dilation": dilation,
             "groups": groups, "bias": bias, "rank": rank, "mid": mid, "name": name}  # fmt: skip
    spec = _layer(given, _PARAMS)
    targets = _targets(target, target_params)
    return spec._replace(targets=targets) if targets else spec


def _targets(target: object, target_params: object) -> tuple[Target, ...]:
    """``target`` and ``target_params`` (``"4x"``, ``"75%"``), as ``--target`` and ``--target-params``."""

    given = ((target, "target", "mults"), (target_params, "target_params", "params"))
    return tuple(parse_target(value, what, figure) for value, what, figure in given if value is not None)


def _checked_spec(spec: object) -> LayerSpec:
    """A LayerSpec re-checked field by field (one built by hand may hold a float or a zero stride),
    or one built from a mapping of layer-file keys."""
    if isinstance(spec, LayerSpec):
        keys = {("in" if field == "inp" else field): field for field in spec._fields}
        checked = _layer(
            {key: getattr(spec, field) for key, field in keys.items() if key in LAYER_KEYS},
            {key: f"spec.{field}" for key, field in keys.items()},
        )
        targets = spec.targets
        if not isinstance(targets, tuple) or not all(isinstance(t, Target) for t in targets):
            raise ConvcostError(f"spec.targets: expected a tuple of Targets (build_layer's target=...), got {shown(targets)}")
        return checked._replace(**{field: getattr(spec, field) for key, field in keys.items() if key not in LAYER_KEYS})
    if isinstance(spec, Mapping):
        values: dict[str, object] = {}
        for key in spec:
            canonical = accepted_key(key, LAYER_KEYS)
            if canonical is None:
                raise ConvcostError(f"spec: {_suggest(key, LAYER_KEYS)}")
            if canonical != key and canonical in spec:
                raise ConvcostError(f"spec: {alias_clash(str(key), canonical)}")
            values[canonical] = spec[key]
        return _layer(values, {})
    raise ConvcostError(f"spec: expected a LayerSpec (from convcost.build_layer) or a mapping of layer keys, got {_describe(spec)}")


def _names(value: object, what: str, choices: Sequence[str]) -> list[str]:
    """One name or a list of names, each one of ``choices``."""
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, Iterable) and not isinstance(value, (Mapping, bytes, AbstractSet)):  # a set has no order: the
        items = list(value)  # methods shown, and the one a budget checks, would change from run to run
    else:
        raise ConvcostError(f"{what}: expected a method name or a list of them ({', '.join(choices)}), got {_describe(value)}")
    for item in items:
        if not isinstance(item, str) or item not in choices:
            hint = _did_you_mean(item, tuple(choices)) if isinstance(item, str) else ""
            raise ConvcostError(f"{what}: unknown method {shown(item)}{hint} (expected one of {', '.join(choices)})")
    return [item for item in items if isinstance(item, str)]


@_arguments
def cost_layer(spec: LayerSpec | Mapping[str, object], methods: str | Iterable[str] | None = None) -> LayerReport:
    """Run the named cost models on one layer: all of them by default, one (``"low-rank"``) or a list.

    ``spec`` is a LayerSpec, or a mapping with a layer file's keys (``{"in": "28x28x8", "k": 3, "out": 16}``).
    """

    checked = _checked_spec(spec)
    names = () if methods is None else tuple(_names(methods, "methods", tuple(METHODS)))
    report: LayerReport = layer_run(checked, Settings(methods=names)).report
    return report


# --- models -------------------------------------------------------------------------


def _is_text(source: str) -> bool:
    """YAML text rather than a file name: several lines, a flow mapping, or ``key: value`` that names no file."""
    if "\n" in source or source.lstrip().startswith("{"):
        return True
    return ": " in source and not os.path.exists(source)


def _load_mapping(data: Mapping[Any, object]) -> ModelSpec:
    """A model from a dict shaped like a model file: written out with yaml.safe_dump and read back, so the
    file's rules (and its messages, located in ``<dict>``) apply unchanged."""

    try:
        ready = _yaml_ready(data)
    except RecursionError:
        raise ConvcostError("model: the mapping is nested too deeply") from None
    text = dump_yaml(ready, "model")
    return load_model_text(text, "<dict>")


@_arguments
def load_model(source: ModelSource) -> ModelSpec:
    """Read and validate a model: a file path (str or Path; ``-``: standard input), YAML text, or a dict.

    A str is YAML text when it has several lines, starts with ``{``, or holds ``key: value`` and
    names no existing file; otherwise it is a file name.
    """

    if isinstance(source, ModelSpec):
        return source
    if isinstance(source, Mapping):
        return _load_mapping(source)
    if isinstance(source, str) and _is_text(source):
        return load_model_text(source, "<text>")
    if isinstance(source, (str, os.PathLike)):
        path = _path(source, "model")
        if is_onnx(path):
            raise ConvcostError(f"model: {shown(path)} is an ONNX file; load_model reads model files (YAML): use cost_model_file")
        return _load_model(path)
    raise ConvcostError(f"model: expected a file path, YAML text or a mapping, got {_describe(source)}")


def _model_options(rank: object, mid: object, method: object, target: object, target_params: object) -> Settings:
    """``rank``, ``mid``, ``method``, ``target`` and ``target_params`` checked as the flags of the same names."""

    rank_value = None if rank is None else parse_rank(_field("rank", rank), "rank")
    mid_value = _optional_int(mid, "mid")
    if method is not None:
        _names(method if isinstance(method, str) else [method], "method", tuple(METHODS))
    targets = _targets(target, target_params)
    check_choice(rank_value, mid_value, targets)
    return Settings(rank_value, mid_value, targets, method if isinstance(method, str) else None)


@_arguments
def cost_model(
    model: ModelSource,
    rank: RankValue | None = None,
    mid: int | str | None = None,
    method: str | None = None,
    *,
    target: str | None = None,
    target_params: str | None = None,
) -> ModelReport:
    """Cost every layer of a model (anything load_model takes), as ``convcost model`` does: ``rank``,
    ``mid``, ``method`` (the per-layer rows of that what-if variant), ``target`` and ``target_params``
    as the flags of the same names. An ONNX file: see :func:`cost_model_file`."""

    if isinstance(model, (str, os.PathLike)) and not (isinstance(model, str) and _is_text(model)) and is_onnx(_path(model, "model")):
        return cost_model_file(model, rank, mid, method, target=target, target_params=target_params)
    settings = _model_options(rank, mid, method, target, target_params)
    return _model_run(lower(load_model(model)), settings)


@_arguments
def cost_model_file(
    path: PathLike,
    rank: RankValue | None = None,
    mid: int | str | None = None,
    method: str | None = None,
    *,
    target: str | None = None,
    target_params: str | None = None,
    input_shape: Size | None = None,
    all_ops: bool = False,
) -> ModelReport:
    """Load and cost a model file, YAML (``-``: standard input) or ONNX (by its ``.onnx`` extension),
    as ``convcost model PATH`` does: the report's JSON (:func:`to_json`) is the command's ``--format json``.

    ONNX only, as the flags: ``input_shape`` (``--input``: ``"1x3x224x224"`` or ``(1, 3, 224, 224)``)
    fixes a dynamic input's shape; ``all_ops`` (``--all-ops``) keeps a row for every node."""

    name = _path(path)
    settings = _model_options(rank, mid, method, target, target_params)
    if not isinstance(all_ops, bool):
        raise ConvcostError(f"all_ops: expected True or False, got {_describe(all_ops)}")
    dims = None if input_shape is None else _input_text(input_shape)
    try:
        graph = load_graph(name, dims, all_ops)
    except ConvcostError as exc:  # the flag's rule, named as this function's argument
        message = str(exc)
        if message.startswith("--input") or "give --input " in message:
            message = message.replace("--input", "input_shape", 1) if message.startswith("--input") else message
            raise ConvcostError(message.replace("give --input ", "give input_shape=")) from None
        raise
    return _model_run(graph, settings)


def _model_run(graph: Graph, settings: Settings) -> ModelReport:
    """The run ``convcost model`` makes of a graph, with the API's settings; its report."""

    report: ModelReport = model_run(graph, settings).report
    return report


def _input_text(value: object) -> str:
    """An ONNX input shape as ``--input`` takes it: text as given, a list or tuple of whole numbers joined by ``x``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 8:
        items = [_scalar(item) for item in value]
        if all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item < 10**MAX_DIGITS for item in items):
            return "x".join(map(str, items))
    raise ConvcostError(f"input_shape: expected NxCxHxW or HxWxC as text or a list of whole numbers (e.g. 1x3x224x224), got {shown(value)}")


def _report(model: object) -> ModelReport:

    return model if isinstance(model, ModelReport) else cost_model(model)  # type: ignore[arg-type]


@_arguments
def diff_models(base: ModelReport | ModelSource, proposed: ModelReport | ModelSource) -> DiffReport:
    """Compare two models: costed reports, or anything load_model takes (costed as written)."""

    return _diff_models(_report(base), _report(proposed))


# --- budgets, kernels, JSON -----------------------------------------------------------


def _limit(value: object, what: str) -> tuple[int, str]:
    """A limit: ``"600M"``, ``600_000_000``, or a ModelSpec.budget entry ``(600000000, "600M")``."""

    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        parsed = parse_si(value[1], what)
        if parsed[0] != value[0] or isinstance(value[0], bool):
            raise ConvcostError(f"{what}: {shown(value[0])} is not the value of {shown(value[1])}")
        return parsed
    return parse_si(_scalar(value), what)


def _figures(result: object, params: object) -> tuple[int, int]:
    """(mults, params) to check: given as two ints, or read from a report as the CLI reads them."""

    if isinstance(result, (LayerReport, ModelReport, DiffReport)):
        if params is not None:
            raise ConvcostError("params: give either a report or the mults and params figures, not both")
        if isinstance(result, ModelReport):
            return result.mults, result.params
        if isinstance(result, DiffReport):
            return result.proposed.mults, result.proposed.params
        first = result.results[0]
        if first.mults is None or first.params is None:
            raise ConvcostError(f"the budget cannot be checked: {first.method} does not apply ({first.reason})")
        return first.mults, first.params
    if params is None:
        raise ConvcostError(f"params: missing; expected the params figure after mults, or a report instead of {shown(result)}")
    return parse_int(_scalar(result), "mults", 0), parse_int(_scalar(params), "params", 0)


@_arguments
def check_budget(
    limits: Mapping[str, int | str | tuple[int, str]],
    mults: int | LayerReport | ModelReport | DiffReport,
    params: int | None = None,
) -> tuple[BudgetCheck, ...]:
    """Check limits (``{"max-mults": "600M", "max-params": 4_200_000}``) against figures or a report.

    Keys are ``max-mults`` and ``max-params`` (``max_mults`` also works); a report is checked as the
    CLI checks it: a model's totals, a diff's proposed model, a layer's first result.
    """

    if not isinstance(limits, Mapping):
        raise ConvcostError(f"limits: expected a mapping like {{'max-mults': '600M'}}, got {_describe(limits)}")
    parsed: dict[str, tuple[int, str]] = {}
    for key, value in limits.items():
        name = key.replace("_", "-") if isinstance(key, str) else key
        if name not in BUDGET_KEYS:
            raise ConvcostError(f"limits: {_suggest(key, frozenset(BUDGET_KEYS))}")
        parsed[name] = _limit(value, str(key))
    mults_value, params_value = _figures(mults, params)
    return _check_budget(parsed, mults_value, params_value)


def _kernel_rows(kernel: object) -> list[list[Number]]:
    """Kernel rows from text or from any iterable of iterables (a generator, a numpy array), read
    no further than one past the size limit."""

    if isinstance(kernel, str):
        return parse_kernel_text(kernel)
    if not isinstance(kernel, Iterable) or isinstance(kernel, (Mapping, bytes)) or getattr(kernel, "ndim", None) == 0:
        raise ConvcostError(f"kernel: expected text like '1 2 1; 2 4 2; 1 2 1' or a list of rows, got {_describe(kernel)}")
    raw: list[list[object]] = []
    for i, row in enumerate(islice(kernel, MAX_SIZE + 1)):
        if not isinstance(row, Iterable) or isinstance(row, (str, Mapping, bytes)) or getattr(row, "ndim", None) == 0:
            raise ConvcostError(f"kernel: row {i + 1}: expected a list of numbers, got {_describe(row)}")
        raw.append(list(islice(row, MAX_SIZE + 1)))
    check_size(raw)
    return check_rows([[parse_entry(_scalar(x), f"row {i + 1}") for x in row] for i, row in enumerate(raw)])


@_arguments
def separability(kernel: Kernel, tolerance: float | None = None) -> Separability:
    """The rank of a 2-D kernel and its split into separable pairs, from text or from rows.

    ``tolerance`` (for kernels with decimals) as ``--tol``: from 0 to below 1, default 1e-9.
    """

    tol = DEFAULT_TOLERANCE if tolerance is None else _scalar(tolerance)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, Fraction)) or not 0 <= tol < 1:
        raise ConvcostError(f"tolerance: expected a number from 0 to below 1, got {shown(tolerance)}")
    return _separability(_kernel_rows(kernel), float(tol))


@_arguments
def to_json(result: LayerReport | ModelReport | DiffReport | Separability) -> str:
    """The same JSON text the CLI prints for this result with ``--format json`` (and no device flags:
    layers and models carry their memory traffic, ``bytes`` and ``intensity``, at fp32)."""

    if isinstance(result, Separability):
        return render.separability_json(result)
    setup = Setup(precision(), None)
    roofline: Callable[[], object] | None
    if isinstance(result, LayerReport):
        roofline = partial(layer_figures, result, setup)
    elif isinstance(result, ModelReport):
        roofline = partial(model_figures, result, setup)
    elif isinstance(result, DiffReport):
        roofline = None
    else:
        raise ConvcostError(f"result: expected a LayerReport, ModelReport, DiffReport or Separability, got {_describe(result)}")
    checks: tuple[BudgetCheck, ...] = ()
    if isinstance(result, ModelReport) and result.graph is not None and result.graph.budget:
        checks = _check_budget(result.graph.budget, result.mults, result.params)  # the file's budget:, as `convcost model` checks it
    text = render.views(result, checks, roofline)["json"]()
    assert isinstance(text, str)
    return text


@_arguments
def to_dict(result: LayerReport | ModelReport | DiffReport | Separability) -> dict[str, Any]:
    """The JSON document of :func:`to_json` as Python data (dicts, lists, ints, floats, strings,
    None): one document, built in one place, whichever way it is read."""
    # lazy: json only for this call
    import json

    data = json.loads(to_json(result))
    assert isinstance(data, dict)
    return data


@_arguments
def model_schema() -> dict[str, Any]:
    """The JSON Schema of a model file (as ``convcost schema`` prints it)."""
    from convcost.frontends.schema import model_schema as schema  # lazy: the schema only when asked for

    return schema()


__all__ = [
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
