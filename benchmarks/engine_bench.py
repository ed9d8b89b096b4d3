"""Matching-engine benchmark: prints figures, asserts nothing.

    .venv/bin/python benchmarks/engine_bench.py                 # 1k, 5k and 20k
    .venv/bin/python benchmarks/engine_bench.py --sizes 5000 --workers 1
    .venv/bin/python benchmarks/engine_bench.py --sizes 5000 --fates landfill --no-references

Each size runs in its own subprocess so that peak RSS (ru_maxrss) belongs to that size alone.
Per size it reports the engine's timings, arcs and components, then on the same instance
(a) a greedy baseline — each need, in id order, takes the nearest compatible offers — and its
extra waste left in its fate and tonne-km relative to the optimum, and (b) outside references:
HiGHS (SciPy's LP, lexicographic by three solves: waste-bound units, all units, unit·metres) and
networkx (maximum flows, then network simplex at those values), where they finish in reasonable
time; skipped sizes are reported as skipped. ``--fates`` picks the offers' current destinations
(``mixed``, the default, or ``landfill``: the mix before issue 10), ``--repeat`` solves the
instance several times and reports the median.

``--baseline`` (issue 16, needs ``--fates landfill``) adds the plain OR-Tools baseline of
:func:`plain_baseline` and runs engine and baseline alternately, each in a fresh process,
``--rounds`` times per size. Per size it prints both times (wall and CPU, with the phases), their
ratio, bytes per arc at peak for both — (VmHWM after the solve − VmRSS after imports and
instance, the high-water mark reset just before the solve) / arcs — and checks that both find
the same arcs (a digest of the sorted id pairs) and the same objective (units moved,
unit·metres).

    .venv/bin/python benchmarks/engine_bench.py --sizes 5000 20000 --fates landfill \
        --no-references --workers 1 --baseline --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LP_MAX_SIZE = 5000  # SciPy/HiGHS LP: ~1 min and several GB beyond this
NX_MAX_SIZE = 1000  # networkx network simplex: minutes beyond this


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _arcs(problem):
    """The engine's own candidate arcs, so every method sees the same instance."""
    import numpy as np

    from matching.engine.candidates import candidate_arcs
    from matching.engine.distance import GreatCircleDistance
    from matching.engine.prepare import prepare

    prep = prepare(problem)
    arcs = candidate_arcs(prep, GreatCircleDistance(problem.circuity))
    mass = np.array([float(prep.unit_mass_kg(o.material)) for o in prep.offers])
    return prep, arcs, mass


def greedy(prep, arcs, mass):
    """Each need in id order takes its nearest offers until it is full.

    Returns (waste-bound kg moved, tonne-km).
    """
    import numpy as np

    left = prep.offer_supply.astype(np.int64).copy()
    order = np.lexsort((arcs.distance_km, arcs.need))
    need_sorted = arcs.need[order]
    starts = np.searchsorted(need_sorted, np.arange(len(prep.needs) + 1))
    diverted_kg = tkm = 0.0
    offers, dist = arcs.offer[order].tolist(), arcs.distance_km[order].tolist()
    for j in range(len(prep.needs)):
        want = int(prep.need_demand[j])
        for k in range(starts[j], starts[j + 1]):
            if want == 0:
                break
            o = offers[k]
            take = min(want, int(left[o]))
            if take:
                left[o] -= take
                want -= take
                diverted_kg += take * mass[o] if prep.offer_waste[o] else 0
                tkm += take * mass[o] / 1000 * dist[k]
    return diverted_kg, tkm


