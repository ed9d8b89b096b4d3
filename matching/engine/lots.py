"""Minimum lots by branch and bound over min-cost flows (issue 16, point 2).

A flow on an arc with a lot is 0 or at least the lot. The min-cost flow that ignores the lots
(the relaxation) is the root. A node of the search fixes some lot arcs to 0 (the arc is removed)
and some to "at least the lot" (the lot is sent in advance: it is taken off the offer's supply
and the need's demand, and added back to the flow afterwards; the rest of the arc is free). Every
node is again a plain transportation problem with the same lexicographic levels, so its optimum
bounds every discrete solution inside the node:

* ``divert_then_distance``: (waste-bound units moved, units moved, −transport cost);
* ``net_climate``: (net value,),

compared as tuples, larger being better. A node whose flow respects every lot is feasible for the
component and becomes the incumbent if it is better. Otherwise the search branches on the
violated arc (0 < x < lot) of smallest index: one child with x = 0, one with x ≥ lot, which
together hold every discrete solution of the node. Until the search has a solution at the
relaxation's first levels it dives (deepest node first, the child with the lot sent first), then
it takes the best bound first; when no open bound is better than the incumbent, the incumbent is
the lexicographic optimum of the discrete model — proven, not estimated.

How a node is solved, exactly, without a min-cost flow over the whole component each time:

* A child that can keep its parent's first two levels (waste-bound and other units: the parent's
  minus the lots it sends in advance) is the *last lexicographic stage* only: a min-cost flow with
  those levels as exact supplies of two sources (the landfill network for ``net_climate``). If it
  is feasible, those are the child's own first levels, since a child never moves more than its
  parent. Otherwise two maximum flows give the child's own levels.
* That stage is solved over a *working set* of arcs (the root's flows, every lot arc, each
  listing's cheapest arcs) with node potentials from Bellman–Ford on the residual network; any
  arc outside the set with a negative reduced cost joins it and the stage is solved again. With
  none left, no residual arc of the whole node has a negative reduced cost: optimal.
* First, the child is re-solved only *around its branching arc* (listings within a few working
  arcs of it, and the hubs), the parent's flows fixed elsewhere. That result is kept only if
  Bellman–Ford, started from the parent's potentials, proves it optimal for the whole child and
  pricing finds no entering arc; otherwise the working-set model decides.
* A node whose potentials are its duals fixes to 0, for its subtree, each lot arc carrying
  nothing whose reduced cost times its lot reaches the gap to an incumbent at the node's first
  levels (such an arc cannot be part of a better solution). An arc whose lot exceeds what is
  left at one of its ends is removed as well.

The order of everything is fixed (arc indices, counters), so the search is deterministic. When
the node budget or the time runs out the search stops with its incumbent and the best open
bound; :mod:`.discrete` then falls back on CP-SAT for what time is left.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .components import Component
from .flow import _max_flows, solve_min_cost_flow

#: nodes solved (the root included) before the search gives up and hands over to CP-SAT
MAX_NODES = 400

Levels = tuple[int, ...]
ArcsFixed = tuple[int, ...]
#: a node's potentials, and whether they are the duals of its own relaxation
Labels = tuple[np.ndarray | None, bool]


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


@dataclass(frozen=True)
class _Node:
    """A node's fixings, reduced to what its relaxation needs."""

    supply: np.ndarray  # what each offer has left after the lots sent in advance
    demand: np.ndarray
    usable: np.ndarray  # bool per arc: neither fixed to 0 nor forced to 0 by a lot that no longer fits
    lower: np.ndarray  # arcs fixed to at least their lot


def _node(component: Component, zero: tuple[int, ...], lower: tuple[int, ...]) -> _Node | None:
    """The node's reduced ends and usable arcs, or None if its lots cannot all be sent."""
    supply = component.supply.copy()
    demand = component.demand.copy()
    fixed_lower = np.array(lower, dtype=np.int64)
    if fixed_lower.size:
        np.subtract.at(supply, component.arc_offer[fixed_lower], component.lot[fixed_lower])
        np.subtract.at(demand, component.arc_need[fixed_lower], component.lot[fixed_lower])
        if (supply < 0).any() or (demand < 0).any():
            return None  # the lots sent in advance exceed an offer's supply or a need's demand
    usable = np.ones(component.num_arcs, dtype=bool)
    usable[list(zero)] = False
    # an unfixed lot that no longer fits at one of its ends forces its arc to 0
    room = np.minimum(supply[component.arc_offer], demand[component.arc_need])
    free = np.ones(component.num_arcs, dtype=bool)
    free[fixed_lower] = False
    usable &= ~(free & (component.lot > room))
    return _Node(supply, demand, usable, fixed_lower)


