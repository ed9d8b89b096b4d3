"""The engine over time (issue 13): time buckets, storage yards and blends.

:func:`solve_timed` handles every problem whose ``time_step`` is not ``none`` or that has a
blending need; ``solve`` keeps today's aggregate path otherwise (``time_step='none'`` without
recipes gives exactly today's flows).

The model, per connected component of listings and yards (linked by direct candidate arcs and by
yard legs):

* **Slots.** Each listing's horizon quantity is spread over buckets (:mod:`.buckets`). A
  periodic offer's bucket quantity may leave in that bucket only (a continuous residue goes to its
  fate when nobody takes it); a ``once`` lot may leave in its first bucket or — waiting at the
  supplier's site — any later bucket of its window, as long as ``may_wait`` allows (perishable
  materials: first bucket only). A periodic need takes at most its bucket quantity per bucket; a
  ``once`` need its whole quantity in any bucket(s) of its window.
* **Direct flows** ``x[a, t]``: candidate arc ``a`` (:func:`.candidates.candidate_arcs`, which
  already checks distances, overlapping windows, lots and declined pairs) in a bucket where the
  offer can send and the need can receive.
* **Yard flows.** Material of offer ``o`` enters yard ``y`` in bucket ``e`` (``u``) and leaves it
  for need ``n`` in a later bucket ``t`` (``v``), with ``may_wait(e → t)`` and the yard available
  in every bucket from ``e`` to ``t``. The whole route offer → yard → need is held to the need's
  maximum distance and the offer's (if any), as a direct delivery is: a leg longer than its
  end's limit gives no entry or exit, and a pair whose two legs together are too long is
  *barred* in the lot (see below). The stock at the
  end of every bucket (all that entered at or before it and leaves after it) stays within the
  yard's capacity (tonnes by mass, or pieces) less what agreed deals and reserving proposals
  already hold there (``StorageInput.booked``). Perishable materials never enter a yard.
* **Declines, route limits and yards.** A declined pair goes neither direct nor through any
  yard; a triple the yard's owner declined (``declined_storage_triples``) not through that yard;
  a pair whose route through the yard is too long not through it. In a lot (yard, material,
  entry bucket) where some entering offers are *barred* from some leaving needs, the units must
  still pair up offer → need without a barred pair: Hall's condition — one row per distinct
  barred set when those sets form a chain (route limits alone, with no supplier's limit, always
  do: an offer further from the yard is barred from every need a nearer one is), else one row
  per set S of barred offers (what S brings in ≤ what the needs that some offer of S may serve
  take out; beyond ``HALL_MAX_OFFERS`` barred offers in one lot, the stricter single row over
  all of them and the needs none of them bars, and the component is not proven). Such lots are
  paired by a max flow, not first in first out (:func:`_pair_lot`); after rounding, what cannot
  be paired is trimmed.
* **Recipes** bound the mass mix a need receives over the horizon (linear constraints, see
  :func:`_recipe_rows`); a need with a quality bound takes no material lacking the properties.

Objective: the same lexicographic order as the aggregate model — waste-bound kg moved, then all
kg moved, then kg·km of transport (both legs for yard flows); or ``net_climate``: net avoided kg
CO2e, with transport on both legs and the yard's handling emissions per tonne entering it.

Solvers: a component without yards and recipes is a time-expanded network solved exactly by
min-cost flow (as today; if its minimum lots are broken by that relaxation it goes to the MIP).
That network is first cut into its independent parts (:class:`_Groups`: a periodic listing's
slot in one bucket, or a ``once`` listing's whole window, per node), each solved on its own, in
turn: without ``once`` listings spanning buckets, one min-cost flow per bucket. With
``divert_then_distance`` the parts that lie inside one bucket go, bucket after bucket, to the
lexicographic network simplex of :mod:`.netsimplex`, warm-started from the previous bucket's
optimal tree (:func:`_warm_buckets`); OR-Tools solves the rest, and everything where the C
kernel is missing or gives up.
Others are LPs solved by HiGHS (through MathOpt's model proto; the matrix is built with numpy and
scipy.sparse, see :class:`_LP`), each lexicographic level solved and its optimum kept for the
next through the level's optimal face (a last level prefers the shortest stays in yards among
equal optima). An LP with more than ``CG_MIN_COLUMNS`` columns is solved by column generation:
from every yard leg, the support of the exact network flow without the blending needs and the
cheapest arcs of every slot, the columns left out are priced with the duals and the attractive
ones added until none is left — the optimum of the whole LP, level by level (each level after
the first starts again from those start columns and the last solution's support). Integer base
units (kilograms or pieces) in the answer:

* up to ``MIP_MAX_VARIABLES`` variables, when the LP optimum is fractional or lots exist, the
  levels are re-solved as a MIP on integer units — exact, ``proven_optimal`` when HiGHS proves it;
* larger components take the LP optimum rounded down (every "at most" row still holds), flows
  below a lot zeroed, yard lots re-balanced and recipes repaired unit by unit so that every bound
  holds exactly; ``proven_optimal`` is then false, ``bound`` is the LP value and ``stats['gap']``
  the relative gap;
* when time runs out during column generation, the last restricted optimum is kept (feasible
  for the whole LP) and the bound is its value plus what the columns left out could add (each
  column's bound times its reduced cost);
* above ``LP_MAX_VARIABLES`` (or when HiGHS finds nothing within the time), the component gets
  the exact network flow without its blending needs and yards (always feasible), not proven. Its
  bound: without yards, the network optimum with the recipes dropped (a relaxation, one more exact
  network solve: on periodic listings solved with the first, bucket by bucket, each warm from
  the other's tree); with yards, all its waste-bound supply.

HiGHS runs single-threaded (its global ``threads`` option) with a fixed seed, so the same input
gives the same flows; the time limit is shared among the LP/MIP components (model building in
Python is not bounded by it). A numerical failure of a round (HiGHS answering "infeasible" on a
restricted LP known to be feasible) is solved again by dual simplex. With ``workers`` > 1 a large
run's LP components are solved side by side in forked processes (:func:`_forked_lps`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from ortools.math_opt import model_parameters_pb2, model_pb2, result_pb2, solution_pb2
from ortools.math_opt.core.python import solver
from ortools.math_opt.python import callback, init_arguments, mathopt
from ortools.math_opt.solvers import highs_pb2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import netsimplex
from .buckets import Buckets, is_perishable, make_buckets, may_wait, spread
from .candidates import _climate_costs, candidate_arcs
from .distance import DistanceProvider
from .errors import InfeasibleInput, ScalingOverflow, SolverFailure
from .horizon import exact
from .prepare import Prepared, prepare
from .problem import STORAGE_UNITS, Flow, MaterialSpec, NeedInput, Problem, Solution, StorageInput
from .scaling import KG_PER_TONNE, check_flow_range

log = logging.getLogger(__name__)

HIGHS_SEED = 20190601
#: relative slack when a level's optimum is fixed before the next (LP values are floats)
LEVEL_TOLERANCE = 1e-7
#: components with more variables than this are solved as LPs rounded down (not as MIPs)
#: (``QAITA_MIP_MAX`` overrides it, for experiments)
MIP_MAX_VARIABLES = int(__import__("os").environ.get("QAITA_MIP_MAX", "2000"))

Status = min_cost_flow.SimpleMinCostFlow.Status
#: HiGHS takes its thread count as a global option (MathOpt rejects ``threads``)
_HIGHS_OPTIONS = highs_pb2.HighsOptionsProto(int_options={"threads": 1})


def needs_timed_path(problem: Problem) -> bool:
    return problem.time_step != "none" or any(n.recipe is not None for n in problem.needs)


# ---------------------------------------------------------------------------------------------
# validation of the issue-13 inputs


def _validate(problem: Problem, prep: Prepared) -> None:
    materials = prep.materials
    ids = [s.id for s in problem.storages]
    if len(set(ids)) != len(ids):
        raise InfeasibleInput("duplicate storage ids")
    for yard in problem.storages:
        if yard.unit not in STORAGE_UNITS:
            raise InfeasibleInput(f"storage {yard.id}: unknown unit {yard.unit!r}")
        if exact(yard.capacity) < 0:
            raise InfeasibleInput(f"storage {yard.id}: negative capacity")
        if yard.available_from and yard.available_until and yard.available_until < yard.available_from:
            raise InfeasibleInput(f"storage {yard.id}: availability window ends before it starts")
        unknown = [m for m in yard.materials if m not in materials]
        if unknown:
            raise InfeasibleInput(f"storage {yard.id}: unknown materials {unknown}")
    for spec in materials.values():
        if spec.max_storage_days is not None and spec.max_storage_days < 0:
            raise InfeasibleInput(f"material {spec.key!r}: negative max_storage_days")
    for need in problem.needs:
        recipe = need.recipe
        if recipe is None:
            continue
        where = ("need", need.id)
        for bound in recipe.shares:
            if not 0 <= exact(bound.min) <= exact(bound.max) <= 1:
                raise InfeasibleInput(
                    f"need {need.id}: share bounds of {bound.material!r} out of order", listing=where
                )
        if sum(exact(b.min) for b in recipe.shares) > 1:
            raise InfeasibleInput(f"need {need.id}: minimum shares exceed 1", listing=where)
        for pair in (recipe.c_to_n, recipe.moisture_pct):
            if pair is not None and not exact(pair[0]) <= exact(pair[1]):
                raise InfeasibleInput(f"need {need.id}: recipe range out of order", listing=where)


def blendable(spec: MaterialSpec, need: NeedInput) -> bool:
    """Whether ``need`` (with its recipe) may receive ``spec`` at all."""
    recipe = need.recipe
    if recipe is None:
        return True
    if recipe.c_to_n is not None and (
        spec.moisture_pct is None or spec.nitrogen_pct_dry is None or spec.c_to_n is None
    ):
        return False
    return not (recipe.moisture_pct is not None and spec.moisture_pct is None)


def recipe_rows(need: NeedInput, materials: dict[str, MaterialSpec]) -> list[dict[str, Fraction]]:
    """The recipe as rows ``Σ_m g_m · X_m ≥ 0`` over the wet mass ``X_m`` of each material.

    Shares: ``X_m − min·ΣX ≥ 0`` and ``max·ΣX − X_m ≥ 0``. C:N in ``[lo, hi]``, with carbon and
    nitrogen per wet tonne ``N_m = (1 − w_m) · n_m`` and ``C_m = N_m · cn_m`` (w moisture fraction,
    n nitrogen fraction of dry matter): ``Σ X_m (C_m − lo·N_m) ≥ 0`` and ``Σ X_m (hi·N_m − C_m) ≥
    0``. Moisture in ``[lo, hi]`` %: ``Σ X_m (w_m − lo) ≥ 0`` and ``Σ X_m (hi − w_m) ≥ 0``.
    """
    recipe = need.recipe
    if recipe is None:
        return []
    accepted = [m for m in need.materials if blendable(materials[m], need)]
    rows: list[dict[str, Fraction]] = []
    for bound in recipe.shares:
        lo, hi = exact(bound.min), exact(bound.max)
        rows.append({m: (1 if m == bound.material else 0) - lo for m in accepted})
        rows.append({m: hi - (1 if m == bound.material else 0) for m in accepted})
    if recipe.c_to_n is not None:
        lo, hi = exact(recipe.c_to_n[0]), exact(recipe.c_to_n[1])
        nitrogen = {
            m: (1 - exact(materials[m].moisture_pct) / 100) * exact(materials[m].nitrogen_pct_dry) / 100  # type: ignore[arg-type]
            for m in accepted
        }
        carbon = {m: nitrogen[m] * exact(materials[m].c_to_n) for m in accepted}  # type: ignore[arg-type]
        rows.append({m: carbon[m] - lo * nitrogen[m] for m in accepted})
        rows.append({m: hi * nitrogen[m] - carbon[m] for m in accepted})
    if recipe.moisture_pct is not None:
        lo, hi = exact(recipe.moisture_pct[0]), exact(recipe.moisture_pct[1])
        water = {m: exact(materials[m].moisture_pct) for m in accepted}  # type: ignore[arg-type]
        rows.append({m: water[m] - lo for m in accepted})
        rows.append({m: hi - water[m] for m in accepted})
    return [row for row in rows if any(v < 0 for v in row.values())]


# ---------------------------------------------------------------------------------------------
# the model's pieces


@dataclass
class _Net:
    """Slots, yard legs and flow variables of the whole problem (global positions)."""

    buckets: Buckets
    offer_slots: list[dict[int, int]]  # per offer: bucket -> cap (once: the whole lot)
    need_slots: list[dict[int, int]]
    offer_cap: np.ndarray  # int64 (offers × buckets): the same slots, 0 where there is none
    need_cap: np.ndarray
    offer_once: np.ndarray
    need_once: np.ndarray
    yards: list[StorageInput]
    yard_active: list[set[int]]
    yard_cap: list[float]  # kg (t-yards) or pieces
    # direct variables: (arc index, bucket)
    x_arc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    x_bucket: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # yard entries u: (offer, yard, bucket, leg km)
    entries: list[tuple[int, int, int, float]] = field(default_factory=list)
    # yard exits v: (yard, material, entry bucket, need, exit bucket, leg km)
    exits: list[tuple[int, str, int, int, int, float]] = field(default_factory=list)
    yard_booked: list[list[float]] = field(default_factory=list)  # per yard and bucket, as yard_cap
    # lots (yard, material, entry bucket) with barred entries: {barred offer: needs it may not reach}
    barred: dict[tuple[int, str, int], dict[int, frozenset[int]]] = field(default_factory=dict)


def _booked(yard: StorageInput, buckets: Buckets, scale: int) -> list[float]:
    """The largest stock ``yard.booked`` holds during each bucket (kg or pieces)."""
    steps = sorted(yard.booked)
    if not steps:
        return [0.0] * len(buckets)
    starts = [d.toordinal() for d, _ in steps]
    ends = [s - 1 for s in starts[1:]] + [2**62]
    return [
        float(
            max(
                (
                    exact(q)
                    for (_, q), a, b in zip(steps, starts, ends, strict=True)
                    if a <= last and b >= first
                ),
                default=0,
            )
            * scale
        )
        for first, last in zip(buckets.first, buckets.last, strict=True)
    ]


def _yard_exclusions(prep: Prepared, net: _Net) -> dict[tuple[int, int], set[int]]:
    """(offer position, yard index) → need positions it may not reach through that yard."""
    problem = prep.problem
    if not net.yards or not (problem.declined_pairs or problem.declined_storage_triples):
        return {}
    offer_pos = {int(i): p for p, i in enumerate(prep.offer_id.tolist())}
    need_pos = {int(i): p for p, i in enumerate(prep.need_id.tolist())}
    yard_index = {yard.id: y for y, yard in enumerate(net.yards)}
    out: dict[tuple[int, int], set[int]] = {}
    for a, b in problem.declined_pairs:
        if a in offer_pos and b in need_pos:
            for y in range(len(net.yards)):
                out.setdefault((offer_pos[a], y), set()).add(need_pos[b])
    for a, b, c in problem.declined_storage_triples:
        if a in offer_pos and b in need_pos and c in yard_index:
            out.setdefault((offer_pos[a], yard_index[c]), set()).add(need_pos[b])
    return out


def _route_exclusions(prep: Prepared, net: _Net) -> dict[tuple[int, int], set[int]]:
    """(offer position, yard index) → need positions the whole route offer → yard → need would
    take beyond the need's maximum distance or the offer's (when set), as a direct delivery may
    not. Each leg alone is already within its end's limit (:func:`_yard_legs`)."""
    leg1: dict[int, dict[int, float]] = {}
    for o, y, _, d in net.entries:
        leg1.setdefault(y, {})[o] = d
    leg2: dict[int, dict[int, float]] = {}
    for y, _, _, n, _, d in net.exits:
        leg2.setdefault(y, {})[n] = d
    out: dict[tuple[int, int], set[int]] = {}
    for y in sorted(set(leg1) & set(leg2)):
        offers = np.array(sorted(leg1[y]), dtype=np.int64)
        needs = np.array(sorted(leg2[y]), dtype=np.int64)
        d1 = np.array([leg1[y][o] for o in offers.tolist()], dtype=np.float64)
        d2 = np.array([leg2[y][n] for n in needs.tolist()], dtype=np.float64)
        route = d1[:, None] + d2[None, :]
        limit = np.minimum(prep.need_max_km[needs][None, :], prep.offer_max_km[offers][:, None])
        too_far = route > limit
        for i in np.flatnonzero(too_far.any(axis=1)).tolist():
            out[(int(offers[i]), y)] = set(needs[too_far[i]].tolist())
    return out


