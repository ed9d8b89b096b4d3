"""The public entry points: ``solve``, ``split_components`` and ``merge``.

``solve`` is literally "split into components, solve each, merge": the same code path whether a
problem is solved in one process or fanned out over Celery workers, so both give identical
flows.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from typing import Any

import numpy as np

from .candidates import Arcs, candidate_arcs
from .components import Component, find_components
from .discrete import DiscreteResult, solve_discrete
from .distance import DistanceProvider, GreatCircleDistance
from .errors import SolverTimeout
from .flow import FlowResult, solve_min_cost_flow
from .prepare import Prepared, prepare
from .problem import Problem, Solution
from .results import (
    OfferKeys,
    _isolated_solution,
    _masses_kg_array,
    _new_flows,
    _split_masses_kg,
    _waste_split_arrays,
    merge,
)
from .scaling import KG_PER_TONNE, MG_PER_KG_CO2E
from .timed import needs_timed_path, solve_timed


def _provider(problem: Problem, distance_provider: DistanceProvider | None) -> DistanceProvider:
    return distance_provider if distance_provider is not None else GreatCircleDistance(problem.circuity)


#: the last problem solved and its preparation, for :func:`prepared_for` (one entry)
_LAST_PREPARED: list[tuple[Problem, Prepared]] = []


def prepared_for(problem: Problem, *, forget: bool = True) -> Prepared:
    """``prepare(problem)``, reusing the preparation of the solve just done on this very object
    (``matching.engine.diagnose`` runs right after a solve); ``forget`` frees the cached one."""
    cached = _LAST_PREPARED[0] if _LAST_PREPARED else None
    if forget:
        _LAST_PREPARED.clear()
    if cached is not None and cached[0] is problem:
        return cached[1]
    return prepare(problem)


def _analyse(
    problem: Problem, distance_provider: DistanceProvider | None
) -> tuple[Prepared, Arcs, list[Component], dict[str, float]]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    prep = prepare(problem)
    _LAST_PREPARED[:] = [(problem, prep)]
    t1 = time.perf_counter()
    arcs = candidate_arcs(prep, _provider(problem, distance_provider))
    t2 = time.perf_counter()
    components = find_components(prep, arcs)
    t3 = time.perf_counter()
    timings.update(prepare=t1 - t0, candidates=t2 - t1, components=t3 - t2)
    return prep, arcs, components, timings


def _component_solution(
    prep: Prepared, keys: OfferKeys, comp: Component, result: FlowResult, seconds: float
) -> Solution:
    objective = prep.problem.objective
    unit_mass = comp.unit_mass_kg
    used = np.flatnonzero(result.flows > 0)
    o_pos = comp.offers[comp.arc_offer[used]]
    n_pos = comp.needs[comp.arc_need[used]]
    offer_id, need_id = prep.offer_id[o_pos], prep.need_id[n_pos]
    # the flows by (offer id, need id), the order of Solution.flows (each pair is one arc)
    order = np.lexsort((need_id, offer_id))
    used, o_pos, offer_id, need_id = used[order], o_pos[order], offer_id[order], need_id[order]
    quantity = result.flows[used]
    distance = comp.distance_km[used]
    mass_t = quantity * (float(unit_mass) / KG_PER_TONNE)
    freight = float(prep.problem.road_freight_kg_per_tkm)
    tkm = math.fsum((mass_t * distance).tolist())
    net = math.fsum((mass_t * (prep.offer_gross_per_t[o_pos] - distance * freight)).tolist())
    flows = _new_flows(
        offer_id.tolist(),
        need_id.tolist(),
        keys.material[o_pos].tolist(),
        quantity.tolist(),
        comp.unit,
        _masses_kg_array(quantity, unit_mass).tolist(),
        distance.tolist(),
    )
    out = np.zeros(comp.supply.size, dtype=np.int64)
    np.add.at(out, comp.arc_offer[used], quantity)
    supply_kg = _masses_kg_array(comp.supply, unit_mass)
    left_kg = _masses_kg_array(comp.supply - out, unit_mass)
    masses = _split_masses_kg(supply_kg, left_kg, comp.waste)
    split = _waste_split_arrays(prep, keys, comp.offers, supply_kg, left_kg)
    if objective == "divert_then_distance":
        # the primary objective, waste-bound mass moved, at full precision (pieces unrounded)
        exact_waste = float(int(out[comp.waste].sum()) * unit_mass)
        bound = exact_waste if result.proven_optimal else result.primary_bound_units * float(unit_mass)
    else:
        bound = net if result.proven_optimal else result.primary_bound_units / MG_PER_KG_CO2E
    return Solution(
        flows=tuple(flows),
        objective=objective,
        proven_optimal=result.proven_optimal,
        bound=bound,
        **asdict(masses),
        tkm=tkm,
        net_co2e_kg=net,
        stats={
            "offers": int(comp.offers.size),
            "needs": int(comp.needs.size),
            "arcs": comp.num_arcs,
            "components": 1,
            "discrete_components": int(comp.is_discrete),
            # components whose relaxation broke a lot, so that a search was needed; of those, the
            # ones that fell back on CP-SAT; and the min-cost flows the search solved
            "lot_search_components": int(result.method in ("branch_and_bound", "cp_sat")),
            "cp_sat_components": int(result.method == "cp_sat"),
            "lot_search_nodes": result.nodes if isinstance(result, DiscreteResult) else 0,
            "solve_seconds": seconds,
            **split,
        },
    )


def solve(
    problem: Problem,
    distance_provider: DistanceProvider | None = None,
    *,
    require_proven_optimal: bool = False,
    workers: int = 1,
) -> Solution:
    """Solve ``problem`` to proven optimality for its objective, or as far as the time allows.

    Components without minimum lots are solved exactly by min-cost flow; components with lots
    by the relaxation, then, if it breaks a lot, by a branch and bound over min-cost flows (CP-SAT
    once its node budget runs out). Identical input (in any order) gives identical flows. If the
    time limit stops the search first, the best solution is returned with ``proven_optimal=False``
    and ``bound`` set — or, with ``require_proven_optimal=True``, :class:`SolverTimeout` is raised
    carrying both.

    ``workers`` > 1 solves the min-cost-flow components in that many forked processes (largest
    first); the flows are identical to a serial solve. Where processes cannot be forked (a
    daemonic worker) it falls back to solving serially.

    Raises :class:`InfeasibleInput` for malformed input and :class:`ScalingOverflow` when the
    integer model would not fit in 64 bits.
    """
    started = time.perf_counter()
    deadline = started + problem.time_limit_s
    if needs_timed_path(problem):
        # issue 13: time buckets, yards and blends; ``time_step='none'`` without recipes stays below
        provider = _provider(problem, distance_provider)
        solution, prep = solve_timed(problem, provider, deadline, workers=workers)
        _LAST_PREPARED[:] = [(problem, prep)]
        if require_proven_optimal and not solution.proven_optimal:
            raise SolverTimeout(
                f"time limit of {problem.time_limit_s} s reached before optimality was proven",
                bound=solution.bound,
                solution=solution,
            )
        return solution
    prep, arcs, components, timings = _analyse(problem, distance_provider)
    del arcs  # the components hold their own slices; free the global arrays before solving
    t = time.perf_counter()
    flow_results = _solve_flow_components(components, problem.objective, workers)
    flow_seconds = time.perf_counter() - t
    parts = []
    keys = OfferKeys(prep)
    # arcs of the discrete components still to solve: what is left of the time limit is shared
    # among them in proportion to their arcs (most relaxations respect the lots at once)
    discrete_left = sum(c.num_arcs for c in components if c.is_discrete)
    discrete_seconds = 0.0
    for index, comp in enumerate(components):
        result: FlowResult
        if comp.is_discrete:
            t = time.perf_counter()
            budget = max(deadline - t, 0.0) * comp.num_arcs / discrete_left
            result = solve_discrete(comp, problem.objective, seconds=budget)
            discrete_left -= comp.num_arcs
            elapsed = time.perf_counter() - t
            discrete_seconds += elapsed
        else:
            result, elapsed = flow_results[index]
        parts.append(_component_solution(prep, keys, comp, result, elapsed))
    parts.append(_isolated_solution(prep, components))
    solution = merge(parts)
    timings.update(flow=flow_seconds, discrete=discrete_seconds, total=time.perf_counter() - started)
    stats = dict(solution.stats)
    stats.update(
        candidate_seconds=timings["candidates"],
        solve_seconds=flow_seconds + discrete_seconds,
        timings=timings,
    )
    solution = _replace_stats(solution, stats)
    if require_proven_optimal and not solution.proven_optimal:
        raise SolverTimeout(
            f"time limit of {problem.time_limit_s} s reached before optimality was proven",
            bound=solution.bound,
            solution=solution,
        )
    return solution


#: components handed to forked workers; set just before the pool forks, so children inherit it
_FORKED: list[Component] = []


def _solve_forked(index: int, objective: str) -> tuple[FlowResult, float]:
    t = time.perf_counter()
    result = solve_min_cost_flow(_FORKED[index], objective)
    return result, time.perf_counter() - t


def _solve_flow_components(
    components: list[Component], objective: str, workers: int
) -> dict[int, tuple[FlowResult, float]]:
    """Min-cost-flow results (with seconds) of every non-discrete component, by index."""
    todo = [i for i, c in enumerate(components) if not c.is_discrete]
    if workers > 1 and len(todo) > 1:
        global _FORKED
        _FORKED = components
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                # largest first, so the two biggest components do not end up on one core
                ordered = sorted(todo, key=lambda i: -components[i].num_arcs)
                futures = {i: pool.submit(_solve_forked, i, objective) for i in ordered}
                return {i: futures[i].result() for i in todo}
        except (AssertionError, OSError, BrokenProcessPool):
            pass  # no forking here (e.g. inside a daemonic pool worker): solve serially below
        finally:
            _FORKED = []
    results = {}
    for i in todo:
        t = time.perf_counter()
        results[i] = (solve_min_cost_flow(components[i], objective), time.perf_counter() - t)
    return results


def _replace_stats(solution: Solution, stats: dict[str, Any]) -> Solution:
    return Solution(**{**{f: getattr(solution, f) for f in solution.__dataclass_fields__}, "stats": stats})


def split_components(problem: Problem, distance_provider: DistanceProvider | None = None) -> list[Problem]:
    """Independent sub-problems whose solutions :func:`merge` back into ``solve(problem)``.

    One sub-problem per connected component of the candidate arcs (in the order ``solve`` uses:
    smallest offer id, then smallest need id), plus, last, one holding every listing without a
    candidate arc so that its supply is still counted (as left in its fate). Each keeps the parent's
    parameters, the materials it uses and the declined pairs among its listings.

    A problem over time buckets or with blending needs (issue 13) is not split: yards join
    components of different materials, so it comes back whole, as the only sub-problem.
    """
    if needs_timed_path(problem):
        return [problem]
    prep, _, components, _ = _analyse(problem, distance_provider)
    groups: list[tuple[list[int], list[int]]] = [
        (comp.offers.tolist(), comp.needs.tolist()) for comp in components
    ]
    taken_o = {p for offers, _ in groups for p in offers}
    taken_n = {p for _, needs in groups for p in needs}
    rest_o = [p for p in range(len(prep.offers)) if p not in taken_o]
    rest_n = [p for p in range(len(prep.needs)) if p not in taken_n]
    if rest_o or rest_n:
        groups.append((rest_o, rest_n))
    problems = []
    for offer_pos, need_pos in groups:
        offers = tuple(prep.offers[p] for p in offer_pos)
        needs = tuple(prep.needs[p] for p in need_pos)
        keys = {o.material for o in offers} | {m for n in needs for m in n.materials}
        offer_ids = {o.id for o in offers}
        need_ids = {n.id for n in needs}
        problems.append(
            Problem(
                offers=offers,
                needs=needs,
                materials=tuple(m for m in problem.materials if m.key in keys),
                objective=problem.objective,
                horizon_start=problem.horizon_start,
                horizon_days=problem.horizon_days,
                circuity=problem.circuity,
                declined_pairs=frozenset(
                    (a, b) for a, b in problem.declined_pairs if a in offer_ids and b in need_ids
                ),
                road_freight_kg_per_tkm=problem.road_freight_kg_per_tkm,
                time_limit_s=problem.time_limit_s,
            )
        )
    return problems


__all__ = ["solve", "split_components", "merge"]
