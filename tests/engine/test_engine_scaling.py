"""Integer scaling stays inside int64, and says so when it cannot."""

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem, ScalingOverflow, solve
from matching.engine.scaling import (
    INT64_MAX,
    check_flow_range,
    check_linear_range,
    climate_cost_mg,
    distance_cost_m,
    to_int64,
)

GRAIN = MaterialSpec("grain", "t", None, None, Decimal("697"), Decimal("100"), Decimal("0"))


def test_distances_become_whole_metres():
    assert distance_cost_m(np.array([0.0004, 1.2345, 40.0])).tolist() == [0, 1234, 40000]


def test_climate_values_become_milligrams_per_base_unit():
    # 797 kg CO2e per tonne is 797 g per kilogram, 797,000 mg
    assert climate_cost_mg(np.array([797.0]), unit_mass_t=Decimal("0.001")).tolist() == [797_000]


def test_a_flow_model_whose_scaled_costs_overflow_is_refused():
    check_flow_range(num_nodes=40_000, max_abs_cost=60_000, total_flow=10**11)
    with pytest.raises(ScalingOverflow):
        check_flow_range(num_nodes=10**6, max_abs_cost=10**13, total_flow=1)
    with pytest.raises(ScalingOverflow):
        check_flow_range(num_nodes=10, max_abs_cost=10**6, total_flow=10**14)


def test_a_cp_sat_expression_that_overflows_is_refused():
    check_linear_range(coefficients=np.array([10**6]), upper_bounds=np.array([10**12]), what="ok")
    with pytest.raises(ScalingOverflow):
        check_linear_range(
            coefficients=np.array([10**6, 10**6]), upper_bounds=np.array([INT64_MAX // 10**6] * 2), what="x"
        )


def test_a_quantity_beyond_int64_is_refused():
    assert to_int64(INT64_MAX, "supply") == INT64_MAX
    with pytest.raises(ScalingOverflow):
        to_int64(INT64_MAX + 1, "supply")


def test_solving_an_absurd_quantity_raises_a_typed_error_instead_of_wrapping_around():
    offer = OfferInput(1, "grain", 43.2, 76.9, Decimal("1e17"), "t", "once", None, None, None, None)
    need = NeedInput(1, ("grain",), 43.2, 76.9, Decimal("5"), "t", "once", None, None, None, Decimal(10))
    problem = Problem(offers=(offer,), needs=(need,), materials=(GRAIN,), horizon_start=date(2026, 1, 1))
    with pytest.raises(ScalingOverflow):
        solve(problem)


def test_total_cost_overflow_is_caught_before_the_solver_runs():
    offer = OfferInput(1, "grain", 43.2, 76.9, Decimal("9e12"), "t", "once", None, None, None, None)
    need = NeedInput(1, ("grain",), 43.3, 76.9, Decimal("9e12"), "t", "once", None, None, None, Decimal(100))
    problem = Problem(offers=(offer,), needs=(need,), materials=(GRAIN,), horizon_start=date(2026, 1, 1))
    with pytest.raises(ScalingOverflow):
        solve(problem)
