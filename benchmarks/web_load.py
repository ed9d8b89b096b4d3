"""Load test of the busiest pages under gunicorn, loopback only, bounded in time (issue 16).

Usage (PostgreSQL at 127.0.0.1:5432 with trust auth; ``wrk`` installed: ``apt-get install wrk``)::

    .venv/bin/python benchmarks/web_load.py [--duration 5] [--concurrency 1 8 32] [--redis URL]
    .venv/bin/python benchmarks/web_load.py --reuse     # keep the data set of an earlier run

What it does:

1. (Re)creates the database ``qaita_bench_web``, migrates it and loads the 5k data set of
   ``benchmarks/e2e_run_bench.py`` (5,000 offers × 5,000 needs, seeded, Almaty-like), spread
   over eight sectors and eleven districts; runs one real match run (about 7,000 proposals),
   turns ``--deals`` of them into deals and records a delivery on every other deal.
2. Starts gunicorn with 2 workers on 127.0.0.1 (``benchmarks/web_settings.py``: DEBUG off; the
   report cache in Redis when ``--redis`` is given, else each worker's own memory).
3. Logs the municipality in (a real session) and drives each page with ``wrk`` at each
   concurrency for ``--duration`` seconds (after one warm-up request), printing req/s and
   p50/p95/p99 latency, with the issue's target beside the page's row at c=8.
4. As a baseline from the same run it measures ``/login/`` (a plain form: the floor of any
   page on this stack) and, on a second gunicorn with the report cache off
   (``IMPACT_REPORT_CACHE_SECONDS=0``), the report pages at c=8: what each request costs when
   it has to aggregate.

With ``--before DIR`` it also serves every page from an earlier tree of the code (for instance
main: ``git archive main | tar -x -C DIR``) on the same database, at c=8.

Wall time is bounded: (pages × concurrencies + baseline rows) × duration plus the setup; the
script refuses to start when that estimate is above ``--max-seconds``. Prints figures; asserts
nothing. Every URL is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "qaita_bench_web"
HOST = "127.0.0.1"

#: (label, path, target req/s at c=8 or None)
PAGES = [
    ("city dashboard", "/matching/dashboard/", 20),
    ("impact report, proposed", "/api/v1/reports/impact/?basis=proposed", 50),
    ("impact report, agreed", "/api/v1/reports/impact/?basis=agreed", 50),
    ("impact report, delivered", "/api/v1/reports/impact/?basis=delivered", 50),
    ("proposals list (API)", "/api/v1/proposals/", 100),
    ("proposals inbox (page)", "/matching/proposals/?status=all", None),
    ("offers list (API)", "/api/v1/offers/", None),
    ("deals list (API)", "/api/v1/deals/", None),
    ("runs list (API)", "/api/v1/match-runs/", None),
]
#: The floor of any page on this stack: the login form (no query beyond the session).
FLOOR = "/login/"
UNCACHED = [page for page in PAGES if "report" in page[1] or "dashboard" in page[1]]

LUA = r"""
done = function(summary, latency, requests)
  io.write("JSON:" .. string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def ensure_database(reuse: bool) -> str:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{HOST}:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"postgres://postgres@{HOST}:5432/{DB_NAME}"


def setup_django(url: str, redis: str | None) -> None:
    os.environ["DATABASE_URL"] = url
    if redis:
        os.environ["REDIS_URL"] = redis
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.web_settings"
    import django

    django.setup()


def build(offers: int, needs: int, deals: int) -> dict:
    """The data set, one real run, deals and deliveries; returns counts."""
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import District, Membership, Organisation, OrganisationSector, User
    from benchmarks.e2e_run_bench import load_instance
    from marketplace.models import Offer
    from matching import runs, services
    from matching.models import Deal, Proposal, ProposalStatus

    call_command("migrate", verbosity=0)
    if Proposal.objects.exists() and Offer.objects.count() == offers:
        return {"reused": True}
    load_instance(offers, needs, seed=1)
    sectors = [value for value, _label in OrganisationSector.choices]
    districts = [value for value, _label in District.choices]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_organisation SET sector = (%s::text[])[1 + id %% %s] WHERE kind = 'company'",
            [sectors, len(sectors)],
        )
        cursor.execute(
            "UPDATE accounts_site SET district = (%s::text[])[1 + id %% %s]", [districts, len(districts)]
        )
    city, _ = Organisation.objects.get_or_create(
        name="Bench city",
        defaults={"kind": Organisation.Kind.MUNICIPALITY, "verified": True, "sector": "public_services"},
    )
    mayor, _ = User.objects.get_or_create(username="bench-city")
    Membership.objects.get_or_create(user=mayor, organisation=city)
    trader, _ = User.objects.get_or_create(username="bench-trader")
    for org in Organisation.objects.filter(kind="company"):
        Membership.objects.get_or_create(user=trader, organisation=org)
    run = runs.match_run_start(actor=mayor, enqueue=False)
    assert runs.match_run_execute(run_id=run.pk, worker="web-load") == "succeeded"
    # The trader belongs to both sides of every flow: one acceptance makes a deal.
    for proposal in Proposal.objects.filter(run=run).order_by("-mass_t")[:deals]:
        services.proposal_accept(proposal=proposal, actor=trader)
    today = timezone.localdate()
    for i, deal in enumerate(Deal.objects.order_by("id")):
        if i % 2 == 0:
            day = today - timedelta(days=i % 90)
            if deal.unit == "piece":
                services.delivery_record(deal=deal, actor=trader, date=day, quantity=1)
            else:
                half = (deal.mass_t / 2).quantize(Decimal("0.001"))
                services.delivery_record(deal=deal, actor=trader, date=day, mass_t=str(half))
    return {
        "offers": Offer.objects.count(),
        "proposals": Proposal.objects.exclude(status=ProposalStatus.EXPIRED).count(),
        "deals": Deal.objects.count(),
    }


