"""Every fate has its baseline: runs, deals and deliveries count against the offer's fate.

Built through the services with the shipped factor set and the real solver (Celery eager).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from marketplace.factor_services import active_factor_set
from matching import services
from matching.engine.problem import LANDFILL
from matching.impact import WASTE_BOUND_DESTINATIONS, flow_impact
from matching.invariants import check_invariants
from matching.models import Deal, Delivery, Proposal
from matching.snapshot import build_snapshot, flow_factors_for
from tests import factories as f

pytestmark = pytest.mark.django_db

ROAD = Decimal("0.10163")


def factor(key: str):
    factor_set = active_factor_set()
    assert factor_set is not None
    return factor_set.factors.get(material__key=key)


@pytest.fixture
def straw_market(brewery, farm, municipality):
    """Straw the farm burns in the field when unsold, and a mushroom grower 600 t a year."""
    offer = f.make_offer(farm.organisation, farm.site, "straw", 2000, current_destination="open_burning")
    need = f.make_need(brewery.organisation, brewery.site, ["straw"], 600, max_distance_km=150)
    return offer, need


@pytest.mark.parametrize("objective", ["divert_then_distance", "net_climate"])
def test_straw_burnt_in_the_field_is_counted_against_open_burning(straw_market, run_now, objective):
    run = run_now(objective=objective)

    # The straw → mushroom case: before fate baselines it netted −transport (−2.3 t in the demo)
    # and net_climate dropped it; now 600 t × 67.6 kg/t of burning emissions are avoided.
    proposal = Proposal.objects.get(run=run)
    assert (proposal.baseline, proposal.current_destination) == ("open_burning", "open_burning")
    assert proposal.mass_t == Decimal("600.000")
    assert proposal.baseline_avoided_kg == Decimal("600") * Decimal("67.6") == Decimal("40560.000")
    assert proposal.landfill_avoided_kg == 0
    assert proposal.transport_kg == (proposal.mass_t * proposal.distance_km * ROAD).quantize(Decimal("0.001"))
    assert proposal.net_kg == (
        proposal.baseline_avoided_kg
        + proposal.substitution_avoided_kg
        - proposal.treatment_kg
        - proposal.transport_kg
    )
    assert proposal.net_kg > 0
    assert Decimal(str(run.stats["net_co2e_t"])) == (proposal.net_kg / 1000).quantize(Decimal("0.001"))


@pytest.mark.parametrize(
    ("material", "fate", "per_t"),
    [
        ("cardboard_paper", "incineration", Decimal("30.1")),
        ("sewage_sludge", "incineration", Decimal("59.0")),
        ("cardboard_paper", "open_burning", Decimal("211.5")),
        ("whey", "open_burning", Decimal("0")),  # a liquid: not a fate the set gives it
        ("cardboard_paper", "unknown", Decimal("0")),
    ],
)
def test_each_fate_uses_its_own_factor_or_none(brewery, farm, run_now, material, fate, per_t):
    unit = "m3" if material == "whey" else "t"
    f.make_offer(brewery.organisation, brewery.site, material, 100, unit=unit, current_destination=fate)
    f.make_need(farm.organisation, farm.site, [material], 100, unit=unit)

    proposal = Proposal.objects.get(run=run_now())

    assert proposal.baseline == fate
    assert proposal.baseline_avoided_kg == (proposal.mass_t * per_t).quantize(Decimal("0.001"))
    assert proposal.landfill_avoided_kg == 0
    assert proposal.substitution_avoided_kg == (
        proposal.mass_t * factor(material).substitution_kg_per_t
    ).quantize(Decimal("0.001"))


def test_supply_already_in_other_use_earns_no_substitution_and_no_baseline(brewery, farm, run_now):
    f.make_offer(brewery.organisation, brewery.site, "cardboard_paper", 40, current_destination="other_use")
    f.make_need(farm.organisation, farm.site, ["cardboard_paper"], 40)

    proposal = Proposal.objects.get(run=run_now())

    assert proposal.baseline == "other_use"
    assert (
        proposal.baseline_avoided_kg == proposal.landfill_avoided_kg == proposal.substitution_avoided_kg == 0
    )
    assert proposal.net_kg == -(proposal.treatment_kg + proposal.transport_kg)


def test_a_landfilled_offer_has_equal_baseline_and_landfill_figures(grain_market, run_now):
    proposal = Proposal.objects.get(run=run_now())

    assert proposal.baseline == LANDFILL
    assert proposal.baseline_avoided_kg == proposal.landfill_avoided_kg == Decimal("1500") * Decimal("697")


def test_deals_and_deliveries_carry_the_fate_and_its_avoided_emission(straw_market, run_now, brewery, farm):
    proposal = Proposal.objects.get(run=run_now())
    services.proposal_accept(proposal=proposal, actor=farm.user)
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=brewery.user)
    deal = Deal.objects.get(proposal=proposal)

    delivery = services.delivery_record(deal=deal, actor=farm.user, date=timezone.localdate(), mass_t="100")

    assert deal.impact_dict() == proposal.impact_dict()
    assert (delivery.baseline, delivery.baseline_avoided_kg, delivery.landfill_avoided_kg) == (
        "open_burning",
        Decimal("6760.000"),
        0,
    )
    stored = Delivery.objects.get(pk=delivery.pk)
    assert stored.net_kg == stored.baseline_avoided_kg - stored.transport_kg
    assert check_invariants() == []


def test_the_api_impact_states_the_fate_for_proposals_deals_and_realised_deliveries(
    straw_market, run_now, brewery, farm
):
    proposal = Proposal.objects.get(run=run_now())
    body = brewery.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert body["impact"]["baseline"] == "open_burning"
    assert body["impact"]["baseline_avoided_kg"] == "40560.000"
    assert body["impact"]["landfill_avoided_kg"] == "0.000"

    services.proposal_accept(proposal=proposal, actor=farm.user)
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=brewery.user)
    deal = Deal.objects.get(proposal=proposal)
    services.delivery_record(deal=deal, actor=farm.user, date=timezone.localdate(), mass_t="150")
    body = farm.client().get(f"/api/v1/deals/{deal.pk}/").json()

    assert body["impact"]["baseline"] == body["realised_impact"]["baseline"] == "open_burning"
    assert body["realised_impact"]["baseline_avoided_kg"] == "10140.000"  # 150 t × 67.6


def test_the_snapshot_gives_the_engine_the_same_fate_baselines(straw_market):
    factor_set = active_factor_set()
    problem = build_snapshot(
        factor_set=factor_set, objective="net_climate", horizon_start=timezone.localdate(), horizon_days=365
    ).problem

    specs = {spec.key: spec for spec in problem.materials}
    assert specs["straw"].baseline_kg_per_t == (
        ("incineration", Decimal("14.9")),
        ("open_burning", Decimal("67.6")),
    )
    assert specs["whey"].baseline_kg_per_t == ()
    assert specs["sewage_sludge"].baseline_kg_per_t == (("incineration", Decimal("59.0")),)
    # The contract with the engine: per tonne before transport, net_climate counts the fate's
    # baseline + substitution − treatment, exactly what matching.impact stores (other_use's
    # substitution rule is the engine's side of the same contract).
    for key, spec in specs.items():
        factors = flow_factors_for(factor_set.factors.filter(material__key=key).first(), factor_set)
        for fate in WASTE_BOUND_DESTINATIONS:
            per_t = flow_impact(
                mass_t=Decimal(1), distance_km=Decimal(0), current_destination=fate, factors=factors
            )
            engine_per_t = spec.baseline_for(fate) + spec.substitution_kg_per_t - spec.treatment_kg_per_t
            assert engine_per_t == per_t.net_kg, (key, fate)
        assert spec.baseline_for("other_use") == 0


@pytest.mark.parametrize(
    ("field", "change"),
    [("baseline_avoided_kg", F("baseline_avoided_kg") + 1), ("baseline", "landfill")],
)
def test_a_tampered_baseline_is_reported_by_the_invariants(straw_market, run_now, field, change):
    proposal = Proposal.objects.get(run=run_now())

    Proposal.objects.filter(pk=proposal.pk).update(**{field: change})

    messages = [v.message for v in check_invariants() if v.invariant == "impact.proposals"]
    assert len(messages) == 1 and f"proposal #{proposal.pk}" in messages[0] and field in messages[0]
