"""Benchmark: writing a run's proposals, ``bulk_create`` against COPY (issue 16), on PostgreSQL.

Usage (after ``benchmarks/web_load.py`` has built its data set, or ``--database`` naming any
database with a succeeded run)::

    .venv/bin/python benchmarks/copy_write_bench.py [--repeat 5] [--times 2]

Takes the proposals of the latest run as templates (``--times`` copies of each, under a fresh
run), and inserts them with ``Proposal.objects.bulk_create(batch_size=1000)`` — the baseline,
what the run writer did before — and with :func:`matching.copy_write.copy_insert`, each inside a
transaction that is rolled back, alternately, ``--repeat`` times. Also times ``ANALYZE`` of the
run's tables. Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="qaita_bench_web")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--times", type=int, default=2, help="copies of each template proposal")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.web_settings"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import transaction

    from matching import copy_write
    from matching.models import MatchRun, Proposal, RunStatus

    latest = MatchRun.objects.filter(status=RunStatus.SUCCEEDED, dry_run=False).first()
    if latest is None:
        raise SystemExit("no succeeded run in this database: run benchmarks/web_load.py first")
    templates = list(Proposal.objects.filter(run=latest))

    def rows(run: MatchRun) -> list[Proposal]:
        made = []
        for _ in range(args.times):
            for t in templates:
                p = Proposal(
                    **{
                        f.attname: getattr(t, f.attname)
                        for f in Proposal._meta.concrete_fields
                        if f.attname not in ("id", "created_at")
                    }
                )
                p.run_id = p.first_run_id = run.pk
                made.append(p)
        return made

    def timed(write) -> float:
        try:
            with transaction.atomic():
                run = _run_like(latest)
                made = rows(run)
                # one more run per copy beyond the first, so that (run, offer, need) stays unique
                for k in range(1, args.times):
                    extra = _run_like(latest)
                    for p in made[k * len(templates) : (k + 1) * len(templates)]:
                        p.run_id = p.first_run_id = extra.pk
                t = time.perf_counter()
                write(made)
                elapsed = time.perf_counter() - t
                raise Rollback
        except Rollback:
            return elapsed

    def _run_like(run: MatchRun) -> MatchRun:
        copy = MatchRun.objects.get(pk=run.pk)
        copy.pk = None
        copy.is_open = False
        copy.save()
        return copy

    def bulk(made):
        Proposal.objects.bulk_create(made, batch_size=1000)

    def copy(made):
        copy_write.copy_insert(Proposal, made)

    n = len(templates) * args.times
    bulk_s, copy_s = [], []
    for _ in range(args.repeat):
        bulk_s.append(timed(bulk))
        copy_s.append(timed(copy))
    t = time.perf_counter()
    copy_write.analyze()
    analyze_s = time.perf_counter() - t
    load = os.getloadavg()
    print(f"{platform.node()}: {os.cpu_count()} CPUs; load average {load[0]:.1f} / {load[1]:.1f}")
    b, c = statistics.median(bulk_s), statistics.median(copy_s)
    print(f"{n} proposals, median of {args.repeat} (alternating, each rolled back)")
    print(f"baseline bulk_create(batch_size=1000): {b:.3f} s  ({n / b:,.0f} rows/s)")
    print(f"COPY (copy_write.copy_insert):        {c:.3f} s  ({n / c:,.0f} rows/s), {b / c:.2f}× faster")
    print(f"ANALYZE of the run's tables: {analyze_s:.3f} s")


if __name__ == "__main__":
    main()