def _sub_component(component: Component, node: _Node) -> Component:
    """The node's relaxation as a component of its own: its usable arcs, what its ends have left."""
    index = np.flatnonzero(node.usable)
    return dataclasses.replace(
        component,
        arc_offer=component.arc_offer[index],
        arc_need=component.arc_need[index],
        distance_km=component.distance_km[index],
        cost=component.cost[index],
        lot=component.lot[index],
        supply=node.supply,
        demand=node.demand,
    )


def _own_targets(component: Component, node: _Node) -> tuple[int, int]:
    """The node's own first two levels (waste-bound, other units) by two maximum flows."""
    sub = _sub_component(component, node)
    capacity = np.minimum(sub.supply[sub.arc_offer], sub.demand[sub.arc_need])
    waste, total = _max_flows(sub, sub.arc_offer, sub.arc_need + sub.supply.size, capacity)
    return waste, total - waste


def _solve_fully(component: Component, objective: str, node: _Node) -> np.ndarray:
    """The node's relaxation over all its arcs by :func:`solve_min_cost_flow` (full arc vector)."""
    index = np.flatnonzero(node.usable)
    sub = _sub_component(component, node)
    flows = np.zeros(component.num_arcs, dtype=np.int64)
    if index.size:
        flows[index] = solve_min_cost_flow(sub, objective).flows
    flows[node.lower] += component.lot[node.lower]
    return flows


def _potentials(
    size: int,
    tails: np.ndarray,
    heads: np.ndarray,
    cost: np.ndarray,
    residual: tuple[np.ndarray, np.ndarray],
    start: np.ndarray,
    rounds: int | None = None,
) -> np.ndarray | None:
    """Node potentials d with cost + d[tail] − d[head] ≥ 0 on every residual arc (Bellman–Ford
    from the labels ``start``), or None if there are none (a negative cycle: not optimal)."""
    forward, backward = residual
    t = np.concatenate([tails[forward], heads[backward]])
    h = np.concatenate([heads[forward], tails[backward]])
    w = np.concatenate([cost[forward], -cost[backward]])
    d = start.copy()
    for _ in range(size + 1 if rounds is None else rounds):
        reach = d[t] + w
        better = np.flatnonzero(reach < d[h])
        if not better.size:
            return d
        np.minimum.at(d, h[better], reach[better])
    return None


@dataclass(frozen=True)
class _Network:
    """A node's model as a network: offers, needs, then the hubs (the landfill sink, or the two
    class sources and the sink); the hub arcs and every node's balance (supply > 0)."""

    hub_tails: np.ndarray
    hub_heads: np.ndarray
    hub_cap: np.ndarray
    hub_cost: np.ndarray
    room: np.ndarray  # capacity of each component arc at this node
    balance: np.ndarray
    size: int


def _network(component: Component, node: _Node, targets: tuple[int, int] | None) -> _Network:
    n_off, n_need = component.supply.size, component.demand.size
    offers = np.arange(n_off, dtype=np.int64)
    needs = np.arange(n_off, n_off + n_need, dtype=np.int64)
    if targets is None:  # net_climate: supply left in place goes to the landfill sink at no cost
        sink = n_off + n_need
        hub_tails = np.concatenate([offers, needs])
        hub_heads = np.full(n_off + n_need, sink, dtype=np.int64)
        balance = np.r_[node.supply, np.zeros(n_need, dtype=np.int64), -int(node.supply.sum())]
    else:  # each class's source feeds its own offers; the sink takes exactly both targets
        s_waste, s_other, sink = n_off + n_need, n_off + n_need + 1, n_off + n_need + 2
        hub_tails = np.concatenate([np.where(component.waste, s_waste, s_other).astype(np.int64), needs])
        hub_heads = np.concatenate([offers, np.full(n_need, sink, dtype=np.int64)])
        balance = np.r_[
            np.zeros(n_off + n_need, dtype=np.int64), targets[0], targets[1], -(targets[0] + targets[1])
        ]
    return _Network(
        hub_tails=hub_tails,
        hub_heads=hub_heads,
        hub_cap=np.concatenate([node.supply, node.demand]),
        hub_cost=np.zeros(n_off + n_need, dtype=np.int64),
        room=np.minimum(node.supply[component.arc_offer], node.demand[component.arc_need]),
        balance=balance.astype(np.int64),
        size=sink + 1,
    )


