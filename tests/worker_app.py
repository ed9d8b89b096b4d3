"""The Celery app the real-worker tests start (``celery -A tests.worker_app``): the project's
own app (``config.celery_app``), plus the tests' one hook.

With ``QAITA_TEST_SLOW_SOLVE_S`` in its environment, each pool process of the worker sleeps
that long before every solve, through the ``before_solve`` hooks of
:mod:`matching.runs.execute`: a window in which a test kills the worker mid-solve. Production
code reads no such setting; nothing but this module installs the hook.
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any

from celery import signals

from config.celery_app import app

__all__ = ["SLOW_SOLVE_ENV", "app"]

SLOW_SOLVE_ENV = "QAITA_TEST_SLOW_SOLVE_S"


@signals.worker_process_init.connect
def install_slow_solve(**kwargs: Any) -> None:
    """In each pool process (Django is set up by then): sleep before every solve, if asked."""
    seconds = float(os.environ.get(SLOW_SOLVE_ENV) or 0)
    if seconds:
        from matching.runs import execute

        execute.before_solve.append(partial(time.sleep, seconds))
