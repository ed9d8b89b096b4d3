"""The engine's optima equal an independent HiGHS formulation on hundreds of random instances."""

import pytest
from engine_support import exact_diverted_kg, random_problem, reference_optimum

from matching.engine import solve

SEEDS = range(160)


def _tolerance_tkm(diverted_kg: float) -> float:
    # the engine optimises whole metres: each unit's trip may differ from the float by 0.5 m
    return diverted_kg / 1000 * 0.0011 + 1e-7


@pytest.mark.parametrize("seed", SEEDS)
def test_it_reaches_the_reference_optimum_of_both_objectives(seed):
    problem = random_problem(seed)
    solution = solve(problem)
    reference = reference_optimum(problem)
    assert solution.proven_optimal
    assert exact_diverted_kg(solution) == pytest.approx(reference.diverted_kg, rel=1e-9, abs=1e-6)
    assert solution.tkm == pytest.approx(reference.tkm, abs=_tolerance_tkm(reference.diverted_kg))

    climate = random_problem(seed, objective="net_climate")
    solution = solve(climate)
    reference = reference_optimum(climate)
    assert solution.proven_optimal
    # mg resolution per base unit: at most 1 mg per kg or piece moved
    assert solution.net_co2e_kg == pytest.approx(
        reference.net_co2e_kg, rel=1e-7, abs=1e-6 * (exact_diverted_kg(solution) + reference.diverted_kg + 1)
    )
    assert solution.bound == pytest.approx(solution.net_co2e_kg)


@pytest.mark.parametrize("seed", range(1000, 1080))
def test_it_reaches_the_reference_optimum_when_minimum_lots_make_it_discrete(seed):
    problem = random_problem(seed, lots=True)
    solution = solve(problem)
    reference = reference_optimum(problem)
    assert solution.proven_optimal
    assert exact_diverted_kg(solution) == pytest.approx(reference.diverted_kg, rel=1e-9, abs=1e-6)
    assert solution.tkm == pytest.approx(reference.tkm, abs=_tolerance_tkm(reference.diverted_kg))

    climate = random_problem(seed, lots=True, objective="net_climate")
    solution = solve(climate)
    reference = reference_optimum(climate)
    assert solution.proven_optimal
    assert solution.net_co2e_kg == pytest.approx(
        reference.net_co2e_kg, rel=1e-7, abs=1e-6 * (exact_diverted_kg(solution) + reference.diverted_kg + 1)
    )


def test_the_random_instances_exercise_lots_pieces_cp_sat_and_several_components():
    """Guard against a generator that silently stops producing the interesting cases."""
    solutions = [solve(random_problem(seed)) for seed in SEEDS]
    contested = [solve(random_problem(seed, lots=True)) for seed in range(1000, 1080)]
    assert sum(s.stats["discrete_components"] > 0 for s in solutions) >= 15
    assert sum(s.stats["components"] > 1 for s in solutions) >= 20
    assert sum(any(f.unit == "piece" for f in s.flows) for s in solutions) >= 20
    assert sum(s.stats["cp_sat_components"] > 0 for s in contested) >= 25