def session_cookie() -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-city"))
    return f"sessionid={client.cookies['sessionid'].value}"


def start_gunicorn(port: int, env: dict[str, str], root: Path = ROOT) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "config.wsgi", "-w", "2", "-b", f"{HOST}:{port}", "--log-level", "warning"],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{FLOOR}", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn did not answer {FLOOR} within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def warm(port: int, path: str, cookie: str) -> int:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status


def drive(port: int, path: str, cookie: str, concurrency: int, duration: float, lua: str) -> dict:
    url = f"http://{HOST}:{port}{path}"
    assert url.startswith(f"http://{HOST}:"), url  # loopback only
    command = [
        "wrk",
        f"-t{min(concurrency, 2)}",
        f"-c{concurrency}",
        f"-d{int(duration)}s",
        "--timeout",
        "30s",
        "-s",
        lua,
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((row for row in done.stdout.splitlines() if row.startswith("JSON:")), None)
    if line is None:
        raise SystemExit(f"wrk gave no figures for {path}:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line[5:])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def row(label: str, c: int, f: dict, target: int | None) -> str:
    if target is None or c != 8:
        verdict = ""
    else:
        verdict = f"target ≥ {target} req/s: {'met' if f['rps'] >= target else 'NOT met'}"
    bad = f" errors {f['errors']} non-2xx {f['non2xx']}" if f["errors"] or f["non2xx"] else ""
    return (
        f"| {label} | {c} | {f['rps']:.1f} | {f['p50'] / 1000:.1f} | {f['p95'] / 1000:.1f} | "
        f"{f['p99'] / 1000:.1f} | {verdict}{bad} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--needs", type=int, default=5000)
    parser.add_argument("--deals", type=int, default=1500)
    parser.add_argument("--duration", type=int, default=5, help="seconds per page and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--redis", default=None, help="e.g. redis://127.0.0.1:6379/5 (shared report cache)")
    parser.add_argument("--reuse", action="store_true", help="keep the data set of an earlier run")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--before", default=None, help="a directory with an earlier tree of the code")
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    rows = len(PAGES) * len(args.concurrency) + (0 if args.no_baseline else len(UNCACHED) + 1)
    rows += len(PAGES) if args.before else 0
    estimate = rows * (args.duration + 1.5)
    if estimate > args.max_seconds:
        raise SystemExit(f"estimated {estimate:.0f} s of load is above --max-seconds {args.max_seconds:.0f}")
    url = ensure_database(args.reuse)
    setup_django(url, args.redis)
    started = time.perf_counter()
    counts = build(args.offers, args.needs, args.deals)
    print(f"data set on PostgreSQL ({DB_NAME}): {counts}, set up in {time.perf_counter() - started:.0f} s")
    cookie = session_cookie()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.web_settings",
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    if args.redis:
        from django.core.cache import cache

        cache.clear()  # no entry from an earlier run
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(LUA)
        lua = handle.name
    print(machine())
    shared = "Redis" if args.redis else "per worker"
    print(f"gunicorn 2 workers on {HOST}:{args.port}; report cache: {shared}")
    print(f"wrk, {args.duration:g} s per row after one warm-up request; latency in ms")
    print()
    print("| page | c | req/s | p50 | p95 | p99 | target (c=8) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    server = start_gunicorn(args.port, env)
    try:
        for label, path, target in PAGES:
            status = warm(args.port, path, cookie)
            if status != 200:
                print(f"| {label} | - | status {status} | | | | |")
                continue
            for c in args.concurrency:
                figures = drive(args.port, path, cookie, c, args.duration, lua)
                print(row(label, c, figures, target), flush=True)
        if not args.no_baseline:
            figures = drive(args.port, FLOOR, cookie, 8, args.duration, lua)
            print(row(f"baseline: {FLOOR} (a plain page)", 8, figures, None), flush=True)
    finally:
        stop(server)
    if not args.no_baseline:
        server = start_gunicorn(args.port, {**env, "IMPACT_REPORT_CACHE_SECONDS": "0"})
        try:
            for label, path, _target in UNCACHED:
                warm(args.port, path, cookie)
                figures = drive(args.port, path, cookie, 8, args.duration, lua)
                print(row(f"baseline: {label}, cache off", 8, figures, None), flush=True)
        finally:
            stop(server)
    if args.before:
        # The same pages served by an earlier tree of the code (e.g. main, unpacked with
        # ``git archive main | tar -x -C DIR``), on the same database, at c=8.
        before = Path(args.before).resolve()
        shutil.copy(ROOT / "benchmarks" / "web_settings.py", before / "benchmarks" / "web_settings.py")
        server = start_gunicorn(args.port, env, root=before)
        try:
            for label, path, _target in PAGES:
                warm(args.port, path, cookie)
                figures = drive(args.port, path, cookie, 8, args.duration, lua)
                print(row(f"before ({before.name}): {label}", 8, figures, None), flush=True)
        finally:
            stop(server)
    print(f"\n{machine()}")
    os.unlink(lua)


if __name__ == "__main__":
    main()
