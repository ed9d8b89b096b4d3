"""The linear-time stand-ins for ``np.unique`` in the timed engine give exactly what
``np.unique`` gives (ids ascending, and the inverse mapping each value onto its id)."""

from __future__ import annotations

import numpy as np
import pytest

from matching.engine.timed import _dense_unique, _groups_by, _sorted_unique


@pytest.mark.parametrize("seed", range(40))
def test_dense_unique_equals_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 500))
    values = rng.integers(0, size, size=int(rng.integers(0, 2000))).astype(np.int32)
    ids, inverse = _dense_unique(values, size)
    want_ids, want_inverse = np.unique(values, return_inverse=True)
    assert ids.tolist() == want_ids.tolist()
    assert inverse.tolist() == want_inverse.ravel().tolist()
    assert (ids[inverse] == values).all()


@pytest.mark.parametrize("seed", range(40))
def test_sorted_unique_equals_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.sort(rng.integers(0, 50, size=int(rng.integers(0, 300)))).astype(np.int32)
    ids, inverse = _sorted_unique(values)
    want_ids, want_inverse = np.unique(values, return_inverse=True)
    assert ids.tolist() == want_ids.tolist()
    assert inverse.tolist() == want_inverse.ravel().tolist()


@pytest.mark.parametrize("seed", range(40))
def test_groups_by_lists_every_position_once_ascending(seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 12, size=int(rng.integers(1, 400)))
    groups = _groups_by(keys)
    assert list(groups) == sorted(set(keys.tolist()))
    for key, positions in groups.items():
        assert positions.tolist() == np.flatnonzero(keys == key).tolist()
    assert sum(p.size for p in groups.values()) == keys.size


def test_empty_inputs() -> None:
    assert _groups_by(np.zeros(0, dtype=np.int64)) == {}
    ids, inverse = _dense_unique(np.zeros(0, dtype=np.int32), 5)
    assert ids.size == 0 and inverse.size == 0
