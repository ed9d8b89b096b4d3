"""Horizon quantities and unit conversion (SPEC §3)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from matching.engine import InfeasibleInput, MaterialSpec, NeedInput, OfferInput, Problem, horizon_quantity
from matching.engine.horizon import need_base, offer_base

START = date(2026, 1, 1)
GRAIN = MaterialSpec("grain", "t", None, Decimal("0.8"), Decimal("697"), Decimal("100"), Decimal("0"))
WHEY = MaterialSpec("whey", "m3", None, Decimal("1.03"), Decimal("0"), Decimal("35"), Decimal("0"))
BAGS = MaterialSpec("bags", "piece", Decimal("0.00065"), None, Decimal("2000"), Decimal("1500"), Decimal("0"))


def offer(
    quantity, unit="t", period="year", start=None, until=None, committed="0", material="grain", lot=None
):
    return OfferInput(
        1,
        material,
        43.2,
        76.9,
        Decimal(quantity),
        unit,
        period,
        start,
        until,
        Decimal(lot) if lot else None,
        None,
        committed=Decimal(committed),
    )


def base(listing, spec=GRAIN, days=365):
    problem = Problem(offers=(), needs=(), materials=(spec,), horizon_start=START, horizon_days=days)
    return offer_base(listing, spec, problem)


def test_a_yearly_listing_available_throughout_counts_exactly_once():
    assert horizon_quantity(Decimal("800"), "year", None, None, START, 365) == 800


def test_a_monthly_listing_counts_exactly_twelve_times():
    assert horizon_quantity(Decimal("3000"), "month", None, None, START, 365) == 36000


def test_a_weekly_listing_counts_365_sevenths_times():
    assert horizon_quantity(Decimal("40"), "week", None, None, START, 365) == Fraction(40 * 365, 7)
    assert base(offer("40", period="week")) == (2_085_714, 0)  # 2085.714… t, rounded down to kg


def test_a_window_partly_inside_the_horizon_counts_its_overlap_only():
    # 1 Dec 2025 – 31 Jan 2026 meets the horizon on 31 days
    q = horizon_quantity(Decimal("365"), "year", date(2025, 12, 1), date(2026, 1, 31), START, 365)
    assert q == 31


def test_both_window_ends_are_inclusive():
    assert horizon_quantity(Decimal("7"), "week", START, START, START, 365) == 1


def test_a_once_lot_counts_whole_when_its_window_meets_the_horizon():
    assert horizon_quantity(Decimal("12"), "once", date(2025, 6, 1), START, START, 365) == 12


def test_a_once_lot_outside_the_horizon_counts_nothing():
    assert horizon_quantity(Decimal("12"), "once", None, START - timedelta(days=1), START, 365) == 0
    assert horizon_quantity(Decimal("12"), "once", START + timedelta(days=365), None, START, 365) == 0


def test_committed_quantities_are_subtracted_and_never_go_negative():
    assert base(offer("100", committed="30")) == (70_000, 0)
    assert base(offer("100", committed="130")) == (0, 0)


def test_cubic_metres_convert_through_the_density():
    assert base(offer("10", unit="m3", material="whey"), WHEY) == (10_300, 0)


def test_bulk_quantities_round_down_to_whole_kilograms():
    assert base(offer("0.0019", unit="t", period="once")) == (1, 0)
    assert base(offer("1", period="month")) == (12_000, 0)


def test_pieces_round_down_and_lots_round_up():
    assert base(offer("10", unit="piece", period="week", material="bags", lot="2.5"), BAGS) == (521, 3)


def test_piece_materials_accept_quantities_by_mass():
    assert base(offer("0.0013", unit="t", period="once", material="bags"), BAGS) == (2, 0)


def test_a_need_in_cubic_metres_of_several_materials_uses_the_conservative_density():
    light = MaterialSpec("light", "t", None, Decimal("0.5"), Decimal(0), Decimal(0), Decimal(0))
    need = NeedInput(
        1, ("grain", "light"), 43.2, 76.9, Decimal("10"), "m3", "once", None, None, Decimal("2"), Decimal(30)
    )
    problem = Problem(offers=(), needs=(need,), materials=(GRAIN, light), horizon_start=START)
    # capacity by the lightest material, minimum lot by the heaviest
    assert need_base(need, (GRAIN, light), problem) == (5_000, 1_600)


def test_a_reversed_window_is_rejected_with_the_listing_named():
    with pytest.raises(InfeasibleInput) as error:
        base(offer("1", start=date(2026, 3, 1), until=date(2026, 2, 1)))
    assert error.value.listing == ("offer", 1)


def test_a_unit_that_does_not_fit_the_material_is_rejected():
    with pytest.raises(InfeasibleInput):
        base(offer("5", unit="piece"))
