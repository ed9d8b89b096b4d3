"""Celery application, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("qaita")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatStep(bootsteps.StartStopStep):
    """Every worker writes ``worker:<hostname>`` to the heartbeat table at start and then every
    ``HEALTH_WORKER_HEARTBEAT_S`` from its main process, busy pool or not; ``/healthz/`` reports
    the worker stale when the freshest beat is older than ``HEALTH_WORKER_STALE_S``."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        from .health import worker_heartbeat

        worker_heartbeat(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.HEALTH_WORKER_HEARTBEAT_S, worker_heartbeat, (worker.hostname,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(HeartbeatStep)
