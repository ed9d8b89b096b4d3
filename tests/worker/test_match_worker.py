"""Match runs on real Celery workers over Redis and PostgreSQL: crash, recovery, concurrency."""

import threading
import time

import pytest
from django.db import connection

from accounts.models import Event
from matching import runs
from matching.models import MatchRun, Proposal, RunStatus
from tests.worker_process import WorkerProcess, purge_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_status(run_id):
    return MatchRun.objects.get(pk=run_id).status


@pytest.fixture
def workers():
    purge_broker()
    started = []

    def start(name, **env):
        worker = WorkerProcess(name, extra_env={k: str(v) for k, v in env.items()})
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    purge_broker()


def test_a_run_is_solved_by_a_real_worker(grain_market, municipality, workers):
    worker = workers("solver")
    run = runs.match_run_start(actor=municipality.user)  # committed: on_commit sends it to Redis
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED), worker.output()
    run.refresh_from_db()
    assert run.worker.startswith("solver@") and run.attempts == 1
    assert Proposal.objects.filter(run=run).count() == 1


def test_a_worker_killed_mid_solve_is_replaced_and_the_run_succeeds_exactly_once(
    grain_market, municipality, workers
):
    doomed = workers("doomed", MATCHING_TEST_SLOW_SOLVE_S=30, MATCHING_LEASE_S=3)
    run = runs.match_run_start(actor=municipality.user)
    assert wait_for(lambda: MatchRun.objects.get(pk=run.pk).progress >= 20), doomed.output()
    doomed.kill()  # SIGKILL mid-solve: no goodbye, no ack
    assert run_status(run.pk) == RunStatus.RUNNING
    workers("rescuer", MATCHING_LEASE_S=30)
    # Once the dead worker's lease has run out, the sweeper (a beat task) hands the run on.
    assert wait_for(lambda: runs.match_runs_sweep()["requeued"] == 1, timeout=20, interval=0.5)
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED)
    run.refresh_from_db()
    assert run.attempts == 2 and run.worker.startswith("rescuer@")
    assert Proposal.objects.filter(run=run).count() == 1
    assert Event.objects.filter(action="match_run.succeeded", object_id=str(run.pk)).count() == 1
    # A duplicate delivery of the original message changes nothing.
    assert runs.match_run_execute(run_id=run.pk) == "not-claimed"
    assert Proposal.objects.filter(run=run).count() == 1


def test_a_run_left_running_by_a_vanished_worker_is_recovered_by_the_sweeper(
    grain_market, municipality, workers
):
    from datetime import timedelta

    from django.utils import timezone

    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=1,
        claim_token="ghost",
        worker="ghost@nowhere",
        lease_expires_at=timezone.now() - timedelta(seconds=5),
    )
    workers("janitor")
    assert runs.match_runs_sweep()["requeued"] == 1
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED)
    assert Proposal.objects.filter(run=run).count() == 1


def test_two_concurrent_starts_give_one_run_and_one_409(grain_market, municipality):
    from rest_framework.test import APIClient

    barrier = threading.Barrier(2)
    codes = []

    def post():
        client = APIClient()
        client.force_authenticate(municipality.user)
        barrier.wait()
        codes.append(client.post("/api/v1/match-runs/", {}, format="json").status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202, 409]
    assert MatchRun.objects.count() == 1


def test_a_large_run_is_fanned_out_over_two_workers(grain_market, brewery, farm, municipality, workers):
    from matching.models import RunPart
    from tests import factories as f

    f.make_offer(brewery.organisation, brewery.site, "wooden_pallets", 500, unit="piece", period="month")
    f.make_need(farm.organisation, farm.site, "wooden_pallets", 4000, unit="piece", max_distance_km=70)
    env = {"MATCHING_FANOUT_PARTS": 2, "MATCHING_FANOUT_MIN_LISTINGS": 0, "MATCHING_TEST_SLOW_SOLVE_S": 2}
    first, second = workers("alpha", **env), workers("beta", **env)
    run = runs.match_run_start(actor=municipality.user)
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED, timeout=90), (
        first.output() + second.output()
    )
    parts = RunPart.objects.filter(run=run)
    assert parts.count() == 2 and all(p.status == "done" for p in parts)
    # Each part slept 2 s before solving, so the idle worker took the second part.
    assert {p.worker.split("@")[0] for p in parts} == {"alpha", "beta"}
    assert Proposal.objects.filter(run=run).count() == 2
