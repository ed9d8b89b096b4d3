"""One vocabulary: the units, periods, categories, unit bases and fates of the models, of the
pure engine (matching/engine/problem.py), of the factor-set parser and of the unit module agree,
and kilograms per tonne is one number on both sides."""

from __future__ import annotations

from decimal import Decimal

from marketplace import factor_data, units
from marketplace.models import Category, Destination, Period, Unit, UnitBasis
from matching import impact
from matching.engine import problem, scaling
from matching.engine.horizon import PERIOD_DAYS


def test_units_agree_everywhere():
    assert tuple(Unit.values) == problem.UNITS == units.UNITS == impact.UNITS
    assert (Unit.TONNE, Unit.KILOGRAM, Unit.CUBIC_METRE, Unit.PIECE) == (
        units.TONNE,
        units.KILOGRAM,
        units.CUBIC_METRE,
        units.PIECE,
    )


def test_unit_bases_agree_between_the_models_the_engine_and_the_factor_parser():
    assert tuple(UnitBasis.values) == problem.UNIT_BASES == factor_data.UNIT_BASES


def test_periods_agree_and_each_has_a_length():
    assert tuple(Period.values) == problem.PERIODS
    assert set(problem.PERIODS) - {"once"} == set(PERIOD_DAYS)


def test_categories_agree_between_the_models_and_the_factor_parser():
    assert tuple(Category.values) == factor_data.CATEGORIES


def test_fates_agree_between_the_models_the_engine_and_the_impact_arithmetic():
    assert tuple(Destination.values) == problem.DESTINATIONS == impact.DESTINATIONS


def test_kilograms_per_tonne_is_one_number():
    assert units.KG_PER_TONNE == scaling.KG_PER_TONNE == 1000


def test_the_unit_module_converts_both_ways():
    assert units.quantity_in_tonnes(Decimal("2500"), "kg") == Decimal("2.5")
    assert units.quantity_in_tonnes(Decimal("4"), "m3", density_t_per_m3=Decimal("0.5")) == 2
    assert units.quantity_in_tonnes(Decimal("3"), "piece", mass_per_piece_t=Decimal("0.2")) == Decimal("0.6")
    assert units.quantity_in_tonnes(Decimal("3"), "piece") is None
    assert units.quantity_in_tonnes(Decimal("3"), "m3") is None
    assert units.tonnes_in_unit(Decimal("2.5"), "kg") == 2500
    assert units.tonnes_in_unit(Decimal("2"), "m3", density_t_per_m3=Decimal("0.5")) == 4
    assert units.tonnes_in_unit(Decimal("2"), "piece") is None
    assert units.kg_to_tonnes(1500) == Decimal("1.5") and units.tonnes_to_kg(Decimal("1.5")) == 1500
