"""Fixtures of the monitor tests: the nine-company city. Each test starts with an empty cache
(the public payload and the throttle live there, and ids repeat between tests on SQLite): the
suite's ``_fresh_cache`` (tests/conftest.py) empties it before and after every test."""

import pytest

from tests.monitor.city import build_city


@pytest.fixture
def city(municipality, run_now):
    return build_city(run_now)
