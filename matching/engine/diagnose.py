"""Why a listing got no (full) proposal: one vectorised pass after the solve, no re-solving.

For every listing, :func:`diagnose` compares what the solution moved with what the listing
could move (``matched``, ``partly_matched``) and, for a listing the solution left out entirely,
asks the candidate search's filters in their order which one removed every counterpart:
``no_counterpart_in_radius`` (road distance beyond either end's limit, or a minimum lot that
cannot fit), ``windows_do_not_overlap``, ``declined_by_counterpart`` (every remaining pair is
declined or awaiting a decision), and otherwise ``outcompeted`` (admissible counterparts
exist, but their capacity went to supply that ranks higher).

Before any of those filters, a left-out need with a blend recipe is ``recipe_out_of_reach``
when no mix of its own accepted materials meets the recipe (:func:`mix_reachable`, decided
exactly): the recipe is the need's own setting and no counterpart, however near, could ever
serve it, so naming a counterpart filter (or "outcompeted") would send its owner looking in the
wrong place. It depends only on the need and the catalogue's material properties, not on what
is on the market: a reachable recipe whose feasible mix needs a material nobody offers gets the
counterpart reasons as before. Its ``nearest_km`` is None (no distance explains it).

``nearest_km`` is the road distance to the nearest compatible counterpart (same material,
ignoring radius and windows), computed from coordinates rounded to ``decimals`` places (about a
kilometre at 2), so that it never locates a hidden site; for ``outcompeted`` it is the nearest
admissible counterpart. One k-d tree per material and side; only left-out listings are queried.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .distance import EARTH_RADIUS_KM, chord_for_km, unit_vectors
from .prepare import Prepared
from .problem import Flow, MaterialSpec, NeedInput, Problem
from .timed import blendable, recipe_rows

#: the queries here are small (left-out listings only): threads would cost more than they save
KDTREE_WORKERS = 1

REASONS = (
    "matched",
    "partly_matched",
    "no_counterpart_in_radius",
    "windows_do_not_overlap",
    "declined_by_counterpart",
    "outcompeted",
    "recipe_out_of_reach",
)


@dataclass(frozen=True)
class Diagnosis:
    """One listing's standing after a solve; ``kind`` is ``offer`` or ``need``."""

    kind: str
    id: int
    reason: str
    nearest_km: int | None


def _km(a: np.ndarray, b: np.ndarray, circuity: float) -> np.ndarray:
    chord = np.sqrt(((a - b) ** 2).sum(axis=1))
    km: np.ndarray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0)) * circuity
    return km


def _nearest(tree_xyz: np.ndarray, query_xyz: np.ndarray, circuity: float) -> np.ndarray:
    """Road km from each query point to the nearest tree point (inf without any)."""
    if not len(tree_xyz) or not len(query_xyz):
        return np.full(len(query_xyz), np.inf)
    _, index = cKDTree(tree_xyz).query(query_xyz, k=1, workers=KDTREE_WORKERS)
    return _km(tree_xyz[index], query_xyz, circuity)


_NONE = np.zeros(0, dtype=np.int64)


def _needs_by_material(prep: Prepared) -> dict[str, np.ndarray]:
    """Positions of the needs that take each material (a need may take several), ascending."""
    found: dict[str, list[int]] = {}
    for j, need in enumerate(prep.needs):
        for key in need.materials:
            found.setdefault(key, []).append(j)
    return {key: np.array(sorted(set(positions)), dtype=np.int64) for key, positions in found.items()}


def _served(prep: Prepared, flows: tuple[Flow, ...]) -> tuple[np.ndarray, np.ndarray]:
    offer_pos = {oid: i for i, oid in enumerate(prep.offer_ids)}
    need_pos = {nid: j for j, nid in enumerate(prep.need_ids)}
    out = np.zeros(len(prep.offers), dtype=np.int64)
    into = np.zeros(len(prep.needs), dtype=np.int64)
    for f in flows:
        out[offer_pos[f.offer_id]] += f.quantity
        into[need_pos[f.need_id]] += f.quantity
    return out, into


