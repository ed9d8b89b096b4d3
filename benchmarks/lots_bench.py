"""Minimum-lots benchmark (issue 16, point 2): prints figures, asserts nothing.

    .venv/bin/python benchmarks/lots_bench.py                   # 5k offers x 5k needs
    .venv/bin/python benchmarks/lots_bench.py --size 1000 --repeat 1

The instance is ``benchmarks/instances.py``'s Almaty-like set (no lots); this script then gives a
minimum lot of 5-20 % of the listing's quantity to 1 % of the offers and 1 % of the needs, drawn
from their own seeded stream, so the instance with lots has exactly the listings (and the
candidate arcs, bar those whose lot no longer fits) of the one without. Both are solved in the
same run, alternately, ``--repeat`` times; the best and median times and their ratios (target:
at most 3x, judged on the best runs, the least disturbed by other load) are printed, with
proven_optimal, the components whose relaxation broke a lot, the min-cost flows the branch and
bound solved and whether CP-SAT was needed, for both objectives. ``--share`` and ``--seed``
change the share of listings with a lot and the lots' stream.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.engine_bench import effective_cores, machine  # noqa: E402
from benchmarks.instances import InstanceShape, generate  # noqa: E402
from matching.engine import Problem, Solution, solve  # noqa: E402

TARGET_RATIO = 3.0


def with_lots(problem: Problem, share: float, seed: int) -> Problem:
    """``problem`` with a lot of 5-20 % of the quantity on ``share`` of the offers and of the needs."""
    rng = random.Random(seed)

    def lot(listing):
        value = (listing.quantity * Decimal(str(round(rng.uniform(0.05, 0.20), 2)))).quantize(
            Decimal("0.001")
        )
        return dataclasses.replace(listing, min_lot=value) if value > 0 else listing

    offers = tuple(lot(o) if rng.random() < share else o for o in problem.offers)
    needs = tuple(lot(n) if rng.random() < share else n for n in problem.needs)
    return dataclasses.replace(problem, offers=offers, needs=needs)


def _timed(problem: Problem, workers: int) -> tuple[float, Solution]:
    t = time.perf_counter()
    solution = solve(problem, workers=workers)
    return time.perf_counter() - t, solution


def run(size: int, objective: str, share: float, seed: int, repeat: int, workers: int) -> None:
    plain = generate(InstanceShape(size, size, seed=1), objective=objective)
    lotted = with_lots(plain, share, seed)
    listings = sum(x.min_lot is not None for x in lotted.offers + lotted.needs)
    plain_runs, lot_runs = [], []
    for _ in range(repeat):
        seconds, plain_solution = _timed(plain, workers)
        plain_runs.append(seconds)
        seconds, lot_solution = _timed(lotted, workers)
        lot_runs.append(seconds)
    # the fastest run of each is the least disturbed by other load on the machine; medians too
    t_plain, t_lots = min(plain_runs), min(lot_runs)
    m_plain, m_lots = statistics.median(plain_runs), statistics.median(lot_runs)
    stats = lot_solution.stats
    bound = lot_solution.bound if lot_solution.bound is not None else float("nan")
    ratio = t_lots / t_plain
    print(
        f"{size}x{size} {objective}: {listings} of {2 * size} listings with a lot, "
        f"{stats['discrete_components']} components with lots, {stats['lot_search_components']} "
        f"whose relaxation broke a lot"
    )
    runs = [round(r, 2) for r in plain_runs]
    print(
        f"  without lots: best {t_plain:.2f} s, median {m_plain:.2f} s (runs {runs}), "
        f"proven {plain_solution.proven_optimal}"
    )
    runs = [round(r, 2) for r in lot_runs]
    print(
        f"  with lots:    best {t_lots:.2f} s, median {m_lots:.2f} s (runs {runs}), "
        f"proven {lot_solution.proven_optimal}, "
        f"branch-and-bound min-cost flows {stats['lot_search_nodes']}, "
        f"CP-SAT components {stats['cp_sat_components']}"
    )
    if objective == "divert_then_distance":
        print(
            f"  diverted {lot_solution.diverted_kg / 1000:.1f} t (bound {bound / 1000:.1f} t) "
            f"vs {plain_solution.diverted_kg / 1000:.1f} t without lots; "
            f"tkm {lot_solution.tkm:.0f} vs {plain_solution.tkm:.0f}"
        )
    else:
        print(
            f"  net {lot_solution.net_co2e_kg / 1000:.1f} t CO2e (bound {bound / 1000:.1f}) "
            f"vs {plain_solution.net_co2e_kg / 1000:.1f} t without lots"
        )
    verdict = "met" if ratio <= TARGET_RATIO and lot_solution.proven_optimal else "NOT met"
    print(
        f"  ratio {ratio:.2f}x best to best, {m_lots / m_plain:.2f}x median to median "
        f"(target <= {TARGET_RATIO:.0f}x, proven optimal): {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--share", type=float, default=0.01, help="share of listings with a lot")
    parser.add_argument("--seed", type=int, default=16, help="seed of the lots' stream")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--objectives",
        nargs="+",
        default=["divert_then_distance", "net_climate"],
        choices=["divert_then_distance", "net_climate"],
    )
    args = parser.parse_args()
    print(machine())
    print(effective_cores())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for objective in args.objectives:
        run(args.size, objective, args.share, args.seed, args.repeat, args.workers)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
