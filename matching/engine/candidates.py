"""Candidate arcs: a spatial index per material, then exact filters.

For each material, a k-d tree over the offers' unit vectors is queried against a k-d tree over
the needs accepting that material (one dual-tree query per group of needs with similar radii),
returning the pairs within the group's largest radius as arrays; each pair is then held to its
own need's radius. The radius is the need's maximum road distance divided by the provider's
minimum circuity (no road trip is shorter than that multiple of the great circle). Everything
the trees let through is then filtered exactly: road distance against both ends' limits,
overlapping windows, minimum lots that fit, declined pairs and, for ``net_climate``, a positive
net benefit. All offers × needs pairs are never formed, nor a Python object per pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from .distance import DistanceProvider, GreatCircleDistance, chord_for_km, unit_vectors
from .prepare import NO_DAY_MAX, NO_DAY_MIN, Prepared
from .scaling import KG_PER_TONNE, climate_cost_mg, distance_cost_m

#: needs whose radii differ by at most this factor share one tree-against-tree query; the
#: larger radius fetches at most its square more pairs, which the need's own radius then drops
RADIUS_SPREAD = 1.15


@dataclass(frozen=True)
class Arcs:
    """Candidate arcs in canonical order (material key, need id, offer id); positions follow ids."""

    offer: np.ndarray  # int32 offer position
    need: np.ndarray  # int32 need position
    distance_km: np.ndarray  # float64 road km
    cost: np.ndarray  # int64 unit cost for the objective: metres, or −mg CO2e for net_climate
    lot: np.ndarray  # int64 minimum flow if used (max of both ends' lots), 0 = none
    #: ``road_km(offer positions, need positions)``: the distances of ``distance_km`` again, bit for
    #: bit, for any pairs — so later stages may drop the column and ask for the arcs they need
    road_km: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, compare=False, repr=False
    )

    def __len__(self) -> int:
        return int(self.offer.size)


def _empty() -> Arcs:
    e = np.zeros(0, dtype=np.int64)
    i = np.zeros(0, dtype=np.int32)
    return Arcs(i, i, np.zeros(0), e, e)


class PairDistances:
    """Road km of (offer, need) position pairs, exactly as the candidate search measured them.

    A plain object (not a closure), so whatever holds it — an :class:`Arcs`, a component — can
    still be pickled.
    """

    def __init__(self, prep: Prepared, provider: DistanceProvider) -> None:
        self.prep = prep
        self.provider = provider

    def __call__(self, o: np.ndarray, n: np.ndarray) -> np.ndarray:
        prep, provider = self.prep, self.provider
        if isinstance(provider, GreatCircleDistance):
            # the trees' chords equal these differences of unit vectors bit for bit
            return provider.road_km_from_unit_vectors(
                unit_vectors(prep.offer_lat[o], prep.offer_lon[o]),
                unit_vectors(prep.need_lat[n], prep.need_lon[n]),
            )
        return np.asarray(
            provider.road_km(prep.offer_lat[o], prep.offer_lon[o], prep.need_lat[n], prep.need_lon[n]),
            dtype=np.float64,
        )


def _radius_groups(chords: np.ndarray) -> list[np.ndarray]:
    """Local need indices grouped by radius (largest at most ``RADIUS_SPREAD`` × smallest)."""
    order = np.argsort(chords, kind="stable")
    ordered = chords[order]
    groups = []
    start = 0
    while start < order.size:
        end = int(np.searchsorted(ordered, ordered[start] * RADIUS_SPREAD, side="right"))
        groups.append(order[start:end])
        start = end
    return groups


def _concatenate(parts: list[np.ndarray]) -> np.ndarray:
    """One array of the parts, freeing each part list as soon as it is copied."""
    whole = np.concatenate(parts)
    parts.clear()
    return whole


def _within_radius(
    offer_xyz: np.ndarray, need_xyz: np.ndarray, chords: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local offer, local need, chord) of the pairs within each need's chord, in no set order.

    The chords are the trees' own Euclidean distances between the unit vectors, computed as
    the engine always has (the three squared differences summed in order, then the root), so
    they equal ``sqrt(((a - b) ** 2).sum(axis=1))`` bit for bit
    (``tests/engine/test_engine_arcs_chords.py`` holds SciPy to it).
    """
    offer_tree = cKDTree(offer_xyz)
    o_parts, n_parts, c_parts = [], [], []
    for group in _radius_groups(chords):
        pairs = offer_tree.sparse_distance_matrix(
            cKDTree(need_xyz[group]), max_distance=float(chords[group].max()), output_type="ndarray"
        )
        own = pairs["v"] <= chords[group][pairs["j"]]
        o_parts.append(pairs["i"][own].astype(np.int32))
        n_parts.append(group[pairs["j"][own]].astype(np.int32))
        c_parts.append(pairs["v"][own])
        del pairs, own
    return _concatenate(o_parts), _concatenate(n_parts), _concatenate(c_parts)


