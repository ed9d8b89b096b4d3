"""Issue 13, the storage yards' gaps, through the API and real runs over monthly buckets:

1. a yard's room already taken by agreed deals and reserving proposals is not offered again;
2. a pair a party declined comes back neither direct nor through any yard; a flow the yard's
   owner declined does not come back through that yard (other yards stay open);
3. the yard's owner is told of a new flow through its yard (e-mail in its language, the in-app
   feed) and decides it from its inbox.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from accounts import services as accounts
from accounts.models import Event, Membership, User
from marketplace import storages
from marketplace.models import Storage
from matching.models import Deal, Proposal, ProposalStatus
from matching.notifications_feed import action_count, feed_for
from matching.snapshot import build_snapshot
from tests import factories as f
from tests.yards import panel_need, panel_offer, panel_yard, yard_owner_persona

pytestmark = pytest.mark.django_db

JUNE, SEPTEMBER = date(2027, 6, 1), date(2027, 9, 1)


@pytest.fixture
def yard_owner(db):
    return yard_owner_persona()


@pytest.fixture
def second_owner(db):
    return yard_owner_persona("depotkeeper", "Ili Depot", lat="43.2900")


@pytest.fixture
def market(brewery, farm):
    """40 June panels of the brewery, a September builder (the farm) for 40: no direct flow."""
    f.ensure_factor_set()
    return panel_offer(brewery), panel_need(farm)


def post(persona, proposal: Proposal, decision: str, **data):
    return persona.client().post(f"/api/v1/proposals/{proposal.pk}/{decision}/", data, format="json")


def pair_proposals(offer, need):
    return Proposal.objects.filter(offer=offer, need=need).order_by("id")


def stock_by_month(proposals, yard: Storage) -> dict[str, Decimal]:
    """Pieces held in ``yard`` at the end of each month: entered at or before it, leaving after."""
    held: dict[str, Decimal] = defaultdict(Decimal)
    months = [f"2027-{m:02d}" for m in range(1, 13)]
    for p in proposals:
        if p.via_storage_id != yard.pk:
            continue
        for row in p.storage_schedule:
            for month in months:
                if row["period_start"][:7] <= month:
                    held[month] += Decimal(row["quantity"])
        for row in p.schedule:
            for month in months:
                if row["period_start"][:7] <= month:
                    held[month] -= Decimal(row["quantity"])
    return dict(held)


def snapshot_problem():
    return build_snapshot(
        factor_set=f.ensure_factor_set(),
        objective="divert_then_distance",
        horizon_start=date(2026, 12, 1),
        horizon_days=365,
        time_step="month",
    ).problem


# --- 1. the room deals and reserving proposals hold ------------------------------------------
@pytest.mark.parametrize("held_by", ["deal", "reserving proposal"])
def test_a_yard_flow_agreed_or_reserved_holds_its_room_in_the_next_run(
    market, brewery, farm, yard_owner, run_now, held_by
):
    offer, need = market
    yard = panel_yard(yard_owner, capacity="60")
    assert run_now(time_step="month").status == "succeeded"
    (first,) = pair_proposals(offer, need)
    assert first.via_storage_id == yard.pk and first.quantity == 40
    assert post(brewery, first, "accept").status_code == 200
    if held_by == "deal":
        assert post(farm, first, "accept").status_code == 200
        assert post(yard_owner, first, "accept").json()["status"] == "agreed"
        assert Deal.objects.get().proposal_id == first.pk
    else:
        assert post(brewery, first, "accept").status_code == 409  # accepted for its side already
    (storage,) = snapshot_problem().storages
    assert storage.booked == ((JUNE, Decimal(40)), (SEPTEMBER, Decimal(0)))

    # a second supplier and builder of the same kind: only the room left (20 of 60) is theirs
    offer2, need2 = panel_offer(brewery), panel_need(farm)
    assert run_now(time_step="month").status == "succeeded"
    (second,) = pair_proposals(offer2, need2)
    assert second.via_storage_id == yard.pk and second.quantity == 20
    stock = stock_by_month([first, second], yard)
    assert max(stock.values()) == 60 and all(held <= 60 for held in stock.values())
    first.refresh_from_db()
    assert first.status == (ProposalStatus.AGREED if held_by == "deal" else ProposalStatus.ACCEPTED_BY_OFFER)


def test_a_tonne_yard_books_bulk_flows_in_tonnes(brewery, farm, yard_owner, run_now):
    f.ensure_factor_set()
    june = {"available_from": JUNE, "available_until": date(2027, 6, 30)}
    offer = f.make_offer(brewery.organisation, brewery.site, "straw", "100", unit="t", period="once", **june)
    need = f.make_need(
        farm.organisation,
        farm.site,
        ["straw"],
        "100",
        unit="t",
        period="once",
        available_from=SEPTEMBER,
        available_until=date(2027, 10, 31),
    )
    yard = storages.storage_create(
        organisation=yard_owner.organisation,
        actor=yard_owner.user,
        site=yard_owner.site.pk,
        materials=["straw"],
        capacity="150",
        unit="t",
        status="active",
    )
    run_now(time_step="month")
    (first,) = pair_proposals(offer, need)
    assert first.via_storage_id == yard.pk and first.quantity == Decimal(100)
    post(brewery, first, "accept")
    (storage,) = snapshot_problem().storages
    assert storage.booked == ((JUNE, Decimal(100)), (SEPTEMBER, Decimal(0)))


def test_a_declined_or_expired_yard_flow_holds_nothing(market, farm, yard_owner, run_now):
    offer, need = market
    panel_yard(yard_owner, capacity="60")
    run_now(time_step="month")
    (first,) = pair_proposals(offer, need)
    post(farm, first, "decline")
    assert snapshot_problem().storages[0].booked == ()


# --- 2. declines and yards ---------------------------------------------------------------
def test_a_pair_a_party_declined_comes_back_through_no_yard(
    market, brewery, yard_owner, second_owner, run_now
):
    offer, need = market
    yard = panel_yard(yard_owner)
    run_now(time_step="month")
    (proposal,) = pair_proposals(offer, need)
    assert proposal.via_storage_id == yard.pk
    body = post(brewery, proposal, "decline", reason="not this builder").json()
    assert (body["status"], body["declined_by"]) == ("declined", "supplier")
    panel_yard(second_owner)  # another yard on the way does not bring the pair back
    problem = snapshot_problem()
    assert (offer.pk, need.pk) in problem.declined_pairs and problem.declined_storage_triples == frozenset()
    assert run_now(time_step="month").status == "succeeded"
    assert list(pair_proposals(offer, need)) == [proposal]


def test_the_yard_owner_declines_only_the_flow_through_its_yard(market, yard_owner, second_owner, run_now):
    offer, need = market
    yard = panel_yard(yard_owner)
    run_now(time_step="month")
    (proposal,) = pair_proposals(offer, need)
    response = post(yard_owner, proposal, "decline", reason="full in summer")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["declined_by"]) == ("declined", "yard")
    event = Event.objects.get(action="proposal.declined")
    assert event.organisation_id == yard_owner.organisation.pk
    assert event.data == {"reason": "full in summer", "storage": yard.pk}
    problem = snapshot_problem()
    assert (offer.pk, need.pk) not in problem.declined_pairs
    assert problem.declined_storage_triples == frozenset({(offer.pk, need.pk, yard.pk)})
    # re-run: not through that yard again
    run_now(time_step="month")
    assert list(pair_proposals(offer, need)) == [proposal]
    # another yard: the pair is proposed through it
    other = panel_yard(second_owner)
    run_now(time_step="month")
    new = pair_proposals(offer, need).exclude(pk=proposal.pk).get()
    assert new.via_storage_id == other.pk and new.status == ProposalStatus.PROPOSED


def test_only_the_parties_and_the_yard_owner_may_decline(market, yard_owner, municipality, outsider, run_now):
    offer, need = market
    yard = panel_yard(yard_owner)
    run_now(time_step="month")
    (proposal,) = pair_proposals(offer, need)
    refused = post(municipality, proposal, "decline")
    assert refused.status_code == 403
    assert "storage yard's owner" in refused.json()["detail"]
    assert post(outsider, proposal, "decline").status_code == 404
    # a yard that accepts automatically has no say: its owner is not a party
    storages.storage_update(storage=yard, actor=yard_owner.user, accept_automatically=True)
    assert post(yard_owner, proposal, "decline").status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


# --- 3. the yard's owner is told and decides -----------------------------------------------
def subjects_to(address: str) -> list[str]:
    return [str(m.subject) for m in mail.outbox if address in m.to]


def test_a_new_flow_through_a_yard_is_emailed_to_its_owner_in_its_language(
    market, yard_owner, second_owner, run_now
):
    User.objects.filter(pk=second_owner.user.pk).update(language="ru")
    colleague = f.make_user("depotclerk")
    accounts.membership_add(
        user=colleague, organisation=second_owner.organisation, role=Membership.Role.MEMBER
    )
    panel_yard(yard_owner)
    run_now(time_step="month")
    assert subjects_to("yardkeeper@example.kz") == ["Qaita: 1 new match proposal"]
    body = next(m.body for m in mail.outbox if "yardkeeper@example.kz" in m.to)
    assert "1 of them goes through your storage yard and needs your acceptance too." in body
    assert "/matching/proposals/" in body
    assert subjects_to("brewer@example.kz") == ["Qaita: 1 new match proposal"]
    assert "storage yard" not in next(m.body for m in mail.outbox if "brewer@example.kz" in m.to)

    # the flow through the second yard: its owner reads Russian, a colleague the default language;
    # the first yard's owner, who declined, hears nothing more
    mail.outbox.clear()
    offer, need = market
    (proposal,) = pair_proposals(offer, need)
    assert post(yard_owner, proposal, "decline").json()["declined_by"] == "yard"
    panel_yard(second_owner)
    run_now(time_step="month")
    with translation.override("ru"):
        russian = ngettext("Qaita: %(n)d new match proposal", "Qaita: %(n)d new match proposals", 1) % {
            "n": 1
        }
    assert russian != "Qaita: 1 new match proposal"
    assert subjects_to("depotkeeper@example.kz") == [russian]
    assert subjects_to("depotclerk@example.kz") == ["Qaita: 1 new match proposal"]
    assert subjects_to("yardkeeper@example.kz") == []


def test_a_yard_that_accepts_automatically_is_not_asked(market, yard_owner, run_now):
    panel_yard(yard_owner, accept_automatically=True)
    run_now(time_step="month")
    assert Proposal.objects.get().via_storage is not None
    assert subjects_to("yardkeeper@example.kz") == []
    assert action_count(yard_owner.user) == 0 and feed_for(yard_owner.user) == []


def test_the_yard_owner_sees_the_flow_in_its_feed_and_inbox_and_decides_there(
    client, market, brewery, yard_owner, run_now
):
    panel_yard(yard_owner)
    run_now(time_step="month")
    proposal = Proposal.objects.get()
    assert action_count(yard_owner.user) == 1
    (notice,) = feed_for(yard_owner.user)
    assert notice.needs_action and notice.url == reverse("matching:proposals")
    assert notice.text == (
        "New flow through your storage yard at Alatau Storage Yard main site: 40 t of "
        f"{proposal.material.name} from Almaty Brewery to Talgar Dairy Farm; accept or decline it."
    ).replace("40 t", f"{proposal.mass_t.normalize():f} t")
    client.force_login(yard_owner.user)
    assert (
        "New flow through your storage yard" in client.get(reverse("matching:notifications")).content.decode()
    )
    inbox = client.get(reverse("matching:proposals")).content.decode()
    assert f'id="decision-{proposal.pk}"' in inbox
    assert 'data-decision="accept"' in inbox and 'data-decision="decline"' in inbox
    assert "This flow will not be proposed through your storage yard again." in inbox
    # the party's box keeps its own sentence
    client.force_login(brewery.user)
    assert (
        "The pair will not be proposed again." in client.get(reverse("matching:proposals")).content.decode()
    )

    client.force_login(yard_owner.user)
    box = client.post(
        reverse("matching:proposal-accept", args=[proposal.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"decision-{proposal.pk}",
    ).content.decode()
    proposal.refresh_from_db()
    assert proposal.storage_accepted_at is not None and proposal.status == ProposalStatus.PROPOSED
    assert 'data-decision="accept"' not in box and 'data-decision="decline"' in box
    assert action_count(yard_owner.user) == 0  # nothing left for it to decide
    html = client.post(
        reverse("matching:proposal-decline", args=[proposal.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"decision-{proposal.pk}",
    ).content.decode()
    assert "Declined: this flow will not be proposed through your storage yard again." in html
    assert Proposal.objects.get().declined_by == "yard"


def test_an_outsider_to_the_yard_gets_no_yard_buttons(
    market, farm, yard_owner, second_owner, run_now, client
):
    panel_yard(yard_owner)
    run_now(time_step="month")
    client.force_login(second_owner.user)
    assert client.get(reverse("matching:proposals")).content.decode().count("data-decision") == 0
    assert action_count(second_owner.user) == 0


# --- 4. the room deals hold bounds the yard's capacity ---------------------------------------
def test_the_owner_cannot_lower_a_yards_capacity_below_what_a_deal_holds_in_it(
    market, brewery, farm, yard_owner, run_now
):
    from matching.snapshot import storage_booked_peak

    yard = panel_yard(yard_owner, capacity="60")
    assert run_now(time_step="month").status == "succeeded"
    (flow,) = pair_proposals(*market)
    for persona in (brewery, farm, yard_owner):
        assert post(persona, flow, "accept").status_code == 200
    assert Deal.objects.filter(proposal=flow).exists()
    assert storage_booked_peak(yard) == (Decimal(40), JUNE)
    # once the panels have left the yard (September), nothing is held from then on
    assert storage_booked_peak(yard, today=date(2027, 10, 1)) == (Decimal(0), None)
    assert storage_booked_peak(yard, today=date(2027, 7, 15)) == (Decimal(40), date(2027, 7, 15))

    url = f"/api/v1/storages/{yard.pk}/"
    events = Event.objects.count()
    answer = yard_owner.client().patch(url, {"capacity": "39"}, format="json")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert "capacity" in str(body) and "40" in str(body) and "2027-06-01" in str(body)
    yard.refresh_from_db()
    assert yard.capacity == 60 and Event.objects.count() == events  # nothing written
    # down to exactly what is held, or up: fine
    assert yard_owner.client().patch(url, {"capacity": "40"}, format="json").status_code == 200
    assert yard_owner.client().patch(url, {"capacity": "80"}, format="json").status_code == 200
    yard.refresh_from_db()
    assert yard.capacity == 80


def test_a_yard_no_flow_holds_may_shrink_freely(market, yard_owner):
    yard = panel_yard(yard_owner, capacity="60")
    answer = yard_owner.client().patch(f"/api/v1/storages/{yard.pk}/", {"capacity": "1"}, format="json")
    assert answer.status_code == 200, answer.content
    yard.refresh_from_db()
    assert yard.capacity == 1


@pytest.mark.django_db(transaction=True)
def test_a_yards_update_is_one_transaction_of_its_own(brewery, farm, yard_owner):
    # outside any test transaction (PostgreSQL refuses a row lock outside one): the lock and the
    # checks run inside the service's own transaction
    f.ensure_factor_set()
    yard = panel_yard(yard_owner, capacity="60")
    updated = storages.storage_update(storage=yard, actor=yard_owner.user, capacity="50")
    assert updated.capacity == 50 and Storage.objects.get(pk=yard.pk).capacity == 50
