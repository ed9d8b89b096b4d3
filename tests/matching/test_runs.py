"""Match-run lifecycle through the services, with the real solver, Celery eager."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import Event
from marketplace.factor_services import active_factor_set
from matching import engine, runs
from matching.impact import flow_impact
from matching.models import MatchRun, Proposal, RunStatus
from matching.snapshot import flow_factors_for
from tests import factories as f

pytestmark = pytest.mark.django_db

SPEC_STATS = {
    "offers",
    "needs",
    "arcs",
    "components",
    "solve_seconds",
    "proven_optimal",
    "supply_t",
    "diverted_t",
    "landfilled_t",
    "tkm",
    "net_co2e_t",
}


def test_a_run_proposes_the_optimal_flow_with_traceable_impact(grain_market, run_now):
    offer, need = grain_market
    run = run_now()
    assert run.status == RunStatus.SUCCEEDED and not run.is_open
    assert SPEC_STATS <= set(run.stats)
    assert run.stats["proven_optimal"] is True
    assert run.stats["diverted_t"] == 1500 and run.stats["landfilled_t"] == 500
    proposal = Proposal.objects.get(run=run)
    assert (proposal.offer, proposal.need, proposal.mass_t, proposal.unit) == (
        offer,
        need,
        Decimal("1500.000"),
        "t",
    )
    assert proposal.factor_set == run.factor_set == active_factor_set()
    factor = run.factor_set.factors.get(material__key="brewers_spent_grain")
    recomputed = flow_impact(
        mass_t=proposal.mass_t,
        distance_km=proposal.distance_km,
        current_destination="landfill",
        factors=flow_factors_for(factor, run.factor_set),
    )
    assert recomputed.as_dict() == proposal.impact_dict()
    assert proposal.landfill_avoided_kg == Decimal("1500") * factor.landfill_kg_per_t
    assert Decimal(str(run.stats["net_co2e_t"])) == (proposal.net_kg / 1000).quantize(Decimal("0.001"))


def test_only_active_listings_of_verified_organisations_enter_the_run(grain_market, outsider, run_now):
    f.make_need(outsider.organisation, outsider.site, "brewers_spent_grain", 5000)  # unverified
    offer, _ = grain_market
    f.make_need(
        grain_market[1].organisation, grain_market[1].site, "brewers_spent_grain", 100, status="paused"
    )
    run = run_now()
    assert run.stats["needs"] == 1
    assert set(Proposal.objects.values_list("need__organisation", flat=True)) == {
        grain_market[1].organisation_id
    }


def test_only_one_run_can_be_open_at_a_time(grain_market, municipality):
    first = runs.match_run_start(actor=municipality.user, enqueue=False)
    with pytest.raises(DomainError) as exc:
        runs.match_run_start(actor=municipality.user, enqueue=False)
    assert exc.value.extra["active_run"] == first.pk
    assert MatchRun.objects.count() == 1


def test_a_company_cannot_start_a_run(grain_market, brewery):
    with pytest.raises(DomainError):
        runs.match_run_start(actor=brewery.user)
    assert MatchRun.objects.count() == 0


def test_a_finished_run_is_never_solved_twice(grain_market, run_now):
    run = run_now()
    assert runs.match_run_execute(run_id=run.pk) == "not-claimed"
    assert Proposal.objects.filter(run=run).count() == 1


def test_a_new_run_keeps_an_unchanged_proposal_and_expires_a_changed_one(grain_market, run_now):
    from marketplace import services as listings

    first = run_now()
    kept = Proposal.objects.get(run=first)
    second = run_now()
    assert Proposal.objects.get() == kept  # the same id, now behind the second run
    assert second.stats["kept_proposals"] == 1 and second.stats["expired_proposals"] == 0
    listings.need_update(need=grain_market[1], actor=None, quantity="1200")
    third = run_now()
    kept.refresh_from_db()
    assert kept.status == "expired" and kept.run == second
    assert Proposal.objects.get(run=third).status == "proposed"
    assert third.stats["expired_proposals"] == 1 and third.stats["new_proposals"] == 1


def test_an_engine_error_fails_the_run_with_the_reason(grain_market, run_now, monkeypatch):
    def broken(problem):
        raise engine.InfeasibleInput("a listing has a negative quantity")

    monkeypatch.setattr(engine, "solve", broken)
    run = run_now()
    assert run.status == RunStatus.FAILED and "negative quantity" in run.error
    assert not run.is_open and Proposal.objects.count() == 0
    assert Event.objects.filter(action="match_run.failed", object_id=str(run.pk)).exists()


def test_the_sweeper_requeues_a_run_whose_worker_vanished(
    grain_market, municipality, django_capture_on_commit_callbacks
):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    # A worker claimed it and died: running, with a lease that has run out.
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=1,
        claim_token="dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert runs.match_runs_sweep()["requeued"] == 1  # eager: re-run at once
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert Proposal.objects.filter(run=run).count() == 1
    assert Event.objects.filter(action="match_run.requeued", object_id=str(run.pk)).exists()


def test_the_sweeper_fails_a_run_that_killed_its_workers_too_often(grain_market, municipality, settings):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=settings.MATCHING_MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert runs.match_runs_sweep()["failed"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and not run.is_open


def test_a_running_run_with_a_live_lease_is_left_alone(grain_market, municipality):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=1,
        claim_token="alive",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    assert runs.match_runs_sweep() == {"requeued": 0, "failed": 0, "resent": 0}
    assert runs.match_run_execute(run_id=run.pk) == "not-claimed"


def test_a_stale_worker_cannot_write_after_losing_its_claim(grain_market, municipality):
    from matching.snapshot import build_snapshot

    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    token = runs.claim(run_id=run.pk, worker="old-worker")
    MatchRun.objects.filter(pk=run.pk).update(claim_token="someone-else")
    snapshot = build_snapshot(
        factor_set=run.factor_set,
        objective=run.objective,
        horizon_start=run.horizon_start,
        horizon_days=run.horizon_days,
    )
    destinations = {o.id: o.current_destination for o in snapshot.problem.offers}
    assert (
        runs.write_results(
            run=run,
            token=token,
            solution=engine.solve(snapshot.problem),
            destinations=destinations,
            seconds=0.1,
        )
        is False
    )
    assert Proposal.objects.count() == 0


def test_new_proposals_are_emailed_to_both_parties(grain_market, run_now):
    run_now()
    recipients = sorted(r for m in mail.outbox for r in m.to)
    assert recipients == ["brewer@example.kz", "farmer@example.kz"]


@pytest.mark.django_db(transaction=True)
def test_the_run_matching_command_prints_the_summary(grain_market, capsys):
    from django.core.management import call_command

    call_command("run_matching", "--timeout", "60")
    out = capsys.readouterr().out
    assert "succeeded" in out and "diverted 1,500.000 t" in out and "proven optimal: True" in out
