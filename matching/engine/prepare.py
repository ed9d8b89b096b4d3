"""Validation and preparation: listings sorted by id, horizon quantities, flat numpy arrays.

Sorting by id before anything else is what makes the engine deterministic under any input
order: every array, and therefore every solver model, is built in id order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .errors import InfeasibleInput
from .horizon import exact, need_base, offer_base, unit_mass_kg
from .problem import (
    BASELINE_FATES,
    DESTINATIONS,
    OBJECTIVES,
    UNIT_BASES,
    WASTE_BOUND,
    MaterialSpec,
    NeedInput,
    OfferInput,
    Problem,
)
from .scaling import to_int64

NO_DAY_MIN = -(2**62)
NO_DAY_MAX = 2**62


@dataclass(frozen=True)
class Prepared:
    """A validated problem as arrays indexed by position in id order."""

    problem: Problem
    materials: dict[str, MaterialSpec]
    offers: tuple[OfferInput, ...]
    needs: tuple[NeedInput, ...]
    offer_supply: np.ndarray  # int64 base units within the horizon, net of commitments
    offer_lot: np.ndarray  # int64 base units, 0 = none
    offer_max_km: np.ndarray  # float64, inf = none
    offer_from: np.ndarray  # int64 day ordinals, open ends as ±2**62
    offer_until: np.ndarray
    offer_lat: np.ndarray
    offer_lon: np.ndarray
    need_demand: np.ndarray
    need_lot: np.ndarray
    need_max_km: np.ndarray
    need_from: np.ndarray
    need_until: np.ndarray
    need_lat: np.ndarray
    need_lon: np.ndarray
    offer_id: np.ndarray  # int64 ids in position order
    need_id: np.ndarray
    offer_gross_per_t: np.ndarray  # float64 kg CO2e/t: baseline + substitution − treatment
    offer_waste: np.ndarray  # bool: the offer's current destination is waste-bound

    @property
    def offer_ids(self) -> list[int]:
        ids: list[int] = self.offer_id.tolist()
        return ids

    @property
    def need_ids(self) -> list[int]:
        ids: list[int] = self.need_id.tolist()
        return ids

    def unit_mass_kg(self, material: str) -> Fraction:
        return unit_mass_kg(self.materials[material])


def _validate_materials(problem: Problem) -> dict[str, MaterialSpec]:
    materials: dict[str, MaterialSpec] = {}
    for spec in problem.materials:
        if spec.key in materials:
            raise InfeasibleInput(f"material {spec.key!r} is listed twice")
        if spec.unit_basis not in UNIT_BASES:
            raise InfeasibleInput(f"material {spec.key!r}: unknown unit basis {spec.unit_basis!r}")
        if spec.is_piece and not (spec.mass_per_piece_t and exact(spec.mass_per_piece_t) > 0):
            raise InfeasibleInput(f"piece material {spec.key!r} needs a positive mass per piece")
        fates = [name for name, _ in spec.baseline_kg_per_t]
        if len(set(fates)) != len(fates) or not set(fates) <= set(BASELINE_FATES):
            raise InfeasibleInput(
                f"material {spec.key!r}: baseline factors must name each of {BASELINE_FATES} at most once"
            )
        materials[spec.key] = spec
    return materials


def _validate_listings(problem: Problem, materials: dict[str, MaterialSpec]) -> None:
    if problem.objective not in OBJECTIVES:
        raise InfeasibleInput(f"unknown objective {problem.objective!r}; expected one of {OBJECTIVES}")
    if problem.horizon_days <= 0:
        raise InfeasibleInput("the horizon must last at least one day")
    if not problem.circuity >= 1.0:
        raise InfeasibleInput("circuity must be at least 1")
    if not problem.time_limit_s > 0:
        raise InfeasibleInput("the time limit must be positive")
    for kind, listings in (("offer", problem.offers), ("need", problem.needs)):
        ids = [item.id for item in listings]
        if len(set(ids)) != len(ids):
            raise InfeasibleInput(f"duplicate {kind} ids")
    for offer in problem.offers:
        if offer.material not in materials:
            raise InfeasibleInput(
                f"offer {offer.id}: unknown material {offer.material!r}", listing=("offer", offer.id)
            )
        if offer.current_destination not in DESTINATIONS:
            raise InfeasibleInput(
                f"offer {offer.id}: unknown current destination {offer.current_destination!r}",
                listing=("offer", offer.id),
            )
        if offer.max_distance_km is not None and exact(offer.max_distance_km) < 0:
            raise InfeasibleInput(f"offer {offer.id}: negative maximum distance", listing=("offer", offer.id))
    for need in problem.needs:
        where = ("need", need.id)
        if not need.materials or len(set(need.materials)) != len(need.materials):
            raise InfeasibleInput(f"need {need.id}: accepts no material or one twice", listing=where)
        unknown = [m for m in need.materials if m not in materials]
        if unknown:
            raise InfeasibleInput(f"need {need.id}: unknown materials {unknown}", listing=where)
        pieces = [materials[m].is_piece for m in need.materials]
        # a count of mixed items means nothing (SPEC §2), and a component must weigh uniformly
        if any(pieces) and len(need.materials) != 1:
            raise InfeasibleInput(
                f"need {need.id}: a need in pieces accepts exactly one material", listing=where
            )
        if need.max_distance_km is None or exact(need.max_distance_km) < 0:
            raise InfeasibleInput(f"need {need.id}: a maximum distance is required", listing=where)


def _gross_per_t(spec: MaterialSpec, offer: OfferInput) -> float:
    """Avoided kg CO2e per tonne before transport: baseline + substitution − treatment (issue 10)."""
    return float(spec.net_before_transport_per_t(offer.current_destination))


def _day(value: date | None, default: int) -> int:
    return default if value is None else value.toordinal()


def prepare(problem: Problem) -> Prepared:
    """Validate ``problem`` and turn it into id-ordered arrays of whole base units.

    Raises :class:`InfeasibleInput` naming the first offending listing.
    """
    materials = _validate_materials(problem)
    _validate_listings(problem, materials)
    offers = tuple(sorted(problem.offers, key=lambda o: o.id))
    needs = tuple(sorted(problem.needs, key=lambda n: n.id))

    offer_values = [offer_base(o, materials[o.material], problem) for o in offers]
    need_values = [need_base(n, tuple(materials[m] for m in n.materials), problem) for n in needs]

    def ints(values: Sequence[int], what: str) -> np.ndarray:
        return np.array([to_int64(v, what) for v in values], dtype=np.int64)

    def kms(values: Sequence[Decimal | float | None]) -> np.ndarray:
        return np.array([math.inf if v is None else float(v) for v in values], dtype=np.float64)

    return Prepared(
        problem=problem,
        materials=materials,
        offers=offers,
        needs=needs,
        offer_supply=ints([v[0] for v in offer_values], "offer supply"),
        offer_lot=ints([v[1] for v in offer_values], "offer minimum lot"),
        offer_max_km=kms([o.max_distance_km for o in offers]),
        offer_from=np.array([_day(o.available_from, NO_DAY_MIN) for o in offers], dtype=np.int64),
        offer_until=np.array([_day(o.available_until, NO_DAY_MAX) for o in offers], dtype=np.int64),
        offer_lat=np.array([o.lat for o in offers], dtype=np.float64),
        offer_lon=np.array([o.lon for o in offers], dtype=np.float64),
        need_demand=ints([v[0] for v in need_values], "need demand"),
        need_lot=ints([v[1] for v in need_values], "need minimum lot"),
        need_max_km=kms([n.max_distance_km for n in needs]),
        need_from=np.array([_day(n.available_from, NO_DAY_MIN) for n in needs], dtype=np.int64),
        need_until=np.array([_day(n.available_until, NO_DAY_MAX) for n in needs], dtype=np.int64),
        need_lat=np.array([n.lat for n in needs], dtype=np.float64),
        need_lon=np.array([n.lon for n in needs], dtype=np.float64),
        offer_id=np.array([o.id for o in offers], dtype=np.int64),
        need_id=np.array([n.id for n in needs], dtype=np.int64),
        offer_gross_per_t=np.array(
            [_gross_per_t(materials[o.material], o) for o in offers], dtype=np.float64
        ),
        offer_waste=np.array([o.current_destination in WASTE_BOUND for o in offers], dtype=bool),
    )
