"""Min-cost flow for components without minimum lots (OR-Tools SimpleMinCostFlow).

Nodes are the component's offers (0..O-1) and needs (O..O+N-1), in id order; arcs are added in
the canonical candidate order (material, need id, offer id), so the same component always yields
the same model and, with the pinned OR-Tools version, the same flows.

``divert_then_distance`` uses ``solve_max_flow_with_min_cost()``: maximum flow first, then the
cheapest such flow. Every unit in a component weighs the same, so maximum flow *is* maximum
diverted mass and no big-M penalty is needed (a penalty of "twice the longest trip" is not
lexicographic once an augmenting path crosses several arcs).

``net_climate`` sends every offer's supply to a landfill sink, either directly at zero cost or
through a need at minus its net benefit; the cheapest such flow maximises the net benefit and
leaves unprofitable supply where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .components import Component
from .errors import ScalingOverflow, SolverFailure
from .scaling import check_flow_range

Status = min_cost_flow.SimpleMinCostFlow.Status


@dataclass(frozen=True)
class FlowResult:
    """Flow per arc (base units) and whether it is proven optimal, with the primary bound."""

    flows: np.ndarray
    proven_optimal: bool
    primary_bound_units: float  # diverted base units, or net value in mg for net_climate
    method: str


def _check_status(status, what: str) -> None:
    if status == Status.OPTIMAL:
        return
    if status in (Status.BAD_COST_RANGE, Status.BAD_CAPACITY_RANGE):
        raise ScalingOverflow(f"{what}: OR-Tools reports {status.name}")
    raise SolverFailure(f"{what}: min-cost flow ended with {status.name}", status=status.name)


def solve_min_cost_flow(component: Component, objective: str) -> FlowResult:
    """Optimal flows of a component with no binding minimum lots (lots are ignored here)."""
    n_off, n_need = component.supply.size, component.demand.size
    total_supply = int(component.supply.sum())
    max_abs_cost = int(np.abs(component.cost).max()) if component.num_arcs else 0
    check_flow_range(num_nodes=n_off + n_need + 1, max_abs_cost=max_abs_cost, total_flow=total_supply)

    smcf = min_cost_flow.SimpleMinCostFlow()
    tails = component.arc_offer
    heads = component.arc_need + n_off
    # an arc never needs more than what both of its ends can move
    capacity = np.minimum(component.supply[component.arc_offer], component.demand[component.arc_need])
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, component.cost)

    if objective == "divert_then_distance":
        # offers supply, needs demand; the solver maximises flow, then minimises cost
        nodes = np.arange(n_off + n_need, dtype=np.int64)
        smcf.set_nodes_supplies(nodes, np.concatenate([component.supply, -component.demand]))
        status = smcf.solve_max_flow_with_min_cost()
        _check_status(status, "max-flow-min-cost")
        flows = np.asarray(smcf.flows(arcs), dtype=np.int64)
        return FlowResult(flows, True, float(flows.sum()), "min_cost_flow")

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
