"""Issue 13: the engine over time against an independent path-based formulation.

Hundreds of small random instances with monthly or weekly buckets, storage yards, a perishable
material and blending needs: the engine's three lexicographic levels (waste-bound kg moved, kg
moved, kg·km) must equal those of ``time_reference.reference`` (integer programs over every
direct and yard path, solved by SciPy's HiGHS), and every returned flow must be feasible on its
own terms: schedules sum to quantities, yards stay within capacity, recipes hold exactly.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import time_builders as tb
from time_builders import HORIZON
from time_reference import reference

from matching.engine import Problem, solve
from matching.engine.problem import Recipe, ShareBound

MATS = (
    tb.manure("manure"),
    tb.straw(),
    tb.grain("grain"),
    tb.timber(),
    tb.panel("panel", mass_per_piece_t="0.5"),
)
BULK = ("manure", "straw", "grain", "timber")
FATES = ("landfill", "landfill", "other_use", "open_burning")


def _window(rng: random.Random, days: int, part: str = "any") -> tuple[date | None, date | None]:
    """An open window, or one in the first half (``early``), the second (``late``) or anywhere."""
    if rng.random() < 0.3:
        return None, None
    lo, hi = {"early": (0, days // 2), "late": (days // 2, days), "any": (0, days)}[part]
    start = rng.randrange(lo, hi - 5)
    end = rng.randrange(start, hi)
    return HORIZON + timedelta(days=start), HORIZON + timedelta(days=end)


def _point(rng: random.Random) -> tuple[float, float]:
    return 43.24 + rng.uniform(-0.08, 0.08), 76.92 + rng.uniform(-0.1, 0.1)


def random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    step = rng.choice(("month", "month", "week"))
    days = 120 if step == "month" else 42
    pieces = rng.random() < 0.2
    offers, needs, yards = [], [], []
    for i in range(rng.randint(1, 4)):
        key = "panel" if pieces else rng.choice(BULK)
        lat, lon = _point(rng)
        start, end = _window(rng, days, rng.choice(("early", "any")))
        offers.append(
            tb.offer(
                i + 1,
                key,
                Decimal(rng.randint(1, 12)) * (10 if pieces else 1),
                "piece" if pieces else "t",
                rng.choice(("once", "month", "week")),
                start,
                end,
                lat=lat,
                lon=lon,
                max_distance_km=None if rng.random() < 0.6 else Decimal(rng.randint(5, 30)),
                destination=rng.choice(FATES),
            )
        )
    for j in range(rng.randint(1, 3)):
        lat, lon = _point(rng)
        start, end = _window(rng, days, rng.choice(("late", "any")))
        recipe = None
        if pieces:
            accepted: tuple[str, ...] = ("panel",)
        else:
            accepted = tuple(sorted(rng.sample(BULK, rng.randint(1, 3))))
            roll = rng.random()
            if roll < 0.25:
                recipe = Recipe(c_to_n=(Decimal(rng.randint(15, 25)), Decimal(rng.randint(26, 40))))
            elif roll < 0.4:
                recipe = Recipe(moisture_pct=(Decimal(20), Decimal(60)))
            elif roll < 0.55:
                m = rng.choice(accepted)
                recipe = Recipe(shares=(ShareBound(m, Decimal("0.2"), Decimal("0.7")),))
        needs.append(
            tb.need(
                100 + j,
                accepted,
                Decimal(rng.randint(1, 15)) * (10 if pieces else 1),
                "piece" if pieces else "t",
                rng.choice(("once", "month", "week")),
                start,
                end,
                recipe=recipe,
                lat=lat,
                lon=lon,
                # a yard's route is held to this whole: long enough for some routes to fit
                max_distance_km=Decimal(rng.randint(8, 60)),
            )
        )
    for k in range(rng.choice((0, 1, 1, 2))):
        lat, lon = _point(rng)
        start, end = (None, None) if rng.random() < 0.6 else _window(rng, days)
        yards.append(
            tb.yard(
                500 + k,
                ("panel",) if pieces else tuple(sorted(rng.sample(BULK, 2))),
                Decimal(rng.randint(1, 40)) if pieces else Decimal(rng.randint(1, 15)),
                "piece" if pieces and rng.random() < 0.5 else "t",
                lat=lat,
                lon=lon,
                start=start,
                end=end,
                handling_kg_co2e_per_t=Decimal(3),
            )
        )
    return tb.timed_problem(offers, needs, MATS, step=step, storages=yards, days=days)


def check_feasible(problem: Problem, solution) -> None:
    """Every flow on its own terms: schedules, yard stocks, recipes (exact arithmetic)."""
    mats: dict[str, Any] = {m.key: m for m in problem.materials}
    mass: dict[int, dict[str, Fraction]] = {}
    offer_max = {o.id: o.max_distance_km for o in problem.offers}
    need_max = {n.id: n.max_distance_km for n in problem.needs}
    for f in solution.flows:
        assert f.quantity > 0
        assert sum(q for _, q in f.schedule) == f.quantity
        # the whole route (both legs through a yard) within the need's and the offer's limits
        assert f.distance_km <= float(need_max[f.need_id] or 0) + 1e-9
        limit = offer_max[f.offer_id]
        assert limit is None or f.distance_km <= float(limit) + 1e-9
        if f.via_storage is not None:
            assert sum(q for _, q in f.storage_schedule) == f.quantity
            assert f.legs_km is not None and abs(sum(f.legs_km) - f.distance_km) < 1e-9
            # nothing leaves a yard before it entered it
            assert min(d for d, _ in f.schedule) > min(d for d, _ in f.storage_schedule)
            assert not mats[f.material].max_storage_days or mats[f.material].max_storage_days >= 7
        spec = mats[f.material]
        unit_mass = Fraction(spec.mass_per_piece_t) * 1000 if spec.is_piece else Fraction(1)
        mass.setdefault(f.need_id, {})
        mass[f.need_id][f.material] = mass[f.need_id].get(f.material, Fraction(0)) + f.quantity * unit_mass
    for need in problem.needs:
        r = need.recipe
        got = mass.get(need.id, {})
        total = sum(got.values(), Fraction(0))
        if r is None or total == 0:
            continue
        for s in r.shares:
            share = got.get(s.material, Fraction(0)) / total
            assert Fraction(s.min) <= share <= Fraction(s.max)
        if r.c_to_n is not None:
            c = n = Fraction(0)
            for key, kg in got.items():
                spec = mats[key]
                nitrogen = (1 - Fraction(spec.moisture_pct) / 100) * Fraction(spec.nitrogen_pct_dry) / 100
                n += kg * nitrogen
                c += kg * nitrogen * Fraction(spec.c_to_n)
            assert Fraction(r.c_to_n[0]) * n <= c <= Fraction(r.c_to_n[1]) * n
        if r.moisture_pct is not None:
            water = sum((kg * Fraction(mats[k].moisture_pct) for k, kg in got.items()), Fraction(0))
            assert Fraction(r.moisture_pct[0]) * total <= water <= Fraction(r.moisture_pct[1]) * total
    # yard stock at every period start after entries: what entered before and leaves later
    for yard in problem.storages:
        events: dict[date, Fraction] = {}
        for f in solution.flows:
            if f.via_storage != yard.id:
                continue
            spec = mats[f.material]
            w = (Fraction(spec.mass_per_piece_t) * 1000 if spec.is_piece else 1) if yard.unit == "t" else 1
            for d, q in f.storage_schedule:
                events[d] = events.get(d, Fraction(0)) + q * w
            for d, q in f.schedule:
                events[d] = events.get(d, Fraction(0)) - q * w
        stock = Fraction(0)
        cap = Fraction(yard.capacity) * (1000 if yard.unit == "t" else 1)
        for d in sorted(events):
            stock += events[d]
            assert stock <= cap + Fraction(1, 10**6)


@pytest.mark.parametrize("block", range(4))
def test_engine_over_time_matches_the_path_formulation(block: int) -> None:
    used_yards = blends = 0
    for seed in range(block * 60, block * 60 + 60):
        problem = random_problem(seed)
        solution = solve(problem)
        assert solution.proven_optimal, seed
        check_feasible(problem, solution)
        ref = reference(problem)
        moved = solution.diverted_kg + solution.other_moved_kg
        assert solution.diverted_kg == pytest.approx(ref.waste_kg, abs=1e-6), seed
        assert moved == pytest.approx(ref.moved_kg, abs=1e-6), seed
        assert solution.tkm * 1000 == pytest.approx(ref.kgkm, rel=2e-4, abs=1e-2), seed
        used_yards += any(f.via_storage is not None for f in solution.flows)
        blends += any(n.recipe is not None for n in problem.needs) and bool(solution.flows)
    # the random instances do exercise yards and blends
    assert used_yards >= 3
    assert blends >= 5


def test_net_climate_over_time_matches_the_path_formulation() -> None:
    """The climate objective: transport on both legs, the yard's handling emissions per tonne."""
    for seed in range(1000, 1080):
        problem = dataclasses.replace(random_problem(seed), objective="net_climate")
        solution = solve(problem)
        assert solution.proven_optimal, seed
        check_feasible(problem, solution)
        ref = reference(problem)
        assert solution.net_co2e_kg == pytest.approx(ref.net_kg, rel=1e-5, abs=1e-2), seed


