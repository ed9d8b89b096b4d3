"""Independent groups of listings: connected components of the candidate-arc graph.

Listings that share no candidate arc, directly or through others, cannot influence each other,
so each component is solved on its own, in a stable order (by smallest offer id, then smallest
need id), and may be shipped to a different worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .candidates import Arcs
from .prepare import Prepared


@dataclass(frozen=True)
class Component:
    """One component: global positions of its listings and its arcs in local positions."""

    offers: np.ndarray  # global offer positions, ascending (= id order)
    needs: np.ndarray  # global need positions, ascending
    arc_offer: np.ndarray  # local offer index per arc
    arc_need: np.ndarray  # local need index per arc
    distance_km: np.ndarray
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


def _local_ranks(labels: np.ndarray, count: int) -> np.ndarray:
    """Each node's rank among the nodes of its component, in position (= id) order."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    first = np.searchsorted(sorted_labels, np.arange(count))
    ranks = np.empty(labels.size, dtype=np.int64)
    ranks[order] = np.arange(labels.size) - first[sorted_labels]
    return ranks


def find_components(prep: Prepared, arcs: Arcs) -> list[Component]:
    """Components of the bipartite arc graph, each keeping the canonical arc order."""
    if len(arcs) == 0:
        return []
    n_offers, n_needs = len(prep.offers), len(prep.needs)
    size = n_offers + n_needs
    graph = coo_matrix(
        (np.ones(len(arcs), dtype=np.int8), (arcs.offer, arcs.need + n_offers)), shape=(size, size)
    )
    count, labels = connected_components(graph, directed=False)
    offer_rank = _local_ranks(labels[:n_offers], count)
    need_rank = _local_ranks(labels[n_offers:], count)
    arc_label = labels[arcs.offer]
    # a stable sort keeps each component's arcs in canonical order; 16-bit labels sort by radix
    small = arc_label.astype(np.int16) if count < 2**15 else arc_label
    order = np.argsort(small, kind="stable")
    bounds = np.searchsorted(arc_label[order], np.arange(count + 1))

    components = []
    for label in np.unique(arc_label).tolist():
        idx = order[bounds[label] : bounds[label + 1]]
        o, n = arcs.offer[idx], arcs.need[idx]
        offers = np.flatnonzero(labels[:n_offers] == label)
        needs = np.flatnonzero(labels[n_offers:] == label)
        material = prep.offers[int(offers[0])].material
        spec = prep.materials[material]
        components.append(
            Component(
                offers=offers,
                needs=needs,
                arc_offer=offer_rank[o],
                arc_need=need_rank[n],
                distance_km=arcs.distance_km[idx],
                cost=arcs.cost[idx],
                lot=arcs.lot[idx],
                supply=prep.offer_supply[offers],
                demand=prep.need_demand[needs],
                waste=prep.offer_waste[offers],
                unit_mass_kg=prep.unit_mass_kg(material),
                unit="piece" if spec.is_piece else "kg",
            )
        )
    components.sort(key=lambda c: (int(c.offers[0]), int(c.needs[0])))
    return components
