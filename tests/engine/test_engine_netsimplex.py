"""Issue 13 point 6: the warm-started lexicographic network simplex (``matching.engine.netsimplex``).

Every bucket of a chain is checked against OR-Tools (``timed._network``: two maximum flows, then a
min-cost flow with exact supplies) on random transportation problems whose supplies, demands and
arcs change from one bucket to the next as a plain monthly component's do: the same three
lexicographic levels, flows within every supply and demand, nothing on an arc that does not exist
in that bucket. The engine falls back to OR-Tools where the kernel gives up or is missing.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_engine_time_split import _both, count_network_solves, plain_problem

from matching.engine import netsimplex, timed
from matching.engine.errors import SolverFailure
from matching.engine.netsimplex import WarmTransport

pytestmark = pytest.mark.skipif(not netsimplex.available(), reason="no C compiler for the kernel")


def _levels(
    flows: np.ndarray, offer: np.ndarray, waste: np.ndarray, cost: np.ndarray
) -> tuple[int, int, int]:
    return int(flows[waste[offer]].sum()), int(flows.sum()), int((flows * cost).sum())


def _or_tools(supply, waste, demand, offer, need, cost) -> np.ndarray:
    n_off = supply.size
    return timed._network(
        n_off + demand.size,
        np.arange(n_off, dtype=np.int64),
        supply,
        waste,
        np.arange(n_off, n_off + demand.size, dtype=np.int64),
        demand,
        offer.astype(np.int64),
        (n_off + need).astype(np.int64),
        np.minimum(supply[offer], demand[need]).astype(np.int64),
        cost.astype(np.int64),
        "divert_then_distance",
    )


def _chain(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_off, n_need = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    m = int(rng.integers(1, n_off * n_need + 1))
    pairs = rng.choice(n_off * n_need, size=m, replace=False)
    offer, need = (pairs // n_need).astype(np.int64), (pairs % n_need).astype(np.int64)
    # costs with many ties (equal optima) and a few large ones
    cost = rng.choice([1, 2, 3, 5, 8, 40_000], size=m) * rng.integers(1, 4, size=m)
    waste = rng.random(n_off) < rng.choice([0.0, 0.5, 1.0])
    solver = WarmTransport(n_off, n_need, offer, need, cost, waste)
    base_s = rng.integers(0, 1000, size=n_off)
    base_d = rng.integers(0, 1000, size=n_need)
    for _bucket in range(int(rng.integers(2, 8))):
        # the next month: slots scaled and rounded, some windows closed, some arcs missing
        scale = rng.uniform(0.8, 1.2)
        supply = np.where(rng.random(n_off) < 0.15, 0, np.rint(base_s * scale)).astype(np.int64)
        demand = np.where(rng.random(n_need) < 0.15, 0, np.rint(base_d * scale)).astype(np.int64)
        enabled = rng.random(m) > rng.choice([0.0, 0.1, 0.5])
        flows = solver.solve(supply, demand, enabled)
        assert (flows >= 0).all() and not flows[~enabled].any(), seed
        assert (np.bincount(offer, flows, n_off) <= supply).all(), seed
        assert (np.bincount(need, flows, n_need) <= demand).all(), seed
        sub = np.flatnonzero(enabled)
        ref = _or_tools(supply, waste, demand, offer[sub], need[sub], cost[sub])
        assert _levels(flows[sub], offer[sub], waste, cost[sub]) == _levels(
            ref, offer[sub], waste, cost[sub]
        ), seed


@pytest.mark.parametrize("block", range(4))
def test_every_bucket_of_a_warm_chain_reaches_the_or_tools_levels(block: int) -> None:
    for seed in range(block * 100, block * 100 + 100):
        _chain(seed)


def test_an_unchanged_bucket_takes_no_pivot() -> None:
    rng = np.random.default_rng(7)
    offer = np.repeat(np.arange(20), 15)
    need = np.tile(np.arange(15), 20)
    cost = rng.integers(1, 100, size=offer.size)
    solver = WarmTransport(20, 15, offer, need, cost, rng.random(20) < 0.5)
    supply, demand = rng.integers(1, 50, size=20), rng.integers(1, 50, size=15)
    first = solver.solve(supply, demand, np.ones(offer.size, dtype=bool))
    pivots = solver.pivots
    assert pivots > 0
    assert (solver.solve(supply, demand, np.ones(offer.size, dtype=bool)) == first).all()
    assert solver.pivots == pivots
    # every slot doubled (a longer month, no rounding): the same tree, twice the flows
    assert (solver.solve(2 * supply, 2 * demand, np.ones(offer.size, dtype=bool)) == 2 * first).all()
    assert solver.pivots == pivots


def test_the_pivot_cap_raises(monkeypatch) -> None:
    monkeypatch.setattr(netsimplex, "PIVOTS_PER_SIZE", 0)
    monkeypatch.setattr(netsimplex, "PIVOT_SLACK", 0)
    solver = WarmTransport(1, 1, np.array([0]), np.array([0]), np.array([3]), np.array([True]))
    with pytest.raises(SolverFailure, match="pivot cap"):
        solver.solve(np.array([5]), np.array([4]), np.array([True]))


@pytest.mark.parametrize("how", ["pivot cap", "no kernel"])
def test_the_engine_falls_back_to_or_tools(monkeypatch, how: str) -> None:
    problems = [
        dataclasses.replace(plain_problem(seed), objective="divert_then_distance") for seed in range(12)
    ]
    warm = [_both(p)[0] for p in problems]
    if how == "pivot cap":
        monkeypatch.setattr(netsimplex, "PIVOTS_PER_SIZE", 0)
        monkeypatch.setattr(netsimplex, "PIVOT_SLACK", 0)
    else:
        monkeypatch.setattr(netsimplex, "_LIB", [None])
    calls = count_network_solves(monkeypatch)
    for problem, expected in zip(problems, warm, strict=True):
        fallback, whole = _both(problem)
        assert (fallback.diverted_kg, fallback.other_moved_kg) == (
            expected.diverted_kg,
            expected.other_moved_kg,
        )
        assert fallback.tkm == pytest.approx(expected.tkm, rel=1e-9, abs=1e-9)
        assert fallback.proven_optimal == whole.proven_optimal
    assert calls  # OR-Tools did solve the parts


def test_monthly_components_use_the_warm_path(monkeypatch) -> None:
    used = []
    real = timed._warm_buckets

    def counted(*args, **kwargs):
        used.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(timed, "_warm_buckets", counted)
    for seed in range(20):
        _both(dataclasses.replace(plain_problem(seed), objective="divert_then_distance"))
    assert len(used) >= 5  # (most of these random instances also hold `once` lots)
