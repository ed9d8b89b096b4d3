"""check_invariants: a healthy city passes; each invariant, broken on purpose, is reported.

The city is built through the services; the breakage uses raw ORM updates, since no service
would ever write such a state.
"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from marketplace.models import Need, Offer
from matching import runs
from matching.invariants import INVARIANTS, check_invariants
from matching.models import Deal, Delivery, MatchRun, Proposal

pytestmark = pytest.mark.django_db


def violations_of(name: str) -> list[str]:
    return [v.message for v in check_invariants() if v.invariant == name]


def run_command() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("check_invariants", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_a_healthy_city_holds_every_invariant(city):
    output, error = run_command()
    assert error is None
    assert f"All {len(INVARIANTS)} invariants hold" in output


def test_an_empty_database_holds_every_invariant(db):
    assert check_invariants() == []


def test_the_command_lists_each_violation_on_its_own_line_and_exits_non_zero(city):
    Deal.objects.filter(pk=city.grain_deal.pk).update(delivered_t=Decimal("1"))
    Proposal.objects.filter(pk=city.cardboard.pk).update(net_kg=F("net_kg") + 1)
    output, error = run_command()
    assert error is not None and error.returncode == 1
    lines = output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"[deals.delivered_total] deal #{city.grain_deal.pk}: delivered_t is 1.000 t")
    assert lines[1].startswith(f"[impact.proposals] proposal #{city.cardboard.pk}: ")


def test_a_running_run_with_an_expired_lease_is_reported(city, municipality):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    expired = timezone.now() - timedelta(seconds=5)
    MatchRun.objects.filter(pk=run.pk).update(status="running", lease_expires_at=expired)
    [message] = violations_of("runs.terminal_or_leased")
    assert f"run #{run.pk} is running without a live lease" in message


def test_a_running_run_with_a_live_lease_and_a_fresh_queued_run_are_fine(city, municipality):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    assert violations_of("runs.terminal_or_leased") == []
    live = timezone.now() + timedelta(minutes=5)
    MatchRun.objects.filter(pk=run.pk).update(status="running", lease_expires_at=live)
    assert violations_of("runs.terminal_or_leased") == []


def test_a_run_queued_for_too_long_is_reported(city, municipality, settings):
    settings.MATCHING_REQUEUE_QUEUED_AFTER_S = 60
    settings.MATCHING_SWEEP_EVERY_S = 15
    assert runs.queued_bound_seconds() == 195
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    now = timezone.now()
    # Past the lease (60 s) but within three resends plus a sweep: the sweeper is still at it.
    MatchRun.objects.filter(pk=run.pk).update(queued_at=now - timedelta(seconds=150))
    assert violations_of("runs.terminal_or_leased") == []
    MatchRun.objects.filter(pk=run.pk).update(queued_at=now - timedelta(seconds=200))
    [message] = violations_of("runs.terminal_or_leased")
    assert f"run #{run.pk} has been queued" in message and "over 195 s" in message


def test_a_run_handed_back_to_the_queue_counts_from_then(city, municipality):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    long_ago = timezone.now() - timedelta(hours=2)
    token = runs.claim(run_id=run.pk, worker="test")
    MatchRun.objects.filter(pk=run.pk).update(created_at=long_ago, queued_at=long_ago)
    runs.release(run_id=run.pk, token=token)  # a transient error: back in the queue, queued_at now
    requeued = MatchRun.objects.get(pk=run.pk)
    assert requeued.status == "queued" and requeued.queued_at > long_ago
    assert violations_of("runs.terminal_or_leased") == []


def test_an_offer_committed_beyond_its_supply_is_reported(city):
    offer_id = city.grain_deal.offer_id
    Offer.objects.filter(pk=offer_id).update(quantity=Decimal("1000"))  # the deal took 1500 t
    [message] = violations_of("offers.committed_within_supply")
    assert f"offer #{offer_id}" in message and "1500.000 t committed" in message


def test_a_need_committed_beyond_its_demand_is_reported_in_its_own_unit(city):
    need_id = city.panels_deal.need_id
    Need.objects.filter(pk=need_id).update(quantity=Decimal("60"))  # 100 pieces agreed
    [message] = violations_of("needs.committed_within_demand")
    assert f"need #{need_id}" in message and "100.000 piece committed" in message


def test_deliveries_beyond_the_tolerance_are_reported(city):
    deal = city.grain_deal
    Delivery.objects.filter(pk=city.deliveries[0].pk).update(mass_t=Decimal("1600"))
    Deal.objects.filter(pk=deal.pk).update(delivered_t=Decimal("1700"))
    [message] = violations_of("deals.delivered_within_tolerance")
    assert f"deal #{deal.pk}: 1700.000 t delivered" in message
    assert violations_of("deals.delivered_total") == []


def test_a_delivered_total_that_drifted_from_its_deliveries_is_reported(city):
    Deal.objects.filter(pk=city.grain_deal.pk).update(delivered_t=Decimal("499.999"))
    [message] = violations_of("deals.delivered_total")
    assert f"deal #{city.grain_deal.pk}" in message and "500.000" in message


@pytest.mark.parametrize(
    "model, name, attribute",
    [
        (Proposal, "impact.proposals", "cardboard"),
        (Deal, "impact.deals", "panels_deal"),
        (Delivery, "impact.deliveries", None),
    ],
)
def test_a_stored_impact_one_gram_off_its_factor_set_is_reported(city, model, name, attribute):
    pk = getattr(city, attribute).pk if attribute else city.deliveries[1].pk
    model.objects.filter(pk=pk).update(transport_kg=F("transport_kg") + Decimal("0.001"))
    [message] = violations_of(name)
    assert f"#{pk}" in message and "transport_kg" in message


def test_an_impact_computed_with_another_factor_set_is_reported(city, municipality):
    from marketplace.factor_services import factor_set_copy, factor_set_publish, factor_update

    active = city.grain.factor_set
    draft = factor_set_copy(source=active, version="doubled-landfill", actor=municipality.user)
    factor = draft.factors.get(material__key="brewers_spent_grain")
    factor_update(factor=factor, actor=municipality.user, landfill_kg_per_t=factor.landfill_kg_per_t * 2)
    factor_set_publish(factor_set=draft, actor=municipality.user)
    # Re-pin the grain proposal to the new set without recomputing: its landfill figure is now wrong.
    Proposal.objects.filter(pk=city.grain.pk).update(factor_set=draft)
    [message] = violations_of("impact.proposals")
    assert f"proposal #{city.grain.pk}" in message and "landfill_avoided_kg" in message


def test_a_deal_whose_proposal_is_not_agreed_is_reported(city):
    Proposal.objects.filter(pk=city.panels.pk).update(status="declined")
    [message] = violations_of("orphans.deal_proposal_agreed")
    assert f"deal #{city.panels_deal.pk}" in message and f"proposal #{city.panels.pk}" in message


def test_an_agreed_proposal_without_a_deal_is_reported(city):
    Proposal.objects.filter(pk=city.cardboard.pk).update(status="agreed")
    assert violations_of("orphans.agreed_proposal_has_deal") == [
        f"proposal #{city.cardboard.pk} is agreed but has no deal"
    ]


def test_a_proposal_from_a_failed_run_is_reported(city):
    MatchRun.objects.filter(pk=city.run.pk).update(status="failed", is_open=False)
    messages = violations_of("orphans.proposal_run_succeeded")
    assert len(messages) == Proposal.objects.filter(run=city.run).count()
    assert all(f"run #{city.run.pk}" in m for m in messages)


def test_a_deal_that_no_longer_matches_its_proposal_is_reported(city):
    Deal.objects.filter(pk=city.panels_deal.pk).update(quantity=Decimal("99"))
    [message] = violations_of("deals.copy_proposal")
    assert f"deal #{city.panels_deal.pk}" in message and "quantity" in message
