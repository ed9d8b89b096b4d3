"""Issue 13: a plain monthly component's independent parts solved in forked processes give the
very same flows as a serial solve (``solve_timed(..., workers=2)`` against ``workers=1``)."""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal

import numpy as np
import pytest
from test_engine_time_colgen import medium_problem

from matching.engine import timed
from matching.engine.distance import GreatCircleDistance
from matching.engine.prepare import prepare
from matching.engine.problem import Problem


def _pool_calls(monkeypatch, name: str) -> list[bool]:
    """Wrap ``timed.<name>`` (a forking solver that returns None when it did not fork): one entry
    per call, whether it really went through the pool."""
    calls: list[bool] = []
    real = getattr(timed, name)

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(timed, name, counted)
    return calls


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
    calls = _pool_calls(monkeypatch, "_forked_parts")
    serial, _ = timed.solve_timed(problem, provider, time.perf_counter() + 60, workers=1)
    assert not calls
    forked, _ = timed.solve_timed(problem, provider, time.perf_counter() + 60, workers=2)
    assert any(calls)  # the parts really went through the pool
    assert forked.flows == serial.flows
    assert forked.diverted_kg == serial.diverted_kg and forked.tkm == serial.tkm
    assert forked.proven_optimal and serial.proven_optimal


def _apart(seeds: tuple[int, ...]) -> Problem:
    """Several random instances side by side, a degree of latitude (111 km) apart, every offer
    held to 60 km (else a yard would take material from anywhere): as many independent
    blend/yard components, each an LP."""
    offers, needs, yards = [], [], []
    for k, seed in enumerate(seeds):
        p = medium_problem(seed)
        offers += [
            dataclasses.replace(o, id=o.id + 10_000 * k, lat=o.lat + k, max_distance_km=Decimal(60))
            for o in p.offers
        ]
        needs += [dataclasses.replace(n, id=n.id + 10_000 * k, lat=n.lat + k) for n in p.needs]
        yards += [dataclasses.replace(y, id=y.id + 10_000 * k, lat=y.lat + k) for y in p.storages]
    return dataclasses.replace(
        medium_problem(seeds[0]), offers=tuple(offers), needs=tuple(needs), storages=tuple(yards)
    )


@pytest.mark.parametrize("seeds", [(0, 2, 5), (6, 12, 13, 14)])
def test_forked_lp_components_give_the_serial_flows(monkeypatch, seeds: tuple[int, ...]) -> None:
    """A large run's LP components (blends, yards) are solved side by side in forked processes:
    the same flows, bound and proof as one after another."""
    monkeypatch.setattr(timed, "PARALLEL_MIN_VARIABLES", 0)
    problem = _apart(seeds)
    provider = GreatCircleDistance(problem.circuity)
    prep = prepare(problem)
    net, arcs = timed._build(prep, provider)
    lp_comps = [c for c in timed._components(prep, net, arcs) if timed._needs_lp(prep, c)]
    assert len(lp_comps) == len(seeds)
    calls = _pool_calls(monkeypatch, "_forked_lps")
    serial, _ = timed.solve_timed(problem, provider, time.perf_counter() + 120, workers=1)
    assert not calls
    forked, _ = timed.solve_timed(problem, provider, time.perf_counter() + 120, workers=2)
    assert calls == [True]  # the components really went through the pool
    assert forked.flows == serial.flows
    assert forked.diverted_kg == serial.diverted_kg and forked.tkm == serial.tkm
    assert forked.proven_optimal and serial.proven_optimal and forked.bound == serial.bound
    assert forked.stats["lp_components"] == serial.stats["lp_components"] == len(seeds)


def _levels(prep, net, arcs, xs: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """Waste-bound kg, all kg and kg·km (per the arcs' costs) of flows ``x`` on variables ``xs``."""
    xa = net.x_arc[xs]
    offers = arcs.offer[xa]
    unit = np.array([float(prep.unit_mass_kg(prep.offers[int(o)].material)) for o in offers])
    moved = x.astype(float) * unit
    waste = np.asarray(prep.offer_waste[offers], dtype=bool)
    return float(moved[waste].sum()), float(moved.sum()), float((moved * arcs.cost[xa]).sum())


@pytest.mark.parametrize("seed", range(8))
def test_the_fallback_solves_its_two_networks_together_to_the_same_optima(monkeypatch, seed: int) -> None:
    """The network fallback of a blend component (too large for the LP) needs two exact network
    solves: without the blending needs (its flows) and with the recipes dropped (its bound). On
    periodic listings they are solved together, bucket by bucket, the second warm from the
    first's tree: the same lexicographic optimum and the same bound as two separate solves."""
    base = medium_problem(seed)
    problem = dataclasses.replace(
        base,
        storages=(),
        objective="divert_then_distance",
        offers=tuple(
            dataclasses.replace(o, period="week" if o.period == "once" else o.period) for o in base.offers
        ),
        needs=tuple(
            dataclasses.replace(n, period="month" if n.period == "once" else n.period) for n in base.needs
        ),
    )
    prep = prepare(problem)
    net, arcs = timed._build(prep, GreatCircleDistance(problem.circuity))
    comps = [c for c in timed._components(prep, net, arcs) if any(prep.needs[int(n)].recipe for n in c.needs)]
    assert comps
    paired: list[bool] = []
    real = timed._warm_buckets

    def counted(*args, **kwargs):
        paired.append(len(args) > 5 and args[5] is not None)
        return real(*args, **kwargs)

    for comp in comps:
        paired.clear()
        monkeypatch.setattr(timed, "_warm_buckets", counted)
        together = timed._fallback(prep, net, arcs, comp)
        monkeypatch.setattr(timed, "_warm_buckets", real)
        assert paired == [True]  # one paired solve, not two
        plain = ~timed._blending(prep)[arcs.need[net.x_arc[comp.x]]]
        sub = timed._Comp(comp.offers, comp.needs, [], comp.x[plain], [], [])
        alone = timed._solve_network(prep, net, arcs, sub)
        assert together.bound == timed._relaxed_bound(prep, net, arcs, comp)
        assert not together.x[~plain].any()  # nothing into the blending needs
        mine, theirs = (
            _levels(prep, net, arcs, sub.x, together.x[plain]),
            _levels(prep, net, arcs, sub.x, alone),
        )
        assert mine == pytest.approx(theirs, rel=1e-12)
