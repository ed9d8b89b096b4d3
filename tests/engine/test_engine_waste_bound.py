"""Waste-bound supply (issue 10): diverting waste comes first, then other mass, then tonne-km.

An offer is waste-bound when its residue goes to landfill, open burning, incineration or an
unknown fate today; supply already in other use may move too, but only once the waste is served.
"""

from decimal import Decimal

import pytest
from engine_support import HORIZON, MATERIALS, TableDistance
from ortools.graph.python import min_cost_flow

from matching.engine import InfeasibleInput, MaterialSpec, NeedInput, OfferInput, Problem, solve
from matching.engine.problem import WASTE_BOUND

# glass cullet, factors of the study's flow-factor set (kg CO2e/t)
GLASS = MaterialSpec(
    "glass_cullet", "t", None, Decimal("1.3"), Decimal("8.98"), Decimal("1402.8"), Decimal("823.2")
)
KM_PER_DEGREE = 111.195


def north(km: float) -> float:
    """Latitude ``km`` road-km north of 43.2 (great circle × the default circuity 1.3)."""
    return 43.2 + km / 1.3 / KM_PER_DEGREE


def offer(id, fate, lat, tonnes=5, material="glass_cullet", lot=None):
    return OfferInput(
        id, material, lat, 76.9, Decimal(tonnes), "t", "once", None, None, lot, None, current_destination=fate
    )


def need(id, lat, tonnes=5, materials=("glass_cullet",), lot=None, max_km=30):
    return NeedInput(id, materials, lat, 76.9, Decimal(tonnes), "t", "once", None, None, lot, Decimal(max_km))


def glass_trap(objective):
    """A 5 t need; landfilled cullet 10 km away, cullet already in other use 1.4 km away."""
    return Problem(
        offers=(offer(1, "landfill", north(10)), offer(2, "other_use", north(1.4))),
        needs=(need(10, north(0)),),
        materials=(GLASS,),
        objective=objective,
        horizon_start=HORIZON,
    )


@pytest.mark.parametrize("objective", ["divert_then_distance", "net_climate"])
def test_the_glass_trap_serves_the_need_from_the_landfilled_cullet(objective):
    solution = solve(glass_trap(objective))
    assert [(f.offer_id, f.need_id, f.mass_kg) for f in solution.flows] == [(1, 10, 5000)]
    assert solution.proven_optimal
    assert solution.supply_kg == 10000 and solution.waste_kg == 5000
    assert solution.diverted_kg == 5000 and solution.landfilled_kg == 0 and solution.other_moved_kg == 0
    assert solution.tkm == pytest.approx(50.0, abs=1e-3)


def test_the_bound_of_the_default_objective_is_the_diverted_waste_bound_mass():
    solution = solve(glass_trap("divert_then_distance"))
    assert solution.bound == 5000.0


# --- an augmenting-path trap ------------------------------------------------------------------
# Waste-bound offers W1..Wk hold needs N1..Nk over short arcs and could move one need along over
# long arcs Wi → Ni+1; an offer U already in other use holds Nk+1 over a short arc; the waste-bound
# offer W0 reaches N1 only. Diverting W0 too means an augmenting path over the whole chain:
# W0 → N1, every Wi one need along (k long trips), U left where it is: the same mass moved, one
# more tonne of waste diverted, and far more tonne-km than a "twice the longest trip" bonus pays.
CHAIN = 3
SHORT_KM, LONG_KM = 0.5, 9.5
W0, U = 90, 91


def _site(i: int) -> tuple[float, float]:
    return (43.24 + i * 1e-4, 76.92)  # all within metres: the table decides


def _key(a: int, b: int) -> tuple[float, ...]:
    return (*[round(v, 6) for v in _site(a)], *[round(v, 6) for v in _site(b)])


def _tonne(id: int, site: int, fate: str) -> OfferInput:
    return OfferInput(
        id, "grain", *_site(site), Decimal(1), "t", "once", None, None, None, None, current_destination=fate
    )


