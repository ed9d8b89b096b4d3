"""Thin Celery tasks for accounts."""

from celery import shared_task


@shared_task(name="accounts.worker_heartbeat")
def worker_heartbeat(token: str) -> str:
    """Record that a worker reached the database: an operations check of the whole chain
    (web → broker → worker → database). Returns the worker's host name."""
    import socket

    from .models import Event

    host = socket.gethostname()
    Event.objects.create(
        action="worker.heartbeat", object_type="worker", object_id=token[:40], data={"host": host}
    )
    return host
