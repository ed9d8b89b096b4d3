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
"""

from __future__ import annotations

import argparse
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


def run_size(size: int, workers: int, seed: int, fates: str, references: bool, repeat: int) -> dict:
    import numpy as np

    from benchmarks.instances import InstanceShape, generate
    from matching.engine import solve

    result: dict = {"size": size, "workers": workers, "fates": fates, "repeat": repeat}
    t = time.perf_counter()
    problem = generate(InstanceShape(size, size, seed=seed, fates=fates))
    result["generate_s"] = time.perf_counter() - t
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        solution = solve(problem, workers=workers)
        runs.append((time.perf_counter() - t, solution.stats["timings"]))
    result["engine_runs_s"] = [round(r[0], 3) for r in runs]
    result["engine_s"] = statistics.median(r[0] for r in runs)
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
    )

    prep, arcs, mass = _arcs(problem)
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
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_size(
            args.child, args.workers, args.seed, args.fates, not args.no_references, args.repeat
        )
        print(json.dumps(result))
        return
    print(machine(), flush=True)
    print(effective_cores(), flush=True)
    rows = []
    for size in args.sizes:
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
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if out.returncode:
            print(f"size {size} failed:\n{out.stderr}", file=sys.stderr)
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
