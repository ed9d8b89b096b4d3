"""The lots search reaches the optimum of an independent CP-SAT model on hundreds of components.

Each instance is a random small, contested component built directly (2-7 offers and needs,
sizeable lots on about half the listings, mixed waste-bound and other-use offers), so that the
relaxation breaks lots often and the branch and bound has to go deep. The reference is a
semi-continuous CP-SAT model written here from scratch — one integer and one switch per arc,
"at most" rows per offer and need — solved level by level (waste-bound units moved, then all
units, then transport cost, each optimum fixed before the next; net value alone for
``net_climate``). It shares nothing with the engine; the levels are integers, compared exactly.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from ortools.sat.python import cp_model

from matching.engine.components import Component
from matching.engine.discrete import solve_discrete
from matching.engine.flow import solve_min_cost_flow
from matching.engine.lots import branch_and_bound, levels, violated


def random_component(seed: int, objective: str) -> Component:
    rng = random.Random(seed)
    n_off, n_need = rng.randint(2, 7), rng.randint(2, 7)
    supply = [rng.randint(1, 30) for _ in range(n_off)]
    demand = [rng.randint(1, 30) for _ in range(n_need)]
    offer_lot = [rng.randint(2, max(2, s)) if rng.random() < 0.5 else 0 for s in supply]
    need_lot = [rng.randint(2, max(2, d)) if rng.random() < 0.5 else 0 for d in demand]
    waste = [rng.random() < 0.6 for _ in range(n_off)]
    arcs: list[tuple[int, int, int, int]] = []
    for o in range(n_off):
        for n in range(n_need):
            lot = max(offer_lot[o], need_lot[n])
            # a lot that fits neither end makes the pair useless (the candidates drop it)
            if rng.random() < 0.7 and lot <= min(supply[o], demand[n]):
                cost = rng.randint(1, 200) if objective == "divert_then_distance" else -rng.randint(1, 200)
                arcs.append((o, n, cost, lot))
    if not arcs:
        arcs.append((0, 0, 1 if objective == "divert_then_distance" else -1, 0))
    a_off, a_need, a_cost, a_lot = (np.array(column, dtype=np.int64) for column in zip(*arcs, strict=True))
    return Component(
        offers=np.arange(n_off),
        needs=np.arange(n_need),
        arc_offer=a_off,
        arc_need=a_need,
        distance_km=np.ones(len(arcs)),
        cost=a_cost,
        lot=a_lot,
        supply=np.array(supply, dtype=np.int64),
        demand=np.array(demand, dtype=np.int64),
        waste=np.array(waste, dtype=bool),
        unit_mass_kg=Fraction(1),
        unit="kg",
    )


def reference_levels(c: Component, objective: str) -> tuple[int, ...]:
    """The optimum by an independent CP-SAT model, lexicographic level by level."""
    model = cp_model.CpModel()
    arcs = list(zip(c.arc_offer.tolist(), c.arc_need.tolist(), c.cost.tolist(), c.lot.tolist(), strict=True))
    x = []
    for k, (o, n, _, lot) in enumerate(arcs):
        cap = min(int(c.supply[o]), int(c.demand[n]))
        var = model.new_int_var(0, cap, f"x{k}")
        if lot > 1:
            on = model.new_bool_var(f"on{k}")
            model.add(var >= lot).only_enforce_if(on)
            model.add(var == 0).only_enforce_if(~on)
        x.append(var)
    for o in range(c.supply.size):
        model.add(sum(x[k] for k, a in enumerate(arcs) if a[0] == o) <= int(c.supply[o]))
    for n in range(c.demand.size):
        model.add(sum(x[k] for k, a in enumerate(arcs) if a[1] == n) <= int(c.demand[n]))
    waste_expr = sum(x[k] for k, a in enumerate(arcs) if bool(c.waste[a[0]]))
    units_expr = sum(x)
    cost_expr = sum(a[2] * x[k] for k, a in enumerate(arcs))
    if objective == "net_climate":
        goals = [-cost_expr]
    else:
        goals = [waste_expr, units_expr, -cost_expr]
    values = []
    for goal in goals:
        model.maximize(goal)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 30
        assert solver.solve(model) == cp_model.OPTIMAL
        best = round(solver.objective_value)
        values.append(best)
        model.add(goal == best)
    return tuple(values)


def respects_the_model(c: Component, flows: np.ndarray) -> bool:
    out = np.bincount(c.arc_offer, weights=flows, minlength=c.supply.size)
    into = np.bincount(c.arc_need, weights=flows, minlength=c.demand.size)
    return bool(
        (flows >= 0).all()
        and (out <= c.supply).all()
        and (into <= c.demand).all()
        and not violated(c, flows).size
    )


OBJECTIVES = ("divert_then_distance", "net_climate")
SEEDS = range(300)


def contested(objective: str):
    """(component, relaxed flows) of every seed whose relaxation breaks a lot."""
    for seed in SEEDS:
        c = random_component(seed, objective)
        relaxed = solve_min_cost_flow(c, objective).flows
        if violated(c, relaxed).size:
            yield c, relaxed


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_search_reaches_the_reference_optimum(seed, objective):
    c = random_component(seed, objective)
    result = solve_discrete(c, objective, seconds=30)
    assert result.proven_optimal and result.method in ("relaxation", "branch_and_bound")
    assert respects_the_model(c, result.flows)
    assert levels(c, result.flows, objective) == reference_levels(c, objective)


@pytest.mark.parametrize("hops", [0, 1])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_small_working_sets_and_neighbourhoods_still_reach_the_optimum(objective, hops):
    """The priced node models start from the root's flows and the lot arcs only, so pricing must
    bring in the arcs; children are re-solved around their branching arc's listings (hops=0) or
    those and their neighbours (1), so the boundary flows and the certificate are exercised."""
    searched = 0
    for c, relaxed in contested(objective):
        searched += 1
        search = branch_and_bound(c, objective, relaxed, seconds=30, per_listing=0, hops=hops)
        assert search.proven_optimal and respects_the_model(c, search.flows)
        assert search.levels == levels(c, search.flows, objective) == reference_levels(c, objective)
    assert searched >= 120


def test_the_random_components_make_the_search_branch_deep():
    """Guard against a generator that stops producing the interesting cases."""
    nodes = [
        branch_and_bound(c, objective, relaxed, seconds=30).nodes
        for objective in OBJECTIVES
        for c, relaxed in contested(objective)
    ]
    assert len(nodes) >= 250  # most relaxations break a lot
    assert sum(n >= 9 for n in nodes) >= 45  # and many searches solve nine or more nodes
    mixed = [random_component(seed, "divert_then_distance").mixed for seed in SEEDS]
    assert sum(mixed) >= 150


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(40))
def test_when_the_node_budget_runs_out_cp_sat_finishes_the_proof(seed, objective):
    c = random_component(seed, objective)
    result = solve_discrete(c, objective, seconds=30, max_nodes=1)
    assert result.proven_optimal
    assert respects_the_model(c, result.flows)
    assert levels(c, result.flows, objective) == reference_levels(c, objective)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_a_budget_of_one_node_hands_most_searches_to_cp_sat(objective):
    methods = [
        solve_discrete(random_component(seed, objective), objective, seconds=30, max_nodes=1).method
        for seed in range(40)
    ]
    assert methods.count("cp_sat") >= 10


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_a_search_stopped_early_keeps_a_feasible_incumbent_and_a_valid_bound(objective):
    stopped = 0
    for c, relaxed in contested(objective):
        search = branch_and_bound(c, objective, relaxed, seconds=30, max_nodes=3)
        optimum = reference_levels(c, objective)
        assert respects_the_model(c, search.flows)
        assert search.levels == levels(c, search.flows, objective) <= optimum <= search.bound
        if not search.proven_optimal:
            stopped += 1
            assert search.exhausted == "nodes"
    assert stopped >= 20


def test_the_search_is_deterministic():
    for seed in range(0, 300, 7):
        c = random_component(seed, "divert_then_distance")
        first = solve_discrete(c, "divert_then_distance", seconds=30)
        again = solve_discrete(c, "divert_then_distance", seconds=30)
        assert np.array_equal(first.flows, again.flows) and first.nodes == again.nodes
