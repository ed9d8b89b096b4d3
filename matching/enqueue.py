"""Send a Celery task by its registered name.

The modules that queue work (the run lifecycle, fan-out, conversations, e-mail notifications)
send their tasks by name, so that none of them imports ``matching.tasks``, which imports them:
the import graph stays free of cycles. ``MatchingConfig.ready()`` imports ``matching.tasks`` in
every process, so the names are always registered; sending one that is not raises ``KeyError``
instead of silently bypassing eager mode. With ``CELERY_TASK_ALWAYS_EAGER`` (tests and the
embedded demo) the task runs in-process, as ``task.delay`` would. The app is Celery's current
app (``config.celery_app``, set current when ``config`` is imported), so matching does not
import the config layer above it.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from celery.result import AsyncResult, EagerResult


def enqueue(name: str, *args: Any) -> AsyncResult | EagerResult:
    """``task.delay(*args)`` for the registered task ``name``."""
    return current_app.tasks[name].delay(*args)
