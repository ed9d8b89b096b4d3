"""Issue 13 benchmark: the engine over time against the aggregate model, in the same run.

Usage::

    .venv/bin/python benchmarks/time_buckets_bench.py           # 5k × 5k pair, then 20k × 20k monthly
    .venv/bin/python benchmarks/time_buckets_bench.py --quick   # 5k × 5k pair only
    .venv/bin/python benchmarks/time_buckets_bench.py --quick --plain --yards   # + without yards/recipes
    .venv/bin/python benchmarks/time_buckets_bench.py --plain20k --workers 2    # 20k monthly network

The 5k × 5k instance is ``benchmarks.instances.generate`` with the catalogue's blending
properties and storage limits added (``shared/material-properties.csv``), 5 storage yards for
construction elements and 50 needs turned into compost blends (chicken manure + straw + cattle
manure, C:N 25–30, moisture 50–60 %). It is solved twice, each in its own subprocess so that the
peak RSS (``ru_maxrss``) belongs to that solve alone: ``time_step='none'`` (the aggregate model,
yards unused, blends as LPs) and ``time_step='month'`` (12 buckets). Targets: monthly ≤ 3× the
aggregate time and ≤ 2× its peak memory; 20k × 20k monthly within 60 s on 2 cores (run with 2
workers).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.instances import InstanceShape, generate  # noqa: E402
from matching.engine import Problem, solve, timed  # noqa: E402
from matching.engine.distance import GreatCircleDistance  # noqa: E402
from matching.engine.problem import Recipe, StorageInput  # noqa: E402
from matching.engine.timed import solve_timed  # noqa: E402

#: key: (moisture %, N % of dry matter, C:N, max storage days) from shared/material-properties.csv
PROPERTIES = {
    "chicken_manure": ("46", "3.6", "10", 180),
    "cattle_manure": ("79", "1.7", "18", 180),
    "straw": ("10", "0.4", "127", 365),
    "brewers_spent_grain": ("78", "3.8", "13", 4),
    "bread_residues": (None, None, None, 7),
    "fruit_veg_residues": ("85", "2.5", "20", 7),
    "coffee_grounds": ("60", "2.1", "22", 30),
}
YARD_MATERIALS = (
    ("precast_concrete_panel", "bricks"),
    ("construction_timber", "structural_steel_elements"),
    ("crushed_concrete_aggregate",),
    ("precast_concrete_panel", "construction_timber"),
    ("bricks", "crushed_concrete_aggregate", "structural_steel_elements"),
)
YARD_SITES = ((43.20, 76.85), (43.30, 76.95), (43.25, 77.05), (43.18, 76.62), (43.36, 76.80))
BLEND = ("cattle_manure", "chicken_manure", "straw")


#: the run's time limit (s): LP components share it; the bench must finish on a shared machine
TIME_LIMIT_S = float(os.environ.get("QAITA_BENCH_TIME_LIMIT", "120"))


def instance(size: int, time_step: str) -> Problem:
    base = generate(InstanceShape(size, size, seed=13))
    materials = []
    for spec in base.materials:
        props = PROPERTIES.get(spec.key)
        if props:
            moisture, nitrogen, cn, days = props
            spec = dataclasses.replace(
                spec,
                moisture_pct=Decimal(moisture) if moisture else None,
                nitrogen_pct_dry=Decimal(nitrogen) if nitrogen else None,
                c_to_n=Decimal(cn) if cn else None,
                max_storage_days=days,
            )
        materials.append(spec)
    needs = list(base.needs)
    blended = 0
    for i, need in enumerate(needs):
        if blended == 50:
            break
        if set(need.materials) & set(BLEND) and need.unit == "t":
            needs[i] = dataclasses.replace(
                need,
                materials=BLEND,
                recipe=Recipe(c_to_n=(Decimal(25), Decimal(30)), moisture_pct=(Decimal(50), Decimal(60))),
            )
            blended += 1
    yards = tuple(
        StorageInput(
            id=900 + k,
            materials=keys,
            lat=lat,
            lon=lon,
            capacity=Decimal(2000),
            unit="t",
            available_from=None,
            available_until=None,
            handling_kg_co2e_per_t=Decimal("2.5"),
        )
        for k, (keys, (lat, lon)) in enumerate(zip(YARD_MATERIALS, YARD_SITES, strict=True))
    )
    return dataclasses.replace(
        base,
        needs=tuple(needs),
        materials=tuple(materials),
        time_step=time_step,
        storages=yards,
        time_limit_s=TIME_LIMIT_S,
    )


def run_one(size: int, variant: str, workers: int = 1) -> dict[str, object]:
    """``variant`` is a time step, or ``<time step>-plain``: the same listings without yards and
    recipes (the time-expanded network alone), or ``<time step>-yards``: without recipes (the
    network and the yards' LP); a ``+ortools`` suffix solves every per-bucket part with OR-Tools'
    min-cost flow instead of the warm-started network simplex (the baseline). ``workers`` > 1
    calls the timed engine directly with that many forked workers for the network parts."""
    variant, _, baseline = variant.partition("+")
    if baseline == "ortools":  # the baseline: OR-Tools' min-cost flow on every per-bucket part
        timed.WARM_NETWORK_SIMPLEX = False
    time_step, _, plain = variant.partition("-")
    problem = instance(size, time_step)
    if plain:
        problem = dataclasses.replace(
            problem,
            storages=problem.storages if plain == "yards" else (),
            needs=tuple(dataclasses.replace(n, recipe=None) for n in problem.needs),
        )
    started = time.perf_counter()
    if workers > 1:
        solution, _ = solve_timed(
            problem, GreatCircleDistance(problem.circuity), started + problem.time_limit_s, workers=workers
        )
    else:
        solution = solve(problem)
    seconds = time.perf_counter() - started
    return {
        "size": size,
        "variant": variant + (f"+{baseline}" if baseline else ""),
        "workers": workers,
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # forked workers (their largest peak; they run alongside this process)
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "flows": len(solution.flows),
        "via_storage": sum(1 for f in solution.flows if f.via_storage is not None),
        "diverted_t": solution.diverted_kg / 1000,
        "proven_optimal": solution.proven_optimal,
        "lp_components": solution.stats.get("lp_components", 0),
        "gap": solution.stats.get("gap", 0.0),
        "timings": solution.stats.get("timings", {}),
        # column generation: the LPs' columns, those in the restricted LPs at the end, rounds
        "lp": solution.stats.get("lp", {}),
        "load": os.getloadavg()[0],
    }


def child(size: int, time_step: str, workers: int = 1) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(size), time_step, "--workers", str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5k × 5k pair only")
    parser.add_argument("--plain", action="store_true", help="also the pair without yards and recipes")
    parser.add_argument("--yards", action="store_true", help="also the monthly run without recipes")
    parser.add_argument(
        "--workers", type=int, default=1, help="also the plain monthly run with this many workers"
    )
    parser.add_argument(
        "--plain20k",
        action="store_true",
        help="only 20k x 20k monthly without yards and recipes, warm simplex and OR-Tools (--workers)",
    )
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "TIME_STEP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(int(args.child[0]), args.child[1], args.workers)))
        return
    print(f"load average before: {os.getloadavg()}")
    if args.plain20k:
        for variant in ("month-plain", "month-plain+ortools"):
            row = child(20000, variant, args.workers)
            print(json.dumps(row))
            seconds = float(row["seconds"])  # type: ignore[arg-type]
            print(f"20k x 20k {variant}, {args.workers} worker(s): {seconds:.1f} s (target <= 60 s)")
        print(f"load average after: {os.getloadavg()}")
        return
    rows = [child(5000, "none"), child(5000, "month")]
    if args.yards:
        yards = child(5000, "month-yards")
        print(json.dumps(yards))
        print(
            f"5k x 5k monthly with the yards, without recipes: {float(yards['seconds']):.1f} s, "  # type: ignore[arg-type]
            f"proven optimal: {yards['proven_optimal']}, {yards['via_storage']} flows via a yard"
        )
    if args.plain:
        plain = [child(5000, "none-plain"), child(5000, "month-plain"), child(5000, "month-plain+ortools")]
        for row in plain:
            print(json.dumps(row))
        print(
            "5k x 5k without yards and recipes, monthly: warm network simplex / OR-Tools per part: "
            f"{float(plain[1]['seconds']) / float(plain[2]['seconds']):.2f}x"  # type: ignore[arg-type]
        )
        if args.workers > 1:
            plain.append(child(5000, "month-plain", args.workers))
            print(json.dumps(plain[-1]))
        for row in plain[1:]:
            ratio = float(row["seconds"]) / float(plain[0]["seconds"])  # type: ignore[arg-type]
            mem = float(row["peak_mb"]) / float(plain[0]["peak_mb"])  # type: ignore[arg-type]
            print(
                f"5k x 5k without yards and recipes, monthly ({row['workers']} worker(s)) / aggregate: "
                f"time {ratio:.2f}x, memory {mem:.2f}x"
            )
    if not args.quick:
        # the target is on 2 cores: the engine's forked workers for network parts and LP components
        rows.append(child(20000, "month", max(args.workers, 2)))
    for row in rows:
        print(json.dumps(row))
    base, monthly = rows[0], rows[1]
    t_ratio = float(monthly["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
    m_ratio = float(monthly["peak_mb"]) / float(base["peak_mb"])  # type: ignore[arg-type]
    print(
        f"5k x 5k monthly / aggregate: time {t_ratio:.2f}x (target <= 3x), "
        f"memory {m_ratio:.2f}x (target <= 2x)"
    )
    if not args.quick:
        print(
            f"20k x 20k monthly with yards and blends, {rows[2]['workers']} workers: "
            f"{float(rows[2]['seconds']):.1f} s (target <= 60 s on 2 cores)"  # type: ignore[arg-type]
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
