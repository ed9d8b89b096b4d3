"""Properties every solution has, on instances hypothesis makes up."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from engine_support import HORIZON, MATERIALS, SPECS, haversine_km
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import NeedInput, OfferInput, Problem, solve
from matching.engine.horizon import need_base, offer_base
from matching.engine.problem import DESTINATIONS, WASTE_BOUND

KEYS = [m.key for m in MATERIALS]
BULK = [m.key for m in MATERIALS if not m.is_piece]

coords = st.tuples(st.floats(43.15, 43.33), st.floats(76.8, 77.05))
amounts = st.integers(1, 50).map(Decimal)
windows = st.one_of(
    st.just((None, None)),
    st.tuples(st.integers(-50, 300), st.integers(0, 150)).map(
        lambda t: (HORIZON + timedelta(days=t[0]), HORIZON + timedelta(days=t[0] + t[1]))
    ),
)


@st.composite
def offers(draw, index):
    key = draw(st.sampled_from(KEYS))
    unit = "piece" if SPECS[key].is_piece else draw(st.sampled_from(["t", "kg"]))
    quantity = draw(amounts)
    start, end = draw(windows)
    lat, lon = draw(coords)
    return OfferInput(
        id=index,
        material=key,
        lat=lat,
        lon=lon,
        quantity=quantity,
        unit=unit,
        period=draw(st.sampled_from(["once", "month", "year"])),
        available_from=start,
        available_until=end,
        min_lot=draw(st.one_of(st.none(), st.integers(1, 30).map(Decimal))),
        max_distance_km=draw(st.one_of(st.none(), st.integers(3, 40).map(Decimal))),
        current_destination=draw(st.sampled_from(DESTINATIONS)),
    )


@st.composite
def needs(draw, index):
    if draw(st.booleans()):
        materials = (draw(st.sampled_from([k for k in KEYS if SPECS[k].is_piece])),)
        unit = "piece"
    else:
        materials = tuple(draw(st.lists(st.sampled_from(BULK), min_size=1, max_size=3, unique=True)))
        unit = draw(st.sampled_from(["t", "kg"]))
    start, end = draw(windows)
    lat, lon = draw(coords)
    return NeedInput(
        id=index,
        materials=materials,
        lat=lat,
        lon=lon,
        quantity=draw(amounts),
        unit=unit,
        period=draw(st.sampled_from(["once", "month", "year"])),
        available_from=start,
        available_until=end,
        min_lot=draw(st.one_of(st.none(), st.integers(1, 30).map(Decimal))),
        max_distance_km=draw(st.integers(3, 40).map(Decimal)),
    )


@st.composite
def problems(draw):
    n_offers, n_needs = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    offer_list = tuple(draw(offers(i + 1)) for i in range(n_offers))
    need_list = tuple(draw(needs(j + 1)) for j in range(n_needs))
    declined = draw(st.frozensets(st.tuples(st.integers(1, n_offers), st.integers(1, n_needs)), max_size=4))
    return Problem(
        offers=offer_list,
        needs=need_list,
        materials=MATERIALS,
        objective=draw(st.sampled_from(["divert_then_distance", "net_climate"])),
        horizon_start=HORIZON,
        declined_pairs=declined,
        time_limit_s=10.0,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_solution_respects_supply_demand_materials_radius_lots_and_declines(problem):
    solution = solve(problem)
    offers_by_id = {o.id: o for o in problem.offers}
    needs_by_id = {n.id: n for n in problem.needs}
    out, into = defaultdict(int), defaultdict(int)
    for flow in solution.flows:
        offer, need = offers_by_id[flow.offer_id], needs_by_id[flow.need_id]
        supply, offer_lot = offer_base(offer, SPECS[offer.material], problem)
        demand, need_lot = need_base(need, tuple(SPECS[m] for m in need.materials), problem)
        assert isinstance(flow.quantity, int) and flow.quantity > 0  # whole kilograms or pieces
        assert flow.unit == ("piece" if SPECS[offer.material].is_piece else "kg")
        assert offer.material in need.materials
        assert flow.distance_km <= float(need.max_distance_km) + 1e-9
        assert offer.max_distance_km is None or flow.distance_km <= float(offer.max_distance_km) + 1e-9
        assert abs(flow.distance_km - 1.3 * haversine_km((offer.lat, offer.lon), (need.lat, need.lon))) < 1e-6
        assert flow.quantity >= max(offer_lot, need_lot)
        assert (offer.id, need.id) not in problem.declined_pairs
        out[offer.id] += flow.quantity
        into[need.id] += flow.quantity
        assert out[offer.id] <= supply
        assert into[need.id] <= demand
    # waste-bound supply is either diverted or left in its fate; other supply is never waste
    assert solution.diverted_kg + solution.landfilled_kg == solution.waste_kg <= solution.supply_kg
    assert 0 <= solution.other_moved_kg <= solution.supply_kg - solution.waste_kg
    moved_from_waste = sum(
        f.mass_kg for f in solution.flows if offers_by_id[f.offer_id].current_destination in WASTE_BOUND
    )
    if not any(f.unit == "piece" for f in solution.flows):  # bulk masses are exact kilograms
        assert solution.diverted_kg == moved_from_waste
        assert solution.other_moved_kg == sum(f.mass_kg for f in solution.flows) - moved_from_waste
    assert solution.proven_optimal
    if problem.objective == "net_climate":
        assert solution.net_co2e_kg >= 0
