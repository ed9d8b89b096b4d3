"""Minimum lots by branch and bound over min-cost flows (issue 16, point 2).

A flow on an arc with a lot is 0 or at least the lot. The min-cost flow that ignores the lots
(the relaxation) is the root. A node of the search fixes some lot arcs to 0 (the arc is removed)
and some to "at least the lot" (the lot is sent in advance: it is taken off the offer's supply
and the need's demand, and added back to the flow afterwards; the rest of the arc is free). Every
node is again a plain transportation problem, solved exactly by :func:`solve_min_cost_flow` with
the same lexicographic levels, so its optimum bounds every discrete solution inside the node:

* ``divert_then_distance``: (waste-bound units moved, units moved, −transport cost);
* ``net_climate``: (net value,),

compared as tuples, larger being better. A node whose flow respects every lot is feasible for the
component and becomes the incumbent if it is better. Otherwise the search branches on the
violated arc (0 < x < lot) of smallest index: one child with x = 0, one with x ≥ lot, which
together hold every discrete solution of the node. Nodes are taken best bound first (ties: the
deeper one, then the older one), so when the best open bound is not better than the incumbent,
the incumbent is the lexicographic optimum of the discrete model — proven, not estimated.

At a node, an arc that is not fixed and whose lot exceeds what is left at either end can only
carry 0 in a discrete solution, so it is removed there too (a valid tightening). The order of
everything is fixed (arc indices, a counter), so the search is deterministic.

When the node budget or the time runs out the search stops with its incumbent and the best open
bound; :mod:`.discrete` then falls back on CP-SAT for what time is left.
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from dataclasses import dataclass

import numpy as np

from .components import Component
from .flow import solve_min_cost_flow

#: nodes solved (the root included) before the search gives up and hands over to CP-SAT
MAX_NODES = 400

Levels = tuple[int, ...]


def levels(component: Component, flows: np.ndarray, objective: str) -> Levels:
    """The objective as a tuple, larger is better (lexicographic for ``divert_then_distance``)."""
    cost = int(np.dot(flows, component.cost)) if flows.size else 0
    if objective == "net_climate":
        return (-cost,)
    waste = int(flows[component.arc_waste].sum()) if flows.size else 0
    return (waste, int(flows.sum()), -cost)


def violated(component: Component, flows: np.ndarray) -> np.ndarray:
    """Arc indices (ascending) whose flow is positive but below the arc's lot."""
    return np.flatnonzero((flows > 0) & (flows < component.lot))


@dataclass(frozen=True)
class SearchResult:
    """The best discrete flows found, whether they are proven optimal, and the search's bound."""

    flows: np.ndarray
    levels: Levels
    proven_optimal: bool
    bound: Levels  # no discrete solution is lexicographically better than this
    nodes: int  # min-cost flows solved, the root included
    exhausted: str | None  # None, or "nodes" / "time" when the search stopped early


def _solve_node(
    component: Component, objective: str, zero: tuple[int, ...], lower: tuple[int, ...]
) -> np.ndarray | None:
    """Optimal flows of the node's relaxation (full arc vector), or None if the node is empty."""
    supply = component.supply.copy()
    demand = component.demand.copy()
    fixed_lower = np.array(lower, dtype=np.int64)
    if fixed_lower.size:
        np.subtract.at(supply, component.arc_offer[fixed_lower], component.lot[fixed_lower])
        np.subtract.at(demand, component.arc_need[fixed_lower], component.lot[fixed_lower])
        if (supply < 0).any() or (demand < 0).any():
            return None  # the lots sent in advance exceed an offer's supply or a need's demand
    keep = np.ones(component.num_arcs, dtype=bool)
    keep[list(zero)] = False
    # an unfixed lot that no longer fits at one of its ends forces its arc to 0
    room = np.minimum(supply[component.arc_offer], demand[component.arc_need])
    free = np.ones(component.num_arcs, dtype=bool)
    free[fixed_lower] = False
    keep &= ~(free & (component.lot > room))
    index = np.flatnonzero(keep)
    sub = dataclasses.replace(
        component,
        arc_offer=component.arc_offer[index],
        arc_need=component.arc_need[index],
        distance_km=component.distance_km[index],
        cost=component.cost[index],
        lot=component.lot[index],
        supply=supply,
        demand=demand,
    )
    flows = np.zeros(component.num_arcs, dtype=np.int64)
    if index.size:
        flows[index] = solve_min_cost_flow(sub, objective).flows
    if fixed_lower.size:
        flows[fixed_lower] += component.lot[fixed_lower]
    return flows


def _repaired(component: Component, flows: np.ndarray) -> np.ndarray:
    """``flows`` with every flow below its lot set to 0: always a discrete solution."""
    repaired = flows.copy()
    repaired[violated(component, flows)] = 0
    return repaired


def branch_and_bound(
    component: Component,
    objective: str,
    root: np.ndarray,
    *,
    seconds: float,
    max_nodes: int = MAX_NODES,
) -> SearchResult:
    """The lexicographic optimum of ``component`` with its lots, from the relaxation ``root``."""
    started = time.perf_counter()
    incumbent = _repaired(component, root)
    best = levels(component, incumbent, objective)
    nodes = 1
    # heap entries: (negated bound, −depth, counter, zero-fixed arcs, lower-fixed arcs, the arc
    # to branch on); a node keeps only its first broken arc, not its flows
    counter = 0
    heap: list[tuple[tuple[int, ...], int, int, tuple[int, ...], tuple[int, ...], int]] = []

    def push(bound: Levels, zero: tuple[int, ...], lower: tuple[int, ...], flows: np.ndarray) -> None:
        nonlocal counter
        depth = len(zero) + len(lower)
        arc = int(violated(component, flows)[0])
        heapq.heappush(heap, (tuple(-v for v in bound), -depth, counter, zero, lower, arc))
        counter += 1

    root_levels = levels(component, root, objective)
    if not violated(component, root).size:
        return SearchResult(root, root_levels, True, root_levels, nodes, None)
    push(root_levels, (), (), root)

    exhausted: str | None = None
    while heap:
        negated, _, _, zero, lower, arc = heap[0]
        bound = tuple(-v for v in negated)
        if bound <= best:
            break  # no open node can beat the incumbent: it is optimal
        if nodes >= max_nodes:
            exhausted = "nodes"
            break
        if time.perf_counter() - started >= seconds:
            exhausted = "time"
            break
        heapq.heappop(heap)
        # the node's relaxation broke a lot: branch on its first broken arc; both children are
        # solved now, so each enters the heap with its own (tighter) bound
        for child_zero, child_lower in ((zero + (arc,), lower), (zero, lower + (arc,))):
            child = _solve_node(component, objective, child_zero, child_lower)
            nodes += 1
            if child is None:
                continue
            child_levels = levels(component, child, objective)
            if child_levels <= best:
                continue  # not better than the incumbent
            if not violated(component, child).size:
                incumbent, best = child, child_levels
                continue
            push(child_levels, child_zero, child_lower, child)

    if not heap or exhausted is None:
        return SearchResult(incumbent, best, True, best, nodes, None)
    open_bound = tuple(-v for v in heap[0][0])
    return SearchResult(incumbent, best, False, max(open_bound, best), nodes, exhausted)
