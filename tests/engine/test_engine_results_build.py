"""Building a solution from the flows (issue 16): the array paths give the very same values.

The aggregate model builds its flows, masses and waste splits from arrays; each array helper
must return exactly what the per-item helper (still used by the engine over time) returns:
the same integers, the same objects, the same dictionaries with their keys in the same order.
"""

import dataclasses
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest
from engine_support import random_problem

from matching.engine.prepare import prepare
from matching.engine.problem import WASTE_BOUND, Flow
from matching.engine.results import (
    OfferKeys,
    _masses_kg,
    _masses_kg_array,
    _new_flows,
    _split_masses,
    _split_masses_kg,
    _waste_split,
    _waste_split_arrays,
)

UNIT_MASSES = [Fraction(1), Fraction(1, 2), Fraction(3, 2), Fraction(5, 4), Fraction(13, 20)]
UNIT_MASSES += [Fraction(91, 10), Fraction(5000), Fraction(7, 2), Fraction(1, 3), Fraction(2**40 + 1, 2**20)]


@pytest.mark.parametrize("unit_mass", UNIT_MASSES, ids=str)
def test_masses_as_an_array_equal_the_rounded_fractions(unit_mass):
    rng = np.random.default_rng(3)
    quantities = np.r_[np.arange(0, 200), rng.integers(0, 10**9, 2_000), -np.arange(1, 50)].astype(np.int64)
    got = _masses_kg_array(quantities, unit_mass)
    assert got.dtype == np.int64
    assert got.tolist() == _masses_kg(quantities.tolist(), unit_mass)


def test_masses_that_could_leave_int64_go_through_python_integers():
    quantities = np.array([0, 3, 2**61 // 5, 2**61 // 5 + 1], dtype=np.int64)
    unit_mass = Fraction(11, 2)  # q × 11 passes 2**62: Python integers, and the kg still fit int64
    assert _masses_kg_array(quantities, unit_mass).tolist() == _masses_kg(quantities.tolist(), unit_mass)
    with pytest.raises(OverflowError):
        _masses_kg_array(np.array([2**62], dtype=np.int64), Fraction(5))


def test_split_masses_from_kg_arrays_equal_split_masses():
    rng = np.random.default_rng(5)
    supply = rng.integers(1, 10**6, 300).astype(np.int64)
    moved = (supply * rng.random(300)).astype(np.int64)
    waste = rng.random(300) < 0.6
    for unit_mass in UNIT_MASSES:
        supply_kg = _masses_kg_array(supply, unit_mass)
        kg = _split_masses_kg(supply_kg, _masses_kg_array(supply - moved, unit_mass), waste)
        assert kg == _split_masses(supply, moved, waste, unit_mass)


def test_new_flows_are_the_flows_the_dataclass_builds():
    rng = random.Random(11)
    columns = [
        [rng.randint(1, 10**6) for _ in range(50)],
        [rng.randint(1, 10**6) for _ in range(50)],
        [rng.choice(("wood", "glass", "bags")) for _ in range(50)],
        [rng.randint(1, 10**9) for _ in range(50)],
    ]
    mass = [rng.randint(1, 10**9) for _ in range(50)]
    km = [rng.random() * 100 for _ in range(50)]
    built = _new_flows(*columns, "piece", mass, km)
    expected = [
        Flow(offer_id=o, need_id=n, material=m, quantity=q, unit="piece", mass_kg=kg, distance_km=d)
        for o, n, m, q, kg, d in zip(*columns, mass, km, strict=True)
    ]
    assert built == expected
    assert [repr(f) for f in built] == [repr(f) for f in expected]
    assert [hash(f) for f in built] == [hash(f) for f in expected]
    assert pickle.loads(pickle.dumps(built)) == expected
    assert [dataclasses.asdict(f) for f in built] == [dataclasses.asdict(f) for f in expected]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built[0].quantity = 1


def _grouped_prep(seed: int):
    rng = random.Random(seed)
    problem = random_problem(seed, lots=False)
    offers = tuple(
        dataclasses.replace(
            o,
            group=rng.choice(("", "Medeu", "Bostandyq", "Alatau")),
            current_destination=rng.choice((*WASTE_BOUND, "other_use")),
        )
        for o in problem.offers
    )
    return prepare(dataclasses.replace(problem, offers=offers))


@pytest.mark.parametrize("seed", range(40))
def test_waste_split_from_arrays_equals_the_waste_split_key_for_key(seed):
    prep = _grouped_prep(seed)
    keys = OfferKeys(prep)
    rng = np.random.default_rng(seed)
    n = len(prep.offers)
    positions = np.sort(rng.choice(n, size=rng.integers(1, n + 1), replace=False))
    supply_kg = rng.integers(0, 10**9, positions.size).astype(np.int64)
    left_kg = (supply_kg * rng.random(positions.size)).astype(np.int64)
    got = _waste_split_arrays(prep, keys, positions, supply_kg, left_kg)
    expected = _waste_split(prep, positions.tolist(), supply_kg.tolist(), left_kg.tolist())
    assert got == expected
    assert [list(d.items()) for d in got.values()] == [list(d.items()) for d in expected.values()]
    assert list(got) == list(expected)
    # sums that could leave int64 are added up as Python integers
    huge = np.full(positions.size, 2**62 - 1, dtype=np.int64)
    assert _waste_split_arrays(prep, keys, positions, huge, huge) == _waste_split(
        prep, positions.tolist(), huge.tolist(), huge.tolist()
    )
