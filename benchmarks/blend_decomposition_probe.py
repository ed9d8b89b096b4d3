"""Issue 13, a measurement: Dantzig–Wolfe decomposition of the 5k monthly blend LP.

Usage::

    .venv/bin/python benchmarks/blend_decomposition_probe.py              # the decomposition alone
    .venv/bin/python benchmarks/blend_decomposition_probe.py --baseline   # then the engine's LP

The full 5k × 5k monthly instance of ``time_buckets_bench.py`` spends its time in one component:
1,584 offers, 1,254 needs (49 of them blends), 12 buckets, 1.6 M direct variables, no yards, all
listings periodic. Its only constraints that couple the buckets are the 196 recipe rows, so it is
a textbook case for Dantzig–Wolfe: each bucket is a transportation problem (solved on the warm
network simplex of :mod:`matching.engine.netsimplex`, its cost the level's objective less the
recipe rows' and fixed levels' duals, scaled to integers), and a small master LP (recipe rows,
earlier levels' values as rows, one convexity row per bucket) mixes whole bucket flows. Dual
prices are smoothed (Wentges, ``--alpha``), columns unused for 20 rounds are dropped.

This is not the engine: it measures whether the decomposition could meet the issue's 3× target,
and prints per level the rounds, the seconds in subproblems and master, the value and the
Lagrangian gap; ``--baseline`` then solves the same component with the engine's LP (column
generation over HiGHS interior point, :func:`matching.engine.timed._solve_lp`) in the same run.
Results and the reading of them: ``docs/benchmarks.md``, "Stop 18".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csc_matrix

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.time_buckets_bench import instance  # noqa: E402
from matching.engine import netsimplex, timed  # noqa: E402
from matching.engine.distance import GreatCircleDistance  # noqa: E402
from matching.engine.prepare import prepare  # noqa: E402

#: the largest scaled price on an arc (the kernel's costs are int64)
SCALE_TOP = 1e9
#: a level ends when its Lagrangian gap is below this (relative), or after MAX_ROUNDS
GAP = 1e-7
MAX_ROUNDS = 400


class Bucket:
    """One bucket's transportation problem on its own warm-started network simplex."""

    def __init__(
        self,
        solver: netsimplex.WarmTransport,
        idx: np.ndarray,
        arc: np.ndarray,
        n_arcs: int,
        supply: np.ndarray,
        demand: np.ndarray,
    ) -> None:
        self.solver, self.idx, self.arc = solver, idx, arc
        self.enabled = np.zeros(n_arcs, dtype=bool)
        self.enabled[arc] = True
        self.supply, self.demand = supply, demand

    def solve(
        self, price: np.ndarray | None, enabled: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The flow minimising ``price`` (per component variable; None: the engine's own
        lexicographic costs), as (variables carrying flow, their flows)."""
        s = self.solver
        if price is not None:
            per_arc = np.zeros(s.m_real)
            per_arc[self.arc] = price[self.idx]
            scale = SCALE_TOP / max(float(np.abs(price).max()), 1e-300)
            s.cost[: s.m_real, 1] = np.rint(per_arc * scale).astype(np.int64)
            s.cost[: s.m_real, 2] = 0
        flow = s.solve(self.supply, self.demand, self.enabled if enabled is None else enabled)[self.arc]
        nz = np.flatnonzero(flow)
        return self.idx[nz], flow[nz].astype(np.float64)


def probe(alpha: float) -> dict[str, Any]:
    started = time.perf_counter()
    problem = instance(5000, "month")
    prep = prepare(problem)
    net, arcs = timed._build(prep, GreatCircleDistance(problem.circuity))
    comps = timed._components(prep, net, arcs)
    blending = timed._blending(prep)
    comp = max(comps, key=lambda c: int(blending[c.needs].sum()))
    lp = timed._LP(prep, net, arcs, comp, integer=False)
    n_r = sum(
        len(timed.recipe_rows(prep.needs[n], prep.materials))
        for n in comp.needs[blending[comp.needs]].tolist()
    )
    recipes = lp.matrix[lp.matrix.shape[0] - n_r :, :].tocsc()
    levels = lp.levels
    arc_ids, arc_of = timed._sorted_unique(net.x_arc[comp.x])
    offer_ids, off_of = timed._dense_unique(arcs.offer[arc_ids], len(prep.offers))
    need_ids, need_of = timed._dense_unique(arcs.need[arc_ids], len(prep.needs))
    cost = arcs.cost[arc_ids].astype(np.int64)
    waste = np.asarray(prep.offer_waste[offer_ids], dtype=bool)
    xb = net.x_bucket[comp.x]
    buckets: list[Bucket] = []
    for b in np.unique(xb).tolist():
        idx = np.flatnonzero(xb == b)
        arc = arc_of[idx]
        on_o = np.zeros(offer_ids.size, dtype=bool)
        on_o[off_of[arc]] = True
        on_n = np.zeros(need_ids.size, dtype=bool)
        on_n[need_of[arc]] = True
        solver = netsimplex.WarmTransport(offer_ids.size, need_ids.size, off_of, need_of, cost, waste)
        buckets.append(
            Bucket(
                solver,
                idx,
                arc,
                arc_ids.size,
                np.where(on_o, net.offer_cap[offer_ids, b], 0).astype(np.int64),
                np.where(on_n, net.need_cap[need_ids, b], 0).astype(np.int64),
            )
        )
    into_blend = blending[need_ids[need_of]]
    built = time.perf_counter() - started
    # a column: [bucket, variables, flows, recipe activity, level values, rounds unused]
    cols: list[list[Any]] = []

    def add(k: int, sup: np.ndarray, val: np.ndarray) -> None:
        cols.append([k, sup, val, recipes[:, sup] @ val, np.array([v[sup] @ val for v, _ in levels]), 0])

    tick = time.perf_counter()
    for k, bucket in enumerate(buckets):
        add(k, *bucket.solve(None, bucket.enabled & ~into_blend))  # no blends: meets every recipe
        add(k, *bucket.solve(None))
    start_s = time.perf_counter() - tick
    fixed: list[tuple[int, float, bool]] = []
    report: list[dict[str, Any]] = []
    for li, (vec, maximise) in enumerate(levels):
        sign = -1.0 if maximise else 1.0
        rounds, master_s, sub_s = 0, 0.0, 0.0
        center: np.ndarray | None = None
        best = -np.inf
        value = gap = float("nan")
        while rounds < MAX_ROUNDS:
            rounds += 1
            if len(cols) > 600 and rounds % 10 == 0:
                cols[:] = [c for c in cols if c[5] < 20]
            activity = np.array([c[3] for c in cols]).T
            lv = np.array([c[4] for c in cols]).T
            rows = [-activity] + [(-lv[lj] if mx else lv[lj])[None, :] for lj, _, mx in fixed]
            rhs = [np.zeros(n_r)] + [
                np.array([-(v - 1e-7 * max(1.0, abs(v))) if mx else v + 1e-7 * max(1.0, abs(v))])
                for _, v, mx in fixed
            ]
            a_ub, b_ub = np.vstack(rows), np.concatenate(rhs)
            rs = 1.0 / np.maximum(np.abs(a_ub).max(axis=1), 1e-300)
            objective = sign * lv[li]
            osc = 1.0 / max(float(np.abs(objective).max()), 1e-300)
            conv = csc_matrix(
                (np.ones(len(cols)), ([c[0] for c in cols], np.arange(len(cols)))),
                shape=(len(buckets), len(cols)),
            )
            tick = time.perf_counter()
            res = linprog(
                objective * osc,
                A_ub=csc_matrix(a_ub * rs[:, None]),
                b_ub=b_ub * rs,
                A_eq=conv,
                b_eq=np.ones(len(buckets)),
                bounds=(0, None),
                method="highs-ds",
            )
            master_s += time.perf_counter() - tick
            if res.status != 0:
                raise SystemExit(f"master LP: {res.message}")
            for j, c in enumerate(cols):
                c[5] = 0 if res.x[j] > 1e-12 else c[5] + 1
            z = float(res.fun) / osc
            y = np.asarray(res.ineqlin.marginals) * rs / osc
            mu = np.asarray(res.eqlin.marginals) / osc

            def price_of(dual: np.ndarray, vec: np.ndarray = vec, sign: float = sign) -> np.ndarray:
                price = sign * vec + recipes.T @ dual[:n_r]
                for j, (lj, _, mx) in enumerate(fixed):
                    price -= dual[n_r + j] * (-levels[lj][0] if mx else levels[lj][0])
                return price

            sep = y if center is None else alpha * center + (1 - alpha) * y
            tick = time.perf_counter()
            while True:  # price at the smoothed duals; where nothing prices in, at the master's
                price = price_of(sep)
                bound = float(sep @ b_ub)
                found = [(k, *bucket.solve(price)) for k, bucket in enumerate(buckets)]
                bound += sum(float(price[sup] @ val) for _, sup, val in found)
                at_master = price_of(y)
                added = 0
                for k, sup, val in found:
                    if at_master[sup] @ val - mu[k] < -1e-9 * max(1.0, abs(z)):
                        add(k, sup, val)
                        added += 1
                if bound > best:
                    best, center = bound, sep.copy()
                if added or sep is y:
                    break
                sep = y
            sub_s += time.perf_counter() - tick
            gap = (z - best) / max(1.0, abs(z))
            value = sign * z
            if gap <= GAP or not added:
                break
        fixed.append((li, value, maximise))
        row = {
            "level": li,
            "rounds": rounds,
            "value": value,
            "gap": gap,
            "sub_s": round(sub_s, 2),
            "master_s": round(master_s, 2),
            "columns": len(cols),
        }
        print(json.dumps(row), flush=True)
        report.append(row)
    return {
        "build_s": round(built, 2),
        "start_s": round(start_s, 2),
        "levels": report,
        "seconds": round(time.perf_counter() - started, 2),
        "variables": int(comp.x.size),
        "recipe_rows": n_r,
    }


def baseline() -> dict[str, Any]:
    started = time.perf_counter()
    problem = instance(5000, "month")
    prep = prepare(problem)
    net, arcs = timed._build(prep, GreatCircleDistance(problem.circuity))
    blending = timed._blending(prep)
    comp = max(timed._components(prep, net, arcs), key=lambda c: int(blending[c.needs].sum()))
    tick = time.perf_counter()
    res = timed._solve_lp(prep, net, arcs, comp, float(problem.time_limit_s))
    return {
        "lp_s": round(time.perf_counter() - tick, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "bound": res.bound,
        "gap": res.gap,
        "lp": res.lp,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alpha", type=float, default=0.5, help="dual smoothing (0: none)")
    parser.add_argument("--baseline", action="store_true", help="then the engine's LP on the same component")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    out = probe(args.alpha)
    print(json.dumps(out))
    if args.baseline:
        print(json.dumps({"baseline": baseline()}))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
