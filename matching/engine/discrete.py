"""Components with minimum lots: a flow is 0 or at least the lot of both ends.

First the min-cost-flow relaxation (lots ignored) is solved. Its optimum bounds the discrete
optimum, so when it happens to respect every lot it *is* the discrete optimum and CP-SAT is not
needed. Otherwise CP-SAT solves the semi-continuous model, hinted with the relaxation repaired by
zeroing the flows below their lot (always feasible, since every constraint is "at most").

Lexicographic objectives are two solves with the first optimum fixed. CP-SAT runs with a fixed
seed and a fixed worker count, because results can differ with the worker count (or-tools
#3842). If the time limit is hit the best solution found is returned with its bound and
``proven_optimal`` false.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from .components import Component
from .errors import SolverFailure
from .flow import FlowResult, solve_min_cost_flow
from .scaling import check_linear_range

CPSAT_RANDOM_SEED = 20190601
#: one worker: single-threaded CP-SAT search is reproducible run after run
CPSAT_NUM_WORKERS = 1


def lots_respected(component: Component, flows: np.ndarray) -> bool:
    """Every flow is 0 or at least the arc's lot."""
    used = flows > 0
    return bool(np.all(flows[used] >= component.lot[used]))


def _repair(component: Component, flows: np.ndarray) -> np.ndarray:
    """The relaxation with every flow below its lot set to 0: feasible for the discrete model."""
    repaired = flows.copy()
    repaired[(repaired > 0) & (repaired < component.lot)] = 0
    return repaired


class _Model:
    """The semi-continuous model of a component; built once, re-solved per lexicographic stage."""

    def __init__(self, component: Component) -> None:
        self.model = cp_model.CpModel()
        self.cap = np.minimum(component.supply[component.arc_offer], component.demand[component.arc_need])
        self.x = [self.model.new_int_var(0, int(c), f"x{a}") for a, c in enumerate(self.cap.tolist())]
        for a, (lot, cap) in enumerate(zip(component.lot.tolist(), self.cap.tolist())):
            if lot > 1:
                # either no flow or at least the larger of the two ends' lots
                used = self.model.new_bool_var(f"y{a}")
                self.model.add(self.x[a] >= lot * used)
                self.model.add(self.x[a] <= cap * used)
        by_offer: dict[int, list] = {}
        by_need: dict[int, list] = {}
        for a, (o, n) in enumerate(zip(component.arc_offer.tolist(), component.arc_need.tolist())):
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
        self.model.clear_hints()
        for var, value in zip(self.x, values.tolist()):
            self.model.add_hint(var, int(value))

    def solve(self, seconds: float):
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


def _lexicographically_better(candidate: np.ndarray, incumbent: np.ndarray, cost: np.ndarray) -> bool:
    """More units diverted, or as many at no more transport cost."""
    more, same = int(candidate.sum()), int(incumbent.sum())
    return more > same or (more == same and int(np.dot(candidate, cost)) <= int(np.dot(incumbent, cost)))


def solve_discrete(component: Component, objective: str, *, seconds: float) -> FlowResult:
    """Optimal (or best found within ``seconds``) flows of a component with minimum lots."""
    started = time.perf_counter()
    relaxed = solve_min_cost_flow(component, objective)
    if lots_respected(component, relaxed.flows):
        return FlowResult(relaxed.flows, True, relaxed.primary_bound_units, "relaxation")

    model = _Model(component)
    incumbent = _repair(component, relaxed.flows)

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

    # stage 1: maximum diverted units (all units weigh the same in a component)
    ones = np.ones(component.num_arcs, dtype=np.int64)
    check_linear_range(coefficients=component.cost, upper_bounds=model.cap, what="transport cost")
    model.hint(incumbent)
    model.model.add(model.expr(ones) <= int(relaxed.primary_bound_units))
    model.model.maximize(model.expr(ones))
    status1, values, bound1 = model.solve(remaining() * 0.5)
    if values is None or int(values.sum()) < int(incumbent.sum()):
        values = incumbent
    diverted = int(values.sum())
    proven1 = status1 == cp_model.OPTIMAL
    stage1_bound = float(diverted) if proven1 else _tighter(bound1, relaxed.primary_bound_units)

    # stage 2: least transport among flows diverting that much (fixed to the stage-1 optimum)
    if proven1:
        model.model.add(model.expr(ones) == diverted)
    else:
        # without a proof, stage 2 may still find more diversion; it must not find less
        model.model.add(model.expr(ones) >= diverted)
    model.model.clear_objective()
    model.model.minimize(model.expr(component.cost))
    model.hint(values)
    status2, values2, _ = model.solve(remaining())
    if values2 is not None and _lexicographically_better(values2, values, component.cost):
        values = values2
    proven = proven1 and status2 == cp_model.OPTIMAL
    return FlowResult(values, proven, stage1_bound, "cp_sat")
