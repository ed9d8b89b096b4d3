"""Handling at a storage yard in the stored impacts: a flow through a yard subtracts the yard's
handling (kg CO₂e per tonne entering it × the mass) from its net, as the optimiser's
``net_climate`` objective does; a direct flow has none. The factor a run used is stored on the
proposal and carried to its deal, so new terms and deliveries recompute with it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace import storages
from matching import services
from matching.impact import IMPACT_QUANTUM
from matching.invariants import check_invariants
from matching.models import Deal, Proposal
from tests import factories as f
from tests.yards import (
    direct_panel_flow,
    panel_flow,
    panel_need,
    panel_offer,
    panel_yard,
    propose,
    yard_owner_persona,
)

HANDLING = Decimal("10")


@pytest.fixture
def yard_owner(db):
    return yard_owner_persona()


@pytest.fixture
def panels(brewery, farm, yard_owner):
    f.ensure_factor_set()
    return (
        panel_offer(brewery),
        panel_need(farm),
        panel_yard(yard_owner, handling_kg_co2e_per_t=str(HANDLING)),
    )


def handling_kg(mass_t: Decimal, handling: Decimal = HANDLING) -> Decimal:
    return (mass_t * handling).quantize(IMPACT_QUANTUM)


def components_net(impact: dict) -> Decimal:
    return (
        Decimal(impact["baseline_avoided_kg"])
        + Decimal(impact["substitution_avoided_kg"])
        - Decimal(impact["treatment_kg"])
        - Decimal(impact["transport_kg"])
        - Decimal(impact["storage_kg"])
    )


def impact_violations() -> list:
    """The impact invariants' findings (every stored impact recomputes from its inputs)."""
    return [v for v in check_invariants() if v.invariant.startswith("impact.")]


def accept(persona, proposal):
    response = persona.client().post(f"/api/v1/proposals/{proposal.pk}/accept/", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_yard_proposal_subtracts_the_yards_handling_and_a_direct_one_none(panels, municipality):
    offer, need, yard = panels
    (through_yard,) = propose(municipality, panel_flow(offer, need, yard))
    (direct,) = propose(municipality, direct_panel_flow(offer, need))

    assert direct.storage_kg == 0 and direct.storage_handling_kg_co2e_per_t is None
    assert through_yard.storage_handling_kg_co2e_per_t == HANDLING
    assert through_yard.storage_kg == handling_kg(through_yard.mass_t) > 0
    # Same mass and distance: the yard's handling is the whole difference in net.
    assert through_yard.mass_t == direct.mass_t and through_yard.distance_km == direct.distance_km
    assert through_yard.net_kg == direct.net_kg - through_yard.storage_kg
    assert components_net(through_yard.impact_dict()) == through_yard.net_kg


def test_the_api_shows_storage_kg_in_the_impact(panels, municipality):
    offer, need, yard = panels
    (proposal,) = propose(municipality, panel_flow(offer, need, yard))

    impact = municipality.client().get(f"/api/v1/proposals/{proposal.pk}/").json()["impact"]

    assert Decimal(impact["storage_kg"]) == handling_kg(proposal.mass_t)
    assert components_net(impact) == Decimal(impact["net_kg"])


def test_the_run_summary_net_is_the_sum_of_its_proposals_nets(panels, municipality, brewery, farm):
    offer, need, yard = panels
    run_offer = panel_offer(brewery, 20)
    proposals = propose(municipality, panel_flow(offer, need, yard), direct_panel_flow(run_offer, need))
    run = proposals[0].run
    run.refresh_from_db()

    total = sum((p.net_kg for p in proposals), Decimal(0))
    assert {p.via_storage_id for p in proposals} == {yard.pk, None}
    assert Decimal(str(run.stats["net_co2e_t"])) == (total / 1000).quantize(Decimal("0.001"))


def test_new_terms_and_deliveries_recompute_with_the_factor_the_run_used(
    panels, municipality, brewery, farm, yard_owner
):
    offer, need, yard = panels
    (proposal,) = propose(municipality, panel_flow(offer, need, yard))
    # The yard's factor changes after the run: the proposal keeps the one its impact used.
    storages.storage_update(storage=yard, actor=yard_owner.user, handling_kg_co2e_per_t="99")
    services.proposal_terms_propose(
        proposal=proposal, actor=brewery.user, quantity="30", price_per_unit_kzt="0", transport_by="supplier"
    )
    accept(farm, proposal)
    accept(yard_owner, proposal)
    deal = Deal.objects.get()

    assert deal.quantity == 30 and deal.mass_t < proposal.mass_t
    assert deal.storage_handling_kg_co2e_per_t == HANDLING
    assert deal.storage_kg == handling_kg(deal.mass_t) > 0
    assert components_net(deal.impact_dict()) == deal.net_kg

    delivery = services.delivery_record(
        deal=deal, actor=brewery.user, date=timezone.localdate(), quantity="12"
    )
    assert delivery.storage_kg == handling_kg(delivery.mass_t) > 0
    assert components_net(delivery.impact_dict()) == delivery.net_kg

    body = brewery.client().get(f"/api/v1/deals/{deal.pk}/").json()
    assert Decimal(body["impact"]["storage_kg"]) == deal.storage_kg
    assert Decimal(body["realised_impact"]["storage_kg"]) == delivery.storage_kg
    assert components_net(body["realised_impact"]) == Decimal(body["realised_impact"]["net_kg"])
    assert impact_violations() == []


def test_a_direct_deal_and_its_deliveries_have_no_storage_handling(panels, municipality, brewery, farm):
    offer, need, _ = panels
    (proposal,) = propose(municipality, direct_panel_flow(offer, need))
    accept(brewery, proposal)
    accept(farm, proposal)
    deal = Deal.objects.get()
    delivery = services.delivery_record(
        deal=deal, actor=brewery.user, date=timezone.localdate(), quantity="5"
    )

    assert deal.storage_kg == 0 and delivery.storage_kg == 0
    assert deal.storage_handling_kg_co2e_per_t is None


def test_a_kept_proposal_takes_the_next_runs_handling_factor(panels, municipality, yard_owner):
    offer, need, yard = panels
    (first,) = propose(municipality, panel_flow(offer, need, yard))
    storages.storage_update(storage=yard, actor=yard_owner.user, handling_kg_co2e_per_t="2.5")
    (again,) = propose(municipality, panel_flow(offer, need, yard))

    assert again.pk == first.pk
    assert again.storage_handling_kg_co2e_per_t == Decimal("2.5")
    assert again.storage_kg == handling_kg(again.mass_t, Decimal("2.5"))
    assert impact_violations() == []


def test_a_yard_without_a_handling_factor_adds_nothing(brewery, farm, yard_owner, municipality):
    f.ensure_factor_set()
    offer, need, yard = panel_offer(brewery), panel_need(farm), panel_yard(yard_owner)
    (proposal,) = propose(municipality, panel_flow(offer, need, yard))

    assert proposal.storage_kg == 0 and proposal.storage_handling_kg_co2e_per_t == 0
    assert Proposal.objects.get().net_kg == components_net(proposal.impact_dict())


def test_a_real_monthly_run_counts_the_yards_handling(panels, run_now):
    offer, need, yard = panels
    run = run_now(time_step="month")
    assert run.status == "succeeded"
    proposal = Proposal.objects.get(offer=offer, need=need)

    assert proposal.via_storage_id == yard.pk
    assert proposal.storage_kg == handling_kg(proposal.mass_t)
    assert Decimal(str(run.stats["net_co2e_t"])) == (proposal.net_kg / 1000).quantize(Decimal("0.001"))
