"""``convcost diff``: two models compared."""

from __future__ import annotations

import click

from convcost import render
from convcost.cli.common import _finish, _format_option, _limits, _review_options


@click.command()
@click.argument("base", metavar="BASE.yaml")
@click.argument("proposed", metavar="PROPOSED.yaml")
@_format_option
@_review_options
def diff(base: str, proposed: str, fmt: str, max_mults: str | None, max_params: str | None, export: str | None) -> None:
    """Compare two model files: totals side by side, then the layers that differ.

    Layers are matched by the names the files give them, else by position;
    added, removed and renamed layers are shown as such, heaviest changes first.
    Budgets (flags, or PROPOSED's budget: mapping) apply to PROPOSED.

    \b
    Example:
      convcost diff base.yaml proposed.yaml --max-mults 600M
    """
    from convcost.analysis.budget import check_budget
    from convcost.analysis.diff import diff_models
    from convcost.analysis.network import cost_model
    from convcost.frontends.model_file import load_model

    base_spec, proposed_spec = load_model(base), load_model(proposed)
    report = diff_models(cost_model(base_spec), cost_model(proposed_spec))
    limits = _limits(max_mults, max_params, proposed_spec.budget)
    checks = check_budget(limits, report.proposed.mults, report.proposed.params)
    _finish(fmt, render.views(report, checks), export, f"convcost diff: {base} -> {proposed}", checks)
