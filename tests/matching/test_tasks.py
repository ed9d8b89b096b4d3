"""The Celery tasks are thin; what they add is retry of transient errors and the schedule."""

import pytest
from django.conf import settings
from django.db import OperationalError

from matching import runs, snapshot, tasks
from matching.models import MatchRun, RunStatus
from matching.runs import execute

pytestmark = pytest.mark.django_db


def test_a_transient_database_error_hands_the_run_back_for_the_retry(grain_market, municipality, monkeypatch):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    real = snapshot.build_snapshot
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(execute, "build_snapshot", flaky)
    with pytest.raises(OperationalError):
        runs.match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.claim_token == "" and run.attempts == 1
    # What the task's automatic retry does next:
    assert tasks.run_match.apply(args=[run.pk]).get() == "succeeded"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2 and len(calls) == 2


def test_the_task_retries_only_transient_database_errors_at_most_three_times():
    from django.db import InterfaceError

    assert set(tasks.run_match.autoretry_for) == {OperationalError, InterfaceError}
    assert tasks.run_match.max_retries == 3
    assert tasks.run_match.acks_late and tasks.run_match.reject_on_worker_lost


def test_an_unexpected_error_fails_the_run_instead_of_leaving_it_running(
    grain_market, municipality, monkeypatch
):
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    monkeypatch.setattr(execute, "build_snapshot", lambda **kw: 1 / 0)
    assert tasks.run_match.apply(args=[run.pk]).get() == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "ZeroDivisionError" in run.error


def test_the_nightly_run_is_scheduled_and_skips_when_a_run_is_open(grain_market, municipality):
    from django_celery_beat.models import PeriodicTask

    # The migration created the nightly run from MATCHING_NIGHTLY_CRON (0 2 * * *, Asia/Almaty).
    nightly = PeriodicTask.objects.get(name="nightly-city-run")
    assert nightly.task == "matching.scheduled_run" and nightly.enabled
    assert (nightly.crontab.minute, nightly.crontab.hour, str(nightly.crontab.timezone)) == (
        "0",
        "2",
        "Asia/Almaty",
    )
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep-match-runs"]
    assert (
        sweep["task"] == "matching.sweep_runs" and sweep["schedule"] == settings.MATCHING_SWEEP_EVERY_S <= 30
    )
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    open_run = runs.match_run_start(actor=municipality.user, enqueue=False)
    assert tasks.scheduled_run.apply().get() is None
    assert MatchRun.objects.get().pk == open_run.pk


def test_the_scheduled_run_starts_one_without_a_user(grain_market):
    run_id = tasks.scheduled_run.apply().get()
    assert MatchRun.objects.get(pk=run_id).created_by is None


def test_the_scheduled_run_passes_its_time_step_to_the_run(grain_market):
    run_id = tasks.scheduled_run.apply(kwargs={"objective": "net_climate", "time_step": "week"}).get()
    run = MatchRun.objects.get(pk=run_id)
    assert run.objective == "net_climate" and run.parameters["time_step"] == "week"
