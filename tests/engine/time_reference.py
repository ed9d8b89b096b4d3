"""An independent, path-based formulation of the engine over time (issue 13), for the tests.

The engine models yards by *lots* (material entering a yard in a bucket) and solves plain
components as time-expanded networks. This reference instead enumerates every path: direct
(offer, need, bucket) and via a yard (offer, yard, need, entry bucket, exit bucket), with its own
haversine distances and its own recipe arithmetic, and solves the lexicographic levels as
integer programs with ``scipy.optimize.milp`` (HiGHS), one level at a time with the earlier optima
fixed. It shares only the bucket spreading (``matching.engine.buckets``, tested on its own) and
the horizon conversion with the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from matching.engine import Problem
from matching.engine.buckets import is_perishable, make_buckets, may_wait, spread
from matching.engine.horizon import need_base, offer_base, unit_mass_kg

EARTH_KM = 6371.0088


def road_km(lat1: float, lon1: float, lat2: float, lon2: float, circuity: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h))) * circuity


def _day(value, default):
    return default if value is None else value.toordinal()


def _blendable(spec, need) -> bool:
    r = need.recipe
    if r is None:
        return True
    if r.c_to_n is not None and None in (spec.moisture_pct, spec.nitrogen_pct_dry, spec.c_to_n):
        return False
    return not (r.moisture_pct is not None and spec.moisture_pct is None)


def _quality(spec) -> tuple[Fraction, Fraction, Fraction]:
    """(carbon, nitrogen, water %) per wet kg."""
    water = Fraction(spec.moisture_pct)
    n = (1 - water / 100) * Fraction(spec.nitrogen_pct_dry) / 100
    return n * Fraction(spec.c_to_n), n, water


@dataclass
class Reference:
    waste_kg: float
    moved_kg: float
    kgkm: float
    net_kg: float = 0.0  # net_climate: net avoided kg CO2e (the other fields are then 0)


def reference(problem: Problem) -> Reference:
    mats = {m.key: m for m in problem.materials}
    buckets = make_buckets(problem.horizon_start, problem.horizon_days, problem.time_step)
    lo_day, hi_day = -(2**62), 2**62
    offers = sorted(problem.offers, key=lambda o: o.id)
    needs = sorted(problem.needs, key=lambda n: n.id)
    supply = [offer_base(o, mats[o.material], problem)[0] for o in offers]
    demand = [need_base(n, tuple(mats[m] for m in n.materials), problem)[0] for n in needs]
    oslot = []
    for o, s in zip(offers, supply, strict=True):
        raw = spread(s, o.period, _day(o.available_from, lo_day), _day(o.available_until, hi_day), buckets)
        if o.period == "once" and raw:
            raw = [(b, q) for b, q in raw if may_wait(mats[o.material], buckets, raw[0][0], b)]
        oslot.append(dict(raw))
    nslot = [
        dict(spread(d, n.period, _day(n.available_from, lo_day), _day(n.available_until, hi_day), buckets))
        for n, d in zip(needs, demand, strict=True)
    ]
    c = problem.circuity
    # paths: (offer index, need index, yard index or -1, entry bucket, exit bucket, km, kg per unit)
    paths: list[tuple[int, int, int, int, int, float, float]] = []
    for i, o in enumerate(offers):
        spec = mats[o.material]
        w = float(unit_mass_kg(spec))
        omax = math.inf if o.max_distance_km is None else float(o.max_distance_km)
        for j, n in enumerate(needs):
            if o.material not in n.materials or not _blendable(spec, n):
                continue
            d = road_km(o.lat, o.lon, n.lat, n.lon, c)
            overlap = max(_day(o.available_from, lo_day), _day(n.available_from, lo_day)) <= min(
                _day(o.available_until, hi_day), _day(n.available_until, hi_day)
            )
            if (
                d <= min(float(n.max_distance_km), omax)
                and overlap
                and (o.id, n.id) not in problem.declined_pairs
                and supply[i] > 0
                and demand[j] > 0
            ):
                for t in sorted(oslot[i]):
                    if t in nslot[j]:
                        paths.append((i, j, -1, t, t, d, w))
            if len(buckets) < 2:
                continue
            for k, y in enumerate(sorted(problem.storages, key=lambda s: s.id)):
                if o.material not in y.materials or is_perishable(spec, buckets):
                    continue
                if y.unit == "piece" and not spec.is_piece:
                    continue
                l1 = road_km(o.lat, o.lon, y.lat, y.lon, c)
                l2 = road_km(y.lat, y.lon, n.lat, n.lon, c)
                # the whole route within both limits, as a direct delivery
                if l1 + l2 > min(omax, float(n.max_distance_km)) or supply[i] == 0 or demand[j] == 0:
                    continue
                active = set(
                    buckets.covering(_day(y.available_from, lo_day), _day(y.available_until, hi_day))
                )
                for e in sorted(oslot[i]):
                    for t in sorted(nslot[j]):
                        if (
                            t > e
                            and all(b in active for b in range(e, t + 1))
                            and may_wait(spec, buckets, e, t)
                        ):
                            paths.append((i, j, k, e, t, l1 + l2, w))
    if not paths:
        return Reference(0.0, 0.0, 0.0)
    yards = sorted(problem.storages, key=lambda s: s.id)
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, lo, hi)

    def add(coefs: dict[int, float], lo: float, hi: float) -> None:
        if coefs:
            rows.append((coefs, lo, hi))

    for i in range(len(offers)):
        add({p: 1.0 for p, q in enumerate(paths) if q[0] == i}, -np.inf, supply[i])
        if offers[i].period != "once":
            for t, cap in oslot[i].items():
                add({p: 1.0 for p, q in enumerate(paths) if q[0] == i and q[3] == t}, -np.inf, cap)
    for j in range(len(needs)):
        add({p: 1.0 for p, q in enumerate(paths) if q[1] == j}, -np.inf, demand[j])
        if needs[j].period != "once":
            for t, cap in nslot[j].items():
                add({p: 1.0 for p, q in enumerate(paths) if q[1] == j and q[4] == t}, -np.inf, cap)
    for k, y in enumerate(yards):
        yard_cap = float(Fraction(y.capacity) * (1000 if y.unit == "t" else 1))
        for t in range(len(buckets)):
            coefs = {}
            for p, q in enumerate(paths):
                if q[2] == k and q[3] <= t < q[4]:
                    coefs[p] = q[6] if y.unit == "t" else 1.0
            add(coefs, -np.inf, yard_cap)
    for j, n in enumerate(needs):
        r = n.recipe
        if r is None:
            continue
        into = [(p, q) for p, q in enumerate(paths) if q[1] == j]
        for share in r.shares:
            lo, hi = float(share.min), float(share.max)
            ind = {p: (1.0 if offers[q[0]].material == share.material else 0.0) for p, q in into}
            add({p: q[6] * (ind[p] - lo) for p, q in into}, 0, np.inf)
            add({p: q[6] * (hi - ind[p]) for p, q in into}, 0, np.inf)
        if r.c_to_n is not None:
            lo, hi = float(r.c_to_n[0]), float(r.c_to_n[1])
            qual = {p: _quality(mats[offers[q[0]].material]) for p, q in into}
            add({p: q[6] * float(qual[p][0] - Fraction(lo) * qual[p][1]) for p, q in into}, 0, np.inf)
            add({p: q[6] * float(Fraction(hi) * qual[p][1] - qual[p][0]) for p, q in into}, 0, np.inf)
        if r.moisture_pct is not None:
            lo, hi = float(r.moisture_pct[0]), float(r.moisture_pct[1])
            qual = {p: _quality(mats[offers[q[0]].material]) for p, q in into}
            add({p: q[6] * (float(qual[p][2]) - lo) for p, q in into}, 0, np.inf)
            add({p: q[6] * (hi - float(qual[p][2])) for p, q in into}, 0, np.inf)
    n_var = len(paths)
    waste = np.array(
        [
            q[6]
            if offers[q[0]].current_destination in ("landfill", "open_burning", "incineration", "unknown")
            else 0
            for q in paths
        ]
    )
    moved = np.array([q[6] for q in paths])
    kgkm = np.array([q[6] * q[5] for q in paths])
    ub = np.array(
        [min(supply[q[0]], demand[q[1]]) for q in paths],
        dtype=float,
    )
    freight = float(problem.road_freight_kg_per_tkm)
    handling = [float(y.handling_kg_co2e_per_t) for y in yards]
    climate = np.array(
        [
            q[6]
            / 1000
            * (
                float(
                    mats[offers[q[0]].material].net_before_transport_per_t(offers[q[0]].current_destination)
                )
                - q[5] * freight
                - (handling[q[2]] if q[2] >= 0 else 0.0)
            )
            for q in paths
        ]
    )
    levels = ((climate, -1),) if problem.objective == "net_climate" else ((waste, -1), (moved, -1), (kgkm, 1))
    values = []
    extra: list[tuple[np.ndarray, float, float]] = []
    for objective, sense in levels:
        a = lil_matrix((len(rows) + len(extra), n_var))
        lo_v, hi_v = [], []
        for r_i, (coefs, lo, hi) in enumerate(rows):
            for p, v in coefs.items():
                a[r_i, p] = v
            lo_v.append(lo)
            hi_v.append(hi)
        for r_i, (vec, lo, hi) in enumerate(extra, start=len(rows)):
            for col in np.flatnonzero(vec).tolist():
                a[r_i, col] = vec[col]
            lo_v.append(lo)
            hi_v.append(hi)
        res = milp(
            sense * objective,
            constraints=LinearConstraint(a.tocsr(), lo_v, hi_v),
            integrality=np.ones(n_var),
            bounds=Bounds(np.zeros(n_var), ub),
            options={"mip_rel_gap": 1e-9},
        )
        assert res.status == 0, res.message
        value = float(objective @ np.rint(res.x))
        values.append(value)
        slack = 1e-7 * max(1.0, abs(value))
        extra.append((objective, value - slack, np.inf) if sense < 0 else (objective, -np.inf, value + slack))
    if problem.objective == "net_climate":
        return Reference(0.0, 0.0, 0.0, values[0])
    return Reference(*values)
