"""How many processes a run's solve may use (``engine.solve(workers=…)``), issue 16.

``MATCHING_SOLVER_WORKERS`` (default: the machine's core count) is the number of forked
processes that solve a run's min-cost-flow components side by side. Runs smaller than
``MATCHING_PARALLEL_MIN_LISTINGS`` offers + needs (default 2,000) solve in one process: forking
costs more than their whole solve. Where forking is impossible (a daemonic pool worker) the
engine falls back to one process by itself.
"""

from __future__ import annotations

import os

from django.conf import settings

from .engine import Problem


def configured_workers() -> int:
    value = settings.MATCHING_SOLVER_WORKERS
    return max(1, int(value) if value else (os.cpu_count() or 1))


def workers_for(problem: Problem) -> int:
    """The ``workers`` to pass to ``engine.solve`` for this problem."""
    listings = len(problem.offers) + len(problem.needs)
    if listings < int(settings.MATCHING_PARALLEL_MIN_LISTINGS):
        return 1
    return configured_workers()
