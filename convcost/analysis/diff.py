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
    types agree (a conv in place of a conv is paired; a pool in place of a conv is not). A pair is
    ``changed`` when its cost or shape differs (renamed or not), ``renamed`` when only its name does."""
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
            status = "changed" if not _same(b, p) else "renamed" if p.name != b.name else "unchanged"  # a cost change shows, renamed or not
            rows.append((i, DiffRow(status, b, p)))
        else:
            rows.append((i, DiffRow("removed", b, None)))
    rows += [(j, DiffRow("added", None, p)) for j, p in enumerate(proposed.layers) if j not in taken]
    # what differs first (a rename of equal cost too), heaviest change first; the unchanged layers last
    rows.sort(key=lambda item: (item[1].status == "unchanged", -abs(item[1].mults_change), -abs(item[1].params_change), item[0]))
    return DiffReport(base, proposed, tuple(row for _, row in rows))
