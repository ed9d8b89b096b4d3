"""Same data, same proposals: under shuffling, after splitting, in parallel."""

import dataclasses
import random
import sys
from pathlib import Path

import pytest
from engine_support import random_problem

from matching.engine import merge, solve, split_components

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.instances import InstanceShape, generate  # noqa: E402


def shuffled(problem, seed):
    rng = random.Random(seed)
    offers, needs, materials = list(problem.offers), list(problem.needs), list(problem.materials)
    rng.shuffle(offers), rng.shuffle(needs), rng.shuffle(materials)
    return dataclasses.replace(problem, offers=tuple(offers), needs=tuple(needs), materials=tuple(materials))


@pytest.fixture(scope="module")
def city():
    return generate(InstanceShape(400, 400, seed=7, min_lot_share=0.02, declined_share=0.5))


def test_identical_input_in_any_order_gives_identical_flows(city):
    first = solve(city)
    for seed in range(3):
        assert solve(shuffled(city, seed)) == first


@pytest.mark.parametrize("seed", range(30))
def test_small_instances_are_order_independent_for_both_objectives(seed):
    for objective in ("divert_then_distance", "net_climate"):
        problem = random_problem(seed, objective=objective)
        assert solve(shuffled(problem, seed)) == solve(problem)


@pytest.mark.parametrize("seed", range(1000, 1020))
def test_cp_sat_instances_with_mixed_fates_are_order_independent(seed):
    # minimum lots and every current destination: the three CP-SAT levels, seeded and single-worker
    problem = random_problem(seed, lots=True)
    assert solve(shuffled(problem, seed)) == solve(problem)


def test_the_city_mixes_waste_bound_supply_and_supply_in_other_use(city):
    solution = solve(city)
    assert 0 < solution.waste_kg < solution.supply_kg
    assert solution.diverted_kg > 0 and solution.other_moved_kg > 0


def test_solving_components_apart_and_merging_gives_the_whole_solution(city):
    whole = solve(city)
    parts = split_components(city)
    assert len(parts) == whole.stats["components"] + 1  # plus the listings without any arc
    assert merge(solve(part) for part in reversed(parts)) == whole
    assert sum(len(p.offers) for p in parts) == len(city.offers)


def test_forked_workers_give_the_serial_flows(city):
    assert solve(city, workers=2) == solve(city)


def test_flows_are_sorted_by_offer_then_need(city):
    flows = solve(city).flows
    assert [(f.offer_id, f.need_id) for f in flows] == sorted((f.offer_id, f.need_id) for f in flows)


def test_the_net_climate_objective_is_deterministic_on_a_city(city):
    climate = dataclasses.replace(city, objective="net_climate")
    assert solve(shuffled(climate, 1)) == solve(climate)
