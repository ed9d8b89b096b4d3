"""Terms on proposals (issue 11 point 3): revisions, one transition table, deals that store them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import DomainError, ErrorCode
from matching import services
from matching.models import Deal, Message, Proposal, TermsRevision
from tests import deal_room
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


def web(persona):
    from django.test import Client

    client = Client()
    client.force_login(persona.user)
    return client


def terms_url(proposal):
    return f"/api/v1/proposals/{proposal.pk}/terms/"


def body(**overrides):
    data = {
        "quantity": "100",
        "price_per_unit_kzt": "-1500.50",
        "transport_by": "receiver",
        "schedule": {"every": "month", "start": "2027-01-15", "end": "2027-06-15"},
    }
    data.update(overrides)
    return data


def propose_terms(persona, proposal, **overrides):
    return persona.client().post(terms_url(proposal), body(**overrides), format="json")


def test_proposing_terms_accepts_them_for_your_side_and_the_other_side_accepts(proposed, brewery, farm):
    response = propose_terms(brewery, proposed)
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["status"] == "accepted_by_offer"
    assert row["terms"]["number"] == 1
    assert row["terms"]["quantity"] == "100.000"
    assert row["terms"]["price_per_unit_kzt"] == "-1500.50"
    assert row["terms"]["price_total_kzt"] == "-150050.00"
    assert row["terms"]["transport_by"] == "receiver"
    assert row["terms"]["schedule"] == {"every": "month", "start": "2027-01-15", "end": "2027-06-15"}
    assert row["terms"]["organisation"] == {"id": brewery.organisation.pk, "name": "Almaty Brewery"}
    assert len(row["terms_revisions"]) == 1
    assert row["respond_by"] is not None
    accepted = farm.client().post(f"/api/v1/proposals/{proposed.pk}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "agreed"
    deal = Deal.objects.get()
    assert deal.terms.number == 1
    assert deal.quantity == Decimal("100.000") and deal.mass_t == Decimal("100.000")
    api = farm.client().get(f"/api/v1/deals/{deal.pk}/").json()
    assert api["terms"]["quantity"] == "100.000" and api["quantity"] == "100.000"
    assert api["economics"] is None or api["economics"]["price_total_kzt"] == "-150050.00"
    plan = api["plan"]
    assert [p["quantity"] for p in plan] == ["16.667"] * 4 + ["16.666"] * 2  # 0.001 t, largest remainder
    assert [p["date"] for p in plan] == [f"2027-0{m}-15" for m in range(1, 7)]
    assert plan[-1]["cumulative"] == "100.000" and not any(p["overdue"] for p in plan)


def test_new_terms_clear_the_other_sides_acceptance_and_keep_respond_by(proposed, brewery, farm):
    services.proposal_accept(proposal=proposed, actor=farm.user)
    first = Proposal.objects.get()
    assert first.status == "accepted_by_need"
    response = propose_terms(brewery, first, quantity="50")
    assert response.status_code == 201
    after = Proposal.objects.get()
    assert after.status == "accepted_by_offer"
    assert after.need_accepted_at is None and after.offer_accepted_at is not None
    assert after.respond_by == first.respond_by  # counted from the first acceptance
    # The receiver counters: their terms, the supplier's acceptance cleared.
    assert propose_terms(farm, after, quantity="60", transport_by="carrier").status_code == 201
    again = Proposal.objects.get()
    assert again.status == "accepted_by_need" and again.offer_accepted_at is None
    assert again.terms_number == 2 and again.respond_by == first.respond_by
    row = brewery.client().get(f"/api/v1/proposals/{again.pk}/").json()
    assert [r["number"] for r in row["terms_revisions"]] == [1, 2]
    assert row["terms"]["quantity"] == "60.000" and row["terms"]["transport_by"] == "carrier"
    services.proposal_accept(proposal=Proposal.objects.get(), actor=brewery.user)
    deal = Deal.objects.get()
    assert deal.terms.number == 2 and deal.quantity == Decimal("60.000")


def test_the_deal_follows_the_agreed_quantity_with_impact_recomputed(proposed, brewery, farm):
    from matching.snapshot import flow_factors_for, impact_of

    propose_terms(brewery, proposed, quantity="250.5", schedule=None)
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    deal = Deal.objects.get()
    proposal = Proposal.objects.get()
    expected = impact_of(
        mass_t=Decimal("250.500"),
        distance_km=proposal.distance_km,
        current_destination=proposal.current_destination,
        factors=flow_factors_for(
            proposal.factor_set.factors.filter(material=proposal.material).first(), proposal.factor_set
        ),
    )
    assert deal.mass_t == Decimal("250.500")
    assert deal.impact_dict() == expected.as_dict()
    assert deal.net_kg != proposal.net_kg
    # Terms without a schedule of their own: the deal's plan is seeded from the proposal's
    # monthly schedule (issue 13), scaled to the agreed quantity.
    plan = farm.client().get(f"/api/v1/deals/{deal.pk}/").json()["plan"]
    assert proposal.schedule and plan
    assert Decimal(plan[-1]["cumulative"]) == Decimal("250.500")


def test_each_revision_is_kept_and_shown_in_the_thread(proposed, brewery, farm, municipality):
    propose_terms(brewery, proposed)
    Message.objects.create(
        proposal=proposed, author=farm.user, organisation=farm.organisation, body="Too much"
    )
    propose_terms(farm, Proposal.objects.get(), quantity="80")
    revisions = list(TermsRevision.objects.order_by("number"))
    assert [(r.number, r.organisation_id, r.author_id) for r in revisions] == [
        (1, brewery.organisation.pk, brewery.user.pk),
        (2, farm.organisation.pk, farm.user.pk),
    ]
    thread = municipality.client().get(f"/api/v1/proposals/{proposed.pk}/messages/").json()["results"]
    assert [m["body"][:40] for m in thread][1] == "Too much"
    assert thread[0]["body"].startswith("Terms proposed by Almaty Brewery (revision 1): 100 t")
    assert thread[2]["body"].startswith("Terms proposed by Talgar Dairy Farm (revision 2): 80 t")
    assert "gate fee of 1 500.50 KZT per t" in thread[0]["body"]
    page = web(farm).get(f"/matching/proposals/{proposed.pk}/")
    assert page.status_code == 200
    assert "Terms proposed by Talgar Dairy Farm (revision 2)" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"quantity": "1500.001"}, "quantity"),  # more than the proposal's 1500 t
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"price_per_unit_kzt": "1.234"}, "price_per_unit_kzt"),
        ({"price_per_unit_kzt": "x"}, "price_per_unit_kzt"),
        ({"transport_by": "plane"}, "transport_by"),
        ({"schedule": {"every": "day", "start": "2027-01-01", "end": "2027-02-01"}}, "schedule"),
        ({"schedule": {"every": "week", "start": "2027-03-01", "end": "2027-02-01"}}, "schedule"),
        ({"schedule": {"every": "week", "start": "2027-03-01"}}, "schedule"),
        ({"schedule": {"every": "week", "start": "nope", "end": "2027-02-01"}}, "schedule"),
        ({"schedule": {"every": "week", "start": "2027-01-01", "end": "2027-02-01", "x": 1}}, "schedule"),
        ({"schedule": "monthly"}, "schedule"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_terms_are_400_naming_the_field_and_nothing_is_written(proposed, brewery, overrides, field):
    response = propose_terms(brewery, proposed, **overrides)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert TermsRevision.objects.count() == 0 and Message.objects.count() == 0
    assert Proposal.objects.get().status == "proposed"


def test_schedule_dates_must_lie_inside_both_windows(brewery, farm, run_now):
    f.make_offer(
        brewery.organisation,
        brewery.site,
        "brewers_spent_grain",
        100,
        available_from=date(2027, 1, 1),
        available_until=date(2027, 12, 31),
    )
    f.make_need(
        farm.organisation,
        farm.site,
        ["brewers_spent_grain"],
        100,
        available_from=date(2026, 6, 1),
        available_until=date(2027, 6, 30),
        max_distance_km=80,
    )
    proposal = deal_room.propose(run_now)
    q = str(proposal.quantity.normalize())
    for start, end, field in (
        ("2026-12-31", "2027-03-01", "schedule.start"),  # before the offer's window
        ("2027-02-01", "2027-07-01", "schedule.end"),  # after the need's window
    ):
        schedule = {"every": "week", "start": start, "end": end}
        response = propose_terms(brewery, proposal, quantity=q, schedule=schedule)
        assert response.status_code == 400 and field in response.content.decode(), response.content
    ok = propose_terms(brewery, proposal, quantity=q, schedule={"every": "once", "start": "2027-06-30"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["terms"]["schedule"] == {"every": "once", "start": "2027-06-30", "end": "2027-06-30"}


def test_pieces_are_whole(brewery, farm, run_now):
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece")
    f.make_need(farm.organisation, farm.site, ["jute_bags"], 2000, unit="piece", max_distance_km=80)
    proposal = deal_room.propose(run_now)
    assert proposal.unit == "piece"
    bad = propose_terms(brewery, proposal, quantity="10.5", schedule=None)
    assert bad.status_code == 400 and "quantity" in bad.content.decode()
    assert propose_terms(brewery, proposal, quantity="1000", schedule=None).status_code == 201
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    deal = Deal.objects.get()
    assert deal.quantity == 1000
    assert deal.mass_t == (Decimal(1000) * proposal.material.mass_per_piece_t).quantize(Decimal("0.001"))


def test_only_parties_propose_terms(proposed, municipality, outsider):
    assert propose_terms(municipality, proposed).status_code == 403
    assert propose_terms(outsider, proposed).status_code == 404
    assert TermsRevision.objects.count() == 0


def test_terms_after_a_decision_or_the_window_are_refused(proposed, brewery, farm):
    services.proposal_accept(proposal=proposed, actor=farm.user)
    Proposal.objects.filter(pk=proposed.pk).update(respond_by=timezone.now() - timedelta(seconds=1))
    assert propose_terms(brewery, Proposal.objects.get()).status_code == 409
    Proposal.objects.filter(pk=proposed.pk).update(respond_by=timezone.now() + timedelta(days=1))
    services.proposal_decline(proposal=Proposal.objects.get(), actor=brewery.user)
    assert propose_terms(brewery, Proposal.objects.get()).status_code == 409
    assert TermsRevision.objects.count() == 0


def test_an_acceptance_of_stale_terms_loses(proposed, brewery, farm):
    """The conditional update is on the revision too: an accept read before new terms is refused."""
    propose_terms(brewery, proposed)
    stale = Proposal.objects.get()  # the receiver read revision 1 ...
    propose_terms(brewery, stale, quantity="90")  # ... the supplier revises (same status)
    with pytest.raises(DomainError) as error:
        services.proposal_accept(proposal=stale, actor=farm.user)
    assert error.value.code is ErrorCode.CONFLICT
    assert Proposal.objects.get().status == "accepted_by_offer" and not Deal.objects.exists()


def test_a_member_of_both_parties_proposing_terms_makes_the_deal(proposed, brewery, farm):
    from accounts.models import Membership

    Membership.objects.create(user=brewery.user, organisation=farm.organisation, role="admin")
    assert propose_terms(brewery, proposed, quantity="10").status_code == 201
    assert Deal.objects.get().quantity == Decimal("10.000")


def test_the_pages_terms_form_proposes_and_a_refusal_is_400_with_the_reason(proposed, brewery, farm):
    url = f"/matching/proposals/{proposed.pk}/terms/"
    form = {"quantity": "99999", "price_per_unit_kzt": "10", "transport_by": "supplier", "schedule_every": ""}
    refused = web(brewery).post(url, form)
    assert refused.status_code == 400 and "At most the proposal" in refused.content.decode()
    assert TermsRevision.objects.count() == 0
    form.update(quantity="40", schedule_every="week", schedule_start="2027-01-04", schedule_end="2027-01-25")
    assert web(brewery).post(url, form).status_code == 302
    assert Proposal.objects.get().status == "accepted_by_offer"
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    deal = Deal.objects.get()
    page = web(farm).get(f"/matching/deals/{deal.pk}/").content.decode()
    assert "Delivery plan" in page and page.count("data-plan-row") == 4
    assert "<td>10 t</td>" in page and "<td>40 t</td>" in page  # 40 t over four weeks


def test_a_terms_entry_keeps_the_messages_shape(proposed, brewery):
    propose_terms(brewery, proposed)
    [entry] = brewery.client().get(f"/api/v1/proposals/{proposed.pk}/messages/").json()["results"]
    assert set(entry) == {"id", "body", "author", "organisation", "created_at"}
    assert entry["organisation"]["id"] == brewery.organisation.pk


def test_the_proposal_page_states_the_distance_as_the_viewer_may_see_it(proposed, brewery, municipality):
    party = web(brewery).get(f"/matching/proposals/{proposed.pk}/").content.decode()
    city = web(municipality).get(f"/matching/proposals/{proposed.pk}/").content.decode()
    assert "≈" in party and f"{proposed.distance_km:.1f} km" not in party
    assert f"{proposed.distance_km:.1f} km" in city
