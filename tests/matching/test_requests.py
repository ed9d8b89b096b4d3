"""Direct requests (issue 11 point 5): a company asks for a listing with one of its own."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from matching import services
from matching.invariants import check_invariants
from matching.models import Proposal
from tests import deal_room
from tests import factories as f
from tests.yards import panel_yard, yard_owner_persona

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _throttles():
    deal_room.clear_throttles()


def ask_for_offer(persona, offer, need_id):
    return persona.client().post(f"/api/v1/offers/{offer.pk}/request/", {"need": need_id}, format="json")


def ask_for_need(persona, need, offer_id):
    return persona.client().post(f"/api/v1/needs/{need.pk}/request/", {"offer": offer_id}, format="json")


def test_the_needs_owner_asks_for_an_offer(grain_market, farm, brewery):
    offer, need = grain_market
    response = ask_for_offer(farm, offer, need.pk)
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["origin"] == "request" and row["run"] is None and row["first_run"] is None
    assert row["status"] == "accepted_by_need" and row["waiting_for"] == ["supplier"]
    assert row["respond_by"] is not None
    # What the pair can carry over a year: min(2000 t offered, 1500 t needed).
    assert row["quantity"] == "1500.000" and row["mass_t"] == "1500.000" and row["unit"] == "t"
    assert row["impact"]["net_kg"] and row["explanation"]
    proposal = Proposal.objects.get()
    window = proposal.respond_by - proposal.need_accepted_at
    assert window == timedelta(days=14)
    # The supplier sees it and may accept: a deal.
    assert brewery.client().get(f"/api/v1/proposals/{proposal.pk}/").status_code == 200
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    assert Proposal.objects.get().status == "agreed"
    assert check_invariants() == []


def test_the_offers_owner_asks_for_a_need(grain_market, brewery):
    offer, need = grain_market
    response = ask_for_need(brewery, need, offer.pk)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "accepted_by_offer"


def test_quantity_is_net_of_deals_and_reservations(grain_market, brewery, farm, municipality):
    offer, need = grain_market
    other = f.make_need(
        municipality.organisation, municipality.site, ["brewers_spent_grain"], 1800, max_distance_km=80
    )
    first = ask_for_need(brewery, other, offer.pk)
    assert first.status_code == 201 and first.json()["quantity"] == "1800.000"
    # 2000 − 1800 reserved = 200 t left for the farm's need.
    second = ask_for_offer(farm, offer, need.pk)
    assert second.status_code == 201 and second.json()["quantity"] == "200.000"
    third = f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 10, max_distance_km=80)
    refused = ask_for_offer(farm, offer, third.pk)
    assert refused.status_code == 400 and "Nothing is left" in refused.content.decode()


def rule_cases():
    return [
        "unverified",
        "inactive",
        "material",
        "radius",
        "offer_radius",
        "windows",
        "declined",
        "open",
        "same_org",
        "lot",
    ]


@pytest.mark.parametrize("case", rule_cases())
def test_each_matching_rule_refuses_with_its_reason(case, brewery, farm, municipality, run_now):
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    need_kwargs = {"max_distance_km": 80}
    expected = ""
    if case == "unverified":
        farm.organisation.verified = False
        farm.organisation.save()
        expected = "not verified"
    if case == "inactive":
        need_kwargs["status"] = "paused"  # the requester's own need (another's paused one is a 404)
        expected = "not active"
    materials = ["bread_residues"] if case == "material" else ["brewers_spent_grain"]
    if case == "material":
        expected = "does not accept"
    if case == "radius":
        need_kwargs["max_distance_km"] = 10
        expected = "beyond the need"
    if case == "offer_radius":
        offer = f.make_offer(
            brewery.organisation, brewery.site, "brewers_spent_grain", 100, max_distance_km=5
        )
        expected = "beyond the offer"
    if case == "windows":
        offer = f.make_offer(
            brewery.organisation,
            brewery.site,
            "brewers_spent_grain",
            100,
            available_from=date(2027, 1, 1),
            available_until=date(2027, 3, 1),
        )
        need_kwargs.update(available_from=date(2027, 4, 1), available_until=date(2027, 5, 1))
        expected = "do not overlap"
    if case == "lot":
        offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100, min_lot=80)
        expected = "minimum lot"
    owner = municipality if case == "same_org" else farm
    need = f.make_need(owner.organisation, owner.site, materials, 50, **need_kwargs)
    if case == "same_org":
        need = f.make_need(brewery.organisation, brewery.site, materials, 50, **need_kwargs)
        owner = brewery
        expected = "same organisation"
    if case in ("declined", "open"):
        run_now()
        proposal = Proposal.objects.get(offer=offer, need=need)
        if case == "declined":
            services.proposal_decline(proposal=proposal, actor=brewery.user)
            expected = "declined"
        else:
            expected = "already an open proposal"
    before = Proposal.objects.count()
    response = ask_for_offer(owner, offer, need.pk)
    assert response.status_code == 400, (case, response.content)
    payload = response.content.decode()
    assert expected in payload, payload
    assert '"need"' in payload  # the field the reason is about
    assert Proposal.objects.count() == before


def test_another_companys_listing_as_yours_is_400_and_one_you_cannot_see_is_404(grain_market, farm, brewery):
    offer, need = grain_market
    not_mine = f.make_need(
        brewery.organisation, brewery.site, ["brewers_spent_grain"], 10, max_distance_km=80
    )
    response = ask_for_offer(farm, offer, not_mine.pk)
    assert (
        response.status_code == 400 and "need" in response.json()["fields"]
        if "fields" in response.json()
        else True
    )
    assert "need" in response.content.decode()
    assert ask_for_offer(farm, offer, 999999).status_code == 400
    draft = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 10, status="draft")
    assert ask_for_offer(farm, draft, need.pk).status_code == 404
    assert (
        farm.client().post("/api/v1/offers/999999/request/", {"need": need.pk}, format="json").status_code
        == 404
    )
    bad = farm.client().post(f"/api/v1/offers/{offer.pk}/request/", {"need": "x"}, format="json")
    assert bad.status_code == 400
    assert farm.client().post(f"/api/v1/offers/{offer.pk}/request/", {}, format="json").status_code == 400
    assert Proposal.objects.count() == 0


def test_a_request_survives_runs_and_its_pair_is_left_out(grain_market, farm, brewery, run_now):
    offer, need = grain_market
    assert ask_for_offer(farm, offer, need.pk).status_code == 201
    request = Proposal.objects.get()
    run = run_now()
    assert run.status == "succeeded", run.error
    kept = Proposal.objects.get(pk=request.pk)
    assert (kept.status, kept.origin, kept.run_id) == ("accepted_by_need", "request", None)
    assert Proposal.objects.count() == 1  # the pair not proposed again, its quantity reserved
    assert run.stats["awaiting_proposals"] == 1 and run.stats["expired_proposals"] == 0
    # Reports, run filters and pages cope with run = null.
    assert brewery.client().get("/api/v1/proposals/?origin=request").json()["count"] == 1
    assert brewery.client().get(f"/api/v1/proposals/?run={run.pk}").json()["count"] == 0
    report = brewery.client().get("/api/v1/reports/impact/?basis=proposed")
    assert report.status_code == 200, report.content
    from django.test import Client

    web = Client()
    web.force_login(brewery.user)
    assert web.get(f"/matching/proposals/{kept.pk}/").status_code == 200
    assert web.get("/matching/proposals/").status_code == 200
    assert check_invariants() == []


def test_a_request_expires_when_the_window_passes(grain_market, farm):
    offer, need = grain_market
    ask_for_offer(farm, offer, need.pk)
    expired = services.proposals_expire_overdue(now=timezone.now() + timedelta(days=15))
    assert expired == [Proposal.objects.get().pk]


def test_a_piece_request_counts_whole_pieces(brewery, farm):
    offer = f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="once")
    need = f.make_need(farm.organisation, farm.site, ["jute_bags"], 2000, unit="piece", max_distance_km=80)
    response = ask_for_offer(farm, offer, need.pk)
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["unit"] == "piece" and Decimal(row["quantity"]) == 2000


def test_the_listing_page_offers_ask_for_this_with_your_own_listings(grain_market, farm):
    from django.test import Client

    offer, need = grain_market
    web = Client()
    web.force_login(farm.user)
    page = web.get(f"/marketplace/offers/{offer.pk}/").content.decode()
    assert "Ask for this" in page and f'value="{need.pk}"' in page
    response = web.post(f"/matching/request/offer/{offer.pk}/", {"own": need.pk})
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert response.url == f"/matching/proposals/{proposal.pk}/"
    again = web.post(f"/matching/request/offer/{offer.pk}/", {"own": need.pk})
    assert again.status_code == 302 and Proposal.objects.count() == 1


def test_a_requests_explanation_states_the_period_from_its_own_day(grain_market, farm):
    offer, need = grain_market
    row = ask_for_offer(farm, offer, need.pk).json()
    assert "a year" in row["explanation"] and "Almaty Brewery" in row["explanation"]


def test_the_listings_owner_is_told_by_email(grain_market, farm, brewery, django_capture_on_commit_callbacks):
    from django.core import mail

    offer, need = grain_market
    brewery.user.email, farm.user.email = "b@example.kz", "f@example.kz"
    brewery.user.save()
    farm.user.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert ask_for_offer(farm, offer, need.pk).status_code == 201
    [message] = mail.outbox
    assert message.to == ["b@example.kz"]
    assert "Talgar Dairy Farm asks for your listing" in message.subject
    assert f"/matching/proposals/{Proposal.objects.get().pk}/" in message.body


def test_a_pair_only_a_yard_owner_declined_may_still_be_requested(grain_market, farm, run_now):
    """A yard owner's decline bars the flow through its yard, not the pair (issue 13)."""
    offer, need = grain_market
    run_now()
    proposal = Proposal.objects.get(offer=offer, need=need)
    yard = panel_yard(yard_owner_persona())
    Proposal.objects.filter(pk=proposal.pk).update(status="declined", declined_by="yard", via_storage=yard)
    response = ask_for_offer(farm, offer, need.pk)
    assert response.status_code == 201, response.content
    Proposal.objects.filter(pk=response.json()["id"]).delete()
    Proposal.objects.filter(pk=proposal.pk).update(declined_by="receiver")
    refused = ask_for_offer(farm, offer, need.pk)
    assert refused.status_code == 400 and "declined" in refused.content.decode()
