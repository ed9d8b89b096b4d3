"""Maximum diversion comes first, whatever the transport cost of getting there (one class of supply)."""

from decimal import Decimal

from engine_support import HORIZON, MATERIALS, TableDistance
from ortools.graph.python import min_cost_flow

from matching.engine import NeedInput, OfferInput, Problem, solve

CHAIN = 3  # the cheap matching diverts CHAIN units, the best one CHAIN + 1
LONG_KM, SHORT_KM = 9.5, 0.5


def chain_instance():
    """Offers O1..Ok+1 and needs N1..Nk+1, one tonne each.

    Short arcs Oi→Ni (i ≤ k) make the cheap matching; long arcs Oi+1→Ni and O1→Nk+1 make the
    only perfect one. Reaching it means an augmenting path over 2k+1 arcs that adds about
    (k+1) long trips for one more tonne diverted: more than a "2 × longest trip" penalty.
    """
    offers, needs, table = [], [], {}

    def site(i):
        return (43.24 + i * 1e-4, 76.92)  # all within metres: the table decides

    for i in range(1, CHAIN + 2):
        offers.append(OfferInput(i, "grain", *site(i), Decimal(1), "t", "once", None, None, None, None))
        needs.append(
            NeedInput(
                100 + i, ("grain",), *site(50 + i), Decimal(1), "t", "once", None, None, None, Decimal(12)
            )
        )

    def key(o, n):
        return (*[round(v, 6) for v in site(o)], *[round(v, 6) for v in site(50 + n)])

    for i in range(1, CHAIN + 1):
        table[key(i, i)] = SHORT_KM
        table[key(i + 1, i)] = LONG_KM
    table[key(1, CHAIN + 1)] = LONG_KM
    problem = Problem(offers=tuple(offers), needs=tuple(needs), materials=MATERIALS, horizon_start=HORIZON)
    return problem, TableDistance(table)


def naive_penalty_diversion(problem, provider):
    """Min-cost flow with a landfill arc costing twice the longest trip, per kg."""
    arcs = [
        (o.id, n.id, provider.table.get((round(o.lat, 6), round(o.lon, 6), round(n.lat, 6), round(n.lon, 6))))
        for o in problem.offers
        for n in problem.needs
    ]
    arcs = [(o, n, d) for o, n, d in arcs if d is not None]
    penalty = int(2 * max(d for _, _, d in arcs) * 1000)
    nodes = {oid: i for i, oid in enumerate([o.id for o in problem.offers] + [n.id for n in problem.needs])}
    landfill = len(nodes)
    smcf = min_cost_flow.SimpleMinCostFlow()
    matched = [
        smcf.add_arc_with_capacity_and_unit_cost(nodes[o], nodes[n], 1000, int(d * 1000)) for o, n, d in arcs
    ]
    for o in problem.offers:
        smcf.add_arc_with_capacity_and_unit_cost(nodes[o.id], landfill, 1000, penalty)
        smcf.set_node_supply(nodes[o.id], 1000)
    for n in problem.needs:
        smcf.add_arc_with_capacity_and_unit_cost(nodes[n.id], landfill, 1000, 0)
    smcf.set_node_supply(landfill, -1000 * len(problem.offers))
    assert smcf.solve() == smcf.OPTIMAL
    return sum(smcf.flow(a) for a in matched)


def test_it_diverts_the_maximum_when_a_naive_penalty_would_not():
    problem, provider = chain_instance()
    assert naive_penalty_diversion(problem, provider) == CHAIN * 1000

    solution = solve(problem, provider)
    assert solution.diverted_kg == (CHAIN + 1) * 1000
    assert solution.landfilled_kg == 0
    assert {(f.offer_id, f.need_id) for f in solution.flows} == {(1, 100 + CHAIN + 1)} | {
        (i + 1, 100 + i) for i in range(1, CHAIN + 1)
    }
    assert solution.tkm == (CHAIN + 1) * LONG_KM


def test_among_maximum_diversions_it_picks_the_fewest_tonne_kilometres():
    problem, provider = chain_instance()
    # a second, shorter way to the last need: the engine must prefer it at equal diversion
    extra = OfferInput(99, "grain", 43.24 + 99e-4, 76.92, Decimal(1), "t", "once", None, None, None, None)
    provider.table[(round(43.24 + 99e-4, 6), 76.92, round(43.24 + (50 + CHAIN + 1) * 1e-4, 6), 76.92)] = 2.0
    problem = Problem(
        offers=problem.offers + (extra,),
        needs=problem.needs,
        materials=problem.materials,
        horizon_start=HORIZON,
    )
    solution = solve(problem, provider)
    assert solution.diverted_kg == (CHAIN + 1) * 1000
    assert solution.tkm == CHAIN * SHORT_KM + 2.0
