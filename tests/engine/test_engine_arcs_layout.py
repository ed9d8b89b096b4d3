"""Candidate arcs as compact arrays (issue 16): tree chords, canonical order, int32, one copy.

The candidate search takes its distances from the k-d trees' own chords instead of recomputing
them from the unit vectors; that is only sound while SciPy sums the three squared differences
in the order NumPy does, so the first test holds SciPy to it, bit for bit, on many pairs.
"""

import dataclasses
from decimal import Decimal

import numpy as np
import pytest
from engine_support import HORIZON, MATERIALS, random_problem, reference_arcs
from scipy.spatial import cKDTree

from matching.engine import GreatCircleDistance, NeedInput, OfferInput, Problem
from matching.engine.candidates import _canonical, _radius_groups, candidate_arcs
from matching.engine.components import ArcDistances, find_components
from matching.engine.distance import unit_vectors
from matching.engine.prepare import prepare


@pytest.mark.parametrize(("spread_deg", "radius"), [(0.5, 0.004), (180.0, 0.3)])
def test_tree_chords_equal_the_numpy_chords_bit_for_bit(spread_deg, radius):
    rng = np.random.default_rng(7)
    lat = np.clip(43.2 + rng.uniform(-spread_deg, spread_deg, 30_000), -90, 90)
    a = unit_vectors(lat, 76.9 + rng.uniform(-spread_deg, spread_deg, 30_000))
    lat = np.clip(43.2 + rng.uniform(-spread_deg, spread_deg, 3_000), -90, 90)
    b = unit_vectors(lat, 76.9 + rng.uniform(-spread_deg, spread_deg, 3_000))
    pairs = cKDTree(a).sparse_distance_matrix(cKDTree(b), max_distance=radius, output_type="ndarray")
    assert pairs.size > 100_000
    numpy_chords = np.sqrt(((a[pairs["i"]] - b[pairs["j"]]) ** 2).sum(axis=1))
    assert numpy_chords.tobytes() == pairs["v"].tobytes()