def _barred_lots(prep: Prepared, net: _Net) -> None:
    """Fill ``net.barred``: per lot, the entering offers barred from some leaving need (a
    decline, or a route longer than a maximum distance)."""
    excluded = _yard_exclusions(prep, net)
    for pair, needs in _route_exclusions(prep, net).items():
        excluded.setdefault(pair, set()).update(needs)
    if not excluded:
        return
    leaving: dict[tuple[int, str, int], set[int]] = {}
    for y, key, e, n, _, _ in net.exits:
        leaving.setdefault((y, key, e), set()).add(n)
    bars: dict[tuple[int, str, int], dict[int, set[int]]] = {}
    for o, y, e, _ in net.entries:
        lot = (y, prep.offers[o].material, e)
        hit = excluded.get((o, y), set()) & leaving.get(lot, set())
        if hit:
            bars.setdefault(lot, {})[o] = hit
    for lot, by_offer in bars.items():
        net.barred[lot] = {o: frozenset(hit) for o, hit in sorted(by_offer.items())}


#: Hall's condition gets a row per set of barred offers in a lot up to this many barred offers
HALL_MAX_OFFERS = 6


def _chain(bars: dict[int, frozenset[int]]) -> list[frozenset[int]] | None:
    """The distinct barred sets of a lot, smallest first, when each contains the one before (a
    chain, as route limits give: an offer further from the yard is barred from every need a
    nearer one is); ``None`` otherwise."""
    sets = sorted(set(bars.values()), key=lambda s: (len(s), sorted(s)))
    if all(a < b for a, b in zip(sets, sets[1:], strict=False)):
        return sets
    return None


def _hall_exact(bars: dict[int, frozenset[int]]) -> bool:
    """Whether :func:`_hall_rows` states Hall's condition exactly for this lot."""
    return len(bars) <= HALL_MAX_OFFERS or _chain(bars) is not None


def _hall_rows(bars: dict[int, frozenset[int]]) -> list[tuple[list[int], frozenset[int]]]:
    """(offers S, needs T) rows of a barred lot: Σ_S in ≤ Σ out − Σ_T out (T: barred by all of S).

    When the barred sets form a chain, one row per distinct set B suffices, with S the offers
    barred from all of B and T = B: any set of offers can reach what its least barred member can,
    so the largest set with that reach is the only one to check. Otherwise one row per subset
    of the barred offers, up to ``HALL_MAX_OFFERS`` of them; beyond, the stricter single row."""
    offers = sorted(bars)
    chain = _chain(bars)
    if chain is not None:
        return [([o for o in offers if bars[o] >= common], common) for common in chain]
    if len(offers) > HALL_MAX_OFFERS:
        return [(offers, frozenset().union(*bars.values()))]
    rows = []
    for mask in range(1, 2 ** len(offers)):
        group = [o for k, o in enumerate(offers) if mask >> k & 1]
        common = frozenset.intersection(*(bars[o] for o in group))
        if common:
            rows.append((group, common))
    return rows


def _pair_lot(
    ins: list[tuple[int, int]], outs: list[tuple[int, int, int]], bars: dict[int, frozenset[int]]
) -> list[tuple[int, int, int, int]]:
    """Pair a barred lot's entries (offer, qty) with its exits (bucket, need, qty) without a barred
    pair, as far as possible (a max flow): (offer, need, bucket, q), each need's share in bucket
    order. Unpaired units are left out."""
    offers = sorted({o for o, _ in ins})
    needs = sorted({n for _, n, _ in outs})
    supply = {o: sum(q for oo, q in ins if oo == o) for o in offers}
    demand = {n: sum(q for _, nn, q in outs if nn == n) for n in needs}
    graph = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    node_o = {o: 2 + k for k, o in enumerate(offers)}
    node_n = {n: 2 + len(offers) + k for k, n in enumerate(needs)}
    for o in offers:
        graph.add_arc_with_capacity(source, node_o[o], supply[o])
    pair_arcs = {}
    for o in offers:
        for n in needs:
            if n not in bars.get(o, ()):
                pair_arcs[(o, n)] = graph.add_arc_with_capacity(node_o[o], node_n[n], supply[o])
    for n in needs:
        graph.add_arc_with_capacity(node_n[n], sink, demand[n])
    if graph.solve(source, sink) != graph.OPTIMAL:
        raise SolverFailure("max flow failed on a yard lot", status="max_flow")
    out = []
    for n in needs:
        given = [(o, int(graph.flow(pair_arcs[(o, n)]))) for o in offers if (o, n) in pair_arcs]
        given = [(o, q) for o, q in given if q > 0]
        for t, nn, q in sorted(outs):
            if nn != n:
                continue
            while q > 0 and given:
                o, g = given[0]
                take = min(q, g)
                out.append((o, n, t, take))
                q -= take
                given[0] = (o, g - take)
                if given[0][1] == 0:
                    given.pop(0)
    return out


def _slots(prep: Prepared, buckets: Buckets) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    offer_slots = []
    for pos, offer in enumerate(prep.offers):
        raw = spread(
            int(prep.offer_supply[pos]),
            offer.period,
            int(prep.offer_from[pos]),
            int(prep.offer_until[pos]),
            buckets,
        )
        if offer.period == "once" and raw:
            first = raw[0][0]
            spec = prep.materials[offer.material]
            raw = [(b, q) for b, q in raw if may_wait(spec, buckets, first, b)]
        offer_slots.append(dict(raw))
    need_slots = []
    for pos, need in enumerate(prep.needs):
        raw = spread(
            int(prep.need_demand[pos]),
            need.period,
            int(prep.need_from[pos]),
            int(prep.need_until[pos]),
            buckets,
        )
        need_slots.append(dict(raw))
    return offer_slots, need_slots


def _slot_matrix(slots: list[dict[int, int]], n_buckets: int) -> np.ndarray:
    matrix = np.zeros((len(slots), n_buckets), dtype=np.int64)
    for row, slot in enumerate(slots):
        for b, q in slot.items():
            matrix[row, b] = q
    return matrix


def _yard_legs(prep: Prepared, net: _Net, provider: DistanceProvider) -> None:
    """Entries (offer → yard) and exits (yard → need) that can carry something."""
    buckets = net.buckets
    n_b = len(buckets)
    if n_b < 2:
        return
    offer_material = [o.material for o in prep.offers]
    for y, yard in enumerate(net.yards):
        active = net.yard_active[y]
        if len(active) < 2 or net.yard_cap[y] <= 0:
            continue
        keys = sorted(
            m
            for m in set(yard.materials)
            if not is_perishable(prep.materials[m], buckets)
            and (yard.unit == "t" or prep.materials[m].is_piece)
        )
        for key in keys:
            spec = prep.materials[key]
            offers = np.array(
                [p for p, m in enumerate(offer_material) if m == key and prep.offer_supply[p] > 0],
                dtype=np.int64,
            )
            needs = np.array(
                [
                    j
                    for j, n in enumerate(prep.needs)
                    if key in n.materials and prep.need_demand[j] > 0 and blendable(spec, n)
                ],
                dtype=np.int64,
            )
            if not offers.size or not needs.size:
                continue
            leg1 = np.asarray(
                provider.road_km(
                    prep.offer_lat[offers],
                    prep.offer_lon[offers],
                    np.full(offers.size, yard.lat),
                    np.full(offers.size, yard.lon),
                ),
                dtype=np.float64,
            )
            leg2 = np.asarray(
                provider.road_km(
                    np.full(needs.size, yard.lat),
                    np.full(needs.size, yard.lon),
                    prep.need_lat[needs],
                    prep.need_lon[needs],
                ),
                dtype=np.float64,
            )
            ok_o = leg1 <= prep.offer_max_km[offers]
            ok_n = leg2 <= prep.need_max_km[needs]
            entries = [
                (int(o), y, b, float(d))
                for o, d, ok in zip(offers.tolist(), leg1.tolist(), ok_o.tolist(), strict=True)
                if ok
                for b in sorted(net.offer_slots[o])
                if b in active and b + 1 in active
            ]
            entry_buckets = sorted({b for _, _, b, _ in entries})
            exits = []
            for e in entry_buckets:
                for j, d, ok in zip(needs.tolist(), leg2.tolist(), ok_n.tolist(), strict=True):
                    if not ok:
                        continue
                    for t in sorted(net.need_slots[j]):
                        if t <= e or not all(b in active for b in range(e, t + 1)):
                            continue
                        if may_wait(spec, buckets, e, t):
                            exits.append((y, key, e, int(j), t, float(d)))
                            if net.need_once[j]:
                                # a `once` need takes its lot in any bucket of its window: the
                                # earliest exit dominates the later ones (the same legs and
                                # costs, a shorter stay: less stock in every bucket after it)
                                break
            exit_buckets = {e for _, _, e, _, _, _ in exits}
            net.entries.extend(en for en in entries if en[2] in exit_buckets)
            net.exits.extend(exits)


def _blending(prep: Prepared) -> np.ndarray:
    """Per need (by position): whether it carries a recipe."""
    return np.array([n.recipe is not None for n in prep.needs], dtype=bool)


def _candidates(prep: Prepared, provider: DistanceProvider) -> Any:
    """Candidate arcs; under ``net_climate`` a blending need also keeps arcs of non-positive net
    value, because taking some of a loss-making material may be what lets it blend the rest."""
    problem = prep.problem
    if problem.objective != "net_climate" or not any(n.recipe is not None for n in prep.needs):
        return candidate_arcs(prep, provider)
    divert = dataclasses.replace(prep, problem=dataclasses.replace(problem, objective="divert_then_distance"))
    arcs = candidate_arcs(divert, provider)
    cost, positive = _climate_costs(prep, arcs.offer, arcs.distance_km)
    keep = positive | _blending(prep)[arcs.need]
    return type(arcs)(arcs.offer[keep], arcs.need[keep], arcs.distance_km[keep], cost[keep], arcs.lot[keep])


def _build(prep: Prepared, provider: DistanceProvider) -> tuple[_Net, Any]:
    problem = prep.problem
    buckets = make_buckets(problem.horizon_start, problem.horizon_days, problem.time_step)
    offer_slots, need_slots = _slots(prep, buckets)
    yards = sorted(problem.storages, key=lambda s: s.id) if len(buckets) > 1 else []
    yard_active = []
    yard_cap = []
    for yard in yards:
        lo = -(2**62) if yard.available_from is None else yard.available_from.toordinal()
        hi = 2**62 if yard.available_until is None else yard.available_until.toordinal()
        yard_active.append(set(buckets.covering(lo, hi)))
        cap = exact(yard.capacity)
        yard_cap.append(float(cap * KG_PER_TONNE if yard.unit == "t" else cap))
    net = _Net(
        buckets=buckets,
        offer_slots=offer_slots,
        need_slots=need_slots,
        offer_cap=_slot_matrix(offer_slots, len(buckets)),
        need_cap=_slot_matrix(need_slots, len(buckets)),
        offer_once=np.array([o.period == "once" for o in prep.offers], dtype=bool),
        need_once=np.array([n.period == "once" for n in prep.needs], dtype=bool),
        yards=yards,
        yard_active=yard_active,
        yard_cap=yard_cap,
        yard_booked=[_booked(yard, buckets, KG_PER_TONNE if yard.unit == "t" else 1) for yard in yards],
    )
    arcs = _candidates(prep, provider)
    # a need with a quality bound takes nothing it cannot blend
    has_recipe = _blending(prep)
    if has_recipe.any() and len(arcs):
        keep = np.ones(len(arcs.offer), dtype=bool)
        blending = np.flatnonzero(has_recipe[arcs.need])  # only these arcs can be refused
        keep[blending] = [
            blendable(prep.materials[prep.offers[o].material], prep.needs[n])
            for o, n in zip(arcs.offer[blending].tolist(), arcs.need[blending].tolist(), strict=True)
        ]
        arcs = type(arcs)(
            arcs.offer[keep], arcs.need[keep], arcs.distance_km[keep], arcs.cost[keep], arcs.lot[keep]
        )
    # a direct variable per arc and bucket in which its offer can send and its need receive
    both = (net.offer_cap > 0)[arcs.offer] & (net.need_cap > 0)[arcs.need]
    _first_bucket_only(both, net.offer_once[arcs.offer] & net.need_once[arcs.need])
    # int32 halves the largest arrays of the run (one entry per candidate arc and bucket);
    # the variables are ordered by arc, then bucket
    flat = np.flatnonzero(both).astype(np.int32)
    del both
    n_b = np.int32(len(buckets))
    net.x_arc = flat // n_b
    net.x_bucket = flat % n_b
    del flat
    _yard_legs(prep, net, provider)
    _barred_lots(prep, net)
    return net, arcs


