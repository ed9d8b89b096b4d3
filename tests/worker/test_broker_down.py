"""Losing the broker: a run started while Redis is unreachable is recorded and answered 202; once
Redis is back, the sweeper sends it again and a real worker runs it.

"Redis down" is a real broker URL pointing at a closed port, used by a separate web process
(the API called through Django's handler in a subprocess), not a mock.
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from matching.models import MatchRun, RunStatus
from tests import worker_process
from tests.worker_process import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

START_A_RUN = r"""
import json, time
import django
django.setup()
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(get_user_model().objects.get(username="analyst"))
started = time.perf_counter()
first = client.post("/api/v1/match-runs/", {}, format="json")
seconds = time.perf_counter() - started
again = client.post("/api/v1/match-runs/", {}, format="json")
print(json.dumps({"status": first.status_code, "body": first.json(), "seconds": seconds,
                  "again": again.status_code, "again_body": again.json()}))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def _post_with_the_broker_down() -> tuple[dict, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": worker_process.test_database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/3",
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-c", START_A_RUN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_run_started_while_the_broker_is_down_is_accepted_and_run_once_it_is_back(
    grain_market, municipality, workers, beat
):
    answer, log = _post_with_the_broker_down()
    print(f"\nPOST /api/v1/match-runs/ with the broker down: {answer['status']} in {answer['seconds']:.2f} s")
    assert answer["status"] == 202 and answer["body"]["status"] == "queued"
    assert answer["again"] == 409 and answer["again_body"]["active_run"] == answer["body"]["id"]
    assert answer["seconds"] < 10
    run = MatchRun.objects.get(pk=answer["body"]["id"])
    assert run.status == RunStatus.QUEUED and run.enqueued_at is None  # recorded, never sent
    warning = next(json.loads(line) for line in log.splitlines() if "broker is unreachable" in line)
    assert warning["level"] == "WARNING" and warning["run_id"] == run.pk

    # Redis is reachable again: the beat's sweep (every 15 s) sends the unclaimed run again. The
    # worker's threshold is lowered from 60 s so the test need not wait a minute (the threshold
    # itself is tested in tests/matching/test_run_recovery.py).
    back = time.monotonic()
    workers("after-outage", MATCHING_REQUEUE_QUEUED_AFTER_S=5)
    beat()
    assert wait_for(lambda: MatchRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED, timeout=90)
    recovered = time.monotonic() - back
    print(f"run #{run.pk} sent again by the sweeper and solved {recovered:.1f} s after Redis was back")
    run.refresh_from_db()
    assert run.attempts == 1 and run.worker.startswith("after-outage@") and run.enqueued_at is not None