def highs_lp(prep, arcs):
    """Lexicographic optimum by three HiGHS LP solves (waste units, units, unit·metres).

    Each level's optimum is fixed as a constraint (≥ optimum − 0.5) for the next. The
    transportation matrix is totally unimodular, but the fixed-level rows make the last LPs
    merely near-integral, so their values are compared, not their vertices.
    """
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, vstack

    m = len(arcs)
    rows_o = csr_matrix((np.ones(m), (arcs.offer, np.arange(m))), shape=(len(prep.offers), m))
    rows_n = csr_matrix((np.ones(m), (arcs.need, np.arange(m))), shape=(len(prep.needs), m))
    a_ub = vstack([rows_o, rows_n]).tocsr()
    b_ub = np.r_[prep.offer_supply, prep.need_demand].astype(float)
    waste = prep.offer_waste[arcs.offer].astype(float)
    first = linprog(-waste, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    waste_units = -first.fun
    a_ub = vstack([a_ub, csr_matrix(-waste.reshape(1, m))]).tocsr()
    b_ub = np.r_[b_ub, -(waste_units - 0.5)]
    second = linprog(-np.ones(m), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    units = -second.fun
    a_ub = vstack([a_ub, csr_matrix(-np.ones((1, m)))]).tocsr()
    b_ub = np.r_[b_ub, -(units - 0.5)]
    third = linprog(arcs.cost.astype(float), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    return round(waste_units), round(units), round(third.fun)


def network_simplex(prep, arcs):
    """Lexicographic optimum by networkx: two maximum-flow values, then network simplex at them."""
    import networkx as nx

    def network(feed_other: bool):
        graph = nx.DiGraph()
        for i, s in enumerate(prep.offer_supply.tolist()):
            waste = bool(prep.offer_waste[i])
            graph.add_edge("S" if waste else "So", ("o", i), capacity=s, weight=0)
        graph.add_edge("S", "So", capacity=sum(prep.offer_supply.tolist()) if feed_other else 0, weight=0)
        for j, d in enumerate(prep.need_demand.tolist()):
            graph.add_edge(("n", j), "T", capacity=d, weight=0)
        for o, n, c in zip(arcs.offer.tolist(), arcs.need.tolist(), arcs.cost.tolist(), strict=True):
            cap = min(int(prep.offer_supply[o]), int(prep.need_demand[n]))
            graph.add_edge(("o", o), ("n", n), capacity=cap, weight=c)
        return graph

    waste_units = nx.maximum_flow_value(network(False), "S", "T")
    graph = network(True)
    units = nx.maximum_flow_value(graph, "S", "T")
    graph.remove_edge("S", "So")
    graph.nodes["S"]["demand"], graph.nodes["So"]["demand"] = -waste_units, -(units - waste_units)
    graph.nodes["T"]["demand"] = units
    cost, _ = nx.network_simplex(graph)
    return waste_units, units, cost


def _status_kb(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of this process, in kB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _start_memory() -> int:
    """RSS now (kB), with the peak reset to it: what follows is measured from here.

    Writing 5 to ``/proc/self/clear_refs`` resets the kernel's high-water mark (VmHWM, the
    figure behind ru_maxrss) to the current RSS, so the peak read later belongs to the solve
    alone and not to the instance generation before it.
    """
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _status_kb("VmRSS")


def _bytes_per_arc(start_kb: int, arcs: int) -> float:
    """(peak RSS − RSS after imports and instance) / arcs, in bytes."""
    return (_status_kb("VmHWM") - start_kb) * 1024 / max(arcs, 1)


def plain_baseline(problem, start_kb: int) -> dict:
    """The plain OR-Tools baseline: what a careful script without the engine would do.

    It reads the instance through ``prepare`` (validated listings as id-ordered arrays of base
    units; timed, as the engine's own preparation is) and shares nothing else with
    ``matching.engine``: per material a k-d tree over the offers' unit vectors and one
    ``query_ball_point`` call for every need accepting the material (radius = the need's limit
    over the circuity), the same road distance (great circle × circuity, from the chord) and
    filters (both ends' distance limits, overlapping windows, lots that fit, declined pairs),
    integer metre costs, SciPy's connected components, and one ``SimpleMinCostFlow`` per
    component solved by ``solve_max_flow_with_min_cost`` — the whole objective when every offer
    is waste-bound (``--fates landfill``), so one level suffices. Returns its timings, the
    units moved, their unit·metres and a digest of the sorted (offer id, need id) pairs.
    """
    import numpy as np
    from ortools.graph.python import min_cost_flow
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from matching.engine.prepare import prepare

    radius_km = 6371.0088
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    prep = prepare(problem)
    if not prep.offer_waste.all():
        raise SystemExit("the plain baseline solves one level: run it with --fates landfill")
    t1 = time.perf_counter()

    def xyz(lat, lon):
        phi, lmb = np.radians(lat), np.radians(lon)
        return np.column_stack((np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)))

    circuity = float(problem.circuity)
    offer_key = np.array([o.material for o in prep.offers], dtype=object)
    n_off, n_need = len(prep.offers), len(prep.needs)
    declined = {(int(a), int(b)) for a, b in problem.declined_pairs}  # ids; mapped to positions below
    offer_pos = {oid: i for i, oid in enumerate(prep.offer_id.tolist())}
    need_pos = {nid: j for j, nid in enumerate(prep.need_id.tolist())}
    declined_keys = np.array(
        sorted(offer_pos[a] * n_need + need_pos[b] for a, b in declined if a in offer_pos and b in need_pos),
        dtype=np.int64,
    )
    parts_o, parts_n, parts_c = [], [], []
    for key in sorted(prep.materials):
        offers = np.flatnonzero((offer_key == key) & (prep.offer_supply > 0)).astype(np.int32)
        needs = np.array(
            [j for j, n in enumerate(prep.needs) if key in n.materials and prep.need_demand[j] > 0],
            dtype=np.int32,
        )
        if not (offers.size and needs.size):
            continue
        o_xyz = xyz(prep.offer_lat[offers], prep.offer_lon[offers])
        n_xyz = xyz(prep.need_lat[needs], prep.need_lon[needs])
        angle = prep.need_max_km[needs] / circuity / radius_km
        chord = 2 * np.sin(np.minimum(angle, np.pi) / 2) * (1 + 1e-9) + 1e-12
        hits = cKDTree(o_xyz).query_ball_point(n_xyz, r=chord, workers=2, return_sorted=False)
        count = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
        local_o = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int32, count=int(count.sum()))
        del hits
        local_n = np.repeat(np.arange(needs.size, dtype=np.int32), count)
        chord_ab = np.sqrt(((o_xyz[local_o] - n_xyz[local_n]) ** 2).sum(axis=1))
        km = 2 * radius_km * np.arcsin(np.minimum(chord_ab / 2, 1)) * circuity
        del chord_ab
        o, n = offers[local_o], needs[local_n]
        del local_o, local_n
        keep = km <= np.minimum(prep.need_max_km[n], prep.offer_max_km[o])
        keep &= np.maximum(prep.offer_from[o], prep.need_from[n]) <= np.minimum(
            prep.offer_until[o], prep.need_until[n]
        )
        lot = np.maximum(prep.offer_lot[o], prep.need_lot[n])
        keep &= lot <= np.minimum(prep.offer_supply[o], prep.need_demand[n])
        if declined_keys.size:
            keep &= ~np.isin(o.astype(np.int64) * n_need + n, declined_keys)
        parts_o.append(o[keep])
        parts_n.append(n[keep])
        parts_c.append(np.rint(km[keep] * 1000).astype(np.int64))
        del o, n, km, keep, lot
    arc_o, arc_n, arc_cost = (np.concatenate(p) for p in (parts_o, parts_n, parts_c))
    del parts_o, parts_n, parts_c
    t2 = time.perf_counter()

    graph = coo_matrix(
        (np.ones(arc_o.size, dtype=np.int8), (arc_o, arc_n.astype(np.int64) + n_off)),
        shape=(n_off + n_need, n_off + n_need),
    )
    count, labels = connected_components(graph, directed=False)
    del graph
    order = np.argsort(labels[arc_o], kind="stable")
    arc_o, arc_n, arc_cost = arc_o[order], arc_n[order], arc_cost[order]
    bounds = np.searchsorted(labels[arc_o], np.arange(count + 1))
    del order
    # each component's nodes, numbered 0.. in its own SimpleMinCostFlow
    node_order = np.argsort(labels, kind="stable")
    node_bounds = np.searchsorted(labels[node_order], np.arange(count + 1))
    local = np.empty(labels.size, dtype=np.int32)
    local[node_order] = np.arange(labels.size) - node_bounds[labels[node_order]]
    supply = np.concatenate([prep.offer_supply, -prep.need_demand])
    t3 = time.perf_counter()

    units = cost = 0
    for c in range(count):
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        if lo == hi:
            continue
        o, n = arc_o[lo:hi], arc_n[lo:hi]
        nodes = node_order[node_bounds[c] : node_bounds[c + 1]]
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(
            local[o],
            local[n.astype(np.int64) + n_off],
            np.minimum(prep.offer_supply[o], prep.need_demand[n]),
            arc_cost[lo:hi],
        )
        smcf.set_nodes_supplies(np.arange(nodes.size), supply[nodes])
        if smcf.solve_max_flow_with_min_cost() != smcf.OPTIMAL:
            raise RuntimeError(f"component {c}: not optimal")
        units += int(smcf.maximum_flow())
        cost += int(smcf.optimal_cost())
        del smcf
    t4 = time.perf_counter()
    bytes_per_arc = _bytes_per_arc(start_kb, int(arc_o.size))
    return {
        "bytes_per_arc": bytes_per_arc,
        "peak_rss_mb": _status_kb("VmHWM") / 1024,
        "arcs": int(arc_o.size),
        "components": int(np.count_nonzero(np.diff(bounds))),
        "prepare_s": t1 - t0,
        "candidates_s": t2 - t1,
        "components_s": t3 - t2,
        "flow_s": t4 - t3,
        "total_s": t4 - t0,
        "cpu_s": time.process_time() - cpu0,
        "units": units,
        "unit_metres": cost,
        "pairs": _pairs_digest(prep.offer_id[arc_o], prep.need_id[arc_n]),
    }


def _pairs_digest(offer_ids, need_ids) -> str:
    """SHA-256 of the sorted (offer id, need id) pairs: equal digests, equal arc sets."""
    import numpy as np

    keys = np.asarray(offer_ids, dtype=np.int64) * (2**31) + np.asarray(need_ids, dtype=np.int64)
    keys.sort()
    return hashlib.sha256(keys.tobytes()).hexdigest()[:16]


def run_baseline(size: int, seed: int, fates: str) -> dict:
    from benchmarks.instances import InstanceShape, generate

    problem = generate(InstanceShape(size, size, seed=seed, fates=fates))
    start_kb = _start_memory()
    return {"size": size, "start_rss_mb": start_kb / 1024, **plain_baseline(problem, start_kb)}


def run_size(
    size: int, workers: int, seed: int, fates: str, references: bool, repeat: int, greedy_too: bool = True
) -> dict:
    import numpy as np

    from benchmarks.instances import InstanceShape, generate
    from matching.engine import solve

    result: dict = {"size": size, "workers": workers, "fates": fates, "repeat": repeat}
    t = time.perf_counter()
    problem = generate(InstanceShape(size, size, seed=seed, fates=fates))
    result["generate_s"] = time.perf_counter() - t
    start_kb = _start_memory()
    result["start_rss_mb"] = start_kb / 1024
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        cpu = time.process_time()
        solution = solve(problem, workers=workers)
        runs.append((time.perf_counter() - t, solution.stats["timings"], time.process_time() - cpu))
    result["engine_runs_s"] = [round(r[0], 3) for r in runs]
    result["engine_s"] = statistics.median(r[0] for r in runs)
    # CPU seconds of this process (all its threads; forked workers not included)
    result["engine_cpu_s"] = statistics.median(r[2] for r in runs)
    timings = {key: statistics.median(r[1][key] for r in runs) for key in runs[0][1]}
    result.update(
        prepare_s=timings["prepare"],
        candidates_s=timings["candidates"],
        components_s=timings["components"],
        flow_s=timings["flow"],
        arcs=solution.stats["arcs"],
        components=solution.stats["components"],
        proven=solution.proven_optimal,
        supply_t=solution.supply_kg / 1000,
        waste_t=solution.waste_kg / 1000,
        diverted_t=solution.diverted_kg / 1000,
        landfilled_t=solution.landfilled_kg / 1000,
        other_moved_t=solution.other_moved_kg / 1000,
        tkm=solution.tkm,
        peak_rss_mb=_peak_mb(),
        worker_peak_rss_mb=_children_peak_mb(),
        bytes_per_arc=_bytes_per_arc(start_kb, solution.stats["arcs"]),
        # the objective in solver units: units moved and their unit·metres
        units=sum(f.quantity for f in solution.flows),
        unit_metres=sum(f.quantity * int(np.rint(f.distance_km * 1000)) for f in solution.flows),
    )
    if not greedy_too:
        return result

    prep, arcs, mass = _arcs(problem)
    result["pairs"] = _pairs_digest(prep.offer_id[arcs.offer], prep.need_id[arcs.need])
    t = time.perf_counter()
    g_diverted, g_tkm = greedy(prep, arcs, mass)
    result["greedy_s"] = time.perf_counter() - t
    g_landfilled = solution.waste_kg - g_diverted
    result["greedy_extra_landfill_pct"] = (
        100 * (g_landfilled - solution.landfilled_kg) / max(solution.landfilled_kg, 1)
    )
    result["greedy_extra_landfill_t"] = (g_landfilled - solution.landfilled_kg) / 1000
    result["greedy_extra_tkm_pct"] = 100 * (g_tkm - solution.tkm) / max(solution.tkm, 1e-9)

    # the engine's own levels in solver units, for exact comparison with the references
    waste_ids = set(prep.offer_id[prep.offer_waste].tolist())
    engine_waste_units = sum(f.quantity for f in solution.flows if f.offer_id in waste_ids)
    engine_units = sum(f.quantity for f in solution.flows)
    cost_of = {
        (int(prep.offer_id[o]), int(prep.need_id[n])): int(c)
        for o, n, c in zip(arcs.offer, arcs.need, arcs.cost, strict=True)
    }
    engine_cost = sum(f.quantity * cost_of[(f.offer_id, f.need_id)] for f in solution.flows)
    result["lp_s"] = result["nx_s"] = None
    if references and size <= LP_MAX_SIZE:
        t = time.perf_counter()
        waste_units, units, cost = highs_lp(prep, arcs)
        result["lp_s"] = time.perf_counter() - t
        # an LP in floating point: equal units, cost equal to HiGHS's relative tolerance
        result["lp_equal"] = (
            waste_units == engine_waste_units
            and units == engine_units
            and abs(cost - engine_cost) <= 1e-7 * engine_cost
        )
        result["lp_cost_rel_diff"] = (cost - engine_cost) / max(engine_cost, 1)
    if references and size <= NX_MAX_SIZE:
        t = time.perf_counter()
        waste_units, units, cost = network_simplex(prep, arcs)
        result["nx_s"] = time.perf_counter() - t
        result["nx_equal"] = (waste_units, units, cost) == (engine_waste_units, engine_units, engine_cost)
    del np
    return result


def machine() -> str:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    import numpy
    import ortools
    import scipy

    return "\n".join(
        [
            f"nproc: {sh('nproc')}",
            sh("lscpu | head -n 15"),
            f"memory: {sh('free -g | sed -n 2p')}",
            # ortools sets __version__ at run time; its type information does not declare it
            f"python {platform.python_version()}, ortools {ortools.__version__}, "  # type: ignore[attr-defined]
            f"numpy {numpy.__version__}, scipy {scipy.__version__}",
        ]
    )


_SPIN = "import time; t = time.perf_counter(); sum(range(30_000_000)); print(time.perf_counter() - t)"


def effective_cores() -> str:
    """How much parallel CPU the machine gives right now: shared VMs often give less than nproc."""

    def spin(count: int) -> float:
        procs = [
            subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return max(float(p.communicate()[0]) for p in procs)

    one, two = spin(1), spin(2)
    return (
        f"CPU check: one spinning process {one:.2f} s, two at once {two:.2f} s "
        f"-> about {2 * one / two:.1f} cores available"
    )


COLUMNS = (
    "offers × needs",
    "fates",
    "arcs",
    "components",
    "candidates s",
    "solve (flow) s",
    "engine total s",
    "peak RSS MB (main / worker)",
    "waste / diverted / other moved t",
    "greedy extra waste left",
    "greedy extra t·km",
    "HiGHS LP s (equal)",
    "networkx s (equal)",
)


def table(rows: list[dict]) -> str:
    def checked(seconds, equal) -> str:
        return "skipped" if seconds is None else f"{seconds:.2f} ({'yes' if equal else 'NO'})"

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        cells = (
            f"{r['size']:,} × {r['size']:,}",
            r["fates"],
            f"{r['arcs']:,}",
            str(r["components"]),
            f"{r['candidates_s']:.2f}",
            f"{r['flow_s']:.2f}",
            f"{r['engine_s']:.2f}",
            f"{r['peak_rss_mb']:.0f} / {r['worker_peak_rss_mb']:.0f}",
            f"{r['waste_t']:,.0f} / {r['diverted_t']:,.0f} / {r['other_moved_t']:,.0f}",
            f"{r['greedy_extra_landfill_t']:,.0f} t (+{r['greedy_extra_landfill_pct']:.1f} %)",
            f"{r['greedy_extra_tkm_pct']:+.1f} %",
            checked(r["lp_s"], r.get("lp_equal")),
            checked(r["nx_s"], r.get("nx_equal")),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison(pairs: list[tuple[list[dict], list[dict]]]) -> str:
    """The issue-16 table: engine against the plain baseline, medians over the rounds."""
    cols = (
        "offers × needs",
        "arcs (same pairs)",
        "engine s (cand / comp / flow)",
        "baseline s (cand / comp / flow)",
        "ratio (target ≤ 1.1)",
        "CPU-time ratio",
        "engine B/arc (target ≤ 80)",
        "baseline B/arc",
        "same objective (units, unit·m)",
    )
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for engine_rows, base_rows in pairs:
        e, b = engine_rows[0], base_rows[0]

        def med(rows: list[dict], key: str) -> float:
            return statistics.median(r[key] for r in rows)

        both = list(zip(engine_rows, base_rows, strict=True))
        ratio = statistics.median(er["engine_s"] / br["total_s"] for er, br in both)
        cpu_ratio = statistics.median(er["engine_cpu_s"] / br["cpu_s"] for er, br in both)
        same_obj = all(
            (er["units"], er["unit_metres"]) == (br["units"], br["unit_metres"]) for er, br in both
        )
        bpa = med(engine_rows, "bytes_per_arc")
        cells = (
            f"{e['size']:,} × {e['size']:,}",
            f"{e['arcs']:,} ({'yes' if e.get('pairs') == b['pairs'] and e['arcs'] == b['arcs'] else 'NO'})",
            f"{med(engine_rows, 'engine_s'):.2f} ({med(engine_rows, 'candidates_s'):.2f} / "
            f"{med(engine_rows, 'components_s'):.2f} / {med(engine_rows, 'flow_s'):.2f})",
            f"{med(base_rows, 'total_s'):.2f} ({med(base_rows, 'candidates_s'):.2f} / "
            f"{med(base_rows, 'components_s'):.2f} / {med(base_rows, 'flow_s'):.2f})",
            f"{ratio:.2f} ({'met' if ratio <= 1.1 else 'NOT met'})",
            f"{cpu_ratio:.2f}",
            f"{bpa:.0f} ({'met' if bpa <= 80 else 'NOT met'})",
            f"{med(base_rows, 'bytes_per_arc'):.0f}",
            f"{'yes' if same_obj else 'NO'} ({e['units']:,}, {e['unit_metres']:,})",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _child(args: argparse.Namespace, size: int, *extra: str) -> dict | None:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--workers",
            str(args.workers),
            "--seed",
            str(args.seed),
            "--fates",
            args.fates,
            "--repeat",
            str(args.repeat),
            *(["--no-references"] if args.no_references else []),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode:
        print(f"size {size} failed:\n{out.stderr}", file=sys.stderr)
        return None
    row: dict = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--workers", type=int, default=2, help="processes for min-cost-flow components")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fates", choices=("mixed", "landfill"), default="mixed")
    parser.add_argument("--repeat", type=int, default=1, help="solves per size (the median is reported)")
    parser.add_argument("--no-references", action="store_true", help="skip the HiGHS and networkx checks")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run the plain OR-Tools baseline (needs --fates landfill), engine and baseline "
        "alternating in fresh processes",
    )
    parser.add_argument("--rounds", type=int, default=1, help="engine/baseline pairs per size (--baseline)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-lean", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline and args.fates != "landfill":
        parser.error("--baseline compares one level (every offer waste-bound): add --fates landfill")
    if args.child:
        if args.child_baseline:
            result = run_baseline(args.child, args.seed, args.fates)
        else:
            result = run_size(
                args.child,
                args.workers,
                args.seed,
                args.fates,
                not args.no_references,
                args.repeat,
                greedy_too=not args.child_lean,
            )
        print(json.dumps(result))
        return
    print(machine(), flush=True)
    print(effective_cores(), flush=True)
    print(f"load average before: {os.getloadavg()}", flush=True)
    rows = []
    compared = []
    for size in args.sizes:
        engine_rows, base_rows = [], []
        for round_ in range(args.rounds if args.baseline else 1):
            # odd rounds run the baseline first, so a drift in the host's load favours neither
            base = _child(args, size, "--child-baseline") if args.baseline and round_ % 2 else None
            row = _child(args, size, *(["--child-lean"] if round_ else []))
            if row is None:
                break
            if not round_:
                rows.append(row)
            engine_rows.append(row)
            if args.baseline and base is None:
                base = _child(args, size, "--child-baseline")
            if base is not None:
                base_rows.append(base)
            print(f"load average: {os.getloadavg()}", flush=True)
        if args.baseline and engine_rows and len(base_rows) == len(engine_rows):
            compared.append((engine_rows, base_rows))
    print()
    print(table(rows))
    if compared:
        print()
        print(
            "Engine against the plain OR-Tools baseline (fresh process each; B/arc = (peak RSS − RSS "
            "after imports and instance) / arcs; medians over rounds):"
        )
        print(comparison(compared))
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
