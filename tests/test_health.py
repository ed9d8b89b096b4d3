"""/healthz/ says which part is down: the database (a real write), the broker, the workers.

Each part is really put out of order: the database read-only, full or out of reach, Redis at a
port where nothing listens, the worker heartbeat left to go stale (and a real worker's beat).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.models import Heartbeat
from tests.conftest import _reachable
from tests.db_faults import closed_port, full_database, read_only_database, unreachable_database


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz/")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.fixture
def real_redis(settings):
    url = os.environ.get("REDIS_URL", "")
    if not _reachable(url):
        pytest.skip("needs a reachable Redis (REDIS_URL)")
    settings.REDIS_URL = url
    return url


def beat(age_s: float, name: str = "worker:celery@test") -> None:
    Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now() - timedelta(seconds=age_s)}
    )


@pytest.mark.django_db
def test_everything_up_without_a_broker_is_ok_and_says_what_it_skipped(client, settings):
    settings.REDIS_URL = ""
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("skipped")
    assert body["checks"]["worker"].startswith("skipped")
    assert not Heartbeat.objects.filter(name__startswith="probe:").exists()  # the probe left nothing


@pytest.mark.django_db
def test_a_read_only_database_fails_the_database_check(client, settings):
    settings.REDIS_URL = ""
    with read_only_database():
        status, body = health(client)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["database"].startswith("fail:")
    assert "read" in body["checks"]["database"].lower()


@pytest.mark.django_db(transaction=True)
def test_a_full_database_fails_the_database_check(client, settings):
    settings.REDIS_URL = ""
    with full_database():
        status, body = health(client)
    assert status == 503
    assert body["checks"]["database"] == "fail: database or disk is full"


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_fails_the_database_check(client, settings):
    settings.REDIS_URL = ""
    with unreachable_database():
        status, body = health(client)
    assert status == 503
    assert body["checks"]["database"].startswith("fail:")
    assert health(client)[0] == 200  # reachable again


@pytest.mark.django_db
def test_redis_where_nothing_listens_fails_the_broker_check(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/1"
    settings.HEALTH_BROKER_TIMEOUT_S = 1
    beat(5)
    started = time.monotonic()
    status, body = health(client)
    assert time.monotonic() - started < 5
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["broker"].startswith("fail:")
    assert "connect" in body["checks"]["broker"].lower()
    assert body["checks"]["database"] == "ok" and body["checks"]["worker"] == "ok"


@pytest.mark.django_db
def test_with_redis_up_and_a_fresh_worker_beat_everything_is_ok(client, real_redis):
    beat(5)
    status, body = health(client)
    assert (status, body) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "broker": "ok", "worker": "ok"}},
    )


@pytest.fixture
def some_broker(settings):
    """A broker is configured (so workers are expected); reachable when REDIS_URL is."""
    url = os.environ.get("REDIS_URL", "")
    settings.REDIS_URL = url if _reachable(url) else f"redis://127.0.0.1:{closed_port()}/1"
    settings.HEALTH_BROKER_TIMEOUT_S = 1


@pytest.mark.django_db
def test_a_stale_worker_heartbeat_fails_the_worker_check(client, some_broker, settings):
    settings.HEALTH_WORKER_STALE_S = 120
    beat(300)
    beat(400, name="worker:celery@gone")
    status, body = health(client)
    assert status == 503
    assert body["checks"]["worker"].startswith("fail: last worker heartbeat 300 s ago")
    beat(10)  # a live worker again
    assert health(client)[1]["checks"]["worker"] == "ok"


@pytest.mark.django_db
def test_no_worker_heartbeat_at_all_fails_the_worker_check(client, some_broker):
    status, body = health(client)
    assert status == 503
    assert body["checks"]["worker"] == "fail: no worker heartbeat yet (is a Celery worker running?)"


@pytest.mark.django_db
def test_the_health_check_answers_by_address_over_plain_http(client, settings):
    """Compose and load balancers call it as http://127.0.0.1:8000/healthz/: no HTTPS redirect,
    no host check (the production settings exempt it from SECURE_SSL_REDIRECT)."""
    settings.REDIS_URL = ""
    settings.ALLOWED_HOSTS = ["qaita.example.kz"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    response = client.get("/healthz/", headers={"host": "10.0.0.5:8000"})
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/login/", headers={"host": "10.0.0.5:8000"}).status_code == 400  # the rest is checked


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_beats_and_its_heartbeat_goes_stale_once_it_is_gone(client, settings):
    from tests.worker_process import WorkerProcess

    settings.REDIS_URL = os.environ["REDIS_URL"]
    worker = WorkerProcess("heartbeat", extra_env={"HEALTH_WORKER_HEARTBEAT_S": "1"})
    try:
        deadline = time.monotonic() + 20
        while not Heartbeat.objects.filter(name__startswith="worker:heartbeat@").exists():
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        first = Heartbeat.objects.get(name__startswith="worker:heartbeat@").beat_at
        time.sleep(2.5)
        assert Heartbeat.objects.get(name__startswith="worker:heartbeat@").beat_at > first  # the timer beats
        status, body = health(client)
        assert status == 200, body
    finally:
        worker.kill()
    settings.HEALTH_WORKER_STALE_S = 2
    time.sleep(3)
    status, body = health(client)
    assert status == 503 and body["checks"]["worker"].startswith("fail: last worker heartbeat")
