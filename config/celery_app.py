"""Celery application, configured from Django settings (``CELERY_`` namespace).

Worker and beat log through Django's ``LOGGING`` (``config.logs``), so ``LOG_FORMAT=json`` gives
the same one-object-per-line output as the web, with the task id on every line of a task.
"""

import os
from typing import Any

from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("qaita")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """A receiver here stops Celery from configuring logging itself: ours applies instead."""
    from django.conf import settings

    from config.logs import configure

    configure(settings.LOGGING)


@signals.task_prerun.connect
def bind_task_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from config.logs import task_id_var

    # Tokens are kept on the task request so postrun can restore exactly what was there.
    if task is not None and task.request is not None:
        task.request.qaita_log_token = task_id_var.set(task_id)


@signals.task_postrun.connect
def unbind_task_id(task: Any = None, **kwargs: Any) -> None:
    from config.logs import task_id_var

    token = getattr(getattr(task, "request", None), "qaita_log_token", None)
    if token is not None:
        try:
            task_id_var.reset(token)
        except ValueError:  # set in another context (eager calls nest); clearing is enough
            task_id_var.set(None)


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
