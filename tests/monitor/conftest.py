"""Fixtures of the monitor tests: the nine-company city, and a clean cache for each test (the
public payload and the throttle live there, and ids repeat between tests on SQLite)."""

import pytest
from django.core.cache import cache

from tests.monitor.city import build_city


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(municipality, run_now):
    return build_city(run_now)
