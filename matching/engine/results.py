"""Pieces of a :class:`Solution` shared by every solving path (the aggregate network flow in
:mod:`.solve`, the engine over time in :mod:`.timed`): masses split by fate, the isolated
listings, and merging the solutions of independent components. Kept apart so that both paths
import it and neither imports the other back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .components import Component
from .errors import EngineError
from .prepare import Prepared
from .problem import Solution


def _masses_kg(quantities: list[int], unit_mass: Fraction) -> list[int]:
    """Whole kilograms of each quantity (exact for bulk; pieces × mass rounded half to even)."""
    if unit_mass == 1:
        return quantities
    return [round(q * unit_mass) for q in quantities]


@dataclass(frozen=True)
class _Masses:
    """Supply split by class, in kg, each offer rounded once so that the identities hold exactly."""

    supply_kg: int
    waste_kg: int
    diverted_kg: int
    landfilled_kg: int
    other_moved_kg: int


def _split_masses(supply: np.ndarray, moved: np.ndarray, waste: np.ndarray, unit_mass: Fraction) -> _Masses:
    """Masses of ``supply`` and of what is ``moved`` per offer, split into waste-bound and other."""
    supply_kg = np.array(_masses_kg(supply.tolist(), unit_mass), dtype=np.int64)
    left_kg = np.array(_masses_kg((supply - moved).tolist(), unit_mass), dtype=np.int64)
    waste_kg = int(supply_kg[waste].sum())
    landfilled_kg = int(left_kg[waste].sum())
    other_kg = int(supply_kg[~waste].sum())
    return _Masses(
        supply_kg=waste_kg + other_kg,
        waste_kg=waste_kg,
        diverted_kg=waste_kg - landfilled_kg,
        landfilled_kg=landfilled_kg,
        other_moved_kg=other_kg - int(left_kg[~waste].sum()),
    )


def _waste_split(
    prep: Prepared, positions: list[int], supply_kg: list[int], left_kg: list[int]
) -> dict[str, dict[str, int]]:
    """Waste-bound supply and what is left of it, in kg, by material and by the offers' group."""
    out: dict[str, dict[str, int]] = {
        "waste_kg_by_material": {},
        "left_kg_by_material": {},
        "waste_kg_by_group": {},
        "left_kg_by_group": {},
    }
    for pos, supplied, left in zip(positions, supply_kg, left_kg, strict=True):
        if not prep.offer_waste[pos]:
            continue
        offer = prep.offers[pos]
        for kind, key in (("material", offer.material), ("group", offer.group)):
            out[f"waste_kg_by_{kind}"][key] = out[f"waste_kg_by_{kind}"].get(key, 0) + supplied
            out[f"left_kg_by_{kind}"][key] = out[f"left_kg_by_{kind}"].get(key, 0) + left
    return out


def _isolated_solution(prep: Prepared, components: list[Component]) -> Solution:
    """Listings with no candidate arc: their whole supply stays where it is."""
    in_offer = np.zeros(len(prep.offers), dtype=bool)
    in_need = np.zeros(len(prep.needs), dtype=bool)
    for comp in components:
        in_offer[comp.offers] = True
        in_need[comp.needs] = True
    waste = other = 0
    positions = np.flatnonzero(~in_offer).tolist()
    masses: list[int] = []
    for pos in positions:
        kg = _masses_kg([int(prep.offer_supply[pos])], prep.unit_mass_kg(prep.offers[pos].material))[0]
        masses.append(kg)
        if prep.offer_waste[pos]:
            waste += kg
        else:
            other += kg
    return Solution(
        flows=(),
        objective=prep.problem.objective,
        proven_optimal=True,
        bound=0.0,
        supply_kg=waste + other,
        waste_kg=waste,
        diverted_kg=0,
        landfilled_kg=waste,
        other_moved_kg=0,
        tkm=0.0,
        net_co2e_kg=0.0,
        stats={
            "offers": int((~in_offer).sum()),
            "needs": int((~in_need).sum()),
            "arcs": 0,
            "components": 0,
            "discrete_components": 0,
            "cp_sat_components": 0,
            "solve_seconds": 0.0,
            **_waste_split(prep, positions, masses, masses),
        },
    )


def _merge_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in stats:
        for key, value in item.items():
            if isinstance(value, dict):
                merged[key] = _merge_stats([merged.get(key, {}), value])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                merged[key] = merged.get(key, 0) + value
            else:
                merged.setdefault(key, value)
    return merged


def merge(solutions: Iterable[Solution]) -> Solution:
    """Combine solutions of independent sub-problems (see :func:`split_components`).

    Totals add up, flows are re-sorted by (offer id, need id), the result is proven optimal only
    if every part is, and the bound is the sum of the parts' bounds (None if any is unknown).
    Float totals use ``math.fsum``, which is exact and order-independent.
    """
    parts = list(solutions)
    if not parts:
        raise EngineError("nothing to merge")
    objectives = {p.objective for p in parts}
    if len(objectives) != 1:
        raise EngineError(f"cannot merge solutions of different objectives {sorted(objectives)}")
    bounds = [p.bound for p in parts]
    return Solution(
        flows=tuple(sorted((f for p in parts for f in p.flows), key=lambda f: (f.offer_id, f.need_id))),
        objective=parts[0].objective,
        proven_optimal=all(p.proven_optimal for p in parts),
        bound=None if any(b is None for b in bounds) else math.fsum(bounds),  # type: ignore[arg-type]
        supply_kg=sum(p.supply_kg for p in parts),
        waste_kg=sum(p.waste_kg for p in parts),
        diverted_kg=sum(p.diverted_kg for p in parts),
        landfilled_kg=sum(p.landfilled_kg for p in parts),
        other_moved_kg=sum(p.other_moved_kg for p in parts),
        tkm=math.fsum(p.tkm for p in parts),
        net_co2e_kg=math.fsum(p.net_co2e_kg for p in parts),
        stats=_merge_stats([p.stats for p in parts]),
    )
