"""Candidate arcs: the spatial index finds exactly the pairs a brute-force check admits."""

import dataclasses
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from engine_support import HORIZON, MATERIALS, random_problem, reference_arcs

from matching.engine import GreatCircleDistance, NeedInput, OfferInput, Problem, great_circle_km, solve
from matching.engine.candidates import candidate_arcs
from matching.engine.prepare import prepare


def engine_pairs(problem, provider=None):
    prep = prepare(problem)
    arcs = candidate_arcs(prep, provider or GreatCircleDistance(problem.circuity))
    return {
        (prep.offers[o].id, prep.needs[n].id)
        for o, n in zip(arcs.offer.tolist(), arcs.need.tolist(), strict=True)
    }


@pytest.mark.parametrize("seed", range(60))
def test_the_spatial_index_finds_every_admissible_pair_and_nothing_else(seed):
    for objective in ("divert_then_distance", "net_climate"):
        problem = random_problem(seed, objective=objective)
        expected = {(a.offer, a.need) for a in reference_arcs(problem)[0]}
        assert engine_pairs(problem) == expected


def pair(offer_km=None, need_km=30, distance_km=10.0, **need_changes):
    """One offer and one need ``distance_km`` of road apart (great circle × 1.3)."""
    dlat = distance_km / 1.3 / 111.195
    offer = OfferInput(
        1,
        "grain",
        43.2,
        76.9,
        Decimal(5),
        "t",
        "once",
        None,
        None,
        None,
        Decimal(offer_km) if offer_km else None,
    )
    need = NeedInput(
        2, ("grain",), 43.2 + dlat, 76.9, Decimal(5), "t", "once", None, None, None, Decimal(need_km)
    )
    need = dataclasses.replace(need, **need_changes)
    return Problem(offers=(offer,), needs=(need,), materials=MATERIALS, horizon_start=HORIZON)


def test_the_radius_is_measured_in_road_kilometres():
    assert engine_pairs(pair(need_km=10.1)) == {(1, 2)}
    assert engine_pairs(pair(need_km=9.9)) == set()


def test_the_offer_limit_applies_too():
    assert engine_pairs(pair(offer_km=9.9)) == set()


def test_windows_that_do_not_overlap_never_pair():
    late = pair(available_from=date(2026, 6, 1))
    early = dataclasses.replace(
        late, offers=(dataclasses.replace(late.offers[0], available_until=date(2026, 5, 31)),)
    )
    assert engine_pairs(early) == set()
    touching = dataclasses.replace(
        late, offers=(dataclasses.replace(late.offers[0], available_until=date(2026, 6, 1)),)
    )
    assert engine_pairs(touching) == {(1, 2)}


def test_a_declined_pair_is_never_proposed_again():
    problem = dataclasses.replace(pair(), declined_pairs=frozenset({(1, 2)}))
    assert solve(problem).flows == ()


def test_a_need_accepts_only_its_materials():
    assert engine_pairs(pair(materials=("bread",))) == set()


def test_a_lot_larger_than_either_side_rules_the_pair_out():
    assert engine_pairs(pair(min_lot=Decimal(6))) == set()


def test_a_road_provider_replaces_great_circles():
    class Detour:
        min_circuity = 1.0

        def road_km(self, lat1, lon1, lat2, lon2):
            return great_circle_km(lat1, lon1, lat2, lon2) * 4.0

    assert engine_pairs(pair(need_km=30), Detour()) == set()
    solution = solve(pair(need_km=50), Detour())
    assert solution.flows[0].distance_km == pytest.approx(10.0 / 1.3 * 4.0, rel=1e-3)


def test_great_circle_distance_matches_a_known_value():
    # Almaty to Talgar: about 25 km as the crow flies
    km = great_circle_km(np.array([43.2383]), np.array([76.9450]), np.array([43.3033]), np.array([77.2400]))
    assert km[0] == pytest.approx(24.8, abs=0.3)