def _canonical(
    offer_local: np.ndarray, need_local: np.ndarray, n_offers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offer, need, permutation) sorted by need, then offer: the canonical order of a material.

    One plain sort of 64-bit words — need × offers + offer in the high bits, the pair's index
    in the low ones — is several times faster than an argsort and yields both at once.
    """
    count = offer_local.size
    index_bits = max(int(count - 1).bit_length(), 1)
    key = need_local.astype(np.int64) * n_offers + offer_local
    if count and (int(key.max()) + 1) << index_bits >= 2**63:
        order = np.lexsort((offer_local, need_local))
        return offer_local[order], need_local[order], order
    key <<= index_bits
    key |= np.arange(count, dtype=np.int64)
    key.sort()
    order = key & ((1 << index_bits) - 1)
    key >>= index_bits
    need_sorted = (key // n_offers).astype(np.int32)
    key -= need_sorted.astype(np.int64) * n_offers
    return key.astype(np.int32), need_sorted, order


def _material_arcs(
    prep: Prepared,
    offers: np.ndarray,
    needs: np.ndarray,
    provider: DistanceProvider,
    offer_xyz: np.ndarray,
    need_xyz: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Admissible (offer, need, distance) of one material, in (need, offer) position order."""
    road_km = PairDistances(prep, provider)
    chords = chord_for_km(prep.need_max_km[needs] / provider.min_circuity)
    local_o, local_n, chord = _within_radius(offer_xyz[offers], need_xyz[needs], chords)
    o, n = offers[local_o], needs[local_n]
    # from the chords the trees measured: the distances the unit vectors give, at less cost
    d = provider.road_km_from_chords(chord) if isinstance(provider, GreatCircleDistance) else road_km(o, n)
    del chord
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
    del o, n
    local_o, local_n, order = _canonical(local_o[keep], local_n[keep], offers.size)
    return offers[local_o], needs[local_n], d[keep][order]


def candidate_arcs(prep: Prepared, provider: DistanceProvider) -> Arcs:
    """All admissible arcs of ``prep`` with their distances, unit costs and lots.

    The order is canonical — by material key, then need id, then offer id — so a component
    yields the same arrays whether it is solved within the whole problem or on its own.
    """
    problem = prep.problem
    offers_of: dict[str, list[int]] = {}
    for i, (offer, supply) in enumerate(zip(prep.offers, prep.offer_supply.tolist(), strict=True)):
        if supply > 0:
            offers_of.setdefault(offer.material, []).append(i)
    needs_of: dict[str, list[int]] = {}
    for j, (need, demand) in enumerate(zip(prep.needs, prep.need_demand.tolist(), strict=True)):
        if demand > 0:
            for key in need.materials:
                needs_of.setdefault(key, []).append(j)
    offer_xyz = unit_vectors(prep.offer_lat, prep.offer_lon)
    need_xyz = unit_vectors(prep.need_lat, prep.need_lon)
    metres = problem.objective != "net_climate"
    o_parts: list[np.ndarray] = []
    n_parts: list[np.ndarray] = []
    d_parts: list[np.ndarray] = []
    c_parts: list[np.ndarray] = []
    for key in sorted(prep.materials):
        if key in offers_of and key in needs_of:
            offers = np.array(offers_of[key], dtype=np.int32)
            needs = np.array(needs_of[key], dtype=np.int32)
            o_part, n_part, d_part = _material_arcs(prep, offers, needs, provider, offer_xyz, need_xyz)
            o_parts.append(o_part)
            n_parts.append(n_part)
            d_parts.append(d_part)
            if metres:
                # per material: the temporaries of the rounding stay small
                c_parts.append(distance_cost_m(d_part))
    del offer_xyz, need_xyz
    if not o_parts:
        return _empty()
    o, n, d = _concatenate(o_parts), _concatenate(n_parts), _concatenate(d_parts)
    cost_m = _concatenate(c_parts) if metres else None

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
        allowed = ~np.isin(o.astype(np.int64) * n_needs + n, declined)
        o, n, d = o[allowed], n[allowed], d[allowed]
        cost_m = None if cost_m is None else cost_m[allowed]

    if prep.offer_lot.any() or prep.need_lot.any():
        lot = np.maximum(prep.offer_lot[o], prep.need_lot[n])
    else:
        # no lots anywhere: zeros from calloc, which take no memory until written
        lot = np.zeros(o.size, dtype=np.int64)
    if cost_m is None:
        cost, keep = _climate_costs(prep, o, d)
        return Arcs(o[keep], n[keep], d[keep], cost[keep], lot[keep], PairDistances(prep, provider))
    return Arcs(o, n, d, cost_m, lot, PairDistances(prep, provider))


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
