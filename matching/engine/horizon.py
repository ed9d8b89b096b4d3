"""Horizon quantities and unit conversion, in exact rational arithmetic.

SPEC §3: a listing's quantity within the horizon H is quantity × overlap ÷ period, where the
overlap counts the days of its availability window inside H (both window ends inclusive, an open
end meaning "always") and the period is 7 days, 365/12 days or 365 days; a ``once`` lot counts
whole when its window meets H. Committed quantities are subtracted, then bulk quantities become
whole kilograms and piece quantities whole pieces, both rounded down. Floats would turn "a
monthly listing counts exactly twelve times" into 11.999…, so everything here is a Fraction.
"""

from __future__ import annotations

import functools
import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .errors import InfeasibleInput
from .problem import PERIODS, MaterialSpec, NeedInput, OfferInput, Problem
from .scaling import KG_PER_TONNE

PERIOD_DAYS: dict[str, Fraction] = {
    "week": Fraction(7),
    "month": Fraction(365, 12),
    "year": Fraction(365),
}


def exact(value: Decimal | int | float | str | Fraction) -> Fraction:
    """A quantity as an exact Fraction; floats go through their shortest decimal repr."""
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def overlap_days(
    available_from: date | None,
    available_until: date | None,
    horizon_start: date,
    horizon_days: int,
) -> int:
    """Days of the inclusive window [available_from, available_until] inside the horizon."""
    horizon_last = horizon_start + timedelta(days=horizon_days - 1)
    first = horizon_start if available_from is None else max(available_from, horizon_start)
    last = horizon_last if available_until is None else min(available_until, horizon_last)
    return max(0, (last - first).days + 1)


def horizon_quantity(
    quantity: Decimal | int,
    period: str,
    available_from: date | None,
    available_until: date | None,
    horizon_start: date,
    horizon_days: int,
) -> Fraction:
    """The listing's quantity within the horizon, in its own unit, before commitments."""
    if period not in PERIODS:
        raise InfeasibleInput(f"unknown period {period!r}")
    if available_from and available_until and available_until < available_from:
        raise InfeasibleInput(f"availability window ends ({available_until}) before it starts")
    days = overlap_days(available_from, available_until, horizon_start, horizon_days)
    if period == "once":
        return exact(quantity) if days > 0 else Fraction(0)
    return exact(quantity) * days / PERIOD_DAYS[period]


def unit_mass_kg(material: MaterialSpec) -> Fraction:
    """Kilograms per base unit: 1 for bulk materials, the piece mass for piece materials."""
    if material.is_piece:
        return exact(material.mass_per_piece_t) * KG_PER_TONNE  # type: ignore[arg-type]
    return Fraction(1)


def to_base_units(
    amount: Fraction, unit: str, materials: tuple[MaterialSpec, ...], *, conservative: str
) -> Fraction:
    """``amount`` of ``unit`` in the base unit of ``materials`` (all of one basis), unrounded.

    A need in m³ accepting several bulk materials has no single density; ``conservative``
    picks which one: ``"min"`` for capacities (never more mass than the volume holds of the
    lightest accepted material), ``"max"`` for minimum lots (never less volume than asked).
    """
    first = materials[0]
    if first.is_piece:
        if unit == "piece":
            return amount
        if unit in ("t", "kg"):
            per_piece_t = exact(first.mass_per_piece_t)  # type: ignore[arg-type]
            tonnes = amount if unit == "t" else amount / KG_PER_TONNE
            return tonnes / per_piece_t
        raise InfeasibleInput(f"unit {unit!r} does not fit piece material {first.key!r}")
    if unit == "t":
        return amount * KG_PER_TONNE
    if unit == "kg":
        return amount
    if unit == "m3":
        densities = [m.density_t_per_m3 for m in materials]
        if any(d is None for d in densities):
            raise InfeasibleInput(f"a quantity in m3 needs a density for {[m.key for m in materials]}")
        pick = min if conservative == "min" else max
        return amount * pick(exact(d) for d in densities) * KG_PER_TONNE  # type: ignore[arg-type]
    raise InfeasibleInput(f"unit {unit!r} does not fit bulk material {first.key!r}")


@functools.lru_cache(maxsize=1024)
def _unit_factor(unit: str, materials: tuple[MaterialSpec, ...]) -> Fraction:
    """Base units per listing unit (cached: a run has few distinct unit/material pairs)."""
    return to_base_units(Fraction(1), unit, materials, conservative="min")


def _ratio(value: Decimal | int | float | str | Fraction) -> tuple[int, int]:
    """(numerator, denominator) of an exact quantity, without building a Fraction."""
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        return value.as_integer_ratio()
    f = exact(value)
    return f.numerator, f.denominator


def _listing_base(
    listing: OfferInput | NeedInput, materials: tuple[MaterialSpec, ...], problem: Problem
) -> tuple[int, int]:
    """(horizon quantity net of commitments, minimum lot), both in whole base units.

    The same arithmetic as :func:`horizon_quantity` and :func:`to_base_units`, carried out on
    integer numerators and denominators: a whole-city run prepares tens of thousands of
    listings, and Fraction's normalisation at every step would dominate the preparation time.
    """
    if listing.period not in PERIODS:
        raise InfeasibleInput(f"unknown period {listing.period!r}")
    start, until = listing.available_from, listing.available_until
    if start and until and until < start:
        raise InfeasibleInput(f"availability window ends ({until}) before it starts")
    q_num, q_den = _ratio(listing.quantity)
    c_num, c_den = _ratio(listing.committed)
    if q_num < 0 or c_num < 0:
        raise InfeasibleInput("quantities must not be negative")
    days = overlap_days(start, until, problem.horizon_start, problem.horizon_days)
    if listing.period == "once":
        h_num, h_den = (q_num, q_den) if days > 0 else (0, 1)
    else:
        period = PERIOD_DAYS[listing.period]
        h_num, h_den = q_num * days * period.denominator, q_den * period.numerator
    # subtract what agreed deals already take, never below zero
    net_num, net_den = h_num * c_den - c_num * h_den, h_den * c_den
    factor = _unit_factor(listing.unit, materials)
    base = max(net_num, 0) * factor.numerator // (net_den * factor.denominator)
    lot = 0
    if listing.min_lot is not None and exact(listing.min_lot) > 0:
        # a lot is a floor on every flow, so it rounds up: 1.5 pieces means at least 2
        lot = math.ceil(to_base_units(exact(listing.min_lot), listing.unit, materials, conservative="max"))
    return base, lot


def offer_base(offer: OfferInput, material: MaterialSpec, problem: Problem) -> tuple[int, int]:
    """An offer's (supply, minimum lot) in whole base units of its material."""
    try:
        return _listing_base(offer, (material,), problem)
    except InfeasibleInput as error:
        raise InfeasibleInput(f"offer {offer.id}: {error}", listing=("offer", offer.id)) from None


def need_base(need: NeedInput, materials: tuple[MaterialSpec, ...], problem: Problem) -> tuple[int, int]:
    """A need's (demand, minimum lot) in whole base units of its accepted materials."""
    try:
        return _listing_base(need, materials, problem)
    except InfeasibleInput as error:
        raise InfeasibleInput(f"need {need.id}: {error}", listing=("need", need.id)) from None