def _first_bucket_only(both: np.ndarray, once_once: np.ndarray) -> None:
    """Keep a ``once`` offer → ``once`` need arc in its first common bucket only (in place).

    Both ends of such an arc are whole lots: the offer's total and the need's total are its only
    rows (a ``once`` listing's slot in each bucket is its whole lot again), its cost is the same
    in every bucket, and recipes count the horizon's mix. So its variables in the buckets of
    the overlap are identical columns: every solution using the later ones has the same value
    with the flow moved to the first, and one column keeps the optimum (and the model up to 12×
    smaller where construction lots dominate). The delivery then is planned for the first
    bucket both ends allow — as early as possible."""
    rows = np.flatnonzero(once_once & both.any(axis=1))
    if not rows.size:
        return
    first = np.argmax(both[rows], axis=1)
    both[rows] = False
    both[rows, first] = True


@dataclass
class _Comp:
    offers: np.ndarray  # global positions, ascending
    needs: np.ndarray
    yards: list[int]
    x: np.ndarray  # indices into net.x_arc / x_bucket
    entries: list[int]  # indices into net.entries
    exits: list[int]


def _sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for an ascending array, in linear time (the
    variables' arc arrays have millions of entries: a hash or a sort costs seconds)."""
    if not values.size:
        return values[:0].astype(np.int64), np.zeros(0, dtype=np.int32)
    first = np.empty(values.size, dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    inverse = np.cumsum(first, dtype=np.int32) - np.int32(1)
    return values[first].astype(np.int64), inverse


def _dense_unique(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in ``0 .. size - 1`` (listing
    positions, slots), in linear time by marking them in a table of ``size`` (no sort: at 20k
    the inverse of millions of arcs cost seconds of sorting)."""
    present = np.zeros(size, dtype=bool)
    present[values] = True
    rank = np.cumsum(present, dtype=np.int32) - np.int32(1)
    return np.flatnonzero(present).astype(np.int64), rank[values]


def _groups_by(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Positions into ``keys`` per distinct key, ascending within each, keys in ascending order."""
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    return {int(keys[part[0]]): part for part in np.split(order, cuts) if part.size}


def _components(prep: Prepared, net: _Net, arcs: Any) -> list[_Comp]:
    n_o, n_n, n_y = len(prep.offers), len(prep.needs), len(net.yards)
    size = n_o + n_n + n_y
    # the arcs in use (a candidate arc may have variables in several buckets) link their ends
    in_use = _sorted_unique(net.x_arc)[0]  # the variables are ordered by arc
    rows = np.concatenate(
        [
            arcs.offer[in_use],
            np.array([o for o, _, _, _ in net.entries], dtype=np.int64),
            np.array([n_o + n_n + y for y, _, _, _, _, _ in net.exits], dtype=np.int64),
        ]
    ).astype(np.int64)
    cols = np.concatenate(
        [
            arcs.need[in_use] + n_o,
            np.array([n_o + n_n + y for _, y, _, _ in net.entries], dtype=np.int64),
            np.array([n_o + n for _, _, _, n, _, _ in net.exits], dtype=np.int64),
        ]
    ).astype(np.int64)
    if not rows.size:
        return []
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(size, dtype=bool)
    used[rows] = True
    used[cols] = True
    # the variables are ordered by arc: those of arc a are x_start[a] .. x_start[a + 1] - 1
    arc_label = labels[arcs.offer]
    x_count = (
        np.bincount(net.x_arc, minlength=len(arcs.offer))
        if net.x_arc.size
        else np.zeros(len(arcs.offer), dtype=np.int64)
    )
    x_start = np.concatenate([[0], np.cumsum(x_count)]).astype(np.int64)
    comps: dict[int, _Comp] = {}
    # listings and arcs grouped by label in one stable sort each (ascending within a label),
    # not one scan of every arc per component
    members_all = np.flatnonzero(used)
    member_groups = _groups_by(labels[members_all])
    arcs_all = np.flatnonzero(x_count > 0)
    arc_groups = _groups_by(arc_label[arcs_all])
    for label, member_pos in member_groups.items():
        members = members_all[member_pos]
        own = arcs_all[arc_groups[label]] if label in arc_groups else arcs_all[:0]
        counts = x_count[own]
        # ranges x_start[a] .. + count, concatenated (ascending, as the arcs are)
        x = np.repeat(x_start[own] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(
            int(counts.sum())
        )
        comps[label] = _Comp(
            offers=members[members < n_o],
            needs=members[(members >= n_o) & (members < n_o + n_n)] - n_o,
            yards=(members[members >= n_o + n_n] - n_o - n_n).tolist(),
            x=x.astype(np.int32),
            entries=[],
            exits=[],
        )
    for i, (o, _, _, _) in enumerate(net.entries):
        comps[int(labels[o])].entries.append(i)
    for i, (_, _, _, n, _, _) in enumerate(net.exits):
        comps[int(labels[n_o + n])].exits.append(i)
    out = [c for c in comps.values() if c.offers.size and c.needs.size]
    out.sort(key=lambda c: (int(c.offers[0]), int(c.needs[0])))
    return out


# ---------------------------------------------------------------------------------------------
# results of one component: integer flows per variable


@dataclass
class _Result:
    x: np.ndarray  # int64 per comp.x
    u: np.ndarray  # per comp.entries
    v: np.ndarray  # per comp.exits
    proven: bool
    bound: float  # primary objective bound (kg or kg CO2e)
    method: str
    gap: float = 0.0
    #: LP columns: in the whole LP, in the restricted LP at the end, pricing rounds
    lp: dict[str, int] = field(default_factory=dict)


def _network(
    n_nodes: int,
    offer_nodes: np.ndarray,
    supply: np.ndarray,
    waste: np.ndarray,
    need_nodes: np.ndarray,
    demand: np.ndarray,
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    objective: str,
) -> np.ndarray:
    """Flows on the given arcs at the lexicographic optimum (see :mod:`.flow` for the proof)."""
    total = int(supply.sum())
    check_flow_range(
        num_nodes=n_nodes + 3, max_abs_cost=int(np.abs(costs).max()) if costs.size else 0, total_flow=total
    )
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mixed = bool(waste.any()) and not bool(waste.all())

    def check(status: Any, what: str) -> None:
        if status == Status.OPTIMAL:
            return
        if status in (Status.BAD_COST_RANGE, Status.BAD_CAPACITY_RANGE):
            raise ScalingOverflow(f"{what}: OR-Tools reports {status.name}")
        raise SolverFailure(f"{what}: min-cost flow ended with {status.name}", status=status.name)

    if objective == "divert_then_distance" and not mixed:
        supplies = np.zeros(n_nodes, dtype=np.int64)
        supplies[offer_nodes] = supply
        supplies[need_nodes] = -demand
        smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
        check(smcf.solve_max_flow_with_min_cost(), "max-flow-min-cost")
        return np.asarray(smcf.flows(arcs), dtype=np.int64)
    if objective == "divert_then_distance":
        source, sink = n_nodes, n_nodes + 1
        smf = max_flow.SimpleMaxFlow()
        smf.add_arcs_with_capacity(tails, heads, caps)
        feed = smf.add_arcs_with_capacity(
            np.full(offer_nodes.size, source, dtype=np.int64), offer_nodes, supply
        )
        smf.add_arcs_with_capacity(need_nodes, np.full(need_nodes.size, sink, dtype=np.int64), demand)
        values = []
        for capacities in (np.where(waste, supply, 0), supply):
            smf.set_arcs_capacity(feed, capacities)
            status = smf.solve(source, sink)
            if status != max_flow.SimpleMaxFlow.Status.OPTIMAL:
                raise SolverFailure(f"max flow ended with {status.name}", status=status.name)
            values.append(int(smf.optimal_flow()))
        w_units, f_units = values
        s_waste, s_other, sink = n_nodes, n_nodes + 1, n_nodes + 2
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.where(waste, s_waste, s_other).astype(np.int64),
            offer_nodes,
            supply,
            np.zeros(offer_nodes.size, dtype=np.int64),
        )
        smcf.add_arcs_with_capacity_and_unit_cost(
            need_nodes,
            np.full(need_nodes.size, sink, dtype=np.int64),
            demand,
            np.zeros(need_nodes.size, dtype=np.int64),
        )
        smcf.set_nodes_supplies(
            np.array([s_waste, s_other, sink], dtype=np.int64),
            np.array([w_units, f_units - w_units, -f_units], dtype=np.int64),
        )
        check(smcf.solve(), "min-cost flow at the lexicographic optimum")
        return np.asarray(smcf.flows(arcs), dtype=np.int64)
    sink = n_nodes
    smcf.add_arcs_with_capacity_and_unit_cost(
        offer_nodes,
        np.full(offer_nodes.size, sink, dtype=np.int64),
        supply,
        np.zeros(offer_nodes.size, dtype=np.int64),
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        need_nodes,
        np.full(need_nodes.size, sink, dtype=np.int64),
        demand,
        np.zeros(need_nodes.size, dtype=np.int64),
    )
    smcf.set_nodes_supplies(np.r_[offer_nodes, sink].astype(np.int64), np.r_[supply, -total].astype(np.int64))
    check(smcf.solve(), "min-cost flow")
    return np.asarray(smcf.flows(arcs), dtype=np.int64)


def _warm_ok(prep: Prepared) -> bool:
    """The warm network simplex may solve this problem's bucket-local parts."""
    return (
        prep.problem.objective == "divert_then_distance" and WARM_NETWORK_SIMPLEX and netsimplex.available()
    )


def _periodic_only(net: _Net, comp: _Comp) -> bool:
    """No ``once`` listing in the component: every part lies inside one bucket."""
    return not (net.offer_once[comp.offers].any() or net.need_once[comp.needs].any())


def _needs_lp(prep: Prepared, comp: _Comp) -> bool:
    """The component has yards or blending needs: an LP, not a network."""
    return bool(comp.yards) or any(prep.needs[n].recipe is not None for n in comp.needs.tolist())


def _solve_network(
    prep: Prepared, net: _Net, arcs: Any, comp: _Comp, *, decompose: bool = True, workers: int = 1
) -> np.ndarray:
    """The time-expanded network of a component without yards and recipes: flows per comp.x.

    With ``decompose`` (the default) the network is first cut into its independent parts, see
    :func:`_bucket_parts`: each part is solved on its own (sequentially, so only one part's
    network is in memory, or with ``workers`` > 1 on a large component in forked processes, see
    :func:`_forked_parts`) and the flows are put back in place. Every level of the objective is a
    sum over the parts and the parts share no constraint, so the combination of the parts'
    lexicographic optima is the lexicographic optimum of the whole.

    A part is solved as a bipartite network with one node per listing group: a periodic
    listing's slot (supply or demand: the slot's quantity; its horizon total is the sum of its
    slots) or a ``once`` listing (its whole total; each of its slots holds that whole total too,
    so no slot node is needed) — the same optimum as the part of the time-expanded network of
    :func:`_expanded_flow`, with about half the nodes.
    """
    if not decompose:
        return _expanded_flow(prep, net, arcs, comp.x, comp.offers, comp.needs)
    warm_ok = _warm_ok(prep)
    if warm_ok and _periodic_only(net, comp):
        # periodic slots only: every part lies inside one bucket
        whole = _warm_or_none(prep, net, arcs, comp.x, workers)
        if whole is not None:
            return whole
        warm_ok = False
    g = _Groups(prep, net, arcs, comp.x)
    if g.count == 1:
        return _expanded_flow(prep, net, arcs, comp.x, comp.offers, comp.needs)
    g_offer, g_need = g.keys_o // g.n_b, g.keys_n // g.n_b
    supply = np.where(
        net.offer_once[g_offer], prep.offer_supply[g_offer], net.offer_cap[g_offer, g.keys_o % g.n_b]
    ).astype(np.int64)
    demand = np.where(
        net.need_once[g_need], prep.need_demand[g_need], net.need_cap[g_need, g.keys_n % g.n_b]
    ).astype(np.int64)
    waste = prep.offer_waste[g_offer]
    lab_o, lab_n = g.labels[: g.keys_o.size], g.labels[g.keys_o.size :]
    ord_o = np.argsort(lab_o, kind="stable")
    ord_n = np.argsort(lab_n, kind="stable")
    cut_o = np.searchsorted(lab_o[ord_o], np.arange(g.count + 1))
    cut_n = np.searchsorted(lab_n[ord_n], np.arange(g.count + 1))
    x_label = lab_o[g.inv_o]
    ord_x = np.argsort(x_label, kind="stable")
    cut_x = np.searchsorted(x_label[ord_x], np.arange(g.count + 1))
    flows = np.zeros(comp.x.size, dtype=np.int64)
    # parts with the very same network (arcs, capacities, supplies: e.g. whole weeks of steady
    # listings) share one solve; the solver is deterministic, so the flows are the same
    solved: dict[bytes, np.ndarray] = {}

    def part(label: int) -> np.ndarray:
        """The flows of one part (its variables ``ord_x[cut_x[label]:cut_x[label + 1]]``)."""
        idx = ord_x[cut_x[label] : cut_x[label + 1]]
        go = ord_o[cut_o[label] : cut_o[label + 1]]  # ascending: a stable sort of the labels
        gn = ord_n[cut_n[label] : cut_n[label + 1]]
        n_off, n_need = go.size, gn.size
        network = (
            supply[go],
            waste[go],
            demand[gn],
            np.searchsorted(go, g.inv_o[idx]).astype(np.int64),
            (n_off + np.searchsorted(gn, g.inv_n[idx])).astype(np.int64),
            np.minimum(net.offer_cap[g.xo[idx], g.xb[idx]], net.need_cap[g.xn[idx], g.xb[idx]]),
            arcs.cost[net.x_arc[comp.x[idx]]].astype(np.int64),
        )
        digest = hashlib.sha256()
        for arr in network:
            digest.update(np.ascontiguousarray(arr).tobytes())
            digest.update(b"|")
        key = digest.digest()
        if key not in solved:
            part_supply, part_waste, part_demand, tails, heads, caps, costs = network
            solved[key] = _network(
                n_off + n_need,
                np.arange(n_off, dtype=np.int64),
                part_supply,
                part_waste,
                np.arange(n_off, n_off + n_need, dtype=np.int64),
                part_demand,
                tails,
                heads,
                caps,
                costs,
                prep.problem.objective,
            )
        return solved[key]

    labels = [label for label in range(g.count) if cut_x[label + 1] > cut_x[label]]
    if warm_ok:
        # parts of periodic slots alone lie inside one bucket: warm-started bucket to bucket
        has_once = np.zeros(g.count, dtype=bool)
        has_once[lab_o[net.offer_once[g_offer]]] = True
        has_once[lab_n[net.need_once[g_need]]] = True
        warm = [label for label in labels if not has_once[label]]
        if warm:
            pos = np.sort(np.concatenate([ord_x[cut_x[label] : cut_x[label + 1]] for label in warm]))
            warm_flows = _warm_or_none(prep, net, arcs, comp.x[pos], workers)
            if warm_flows is not None:
                flows[pos] = warm_flows
                labels = [label for label in labels if has_once[label]]
    done = (
        _forked_parts(part, labels, np.diff(cut_x), workers)
        if workers > 1 and comp.x.size >= PARALLEL_MIN_VARIABLES
        else None
    )
    for label in labels:
        flows[ord_x[cut_x[label] : cut_x[label + 1]]] = done[label] if done is not None else part(label)
    return flows


#: solve the bucket-local parts of a plain component with the warm-started network simplex of
#: :mod:`.netsimplex` (False: OR-Tools' min-cost flow on every part, as before; tests compare both)
WARM_NETWORK_SIMPLEX = True
#: the buckets of a plain component are cut into this many chains, each warm-started on its own
#: (so that two workers can take one each; fixed, so the flows do not depend on ``workers``)
WARM_CHAINS = 2


def _warm_or_none(
    prep: Prepared, net: _Net, arcs: Any, xs: np.ndarray, workers: int, plain: np.ndarray | None = None
) -> np.ndarray | None:
    """:func:`_warm_buckets`, or None where the network simplex gives up (a pivot cap: cycling)
    and OR-Tools is to solve those parts."""
    try:
        return _warm_buckets(prep, net, arcs, xs, workers, plain)
    except SolverFailure as exc:
        log.warning("warm network simplex gave up (%s); OR-Tools solves the parts", exc)
        return None


def _warm_buckets(
    prep: Prepared, net: _Net, arcs: Any, xs: np.ndarray, workers: int, plain: np.ndarray | None = None
) -> np.ndarray:
    """Flows of the direct variables ``xs`` of a plain component's bucket-local parts (every
    listing a periodic slot), bucket by bucket with one :class:`.netsimplex.WarmTransport` per
    chain of consecutive buckets. Each bucket is solved to its lexicographic optimum over all of
    its parts at once (they share no constraint, so that is the parts' optima together).

    With ``plain`` (a mask over ``xs`` that is constant per arc), each bucket is solved a second
    time right after the first, with the variables of ``plain`` alone, warm from the first
    solve's tree (the same bucket less some arcs: a few pivots, not a bucket's worth), and the
    answer has two rows: the flows of the whole network, then those of its ``plain`` part."""
    # ``xs`` ascending: the variables are ordered by arc (see _build), so their arcs are sorted
    arc_ids, arc_of = _sorted_unique(net.x_arc[xs])
    offer_ids, off_of = _dense_unique(arcs.offer[arc_ids], len(prep.offers))
    need_ids, need_of = _dense_unique(arcs.need[arc_ids], len(prep.needs))
    cost = arcs.cost[arc_ids].astype(np.int64)
    waste = np.asarray(prep.offer_waste[offer_ids], dtype=bool)
    xb = net.x_bucket[xs].astype(np.int16)  # a radix sort for small integers
    order = np.argsort(xb, kind="stable").astype(np.int32)
    per_bucket = np.bincount(xb, minlength=len(net.buckets))
    del xb
    buckets = np.flatnonzero(per_bucket)
    starts = (np.cumsum(per_bucket) - per_bucket)[buckets]
    ends = np.r_[starts[1:], order.size]
    # two chains only where they can go to two workers (decided by size alone: same flows)
    n_chains = min(WARM_CHAINS if xs.size >= PARALLEL_MIN_VARIABLES else 1, buckets.size)
    chains = [c for c in np.array_split(np.arange(buckets.size), n_chains) if c.size]
    plain_arc = None
    if plain is not None:
        plain_arc = np.zeros(arc_ids.size, dtype=bool)
        plain_arc[arc_of[plain]] = True

    def chain(k: int) -> np.ndarray:
        """Chain ``k``'s flows, sparse: the positions into ``xs`` that carry something (row 0),
        what they carry (row 1) and in which answer (row 2) — a worker sends back little."""
        solver = netsimplex.WarmTransport(offer_ids.size, need_ids.size, off_of, need_of, cost, waste)
        out = []
        for q in chains[k].tolist():
            b = int(buckets[q])
            idx = order[starts[q] : ends[q]]
            for row in range(1 if plain_arc is None else 2):
                if row and plain_arc is not None:
                    idx = idx[plain_arc[arc_of[idx]]]
                arc = arc_of[idx]
                enabled = np.zeros(arc_ids.size, dtype=bool)
                enabled[arc] = True
                on_o = np.zeros(offer_ids.size, dtype=bool)
                on_o[off_of[arc]] = True
                on_n = np.zeros(need_ids.size, dtype=bool)
                on_n[need_of[arc]] = True
                supply = np.where(on_o, net.offer_cap[offer_ids, b], 0).astype(np.int64)
                demand = np.where(on_n, net.need_cap[need_ids, b], 0).astype(np.int64)
                flow = solver.solve(supply, demand, enabled)[arc]
                carry = np.flatnonzero(flow)
                out.append(np.stack([idx[carry].astype(np.int64), flow[carry], np.full(carry.size, row)]))
        log.debug("warm network simplex: chain %d, %d pivots", k, solver.pivots)
        return np.concatenate(out, axis=1)

    labels = list(range(len(chains)))
    done = (
        _forked_parts(chain, labels, np.array([c.size for c in chains]), workers)
        if workers > 1 and xs.size >= PARALLEL_MIN_VARIABLES
        else None
    )
    flows = np.zeros((1 if plain is None else 2, xs.size), dtype=np.int64)
    for k in labels:
        carried = done[k] if done is not None else chain(k)
        flows[carried[2], carried[0]] = carried[1]
    return flows[0] if plain is None else flows


#: a plain component with at least this many direct variables has its parts solved in forked
#: processes when ``workers`` > 1 (smaller ones are not worth the fork)
PARALLEL_MIN_VARIABLES = 200_000
#: what forked workers run on a batch; set just before the pool forks, so children inherit it
_FORKED_BATCH: list[Any] = []


def _solve_batch_forked(batch: list[int]) -> list[Any]:
    return list(_FORKED_BATCH[0](batch))


def _forked_batches(
    solve_batch: Any, labels: list[int], sizes: Any, n_batches: int, workers: int
) -> dict[int, Any] | None:
    """``solve_batch`` (a list of labels → one result per label) run on ``n_batches`` batches in
    up to ``workers`` forked processes: the labels go largest ``sizes[label]`` first onto the
    lightest batch, each batch in ascending order. A result per label, or None where there are
    fewer than two batches or processes cannot be forked (then the caller solves serially)."""
    n_batches = min(len(labels), n_batches)
    if n_batches < 2:
        return None
    batches: list[list[int]] = [[] for _ in range(n_batches)]
    load = [0] * n_batches
    for label in sorted(labels, key=lambda lb: (-int(sizes[lb]), lb)):
        lightest = min(range(n_batches), key=lambda b: (load[b], b))
        batches[lightest].append(label)
        load[lightest] += int(sizes[label])
    for batch in batches:
        batch.sort()
    _FORKED_BATCH[:] = [solve_batch]
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, n_batches), mp_context=context) as pool:
            futures = [pool.submit(_solve_batch_forked, batch) for batch in batches]
            out: dict[int, Any] = {}
            for batch, future in zip(batches, futures, strict=True):
                out.update(zip(batch, future.result(), strict=True))
            return out
    except (AssertionError, OSError, BrokenProcessPool):
        return None  # no forking here (e.g. inside a daemonic pool worker)
    finally:
        _FORKED_BATCH[:] = []


def _forked_parts(
    part: Any, labels: list[int], sizes: np.ndarray, workers: int
) -> dict[int, np.ndarray] | None:
    """Every part's flows solved in ``workers`` forked processes (as ``solve`` forks its
    components), or None where processes cannot be forked (then the caller solves serially).
    The labels go to ``4 × workers`` batches (:func:`_forked_batches`); each part is solved
    exactly as serially, so the flows do not depend on the number of workers."""
    return _forked_batches(
        lambda batch: [part(label) for label in batch], labels, sizes, 4 * workers, workers
    )


class _Groups:
    """The listing groups of the direct variables ``x`` and their connected parts.

    Nodes are listing *groups*: a periodic listing in one bucket (its slot: it may send or take
    there only, up to the slot's quantity), or a ``once`` listing as a whole (its lot may leave or
    arrive in any bucket of its window, against one total). A variable joins its offer's group and
    its need's group; the connected parts (``labels`` of the offer groups, then the need groups)
    share no constraint. Without ``once`` listings spanning buckets, every part lies inside one
    bucket.
    """

    def __init__(self, prep: Prepared, net: _Net, arcs: Any, x: np.ndarray) -> None:
        self.n_b = n_b = len(net.buckets)
        xa = net.x_arc[x]
        self.xb = xb = net.x_bucket[x]
        # int32 throughout: listings × buckets stays far below 2**31
        self.xo = xo = arcs.offer[xa].astype(np.int32)
        self.xn = xn = arcs.need[xa].astype(np.int32)
        del xa
        nb = np.int32(n_b)
        self.keys_o, inv_o = _dense_unique(
            xo * nb + np.where(net.offer_once[xo], 0, xb), len(prep.offers) * n_b
        )
        self.keys_n, inv_n = _dense_unique(
            xn * nb + np.where(net.need_once[xn], 0, xb), len(prep.needs) * n_b
        )
        self.inv_o, self.inv_n = inv_o, inv_n  # int32 already (_dense_unique's ranks)
        size = self.keys_o.size + self.keys_n.size
        graph = coo_matrix(
            (np.ones(x.size, dtype=np.int8), (self.inv_o, self.inv_n + np.int32(self.keys_o.size))),
            shape=(size, size),
        )
        self.count, self.labels = connected_components(graph, directed=False)
        del graph


def _bucket_parts(prep: Prepared, net: _Net, arcs: Any, x: np.ndarray) -> list[np.ndarray]:
    """The direct variables ``x`` (indices into net.x_arc) cut into independent parts (see
    :class:`_Groups`), as positions into ``x``, ordered by their first variable."""
    g = _Groups(prep, net, arcs, x)
    if g.count == 1:
        return [np.arange(x.size)]
    parts = list(_groups_by(g.labels[g.inv_o]).values())
    parts.sort(key=lambda p: int(p[0]))
    return parts


def _expanded_flow(
    prep: Prepared,
    net: _Net,
    arcs: Any,
    x: np.ndarray,
    offers: np.ndarray,
    needs: np.ndarray,
) -> np.ndarray:
    """The lexicographic optimum of a component's whole time-expanded network (the direct
    variables ``x``): offer and need nodes carry the horizon totals, slot nodes below them."""
    n_b = len(net.buckets)
    xa = net.x_arc[x]
    xb = net.x_bucket[x]
    xo = arcs.offer[xa]
    xn = arcs.need[xa]
    n_off, n_need = offers.size, needs.size
    # nodes: offers, needs, then one per offer slot and one per need slot in use
    slot_o, inv_o = _dense_unique(xo.astype(np.int64) * n_b + xb, len(prep.offers) * n_b)
    slot_n, inv_n = _dense_unique(xn.astype(np.int64) * n_b + xb, len(prep.needs) * n_b)
    first_o = n_off + n_need
    first_n = first_o + slot_o.size
    next_node = first_n + slot_n.size
    so_offer, so_bucket = slot_o // n_b, slot_o % n_b
    sn_need, sn_bucket = slot_n // n_b, slot_n % n_b
    n_x = xa.size
    tails = np.concatenate(
        [first_o + inv_o, np.searchsorted(offers, so_offer), first_n + np.arange(slot_n.size)]
    )
    heads = np.concatenate(
        [first_n + inv_n, first_o + np.arange(slot_o.size), n_off + np.searchsorted(needs, sn_need)]
    )
    caps = np.concatenate(
        [
            np.minimum(net.offer_cap[xo, xb], net.need_cap[xn, xb]),
            net.offer_cap[so_offer, so_bucket],
            net.need_cap[sn_need, sn_bucket],
        ]
    )
    costs = np.concatenate([arcs.cost[xa], np.zeros(slot_o.size + slot_n.size, dtype=np.int64)])
    supply = prep.offer_supply[offers].astype(np.int64)
    demand = prep.need_demand[needs].astype(np.int64)
    flows = _network(
        next_node,
        np.arange(n_off, dtype=np.int64),
        supply,
        prep.offer_waste[offers],
        np.arange(n_off, n_off + n_need, dtype=np.int64),
        demand,
        tails.astype(np.int64),
        heads.astype(np.int64),
        caps.astype(np.int64),
        costs.astype(np.int64),
        prep.problem.objective,
    )
    return flows[:n_x]


def _lots_ok(arcs: Any, net: _Net, comp: _Comp, x: np.ndarray) -> bool:
    xa = net.x_arc[comp.x]
    lot = arcs.lot[xa]
    if not (lot > 1).any():
        return True
    totals: dict[int, int] = {}
    for a, q in zip(xa.tolist(), x.tolist(), strict=True):
        totals[a] = totals.get(a, 0) + q
    return all(q == 0 or q >= int(arcs.lot[a]) for a, q in totals.items())


def _cat(*parts: np.ndarray) -> np.ndarray:
    """``np.concatenate(parts)``, or the first part itself when the others are empty (a large
    component without yards: no copy of its per-column arrays). Read-only use only."""
    if all(not part.size for part in parts[1:]):
        return parts[0]
    return np.concatenate(parts)


class _LP:
    """The LP/MIP of a component as sparse arrays (HiGHS through MathOpt's model proto).

    Columns: the direct variables ``x`` (per ``comp.x``), the yard entries ``u`` and exits ``v``,
    then (integer model only) one binary per minimum-lot group. Every row is ``lo ≤ a·z ≤ hi``:
    offer and need slots and totals, yard lots (what enters leaves later), yard stock per bucket,
    minimum lots and recipes — the constraints listed in the module docstring. The matrix is built
    with numpy and scipy.sparse, never through expression objects, and kept column-major (CSC,
    int32 indices): a large component's LP build is its run's memory peak but for HiGHS.
    """

    def __init__(self, prep: Prepared, net: _Net, arcs: Any, comp: _Comp, *, integer: bool) -> None:
        self.integer = integer
        problem = prep.problem
        n_b = len(net.buckets)
        keys = sorted(prep.materials)
        mat_of = {k: i for i, k in enumerate(keys)}
        n_mat = len(keys)
        mass = np.array([float(prep.unit_mass_kg(k)) for k in keys], dtype=np.float64)
        offer_mat = np.array([mat_of[o.material] for o in prep.offers], dtype=np.int64)
        xa = net.x_arc[comp.x].astype(np.int64)
        xb = net.x_bucket[comp.x].astype(np.int64)
        xo = arcs.offer[xa].astype(np.int64)
        xn = arcs.need[xa].astype(np.int64)
        ent = [net.entries[i] for i in comp.entries]
        ext = [net.exits[i] for i in comp.exits]
        u_o = np.array([e[0] for e in ent], dtype=np.int64)
        u_y = np.array([e[1] for e in ent], dtype=np.int64)
        u_b = np.array([e[2] for e in ent], dtype=np.int64)
        u_d = np.array([e[3] for e in ent], dtype=np.float64)
        v_y = np.array([e[0] for e in ext], dtype=np.int64)
        v_m = np.array([mat_of[e[1]] for e in ext], dtype=np.int64)
        v_e = np.array([e[2] for e in ext], dtype=np.int64)
        v_n = np.array([e[3] for e in ext], dtype=np.int64)
        v_t = np.array([e[4] for e in ext], dtype=np.int64)
        v_d = np.array([e[5] for e in ext], dtype=np.float64)
        n_x, n_u, n_v = xa.size, u_o.size, v_y.size
        col_x = np.arange(n_x, dtype=np.int64)
        col_u = n_x + np.arange(n_u, dtype=np.int64)
        col_v = n_x + n_u + np.arange(n_v, dtype=np.int64)
        w_x, w_u, w_v = mass[offer_mat[xo]], mass[offer_mat[u_o]], mass[v_m]
        ub = np.concatenate(
            [
                np.minimum(net.offer_cap[xo, xb], net.need_cap[xn, xb]),
                net.offer_cap[u_o, u_b],
                net.need_cap[v_n, v_t],
            ]
        ).astype(np.float64)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        row_lo: list[np.ndarray] = []
        row_hi: list[np.ndarray] = []
        n_rows = 0

        def add(key: np.ndarray, col: np.ndarray, val: np.ndarray, keep: Any, lo: Any, hi: Any) -> None:
            """Rows grouping the entries (col, val) by key; ``keep``, ``lo``, ``hi`` are functions of
            the unique keys and their counts (a mask and the bounds of the rows kept)."""
            nonlocal n_rows
            if not key.size:
                return
            uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
            mask = np.asarray(keep(uniq, counts), dtype=bool)
            if not mask.any():
                return
            new = np.cumsum(mask) - 1 + n_rows
            sel = mask[inv]
            # int32 indices: rows and columns stay far below 2**31, and the entries of a large
            # component's LP are its memory peak
            rows.append(new[inv[sel]].astype(np.int32))
            cols.append(col[sel].astype(np.int32))
            vals.append(val[sel])
            row_lo.append(np.broadcast_to(np.asarray(lo(uniq[mask]), dtype=np.float64), (int(mask.sum()),)))
            row_hi.append(np.broadcast_to(np.asarray(hi(uniq[mask]), dtype=np.float64), (int(mask.sum()),)))
            n_rows += int(mask.sum())

        ones = np.ones(n_x + n_u + n_v, dtype=np.float64)
        inf = np.inf
        # offers, then needs: per slot (periodic, when shared) and in total
        n_all = _cat(xn, v_n)
        c_xu, c_xv = _cat(col_x, col_u), _cat(col_x, col_v)
        sides = (
            (
                _cat(xo, u_o),
                _cat(xb, u_b),
                c_xu,
                net.offer_once,
                net.offer_cap,
                prep.offer_supply,
            ),
            (n_all, _cat(xb, v_t), c_xv, net.need_once, net.need_cap, prep.need_demand),
        )
        for who, when, col, once, cap, total in sides:
            add(
                who * n_b + when,
                col,
                ones[: col.size],
                lambda k, c, once=once: ~once[k // n_b] & (c > 1),
                lambda k: -inf,
                lambda k, cap=cap: cap[k // n_b, k % n_b],
            )
            add(
                who,
                col,
                ones[: col.size],
                lambda k, c: c > 0,
                lambda k: -inf,
                lambda k, total=total: total[k],
            )
        # yards: what enters a lot (yard, material, bucket) leaves it later; stock within capacity
        add(
            np.concatenate([(u_y * n_mat + offer_mat[u_o]) * n_b + u_b, (v_y * n_mat + v_m) * n_b + v_e]),
            np.concatenate([col_u, col_v]),
            np.concatenate([np.ones(n_u), -np.ones(n_v)]),
            lambda k, c: c > 0,
            lambda k: 0.0,
            lambda k: 0.0,
        )
        if n_v:
            stay = v_t - v_e
            rep = np.repeat(np.arange(n_v), stay)
            t = v_e[rep] + np.arange(rep.size) - np.repeat(np.cumsum(stay) - stay, stay)
            active = np.zeros((len(net.yards), n_b), dtype=bool)
            for y in comp.yards:
                active[y, sorted(net.yard_active[y])] = True
            on = active[v_y[rep], t]
            rep, t = rep[on], t[on]
            per_t = np.array([yard.unit == "t" for yard in net.yards], dtype=bool)
            weight = np.where(per_t[v_y[rep]], w_v[rep], 1.0)
            # the room left in each bucket by deals and reserving proposals already holding stock
            room = np.maximum(
                np.array(net.yard_cap, dtype=np.float64)[:, None]
                - np.array(net.yard_booked, dtype=np.float64).reshape(len(net.yards), n_b),
                0.0,
            )
            add(
                v_y[rep] * n_b + t,
                col_v[rep],
                weight,
                lambda k, c: c > 0,
                lambda k: -inf,
                lambda k: room[k // n_b, k % n_b],
            )
        # declines: Hall's condition in every barred lot (see the module's docstring): what a set S
        # of barred offers brings in ≤ what leaves for the needs not barred to all of S
        if net.barred and n_u:
            u_lot = [
                (int(y), prep.offers[int(o)].material, int(b)) for y, o, b in zip(u_y, u_o, u_b, strict=True)
            ]
            v_lot = [(int(y), keys[int(m)], int(e)) for y, m, e in zip(v_y, v_m, v_e, strict=True)]
            for barred_lot in sorted({lt for lt in u_lot if lt in net.barred}):
                in_lot = np.array([k for k, lt in enumerate(u_lot) if lt == barred_lot], dtype=np.int64)
                out_lot = np.array([k for k, lt in enumerate(v_lot) if lt == barred_lot], dtype=np.int64)
                for subset, common in _hall_rows(net.barred[barred_lot]):
                    brought = in_lot[np.isin(u_o[in_lot], subset)]
                    if not brought.size:
                        continue
                    served = out_lot[~np.isin(v_n[out_lot], sorted(common))] if out_lot.size else out_lot
                    rows.append(np.full(brought.size + served.size, n_rows, dtype=np.int64))
                    cols.append(np.concatenate([col_u[brought], col_v[served]]))
                    vals.append(np.concatenate([np.ones(brought.size), -np.ones(served.size)]))
                    row_lo.append(np.array([-inf]))
                    row_hi.append(np.array([0.0]))
                    n_rows += 1
        n_cols = n_x + n_u + n_v
        # minimum lots (integer model only): direct pairs over the horizon, yard legs per offer/need
        if integer:
            lot = np.concatenate(
                [arcs.lot[xa], prep.offer_lot[u_o], prep.need_lot[v_n]] if n_x + n_u + n_v else [np.zeros(0)]
            ).astype(np.int64)
            group = np.concatenate(
                [xa * 3, (u_o * len(net.yards) + u_y) * 3 + 1, (v_y * len(prep.needs) + v_n) * 3 + 2]
            ).astype(np.int64)
            lotted = np.flatnonzero(lot > 1)
            if lotted.size:
                uniq, inv = np.unique(group[lotted], return_inverse=True)
                inv = inv.ravel()
                g_lot = np.zeros(uniq.size, dtype=np.float64)
                g_lot[inv] = lot[lotted]
                g_cap = np.bincount(inv, weights=ub[lotted], minlength=uniq.size)
                binary = n_cols + np.arange(uniq.size, dtype=np.int64)
                for sign, coef, lo, hi in ((1, g_lot, 0.0, inf), (-1, g_cap, -inf, 0.0)):
                    del sign
                    rows.append(np.concatenate([n_rows + inv, n_rows + np.arange(uniq.size)]))
                    cols.append(np.concatenate([lotted, binary]))
                    vals.append(np.concatenate([np.ones(lotted.size), -coef]))
                    row_lo.append(np.full(uniq.size, lo))
                    row_hi.append(np.full(uniq.size, hi))
                    n_rows += uniq.size
                ub = np.concatenate([ub, np.ones(uniq.size)])
                n_cols += uniq.size
        # recipes over the horizon, by wet mass
        col_m = _cat(offer_mat[xo], v_m)
        col_w = _cat(w_x, w_v)
        recipe_need = _blending(prep)[n_all]
        if recipe_need.any():
            order = np.argsort(n_all, kind="stable")
            order = order[recipe_need[order]]
            sorted_n = n_all[order]
            for n in np.unique(sorted_n).tolist():
                lo_i, hi_i = np.searchsorted(sorted_n, [n, n + 1])
                pick = order[lo_i:hi_i]
                table = np.array(
                    [
                        [float(row.get(k, 0)) for k in keys]
                        for row in recipe_rows(prep.needs[n], prep.materials)
                    ],
                    dtype=np.float64,
                ).reshape(-1, n_mat)
                for r in range(table.shape[0]):
                    rows.append(np.full(pick.size, n_rows, dtype=np.int64))
                    cols.append(c_xv[pick])
                    vals.append(table[r, col_m[pick]] * col_w[pick])
                    row_lo.append(np.zeros(1))
                    row_hi.append(np.full(1, inf))
                    n_rows += 1
        # objective vectors over all columns (binaries: 0)
        pad = np.zeros(n_cols - (n_x + n_u + n_v))
        waste_x = prep.offer_waste[xo]
        waste_u = prep.offer_waste[u_o]
        freight = float(problem.road_freight_kg_per_tkm)
        gross = prep.offer_gross_per_t
        dist = arcs.distance_km[xa].astype(np.float64)
        handling = np.array([float(yard.handling_kg_co2e_per_t) for yard in net.yards], dtype=np.float64)
        comp_waste = prep.offer_waste[comp.offers]
        self.levels: list[tuple[np.ndarray, bool]]
        # only the vectors the objective uses (each is one float per column)
        if problem.objective == "net_climate":
            climate_vec = np.concatenate(
                [
                    w_x / KG_PER_TONNE * (gross[xo] - dist * freight),
                    w_u / KG_PER_TONNE * (gross[u_o] - u_d * freight - (handling[u_y] if n_u else 0.0)),
                    -w_v / KG_PER_TONNE * v_d * freight,
                    pad,
                ]
            )
            self.levels = [(climate_vec, True)]
        else:
            waste_vec = _cat(w_x * waste_x, w_u * waste_u, np.zeros(n_v), pad)
            all_vec = _cat(w_x, w_u, np.zeros(n_v), pad)
            if comp_waste.any() and not comp_waste.all():
                self.levels = [(waste_vec, True), (all_vec, True)]
            elif comp_waste.any():
                self.levels = [(waste_vec, True)]
            else:
                self.levels = [(all_vec, True)]
            del waste_vec, all_vec
            self.levels.append((_cat(w_x * dist, w_u * u_d, w_v * v_d, pad), False))
        if n_v:
            # last, a tie-break among equal optima: the shortest stays in yards (earliest delivery)
            self.levels.append((np.concatenate([np.zeros(n_x + n_u), w_v * (v_t - v_e), pad]), False))
        # the per-column arrays are not needed any more: freed before the entries are joined
        del xa, xb, xo, xn, n_all, c_xu, c_xv, sides, ones, col_m, col_w, recipe_need, waste_x, waste_u, dist
        # one array each (the lists' pieces freed at once), then columns-major: a restricted LP
        # takes columns, and pricing multiplies by the transpose, a free view of a CSC matrix
        flat_r = np.concatenate(rows, dtype=np.int32, casting="same_kind") if rows else np.zeros(0, np.int32)
        rows.clear()
        flat_c = np.concatenate(cols, dtype=np.int32, casting="same_kind") if cols else np.zeros(0, np.int32)
        cols.clear()
        flat_v = np.concatenate(vals) if vals else np.zeros(0)
        vals.clear()
        self.matrix = coo_matrix((flat_v, (flat_r, flat_c)), shape=(n_rows, n_cols)).tocsc()
        del flat_r, flat_c, flat_v
        self.matrix.sum_duplicates()
        self.row_lo = np.concatenate(row_lo) if row_lo else np.zeros(0)
        self.row_hi = np.concatenate(row_hi) if row_hi else np.zeros(0)
        self.ub = ub
        self.n_cols = n_cols
        self.n_direct = n_x + n_u + n_v
        # the columns a restricted LP starts with (all of them unless told otherwise)
        self.start = np.ones(n_cols, dtype=bool)
        self.rounds = 0
        self.restricted = 0
        self.retries = 0  # rounds solved again by dual simplex after a numerical failure

    def _proto(
        self,
        cols: np.ndarray,
        objective: np.ndarray,
        maximise: bool,
        bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        fixed: list[tuple[np.ndarray, float, float]],
    ) -> Any:
        col_lo, col_hi, row_lo, row_hi = bounds
        model = model_pb2.ModelProto(name="qaita-timed")
        k = cols.size
        model.variables.ids.extend(range(k))
        model.variables.lower_bounds.extend(col_lo[cols].tolist())
        model.variables.upper_bounds.extend(col_hi[cols].tolist())
        model.variables.integers.extend([self.integer] * k)
        sub = self.matrix[:, cols].tocsr()
        sub.sort_indices()
        n_rows = sub.shape[0]
        extra_r, extra_c, extra_v = [], [], []
        for i, (vec, _, _) in enumerate(fixed):
            part = vec[cols]
            nz = np.flatnonzero(part)
            extra_r.append(np.full(nz.size, n_rows + i, dtype=np.int64))
            extra_c.append(nz)
            extra_v.append(part[nz])
        model.linear_constraints.ids.extend(range(n_rows + len(fixed)))
        model.linear_constraints.lower_bounds.extend(row_lo.tolist() + [lo for _, lo, _ in fixed])
        model.linear_constraints.upper_bounds.extend(row_hi.tolist() + [hi for _, _, hi in fixed])
        matrix = model.linear_constraint_matrix
        matrix.row_ids.extend(
            np.concatenate([np.repeat(np.arange(n_rows), np.diff(sub.indptr)), *extra_r]).tolist()
        )
        matrix.column_ids.extend(np.concatenate([sub.indices.astype(np.int64), *extra_c]).tolist())
        matrix.coefficients.extend(np.concatenate([sub.data, *extra_v]).tolist())
        obj = objective[cols]
        nz = np.flatnonzero(obj)
        model.objective.maximize = maximise
        model.objective.linear_coefficients.ids.extend(nz.tolist())
        model.objective.linear_coefficients.values.extend(obj[nz].tolist())
        return model

    def solve(self, seconds: float) -> tuple[np.ndarray, bool, float, float]:
        """Levels in turn: (values, proven, primary value, primary bound).

        Each level is solved on a restricted set of columns (``start``, then those added): after
        each solve every column left out is priced with the duals (reduced cost ``c − Aᵀy``,
        vectorised) and the attractive ones are added, until none is left — then the restricted
        optimum is the optimum of the whole LP.

        A level's optimum is then kept for the next levels by restricting them to its *optimal
        face*, read off the optimal duals ``y`` (complementary slackness: a solution is optimal
        iff it is feasible and complementary to any one optimal dual): a column with a nonzero
        reduced cost stays at the bound it is at (at zero: it is dropped for good, priced out),
        a row with a nonzero dual stays tight. This keeps the LP sparse (a dense row fixing the
        objective, as the MIP and a level stopped by the time limit use, slows interior point
        down several times).
        """
        started = time.perf_counter()
        proven = True
        primary = primary_bound = 0.0
        values = np.zeros(self.n_cols)
        n_rows = self.matrix.shape[0]
        col_lo, col_hi = np.zeros(self.n_cols), self.ub.copy()
        row_lo, row_hi = self.row_lo.copy(), self.row_hi.copy()
        active = self.start & (col_hi > 0)
        fixed: list[tuple[np.ndarray, float, float]] = []
        # before the last optimal face was applied: the bounds and columns, and that level's
        # objective row (the way back if HiGHS fails on the face)
        face: tuple[Any, ...] | None = None
        matrix_t = self.matrix.T  # CSR, no copy
        for index, (vec, maximise) in enumerate(self.levels):
            if index and CG_PURGE and not self.start.all():
                # a new level starts from the start's columns and the last solution's support:
                # the columns priced in for an earlier level and left at zero only slow the next
                # level's solves down (pricing brings back those it needs)
                active &= self.start | (values > 0) | (col_lo > 0)
            left = max(seconds - (time.perf_counter() - started), 0.01) / (len(self.levels) - index)
            level_end = time.perf_counter() + left
            tol = 1e-9 * max(1.0, float(np.abs(vec).max()) if vec.size else 1.0)
            reduced = dual = None
            # the last round solved to optimality (a feasible point of the whole LP): kept when
            # the next round runs out of time
            prev: tuple[Any, np.ndarray, float, float, Any] | None = None
            while True:
                cols = np.flatnonzero(active)
                tick = time.perf_counter()
                bounds = (col_lo, col_hi, row_lo, row_hi)
                try:
                    result = self._run(
                        cols, vec, maximise, bounds, fixed, max(level_end - time.perf_counter(), 0.01)
                    )
                    if (
                        not self.integer
                        and _numerical_failure(result.termination)
                        and level_end - time.perf_counter() > 1.0
                    ):
                        # interior point stopped short of an optimum on a restricted LP that is
                        # feasible (seen: "infeasible" on the last pricing round of the 5k
                        # benchmark's third level): dual simplex from scratch, which solved it
                        log.debug(
                            "timed LP level %d: %s, again by dual simplex",
                            index,
                            result_pb2.TerminationReasonProto.Name(result.termination.reason),
                        )
                        self.retries += 1
                        result = self._run(
                            cols,
                            vec,
                            maximise,
                            bounds,
                            fixed,
                            max(level_end - time.perf_counter(), 0.01),
                            algorithm=mathopt.LPAlgorithm.DUAL_SIMPLEX,
                        )
                except SolverFailure as exc:
                    if prev is None and face is not None:
                        # interior point can fail numerically on an optimal face (many
                        # equalities): the earlier level's optimum is fixed by its objective row
                        log.debug("timed LP level %d on the optimal face: %s; objective row", index, exc)
                        col_lo, col_hi, row_lo, row_hi, active, fixed_row = face
                        fixed.append(fixed_row)
                        face = None
                        continue
                    if prev is None and index == 0:
                        raise
                    # HiGHS stopped with an error (seen near its time limit): the last optimal
                    # round stands, or the earlier levels' solution, as when time runs out
                    log.debug("timed LP level %d: %s", index, exc)
                    if prev is None:
                        solution = None
                        break
                    solution, level_values, value, missing, result = prev
                    level_proven = False
                    reduced = dual = None
                    break
                reason = result.termination.reason
                log.debug(
                    "timed LP level %d: %d of %d columns, %d rows, %.2f s, %s",
                    index,
                    cols.size,
                    self.n_cols,
                    n_rows,
                    time.perf_counter() - tick,
                    result_pb2.TerminationReasonProto.Name(reason),
                )
                solution = next(
                    (
                        s
                        for s in result.solutions
                        if s.HasField("primal_solution")
                        and s.primal_solution.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE
                    ),
                    None,
                )
                if solution is None:
                    if prev is not None:
                        solution, level_values, value, missing, result = prev
                        level_proven = False
                        reduced = dual = None
                    break
                level_proven = reason == result_pb2.TERMINATION_REASON_OPTIMAL
                value = float(solution.primal_solution.objective_value)
                level_values = np.zeros(self.n_cols)
                var = solution.primal_solution.variable_values
                level_values[cols[np.array(var.ids, dtype=np.int64)]] = np.array(var.values, dtype=np.float64)
                missing = 0.0
                reduced = dual = None
                if level_proven and not self.integer and solution.HasField("dual_solution"):
                    dual = np.zeros(n_rows + len(fixed))
                    dv = solution.dual_solution.dual_values
                    dual[np.array(dv.ids, dtype=np.int64)] = np.array(dv.values, dtype=np.float64)
                    reduced = vec - matrix_t @ dual[:n_rows]
                    for i, (fvec, _, _) in enumerate(fixed):
                        reduced -= fvec * dual[n_rows + i]
                    gain = reduced if maximise else -reduced
                    out = ~active & (col_hi > col_lo)
                    # the most the columns left out could add: bound times reduced cost
                    missing = float((np.maximum(gain[out], 0.0) * col_hi[out]).sum())
                    better = np.flatnonzero(out & (gain > tol))
                    log.debug(
                        "timed LP level %d: value %.6g, %d columns price in, at most %.3g more",
                        index,
                        value,
                        better.size,
                        missing,
                    )
                    if better.size and level_end - time.perf_counter() > 1.0:
                        take = max(10_000, cols.size // 2)
                        if better.size > take:
                            better = better[np.argsort(-gain[better], kind="stable")[:take]]
                        prev = (solution, level_values, value, missing, result)
                        active[better] = True
                        self.rounds += 1
                        continue
                    if better.size:
                        level_proven = False
                break
            if solution is None:
                if index == 0:
                    raise SolverFailure(f"HiGHS found no solution ({reason})", status=str(reason))
                proven = False
                break
            values = level_values
            self.restricted = int(active.sum())
            if index == 0:
                primary = value
                if level_proven:
                    bound = value
                elif cols.size == self.n_cols or missing > 0:
                    # the whole LP's dual bound, or the restricted optimum plus what the columns
                    # left out could add at most
                    bound = float(result.termination.objective_bounds.dual_bound) + missing
                else:
                    # the restricted LP was not solved: only the trivial bound holds
                    bound = float((np.maximum(vec, 0.0) * self.ub).sum())
                primary_bound = bound if math.isfinite(bound) else value
            proven = proven and level_proven
            if index == len(self.levels) - 1:
                break
            slack = LEVEL_TOLERANCE * max(1.0, abs(value))
            if self.integer and np.array_equal(vec, np.rint(vec)):
                # integer units and coefficients: every level value is an integer, so a slack
                # below one keeps the level exact (1e-7 of 12,020,000 kg let a later level trade
                # a whole kilogram for shorter transport)
                slack = min(slack, 0.5)
            fixed_row = (vec, value - slack, np.inf) if maximise else (vec, -np.inf, value + slack)
            face = None
            if level_proven and reduced is not None and dual is not None and not fixed:
                face = (col_lo.copy(), col_hi.copy(), row_lo.copy(), row_hi.copy(), active.copy(), fixed_row)
                # the optimal face: nonzero reduced costs keep their bound, nonzero duals their row
                face_tol = 1e-7 * max(1.0, float(np.abs(vec).max()))
                gain = reduced if maximise else -reduced
                free = col_lo < col_hi  # a column fixed by an earlier level stays where it is
                at_zero = free & (gain < -face_tol)
                at_top = free & (gain > face_tol)
                col_hi[at_zero] = 0.0
                col_lo[at_top] = col_hi[at_top]
                active &= col_hi > 0
                upper = (dual[:n_rows] > face_tol) if maximise else (dual[:n_rows] < -face_tol)
                lower = (dual[:n_rows] < -face_tol) if maximise else (dual[:n_rows] > face_tol)
                upper &= np.isfinite(row_hi)
                lower &= np.isfinite(row_lo)
                row_lo[upper] = row_hi[upper]
                row_hi[lower] = row_lo[lower]
            else:
                fixed.append(fixed_row)
        return values, proven, primary, primary_bound

    def _run(
        self,
        cols: np.ndarray,
        vec: np.ndarray,
        maximise: bool,
        bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        fixed: list[tuple[np.ndarray, float, float]],
        seconds: float,
        algorithm: Any = None,
    ) -> Any:
        if algorithm is None and not self.integer and cols.size > MIP_MAX_VARIABLES:
            # large LPs: interior point (with crossover to a vertex, whose duals price the columns
            # left out) was faster than dual or primal simplex on the 5k benchmark's blend LP
            algorithm = mathopt.LPAlgorithm.BARRIER
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=seconds),
            random_seed=HIGHS_SEED,
            highs=_HIGHS_OPTIONS,
            relative_gap_tolerance=1e-9,
            absolute_gap_tolerance=1e-6,
            lp_algorithm=algorithm,
        )
        try:
            return solver.solve(
                self._proto(cols, vec, maximise, bounds, fixed),
                mathopt.SolverType.HIGHS.value,
                init_arguments.StreamableSolverInitArguments().to_proto(),
                params.to_proto(),
                model_parameters_pb2.ModelSolveParametersProto(),
                None,
                callback.CallbackRegistration().to_proto(),
                None,
                None,
            )
        except Exception as exc:  # StatusNotOk from the solver wrapper
            raise SolverFailure(f"HiGHS failed: {exc}", status="error") from exc
        finally:
            if cols.size >= CG_MIN_COLUMNS:
                # only after a large LP: a trim costs ~10 ms on a fragmented heap, and a run may
                # solve hundreds of small ones
                _trim_heap()


#: terminations that are neither an optimum nor a time limit nor a proof, on a restricted LP
#: that column generation knows to be feasible (zero flow, or the last round's optimum): a
#: numerical failure, retried by dual simplex
_NUMERICAL_FAILURES = frozenset(
    {
        result_pb2.TERMINATION_REASON_INFEASIBLE,
        result_pb2.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED,
        result_pb2.TERMINATION_REASON_NUMERICAL_ERROR,
        result_pb2.TERMINATION_REASON_IMPRECISE,
        result_pb2.TERMINATION_REASON_OTHER_ERROR,
    }
)
_STALLED = frozenset({result_pb2.LIMIT_UNDETERMINED, result_pb2.LIMIT_SLOW_PROGRESS, result_pb2.LIMIT_OTHER})


def _numerical_failure(termination: Any) -> bool:
    """True when HiGHS stopped on an LP short of an optimum for no reason of ours: a numerical
    failure, or a stop on a limit that is not the time limit we set."""
    if termination.reason in _NUMERICAL_FAILURES:
        return True
    return bool(
        termination.reason
        in (result_pb2.TERMINATION_REASON_NO_SOLUTION_FOUND, result_pb2.TERMINATION_REASON_FEASIBLE)
        and termination.limit in _STALLED
    )


def _trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``) after a large
    HiGHS solve: each restricted LP's model and solver workspace are freed, but glibc keeps the
    pages, so without this the process grows by the largest LP's size at every round. Elsewhere
    (no glibc) a no-op."""
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)


_LIBC: list[Any] = []


#: an LP larger than this is not built at all (its arrays would not fit in memory): the
#: component gets the network fallback, not proven optimal, with its gap
LP_MAX_VARIABLES = 20_000_000
#: an LP with more columns than this is solved by column generation from a restricted start
CG_MIN_COLUMNS = 20_000
#: each level after the first restarts column generation from the start's columns and the last
#: solution's support (``QAITA_CG_PURGE=0`` keeps every column priced in so far, for experiments)
CG_PURGE = __import__("os").environ.get("QAITA_CG_PURGE", "1") != "0"
#: the start's cheapest direct arcs per offer slot, need slot and blending need slot and material
CG_NEAREST = 3


def _nearest(key: np.ndarray, cost: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` cheapest entries of every key (ties: the earlier position)."""
    order = np.lexsort((np.arange(key.size), cost, key))
    ranked = key[order]
    first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    rank = np.arange(key.size) - np.repeat(first, np.diff(np.r_[first, key.size]))
    return order[rank < k]


def _start_columns(prep: Prepared, net: _Net, arcs: Any, comp: _Comp, n_cols: int) -> np.ndarray:
    """The columns a large component's restricted LP starts with: every yard leg, the support of
    the exact network flow without the blending needs, and the few cheapest direct arcs of every
    offer slot, need slot and (blending needs) need slot and material. Pricing adds the rest."""
    n_b = len(net.buckets)
    start = np.zeros(n_cols, dtype=bool)
    start[comp.x.size :] = True
    xa = net.x_arc[comp.x]
    xb = net.x_bucket[comp.x].astype(np.int64)
    xo = arcs.offer[xa].astype(np.int64)
    xn = arcs.need[xa].astype(np.int64)
    cost = arcs.cost[xa]
    blending = _blending(prep)[xn]
    keys = sorted(prep.materials)
    offer_mat = np.array([keys.index(o.material) for o in prep.offers], dtype=np.int64)[xo]
    start[_nearest(xo * n_b + xb, cost, CG_NEAREST)] = True
    start[_nearest(xn * n_b + xb, cost, CG_NEAREST)] = True
    into = np.flatnonzero(blending)
    start[
        into[_nearest((xn[into] * len(keys) + offer_mat[into]) * n_b + xb[into], cost[into], CG_NEAREST)]
    ] = True
    plain = np.flatnonzero(~blending)
    del xa, xb, xo, xn, cost, blending, offer_mat, into  # before the network's own arrays
    if plain.size:
        sub = _Comp(comp.offers, comp.needs, [], comp.x[plain], [], [])
        start[plain[_solve_network(prep, net, arcs, sub) > 0]] = True
    return start


def _solve_lp(prep: Prepared, net: _Net, arcs: Any, comp: _Comp, seconds: float, workers: int = 1) -> _Result:
    started = time.perf_counter()
    n_x, n_u = comp.x.size, len(comp.entries)
    if n_x + n_u + len(comp.exits) > LP_MAX_VARIABLES:
        return _fallback(prep, net, arcs, comp, workers)
    relaxed = _LP(prep, net, arcs, comp, integer=False)
    if relaxed.n_cols > CG_MIN_COLUMNS:
        relaxed.start = _start_columns(prep, net, arcs, comp, relaxed.n_cols)
    try:
        values, proven, primary, bound = relaxed.solve(seconds)
    except SolverFailure as exc:
        log.debug("timed LP failed, network fallback: %s", exc)
        return _fallback(prep, net, arcs, comp, workers)
    arr = values[: relaxed.n_direct]
    integral = bool(np.all(np.abs(arr - np.rint(arr)) < 1e-6))
    has_lots = (
        bool((arcs.lot[net.x_arc[comp.x]] > 1).any())
        or any(prep.offer_lot[net.entries[i][0]] > 1 for i in comp.entries)
        or any(prep.need_lot[net.exits[i][3]] > 1 for i in comp.exits)
    )
    method = "lp"
    if (not integral or has_lots) and relaxed.n_cols <= MIP_MAX_VARIABLES:
        method = "mip"
        mip = _LP(prep, net, arcs, comp, integer=True)
        remaining = max(seconds - (time.perf_counter() - started), 0.05)
        try:
            mip_values, mip_proven, mip_primary, mip_bound = mip.solve(remaining)
        except SolverFailure:
            method = "lp"  # no integer solution within the time: round the LP below
        else:
            # the LP's optimum bounds the MIP's; a proven MIP optimum is its own bound
            bound = mip_primary if mip_proven and proven else min(bound, mip_bound)
            proven = proven and mip_proven
            primary = mip_primary
            arr = mip_values[: mip.n_direct]
    if method == "mip" or integral:
        ints = np.maximum(np.rint(arr), 0).astype(np.int64)
    else:
        # too large for the MIP: the LP optimum rounded down (every "at most" row still holds),
        # lots repaired and yard lots re-balanced; the LP value stays the bound
        ints = np.maximum(np.floor(arr + 1e-9), 0).astype(np.int64)
        proven = False
    x, u, v = ints[:n_x], ints[n_x : n_x + n_u], ints[n_x + n_u :]
    if method != "mip":
        _repair_lots(prep, net, arcs, comp, x, u, v)
    _balance_yards(prep, net, comp, u, v)
    _bar_declined(prep, net, comp, u, v)
    gap = 0.0 if proven else abs(bound - primary) / max(1.0, abs(bound))
    lp = {
        "columns": relaxed.n_cols,
        "restricted": relaxed.restricted,
        "rounds": relaxed.rounds,
        "retries": relaxed.retries,
    }
    return _Result(x, u, v, proven, bound if not proven else primary, method, gap, lp)


def _fallback(prep: Prepared, net: _Net, arcs: Any, comp: _Comp, workers: int = 1) -> _Result:
    """No LP solution within the time: the exact network flow of the component without its
    blending needs and yards (always feasible), with the bound of :func:`_relaxed_bound`.

    Where both are bucket-local networks for the warm network simplex (no yards, no ``once``
    listings, ``divert_then_distance``), they are solved together, bucket by bucket: the
    relaxation, then the network without the blending needs warm from its tree."""
    plain = ~_blending(prep)[arcs.need[net.x_arc[comp.x]]]
    sub = _Comp(comp.offers, comp.needs, [], comp.x[plain], [], [])
    x = np.zeros(comp.x.size, dtype=np.int64)
    both = None
    if sub.x.size and not comp.yards and _warm_ok(prep) and _periodic_only(net, comp):
        both = _warm_or_none(prep, net, arcs, comp.x, workers, plain)
    if sub.x.size:
        xs = both[1][plain] if both is not None else _solve_network(prep, net, arcs, sub, workers=workers)
        _repair_lots(prep, net, arcs, sub, xs, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        x[plain] = xs
    empty = np.zeros(0, dtype=np.int64)
    u = np.zeros(len(comp.entries), dtype=np.int64) if comp.entries else empty
    v = np.zeros(len(comp.exits), dtype=np.int64) if comp.exits else empty
    bound = _relaxed_bound(prep, net, arcs, comp, workers, None if both is None else both[0])
    return _Result(x, u, v, False, bound, "fallback", 1.0)


def _relaxed_bound(
    prep: Prepared, net: _Net, arcs: Any, comp: _Comp, workers: int = 1, relaxed: np.ndarray | None = None
) -> float:
    """A bound on the component's primary objective for the fallback: without yards and with
    ``divert_then_distance``, the waste-bound kg the network moves when the recipes are dropped
    (the same slots and arcs, every blending need taking any mix of its materials: a relaxation,
    solved exactly in integers); otherwise, or when that is no tighter, :func:`_trivial_bound`.
    A component with yards has no such relaxation here: the network without them is a
    restriction. ``relaxed``: that network's flows, when already solved."""
    trivial = _trivial_bound(prep, comp)
    if comp.yards or prep.problem.objective != "divert_then_distance":
        return trivial
    if relaxed is None:
        relaxed = _solve_network(prep, net, arcs, comp, workers=workers)
    by_offer = np.zeros(len(prep.offers), dtype=np.int64)
    np.add.at(by_offer, arcs.offer[net.x_arc[comp.x]], relaxed)
    return min(_waste_kg(prep, comp.offers, by_offer[comp.offers]), trivial)


def _waste_kg(prep: Prepared, positions: np.ndarray, moved: np.ndarray) -> float:
    """Kilograms of waste-bound supply moved: ``moved`` units of the offers at ``positions``,
    summed per material before its (exact, Fraction) unit mass multiplies them."""
    waste = np.asarray(prep.offer_waste[positions], dtype=bool)
    per_material: dict[str, int] = {}
    for p, q in zip(positions[waste].tolist(), moved[waste].tolist(), strict=True):
        key = prep.offers[p].material
        per_material[key] = per_material.get(key, 0) + q
    return float(sum(q * prep.unit_mass_kg(key) for key, q in per_material.items()))


def _trivial_bound(prep: Prepared, comp: _Comp) -> float:
    """A bound on the primary objective that holds whatever the model: all the waste-bound supply
    moved (or, for ``net_climate``, every offer's gross benefit with no transport)."""
    mass_t = (
        np.array([float(prep.unit_mass_kg(prep.offers[int(o)].material)) for o in comp.offers]) / KG_PER_TONNE
    )
    supply_t = prep.offer_supply[comp.offers] * mass_t
    if prep.problem.objective == "net_climate":
        return float((supply_t * np.maximum(prep.offer_gross_per_t[comp.offers], 0)).sum())
    return float((supply_t * KG_PER_TONNE)[prep.offer_waste[comp.offers]].sum())


def _hall_stricter(net: _Net, comp: _Comp) -> bool:
    """Some barred lot of the component has more than ``HALL_MAX_OFFERS`` barred offers: its single
    stricter row may cut off feasible flows, so the component's optimum is not proven."""
    yards = set(comp.yards)
    return any(lot[0] in yards and not _hall_exact(bars) for lot, bars in net.barred.items())


def _unproven_if_stricter(prep: Prepared, net: _Net, comp: _Comp, res: _Result) -> None:
    """Withdraw the proof and the model's own bound (the stricter row invalidates it) and put the
    trivial bound in its place."""
    if res.method == "fallback" or not _hall_stricter(net, comp):
        return
    # what was achieved: the bound itself when proven, else bound − gap·max(1, |bound|)
    achieved = res.bound if res.proven else res.bound - res.gap * max(1.0, abs(res.bound))
    res.proven = False
    res.bound = max(_trivial_bound(prep, comp), achieved)
    res.gap = abs(res.bound - achieved) / max(1.0, abs(res.bound))


def _repair_lots(
    prep: Prepared, net: _Net, arcs: Any, comp: _Comp, x: np.ndarray, u: np.ndarray, v: np.ndarray
) -> None:
    """Zero every flow group below its minimum lot (the relaxation ignores lots)."""
    xa = net.x_arc[comp.x]
    if xa.size:
        # each arc's total over its buckets (integers, exact), against the arc's lot
        totals = np.zeros(len(arcs.lot), dtype=np.int64)
        np.add.at(totals, xa, x.astype(np.int64, copy=False))
        per_var = totals[xa]
        x[(per_var > 0) & (per_var < arcs.lot[xa])] = 0
    ou: dict[tuple[int, int], int] = {}
    for i, en in enumerate(comp.entries):
        o, y, _, _ = net.entries[en]
        ou[(o, y)] = ou.get((o, y), 0) + int(u[i])
    for i, en in enumerate(comp.entries):
        o, y, _, _ = net.entries[en]
        if 0 < ou[(o, y)] < int(prep.offer_lot[o]):
            u[i] = 0
    yn: dict[tuple[int, int], int] = {}
    for i, ex in enumerate(comp.exits):
        y, _, _, n, _, _ = net.exits[ex]
        yn[(y, n)] = yn.get((y, n), 0) + int(v[i])
    for i, ex in enumerate(comp.exits):
        y, _, _, n, _, _ = net.exits[ex]
        if 0 < yn[(y, n)] < int(prep.need_lot[n]):
            v[i] = 0


def _balance_yards(prep: Prepared, net: _Net, comp: _Comp, u: np.ndarray, v: np.ndarray) -> None:
    """Make what enters each yard lot equal what leaves it, by lowering the larger side."""
    ins: dict[tuple[int, str, int], list[int]] = {}
    outs: dict[tuple[int, str, int], list[int]] = {}
    for i, en in enumerate(comp.entries):
        o, y, e, _ = net.entries[en]
        ins.setdefault((y, prep.offers[o].material, e), []).append(i)
    for i, ex in enumerate(comp.exits):
        y, key, e, _, _, _ = net.exits[ex]
        outs.setdefault((y, key, e), []).append(i)
    for lot in sorted(set(ins) | set(outs)):
        a, b = ins.get(lot, []), outs.get(lot, [])
        excess = int(u[a].sum()) - int(v[b].sum())
        side, idx = (u, a) if excess > 0 else (v, b)
        excess = abs(excess)
        for i in reversed(idx):
            if excess == 0:
                break
            take = min(excess, int(side[i]))
            side[i] -= take
            excess -= take


def _barred_index(
    prep: Prepared, net: _Net, comp: _Comp
) -> dict[tuple[int, str, int], tuple[list[int], list[int]]]:
    """Per barred lot of the component: its indices into comp.entries and comp.exits."""
    index: dict[tuple[int, str, int], tuple[list[int], list[int]]] = {}
    if not net.barred:
        return index
    for i, en in enumerate(comp.entries):
        o, y, e, _ = net.entries[en]
        lot = (y, prep.offers[o].material, e)
        if lot in net.barred:
            index.setdefault(lot, ([], []))[0].append(i)
    for i, ex in enumerate(comp.exits):
        lot = net.exits[ex][:3]
        if lot in index:
            index[lot][1].append(i)
    return index


def _lot_pairs(
    net: _Net,
    comp: _Comp,
    lot: tuple[int, str, int],
    members: tuple[list[int], list[int]],
    u: np.ndarray,
    v: np.ndarray,
) -> list[tuple[int, int, int, int]]:
    """The pairing of a barred lot's current entries ``u`` and exits ``v`` (see :func:`_pair_lot`)."""
    ins = [(net.entries[comp.entries[i]][0], int(u[i])) for i in members[0] if u[i] > 0]
    outs = [
        (net.exits[comp.exits[i]][4], net.exits[comp.exits[i]][3], int(v[i])) for i in members[1] if v[i] > 0
    ]
    return _pair_lot(ins, outs, net.barred[lot])


def _bar_declined(prep: Prepared, net: _Net, comp: _Comp, u: np.ndarray, v: np.ndarray) -> None:
    """After rounding: trim what a barred lot cannot pair without a barred pair (entries and exits
    alike, so the lot stays balanced)."""
    for lot, members in sorted(_barred_index(prep, net, comp).items()):
        pairs = _lot_pairs(net, comp, lot, members, u, v)
        if sum(q for *_, q in pairs) == int(u[members[0]].sum()):
            continue
        sent: dict[int, int] = {}
        got: dict[tuple[int, int], int] = {}
        for o, n, t, q in pairs:
            sent[o] = sent.get(o, 0) + q
            got[(n, t)] = got.get((n, t), 0) + q
        for i in members[0]:
            o = net.entries[comp.entries[i]][0]
            u[i], sent[o] = min(int(u[i]), sent.get(o, 0)), max(sent.get(o, 0) - int(u[i]), 0)
        for i in members[1]:
            _, _, _, n, t, _ = net.exits[comp.exits[i]]
            v[i], got[(n, t)] = min(int(v[i]), got.get((n, t), 0)), max(got.get((n, t), 0) - int(v[i]), 0)


# ---------------------------------------------------------------------------------------------
# integer repair, decomposition and the solution


def _repair_recipes(prep: Prepared, net: _Net, arcs: Any, comp: _Comp, res: _Result) -> None:
    """Remove single units until every recipe row holds exactly (LP rounding is within 1e-6)."""
    recipe_needs = [n for n in comp.needs.tolist() if prep.needs[n].recipe is not None]
    if not recipe_needs:
        return
    # only the flows that carry something can break or repair a row: those into a recipe need
    carrying = np.flatnonzero(res.x > 0)
    xa = net.x_arc[comp.x[carrying]]
    xn = arcs.need[xa]
    by_need = np.argsort(xn, kind="stable")
    sorted_n = xn[by_need]
    barred: dict[tuple[int, str, int], tuple[list[int], list[int]]] | None = None
    for n in recipe_needs:
        need = prep.needs[n]
        rows = recipe_rows(need, prep.materials)
        # (array, index, material) of every flow into n that carries something, in variable order
        lo, hi = np.searchsorted(sorted_n, [n, n + 1])
        mine = np.sort(by_need[lo:hi])
        into: list[tuple[np.ndarray, int, str]] = [
            (res.x, int(carrying[k]), prep.offers[int(arcs.offer[xa[k]])].material) for k in mine.tolist()
        ]
        for i, ex in enumerate(comp.exits):
            if net.exits[ex][3] == n and res.v[i] > 0:
                into.append((res.v, i, net.exits[ex][1]))
        for _ in range(10_000):
            mass: dict[str, Fraction] = {}
            for arr, i, key in into:
                mass[key] = mass.get(key, Fraction(0)) + int(arr[i]) * prep.unit_mass_kg(key)
            broken = [row for row in rows if sum(row.get(k, 0) * q for k, q in mass.items()) < 0]
            if not broken:
                break
            row = broken[0]
            candidates = [
                (row.get(key, 0), -int(arr[i]), idx)
                for idx, (arr, i, key) in enumerate(into)
                if arr[i] > 0 and row.get(key, 0) < 0
            ]
            _, _, idx = min(candidates)
            arr, i, _ = into[idx]
            arr[i] -= 1
            if arr is res.v:
                # keep the yard lot balanced: one unit less enters it, from its largest entry
                y, key, e, _, _, _ = net.exits[comp.exits[i]]
                same = [
                    j
                    for j, en in enumerate(comp.entries)
                    if net.entries[en][1] == y
                    and net.entries[en][2] == e
                    and prep.offers[net.entries[en][0]].material == key
                    and res.u[j] > 0
                ]
                lot = (y, key, e)
                if lot in net.barred:
                    # a barred lot: the unit comes back from an entry that keeps the lot pairable
                    barred = barred if barred is not None else _barred_index(prep, net, comp)
                    members = barred[lot]
                    total = int(res.u[members[0]].sum()) - 1
                    for j in sorted(same, key=lambda j: (-int(res.u[j]), j)):
                        res.u[j] -= 1
                        paired = sum(q for *_, q in _lot_pairs(net, comp, lot, members, res.u, res.v))
                        res.u[j] += 1
                        if paired == total:
                            same = [j]
                            break
                j = max(same, key=lambda j: (int(res.u[j]), -j))
                res.u[j] -= 1
            res.proven = False


def _fifo(
    entries: list[tuple[int, int]], exits: list[tuple[int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """Pair one lot's entries (offer, qty) with its exits (bucket, need, qty): (offer, need, t, q)."""
    out = []
    ei = 0
    left = entries[0][1] if entries else 0
    for t, n, q in exits:
        while q > 0 and ei < len(entries):
            take = min(q, left)
            if take > 0:
                out.append((entries[ei][0], n, t, take))
            q -= take
            left -= take
            if left == 0:
                ei += 1
                left = entries[ei][1] if ei < len(entries) else 0
    return out


def _solution(prep: Prepared, net: _Net, arcs: Any, comp: _Comp, res: _Result, seconds: float) -> Solution:
    from .results import _masses_kg, _masses_kg_array, _split_masses_kg, _waste_split

    problem = prep.problem
    timed = problem.time_step != "none"
    buckets = net.buckets
    freight = float(problem.road_freight_kg_per_tkm)
    # (offer, need, yard) -> {schedule bucket: q}, {entry bucket: q}, distance, legs
    agg: dict[tuple[int, int, int | None], dict[str, Any]] = {}
    # direct flows: one per arc (an offer–need pair has one arc); the variables are ordered by
    # arc, then bucket, so an arc's nonzero buckets are consecutive and ascending
    nonzero = np.flatnonzero(res.x > 0)
    if nonzero.size:
        xa = net.x_arc[comp.x[nonzero]]
        xb = net.x_bucket[comp.x[nonzero]].tolist()
        xq = res.x[nonzero].tolist()
        heads = np.flatnonzero(np.r_[True, xa[1:] != xa[:-1]])
        ends = np.r_[heads[1:], xa.size].tolist()
        head_arc = xa[heads]
        for o, n, d, lo, hi in zip(
            arcs.offer[head_arc].tolist(),
            arcs.need[head_arc].tolist(),
            arcs.distance_km[head_arc].tolist(),
            heads.tolist(),
            ends,
            strict=True,
        ):
            item = agg.setdefault((o, n, None), {"s": {}, "e": {}, "d": d, "legs": None})
            for b, q in zip(xb[lo:hi], xq[lo:hi], strict=True):
                item["s"][b] = item["s"].get(b, 0) + q
    lots: dict[tuple[int, str, int], tuple[list[tuple[int, int]], list[tuple[int, int, int]]]] = {}
    leg1: dict[tuple[int, int], float] = {}
    leg2: dict[tuple[int, int], float] = {}
    for i, q in zip(comp.entries, res.u.tolist(), strict=True):
        o, y, e, d = net.entries[i]
        leg1[(o, y)] = d
        if q > 0:
            lots.setdefault((y, prep.offers[o].material, e), ([], []))[0].append((o, q))
    for i, q in zip(comp.exits, res.v.tolist(), strict=True):
        y, key, e, n, t, d = net.exits[i]
        leg2[(y, n)] = d
        if q > 0:
            lots.setdefault((y, key, e), ([], []))[1].append((t, n, q))
    for (yard, key, e), (ins, outs) in sorted(lots.items()):
        bars = net.barred.get((yard, key, e))
        # a barred lot pairs without its barred pairs (Hall's rows make it possible)
        pairs = _fifo(sorted(ins), sorted(outs)) if bars is None else _pair_lot(ins, outs, bars)
        for o, n, t, q in pairs:
            l1, l2 = leg1[(o, yard)], leg2[(yard, n)]
            item = agg.setdefault((o, n, yard), {"s": {}, "e": {}, "d": l1 + l2, "legs": (l1, l2)})
            item["s"][t] = item["s"].get(t, 0) + q
            item["e"][e] = item["e"].get(e, 0) + q
    starts = [buckets.start_date(b) for b in range(len(buckets))]
    flows = []
    moved = np.zeros(comp.offers.size, dtype=np.int64)
    o_local = {int(p): i for i, p in enumerate(comp.offers.tolist())}
    tkm_parts, net_parts = [], []
    for (o, n, via), item in sorted(
        agg.items(),
        key=lambda kv: (
            int(prep.offer_id[kv[0][0]]),
            int(prep.need_id[kv[0][1]]),
            -1 if kv[0][2] is None else net.yards[kv[0][2]].id,
        ),
    ):
        offer = prep.offers[o]
        spec = prep.materials[offer.material]
        unit_mass = prep.unit_mass_kg(offer.material)
        q = sum(item["s"].values())
        moved[o_local[o]] += q
        mass_t = q * float(unit_mass) / KG_PER_TONNE
        tkm_parts.append(mass_t * item["d"])
        handling = float(net.yards[via].handling_kg_co2e_per_t) if via is not None else 0.0
        net_parts.append(mass_t * (float(prep.offer_gross_per_t[o]) - item["d"] * freight - handling))
        flows.append(
            Flow(
                offer_id=offer.id,
                need_id=prep.needs[n].id,
                material=offer.material,
                quantity=q,
                unit="piece" if spec.is_piece else "kg",
                mass_kg=_masses_kg([q], unit_mass)[0],
                distance_km=item["d"],
                schedule=tuple((starts[b], v) for b, v in sorted(item["s"].items())) if timed else (),
                via_storage=None if via is None else net.yards[via].id,
                storage_schedule=tuple((starts[b], v) for b, v in sorted(item["e"].items())),
                legs_km=item["legs"],
            )
        )
    # each offer's supply and what is left of it in whole kg, one material at a time
    supply = np.asarray(prep.offer_supply[comp.offers], dtype=np.int64)
    supply_kg_arr = np.zeros(comp.offers.size, dtype=np.int64)
    left_kg_arr = np.zeros(comp.offers.size, dtype=np.int64)
    material_of = np.array([prep.offers[p].material for p in comp.offers.tolist()], dtype=object)
    waste = np.asarray(prep.offer_waste[comp.offers], dtype=bool)
    for key in sorted(set(material_of.tolist())):
        mine = np.flatnonzero(material_of == key)
        unit_mass = prep.unit_mass_kg(key)
        supply_kg_arr[mine] = _masses_kg_array(supply[mine], unit_mass)
        left_kg_arr[mine] = _masses_kg_array(supply[mine] - moved[mine], unit_mass)
    part = _split_masses_kg(supply_kg_arr, left_kg_arr, waste)
    masses_total = {
        name: getattr(part, name)
        for name in ("supply_kg", "waste_kg", "diverted_kg", "landfilled_kg", "other_moved_kg")
    }
    supply_kg, left_kg = supply_kg_arr.tolist(), left_kg_arr.tolist()
    split = _waste_split(prep, comp.offers.tolist(), supply_kg, left_kg)
    net_value = math.fsum(net_parts)
    if problem.objective == "divert_then_distance":
        exact_waste = _waste_kg(prep, comp.offers, moved)
        if res.proven and res.method in ("lp", "mip") and exact_waste > 0 and exact_waste < res.bound - 0.5:
            # the solver's optimum was not delivered whole (a unit lost in rounding or repair):
            # the flows stand, but not as a proven optimum
            log.warning("timed component: %.0f kg moved of a proven %.0f kg", exact_waste, res.bound)
            res = dataclasses.replace(res, proven=False)
        bound = exact_waste if res.proven else max(res.bound, exact_waste)
        achieved = exact_waste
    else:
        bound = net_value if res.proven else max(res.bound, net_value)
        achieved = net_value
    gap = 0.0 if res.proven else (bound - achieved) / max(1.0, abs(bound))
    return Solution(
        flows=tuple(flows),
        objective=problem.objective,
        proven_optimal=res.proven,
        bound=bound,
        **masses_total,
        tkm=math.fsum(tkm_parts),
        net_co2e_kg=net_value,
        stats={
            "offers": int(comp.offers.size),
            "needs": int(comp.needs.size),
            "arcs": int(comp.x.size + len(comp.entries) + len(comp.exits)),
            "components": 1,
            "discrete_components": int(res.method == "mip"),
            "cp_sat_components": 0,
            "lp_components": int(res.method in ("lp", "mip")),
            "storages": len(comp.yards),
            "solve_seconds": seconds,
            "gap": gap,
            **({"lp": res.lp} if res.lp else {}),
            **split,
        },
    )


def _columns(comp: _Comp) -> int:
    return int(comp.x.size) + len(comp.entries) + len(comp.exits)


#: an LP component solved before others gets at least this share of the time left
LP_MIN_SHARE = 0.25


def _lp_budget(left: float, columns: int, columns_left: int) -> float:
    """Seconds for an LP component of ``columns`` when ``columns_left`` (its own included) share
    the ``left`` seconds: in proportion to the columns, but at least ``LP_MIN_SHARE`` of what is
    left (the components go smallest first, so a small one is not starved by a large one's
    share, and what it does not use passes on); the last one gets all that is left."""
    if columns >= columns_left:
        return left
    return left * max(columns / max(columns_left, 1), LP_MIN_SHARE)


def _solve_lps(
    prep: Prepared, net: _Net, arcs: Any, comps: list[_Comp], deadline: float, workers: int = 1
) -> list[tuple[_Result, float]]:
    """The LP components in turn (smallest first), sharing the time left (:func:`_lp_budget`):
    each one's result, recipes repaired, and its seconds."""
    out = []
    left = sum(_columns(c) for c in comps)
    for comp in comps:
        t = time.perf_counter()
        budget = _lp_budget(max(deadline - t, 0.05), _columns(comp), left)
        res = _solve_lp(prep, net, arcs, comp, budget, workers)
        _repair_recipes(prep, net, arcs, comp, res)
        _unproven_if_stricter(prep, net, comp, res)
        left -= _columns(comp)
        out.append((res, time.perf_counter() - t))
    return out


def _forked_lps(
    prep: Prepared, net: _Net, arcs: Any, comps: list[_Comp], deadline: float, workers: int
) -> list[tuple[_Result, float]] | None:
    """The LP components solved side by side in ``workers`` forked processes (a large run's
    components are independent, and each LP solve is single-threaded): the components go,
    largest first, onto the batch with the fewest columns (:func:`_forked_batches`); each batch
    solves its own in turn, smallest first, as :func:`_solve_lps` does, sharing the time left to
    the deadline. Each component is solved exactly as serially; only the time budgets differ (a
    component is not kept waiting for the others), so without a time limit reached the flows do
    not depend on the number of workers. None where processes cannot be forked (then the caller
    solves serially)."""

    def solve_batch(batch: list[int]) -> list[tuple[_Result, float]]:
        # one process each: the workers already use every core between them
        return _solve_lps(prep, net, arcs, [comps[i] for i in batch], deadline, 1)

    sizes = [_columns(c) for c in comps]
    out = _forked_batches(solve_batch, list(range(len(comps))), sizes, workers, workers)
    return None if out is None else [out[i] for i in range(len(comps))]


def solve_timed(
    problem: Problem,
    provider: DistanceProvider,
    deadline: float,
    *,
    workers: int = 1,
    _decompose: bool = True,
) -> tuple[Solution, Prepared]:
    """Solve ``problem`` over its time buckets (see the module docstring).

    ``workers`` > 1 solves the independent parts of a large network component in that many forked
    processes (the flows are identical to a serial solve), and a large run's LP components side
    by side (the same flows unless a time limit is reached: see :func:`_forked_lps`).

    ``_decompose=False`` (tests only) solves every network component as one time-expanded
    network instead of its independent per-bucket parts (:func:`_bucket_parts`).
    """
    from .results import _isolated_solution, merge

    started = time.perf_counter()
    prep = prepare(problem)
    _validate(problem, prep)
    net, arcs = _build(prep, provider)
    comps = _components(prep, net, arcs)
    built = time.perf_counter()
    parts: list[Solution] = []
    # the network components first (exact and quick); those whose lots the relaxation breaks join
    # the LP components, which then share the time left, the smallest first (see _lp_budget)
    lp_comps: list[tuple[int, _Comp]] = []
    for k, comp in enumerate(comps):
        t = time.perf_counter()
        if _needs_lp(prep, comp):
            lp_comps.append((k, comp))
            continue
        x = _solve_network(prep, net, arcs, comp, decompose=_decompose, workers=workers)
        if not _lots_ok(arcs, net, comp, x):
            lp_comps.append((k, comp))
            continue
        res = _Result(x, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), True, 0.0, "min_cost_flow")
        parts.append(_solution(prep, net, arcs, comp, res, time.perf_counter() - t))
    lp_comps.sort(key=lambda kc: (_columns(kc[1]), kc[0]))
    comps_lp = [c for _, c in lp_comps]
    solved = None
    if workers > 1 and len(comps_lp) > 1 and sum(map(_columns, comps_lp)) >= PARALLEL_MIN_VARIABLES:
        solved = _forked_lps(prep, net, arcs, comps_lp, deadline, workers)
    if solved is None:
        solved = _solve_lps(prep, net, arcs, comps_lp, deadline, workers)
    for comp, (res, seconds) in zip(comps_lp, solved, strict=True):
        parts.append(_solution(prep, net, arcs, comp, res, seconds))
    parts.append(_isolated_solution(prep, comps))  # type: ignore[arg-type]
    solution = merge(parts)
    stats = dict(solution.stats)
    stats["time_step"] = problem.time_step
    stats["buckets"] = len(net.buckets)
    stats["gap"] = max((p.stats.get("gap", 0.0) for p in parts), default=0.0)
    stats["timings"] = {"build": built - started, "total": time.perf_counter() - started}
    solution = Solution(
        **{**{f: getattr(solution, f) for f in solution.__dataclass_fields__}, "stats": stats}
    )
    return solution, prep


__all__ = ["blendable", "needs_timed_path", "recipe_rows", "solve_timed"]
