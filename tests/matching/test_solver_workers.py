"""Issue 16: a run large enough solves on all the worker's cores (MATCHING_SOLVER_WORKERS)."""

from __future__ import annotations

import os

import pytest

from matching import engine, solver_workers
from matching.models import RunStatus

pytestmark = pytest.mark.django_db


def _problem(listings: int) -> engine.Problem:
    from benchmarks.instances import InstanceShape, generate

    return generate(InstanceShape(offers=listings // 2, needs=listings // 2, seed=3))


def test_the_default_is_the_core_count(settings):
    settings.MATCHING_SOLVER_WORKERS = 0
    assert solver_workers.configured_workers() == (os.cpu_count() or 1)


def test_small_runs_solve_in_one_process_large_ones_on_every_worker(settings):
    settings.MATCHING_SOLVER_WORKERS = 3
    settings.MATCHING_PARALLEL_MIN_LISTINGS = 100
    assert solver_workers.workers_for(_problem(40)) == 1
    assert solver_workers.workers_for(_problem(200)) == 3


def test_a_run_passes_the_setting_to_the_solver(settings, grain_market, run_now, monkeypatch):
    settings.MATCHING_SOLVER_WORKERS = 2
    settings.MATCHING_PARALLEL_MIN_LISTINGS = 0
    seen: list[int] = []
    real = engine.solve

    def spy(problem, *args, **kwargs):  # records the argument, then solves for real
        seen.append(kwargs.get("workers", 1))
        return real(problem, *args, **kwargs)

    monkeypatch.setattr(engine, "solve", spy)
    run = run_now()
    assert run.status == RunStatus.SUCCEEDED
    assert seen == [2] and run.stats["proposals"] >= 1