@pytest.mark.parametrize("seed", range(40))
def test_over_time_the_same_input_in_any_order_gives_the_same_flows(seed: int) -> None:
    problem = random_problem(2000 + seed)
    rng = random.Random(seed)
    shuffled = dataclasses.replace(
        problem,
        offers=tuple(rng.sample(problem.offers, len(problem.offers))),
        needs=tuple(rng.sample(problem.needs, len(problem.needs))),
        storages=tuple(rng.sample(problem.storages, len(problem.storages))),
    )
    assert solve(shuffled) == solve(problem)


@pytest.mark.parametrize("seed", range(12))
def test_route_limits_through_a_yard_match_the_path_formulation_beyond_the_subset_rows(seed: int) -> None:
    """Ten straw offers at growing distances from one yard (no supplier's limit) and three
    builders with different limits: the barred sets of the lot form a chain, stated exactly by
    one Hall row per set — more barred offers than the subset rows (``HALL_MAX_OFFERS``) cover."""
    from matching.engine.timed import HALL_MAX_OFFERS

    rng = random.Random(7000 + seed)
    offers = [
        tb.offer(
            i + 1,
            "straw",
            Decimal(rng.randint(2, 9)),
            "t",
            "once",
            date(2026, 3, 2),
            date(2026, 3, 31),
            lat=43.25 + 0.02 * i + rng.uniform(0, 0.01),
            lon=76.90,
        )
        for i in range(10)
    ]
    needs = [
        tb.need(
            100 + j,
            ("straw",),
            Decimal(rng.randint(8, 20)),
            "t",
            "once",
            date(2026, 5, 4),
            date(2026, 5, 31),
            lat=43.24,
            lon=76.90 + 0.03 * j,
            max_distance_km=Decimal(rng.randint(12, 45)),
        )
        for j in range(3)
    ]
    depot = tb.yard(9, ("straw",), rng.randint(20, 60), lat=43.245, lon=76.905)
    problem = tb.timed_problem(offers, needs, MATS, step="month", storages=(depot,))
    solution = solve(problem)
    assert solution.proven_optimal, seed
    check_feasible(problem, solution)
    ref = reference(problem)
    assert solution.diverted_kg == pytest.approx(ref.waste_kg, abs=1e-6), seed
    assert solution.tkm * 1000 == pytest.approx(ref.kgkm, rel=2e-4, abs=1e-2), seed
    assert len(offers) > HALL_MAX_OFFERS and any(f.via_storage == 9 for f in solution.flows), seed
