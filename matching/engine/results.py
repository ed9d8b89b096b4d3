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
from .problem import Flow, Solution

#: the largest magnitude an int64 computation below may reach and still be exact
_INT64_SAFE = 2**62


def _masses_kg(quantities: list[int], unit_mass: Fraction) -> list[int]:
    """Whole kilograms of each quantity (exact for bulk; pieces × mass rounded half to even)."""
    if unit_mass == 1:
        return quantities
    return [round(q * unit_mass) for q in quantities]


def _masses_kg_array(quantities: np.ndarray, unit_mass: Fraction) -> np.ndarray:
    """:func:`_masses_kg` of an int64 array, as an int64 array: the same integers.

    ``round(q * p / d)`` (half to even, as ``Fraction.__round__``) in integer arithmetic:
    ``q * p = k * d + r`` with ``0 <= r < d``, then ``k + 1`` when ``2r > d``, and when
    ``2r == d`` whichever of ``k``, ``k + 1`` is even. Where ``q * p`` could leave 62 bits it
    goes through Python integers instead (which also raises, as before, if a mass does not fit).
    """
    p, d = unit_mass.numerator, unit_mass.denominator
    q = np.asarray(quantities, dtype=np.int64)
    if d == 1 and p == 1:
        return q
    largest = int(np.abs(q).max()) if q.size else 0
    if largest * p >= _INT64_SAFE or d >= _INT64_SAFE:
        return np.array(_masses_kg(q.tolist(), unit_mass), dtype=np.int64)
    if d == 1:
        return q * p
    k, r = np.divmod(q * p, d)
    rounded: np.ndarray = k + ((2 * r > d) | ((2 * r == d) & (k % 2 == 1)))
    return rounded


#: the fields of a :class:`Flow` of the aggregate model, with the others' defaults
_FLOW_FIELDS = ("offer_id", "need_id", "material", "quantity", "unit", "mass_kg", "distance_km")
_FLOW_DEFAULTS = {"schedule": (), "via_storage": None, "storage_schedule": (), "legs_km": None}
if tuple(Flow.__dataclass_fields__) != _FLOW_FIELDS + tuple(_FLOW_DEFAULTS) or any(
    Flow.__dataclass_fields__[name].default != value for name, value in _FLOW_DEFAULTS.items()
):  # pragma: no cover - a guard for whoever changes Flow
    raise TypeError("matching.engine.results._new_flows no longer matches the fields of Flow")


def _new_flows(
    offer_id: list[int],
    need_id: list[int],
    material: list[str],
    quantity: list[int],
    unit: str,
    mass_kg: list[int],
    distance_km: list[float],
) -> list[Flow]:
    """``[Flow(offer_id=o, need_id=n, ...) for ...]`` without the dataclass ``__init__``.

    A frozen dataclass sets each of its eleven fields through ``object.__setattr__``; filling
    the instance's ``__dict__`` at once gives the same objects (equal, same hash, same pickle)
    in a third of the time — most of what building the results of a large run used to cost.
    Flow has no ``__post_init__``; the guard above fails the import if its fields change.
    """
    new, set_dict = object.__new__, object.__setattr__
    flows: list[Flow] = []
    append = flows.append
    for o, n, m, q, kg, d in zip(offer_id, need_id, material, quantity, mass_kg, distance_km, strict=True):
        flow = new(Flow)
        set_dict(
            flow,
            "__dict__",
            {
                "offer_id": o,
                "need_id": n,
                "material": m,
                "quantity": q,
                "unit": unit,
                "mass_kg": kg,
                "distance_km": d,
                "schedule": (),
                "via_storage": None,
                "storage_schedule": (),
                "legs_km": None,
            },
        )
        append(flow)
    return flows


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
    return _split_masses_kg(supply_kg, left_kg, waste)


def _split_masses_kg(supply_kg: np.ndarray, left_kg: np.ndarray, waste: np.ndarray) -> _Masses:
    """:func:`_split_masses` from the kg per offer of its supply and of what is left of it."""
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


class OfferKeys:
    """Each offer's material and group as small integer codes, for :func:`_waste_split_arrays`
    (worked out once per run rather than once per component)."""

    def __init__(self, prep: Prepared) -> None:
        self.material: np.ndarray = np.array([o.material for o in prep.offers], dtype=object)
        self.names: dict[str, list[str]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for kind, values in (("material", self.material.tolist()), ("group", [o.group for o in prep.offers])):
            index: dict[str, int] = {}
            self.codes[kind] = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int64)
            self.names[kind] = list(index)


def _waste_split_arrays(
    prep: Prepared, keys: OfferKeys, positions: np.ndarray, supply_kg: np.ndarray, left_kg: np.ndarray
) -> dict[str, dict[str, int]]:
    """:func:`_waste_split` of int64 arrays: the same dictionaries, keys in the same order.

    Falls back on :func:`_waste_split` where an int64 sum could overflow.
    """
    waste = prep.offer_waste[positions]
    supplied, left = supply_kg[waste], left_kg[waste]
    largest = max(int(np.abs(supplied).max()), int(np.abs(left).max())) if supplied.size else 0
    if largest and largest >= _INT64_SAFE // supplied.size:
        return _waste_split(prep, positions.tolist(), supply_kg.tolist(), left_kg.tolist())
    out: dict[str, dict[str, int]] = {}
    sums: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for kind in ("material", "group"):
        codes = keys.codes[kind][positions[waste]]
        present, first = np.unique(codes, return_index=True)
        present = present[np.argsort(first)]  # in order of first appearance, as the dicts fill
        totals = np.zeros(len(keys.names[kind]), dtype=np.int64)
        lefts = np.zeros(len(keys.names[kind]), dtype=np.int64)
        np.add.at(totals, codes, supplied)
        np.add.at(lefts, codes, left)
        names = keys.names[kind]
        order = present.tolist()
        sums[kind] = (
            {names[c]: v for c, v in zip(order, totals[present].tolist(), strict=True)},
            {names[c]: v for c, v in zip(order, lefts[present].tolist(), strict=True)},
        )
    out["waste_kg_by_material"], out["left_kg_by_material"] = sums["material"]
    out["waste_kg_by_group"], out["left_kg_by_group"] = sums["group"]
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
