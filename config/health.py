"""``/healthz/``: is each part this deployment needs working right now?

- ``database``: a real committed write (a probe row bigger than a page, inserted and deleted),
  so a read-only database (hot standby, ``default_transaction_read_only``) or a full disk fails
  here, not just an unreachable one.
- ``broker``: Redis answers a write and a ping (only when ``REDIS_URL`` is set; without it tasks
  run in-process and there is no broker to check).
- ``worker``: the freshest worker heartbeat (each Celery worker writes one every
  ``HEALTH_WORKER_HEARTBEAT_S``, see ``config/celery_app.py``) is younger than
  ``HEALTH_WORKER_STALE_S`` (only when a broker is configured).

200 ``{"status": "ok", "checks": {...}}`` when every check is ``ok`` or ``skipped: …``;
503 ``{"status": "fail", ...}`` naming what failed (``"fail: <reason>"``) otherwise.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

log = logging.getLogger(__name__)

OK = "ok"
NO_BROKER = "skipped: no broker (REDIS_URL unset), tasks run in-process"
# Bigger than a database page (SQLite 4 KB), so the probe needs fresh space, as real writes do.
PROBE_BYTES = 8192
WORKER_PREFIX = "worker:"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"fail: {text[:200]}"


def check_database() -> str:
    from .models import Heartbeat

    try:
        with transaction.atomic():
            probe = Heartbeat.objects.create(
                name=f"probe:{uuid.uuid4().hex}",
                beat_at=timezone.now(),
                payload=secrets.token_hex(PROBE_BYTES // 2),
            )
            probe.delete()
    except DatabaseError as exc:
        return _reason(exc)
    return OK


def check_broker() -> str:
    if not settings.REDIS_URL:
        return NO_BROKER
    import redis

    timeout = settings.HEALTH_BROKER_TIMEOUT_S
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        # A write, not only a ping: a Redis that refuses writes (MISCONF after a failed save on a
        # full disk, a read-only replica) cannot take tasks either.
        client.set("qaita:healthz", timezone.now().isoformat(), ex=60)
        client.ping()
    except redis.RedisError as exc:
        return _reason(exc)
    finally:
        client.close()
    return OK


def check_worker() -> str:
    if not settings.REDIS_URL:
        return NO_BROKER
    from .models import Heartbeat

    try:
        latest = (
            Heartbeat.objects.filter(name__startswith=WORKER_PREFIX)
            .order_by("-beat_at")
            .values("beat_at")
            .first()
        )
    except DatabaseError as exc:
        return _reason(exc)
    if latest is None:
        return "fail: no worker heartbeat yet (is a Celery worker running?)"
    age = (timezone.now() - latest["beat_at"]).total_seconds()
    if age > settings.HEALTH_WORKER_STALE_S:
        return f"fail: last worker heartbeat {age:.0f} s ago (stale after {settings.HEALTH_WORKER_STALE_S} s)"
    return OK


def health_report() -> tuple[bool, dict[str, str]]:
    checks = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    healthy = not any(value.startswith("fail") for value in checks.values())
    return healthy, checks


def healthz(request: HttpRequest) -> JsonResponse:
    healthy, checks = health_report()
    if not healthy:
        log.warning("health check failed: %s", checks)
    response = JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


def heartbeat_record(*, name: str) -> None:
    """Write ``name``'s heartbeat now (a worker calls this on a timer); forget beats a day old."""
    from .models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    Heartbeat.objects.filter(name__startswith=WORKER_PREFIX, beat_at__lt=now - timedelta(days=1)).delete()


def worker_heartbeat(hostname: str) -> None:
    """The worker's timer: record the beat and keep no connection open in the worker's main
    process (its pool children are forked from it)."""
    try:
        heartbeat_record(name=f"{WORKER_PREFIX}{hostname}")
    except Exception:  # the worker must outlive a database outage; the health check reports it
        log.warning("could not record the worker heartbeat", exc_info=True)
    finally:
        connections.close_all()