def mix_reachable(rows: Sequence[Mapping[str, Fraction]], materials: Sequence[str]) -> bool:
    """Whether some mix ``x ≥ 0``, ``Σx = 1`` of ``materials`` has every row ``Σ_m g_m·x_m ≥ 0``.

    Decided exactly, in fractions: phase I of the simplex method on ``−G·x + s = 0`` (one slack
    ``s_r ≥ 0`` per row, basic from the start since the right-hand side is 0) and ``Σx + a = 1``
    with one artificial ``a ≥ 0``; a mix exists iff the least ``a`` is 0. Bland's rule (the
    lowest index enters, ties in the ratio test leave by the lowest index) cannot cycle, so it
    ends; the problem is tiny (a need's accepted materials, a few rows). A material missing from
    a row contributes 0 to it. No material, no mix.
    """
    n, k = len(materials), len(rows)
    if not n:
        return False
    zero, one = Fraction(0), Fraction(1)
    # columns: x (n), s (k), a, then the right-hand side
    table = [
        [-Fraction(row.get(m, 0)) for m in materials]
        + [one if i == r else zero for i in range(k)]
        + [zero, zero]
        for r, row in enumerate(rows)
    ]
    table.append([one] * n + [zero] * k + [one, one])
    basis = [*range(n, n + k), n + k]
    # reduced costs of "minimise a" for this basis, and minus the objective's value last
    cost = [-v for v in table[-1][: n + k]] + [zero, -table[-1][-1]]
    while cost[-1] < 0:
        enter = next((j for j in range(n + k + 1) if cost[j] < 0), None)
        if enter is None:
            return False  # optimal with a > 0: no mix meets the rows
        ratios = [(line[-1] / line[enter], basis[i], i) for i, line in enumerate(table) if line[enter] > 0]
        if not ratios:  # a ≥ 0 bounds phase I below: cannot happen
            raise ArithmeticError("phase I unbounded")
        leave = min(ratios)[2]
        pivot = table[leave][enter]
        table[leave] = [v / pivot for v in table[leave]]
        for line in (*table[:leave], *table[leave + 1 :], cost):
            factor = line[enter]
            if factor:
                line[:] = [v - factor * w for v, w in zip(line, table[leave], strict=True)]
        basis[leave] = enter
    return True


def recipe_out_of_reach(need: NeedInput, materials: dict[str, MaterialSpec]) -> bool:
    """Whether ``need`` has a recipe that no mix of its own accepted materials can meet.

    The accepted materials are those of the need that its recipe lets it take at all
    (:func:`~.timed.blendable`); the rows are :func:`~.timed.recipe_rows` (wet mass), which are
    homogeneous, so meeting them with some quantity is meeting them with a mix of total 1.
    """
    if need.recipe is None:
        return False
    accepted = [m for m in need.materials if blendable(materials[m], need)]
    return not mix_reachable(recipe_rows(need, materials), accepted)


def _out_of_reach(prep: Prepared, left: np.ndarray) -> np.ndarray:
    """For every need, whether it is left out with a recipe out of reach (one check per recipe)."""
    found = np.zeros(len(prep.needs), dtype=bool)
    seen: dict[tuple[Any, ...], bool] = {}
    for j in np.flatnonzero(left).tolist():
        need = prep.needs[j]
        if need.recipe is None:
            continue
        key = (need.materials, need.recipe)
        if key not in seen:
            seen[key] = recipe_out_of_reach(need, prep.materials)
        found[j] = seen[key]
    return found


def _takers(
    prep: Prepared, key: str, needs: np.ndarray, out_of_reach: np.ndarray, has_recipe: np.ndarray
) -> np.ndarray:
    """The needs among ``needs`` that could take material ``key`` at all: not those whose recipe
    is out of reach (they take nothing), nor those whose recipe bars ``key`` (a quality range
    needs properties ``key`` lacks). They are no counterpart of an offer of ``key``, so an offer
    near only such needs is not told it was outcompeted."""
    if not needs.size:
        return needs
    keep = ~out_of_reach[needs]
    spec = prep.materials[key]
    for position in np.flatnonzero(keep & has_recipe[needs]).tolist():
        if not blendable(spec, prep.needs[int(needs[position])]):
            keep[position] = False
    takers: np.ndarray = needs[keep]
    return takers


def diagnose(
    problem: Problem, flows: tuple[Flow, ...], *, decimals: int = 2, prepared: Prepared | None = None
) -> list[Diagnosis]:
    """The standing of every offer and need of ``problem`` given the solution's ``flows``."""
    from .solve import prepared_for

    prep = prepared if prepared is not None else prepared_for(problem)
    circuity = float(problem.circuity)
    out, into = _served(prep, flows)
    n_o, n_n = len(prep.offers), len(prep.needs)
    # exact and rounded unit vectors of both sides
    o_xyz = unit_vectors(prep.offer_lat, prep.offer_lon)
    n_xyz = unit_vectors(prep.need_lat, prep.need_lon)
    o_round = unit_vectors(np.round(prep.offer_lat, decimals), np.round(prep.offer_lon, decimals))
    n_round = unit_vectors(np.round(prep.need_lat, decimals), np.round(prep.need_lon, decimals))
    nearest_o = np.full(n_o, np.inf)
    nearest_n = np.full(n_n, np.inf)
    admissible_o = np.full(n_o, np.inf)  # nearest admissible counterpart (rounded), for outcompeted
    admissible_n = np.full(n_n, np.inf)
    stage_o = np.zeros(n_o, dtype=np.int8)  # furthest filter passed: 0 none, 1 radius, 2 window, 3 all
    stage_n = np.zeros(n_n, dtype=np.int8)
    left_o = out == 0
    left_n = into == 0
    declined = problem.declined_pairs
    offer_material = np.array([o.material for o in prep.offers], dtype=object)
    needs_of = _needs_by_material(prep)
    out_of_reach = _out_of_reach(prep, left_n)
    has_recipe = np.array([n.recipe is not None for n in prep.needs], dtype=bool)
    for key in sorted(prep.materials):
        offers = np.flatnonzero(offer_material == key)
        needs = _takers(prep, key, needs_of.get(key, _NONE), out_of_reach, has_recipe)
        if not offers.size or not needs.size:
            continue
        q_o = offers[left_o[offers]]
        q_n = needs[left_n[needs]]
        nearest_o[q_o] = np.minimum(nearest_o[q_o], _nearest(n_round[needs], o_round[q_o], circuity))
        nearest_n[q_n] = np.minimum(nearest_n[q_n], _nearest(o_round[offers], n_round[q_n], circuity))
        # the candidate filters, asked for the left-out listings only
        for o, n, side in _pairs(prep, offers, needs, q_o, q_n, o_xyz, n_xyz, circuity):
            d = _km(o_xyz[o], n_xyz[n], circuity)
            ok = d <= np.minimum(prep.need_max_km[n], prep.offer_max_km[o])
            lot = np.maximum(prep.offer_lot[o], prep.need_lot[n])
            ok &= lot <= np.minimum(prep.offer_supply[o], prep.need_demand[n])
            stage = ok.astype(np.int8)
            ok &= np.maximum(prep.offer_from[o], prep.need_from[n]) <= np.minimum(
                prep.offer_until[o], prep.need_until[n]
            )
            stage += ok
            if declined:
                pair_ids = zip(prep.offer_id[o].tolist(), prep.need_id[n].tolist(), strict=True)
                ok &= np.fromiter((p not in declined for p in pair_ids), dtype=bool, count=o.size)
            stage += ok
            km = np.where(ok, _km(o_round[o], n_round[n], circuity), np.inf)
            if side == "offer":
                np.maximum.at(stage_o, o, stage)
                np.minimum.at(admissible_o, o, km)
            else:
                np.maximum.at(stage_n, n, stage)
                np.minimum.at(admissible_n, n, km)
    result: list[Diagnosis] = []
    offer_ids = [o.id for o in prep.offers]
    need_ids = [n.id for n in prep.needs]
    committed_o = np.array([o.committed > 0 for o in prep.offers], dtype=bool)
    committed_n = np.array([n.committed > 0 for n in prep.needs], dtype=bool)
    for kind, listings, moved, capacity, stage, nearest, admissible, committed in (
        ("offer", offer_ids, out, prep.offer_supply, stage_o, nearest_o, admissible_o, committed_o),
        ("need", need_ids, into, prep.need_demand, stage_n, nearest_n, admissible_n, committed_n),
    ):
        unreachable = out_of_reach if kind == "need" else np.zeros(n_o, dtype=bool)
        reasons, km = _standing(
            moved, np.asarray(capacity), stage, nearest, admissible, committed, unreachable
        )
        finite = np.isfinite(km)
        rounded = np.where(finite, np.rint(km), 0).astype(np.int64).tolist()  # half to even, as round()
        result.extend(
            Diagnosis(kind, listing_id, reason, whole if ok else None)
            for listing_id, reason, whole, ok in zip(
                listings, reasons.tolist(), rounded, finite.tolist(), strict=True
            )
        )
    return result


_REASON_ARRAY = np.array(REASONS, dtype=object)


def _standing(
    moved: np.ndarray,
    capacity: np.ndarray,
    stage: np.ndarray,
    nearest: np.ndarray,
    admissible: np.ndarray,
    committed: np.ndarray,
    out_of_reach: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each listing's reason and distance (inf: none shown), by the rules in their order of
    precedence; later assignments here override earlier ones, so the first rule is written last.

    1. nothing left to move in the horizon: ``matched`` if it is promised already, otherwise
       ``windows_do_not_overlap`` (its window lies outside the horizon);
    2. moved all it could: ``matched``; 3. moved some: ``partly_matched``;
    4. left out with a recipe out of reach (``out_of_reach``, needs only):
       ``recipe_out_of_reach``, no distance;
    5. left out: the furthest candidate filter it passed (``outcompeted``: the distance to the
       nearest admissible counterpart instead of the nearest one).
    """
    reasons = _REASON_ARRAY[2 + stage.astype(np.int64)]
    km = nearest.astype(np.float64, copy=True)
    outcompeted = reasons == "outcompeted"
    km[outcompeted] = admissible[outcompeted]
    reasons[out_of_reach], km[out_of_reach] = "recipe_out_of_reach", np.inf
    partly = moved > 0
    reasons[partly], km[partly] = "partly_matched", np.inf
    whole = moved >= capacity
    reasons[whole], km[whole] = "matched", np.inf
    empty = capacity <= 0
    reasons[empty] = np.where(committed[empty], "matched", "windows_do_not_overlap")
    km[empty] = np.inf
    return reasons, km


def _pairs(
    prep: Prepared,
    offers: np.ndarray,
    needs: np.ndarray,
    q_o: np.ndarray,
    q_n: np.ndarray,
    o_xyz: np.ndarray,
    n_xyz: np.ndarray,
    circuity: float,
) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
    """(offer positions, need positions, side) of the pairs around the left-out listings.

    Each left-out listing is the centre of a ball of its own reach (a need's radius; an offer's
    own limit, or the farthest-reaching need's when it set none); the filters then run exactly.
    """
    if q_n.size:
        tree = cKDTree(o_xyz[offers])
        hits = tree.query_ball_point(
            n_xyz[q_n], r=chord_for_km(prep.need_max_km[q_n] / circuity), workers=KDTREE_WORKERS
        )
        yield (*_flatten(hits, offers, q_n, offer_first=True), "need")
    if q_o.size:
        reach = np.minimum(prep.offer_max_km[q_o], prep.need_max_km[needs].max())
        tree = cKDTree(n_xyz[needs])
        hits = tree.query_ball_point(o_xyz[q_o], r=chord_for_km(reach / circuity), workers=KDTREE_WORKERS)
        yield (*_flatten(hits, needs, q_o, offer_first=False), "offer")


def _flatten(
    hits: Any, members: np.ndarray, centres: np.ndarray, *, offer_first: bool
) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    local = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=int(lengths.sum()))
    found, centre = members[local], np.repeat(centres, lengths)
    return (found, centre) if offer_first else (centre, found)


__all__ = ["REASONS", "Diagnosis", "diagnose", "mix_reachable", "recipe_out_of_reach"]