@pytest.mark.parametrize("seed", range(12))
def test_arcs_are_int32_in_canonical_order_with_distances_from_their_vectors(seed):
    problem = random_problem(seed)
    prep = prepare(problem)
    provider = GreatCircleDistance(problem.circuity)
    arcs = candidate_arcs(prep, provider)
    assert arcs.offer.dtype == np.int32 and arcs.need.dtype == np.int32
    assert arcs.cost.dtype == np.int64 and arcs.lot.dtype == np.int64
    material = [prep.offers[o].material for o in arcs.offer.tolist()]
    keys = list(zip(material, arcs.need.tolist(), arcs.offer.tolist(), strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    from_vectors = provider.road_km_from_unit_vectors(
        unit_vectors(prep.offer_lat[arcs.offer], prep.offer_lon[arcs.offer]),
        unit_vectors(prep.need_lat[arcs.need], prep.need_lon[arcs.need]),
    )
    assert from_vectors.tobytes() == arcs.distance_km.tobytes()
    assert np.array_equal(arcs.cost, np.rint(arcs.distance_km * 1000).astype(np.int64))


def test_needs_with_very_different_radii_each_keep_their_own():
    """Radii from 1 to 400 km fall into several tree-against-tree queries; none leaks into another."""
    open_ended = {"available_from": None, "available_until": None, "min_lot": None}
    offers = tuple(
        OfferInput(
            i + 1,
            "grain",
            43.2 + 0.02 * (i % 40),
            76.9 + 0.03 * (i // 40),
            Decimal(5),
            "t",
            "once",
            **open_ended,
            max_distance_km=None,
        )
        for i in range(400)
    )
    radii = (1, 2, 3, 5, 8, 9, 10, 11, 12, 15, 20, 30, 31, 45, 60, 100, 150, 400)
    needs = tuple(
        NeedInput(
            1000 + j,
            ("grain",),
            43.5 + 0.01 * j,
            77.1,
            Decimal(3),
            "t",
            "once",
            **open_ended,
            max_distance_km=Decimal(km),
        )
        for j, km in enumerate(radii)
    )
    problem = Problem(offers=offers, needs=needs, materials=MATERIALS, horizon_start=HORIZON)
    chords = np.array(radii, dtype=float)
    assert len(_radius_groups(chords)) > 5
    prep = prepare(problem)
    arcs = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
    engine = {
        (prep.offers[o].id, prep.needs[n].id)
        for o, n in zip(arcs.offer.tolist(), arcs.need.tolist(), strict=True)
    }
    assert engine == {(a.offer, a.need) for a in reference_arcs(problem)[0]}
    assert 0 < len(engine) < len(offers) * len(needs)


def test_the_canonical_sort_falls_back_to_lexsort_when_the_keys_do_not_fit():
    rng = np.random.default_rng(3)
    offer = rng.integers(0, 1000, 5000).astype(np.int32)
    need = rng.integers(0, 1000, 5000).astype(np.int32)
    packed = _canonical(offer, need, 1000)
    fallback = _canonical(offer, need, 2**52)  # need × 2**52 leaves no room for the index bits
    order = np.lexsort((offer, need))
    for got in (packed, fallback):
        assert np.array_equal(got[0], offer[order]) and np.array_equal(got[1], need[order])
        assert np.array_equal(offer[got[2]], got[0]) and np.array_equal(need[got[2]], got[1])


@pytest.mark.parametrize("seed", range(8))
def test_components_are_views_of_one_copy_and_partition_the_arcs(seed):
    problem = random_problem(seed)
    prep = prepare(problem)
    arcs = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
    components = find_components(prep, arcs)
    assert sum(c.num_arcs for c in components) == len(arcs)
    seen = set()
    for comp in components:
        for field in ("arc_offer", "arc_need", "cost", "lot"):
            assert getattr(comp, field).base is getattr(components[0], field).base is not None
        # no distance column at all: measured again, bit for bit, for the arcs asked for
        assert isinstance(comp.distance_km, ArcDistances)
        assert comp.arc_offer.dtype == np.int32 and comp.arc_need.dtype == np.int32
        assert np.all(np.diff(comp.offers) > 0) and np.all(np.diff(comp.needs) > 0)
        pairs = list(
            zip(comp.offers[comp.arc_offer].tolist(), comp.needs[comp.arc_need].tolist(), strict=True)
        )
        seen.update(pairs)
        # the component keeps the canonical order of the arcs it holds
        index = {p: k for k, p in enumerate(zip(arcs.offer.tolist(), arcs.need.tolist(), strict=True))}
        positions = [index[p] for p in pairs]
        assert positions == sorted(positions)
        assert np.asarray(comp.distance_km).tobytes() == arcs.distance_km[positions].tobytes()
        some = np.arange(0, comp.num_arcs, 3)
        assert comp.distance_km[some].tobytes() == arcs.distance_km[positions][some].tobytes()
        assert np.array_equal(comp.cost, arcs.cost[positions])
        assert np.array_equal(comp.lot, arcs.lot[positions])
    assert len(seen) == len(arcs)


@pytest.mark.parametrize("seed", range(6))
def test_a_problem_with_lots_keeps_them_on_the_component_views(seed):
    problem = random_problem(seed, lots=True)
    prep = prepare(problem)
    arcs = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
    assert arcs.lot.any()
    lots = dict(
        zip(zip(arcs.offer.tolist(), arcs.need.tolist(), strict=True), arcs.lot.tolist(), strict=True)
    )
    for comp in find_components(prep, arcs):
        ends = zip(comp.offers[comp.arc_offer].tolist(), comp.needs[comp.arc_need].tolist(), strict=True)
        assert [lots[e] for e in ends] == comp.lot.tolist()


def test_a_road_provider_measures_the_component_distances_again_the_same_way():
    from engine_support import TableDistance

    for seed in range(100):
        problem = random_problem(seed)
        prep = prepare(problem)
        great_circle = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
        if len(great_circle) >= 3:
            break
    table = {
        (
            round(prep.offer_lat[o], 6),
            round(prep.offer_lon[o], 6),
            round(prep.need_lat[n], 6),
            round(prep.need_lon[n], 6),
        ): 1.0 + k
        for k, (o, n) in enumerate(zip(great_circle.offer.tolist(), great_circle.need.tolist(), strict=True))
    }
    arcs = candidate_arcs(prep, TableDistance(table))
    assert len(arcs)
    for comp in find_components(prep, arcs):
        expected = [
            table[
                (
                    round(prep.offer_lat[o], 6),
                    round(prep.offer_lon[o], 6),
                    round(prep.need_lat[n], 6),
                    round(prep.need_lon[n], 6),
                )
            ]
            for o, n in zip(
                comp.offers[comp.arc_offer].tolist(), comp.needs[comp.arc_need].tolist(), strict=True
            )
        ]
        assert comp.distance_km[np.arange(comp.num_arcs)].tolist() == expected


def test_components_can_still_be_pickled():
    import pickle

    problem = random_problem(2)
    prep = prepare(problem)
    components = find_components(prep, candidate_arcs(prep, GreatCircleDistance(problem.circuity)))
    assert components
    for comp, back in zip(components, pickle.loads(pickle.dumps(components)), strict=True):
        assert np.asarray(back.distance_km).tobytes() == np.asarray(comp.distance_km).tobytes()
        assert np.array_equal(back.arc_offer, comp.arc_offer) and np.array_equal(back.cost, comp.cost)


def test_without_lots_the_lot_column_is_all_zero():
    problem = random_problem(1)
    problem = dataclasses.replace(
        problem,
        offers=tuple(dataclasses.replace(o, min_lot=None) for o in problem.offers),
        needs=tuple(dataclasses.replace(n, min_lot=None) for n in problem.needs),
    )
    prep = prepare(problem)
    arcs = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
    assert len(arcs) and not arcs.lot.any()
    assert all(not c.lot.any() for c in find_components(prep, arcs))
