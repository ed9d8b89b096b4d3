"""``net_climate``'s coefficient is issue 10's arithmetic, the same as ``matching.impact``'s.

net = baseline avoided + substitution − treatment − transport, where the baseline is the fate's
own factor (landfill, open burning, incineration; nothing for ``unknown`` and ``other_use``) and
supply already in other use earns no substitution. ``matching.impact`` is plain Python too, so
the two are compared here flow by flow for every fate.
"""

from decimal import Decimal

import pytest
from engine_support import HORIZON

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem, solve
from matching.engine.prepare import prepare
from matching.engine.problem import DESTINATIONS
from matching.impact import FlowFactors, flow_impact

FREIGHT = Decimal("0.10163")
#: spent grain, with every fate's factor (kg CO2e/t) so that each term shows
GRAIN = MaterialSpec(
    "brewers_spent_grain",
    "t",
    None,
    Decimal("0.8"),
    landfill_kg_per_t=Decimal("697"),
    substitution_kg_per_t=Decimal("100"),
    treatment_kg_per_t=Decimal("25"),
    baseline_kg_per_t=(("incineration", Decimal("14.9")), ("open_burning", Decimal("172.3"))),
)
#: straw: burnt in the field today, no substitution credit, no treatment
STRAW = MaterialSpec(
    "straw",
    "t",
    None,
    Decimal("0.12"),
    landfill_kg_per_t=Decimal("3471"),
    substitution_kg_per_t=Decimal("0"),
    treatment_kg_per_t=Decimal("0"),
    baseline_kg_per_t=(("incineration", Decimal("14.9")), ("open_burning", Decimal("67.6"))),
)
EXPECTED_PER_T = {  # baseline + substitution − treatment, by hand
    "landfill": Decimal("697") + 100 - 25,
    "open_burning": Decimal("172.3") + 100 - 25,
    "incineration": Decimal("14.9") + 100 - 25,
    "unknown": Decimal(0) + 100 - 25,
    "other_use": Decimal(0) + 0 - 25,
}


def flow_factors(spec: MaterialSpec) -> FlowFactors:
    """The factors matching.impact is given for the same material (as matching.snapshot does)."""
    return FlowFactors(
        landfill_kg_per_t=spec.landfill_kg_per_t,
        substitution_kg_per_t=spec.substitution_kg_per_t,
        treatment_kg_per_t=spec.treatment_kg_per_t,
        road_freight_kg_per_tkm=FREIGHT,
        baseline_kg_per_t=spec.baseline_kg_per_t,
    )


def one_pair(spec: MaterialSpec, fate: str, *, objective: str, km: float = 12.0, tonnes: int = 5) -> Problem:
    lat = 43.2 + km / 1.3 / 111.195
    return Problem(
        offers=(
            OfferInput(
                1,
                spec.key,
                lat,
                76.9,
                Decimal(tonnes),
                "t",
                "once",
                None,
                None,
                None,
                None,
                current_destination=fate,
            ),
        ),
        needs=(
            NeedInput(
                2, (spec.key,), 43.2, 76.9, Decimal(tonnes), "t", "once", None, None, None, Decimal(40)
            ),
        ),
        materials=(spec,),
        objective=objective,
        horizon_start=HORIZON,
        road_freight_kg_per_tkm=FREIGHT,
    )


@pytest.mark.parametrize("fate", DESTINATIONS)
def test_the_coefficient_before_transport_is_the_fates_arithmetic(fate):
    assert GRAIN.net_before_transport_per_t(fate) == EXPECTED_PER_T[fate]
    prep = prepare(one_pair(GRAIN, fate, objective="net_climate"))
    assert prep.offer_gross_per_t.tolist() == [float(EXPECTED_PER_T[fate])]


@pytest.mark.parametrize("fate", DESTINATIONS)
def test_the_engines_net_of_a_flow_equals_matching_impacts_net(fate):
    # divert_then_distance moves the 5 t whatever its net, so every fate has a flow to compare
    solution = solve(one_pair(GRAIN, fate, objective="divert_then_distance"))
    (flow,) = solution.flows
    impact = flow_impact(
        mass_t=Decimal(flow.mass_kg) / 1000,
        distance_km=Decimal(repr(flow.distance_km)),
        current_destination=fate,
        factors=flow_factors(GRAIN),
    )
    # impact rounds each of its terms to 1 g; the engine works in floats
    assert solution.net_co2e_kg == pytest.approx(float(impact.net_kg), abs=0.005)
    assert float(impact.net_kg) == pytest.approx(
        5 * (float(EXPECTED_PER_T[fate]) - flow.distance_km * float(FREIGHT)), abs=0.005
    )


def test_net_climate_proposes_burnt_straw_for_its_open_burning_baseline():
    # straw burnt in the field: no substitution credit, so only the burning baseline makes it pay
    solution = solve(one_pair(STRAW, "open_burning", objective="net_climate", km=20.0, tonnes=30))
    (flow,) = solution.flows
    assert flow.mass_kg == 30000
    impact = flow_impact(
        mass_t=Decimal(30),
        distance_km=Decimal(repr(flow.distance_km)),
        current_destination="open_burning",
        factors=flow_factors(STRAW),
    )
    assert impact.net_kg > 0
    assert solution.net_co2e_kg == pytest.approx(float(impact.net_kg), abs=0.005)
    assert solution.diverted_kg == 30000


@pytest.mark.parametrize("fate", ["unknown", "other_use"])
def test_net_climate_counts_no_baseline_for_unknown_fates_and_other_uses(fate):
    # straw's only credits are its fate baselines: without one, nothing is worth the trip
    solution = solve(one_pair(STRAW, fate, objective="net_climate"))
    assert solution.flows == () and solution.net_co2e_kg == 0.0


def test_net_climate_gives_supply_in_other_use_no_substitution_credit():
    assert solve(one_pair(GRAIN, "other_use", objective="net_climate")).flows == ()
    assert len(solve(one_pair(GRAIN, "unknown", objective="net_climate")).flows) == 1