def _solve_priced(
    component: Component,
    node: _Node,
    targets: tuple[int, int] | None,
    active: np.ndarray,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The node's relaxation over the working arcs, priced out against all its arcs.

    The model is the last lexicographic stage with its levels given (``targets``: waste-bound and
    other units, which the caller knows to be the node's optimum if they can be reached), or the
    landfill network of ``net_climate``. Its min-cost flow over the working arcs comes with node
    potentials (Bellman–Ford on the residual network); an arc outside the working set with a
    negative reduced cost joins it and the model is solved again. When none is left the flow is
    optimal over every arc of the node (no residual arc has a negative reduced cost). Returns the
    flows (full arc vector) and the potentials, or None when the targets cannot be reached over
    the working arcs (the caller then solves the node in full).
    """
    n_off = component.supply.size
    net = _network(component, node, targets)
    hub_tails, hub_heads, hub_cap, hub_cost, room, size = (
        net.hub_tails,
        net.hub_heads,
        net.hub_cap,
        net.hub_cost,
        net.room,
        net.size,
    )
    nodes = np.arange(size, dtype=np.int64)
    supplies = net.balance
    labels = np.zeros(size, dtype=np.int64) if start is None else start
    while True:
        index = np.flatnonzero(active & node.usable)
        tails = np.concatenate([component.arc_offer[index], hub_tails])
        heads = np.concatenate([component.arc_need[index] + n_off, hub_heads])
        cap = np.concatenate([room[index], hub_cap])
        cost = np.concatenate([component.cost[index], hub_cost])
        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, cap, cost)
        smcf.set_nodes_supplies(nodes, supplies)
        if smcf.solve() != min_cost_flow.SimpleMinCostFlow.Status.OPTIMAL:
            return None
        flow = np.asarray(smcf.flows(arcs), dtype=np.int64)
        found = _potentials(size, tails, heads, cost, (flow < cap, flow > 0), labels)
        if found is None:
            return None
        labels = found
        # price every usable arc outside the working set (its flow is 0, so only its forward
        # residual arc exists, when it has room)
        outside = node.usable & ~active & (room > 0)
        reduced = component.cost + labels[component.arc_offer] - labels[component.arc_need + n_off]
        entering = outside & (reduced < 0)
        if not entering.any():
            flows = np.zeros(component.num_arcs, dtype=np.int64)
            flows[index] = flow[: index.size]
            flows[node.lower] += component.lot[node.lower]
            return flows, labels
        active |= entering


def _repaired(component: Component, flows: np.ndarray) -> np.ndarray:
    """``flows`` with every flow below its lot set to 0: always a discrete solution."""
    repaired = flows.copy()
    repaired[violated(component, flows)] = 0
    return repaired


def _working_set(component: Component, root: np.ndarray, per_listing: int) -> np.ndarray:
    """The arcs the priced models start from: the root's flows, every lot arc, and each
    listing's ``per_listing`` cheapest arcs (pricing adds whatever else a node needs)."""
    active = (root > 0) | (component.lot > 1)
    for ends in (component.arc_offer, component.arc_need):
        order = np.lexsort((np.arange(component.num_arcs), component.cost, ends))
        grouped = ends[order]
        first = np.searchsorted(grouped, grouped)  # position of each arc's group in ``order``
        active[order[np.arange(order.size) - first < per_listing]] = True
    return active


def _targets(component: Component, node: _Node, parent: Levels) -> tuple[int, int] | None:
    """The waste-bound and other units the node's model must move so that it reaches the
    parent's first two levels (lots sent in advance count towards them), or None if it cannot."""
    sent = component.lot[node.lower]
    sent_waste = int(sent[component.arc_waste[node.lower]].sum())
    waste, other = parent[0] - sent_waste, parent[1] - parent[0] - (int(sent.sum()) - sent_waste)
    return (waste, other) if waste >= 0 and other >= 0 else None


#: each listing's cheapest arcs in the starting working set of the priced models
WORKING_ARCS_PER_LISTING = 8


#: hops around the branching arc whose listings a local re-solve may change
LOCAL_HOPS = 3
#: Bellman-Ford rounds the certificate of a local re-solve may take before the full working set
#: is solved instead
LOCAL_ROUNDS = 200


def _solve_local(
    component: Component,
    node: _Node,
    targets: tuple[int, int] | None,
    active: np.ndarray,
    parent: np.ndarray,
    labels: np.ndarray,
    arc: int,
    hops: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """A child re-solved around its branching arc only, then proven optimal over all its arcs.

    The flows outside a neighbourhood of ``arc`` (its listings and those within ``hops``
    working arcs, plus the hubs) stay as in the parent; the neighbourhood's min-cost flow takes
    what the fixed boundary flows leave. The glued flow is optimal for the whole child iff there
    are potentials with no negative reduced cost on any residual arc: Bellman-Ford from the
    parent's potentials (which hold wherever nothing changed) finds them, or gives up after
    ``LOCAL_ROUNDS`` rounds, and every arc outside the working set is priced as in
    :func:`_solve_priced`. Returns None whenever that proof is not obtained.
    """
    n_off = component.supply.size
    net = _network(component, node, targets)
    work = np.flatnonzero(active & node.usable)
    tails = np.concatenate([component.arc_offer[work], net.hub_tails])
    heads = np.concatenate([component.arc_need[work] + n_off, net.hub_heads])
    cap = np.concatenate([net.room[work], net.hub_cap])
    cost = np.concatenate([component.cost[work], net.hub_cost])
    # the parent's flows in the child's model: lots sent in advance are not part of it
    sub = parent.copy()
    sub[node.lower] -= component.lot[node.lower]
    in_model = active & node.usable
    out = np.bincount(component.arc_offer[work], weights=sub[work], minlength=n_off).astype(np.int64)
    into = np.bincount(component.arc_need[work], weights=sub[work], minlength=component.demand.size).astype(
        np.int64
    )
    if targets is None:
        hub_flow = np.concatenate([node.supply - out, into])
    else:
        hub_flow = np.concatenate([out, into])
    flow = np.concatenate([sub[work], hub_flow])
    # the neighbourhood: the branching arc's listings and their working neighbours, the hubs
    inside = np.zeros(net.size, dtype=bool)
    inside[[int(component.arc_offer[arc]), int(component.arc_need[arc]) + n_off]] = True
    arc_tail, arc_head = tails[: work.size], heads[: work.size]
    for _ in range(hops):
        touch = inside[arc_tail] | inside[arc_head]
        inside[arc_tail[touch]] = True
        inside[arc_head[touch]] = True
    inside[n_off + component.demand.size :] = True
    # a flow of the parent on an arc the child cannot use vanishes: only inside the neighbourhood
    # (whose balances are worked out afresh) is that allowed
    gone = np.flatnonzero((sub != 0) & ~in_model)
    if not (inside[component.arc_offer[gone]] & inside[component.arc_need[gone] + n_off]).all():
        return None
    local = inside[tails] & inside[heads]
    boundary = ~local
    if (flow[boundary] > cap[boundary]).any() or (flow[boundary] < 0).any():
        return None  # the child changed what a fixed flow may carry
    # what the fixed boundary flows leave to each node of the neighbourhood
    balance = net.balance.copy()
    np.subtract.at(balance, tails[boundary], flow[boundary])
    np.add.at(balance, heads[boundary], flow[boundary])
    index = np.flatnonzero(inside)
    position = np.full(net.size, -1, dtype=np.int64)
    position[index] = np.arange(index.size)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        position[tails[local]], position[heads[local]], cap[local], cost[local]
    )
    smcf.set_nodes_supplies(np.arange(index.size, dtype=np.int64), balance[index])
    if smcf.solve() != min_cost_flow.SimpleMinCostFlow.Status.OPTIMAL:
        return None
    flow[local] = np.asarray(smcf.flows(arcs), dtype=np.int64)
    found = _potentials(net.size, tails, heads, cost, (flow < cap, flow > 0), labels, LOCAL_ROUNDS)
    if found is None:
        return None
    outside = node.usable & ~active & (net.room > 0)
    reduced = component.cost + found[component.arc_offer] - found[component.arc_need + n_off]
    if (outside & (reduced < 0)).any():
        return None
    flows = np.zeros(component.num_arcs, dtype=np.int64)
    flows[work] = flow[: work.size]
    flows[node.lower] += component.lot[node.lower]
    return flows, found


class _NodeSolver:
    """Solves nodes' relaxations: priced over the working arcs when the node can keep its parent's
    first levels, in full otherwise; the working set grows with what the nodes use."""

    def __init__(self, component: Component, objective: str, active: np.ndarray, hops: int) -> None:
        self.component, self.objective, self.active, self.hops = component, objective, active, hops

    def priced(
        self, node: _Node, parent: Levels, start: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        targets = None
        if self.objective != "net_climate":
            targets = _targets(self.component, node, parent)
            if targets is None:
                return None
        return _solve_priced(self.component, node, targets, self.active, start)

    def solve(
        self,
        node: _Node,
        parent: Levels,
        start: np.ndarray | None,
        around: tuple[np.ndarray, int] | None = None,
    ) -> tuple[np.ndarray, Labels]:
        """The node's optimum and potentials: re-solved ``around`` (the parent's flows, the
        branching arc) if the parent's potentials are its duals, else priced, else in full."""
        targets = None
        if self.objective != "net_climate":
            targets = _targets(self.component, node, parent)
        if (
            around is not None
            and start is not None
            and (targets is not None or self.objective == "net_climate")
        ):
            local = _solve_local(
                self.component, node, targets, self.active, around[0], start, around[1], self.hops
            )
            if local is not None:
                return local[0], (local[1], True)
        priced = self.priced(node, parent, start)
        if priced is None and self.objective != "net_climate" and node.usable.any():
            # the parent's levels are out of reach: the node's own, by maximum flows, then priced
            own = _own_targets(self.component, node)
            priced = _solve_priced(self.component, node, own, self.active, start)
        if priced is not None:
            return priced[0], (priced[1], True)
        flows = _solve_fully(self.component, self.objective, node)
        self.active |= flows > 0
        return flows, (start, False)


#: rounds of the dive for a first solution before the search proper
DIVE_ROUNDS = 12


def _dive(
    component: Component,
    solver: _NodeSolver,
    root: np.ndarray,
    root_levels: Levels,
    labels: np.ndarray | None,
    deadline: float,
) -> tuple[np.ndarray | None, int]:
    """A first discrete solution, usually at the relaxation's first levels: forbid every lot arc
    that does not carry its lot yet, solve, and repeat with the arcs that broke a lot since.

    Every round solves a restriction of the component, so what it finds is feasible; it is only
    a start for the search (whose proof does not depend on it). Returns the flows (or None) and
    the number of min-cost flows solved; gives up at ``deadline`` (``time.perf_counter()``).
    """
    zero = set(np.flatnonzero((component.lot > 1) & (root < component.lot)).tolist())
    for rounds in range(1, DIVE_ROUNDS + 1):
        node = _node(component, tuple(sorted(zero)), ())
        if node is None or time.perf_counter() >= deadline:
            return None, rounds - 1
        flows, (found, exact) = solver.solve(node, root_levels, labels)
        labels = found if exact else labels
        broken = violated(component, flows)
        if not broken.size:
            return flows, rounds
        zero |= set(broken.tolist())
    return None, DIVE_ROUNDS


@dataclass
class _Open:
    """An open node: its bound, its fixings, its flows (where they differ from the root's) and
    its potentials (``exact`` when they are the duals of its own relaxation)."""

    bound: Levels
    zero: ArcsFixed
    lower: ArcsFixed
    changed: np.ndarray
    values: np.ndarray
    labels: np.ndarray | None
    exact: bool
    order: int

    @property
    def depth(self) -> int:
        return len(self.lower) + len(self.zero)


def _fixed_by_reduced_cost(component: Component, node: _Open, flows: np.ndarray, best: Levels) -> np.ndarray:
    """Lot arcs that carry nothing at ``node`` and cannot carry their lot in any solution of its
    subtree that beats the incumbent ``best``.

    With the node's potentials d (the duals of its relaxation), any flow of that relaxation costs
    at least the node's cost plus (cost + d[offer] − d[need]) · x on each arc carrying nothing at
    the node; an arc whose reduced cost times its lot reaches the gap to the incumbent can only
    carry 0 in a better solution. Only when the incumbent has the node's other levels (a better
    solution must then cost less), and only with the node's own duals.
    """
    if node.labels is None or not node.exact or node.bound[:-1] != best[:-1]:
        return np.zeros(0, dtype=np.int64)
    gap = node.bound[-1] - best[-1]
    n_off = component.supply.size
    reduced = component.cost + node.labels[component.arc_offer] - node.labels[component.arc_need + n_off]
    return np.flatnonzero((component.lot > 1) & (flows == 0) & (reduced * component.lot >= gap))


def branch_and_bound(
    component: Component,
    objective: str,
    root: np.ndarray,
    *,
    seconds: float,
    max_nodes: int = MAX_NODES,
    per_listing: int = WORKING_ARCS_PER_LISTING,
    hops: int = LOCAL_HOPS,
) -> SearchResult:
    """The lexicographic optimum of ``component`` with its lots, from the relaxation ``root``.

    A child keeps its parent's first two levels whenever it can; it is then solved as the last
    lexicographic stage over a small working set of arcs, priced out against all of them (see
    :func:`_solve_priced`), and only otherwise in full by :func:`solve_min_cost_flow`. Until the
    search has found a solution of its own it dives (deepest node first, the better child first);
    then it takes the best bound first. At each node, lot arcs that the node's duals show cannot
    beat the incumbent are fixed to 0 for its subtree.
    """
    started = time.perf_counter()
    nodes = 1
    root_levels = levels(component, root, objective)
    if not violated(component, root).size:
        return SearchResult(root, root_levels, True, root_levels, nodes, None)
    active = _working_set(component, root, per_listing)
    solver = _NodeSolver(component, objective, active, hops)
    # the root again, priced, for its duals (same levels: the relaxation's optimum)
    root_labels: Labels = (None, False)
    whole = _node(component, (), ())
    assert whole is not None  # nothing is sent in advance at the root
    priced_root = solver.priced(whole, root_levels, None)
    if priced_root is not None and levels(component, priced_root[0], objective) == root_levels:
        root, root_labels = priced_root[0], (priced_root[1], True)
        nodes += 1
        if not violated(component, root).size:
            return SearchResult(root, root_levels, True, root_levels, nodes, None)
    incumbent = _repaired(component, root)
    best = levels(component, incumbent, objective)
    dived, nodes_dived = _dive(component, solver, root, root_levels, root_labels[0], started + seconds)
    nodes += nodes_dived
    if dived is not None and levels(component, dived, objective) > best:
        incumbent, best = dived, levels(component, dived, objective)
    opened: list[_Open] = []
    # dive (deepest first, the child with the lot sent first) until the search has a solution of
    # its own or the dive's reaches the relaxation's first levels; then the best bound first
    found = dived is not None and best[:-1] == root_levels[:-1]

    def add(bound: Levels, zero: ArcsFixed, lower: ArcsFixed, flows: np.ndarray, labels: Labels) -> None:
        changed = np.flatnonzero(flows != root)
        opened.append(_Open(bound, zero, lower, changed, flows[changed], *labels, nodes))

    add(root_levels, (), (), root, root_labels)
    exhausted: str | None = None
    while opened:
        if max(o.bound for o in opened) <= best:
            break  # no open node can beat the incumbent: it is optimal
        if nodes >= max_nodes:
            exhausted = "nodes"
            break
        if time.perf_counter() - started >= seconds:
            exhausted = "time"
            break
        if found:
            pick = max(range(len(opened)), key=lambda i: (opened[i].bound, opened[i].depth, -opened[i].order))
        else:
            pick = max(
                range(len(opened)),
                key=lambda i: (opened[i].depth, len(opened[i].lower), opened[i].bound, -opened[i].order),
            )
        node = opened.pop(pick)
        if node.bound <= best:
            continue
        flows = root.copy()
        flows[node.changed] = node.values
        fixed = _fixed_by_reduced_cost(component, node, flows, best)
        zero = tuple(sorted(set(node.zero) | set(fixed.tolist())))
        # the node's relaxation broke a lot: branch on its first broken arc; both children are
        # solved now, so each enters the open list with its own (tighter) bound
        arc = int(violated(component, flows)[0])
        for child_zero, child_lower in ((zero + (arc,), node.lower), (zero, node.lower + (arc,))):
            reduced = _node(component, child_zero, child_lower)
            nodes += 1
            if reduced is None:
                continue
            around = (flows, arc) if node.exact else None
            child, labels = solver.solve(reduced, node.bound, node.labels, around)
            child_levels = levels(component, child, objective)
            if child_levels <= best:
                continue  # not better than the incumbent
            if not violated(component, child).size:
                incumbent, best, found = child, child_levels, True
                continue
            add(child_levels, child_zero, child_lower, child, labels)

    if not opened or exhausted is None:
        return SearchResult(incumbent, best, True, best, nodes, None)
    open_bound = max(o.bound for o in opened)
    return SearchResult(incumbent, best, False, max(open_bound, best), nodes, exhausted)
