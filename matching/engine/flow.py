"""Min-cost flow for components without minimum lots (OR-Tools SimpleMinCostFlow).

Nodes are the component's offers (0..O-1) and needs (O..O+N-1), in id order; arcs are added in
the canonical candidate order (material, need id, offer id), so the same component always yields
the same model and, with the pinned OR-Tools version, the same flows.

``divert_then_distance`` is lexicographic over three levels (issue 10): (1) the most waste-bound
mass moved, (2) then the most mass moved from offers already in other use, (3) then the fewest
tonne-km. Every unit in a component weighs the same, so mass is units, and:

1. W = maximum flow from a super-source feeding only the waste-bound offers;
2. F = maximum flow from a super-source feeding every offer;
3. a min-cost flow with two sources of *exact* supplies, s_w = W into the waste-bound offers and
   s_o = F − W into the others, and a sink taking exactly F.

Why W and F are achieved together: take a maximum flow of the waste-bound offers alone (value W)
and augment it to a maximum flow of the whole network. An augmenting path starts at the source,
enters one offer, and then alternates forward arcs (offer → need) and backward arcs (need →
offer) until it reaches the sink; every offer it passes *inside* the path gains as much as it
loses, and no simple path re-enters the source, so no offer's outflow ever decreases. The result
is a maximum flow (value F) in which the waste-bound offers still send at least W — hence exactly
W, the most they can send. So the model of step 3 is feasible, and its flows are exactly those
with level (1) = W and level (2) = F − W, the lexicographic optima of the first two levels; its
minimum cost is the third. No penalty weight is involved. A component whose offers are all
waste-bound (or none is) has levels (1) and (2) in one, and ``solve_max_flow_with_min_cost()``
(maximum flow, then the cheapest such flow) solves it in one call, as before.

``net_climate`` sends every offer's supply to a landfill sink, either directly at zero cost or
through a need at minus its net benefit; the cheapest such flow maximises the net benefit and
leaves unprofitable supply where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .components import Component
from .errors import ScalingOverflow, SolverFailure
from .scaling import check_flow_range

Status = min_cost_flow.SimpleMinCostFlow.Status
MaxFlowStatus = max_flow.SimpleMaxFlow.Status


@dataclass(frozen=True)
class FlowResult:
    """Flow per arc (base units) and whether it is proven optimal, with the primary bound."""

    flows: np.ndarray
    proven_optimal: bool
    primary_bound_units: float  # waste-bound base units moved, or net value in mg for net_climate
    method: str


def _check_status(status: min_cost_flow.SimpleMinCostFlow.Status, what: str) -> None:
    if status == Status.OPTIMAL:
        return
    if status in (Status.BAD_COST_RANGE, Status.BAD_CAPACITY_RANGE):
        raise ScalingOverflow(f"{what}: OR-Tools reports {status.name}")
    raise SolverFailure(f"{what}: min-cost flow ended with {status.name}", status=status.name)


def _max_flows(
    component: Component, tails: np.ndarray, heads: np.ndarray, capacity: np.ndarray
) -> tuple[int, int]:
    """(W, F): the maximum flow out of the waste-bound offers alone, then out of every offer."""
    n_off, n_need = component.supply.size, component.demand.size
    source, sink = n_off + n_need, n_off + n_need + 1
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(tails, heads, capacity)
    feed = smf.add_arcs_with_capacity(
        np.full(n_off, source, dtype=np.int64),
        np.arange(n_off, dtype=np.int64),
        np.where(component.waste, component.supply, 0),
    )
    smf.add_arcs_with_capacity(
        np.arange(n_off, n_off + n_need, dtype=np.int64),
        np.full(n_need, sink, dtype=np.int64),
        component.demand,
    )
    values = []
    for capacities in (np.where(component.waste, component.supply, 0), component.supply):
        smf.set_arcs_capacity(feed, capacities)
        status = smf.solve(source, sink)
        if status != MaxFlowStatus.OPTIMAL:
            raise SolverFailure(f"max flow ended with {status.name}", status=status.name)
        values.append(int(smf.optimal_flow()))
    return values[0], values[1]


def _waste_units(component: Component, flows: np.ndarray) -> int:
    if not flows.size or not component.waste.any():
        return 0
    if component.waste.all():
        return int(flows.sum())  # every arc leaves a waste-bound offer: no mask over the arcs
    return int(flows[component.arc_waste].sum())


def solve_min_cost_flow(component: Component, objective: str) -> FlowResult:
    """Optimal flows of a component with no binding minimum lots (lots are ignored here)."""
    n_off, n_need = component.supply.size, component.demand.size
    total_supply = int(component.supply.sum())
    max_abs_cost = int(np.abs(component.cost).max()) if component.num_arcs else 0
    check_flow_range(num_nodes=n_off + n_need + 3, max_abs_cost=max_abs_cost, total_flow=total_supply)

    smcf = min_cost_flow.SimpleMinCostFlow()
    tails = component.arc_offer
    heads = component.arc_need + n_off
    # an arc never needs more than what both of its ends can move
    capacity = np.minimum(component.supply[component.arc_offer], component.demand[component.arc_need])
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, component.cost)

    if objective == "divert_then_distance" and not component.mixed:
        # one class of supply: offers supply, needs demand; maximum flow, then minimum cost
        nodes = np.arange(n_off + n_need, dtype=np.int64)
        smcf.set_nodes_supplies(nodes, np.concatenate([component.supply, -component.demand]))
        status = smcf.solve_max_flow_with_min_cost()
        _check_status(status, "max-flow-min-cost")
        flows = np.asarray(smcf.flows(arcs), dtype=np.int64)
        return FlowResult(flows, True, float(_waste_units(component, flows)), "min_cost_flow")

    if objective == "divert_then_distance":
        waste_units, total_units = _max_flows(component, tails, heads, capacity)
        s_waste, s_other, sink = n_off + n_need, n_off + n_need + 1, n_off + n_need + 2
        offers = np.arange(n_off, dtype=np.int64)
        # each class's source reaches its own offers, up to their supply, at no cost
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.where(component.waste, s_waste, s_other).astype(np.int64),
            offers,
            component.supply,
            np.zeros(n_off, dtype=np.int64),
        )
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.arange(n_off, n_off + n_need, dtype=np.int64),
            np.full(n_need, sink, dtype=np.int64),
            component.demand,
            np.zeros(n_need, dtype=np.int64),
        )
        smcf.set_nodes_supplies(
            np.array([s_waste, s_other, sink], dtype=np.int64),
            np.array([waste_units, total_units - waste_units, -total_units], dtype=np.int64),
        )
        status = smcf.solve()
        _check_status(status, "min-cost flow at the lexicographic optimum")
        flows = np.asarray(smcf.flows(arcs), dtype=np.int64)
        return FlowResult(flows, True, float(waste_units), "min_cost_flow")

    # net_climate: every unit ends in the landfill sink; routing it through a need earns value
    sink = n_off + n_need
    offers = np.arange(n_off, dtype=np.int64)
    needs = np.arange(n_off, n_off + n_need, dtype=np.int64)
    zeros_o = np.zeros(n_off, dtype=np.int64)
    # supply left in place goes to landfill at no cost
    smcf.add_arcs_with_capacity_and_unit_cost(offers, np.full(n_off, sink), component.supply, zeros_o)
    # what a need receives leaves through it, up to its demand
    smcf.add_arcs_with_capacity_and_unit_cost(
        needs, np.full(n_need, sink), component.demand, np.zeros(n_need, dtype=np.int64)
    )
    smcf.set_nodes_supplies(
        np.r_[offers, sink].astype(np.int64), np.r_[component.supply, -total_supply].astype(np.int64)
    )
    status = smcf.solve()
    _check_status(status, "min-cost flow")
    flows = np.asarray(smcf.flows(arcs), dtype=np.int64)
    value_mg = -int(np.dot(flows, component.cost)) if flows.size else 0
    return FlowResult(flows, True, float(value_mg), "min_cost_flow")
