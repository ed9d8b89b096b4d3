"""Issue 13: exact reductions of the model over time, and how LP components share the time.

* a ``once`` offer → ``once`` need arc has one variable, in the first bucket both ends allow
  (its variables in later buckets were identical columns);
* a yard's exit into a ``once`` need is offered at the earliest bucket only (a later exit has
  the same legs and costs and a longer stay);
* LP components are solved smallest first, and one solved before others gets at least
  ``LP_MIN_SHARE`` of the time left.

The random instances of ``test_engine_time_reference.py`` (an independent path formulation, with
``once`` lots and yards) check that the optimum is unchanged.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
import time_builders as tb
from time_builders import need, offer, timed_problem, yard

from matching.engine import solve, timed
from matching.engine.distance import GreatCircleDistance
from matching.engine.prepare import prepare

PANEL = tb.panel()
TIMBER = tb.timber()


def _net(problem):
    prep = prepare(problem)
    return timed._build(prep, GreatCircleDistance(problem.circuity))


def test_a_once_to_once_arc_has_one_variable_in_the_first_common_bucket() -> None:
    panels = offer(1, PANEL.key, 40, "piece", "once", date(2026, 3, 10), date(2026, 8, 31))
    builder = need(2, (PANEL.key,), 30, "piece", "once", date(2026, 5, 1), date(2026, 10, 31))
    problem = timed_problem((panels,), (builder,), (PANEL,))
    net, arcs = _net(problem)
    assert len(arcs.offer) == 1
    # the lot may leave from March on, the builder receives from May: May is the first bucket
    assert net.x_arc.tolist() == [0]
    assert net.buckets.start_date(int(net.x_bucket[0])) == date(2026, 5, 1)
    (flow,) = solve(problem).flows
    assert flow.quantity == 30 and flow.schedule == ((date(2026, 5, 1), 30),)


def test_a_periodic_end_keeps_a_variable_in_every_bucket() -> None:
    """Only whole lots on both ends make the buckets interchangeable: a monthly supply's slots
    are rows of their own."""
    monthly = offer(1, TIMBER.key, 120, "t", "year", date(2026, 3, 1), date(2026, 5, 31))
    builder = need(2, (TIMBER.key,), 90, "t", "once", date(2026, 1, 1), date(2026, 12, 31))
    net, _ = _net(timed_problem((monthly,), (builder,), (TIMBER,)))
    starts = [net.buckets.start_date(b) for b in net.x_bucket.tolist()]
    assert starts == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]


def test_a_yard_exit_into_a_once_need_is_offered_at_the_earliest_bucket_only() -> None:
    panels = offer(1, PANEL.key, 60, "piece", "once", date(2026, 6, 1), date(2026, 6, 30))
    builder = need(2, (PANEL.key,), 60, "piece", "once", date(2026, 9, 1), date(2026, 12, 31))
    problem = timed_problem((panels,), (builder,), (PANEL,), storages=(yard(7, (PANEL.key,), 400),))
    net, _ = _net(problem)
    # June's lot enters in June; it leaves for the builder in September, the first bucket of
    # the builder's window (October to December would only hold it longer)
    assert [(e, t) for _, _, e, _, t, _ in net.exits] == [(5, 8)]
    (flow,) = solve(problem).flows
    assert flow.via_storage == 7 and flow.schedule == ((date(2026, 9, 1), 60),)


def test_a_periodic_need_keeps_every_exit_bucket() -> None:
    panels = offer(1, PANEL.key, 60, "piece", "once", date(2026, 6, 1), date(2026, 6, 30))
    builder = need(2, (PANEL.key,), 120, "piece", "year", date(2026, 9, 1), date(2026, 12, 31))
    net, _ = _net(timed_problem((panels,), (builder,), (PANEL,), storages=(yard(7, (PANEL.key,), 400),)))
    assert sorted(t for _, _, _, _, t, _ in net.exits) == [8, 9, 10, 11]


def test_lp_budget_shares_in_proportion_with_a_floor_and_gives_the_last_all() -> None:
    assert timed._lp_budget(100.0, 50, 100) == pytest.approx(50.0)
    assert timed._lp_budget(100.0, 1, 100) == pytest.approx(100.0 * timed.LP_MIN_SHARE)
    assert timed._lp_budget(100.0, 100, 100) == 100.0


def test_lp_components_go_smallest_first_and_the_small_one_is_not_starved(monkeypatch) -> None:
    """Two LP components (each with a yard): the larger one comes first in listing order, but
    the smaller one is solved first, with at least LP_MIN_SHARE of the time."""
    near = Decimal(30)
    big = [
        offer(i, PANEL.key, 10, "piece", "once", date(2026, 6, 1), date(2026, 6, 30), max_distance_km=near)
        for i in (1, 2, 3)
    ]
    big_needs = [
        need(10 + i, (PANEL.key,), 10, "piece", "once", date(2026, 9, 1), date(2026, 12, 31))
        for i in (1, 2, 3)
    ]
    small = [
        offer(
            5,
            PANEL.key,
            10,
            "piece",
            "once",
            date(2026, 6, 1),
            date(2026, 6, 30),
            lat=43.6,
            lon=77.6,
            max_distance_km=near,
        )
    ]
    small_needs = [
        need(20, (PANEL.key,), 10, "piece", "once", date(2026, 9, 1), date(2026, 12, 31), lat=43.6, lon=77.6)
    ]
    yards = (yard(7, (PANEL.key,), 400), yard(8, (PANEL.key,), 400, lat=43.61, lon=77.61))
    problem = timed_problem(big + small, big_needs + small_needs, (PANEL,), storages=yards)
    calls: list[tuple[int, float]] = []
    real = timed._solve_lp

    def recorded(prep, net, arcs, comp, seconds, workers=1):
        calls.append((timed._columns(comp), seconds))
        return real(prep, net, arcs, comp, seconds, workers)

    monkeypatch.setattr(timed, "_solve_lp", recorded)
    deadline = time.perf_counter() + 60
    solution, _ = timed.solve_timed(problem, GreatCircleDistance(problem.circuity), deadline)
    assert len(calls) == 2
    (small_cols, small_s), (big_cols, _) = calls
    assert small_cols < big_cols
    assert small_s >= 0.9 * 60 * timed.LP_MIN_SHARE
    assert solution.proven_optimal and {f.via_storage for f in solution.flows} == {7, 8}
