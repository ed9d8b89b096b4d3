"""k-anonymity for public tables: no published figure is built from fewer than k organisations.

A table is a list of cells (a category, a district, a month…). Each cell publishes a few
figures (waste diverted, net CO₂e…), and each figure is built from the organisations of the
records that feed it. A figure is **safe** when nobody builds it (it is 0) or at least ``k``
organisations do; a cell is safe when all its figures are.

Unsafe cells are folded into one "other" cell. Folding alone is not enough: "other" is the
total minus the published cells, so it must be safe itself, or a reader could subtract it back
out — with one unsafe cell folded, "other" *is* that cell. While "other" is unsafe, the next
smallest published cell (fewest organisations, then least mass) is folded too. When even the
whole table is unsafe (fewer than ``k`` organisations in all), nothing is published and the
table is ``suppressed``; its total would be that same unsafe figure, so it is withheld as well.

Pure Python: no Django, so the rule can be tested cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

OTHER = "other"


def is_safe(organisations: Iterable[int] | set[int], k: int) -> bool:
    """A figure built by nobody (it is zero) or by at least ``k`` organisations."""
    count = len(set(organisations))
    return count == 0 or count >= k


@dataclass
class Cell:
    """One cell: who builds each of its figures, and how big it is (to pick the smallest)."""

    key: str
    builders: dict[str, set[int]] = field(default_factory=dict)
    size: Decimal = Decimal(0)

    @property
    def organisations(self) -> set[int]:
        return set().union(*self.builders.values()) if self.builders else set()

    def is_safe(self, k: int) -> bool:
        return all(is_safe(orgs, k) for orgs in self.builders.values())


@dataclass(frozen=True)
class Folding:
    shown: tuple[str, ...]
    folded: tuple[str, ...]
    suppressed: bool

    @property
    def has_other(self) -> bool:
        return bool(self.folded) and not self.suppressed


def union_builders(cells: Iterable[Cell]) -> dict[str, set[int]]:
    merged: dict[str, set[int]] = {}
    for cell in cells:
        for figure, orgs in cell.builders.items():
            merged.setdefault(figure, set()).update(orgs)
    return merged


def union_is_safe(cells: Iterable[Cell], k: int) -> bool:
    return all(is_safe(orgs, k) for orgs in union_builders(cells).values())


def fold(cells: Iterable[Cell], *, k: int, merge: Iterable[str] = ()) -> Folding:
    """Which cells to publish and which to fold into "other".

    ``merge`` names cells that always go to "other" (the catalogue's own "other" category or
    district, which would otherwise share the key).
    """
    cells = list(cells)
    by_key: Mapping[str, Cell] = {cell.key: cell for cell in cells}
    always = set(merge)
    folded = {cell.key for cell in cells if not cell.is_safe(k) or cell.key in always}
    while folded and not union_is_safe((by_key[key] for key in folded), k):
        remaining = [cell for cell in cells if cell.key not in folded]
        if not remaining:
            break
        smallest = min(remaining, key=lambda cell: (len(cell.organisations), cell.size, cell.key))
        folded.add(smallest.key)
    suppressed = bool(folded) and not union_is_safe((by_key[key] for key in folded), k)
    shown = tuple(cell.key for cell in cells if cell.key not in folded)
    return Folding(
        shown=shown, folded=tuple(cell.key for cell in cells if cell.key in folded), suppressed=suppressed
    )
