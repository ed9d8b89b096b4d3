"""Independent groups of listings: connected components of the candidate-arc graph.

Listings that share no candidate arc, directly or through others, cannot influence each other,
so each component is solved on its own, in a stable order (by smallest offer id, then smallest
need id), and may be shipped to a different worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .candidates import Arcs
from .prepare import Prepared


class ArcDistances:
    """A component's road km per arc, worked out only for the arcs asked for.

    The results need the distances of the arcs that carry flow — a few per cent of them — so a
    component keeps the function that measured the candidates (the same values, bit for bit)
    instead of a float64 column over every arc: 8 bytes per arc less while the flows are solved.
    """

    def __init__(
        self,
        road_km: Callable[[np.ndarray, np.ndarray], np.ndarray],
        offers: np.ndarray,
        needs: np.ndarray,
        arc_offer: np.ndarray,
        arc_need: np.ndarray,
    ) -> None:
        self._road_km = road_km
        self._offers, self._needs = offers, needs
        self._arc_offer, self._arc_need = arc_offer, arc_need

    def __getitem__(self, index: np.ndarray | slice) -> np.ndarray:
        return self._road_km(self._offers[self._arc_offer[index]], self._needs[self._arc_need[index]])

    def __len__(self) -> int:
        return int(self._arc_offer.size)

    def __array__(self, dtype: np.dtype | None = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self[:], dtype=dtype)


@dataclass(frozen=True)
class Component:
    """One component: global positions of its listings and its arcs in local positions."""

    offers: np.ndarray  # global offer positions, ascending (= id order)
    needs: np.ndarray  # global need positions, ascending
    arc_offer: np.ndarray  # int32 local offer index per arc (a view of the run's arc arrays)
    arc_need: np.ndarray  # int32 local need index per arc
    distance_km: np.ndarray | ArcDistances  # road km per arc; index it with the arcs you need
    cost: np.ndarray
    lot: np.ndarray
    supply: np.ndarray  # int64 per local offer
    demand: np.ndarray  # int64 per local need
    waste: np.ndarray  # bool per local offer: waste-bound (its supply counts as diverted when moved)
    unit_mass_kg: Fraction  # every unit in a component weighs the same (SPEC §3, needs' rules)
    unit: str  # 'kg' or 'piece'

    @property
    def is_discrete(self) -> bool:
        """Minimum lots above one base unit make the flow semi-continuous."""
        return bool(self.lot.size) and int(self.lot.max()) > 1

    @property
    def num_arcs(self) -> int:
        return int(self.arc_offer.size)

    @property
    def arc_waste(self) -> np.ndarray:
        """Per arc: it leaves a waste-bound offer."""
        waste: np.ndarray = self.waste[self.arc_offer]
        return waste

    @property
    def mixed(self) -> bool:
        """Both waste-bound offers and offers already in other use: the first two levels differ."""
        return bool(self.waste.any()) and not bool(self.waste.all())


def _grouped(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes by component: (positions in label then id order, bounds per label, local ranks)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(count + 1))
    ranks = np.empty(labels.size, dtype=np.int32)
    ranks[order] = np.arange(labels.size) - np.repeat(bounds[:-1], np.diff(bounds))
    return order, bounds, ranks


def _distances(
    arcs: Arcs, order: np.ndarray, arc_offer: np.ndarray, arc_need: np.ndarray
) -> Callable[[int, int, np.ndarray, np.ndarray], np.ndarray | ArcDistances]:
    """Per component (arcs a..b, its offers, its needs): its distances, measured again when the
    arcs can say how (:class:`ArcDistances`), else a view of one permuted copy of the column."""
    road_km = arcs.road_km
    if road_km is None:
        column = arcs.distance_km[order]
        return lambda a, b, offers, needs: column[a:b]
    return lambda a, b, offers, needs: ArcDistances(road_km, offers, needs, arc_offer[a:b], arc_need[a:b])


def find_components(prep: Prepared, arcs: Arcs) -> list[Component]:
    """Components of the bipartite arc graph, each keeping the canonical arc order.

    The arcs are permuted once into component order (a stable sort, so each component keeps
    the canonical order) and every component holds *views* of those arrays: one copy of the
    arc data whatever the number of components, and none of it per component. Distances are
    not copied at all when the arcs can measure them again (:class:`ArcDistances`).
    """
    if len(arcs) == 0:
        return []
    n_offers, n_needs = len(prep.offers), len(prep.needs)
    size = n_offers + n_needs
    graph = coo_matrix(
        (np.ones(len(arcs), dtype=np.int8), (arcs.offer, arcs.need + np.int32(n_offers))), shape=(size, size)
    )
    count, labels = connected_components(graph, directed=False)
    del graph
    offer_order, offer_bounds, offer_rank = _grouped(labels[:n_offers], count)
    need_order, need_bounds, need_rank = _grouped(labels[n_offers:], count)
    # a stable sort keeps each component's arcs in canonical order; 16-bit labels sort by radix
    arc_label = labels[:n_offers][arcs.offer]
    order = np.argsort(arc_label.astype(np.int16) if count < 2**15 else arc_label, kind="stable")
    arc_bounds = np.r_[0, np.cumsum(np.bincount(arc_label, minlength=count))]
    del arc_label
    arc_offer = offer_rank[arcs.offer[order]]
    arc_need = need_rank[arcs.need[order]]
    distances = _distances(arcs, order, arc_offer, arc_need)
    cost = arcs.cost[order]
    # no lots at all (the common case): zeros that take no memory until written
    lot = arcs.lot[order] if arcs.lot.any() else np.zeros(len(arcs), dtype=arcs.lot.dtype)
    del order

    components = []
    for label in np.flatnonzero(np.diff(arc_bounds)).tolist():
        a, b = int(arc_bounds[label]), int(arc_bounds[label + 1])
        offers = offer_order[offer_bounds[label] : offer_bounds[label + 1]]
        needs = need_order[need_bounds[label] : need_bounds[label + 1]]
        material = prep.offers[int(offers[0])].material
        spec = prep.materials[material]
        components.append(
            Component(
                offers=offers,
                needs=needs,
                arc_offer=arc_offer[a:b],
                arc_need=arc_need[a:b],
                distance_km=distances(a, b, offers, needs),
                cost=cost[a:b],
                lot=lot[a:b],
                supply=prep.offer_supply[offers],
                demand=prep.need_demand[needs],
                waste=prep.offer_waste[offers],
                unit_mass_kg=prep.unit_mass_kg(material),
                unit="piece" if spec.is_piece else "kg",
            )
        )
    components.sort(key=lambda c: (int(c.offers[0]), int(c.needs[0])))
    return components
