"""The linear-time stand-ins for ``np.unique`` in the timed engine give exactly what
``np.unique`` gives (ids ascending, and the inverse mapping each value onto its id); the LP
build's memory helpers do what they promise."""

from __future__ import annotations

import numpy as np
import pytest

from matching.engine.timed import _LIBC, _cat, _dense_unique, _groups_by, _sorted_unique, _trim_heap


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


@pytest.mark.parametrize("seed", range(30))
def test_repair_lots_zeroes_exactly_the_arcs_below_their_lot(seed: int) -> None:
    """The vectorised direct part of ``_repair_lots`` against the per-arc rule it replaced: an
    arc whose flows over all its buckets total more than 0 and less than its lot carries nothing."""
    from types import SimpleNamespace

    from matching.engine.timed import _Comp, _repair_lots

    rng = np.random.default_rng(seed)
    n_arcs = int(rng.integers(1, 40))
    lot = rng.integers(0, 30, size=n_arcs).astype(np.int64)
    x_arc = np.sort(rng.integers(0, n_arcs, size=int(rng.integers(1, 200)))).astype(np.int32)
    comp_x = np.flatnonzero(rng.random(x_arc.size) < 0.7).astype(np.int32)
    x = rng.integers(0, 12, size=comp_x.size).astype(np.int64)
    totals: dict[int, int] = {}
    for a, q in zip(x_arc[comp_x].tolist(), x.tolist(), strict=True):
        totals[a] = totals.get(a, 0) + q
    want = [
        0 if 0 < totals[a] < lot[a] else q for a, q in zip(x_arc[comp_x].tolist(), x.tolist(), strict=True)
    ]
    empty = np.zeros(0, dtype=np.int64)
    comp = _Comp(empty, empty, [], comp_x, [], [])
    net = SimpleNamespace(x_arc=x_arc, entries=[], exits=[])
    _repair_lots(SimpleNamespace(), net, SimpleNamespace(lot=lot), comp, x, empty, empty)  # type: ignore[arg-type]
    assert x.tolist() == want


def test_cat_joins_or_returns_the_first_part_itself() -> None:
    first = np.arange(5, dtype=np.int64)
    # no yard legs: the per-column array itself, not a copy (the LP build's memory peak)
    assert _cat(first, np.zeros(0, dtype=np.int64)) is first
    assert _cat(first) is first
    joined = _cat(first, np.array([7, 8], dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert joined.tolist() == [0, 1, 2, 3, 4, 7, 8]
    assert joined is not first


def test_trim_heap_is_safe_to_call_repeatedly() -> None:
    _trim_heap()
    _trim_heap()
    assert len(_LIBC) == 1  # looked up once (None where there is no glibc)