def chain_trap():
    """Offers at sites 0 (W0), 1..k (Wi) and k+1 (U); need Ni at site 50 + i."""
    offers = [_tonne(W0, 0, "landfill"), _tonne(U, CHAIN + 1, "other_use")]
    offers += [_tonne(i, i, "unknown" if i % 2 else "incineration") for i in range(1, CHAIN + 1)]
    needs = [
        NeedInput(100 + i, ("grain",), *_site(50 + i), Decimal(1), "t", "once", None, None, None, Decimal(12))
        for i in range(1, CHAIN + 2)
    ]
    table = {_key(0, 51): SHORT_KM, _key(CHAIN + 1, 50 + CHAIN + 1): SHORT_KM}
    for i in range(1, CHAIN + 1):
        table[_key(i, 50 + i)] = SHORT_KM
        table[_key(i, 50 + i + 1)] = LONG_KM
    problem = Problem(offers=tuple(offers), needs=tuple(needs), materials=MATERIALS, horizon_start=HORIZON)
    return problem, TableDistance(table)


def penalty_flows(problem, provider) -> set[tuple[int, int]]:
    """Maximum flow, then least cost where a waste-bound kg moved earns twice the longest trip.

    Not lexicographic: the bonus pays for two long trips, the chain needs three.
    """
    arcs = [
        (o, n, provider.table.get((round(o.lat, 6), round(o.lon, 6), round(n.lat, 6), round(n.lon, 6))))
        for o in problem.offers
        for n in problem.needs
    ]
    arcs = [(o, n, d) for o, n, d in arcs if d is not None]
    bonus = int(2 * max(d for _, _, d in arcs) * 1000)
    ids = [o.id for o in problem.offers] + [n.id for n in problem.needs]
    node = {key: i for i, key in enumerate(ids)}
    smcf = min_cost_flow.SimpleMinCostFlow()
    handles = []
    for o, n, d in arcs:
        cost = int(d * 1000) - (bonus if o.current_destination in WASTE_BOUND else 0)
        arc = smcf.add_arc_with_capacity_and_unit_cost(node[o.id], node[n.id], 1000, cost)
        handles.append(((o.id, n.id), arc))
    for o in problem.offers:
        smcf.set_node_supply(node[o.id], 1000)
    for n in problem.needs:
        smcf.set_node_supply(node[n.id], -1000)
    assert smcf.solve_max_flow_with_min_cost() == smcf.OPTIMAL
    return {pair for pair, arc in handles if smcf.flow(arc)}


def test_the_waste_offer_wins_through_a_chain_a_penalty_would_not_cross():
    problem, provider = chain_trap()
    # the trap is real: the bonus leaves W0's waste where it is and moves U instead
    cheap = {(i, 100 + i) for i in range(1, CHAIN + 1)} | {(U, 100 + CHAIN + 1)}
    assert penalty_flows(problem, provider) == cheap

    solution = solve(problem, provider)
    assert solution.proven_optimal
    assert {(f.offer_id, f.need_id) for f in solution.flows} == {(W0, 101)} | {
        (i, 100 + i + 1) for i in range(1, CHAIN + 1)
    }
    assert solution.diverted_kg == (CHAIN + 1) * 1000 and solution.landfilled_kg == 0
    assert solution.other_moved_kg == 0 and solution.supply_kg == (CHAIN + 2) * 1000
    assert solution.tkm == pytest.approx(SHORT_KM + CHAIN * LONG_KM)
    assert solution.bound == (CHAIN + 1) * 1000


# --- the second level: other mass, once the waste is served ------------------------------------


