"""Proposals survive runs (issue 10 point 3): kept ids, one-sided acceptances, the response window."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import services as listings
from matching import services, tasks
from matching.models import Deal, Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(grain_market, run_now):
    run = run_now()
    assert run.status == "succeeded", run.error
    return run


def the_proposal() -> Proposal:
    return Proposal.objects.get(status__in=["proposed", "accepted_by_offer", "accepted_by_need"])


def accept(persona, proposal=None):
    return services.proposal_accept(
        proposal=Proposal.objects.get(pk=(proposal or the_proposal()).pk), actor=persona.user
    )


# --- Undecided proposals made again unchanged ----------------------------------------------------


def test_an_unchanged_proposal_keeps_its_id_and_history_through_later_runs(first, run_now, brewery):
    original = the_proposal()
    second = run_now()
    third = run_now()
    kept = Proposal.objects.get(pk=original.pk)
    assert Proposal.objects.count() == 1
    assert (kept.status, kept.run, kept.first_run, kept.created_at) == (
        "proposed",
        third,
        first,
        original.created_at,
    )
    assert second.stats["kept_proposals"] == 1 and second.stats["new_proposals"] == 0
    assert third.stats["proposals"] == 1 and third.stats["expired_proposals"] == 0
    client = brewery.client()
    assert [r["id"] for r in client.get(f"/api/v1/proposals/?run={third.pk}").json()["results"]] == [kept.pk]
    assert client.get(f"/api/v1/proposals/?run={first.pk}").json()["results"] == []
    row = client.get(f"/api/v1/proposals/{kept.pk}/").json()
    assert row["run"] == third.pk and row["first_run"] == first.pk


def test_a_quantity_within_one_percent_is_the_same_proposal_with_the_new_figures(
    first, run_now, grain_market
):
    original = the_proposal()
    listings.need_update(need=grain_market[1], actor=None, quantity="1510")  # +0.67 %
    second = run_now()
    kept = the_proposal()
    assert kept.pk == original.pk and kept.run == second and kept.quantity == Decimal("1510.000")
    assert kept.mass_t == Decimal("1510.000") and kept.net_kg != original.net_kg


def test_a_quantity_changed_by_more_than_one_percent_is_a_new_proposal(first, run_now, grain_market):
    original = the_proposal()
    listings.need_update(need=grain_market[1], actor=None, quantity="1530")  # +2 %
    second = run_now()
    original.refresh_from_db()
    fresh = Proposal.objects.get(run=second)
    assert original.status == "expired" and fresh.pk != original.pk and fresh.first_run == second
    assert second.stats["new_proposals"] == 1 and second.stats["expired_proposals"] == 1


def test_a_proposal_the_next_run_does_not_make_again_expires(first, run_now, grain_market, farm):
    listings.need_set_status(need=grain_market[1], actor=farm.user, status="paused")
    second = run_now()
    assert Proposal.objects.get().status == "expired" and second.stats["expired_proposals"] == 1


# --- One side accepted -----------------------------------------------------------------------------


def test_a_one_sided_acceptance_survives_later_runs_and_its_pair_is_not_proposed_again(
    first, run_now, brewery, settings
):
    accepted = accept(brewery)
    assert accepted.status == "accepted_by_offer"
    assert accepted.respond_by == accepted.offer_accepted_at + timedelta(days=settings.MATCHING_RESPONSE_DAYS)
    second = run_now()
    third = run_now()
    again = Proposal.objects.get()
    assert (again.pk, again.status, again.offer_accepted_at, again.run) == (
        accepted.pk,
        "accepted_by_offer",
        accepted.offer_accepted_at,
        first,
    )
    assert second.stats["awaiting_proposals"] == 1 and second.stats["proposals"] == 0
    assert third.stats["expired_proposals"] == 0


def test_the_other_side_can_still_accept_after_later_runs(first, run_now, brewery, farm):
    accept(farm)
    run_now()
    assert accept(brewery).status == "agreed"
    assert Deal.objects.get().proposal_id == Proposal.objects.get().pk


def test_an_accepted_proposal_reserves_its_quantity_in_later_runs(first, run_now, farm, brewery):
    accept(farm)  # 1500 t of the brewery's 2000 t, awaiting the brewery
    baker = f.make_user("baker")
    bakery = f.make_organisation("Almaty Bakery", members=(baker,))
    site = f.make_site(bakery, "Bakery yard", latitude="43.2500", longitude="76.9300")
    f.make_need(bakery, site, ["brewers_spent_grain"], 1000, max_distance_km=50)
    second = run_now()
    assert second.stats["supply_t"] == 500  # 2000 t offered, 1500 t reserved
    fresh = Proposal.objects.get(run=second)
    assert fresh.need.organisation == bakery and fresh.mass_t == Decimal("500.000")


# --- The response window ---------------------------------------------------------------------------


def test_when_the_window_passes_the_proposal_expires_and_both_sides_are_told(
    first, brewery, farm, client, django_capture_on_commit_callbacks
):
    accepted = accept(brewery)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.proposals_expire_overdue(now=accepted.respond_by - timedelta(seconds=1)) == []
        assert services.proposals_expire_overdue(now=accepted.respond_by + timedelta(seconds=1)) == [
            accepted.pk
        ]
    accepted.refresh_from_db()
    assert accepted.status == "expired" and accepted.offer_accepted_at is not None
    assert Event.objects.filter(action="proposal.expired", object_id=str(accepted.pk)).count() == 2
    assert sorted(r for m in mail.outbox for r in m.to) == ["brewer@example.kz", "farmer@example.kz"]
    assert all(
        "expired" in m.subject and "http://127.0.0.1:8000/matching/proposals/" in m.body for m in mail.outbox
    )
    for persona in (brewery, farm):
        client.force_login(persona.user)
        assert "the time to respond ran out" in client.get(reverse("matching:notifications")).content.decode()


def test_the_beat_task_expires_overdue_proposals(first, brewery, settings):
    settings.MATCHING_RESPONSE_DAYS = 0
    accepted = accept(brewery)
    assert tasks.expire_proposals() == 1
    accepted.refresh_from_db()
    assert accepted.status == "expired"


def test_accepting_after_the_window_is_a_conflict_and_changes_nothing(first, brewery, farm, settings):
    settings.MATCHING_RESPONSE_DAYS = 0
    accept(brewery)
    with pytest.raises(DomainError) as exc:
        accept(farm)
    assert exc.value.code is ErrorCode.CONFLICT and "expired" in exc.value.message
    assert Proposal.objects.get().status == "accepted_by_offer" and not Deal.objects.exists()


def test_a_run_after_the_window_expires_the_proposal_and_may_propose_the_pair_again(
    first, run_now, brewery, settings
):
    settings.MATCHING_RESPONSE_DAYS = 0
    accepted = accept(brewery)
    second = run_now()
    accepted.refresh_from_db()
    fresh = Proposal.objects.get(run=second)
    assert accepted.status == "expired" and fresh.pk != accepted.pk and fresh.status == "proposed"
    assert second.stats["expired_proposals"] == 1


# --- Whom it waits for, until when -----------------------------------------------------------------


def test_the_api_states_whom_a_proposal_waits_for_and_until_when(first, brewery, farm):
    pid = the_proposal().pk
    row = farm.client().get(f"/api/v1/proposals/{pid}/").json()
    assert row["waiting_for"] == ["supplier", "receiver"] and row["respond_by"] is None
    assert [o["name"] for o in row["waiting_for_organisations"]] == ["Almaty Brewery", "Talgar Dairy Farm"]
    accepted = brewery.client().post(f"/api/v1/proposals/{pid}/accept/").json()
    assert accepted["waiting_for"] == ["receiver"]
    assert accepted["waiting_for_organisations"] == [
        {"id": farm.organisation.pk, "name": "Talgar Dairy Farm"}
    ]
    respond_by = Proposal.objects.get().respond_by
    assert accepted["respond_by"] == respond_by.astimezone(timezone.get_current_timezone()).isoformat()
    done = farm.client().post(f"/api/v1/proposals/{pid}/accept/").json()
    assert done["status"] == "agreed" and done["waiting_for"] == []


def test_the_inbox_states_whom_it_waits_for_until_when(first, brewery, farm, client):
    accept(brewery)
    client.force_login(brewery.user)
    page = client.get(reverse("matching:proposals")).content.decode()
    pid = Proposal.objects.get().pk
    assert "waiting for Talgar Dairy Farm until" in page
    assert reverse("matching:proposal-accept", args=[pid]) not in page  # my side has accepted
    client.force_login(farm.user)
    assert (
        reverse("matching:proposal-accept", args=[pid])
        in client.get(reverse("matching:proposals")).content.decode()
    )
