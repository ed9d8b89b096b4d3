"""Benchmark: GET /api/v1/offers/ over 10,000 offers in PostgreSQL.

Usage (from the project root; PostgreSQL at 127.0.0.1:5432 with trust auth)::

    .venv/bin/python benchmarks/offers_list_bench.py [--offers 10000] [--repeat 30] [--keep]

The script (re)creates its own database ``qaita_bench`` (``--database`` to change), migrates
it, bulk-inserts organisations, sites around Almaty and offers, then times the list endpoint
through Django's test client as a company user who is not the owner (so coordinates are
rounded, as for most readers). It prints median and p95 wall time and the number of SQL
queries per request, next to baselines measured in the same run:

- ``raw SQL count``: ``SELECT count(*)`` of the visible offers — the floor for any list;
- ``naive ORM page``: the same page serialized without ``select_related``/``prefetch_related``
  (what an N+1 list would cost).

The rows are bulk-inserted, not created through the services: the benchmark measures reading.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def recreate_database(name: str, keep: bool) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and keep:
            return
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(name: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def build(offers: int, seed: int) -> tuple[User, User]:
    """Organisations, sites and ``offers`` offers; returns (reader, owner) users."""
    from django.core.management import call_command

    from accounts.models import Membership, Organisation, Site, User
    from marketplace.factor_services import factor_set_import
    from marketplace.listing_rules import allowed_units
    from marketplace.models import Material, Offer

    call_command("migrate", verbosity=0)
    if Offer.objects.count() >= offers:
        reader = User.objects.get(username="bench-reader")
        return reader, User.objects.get(username="bench-owner")
    factor_set_import()
    rng = random.Random(seed)
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bench company {i:03d}", kind="company", sector="industry", verified=i % 10 != 0
            )
            for i in range(200)
        ]
    )
    reader_org = Organisation.objects.create(
        name="Bench reader", kind="company", sector="construction", verified=True
    )
    reader = User.objects.create_user("bench-reader", password="bench-password-2026")
    owner = User.objects.create_user("bench-owner", password="bench-password-2026")
    Membership.objects.bulk_create(
        [
            Membership(user=reader, organisation=reader_org, role="admin"),
            Membership(user=owner, organisation=orgs[1], role="admin"),
        ]
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                organisation=org,
                name=f"Site {j}",
                address=f"Street {j}",
                latitude=Decimal(f"{43.24 + rng.gauss(0, 0.25):.6f}"),
                longitude=Decimal(f"{76.95 + rng.gauss(0, 0.35):.6f}"),
                district="other",
            )
            for org in orgs
            for j in range(rng.randint(1, 3))
        ]
    )
    materials = list(Material.objects.all())
    statuses = ["active"] * 8 + ["draft", "paused"]
    rows = []
    for _ in range(offers):
        site = rng.choice(sites)
        material = rng.choice(materials)
        unit = rng.choice(allowed_units(material))
        rows.append(
            Offer(
                organisation_id=site.organisation_id,
                site=site,
                material=material,
                quantity=Decimal(rng.randint(1, 5000)),
                unit=unit,
                period=rng.choice(["once", "week", "month", "year"]),
                status=rng.choice(statuses),
                description="Benchmark offer.",
            )
        )
    Offer.objects.bulk_create(rows, batch_size=2000)
    return reader, owner


def timed(fn, repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm-up: connection, per-user caches, query plans
    samples = []
    queries = 0
    for _ in range(repeat):
        connection.queries_log.clear()  # the log keeps 9,000 entries; an N+1 page of 500 needs more
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples), p95, queries


def machine() -> dict[str, str]:
    from django.db import connection

    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if line.startswith("Model name")
        )
    except (StopIteration, OSError):
        cpu = platform.processor() or "unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "postgresql": pg, "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", default="qaita_bench")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--keep", action="store_true", help="reuse an existing benchmark database")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", message="No directory at")  # static files are not collected here
    recreate_database(args.database, args.keep)
    setup_django(args.database)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation
    from marketplace.api.serializers import OfferSerializer
    from marketplace.models import Offer

    start = time.perf_counter()
    reader, owner = build(args.offers, args.seed)
    print(
        f"data: {Offer.objects.count():,} offers, {Organisation.objects.count()} organisations "
        f"(built in {time.perf_counter() - start:.1f} s)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client = Client()
    client.force_login(reader)
    owner_client = Client()
    owner_client.force_login(owner)

    def get(url, who=client):
        def call():
            response = who.get(url)
            assert response.status_code == 200, response.content[:300]
            return response

        return call

    near = "near=43.24,76.95&radius_km=25"
    cases = [
        ("list, first page (50)", get("/api/v1/offers/")),
        ("list, page of 500", get("/api/v1/offers/?page_size=500")),
        ("list, page 20 of 50", get("/api/v1/offers/?page=20")),
        (f"near ({near}), page of 50", get(f"/api/v1/offers/?{near}")),
        (f"near ({near}), page of 500", get(f"/api/v1/offers/?{near}&page_size=500")),
        ("near, radius 5 km, page of 50", get("/api/v1/offers/?near=43.24,76.95&radius_km=5")),
        ("material filter, page of 50", get("/api/v1/offers/?material=brewers_spent_grain")),
        ("owner's list (all statuses), page of 50", get("/api/v1/offers/", owner_client)),
    ]

    visible = Offer.objects.filter(status="active", organisation__verified=True)

    def raw_count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM marketplace_offer o "
                "JOIN accounts_organisation g ON g.id = o.organisation_id "
                "WHERE o.status = 'active' AND g.verified"
            )
            cursor.fetchone()

    def naive(size):
        def call():
            page = list(visible.order_by("-created_at", "-id")[:size])
            return OfferSerializer(page, many=True, context={"exact_site_ids": set()}).data

        return call

    baselines = [
        ("baseline: raw SQL count of visible offers", raw_count),
        ("baseline: naive ORM page of 50 (no select/prefetch)", naive(50)),
        ("baseline: naive ORM page of 500 (no select/prefetch)", naive(500)),
    ]

    info = machine()
    print(
        f"machine: {info['nproc']} CPUs, {info['cpu']}; PostgreSQL {info['postgresql']}; "
        f"Python {info['python']}; {args.repeat} repetitions each"
    )
    with CaptureQueriesContext(connection):
        count = client.get(f"/api/v1/offers/?{near}").json()["count"]
    print(
        f"visible to the reader: {client.get('/api/v1/offers/').json()['count']:,}; within 25 km: {count:,}"
    )
    print()
    print("| case | median ms | p95 ms | queries |")
    print("| --- | ---: | ---: | ---: |")
    for name, fn in cases + baselines:
        median, p95, queries = timed(fn, args.repeat)
        print(f"| {name} | {median:.1f} | {p95:.1f} | {queries} |")


if __name__ == "__main__":
    main()
