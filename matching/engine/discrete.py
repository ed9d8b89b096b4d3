"""Components with minimum lots: a flow is 0 or at least the lot of both ends.

First the min-cost-flow relaxation (lots ignored) is solved. Its optimum bounds the discrete
optimum, so when it happens to respect every lot it *is* the discrete optimum. Otherwise the
branch and bound of :mod:`.lots`, whose nodes are min-cost flows, finds and proves the
lexicographic optimum. Only when its node budget runs out does CP-SAT take over, on the
semi-continuous model of the whole component, hinted with the search's best solution.

CP-SAT's ``divert_then_distance`` is one solve per lexicographic level, each optimum fixed before
the next: (1) the most waste-bound units moved, (2) the most units moved in all, (3) the least
transport (a component whose offers are all waste-bound, or none, merges levels 1 and 2). The
relaxation's optima of levels 1 and 2 bound the discrete ones and are added as cuts. CP-SAT runs
with a fixed seed and a fixed worker count, because results can differ with the worker count (or-tools
#3842). If the time limit is hit the best solution found is returned with the tighter of the
search's and CP-SAT's bounds and ``proven_optimal`` false.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .components import Component
from .errors import SolverFailure
from .flow import FlowResult, solve_min_cost_flow
from .lots import MAX_NODES, branch_and_bound, levels
from .scaling import check_linear_range

CPSAT_RANDOM_SEED = 20190601
#: one worker: single-threaded CP-SAT search is reproducible run after run
CPSAT_NUM_WORKERS = 1


@dataclass(frozen=True)
class DiscreteResult(FlowResult):
    """A component's flows with lots, and how many min-cost flows the search solved for it."""

    nodes: int = 1


def lots_respected(component: Component, flows: np.ndarray) -> bool:
    """Every flow is 0 or at least the arc's lot."""
    used = flows > 0
    return bool(np.all(flows[used] >= component.lot[used]))


class _Model:
    """The semi-continuous model of a component; built once, re-solved per lexicographic stage."""

    def __init__(self, component: Component) -> None:
        self.model = cp_model.CpModel()
        self.cap = np.minimum(component.supply[component.arc_offer], component.demand[component.arc_need])
        self.x = [self.model.new_int_var(0, int(c), f"x{a}") for a, c in enumerate(self.cap.tolist())]
        for a, (lot, cap) in enumerate(zip(component.lot.tolist(), self.cap.tolist(), strict=True)):
            if lot > 1:
                # either no flow or at least the larger of the two ends' lots
                used = self.model.new_bool_var(f"y{a}")
                self.model.add(self.x[a] >= lot * used)
                self.model.add(self.x[a] <= cap * used)
        by_offer: dict[int, list[cp_model.IntVar]] = {}
        by_need: dict[int, list[cp_model.IntVar]] = {}
        for a, (o, n) in enumerate(
            zip(component.arc_offer.tolist(), component.arc_need.tolist(), strict=True)
        ):
            by_offer.setdefault(o, []).append(self.x[a])
            by_need.setdefault(n, []).append(self.x[a])
        # flow out of an offer ≤ its supply within the horizon
        for o, xs in sorted(by_offer.items()):
            self.model.add(sum(xs) <= int(component.supply[o]))
        # flow into a need ≤ its demand within the horizon
        for n, xs in sorted(by_need.items()):
            self.model.add(sum(xs) <= int(component.demand[n]))

    def expr(self, coefficients: np.ndarray) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(self.x, [int(c) for c in coefficients.tolist()])

    def hint(self, values: np.ndarray) -> None:
        self.model.clear_hints()  # type: ignore[no-untyped-call]  # OR-Tools leaves it unannotated
        for var, value in zip(self.x, values.tolist(), strict=True):
            self.model.add_hint(var, int(value))

    def solve(self, seconds: float) -> tuple[cp_model.CpSolverStatus, np.ndarray | None, float | None]:
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = CPSAT_RANDOM_SEED
        solver.parameters.num_workers = CPSAT_NUM_WORKERS
        # a single worker's default search closes the transport-cost gap very slowly (the big-M
        # lot links give a weak LP bound); LP-guided tree search proves these in milliseconds
        solver.parameters.optimize_with_lb_tree_search = True
        solver.parameters.max_time_in_seconds = max(seconds, 0.01)
        status = solver.solve(self.model)
        if status in (cp_model.MODEL_INVALID, cp_model.INFEASIBLE):
            raise SolverFailure(f"CP-SAT: {solver.status_name(status)}", status=solver.status_name(status))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = np.array([solver.value(v) for v in self.x], dtype=np.int64)
            return status, values, float(solver.best_objective_bound)
        # no solution within the limit: CP-SAT's bound is not meaningful then
        return status, None, None


def _tighter(cp_sat_bound: float | None, relaxation_bound: float) -> float:
    """The smaller of two upper bounds; CP-SAT's is missing when it found no solution."""
    return float(relaxation_bound if cp_sat_bound is None else min(cp_sat_bound, relaxation_bound))


def _levels(component: Component, values: np.ndarray) -> tuple[int, ...]:
    """(waste-bound units moved, units moved, −transport cost): larger is better, in this order."""
    return levels(component, values, "divert_then_distance")


def _lexicographically_better(component: Component, candidate: np.ndarray, incumbent: np.ndarray) -> bool:
    """More waste-bound units moved; or as many and more units moved; or both and no more transport."""
    return _levels(component, candidate) >= _levels(component, incumbent)


