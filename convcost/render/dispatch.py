"""Every output format of a result, by name, rendered only when asked for; budget lines."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from convcost.render.formats import visible
from convcost.render.numbers import fixed, num

if TYPE_CHECKING:
    from convcost.analysis.budget import BudgetCheck
    from convcost.analysis.diff import DiffReport
    from convcost.analysis.network import ModelReport
    from convcost.factorize import LayerReport
    from convcost.pipeline import Run
    from convcost.render.console import Output

View = Callable[[], "Output"]

_RENDERERS = {
    "layer": ("layer_csv", "layer_markdown", "layer_table"),
    "model": ("model_csv", "model_markdown", "model_tables"),
    "diff": ("diff_csv", "diff_markdown", "diff_tables"),
}
"""Report kind -> its module under convcost.render and the function of each text format (JSON: ``render.json``)."""


def views(
    report: LayerReport | ModelReport | DiffReport,
    checks: Sequence[BudgetCheck] = (),
    roofline: Callable[[], Any] | None = None,
    training: Callable[[], Any] | None = None,
) -> dict[str, View]:
    """Each output format of a result, rendered only when asked for (so JSON never loads rich).

    ``roofline`` (layer and model reports): computes the report's roofline figures when a view
    needs them (JSON always shows bytes and intensity; the other views add their columns when
    the figures have a device). ``training`` (``--training``): computes the report's training
    cost; every view then shows it."""
    extra: dict[str, Callable[[], Any]] = {} if roofline is None else {"roofline": roofline}
    if training is not None:
        extra["training"] = training

    def json_() -> Output:
        # lazy: each view loads its renderer when asked for; a time budget's line its formatter
        from convcost.render import json

        return getattr(json, f"{report.kind}_json")(report, checks, **extra)  # type: ignore[no-any-return]

    def text(index: int) -> Callable[..., Output]:
        # by name: importing diff here would slow every layer command, and JSON needs none of them
        module = importlib.import_module(f"convcost.render.{report.kind}")
        return getattr(module, _RENDERERS[report.kind][index])  # type: ignore[no-any-return]

    return {
        "json": json_,
        "csv": lambda: text(0)(report, **extra),
        "markdown": lambda: text(1)(report, **extra),
        "table": lambda: text(2)(report, **extra),
    }


def run_views(run: Run) -> dict[str, View]:
    """Each output format of a run: its report, budget verdict and figures."""
    return views(run.report, run.checks, run.figures, run.training)


def budget_lines(checks: Sequence[BudgetCheck]) -> list[str]:
    """One stderr line per exceeded budget: ``mults 612,400,000 > 600M by 2.1%``."""
    # the limit as written, escaped (a budget from a file or a flag is untrusted text)
    return [f"{c.figure} {_value_text(c)} > {visible(c.limit_text)} by {fixed(*c.over_by(), 1)}%" for c in checks if not c.ok]


def _value_text(check: BudgetCheck) -> str:
    """The figure as the over-budget line shows it: the exact integer (``612,400,000``), or the time (``2.41 ms``)."""
    if check.figure == "time":
        # lazy: each view loads its renderer when asked for; a time budget's line its formatter
        from fractions import Fraction

        # lazy: each view loads its renderer when asked for; a time budget's line its formatter
        from convcost.render.numbers import seconds_text

        return seconds_text(Fraction(check.value))
    return num(int(check.value))
