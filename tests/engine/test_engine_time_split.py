"""Issue 13 performance: a time-expanded network cut into independent per-bucket parts.

``solve_timed`` solves a component without yards and recipes part by part (a periodic listing's
bucket slot, or a ``once`` listing's whole window, per node; see ``timed._bucket_parts``). The
decomposed path must reach the same lexicographic optimum as the whole time-expanded network,
solved explicitly with ``_decompose=False``, on many random instances, and its flows must be
feasible on their own terms.
"""

from __future__ import annotations

import dataclasses
import random
import time
from decimal import Decimal

import pytest
from test_engine_time_reference import check_feasible, random_problem

from matching.engine import Problem
from matching.engine.distance import GreatCircleDistance
from matching.engine.prepare import prepare
from matching.engine.timed import _bucket_parts, _build, _components, solve_timed


def plain_problem(seed: int) -> Problem:
    """A random instance over time without yards and recipes, more listings, some lots."""
    rng = random.Random(10_000 + seed)
    base = random_problem(seed)
    extra = random_problem(seed + 5000)
    offers = list(base.offers)
    needs = list(base.needs)
    if extra.offers[0].unit == base.offers[0].unit:
        offers += [dataclasses.replace(o, id=o.id + 50) for o in extra.offers]
        needs += [dataclasses.replace(n, id=n.id + 50) for n in extra.needs]
    if rng.random() < 0.3:
        offers = [dataclasses.replace(o, min_lot=Decimal(rng.randint(1, 4))) for o in offers]
    return dataclasses.replace(
        base,
        offers=tuple(offers),
        needs=tuple(dataclasses.replace(n, recipe=None) for n in needs),
        storages=(),
        objective=rng.choice(("divert_then_distance", "divert_then_distance", "net_climate")),
    )


def _both(problem: Problem):
    provider = GreatCircleDistance(problem.circuity)
    split, _ = solve_timed(problem, provider, deadline=time.perf_counter() + 60)
    whole, _ = solve_timed(problem, provider, deadline=time.perf_counter() + 60, _decompose=False)
    return split, whole


def count_network_solves(monkeypatch) -> list[int]:
    """A list that gets one entry (the node count) per OR-Tools network solve of a part."""
    from matching.engine import timed

    calls: list[int] = []
    real = timed._network

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(timed, "_network", counting)
    return calls


def _parts(problem: Problem) -> int:
    prep = prepare(problem)
    net, arcs = _build(prep, GreatCircleDistance(problem.circuity))
    return sum(len(_bucket_parts(prep, net, arcs, c.x)) for c in _components(prep, net, arcs))


@pytest.mark.parametrize("block", range(3))
def test_per_bucket_parts_reach_the_optimum_of_the_whole_network(block: int) -> None:
    split_somewhere = 0
    for seed in range(block * 80, block * 80 + 80):
        problem = plain_problem(seed)
        split, whole = _both(problem)
        check_feasible(problem, split)
        assert split.proven_optimal == whole.proven_optimal, seed
        assert split.diverted_kg == whole.diverted_kg, seed
        assert split.other_moved_kg == whole.other_moved_kg, seed
        if problem.objective == "net_climate":
            assert split.net_co2e_kg == pytest.approx(whole.net_co2e_kg, rel=1e-9, abs=1e-6), seed
        else:
            assert split.tkm == pytest.approx(whole.tkm, rel=1e-9, abs=1e-9), seed
        for f in split.flows:
            assert len({d for d, _ in f.schedule}) == len(f.schedule)
        split_somewhere += _parts(problem) > len(_components(*_prep_net(problem)))
    # the instances do get cut into several parts
    assert split_somewhere >= 20


def _prep_net(problem: Problem):
    prep = prepare(problem)
    net, arcs = _build(prep, GreatCircleDistance(problem.circuity))
    return prep, net, arcs


def test_periodic_listings_fall_into_one_part_per_bucket_and_once_lots_join_their_buckets() -> None:
    from datetime import date

    from matching.engine import MaterialSpec, NeedInput, OfferInput

    mat = MaterialSpec(
        "timber", "t", None, Decimal("0.5"), Decimal("3583"), Decimal("269.5"), Decimal("38.5")
    )

    def offer(id_, period, lat):
        return OfferInput(
            id_, "timber", lat, 76.92, Decimal(12), "t", period, None, None, None, None, "landfill"
        )

    def need(id_, period, lat):
        return NeedInput(id_, ("timber",), lat, 76.95, Decimal(6), "t", period, None, None, None, Decimal(50))

    problem = Problem(
        (offer(1, "month", 43.24), offer(2, "month", 43.25)),
        (need(10, "month", 43.24), need(11, "month", 43.26)),
        (mat,),
        horizon_start=date(2026, 1, 1),
        horizon_days=90,
        time_step="month",
    )
    prep, net, arcs = _prep_net(problem)
    (comp,) = _components(prep, net, arcs)
    parts = _bucket_parts(prep, net, arcs, comp.x)
    assert len(parts) == 3
    assert [sorted(set(net.x_bucket[comp.x[p]].tolist())) for p in parts] == [[0], [1], [2]]
    # a once need links the three buckets into one part
    joined = dataclasses.replace(
        problem, needs=(problem.needs[0], dataclasses.replace(problem.needs[1], period="once"))
    )
    prep, net, arcs = _prep_net(joined)
    (comp,) = _components(prep, net, arcs)
    assert len(_bucket_parts(prep, net, arcs, comp.x)) == 1
    split, whole = _both(joined)
    assert (split.diverted_kg, split.tkm) == (whole.diverted_kg, pytest.approx(whole.tkm))
    split, whole = _both(problem)
    assert (split.diverted_kg, split.tkm) == (whole.diverted_kg, pytest.approx(whole.tkm))
    # supply is twice the demand in every bucket: both needs get all they ask for
    assert split.diverted_kg == int(prepare(problem).need_demand.sum())


def test_weeks_with_the_very_same_network_share_one_solve(monkeypatch) -> None:
    from datetime import date

    from matching.engine import MaterialSpec, NeedInput, OfferInput, timed

    mat = MaterialSpec(
        "timber", "t", None, Decimal("0.5"), Decimal("3583"), Decimal("269.5"), Decimal("38.5")
    )
    offers = tuple(
        OfferInput(
            i, "timber", 43.24 + i / 100, 76.92, Decimal(7), "t", "week", None, None, None, None, "landfill"
        )
        for i in (1, 2)
    )
    needs = tuple(
        NeedInput(
            10 + j,
            ("timber",),
            43.25 + j / 100,
            76.95,
            Decimal(5),
            "t",
            "week",
            None,
            None,
            None,
            Decimal(50),
        )
        for j in (0, 1)
    )
    # four whole ISO weeks (a Monday start): every week holds the same slots
    problem = Problem(
        offers, needs, (mat,), horizon_start=date(2026, 1, 5), horizon_days=28, time_step="week"
    )
    calls = count_network_solves(monkeypatch)
    # the OR-Tools path (the warm network simplex re-solves an unchanged week in no pivot)
    monkeypatch.setattr(timed, "WARM_NETWORK_SIMPLEX", False)
    split, whole = _both(problem)
    assert len(calls) == 2  # one shared solve for the four weeks, one for the whole network
    assert split.flows == whole.flows
    assert all(len(f.schedule) == 4 and {q for _, q in f.schedule} == {f.quantity // 4} for f in split.flows)
    assert split.diverted_kg == 4 * 10_000