def _cp_sat(
    component: Component, objective: str, relaxed: FlowResult, incumbent: np.ndarray, seconds: float
) -> FlowResult:
    """CP-SAT over the whole component, hinted with ``incumbent``: the search's fallback."""
    started = time.perf_counter()
    model = _Model(component)

    def remaining() -> float:
        return seconds - (time.perf_counter() - started)

    if objective == "net_climate":
        value = -component.cost
        check_linear_range(coefficients=value, upper_bounds=model.cap, what="net value")
        model.hint(incumbent)
        # the relaxation's value bounds the discrete one: a valid cut that speeds the proof
        model.model.add(model.expr(value) <= int(relaxed.primary_bound_units))
        model.model.maximize(model.expr(value))
        status, values, bound = model.solve(remaining())
        if values is None or int(np.dot(values, value)) < int(np.dot(incumbent, value)):
            values = incumbent
        proven = status == cp_model.OPTIMAL
        best_bound = float(np.dot(values, value)) if proven else _tighter(bound, relaxed.primary_bound_units)
        return FlowResult(values, proven, best_bound, "cp_sat")

    # one maximisation per level of units (all units weigh the same in a component): waste-bound
    # units first, then all units; a component with one class of supply has a single such level
    ones = np.ones(component.num_arcs, dtype=np.int64)
    waste = component.arc_waste.astype(np.int64)
    relaxed_levels = _levels(component, relaxed.flows)
    levels: list[tuple[np.ndarray, int]] = []
    if component.mixed:
        levels.append((waste, relaxed_levels[0]))
    levels.append((ones, relaxed_levels[1]))
    check_linear_range(coefficients=component.cost, upper_bounds=model.cap, what="transport cost")

    values = incumbent
    proven = True
    primary_bound = float(relaxed_levels[0])
    for index, (coefficients, relaxed_bound) in enumerate(levels):
        expr = model.expr(coefficients)
        # the relaxation's optimum of this level bounds the discrete one: a valid cut
        model.model.add(expr <= relaxed_bound)
        model.model.clear_objective()  # type: ignore[no-untyped-call]  # OR-Tools leaves it unannotated
        model.model.maximize(expr)
        model.hint(values)
        stages_left = len(levels) - index + 1  # this level, the next ones and transport
        status, found, bound = model.solve(remaining() / stages_left)
        if found is not None and _lexicographically_better(component, found, values):
            values = found
        achieved = int(np.dot(values, coefficients))
        level_proven = proven and status == cp_model.OPTIMAL
        if index == 0 and component.waste.any():
            # the primary objective: waste-bound units (= all units when every offer is waste-bound)
            primary_bound = float(achieved) if level_proven else _tighter(bound, relaxed_bound)
        # fix the optimum before the next level; without a proof the next level may still find
        # more here, but never less
        model.model.add(expr == achieved if level_proven else expr >= achieved)
        proven = level_proven
    if not component.waste.any():
        primary_bound = 0.0  # nothing here is waste-bound: the primary objective is 0 for sure

    # last level: least transport among the flows that reach every optimum above
    model.model.clear_objective()  # type: ignore[no-untyped-call]  # OR-Tools leaves it unannotated
    model.model.minimize(model.expr(component.cost))
    model.hint(values)
    status, found, _ = model.solve(remaining())
    if found is not None and _lexicographically_better(component, found, values):
        values = found
    proven = proven and status == cp_model.OPTIMAL
    return FlowResult(values, proven, primary_bound, "cp_sat")


def solve_discrete(
    component: Component, objective: str, *, seconds: float, max_nodes: int = MAX_NODES
) -> DiscreteResult:
    """Optimal (or best found within ``seconds``) flows of a component with minimum lots.

    The branch and bound solves at most ``max_nodes`` min-cost flows before CP-SAT takes over.
    """
    started = time.perf_counter()
    relaxed = solve_min_cost_flow(component, objective)
    if lots_respected(component, relaxed.flows):
        return DiscreteResult(relaxed.flows, True, relaxed.primary_bound_units, "relaxation", 1)
    search = branch_and_bound(
        component,
        objective,
        relaxed.flows,
        seconds=seconds - (time.perf_counter() - started),
        max_nodes=max_nodes,
    )
    primary = _primary(component, objective, search.bound)
    if search.proven_optimal:
        return DiscreteResult(search.flows, True, primary, "branch_and_bound", search.nodes)
    left = seconds - (time.perf_counter() - started)
    if search.exhausted == "time" or left <= 0:
        return DiscreteResult(search.flows, False, primary, "branch_and_bound", search.nodes)
    # the node budget ran out: CP-SAT over the whole component for the time that is left
    fallback = _cp_sat(component, objective, relaxed, search.flows, left)
    bound = fallback.primary_bound_units
    if not fallback.proven_optimal:
        bound = min(bound, primary)  # both bounds are valid: keep the tighter
    return DiscreteResult(fallback.flows, fallback.proven_optimal, bound, "cp_sat", search.nodes)


def _primary(component: Component, objective: str, bound: tuple[int, ...]) -> float:
    """The primary objective's bound: net value, or waste-bound units (0 if no offer is waste)."""
    if objective == "net_climate" or component.waste.any():
        return float(bound[0])
    return 0.0
