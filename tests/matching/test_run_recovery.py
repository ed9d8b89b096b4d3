"""Short leases kept alive by a heartbeat; runs whose message never reached a worker are re-sent.

The killed-worker and broker-down scenarios with real processes are in tests/worker/.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from matching import runs
from matching.models import MatchRun, RunStatus

pytestmark = pytest.mark.django_db


def test_the_lease_is_short_and_no_longer_tied_to_the_time_limits():
    assert settings.MATCHING_LEASE_S == 60
    assert settings.MATCHING_SWEEP_EVERY_S <= 30
    assert settings.MATCHING_REQUEUE_QUEUED_AFTER_S == 60
    # solver limit < soft time limit < hard time limit < visibility timeout (PITFALLS.md)
    assert (
        settings.MATCHING_SOLVER_TIME_LIMIT_S
        < settings.CELERY_TASK_SOFT_TIME_LIMIT
        < settings.CELERY_TASK_TIME_LIMIT
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )
    # A dead worker's run is recovered within lease + one sweep, well under 90 s.
    assert settings.MATCHING_LEASE_S + settings.MATCHING_SWEEP_EVERY_S < 90


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_keeps_renewing_the_lease_while_the_worker_holds_the_claim(
    grain_market, municipality, settings
):
    settings.MATCHING_LEASE_S = 3  # renewed every second
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    token = runs.claim(run_id=run.pk, worker="test-worker")
    first = MatchRun.objects.get(pk=run.pk).lease_expires_at
    with runs.LeaseHeartbeat(run_id=run.pk, token=token) as heartbeat:
        time.sleep(4.5)  # longer than the lease: without renewals it would have run out
        assert MatchRun.objects.get(pk=run.pk).lease_expires_at > timezone.now()
    assert heartbeat.renewals >= 3 and not heartbeat.lost
    assert MatchRun.objects.get(pk=run.pk).lease_expires_at > first + timedelta(seconds=2)
    assert runs.match_runs_sweep()["requeued"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_stops_once_the_claim_is_lost(grain_market, municipality, settings):
    settings.MATCHING_LEASE_S = 3
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    token = runs.claim(run_id=run.pk, worker="test-worker")
    MatchRun.objects.filter(pk=run.pk).update(claim_token="someone-else")
    with runs.LeaseHeartbeat(run_id=run.pk, token=token) as heartbeat:
        time.sleep(1.5)
    assert heartbeat.lost and heartbeat.renewals == 0
    assert runs.lease_renew(run_id=run.pk, token=token) is False


def _queued_run(municipality, *, created_ago: int, enqueued_ago: int | None) -> MatchRun:
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    now = timezone.now()
    MatchRun.objects.filter(pk=run.pk).update(
        created_at=now - timedelta(seconds=created_ago),
        enqueued_at=None if enqueued_ago is None else now - timedelta(seconds=enqueued_ago),
    )
    return run


def test_the_sweeper_sends_again_a_run_whose_send_failed_a_minute_ago(grain_market, municipality):
    run = _queued_run(municipality, created_ago=61, enqueued_ago=None)  # the broker was down
    assert runs.match_runs_sweep()["resent"] == 1  # eager: the re-sent task runs at once
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 1


def test_the_sweeper_sends_again_a_run_that_no_worker_claimed_within_a_minute(grain_market, municipality):
    run = _queued_run(municipality, created_ago=120, enqueued_ago=61)  # the message was lost
    assert runs.match_runs_sweep()["resent"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.parametrize(("created_ago", "enqueued_ago"), [(5, None), (120, 30)])
def test_the_sweeper_leaves_a_recently_sent_run_to_its_message(
    grain_market, municipality, created_ago, enqueued_ago
):
    run = _queued_run(municipality, created_ago=created_ago, enqueued_ago=enqueued_ago)
    assert runs.match_runs_sweep() == {"requeued": 0, "failed": 0, "resent": 0}
    assert MatchRun.objects.get(pk=run.pk).status == RunStatus.QUEUED


def test_a_successful_send_is_recorded_on_the_run(grain_market, municipality, settings):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    from config.celery_app import app

    app.conf.task_always_eager = False  # send for real, to the in-memory broker of the tests
    try:
        assert runs.match_run_send(run_id=run.pk) is True
    finally:
        app.conf.task_always_eager = True
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.enqueued_at is not None


def test_a_requeued_run_forgets_its_dead_workers_lease(grain_market, municipality, settings):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=1,
        claim_token="dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    settings.MATCHING_MAX_ATTEMPTS = 3
    from config.celery_app import app

    app.conf.task_always_eager = False  # leave the re-sent message in the (memory) broker
    try:
        assert runs.match_runs_sweep()["requeued"] == 1
    finally:
        app.conf.task_always_eager = True
    run.refresh_from_db()
    assert (run.status, run.claim_token, run.lease_expires_at) == (RunStatus.QUEUED, "", None)
    assert run.enqueued_at is not None
