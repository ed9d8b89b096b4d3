"""Issue 13: a plain monthly component's independent parts solved in forked processes give the
very same flows as a serial solve (``solve_timed(..., workers=2)`` against ``workers=1``)."""

from __future__ import annotations

import dataclasses
import time

import pytest
from test_engine_time_colgen import medium_problem

from matching.engine import timed
from matching.engine.distance import GreatCircleDistance


@pytest.mark.parametrize("seed", range(6))
def test_forked_parts_give_the_serial_flows(monkeypatch, seed: int) -> None:
    monkeypatch.setattr(timed, "PARALLEL_MIN_VARIABLES", 0)
    base = medium_problem(seed)
    # no yards, no recipes, no `once` lots spanning buckets: every component is a network cut
    # into per-bucket parts
    problem = dataclasses.replace(
        base,
        storages=(),
        offers=tuple(
            dataclasses.replace(o, period="week" if o.period == "once" else o.period) for o in base.offers
        ),
        needs=tuple(
            dataclasses.replace(n, recipe=None, period="month" if n.period == "once" else n.period)
            for n in base.needs
        ),
    )
    provider = GreatCircleDistance(problem.circuity)
    calls: list[int] = []
    real = timed._forked_parts

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(timed, "_forked_parts", counted)
    serial, _ = timed.solve_timed(problem, provider, time.perf_counter() + 60, workers=1)
    assert not calls
    forked, _ = timed.solve_timed(problem, provider, time.perf_counter() + 60, workers=2)
    assert any(calls)  # the parts really went through the pool
    assert forked.flows == serial.flows
    assert forked.diverted_kg == serial.diverted_kg and forked.tkm == serial.tkm
    assert forked.proven_optimal and serial.proven_optimal
