"""Minimum lots, time limits and the bound."""

import dataclasses
from decimal import Decimal

import pytest
from engine_support import HORIZON, MATERIALS, random_problem

from matching.engine import NeedInput, OfferInput, Problem, SolverTimeout, solve
from matching.engine.discrete import CPSAT_NUM_WORKERS


def test_a_flow_is_either_zero_or_at_least_both_lots():
    # one 9 t offer, two 6 t needs with a 5 t lot: the relaxation's 6 + 3 split is not allowed
    offer = OfferInput(1, "grain", 43.2, 76.9, Decimal(9), "t", "once", None, None, None, None)
    needs = tuple(
        NeedInput(
            10 + j,
            ("grain",),
            43.2 + j * 0.01,
            76.9,
            Decimal(6),
            "t",
            "once",
            None,
            None,
            Decimal(5),
            Decimal(20),
        )
        for j in range(2)
    )
    solution = solve(Problem(offers=(offer,), needs=needs, materials=MATERIALS, horizon_start=HORIZON))
    assert solution.proven_optimal
    assert [(f.need_id, f.quantity) for f in solution.flows] == [
        (10, 6000)
    ]  # the nearer need; 3 t is below a lot
    assert solution.stats["lot_search_components"] == 1 and solution.stats["cp_sat_components"] == 0


def test_a_relaxation_that_respects_the_lots_needs_no_cp_sat():
    offer = OfferInput(1, "grain", 43.2, 76.9, Decimal(10), "t", "once", None, None, Decimal(2), None)
    need = NeedInput(2, ("grain",), 43.21, 76.9, Decimal(6), "t", "once", None, None, None, Decimal(20))
    solution = solve(Problem(offers=(offer,), needs=(need,), materials=MATERIALS, horizon_start=HORIZON))
    assert solution.stats["discrete_components"] == 1 and solution.stats["lot_search_components"] == 0
    assert solution.diverted_kg == 6000 and solution.proven_optimal


def hard_problem():
    """A larger contested instance CP-SAT cannot prove in a millisecond."""
    base = [random_problem(seed, lots=True) for seed in range(1000, 1040)]
    offers, needs = [], []
    for k, problem in enumerate(base):
        offers += [
            dataclasses.replace(
                o, id=k * 100 + o.id, material="grain", unit="t", lat=43.24 + (o.lat - 43.24) * 3
            )
            for o in problem.offers
        ]
        needs += [
            dataclasses.replace(
                n,
                id=k * 100 + n.id,
                materials=("grain",),
                unit="t",
                lat=43.24 + (n.lat - 43.24) * 3,
                max_distance_km=Decimal(60),
            )
            for n in problem.needs
        ]
    return Problem(
        offers=tuple(offers),
        needs=tuple(needs),
        materials=MATERIALS,
        horizon_start=HORIZON,
        time_limit_s=0.05,
    )


def test_hitting_the_time_limit_returns_the_best_solution_with_a_bound():
    solution = solve(hard_problem())
    assert not solution.proven_optimal
    assert solution.bound is not None and solution.bound >= solution.diverted_kg
    assert solution.diverted_kg > 0


def test_a_caller_that_requires_a_proof_gets_a_typed_timeout_carrying_the_bound():
    with pytest.raises(SolverTimeout) as error:
        solve(hard_problem(), require_proven_optimal=True)
    assert error.value.bound is not None and error.value.solution is not None


def test_cp_sat_runs_with_a_fixed_worker_count():
    assert CPSAT_NUM_WORKERS == 1