def test_supply_in_other_use_moves_to_a_need_the_waste_cannot_reach():
    # waste and other-use cullet compete for N1; only the other-use cullet reaches N2 (far away)
    problem = Problem(
        offers=(offer(1, "landfill", north(0)), offer(2, "other_use", north(8))),
        needs=(need(10, north(2), max_km=12), need(11, north(27), max_km=20)),
        materials=(GLASS,),
        horizon_start=HORIZON,
    )
    solution = solve(problem)
    assert {(f.offer_id, f.need_id, f.mass_kg) for f in solution.flows} == {(1, 10, 5000), (2, 11, 5000)}
    assert solution.diverted_kg == 5000 and solution.other_moved_kg == 5000


def test_cp_sat_fixes_each_level_before_the_next():
    # W (9 t, waste) reaches both 6 t needs with 5 t lots, U (6 t, other use) only N2. The
    # relaxation splits W 6 + 3 below a lot, so CP-SAT decides: W moves 6 t either way (level 1);
    # only W → N1 lets U fill N2 (level 2), although W → N2 is the shorter trip (level 3).
    problem = Problem(
        offers=(
            offer(1, "landfill", north(0), tonnes=9, material="grain"),
            offer(2, "other_use", north(14), tonnes=6, material="grain"),
        ),
        needs=(
            need(10, north(4), tonnes=6, materials=("grain",), lot=Decimal(5), max_km=6),
            need(11, north(2), tonnes=6, materials=("grain",), lot=Decimal(5), max_km=13),
        ),
        materials=MATERIALS,
        horizon_start=HORIZON,
    )
    solution = solve(problem)
    assert solution.stats["lot_search_components"] == 1
    assert solution.proven_optimal
    assert {(f.offer_id, f.need_id, f.mass_kg) for f in solution.flows} == {(1, 10, 6000), (2, 11, 6000)}
    assert solution.diverted_kg == 6000 and solution.landfilled_kg == 3000 and solution.other_moved_kg == 6000
    assert solution.bound == 6000.0


# --- statistics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fate", ["landfill", "open_burning", "incineration", "unknown"])
def test_every_waste_bound_fate_counts_as_waste(fate):
    problem = Problem(
        offers=(offer(1, fate, north(5)), offer(2, fate, north(200))),  # the second reaches nothing
        needs=(need(10, north(0), tonnes=3),),
        materials=(GLASS,),
        horizon_start=HORIZON,
    )
    solution = solve(problem)
    assert (solution.supply_kg, solution.waste_kg, solution.diverted_kg, solution.landfilled_kg) == (
        10000,
        10000,
        3000,
        7000,
    )
    assert solution.other_moved_kg == 0


def test_supply_in_other_use_is_supply_but_never_waste():
    problem = Problem(
        offers=(offer(1, "other_use", north(5)), offer(2, "other_use", north(200))),
        needs=(need(10, north(0), tonnes=3),),
        materials=(GLASS,),
        horizon_start=HORIZON,
    )
    solution = solve(problem)
    assert (solution.supply_kg, solution.waste_kg, solution.diverted_kg, solution.landfilled_kg) == (
        10000,
        0,
        0,
        0,
    )
    assert solution.other_moved_kg == 3000 and solution.bound == 0.0


def test_an_unknown_current_destination_is_refused_naming_the_offer():
    problem = Problem(
        offers=(offer(7, "compost_heap", north(5)),),
        needs=(need(10, north(0)),),
        materials=(GLASS,),
        horizon_start=HORIZON,
    )
    with pytest.raises(InfeasibleInput) as error:
        solve(problem)
    assert error.value.listing == ("offer", 7)


def test_a_baseline_factor_for_a_fate_without_one_is_refused():
    odd = MaterialSpec(
        "glass_cullet",
        "t",
        None,
        None,
        Decimal(9),
        Decimal(1400),
        Decimal(800),
        baseline_kg_per_t=(("landfill", Decimal(1)),),
    )
    problem = Problem(
        offers=(offer(1, "landfill", north(5)),),
        needs=(need(10, north(0)),),
        materials=(odd,),
        horizon_start=HORIZON,
    )
    with pytest.raises(InfeasibleInput, match="baseline factors"):
        solve(problem)
