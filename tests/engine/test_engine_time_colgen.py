"""Issue 13: the timed LP's column generation reaches the optimum of the whole LP, level by level.

A large blend or yard component's LP is solved from a restricted set of columns (every yard leg,
the support of the network flow without the blending needs, a few cheapest arcs per slot) and
priced with the duals until no column left out could improve it; each level's optimum is kept
for the next through its optimal face. Here the same components of random instances are solved
twice with HiGHS — the whole LP (every column from the start) and column generation from a
start of one cheapest arc per slot — and every lexicographic level must reach the same value.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from ortools.math_opt import result_pb2
from ortools.math_opt.python import mathopt

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem, solve, timed
from matching.engine.distance import GreatCircleDistance
from matching.engine.prepare import prepare
from matching.engine.problem import Recipe, StorageInput

H = date(2026, 1, 1)
#: key: (density t/m³, landfill, substitution, treatment kg CO2e/t, moisture %, N % of dry
#: matter, C:N, max storage days) — the blending properties of shared/material-properties.csv
_PROPS = {
    "manure": ("0.6", "1000", "80", "189", "46", "3.6", "10", 180),
    "straw": ("0.12", "3471", "0", "0", "10", "0.4", "127", 365),
    "timber": ("0.5", "3583", "269.5", "38.5", None, None, None, 90),
}
MATS = tuple(
    MaterialSpec(
        key,
        "t",
        None,
        density_t_per_m3=Decimal(density),
        landfill_kg_per_t=Decimal(landfill),
        substitution_kg_per_t=Decimal(substitution),
        treatment_kg_per_t=Decimal(treatment),
        moisture_pct=Decimal(moisture) if moisture else None,
        nitrogen_pct_dry=Decimal(nitrogen) if nitrogen else None,
        c_to_n=Decimal(cn) if cn else None,
        max_storage_days=days,
    )
    for key, (density, landfill, substitution, treatment, moisture, nitrogen, cn, days) in _PROPS.items()
)
KEYS = ("manure", "straw", "timber")


def _date(rng: random.Random, lo: int, hi: int) -> date:
    return H + timedelta(days=rng.randrange(lo, hi))


def medium_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    days = 180
    offers = []
    for i in range(rng.randint(12, 30)):
        windowed = rng.random() < 0.5
        start = _date(rng, 0, 90) if windowed else None
        offers.append(
            OfferInput(
                id=i + 1,
                material=rng.choice(KEYS),
                lat=43.24 + rng.uniform(-0.1, 0.1),
                lon=76.92 + rng.uniform(-0.12, 0.12),
                quantity=Decimal(rng.randint(5, 60)),
                unit="t",
                period=rng.choice(("once", "month", "week")),
                available_from=start,
                available_until=start + timedelta(days=rng.randrange(10, 90)) if start else None,
                min_lot=None,
                max_distance_km=None,
                current_destination=rng.choice(("landfill", "other_use", "open_burning")),
            )
        )
    needs = []
    for j in range(rng.randint(8, 18)):
        roll = rng.random()
        if roll < 0.45:
            accepted: tuple[str, ...] = ("manure", "straw")
            recipe = Recipe(c_to_n=(Decimal(rng.randint(18, 25)), Decimal(rng.randint(26, 35))))
            if rng.random() < 0.5:
                recipe = Recipe(c_to_n=recipe.c_to_n, moisture_pct=(Decimal(25), Decimal(60)))
        else:
            accepted, recipe = tuple(sorted(rng.sample(KEYS, rng.randint(1, 2)))), None
        windowed = rng.random() < 0.4
        start = _date(rng, 30, 150) if windowed else None
        needs.append(
            NeedInput(
                id=100 + j,
                materials=accepted,
                lat=43.24 + rng.uniform(-0.1, 0.1),
                lon=76.92 + rng.uniform(-0.12, 0.12),
                quantity=Decimal(rng.randint(5, 80)),
                unit="t",
                period=rng.choice(("once", "month", "week")),
                available_from=start,
                available_until=start + timedelta(days=rng.randrange(10, 30)) if start else None,
                min_lot=None,
                max_distance_km=Decimal(rng.randint(12, 40)),
                recipe=recipe,
            )
        )
    yards = tuple(
        StorageInput(
            id=500 + k,
            materials=("timber", "straw"),
            lat=43.24 + rng.uniform(-0.05, 0.05),
            lon=76.92 + rng.uniform(-0.05, 0.05),
            capacity=Decimal(rng.randint(5, 40)),
            unit="t",
            available_from=None,
            available_until=None,
            handling_kg_co2e_per_t=Decimal(3),
        )
        for k in range(rng.choice((0, 1, 2)))
    )
    return Problem(
        tuple(offers),
        tuple(needs),
        MATS,
        horizon_start=H,
        horizon_days=days,
        time_step="month",
        storages=yards,
        objective="net_climate" if seed % 4 == 3 else "divert_then_distance",
    )


def _levels(lp: timed._LP, values: np.ndarray) -> list[float]:
    return [float(vec @ values) for vec, _ in lp.levels]


@pytest.mark.parametrize("block", range(2))
def test_column_generation_reaches_the_whole_lps_optimum_at_every_level(monkeypatch, block: int) -> None:
    monkeypatch.setattr(timed, "CG_NEAREST", 1)
    restricted = priced = compared = 0
    for seed in range(block * 20, block * 20 + 20):
        problem = medium_problem(seed)
        prep = prepare(problem)
        net, arcs = timed._build(prep, GreatCircleDistance(problem.circuity))
        for comp in timed._components(prep, net, arcs):
            if not comp.yards and all(prep.needs[int(n)].recipe is None for n in comp.needs):
                continue
            whole = timed._LP(prep, net, arcs, comp, integer=False)
            full_values, full_proven, full_primary, _ = whole.solve(60.0)
            cg = timed._LP(prep, net, arcs, comp, integer=False)
            cg.start = timed._start_columns(prep, net, arcs, comp, cg.n_cols)
            cg_values, cg_proven, cg_primary, cg_bound = cg.solve(60.0)
            assert full_proven and cg_proven, seed
            assert cg_primary == pytest.approx(full_primary, rel=1e-7, abs=1e-5), seed
            assert cg_bound == pytest.approx(cg_primary, rel=1e-9), seed
            full, mine = _levels(whole, full_values), _levels(cg, cg_values)
            # a later level never trades away an earlier one: compare level by level
            assert mine == pytest.approx(full, rel=1e-6, abs=1e-4), seed
            restricted += int(cg.start.sum()) < cg.n_cols
            priced += cg.rounds > 0
            compared += 1
    # the instances do exercise a restricted start and rounds of pricing
    assert compared >= 15
    assert restricted >= 10
    assert priced >= 5


def test_a_large_blend_component_is_solved_by_column_generation_with_the_same_levels(monkeypatch) -> None:
    """Through ``solve``: with column generation forced on every LP, the flows reach the same
    lexicographic values as with the whole LP."""
    problem = medium_problem(5)
    whole = solve(problem)
    monkeypatch.setattr(timed, "CG_MIN_COLUMNS", 0)
    monkeypatch.setattr(timed, "CG_NEAREST", 1)
    cg = solve(problem)
    assert cg.stats["lp"]["rounds"] > 0
    assert cg.diverted_kg == pytest.approx(whole.diverted_kg, abs=1e-6)
    assert cg.other_moved_kg == pytest.approx(whole.other_moved_kg, abs=1e-6)
    assert cg.tkm == pytest.approx(whole.tkm, rel=1e-6, abs=1e-3)
    assert cg.proven_optimal == whole.proven_optimal


def _blend_lp(seed: int) -> tuple[timed._LP, timed._LP]:
    """A blend or yard component of ``medium_problem(seed)`` as two column-generation LPs."""
    problem = medium_problem(seed)
    prep = prepare(problem)
    net, arcs = timed._build(prep, GreatCircleDistance(problem.circuity))
    comp = next(c for c in timed._components(prep, net, arcs) if timed._needs_lp(prep, c))
    out = []
    for _ in range(2):
        lp = timed._LP(prep, net, arcs, comp, integer=False)
        lp.start = timed._start_columns(prep, net, arcs, comp, lp.n_cols)
        out.append(lp)
    return out[0], out[1]


def test_a_round_that_fails_numerically_is_solved_again_by_dual_simplex(monkeypatch) -> None:
    """HiGHS's interior point once answered "infeasible" on a feasible restricted LP (the 5k
    benchmark's last pricing round): the round is solved again by dual simplex, and the levels
    reach the same values as a run without the failure. The failure is injected in front of the
    real solver; every answer used comes from HiGHS."""
    reference, injected = _blend_lp(5)
    ref_values, ref_proven, ref_primary, _ = reference.solve(60.0)
    assert ref_proven and reference.retries == 0
    real = timed._LP._run
    calls: list[object] = []

    def failing_once(self, cols, vec, maximise, bounds, fixed, seconds, algorithm=None):
        calls.append(algorithm)
        if len(calls) == 2:  # the second round of the first level
            failed = result_pb2.SolveResultProto()
            failed.termination.reason = result_pb2.TERMINATION_REASON_INFEASIBLE
            return failed
        return real(self, cols, vec, maximise, bounds, fixed, seconds, algorithm)

    monkeypatch.setattr(timed._LP, "_run", failing_once)
    values, proven, primary, bound = injected.solve(60.0)
    assert injected.retries == 1
    assert calls[2] == mathopt.LPAlgorithm.DUAL_SIMPLEX
    assert all(a is None for i, a in enumerate(calls) if i != 2)
    assert proven
    assert primary == pytest.approx(ref_primary, rel=1e-9)
    assert bound == pytest.approx(primary, rel=1e-9)
    assert _levels(injected, values) == pytest.approx(_levels(reference, ref_values), rel=1e-6, abs=1e-4)


@pytest.mark.parametrize(
    ("reason", "limit", "failed"),
    [
        ("TERMINATION_REASON_OPTIMAL", "LIMIT_UNSPECIFIED", False),
        ("TERMINATION_REASON_INFEASIBLE", "LIMIT_UNSPECIFIED", True),
        ("TERMINATION_REASON_NUMERICAL_ERROR", "LIMIT_UNSPECIFIED", True),
        ("TERMINATION_REASON_IMPRECISE", "LIMIT_UNSPECIFIED", True),
        # our own time limit is not a failure: the last optimal round stands
        ("TERMINATION_REASON_NO_SOLUTION_FOUND", "LIMIT_TIME", False),
        ("TERMINATION_REASON_FEASIBLE", "LIMIT_TIME", False),
        ("TERMINATION_REASON_NO_SOLUTION_FOUND", "LIMIT_SLOW_PROGRESS", True),
        ("TERMINATION_REASON_NO_SOLUTION_FOUND", "LIMIT_UNDETERMINED", True),
    ],
)
def test_which_terminations_count_as_a_numerical_failure(reason: str, limit: str, failed: bool) -> None:
    termination = result_pb2.TerminationProto(
        reason=result_pb2.TerminationReasonProto.Value(reason), limit=result_pb2.LimitProto.Value(limit)
    )
    assert timed._numerical_failure(termination) is failed
