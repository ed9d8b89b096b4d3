"""Match runs on real Celery workers over Redis and PostgreSQL: crash, recovery, concurrency."""

import json
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Event
from matching import runs
from matching.models import MatchRun, Proposal, RunStatus
from tests.worker_process import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def run_status(run_id):
    return MatchRun.objects.get(pk=run_id).status


def test_a_run_is_solved_by_a_real_worker(grain_market, municipality, workers):
    worker = workers("solver")
    run = runs.match_run_start(actor=municipality.user)  # committed: on_commit sends it to Redis
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED), worker.output()
    run.refresh_from_db()
    assert run.worker.startswith("solver@") and run.attempts == 1
    assert Proposal.objects.filter(run=run).count() == 1


def test_a_worker_killed_mid_solve_is_replaced_within_90_s_and_the_run_succeeds_exactly_once(
    grain_market, municipality, workers, beat
):
    """Production settings: 60 s lease renewed by the heartbeat, the beat's sweep every 15 s."""
    assert settings.MATCHING_LEASE_S == 60 and settings.MATCHING_SWEEP_EVERY_S == 15
    doomed = workers("doomed", slow_solve_s=300)
    beat()
    run = runs.match_run_start(actor=municipality.user)
    assert wait_for(lambda: MatchRun.objects.get(pk=run.pk).progress >= 20), doomed.output()
    workers("rescuer")  # running when the other dies, as the other workers of a deployment are
    doomed.kill()  # SIGKILL mid-solve: no goodbye, no ack, no more heartbeats
    killed = time.monotonic()
    assert run_status(run.pk) == RunStatus.RUNNING
    # The lease runs out (≤ 60 s), the next sweep (≤ 15 s) re-queues the run, the rescuer solves it.
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED, timeout=120, interval=0.5)
    recovered = time.monotonic() - killed
    print(f"\nkilled worker's run recovered and solved {recovered:.1f} s after the SIGKILL")
    assert recovered < 90
    run.refresh_from_db()
    assert run.attempts == 2 and run.worker.startswith("rescuer@")
    assert Proposal.objects.filter(run=run).count() == 1
    assert Event.objects.filter(action="match_run.requeued", object_id=str(run.pk)).count() == 1
    assert Event.objects.filter(action="match_run.succeeded", object_id=str(run.pk)).count() == 1
    # A duplicate delivery of the original message changes nothing.
    assert runs.match_run_execute(run_id=run.pk) == "not-claimed"
    assert Proposal.objects.filter(run=run).count() == 1


def test_the_heartbeat_keeps_a_live_workers_claim_past_its_lease_and_logs_json(
    grain_market, municipality, workers
):
    """A 3 s lease and an 8 s solve: the sweeper never takes the run from the live worker."""
    worker = workers("steady", MATCHING_LEASE_S=3, slow_solve_s=8, LOG_FORMAT="json", quiet=True)
    run = runs.match_run_start(actor=municipality.user)
    assert wait_for(lambda: MatchRun.objects.get(pk=run.pk).progress >= 20), worker.output()
    leases = set()
    while run_status(run.pk) == RunStatus.RUNNING:
        leases.add(MatchRun.objects.get(pk=run.pk).lease_expires_at)
        assert runs.match_runs_sweep()["requeued"] == 0
        time.sleep(0.5)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 1
    assert len(leases - {None}) >= 4  # renewed about every second through the 8 s solve
    # The worker wrote one JSON object per line; the run's lines carry its run id and task id.
    records = [json.loads(line) for line in worker.output().splitlines() if line.strip()]
    assert all(
        {"time", "level", "logger", "message", "request_id", "task_id", "run_id"} <= set(r) for r in records
    )
    mine = [r for r in records if r["run_id"] == run.pk]
    assert mine and [r for r in mine if not r["task_id"]] == []
    for step in ("claimed by steady@", "solved:", "wrote 1 proposals", "ended: succeeded"):
        assert any(step in r["message"] for r in mine), step
    assert any("ready." in r["message"] for r in records)


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
    env = {"MATCHING_FANOUT_PARTS": 2, "MATCHING_FANOUT_MIN_LISTINGS": 0, "slow_solve_s": 2}
    first, second = workers("alpha", **env), workers("beta", **env)
    run = runs.match_run_start(actor=municipality.user, time_step="none")  # a monthly run is kept whole
    assert wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED, timeout=90), (
        first.output() + second.output()
    )
    parts = RunPart.objects.filter(run=run)
    assert parts.count() == 2 and all(p.status == "done" for p in parts)
    # Each part slept 2 s before solving, so the idle worker took the second part.
    assert {p.worker.split("@")[0] for p in parts} == {"alpha", "beta"}
    assert Proposal.objects.filter(run=run).count() == 2
