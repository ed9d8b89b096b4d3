"""Issue 13: one pair, two flows. The engine may send part of a pair's quantity direct and part
through a storage yard (one bucket's supply direct, an earlier one's stored for later); each is
its own proposal, and the run's write must take both (it failed the whole run with an
IntegrityError on ``proposal_unique_per_run`` before). Also the run's optimality ``gap``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace import storages
from matching import engine, flow_view
from matching.models import Proposal, ProposalStatus
from matching.runs.execute import optimality_gap
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

STRAW = "straw"


@pytest.fixture
def yard_owner(db):
    return yard_owner_persona()


@pytest.fixture
def panels(brewery, farm, yard_owner):
    f.ensure_factor_set()
    return panel_offer(brewery), panel_need(farm), panel_yard(yard_owner)


def split_flows(offer, need, yard):
    """10 panels direct in September, 30 through the yard (June → September)."""
    direct = direct_panel_flow(offer, need)
    mass_per_piece = direct.mass_kg // 40
    return (
        engine.Flow(
            **{
                **direct.__dict__,
                "quantity": 10,
                "mass_kg": 10 * mass_per_piece,
                "schedule": ((date(2027, 9, 1), 10),),
            }
        ),
        panel_flow(
            offer,
            need,
            yard,
            quantity=30,
            mass_kg=30 * mass_per_piece,
            schedule=((date(2027, 9, 1), 30),),
            storage_schedule=((date(2027, 6, 1), 30),),
        ),
    )


def test_a_pair_sent_both_direct_and_through_a_yard_is_two_proposals(panels, municipality, yard_owner):
    offer, need, yard = panels
    proposals = propose(municipality, *split_flows(offer, need, yard))
    assert sorted((p.via_storage_id or 0, p.quantity) for p in proposals) == [
        (0, Decimal(10)),
        (yard.pk, Decimal(30)),
    ]
    body = municipality.client().get(f"/api/v1/proposals/?run={proposals[0].run_id}").json()
    assert sorted((row["via_storage"] or 0) for row in body["results"]) == [0, yard.pk]


def test_the_next_run_making_both_again_keeps_both(panels, municipality):
    offer, need, yard = panels
    first = propose(municipality, *split_flows(offer, need, yard))
    again = propose(municipality, *split_flows(offer, need, yard))
    assert {p.pk for p in again} == {p.pk for p in first}  # kept: same ids, moved to the new run
    for proposal in first:
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.PROPOSED
    assert Proposal.objects.count() == 2


def test_a_yard_flow_the_next_run_drops_is_expired_and_the_direct_one_kept(panels, municipality):
    offer, need, yard = panels
    direct, through = propose(municipality, *split_flows(offer, need, yard))
    if direct.via_storage_id is not None:
        direct, through = through, direct
    propose(municipality, split_flows(offer, need, yard)[0])
    direct.refresh_from_db()
    through.refresh_from_db()
    assert direct.status == ProposalStatus.PROPOSED
    assert through.status == ProposalStatus.EXPIRED


def test_two_direct_proposals_for_one_pair_in_one_run_are_still_refused(panels, municipality):
    offer, need, _ = panels
    (proposal,) = propose(municipality, direct_panel_flow(offer, need))
    twin = Proposal.objects.get(pk=proposal.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


# --- end to end, the real engine -------------------------------------------------------------
def _month_start(day: date, months_ahead: int) -> date:
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


@pytest.fixture
def straw_market(brewery, farm, yard_owner):
    """Straw all year (about 100 t a month), a farm that needs 150 t once in one month, a yard."""
    f.ensure_factor_set()
    start = _month_start(timezone.localdate(), 3)
    end = _month_start(timezone.localdate(), 4) - timedelta(days=1)
    offer = f.make_offer(brewery.organisation, brewery.site, STRAW, 1200, period="year")
    need = f.make_need(
        farm.organisation,
        farm.site,
        [STRAW],
        150,
        period="once",
        available_from=start,
        available_until=end,
    )
    yard = storages.storage_create(
        organisation=yard_owner.organisation,
        actor=yard_owner.user,
        site=yard_owner.site.pk,
        materials=[STRAW],
        capacity="500",
        unit="t",
        status="active",
    )
    return offer, need, yard


def test_a_monthly_run_with_a_direct_and_a_yard_flow_for_one_pair_succeeds(straw_market, run_now):
    offer, need, yard = straw_market
    run = run_now(time_step="month")
    assert run.status == "succeeded", run.error
    proposals = list(Proposal.objects.filter(run=run, offer=offer, need=need))
    assert sum(p.quantity for p in proposals) == 150
    for proposal in proposals:
        assert sum(Decimal(row["quantity"]) for row in proposal.schedule) == proposal.quantity
    assert {p.via_storage_id for p in proposals} == {None, yard.pk}  # one pair, both ways
    assert run.stats["proven_optimal"] is True
    assert run.stats["gap"] == 0.0 and run.stats["bound"] is not None


def _solution(*, proven: bool, bound: float | None, diverted_kg: int, objective="divert_then_distance"):
    return engine.Solution(
        flows=(),
        objective=objective,
        proven_optimal=proven,
        bound=bound,
        supply_kg=0,
        waste_kg=0,
        diverted_kg=diverted_kg,
        landfilled_kg=0,
        other_moved_kg=0,
        tkm=0.0,
        net_co2e_kg=900.0,
    )


def test_the_gap_is_relative_to_the_bound_and_zero_when_proven():
    assert optimality_gap(_solution(proven=True, bound=1000.0, diverted_kg=1000)) == 0.0
    assert optimality_gap(_solution(proven=False, bound=1000.0, diverted_kg=950)) == pytest.approx(0.05)
    assert optimality_gap(_solution(proven=False, bound=None, diverted_kg=950)) is None
    net = _solution(proven=False, bound=1000.0, diverted_kg=0, objective="net_climate")
    assert optimality_gap(net) == pytest.approx(0.1)


def test_the_run_api_shows_bound_and_gap(straw_market, run_now, municipality):
    run = run_now(time_step="week")
    body = municipality.client().get(f"/api/v1/match-runs/{run.pk}/").json()
    assert body["stats"]["proven_optimal"] is True
    assert body["stats"]["gap"] == 0.0 and "bound" in body["stats"]


@pytest.mark.parametrize(
    ("given", "shown"), [({}, "month"), ({"time_step": "week"}, "week"), ({"time_step": "none"}, "none")]
)
def test_the_run_api_shows_the_runs_time_step(straw_market, municipality, given, shown):
    client = municipality.client()
    created = client.post("/api/v1/match-runs/", given, format="json")
    assert created.status_code == 202, created.content
    assert client.get(f"/api/v1/match-runs/{created.json()['id']}/").json()["time_step"] == shown


def test_a_run_queued_before_time_buckets_shows_time_step_none(straw_market, municipality, run_now):
    run = run_now()
    run.parameters.pop("time_step")
    run.save(update_fields=["parameters"])
    assert municipality.client().get(f"/api/v1/match-runs/{run.pk}/").json()["time_step"] == "none"


# --- distance as a party sees it before the deal: both legs ----------------------------------
def test_a_party_sees_a_yard_flows_distance_and_transport_over_both_legs(brewery, farm, municipality):
    f.ensure_factor_set()
    # a yard well off the straight line brewery → farm, so both legs are much longer than it
    owner = yard_owner_persona("northyard", "North Storage Yard", lat="43.4500")
    offer, need, yard = panel_offer(brewery), panel_need(farm), panel_yard(owner)
    (proposal,) = propose(municipality, panel_flow(offer, need, yard))
    circuity = float(proposal.run.parameters.get("circuity", settings.MATCHING_CIRCUITY))

    def road(a, b) -> Decimal:
        return Decimal(
            repr(flow_view.road_km(a.latitude, a.longitude, b.latitude, b.longitude, circuity=circuity))
        )

    direct = road(brewery.site, farm.site)
    both_legs = road(brewery.site, owner.site) + road(owner.site, farm.site)
    assert both_legs > direct + 10  # the test means something: the yard is well off the line
    factor = proposal.factor_set.road_freight_kg_per_tkm
    for persona in (brewery, farm, owner):
        body = persona.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
        assert body["distance_exact"] is False
        shown = Decimal(body["distance_km"])
        assert abs(shown - both_legs) <= 3, (persona.user.username, shown, both_legs, direct)
        assert Decimal(body["impact"]["transport_kg"]) == flow_view.transport_kg(
            proposal.mass_t, shown, factor
        )
