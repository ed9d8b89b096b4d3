"""Personas and clients shared by the whole suite.

Like healthchecks' alice/bob/charlie: a brewery, a farm, the municipality, and an outsider
who must see nothing of theirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass
class Persona:
    user: object
    organisation: object
    site: object | None

    def client(self):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(self.user)
        return client


def _persona(
    username,
    org_name,
    *,
    kind="company",
    sector="agriculture_food",
    verified=True,
    lat="43.2567",
    lon="76.9286",
    district="almaly",
):
    from tests import factories

    user = factories.make_user(username)
    org = factories.make_organisation(org_name, kind=kind, sector=sector, verified=verified, members=(user,))
    site = factories.make_site(org, f"{org_name} main site", latitude=lat, longitude=lon, district=district)
    return Persona(user=user, organisation=org, site=site)


@pytest.fixture
def brewery(db):
    return _persona("brewer", "Almaty Brewery", lat="43.2380", lon="76.9450", district="almaly")


@pytest.fixture
def farm(db):
    return _persona("farmer", "Talgar Dairy Farm", lat="43.3030", lon="77.2400", district="talgar")


@pytest.fixture
def municipality(db):
    return _persona(
        "analyst",
        "Almaty Green Economy Department",
        kind="municipality",
        sector="public_services",
        lat="43.2383",
        lon="76.9453",
        district="medeu",
    )


@pytest.fixture
def outsider(db):
    return _persona(
        "outsider",
        "Outsider LLP",
        verified=False,
        sector="trade",
        lat="43.2100",
        lon="76.8500",
        district="bostandyk",
    )


@pytest.fixture
def anon_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- Markets and runs shared by the matching, API and report tests --------------------------


@pytest.fixture
def grain_market(brewery, farm, municipality):
    """The brewery's spent grain and the dairy farm's feed need, 32 km apart."""
    from tests import factories as f

    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 2000)
    need = f.make_need(
        farm.organisation, farm.site, ["brewers_spent_grain", "bread_residues"], 1500, max_distance_km=80
    )
    return offer, need


@pytest.fixture
def run_now(django_capture_on_commit_callbacks, municipality):
    """Start a run as the municipality and let the (eager) task run on commit."""
    from matching import runs

    def _run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            run = runs.match_run_start(actor=municipality.user, **kwargs)
        run.refresh_from_db()
        return run

    return _run


@pytest.fixture
def city(brewery, farm, municipality, run_now):
    """The report tests' small city (tests/reports/market.py): one run, deals, deliveries."""
    from tests.reports.market import build_city

    return build_city(brewery, farm, run_now)


# --- Celery: eager unless a test asks for the real worker --------------------------------
def _reachable(url: str) -> bool:
    if not url:
        return False
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    try:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
    except Exception:  # pytest run without Django (-p no:django): pure tests only
        engine = ""
    redis_ok = _reachable(os.environ.get("REDIS_URL", ""))
    on_postgres = engine == "django.db.backends.postgresql"
    skip_worker = pytest.mark.skip(
        reason="needs REDIS_URL (reachable Redis) and PostgreSQL for a real worker"
    )
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)")
    for item in items:
        if "worker" in item.keywords and not (redis_ok and on_postgres):
            item.add_marker(skip_worker)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the cache: every test starts with none."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language(request):
    """Every test starts in the site's default language: a page served in Russian by the test
    client (LocaleMiddleware activates it for the thread) must not leak into the next test."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Tasks run in-process except in tests marked ``worker``, which talk to a real broker."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from config.celery_app import app

    eager = "worker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous
