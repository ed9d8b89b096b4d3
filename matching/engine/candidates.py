"""Candidate arcs: a spatial index per material, then exact filters.

For each material, a k-d tree over the offers' unit vectors answers, for every need accepting
that material, "which offers lie within this need's radius?" in one vectorised call. The radius
is the need's maximum road distance divided by the provider's minimum circuity (no road trip is
shorter than that multiple of the great circle). Everything the tree lets through is then
filtered exactly: road distance against both ends' limits, overlapping windows, minimum lots
that fit, declined pairs and, for ``net_climate``, a positive net benefit. All offers × needs
pairs are never formed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .distance import DistanceProvider, GreatCircleDistance, chord_for_km, unit_vectors
from .prepare import NO_DAY_MAX, NO_DAY_MIN, Prepared
from .scaling import KG_PER_TONNE, climate_cost_mg, distance_cost_m

#: threads for the k-d tree queries; the result does not depend on it
KDTREE_WORKERS = 2


@dataclass(frozen=True)
class Arcs:
    """Candidate arcs in canonical order (material key, need id, offer id); positions follow ids."""

    offer: np.ndarray  # int64
    need: np.ndarray  # int64
    distance_km: np.ndarray  # float64 road km
    cost: np.ndarray  # int64 unit cost for the objective: metres, or −mg CO2e for net_climate
    lot: np.ndarray  # int64 minimum flow if used (max of both ends' lots), 0 = none

    def __len__(self) -> int:
        return int(self.offer.size)


def _empty() -> Arcs:
    e = np.zeros(0, dtype=np.int64)
    return Arcs(e, e, np.zeros(0), e, e)


def _within_radius(
    prep: Prepared, offers: np.ndarray, needs: np.ndarray, min_circuity: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offer positions, need positions) of pairs the k-d tree finds within the need's radius.

    Pairs come out need by need and, within a need, by offer position (``return_sorted``), so
    the order depends only on which listings take part, never on the tree's internal layout.
    """
    offer_xyz = unit_vectors(prep.offer_lat[offers], prep.offer_lon[offers])
    need_xyz = unit_vectors(prep.need_lat[needs], prep.need_lon[needs])
    tree = cKDTree(offer_xyz)
    chords = chord_for_km(prep.need_max_km[needs] / min_circuity)
    hits = tree.query_ball_point(
        need_xyz,
        r=chords,
        workers=KDTREE_WORKERS,
        return_sorted=True,
    )
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    total = int(lengths.sum())
    local = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=total)
    need_local = np.repeat(np.arange(needs.size), lengths)
    return offers[local], needs[need_local], offer_xyz[local], need_xyz[need_local]


def _material_arcs(
    prep: Prepared, key: str, offers: np.ndarray, needs: np.ndarray, provider: DistanceProvider
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Admissible (offer, need, distance) of one material, in (need, offer) position order."""
    o, n, o_xyz, n_xyz = _within_radius(prep, offers, needs, provider.min_circuity)
    if isinstance(provider, GreatCircleDistance):
        # same distances (to rounding) from the vectors at hand: half the time of haversine
        d = provider.road_km_from_unit_vectors(o_xyz, n_xyz)
    else:
        d = np.asarray(
            provider.road_km(prep.offer_lat[o], prep.offer_lon[o], prep.need_lat[n], prep.need_lon[n]),
            dtype=np.float64,
        )
    del o_xyz, n_xyz
    # road distance within the need's limit and the offer's, if it set one
    keep = d <= np.minimum(prep.need_max_km[n], prep.offer_max_km[o])
    # availability windows overlap (inclusive day ordinals); skipped when all are open
    if (
        (prep.offer_from[offers] > NO_DAY_MIN).any()
        or (prep.offer_until[offers] < NO_DAY_MAX).any()
        or ((prep.need_from[needs] > NO_DAY_MIN).any() or (prep.need_until[needs] < NO_DAY_MAX).any())
    ):
        keep &= np.maximum(prep.offer_from[o], prep.need_from[n]) <= np.minimum(
            prep.offer_until[o], prep.need_until[n]
        )
    # a lot larger than what either end can move makes the pair useless
    if prep.offer_lot[offers].any() or prep.need_lot[needs].any():
        lot = np.maximum(prep.offer_lot[o], prep.need_lot[n])
        keep &= lot <= np.minimum(prep.offer_supply[o], prep.need_demand[n])
    return o[keep], n[keep], d[keep]


def candidate_arcs(prep: Prepared, provider: DistanceProvider) -> Arcs:
    """All admissible arcs of ``prep`` with their distances, unit costs and lots.

    The order is canonical — by material key, then need id, then offer id — so a component
    yields the same arrays whether it is solved within the whole problem or on its own.
    """
    problem = prep.problem
    offer_material = np.array([o.material for o in prep.offers], dtype=object)
    parts = []
    for key in sorted(prep.materials):
        offers = np.flatnonzero((offer_material == key) & (prep.offer_supply > 0))
        needs = np.array(
            [j for j, n in enumerate(prep.needs) if key in n.materials and prep.need_demand[j] > 0],
            dtype=np.int64,
        )
        if offers.size and needs.size:
            parts.append(_material_arcs(prep, key, offers, needs, provider))
    if not parts:
        return _empty()
    o = np.concatenate([part[0] for part in parts])
    n = np.concatenate([part[1] for part in parts])
    d = np.concatenate([part[2] for part in parts])

    if problem.declined_pairs:
        n_needs = len(prep.needs)
        offer_pos = {oid: i for i, oid in enumerate(prep.offer_ids)}
        need_pos = {nid: j for j, nid in enumerate(prep.need_ids)}
        declined = np.array(
            [
                offer_pos[a] * n_needs + need_pos[b]
                for a, b in problem.declined_pairs
                if a in offer_pos and b in need_pos
            ],
            dtype=np.int64,
        )
        allowed = ~np.isin(o * n_needs + n, declined)
        o, n, d = o[allowed], n[allowed], d[allowed]

    lot = np.maximum(prep.offer_lot[o], prep.need_lot[n])
    if problem.objective == "net_climate":
        cost, keep = _climate_costs(prep, o, d)
        return Arcs(o[keep], n[keep], d[keep], cost[keep], lot[keep])
    return Arcs(o, n, d, distance_cost_m(d), lot)


def _climate_costs(prep: Prepared, o: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit costs (−mg CO2e avoided per base unit) and the mask of arcs with a positive net."""
    net_per_t = prep.offer_gross_per_t[o] - d * float(prep.problem.road_freight_kg_per_tkm)
    cost = np.zeros(o.size, dtype=np.int64)
    materials = np.array([offer.material for offer in prep.offers], dtype=object)[o]
    for key in sorted(set(materials.tolist())):
        mask = materials == key
        cost[mask] = -climate_cost_mg(net_per_t[mask], prep.unit_mass_kg(key) / KG_PER_TONNE)
    # pairs whose net is not positive are never proposed (SPEC §3)
    return cost, cost < 0


__all__ = ["Arcs", "candidate_arcs"]
