"""A real Celery worker over Redis reaches the real test database."""

import time
import uuid

import pytest

from accounts.models import Event
from accounts.tasks import worker_heartbeat
from tests.worker_process import WorkerProcess, purge_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_redis_is_run_by_a_worker_that_writes_to_the_database():
    purge_broker()
    worker = WorkerProcess("roundtrip")
    try:
        token = uuid.uuid4().hex
        worker_heartbeat.delay(token)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Event.objects.filter(object_id=token).exists():
            time.sleep(0.2)
        event = Event.objects.get(action="worker.heartbeat", object_id=token)
        assert event.data["host"]
        assert "accounts.worker_heartbeat" in worker.output()
    finally:
        worker.stop()
