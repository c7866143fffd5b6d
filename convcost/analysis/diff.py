"""Comparing two costed models: totals side by side, layers matched by name, else by position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from convcost.analysis.network import LayerRow, ModelReport


@dataclass(frozen=True)
class DiffRow:
    """One layer of either model: ``changed``, ``unchanged``, ``renamed``, ``added`` or ``removed``."""

    status: str
    base: LayerRow | None
    proposed: LayerRow | None

    @property
    def mults_change(self) -> int:
        """Proposed mults minus base mults (an added layer counts from 0)."""
        return (self.proposed.mults if self.proposed else 0) - (self.base.mults if self.base else 0)

    @property
    def params_change(self) -> int:
        """Proposed params minus base params."""
        return (self.proposed.params if self.proposed else 0) - (self.base.params if self.base else 0)


@dataclass(frozen=True)
class DiffReport:
    """Two costed models and their layer-by-layer differences, heaviest changes first."""

    kind: ClassVar[str] = "diff"

    base: ModelReport
    proposed: ModelReport
    rows: tuple[DiffRow, ...]


def _same(a: LayerRow, b: LayerRow) -> bool:
    return (a.type, a.inp, a.out, a.mults, a.params, a.method) == (b.type, b.inp, b.out, b.mults, b.params, b.method)


def diff_models(base: ModelReport, proposed: ModelReport) -> DiffReport:
    """Match layers by the names the files gave them, then the rest by position when the
    types agree (a conv in place of a conv is renamed; a pool in place of a conv is not)."""
    by_name: dict[str, list[int]] = {}
    for i, row in enumerate(base.layers):
        if row.named:
            by_name.setdefault(row.name, []).append(i)
    pairs: dict[int, int] = {}
    for j, row in enumerate(proposed.layers):
        if row.named and by_name.get(row.name):
            pairs[by_name[row.name].pop(0)] = j
    taken = set(pairs.values())
    for i in range(min(len(base.layers), len(proposed.layers))):
        if i not in pairs and i not in taken and base.layers[i].type == proposed.layers[i].type:
            pairs[i] = i
            taken.add(i)
    rows: list[tuple[int, DiffRow]] = []
    for i, b in enumerate(base.layers):
        if i in pairs:
            p = proposed.layers[pairs[i]]
            status = "renamed" if p.name != b.name else "unchanged" if _same(b, p) else "changed"
            rows.append((i, DiffRow(status, b, p)))
        else:
            rows.append((i, DiffRow("removed", b, None)))
    rows += [(j, DiffRow("added", None, p)) for j, p in enumerate(proposed.layers) if j not in taken]
    rows.sort(key=lambda item: (-abs(item[1].mults_change), -abs(item[1].params_change), item[0]))
    return DiffReport(base, proposed, tuple(row for _, row in rows))
