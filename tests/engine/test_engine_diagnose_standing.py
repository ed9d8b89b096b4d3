"""``diagnose``'s vectorised standing (issue 16 point 5: the write of a 20k run) gives exactly
the reasons and distances of the per-listing rules it replaced, on random arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching.engine.diagnose import REASONS, _needs_by_material, _standing


def _one_by_one(moved, capacity, stage, nearest, admissible, committed, out_of_reach):
    """The rules as they were written before, one listing at a time."""
    out = []
    for i in range(len(moved)):
        dist = float(nearest[i])
        if capacity[i] <= 0:
            reason = "matched" if committed[i] else "windows_do_not_overlap"
            dist = math.inf
        elif moved[i] >= capacity[i]:
            reason, dist = "matched", math.inf
        elif moved[i] > 0:
            reason, dist = "partly_matched", math.inf
        elif out_of_reach[i]:
            reason, dist = "recipe_out_of_reach", math.inf
        else:
            reason = REASONS[2 + int(stage[i])]
            if reason == "outcompeted":
                dist = float(admissible[i])
        out.append((reason, int(round(dist)) if math.isfinite(dist) else None))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_standing_matches_the_rules_one_listing_at_a_time(seed):
    rng = np.random.default_rng(seed)
    n = 300
    capacity = rng.integers(-2, 6, n)
    moved = np.where(rng.random(n) < 0.5, 0, rng.integers(0, 7, n))
    stage = rng.integers(0, 4, n).astype(np.int8)
    nearest = np.where(rng.random(n) < 0.2, np.inf, rng.choice([0.5, 1.5, 2.5, 3.49, 7.51, 40.0], n))
    admissible = np.where(rng.random(n) < 0.2, np.inf, rng.random(n) * 50)
    committed = rng.random(n) < 0.5
    out_of_reach = rng.random(n) < 0.2
    reasons, km = _standing(moved, capacity, stage, nearest, admissible, committed, out_of_reach)
    finite = np.isfinite(km)
    rounded = np.where(finite, np.rint(km), 0).astype(np.int64)
    got = [(r, int(k) if f else None) for r, k, f in zip(reasons.tolist(), rounded, finite, strict=True)]
    assert got == _one_by_one(moved, capacity, stage, nearest, admissible, committed, out_of_reach)


def test_needs_by_material_lists_each_need_once_per_material_in_order():
    class _Need:
        def __init__(self, materials):
            self.materials = materials

    class _Prep:
        needs = (_Need(("a", "b")), _Need(("b",)), _Need(("a", "a")), _Need(()))

    found = _needs_by_material(_Prep())
    assert {k: v.tolist() for k, v in found.items()} == {"a": [0, 2], "b": [0, 1]}
