"""Listings, materials and problems for the engine's over-time tests (issue 13).

Shared by ``test_engine_time_reference.py`` (random instances against the path formulation) and
``test_engine_time_traps.py`` (the hand-made traps): the blending materials with their
properties, and one builder each for an offer, a need, a yard and a problem over time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem
from matching.engine.problem import LANDFILL, Recipe, StorageInput

HORIZON = date(2026, 1, 1)


def _bulk(
    key: str,
    density: str,
    factors: tuple[str, str, str],
    *,
    blend: tuple[str, str, str] | None = None,
    max_storage_days: int | None = None,
) -> MaterialSpec:
    """A material in tonnes: density, (landfill, substitution, treatment) kg CO2e per tonne and,
    to blend it, (moisture %, nitrogen % of dry matter, C:N)."""
    landfill, substitution, treatment = (Decimal(f) for f in factors)
    moisture, nitrogen, c_to_n = (None, None, None) if blend is None else (Decimal(b) for b in blend)
    return MaterialSpec(
        key,
        "t",
        None,
        Decimal(density),
        landfill,
        substitution,
        treatment,
        moisture_pct=moisture,
        nitrogen_pct_dry=nitrogen,
        c_to_n=c_to_n,
        max_storage_days=max_storage_days,
    )


def manure(key: str = "chicken_manure") -> MaterialSpec:
    """Wet and nitrogen-rich (C:N 10): the scarce side of a compost blend."""
    return _bulk(key, "0.6", ("1000", "80", "189"), blend=("46", "3.6", "10"), max_storage_days=180)


def straw(key: str = "straw") -> MaterialSpec:
    """Dry and carbon-rich (C:N 127)."""
    return _bulk(key, "0.12", ("3471", "0", "0"), blend=("10", "0.4", "127"), max_storage_days=365)


def grain(key: str = "brewers_spent_grain") -> MaterialSpec:
    """Perishable (4 days): it never waits across a bucket nor goes through a yard."""
    return _bulk(key, "0.8", ("697", "100", "0"), blend=("78", "3.8", "13"), max_storage_days=4)


def timber(key: str = "timber") -> MaterialSpec:
    return _bulk(key, "0.5", ("3583", "269.5", "38.5"), max_storage_days=40)


def panel(key: str = "precast_concrete_panel", mass_per_piece_t: str = "5") -> MaterialSpec:
    """Counted in pieces; yards may count it in pieces or in tonnes (by its mass)."""
    return MaterialSpec(
        key,
        "piece",
        Decimal(mass_per_piece_t),
        Decimal("2.4"),
        Decimal("1.26"),
        Decimal("269"),
        Decimal("20"),
    )


def offer(
    id_: int,
    material: str,
    qty: int | Decimal,
    unit: str,
    period: str,
    start: date | None = None,
    end: date | None = None,
    *,
    lat: float = 43.24,
    lon: float = 76.92,
    max_distance_km: Decimal | None = None,
    destination: str = LANDFILL,
) -> OfferInput:
    return OfferInput(
        id_, material, lat, lon, Decimal(qty), unit, period, start, end, None, max_distance_km, destination
    )


def need(
    id_: int,
    materials: tuple[str, ...],
    qty: int | Decimal,
    unit: str,
    period: str,
    start: date | None = None,
    end: date | None = None,
    *,
    recipe: Recipe | None = None,
    lat: float = 43.25,
    lon: float = 76.95,
    max_distance_km: Decimal = Decimal(60),
) -> NeedInput:
    return NeedInput(
        id_, materials, lat, lon, Decimal(qty), unit, period, start, end, None, max_distance_km, recipe=recipe
    )


def yard(
    id_: int,
    materials: tuple[str, ...],
    capacity: int | Decimal,
    unit: str = "t",
    *,
    lat: float = 43.245,
    lon: float = 76.93,
    start: date | None = None,
    end: date | None = None,
    handling_kg_co2e_per_t: Decimal = Decimal("2.5"),
) -> StorageInput:
    return StorageInput(id_, materials, lat, lon, Decimal(capacity), unit, start, end, handling_kg_co2e_per_t)


def timed_problem(
    offers: tuple[OfferInput, ...] | list[OfferInput],
    needs: tuple[NeedInput, ...] | list[NeedInput],
    materials: tuple[MaterialSpec, ...],
    *,
    step: str = "month",
    storages: tuple[StorageInput, ...] | list[StorageInput] = (),
    days: int = 365,
) -> Problem:
    """A problem over ``days`` from ``HORIZON`` in ``step`` buckets (``none``: the aggregate)."""
    return Problem(
        tuple(offers),
        tuple(needs),
        materials,
        horizon_start=HORIZON,
        horizon_days=days,
        time_step=step,
        storages=tuple(storages),
    )
