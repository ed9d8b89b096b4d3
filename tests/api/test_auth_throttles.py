"""The API's auth limits key on what a client cannot forge: the trusted proxy's address, the account.

Every test here runs with the production rates (config/settings/base.py), not the suite's
relaxed ones, and sends a fresh random ``X-Forwarded-For`` with each request, as the attacker
of issue 9 did.
"""

from __future__ import annotations

import random

import pytest
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from config.settings import base
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
RATES = base.THROTTLE_RATES


def limit(scope: str) -> int:
    return int(RATES[scope].split("/")[0])


@pytest.fixture
def production_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict(RATES)}


@pytest.fixture
def behind_one_proxy(settings, production_rates):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def spoofed() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def test_the_defaults_are_the_documented_ones():
    assert RATES == {"auth": "20/minute", "register": "20/hour", "auth_username": "10/minute"}
    assert base.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_forty_wrong_passwords_with_random_forwarded_for_are_throttled(production_rates, brewery):
    client = APIClient()
    codes = [
        client.post(
            TOKEN,
            {"username": f"guess{i}", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=spoofed(),
        ).status_code
        for i in range(40)
    ]
    assert_throttled_from(codes, at_most=limit("auth"))
    print(f"token endpoint: {codes.count(429)} of 40 spoofed-header attempts throttled")


def assert_throttled_from(codes: list[int], *, at_most: int) -> None:
    """Refused (429) from some attempt no later than ``at_most`` + 1, and ever after.

    The address lock of django-axes (LOGIN_FAILURE_LIMIT failures) may bite before the API's
    address rate: either way a forged header bought nothing.
    """
    assert 429 in codes, codes
    first = codes.index(429)
    assert 0 < first <= at_most, codes
    assert set(codes[first:]) == {429}, codes


def test_behind_a_proxy_the_address_it_appends_is_the_key(behind_one_proxy):
    attacker, neighbour = "203.0.113.7", "198.51.100.4"
    client = APIClient()

    def attempt(real: str, forged: str = "") -> int:
        # The trusted proxy appends the address it saw to whatever the client sent.
        header = f"{forged}, {real}" if forged else real
        return client.post(
            TOKEN, {"username": spoofed(), "password": "x"}, format="json", HTTP_X_FORWARDED_FOR=header
        ).status_code

    codes = [attempt(attacker, forged=spoofed()) for _ in range(limit("auth") + 5)]
    assert_throttled_from(codes, at_most=limit("auth"))
    assert attempt(neighbour) != 429  # another real client is unaffected


def test_twenty_five_registrations_in_one_burst_are_throttled(production_rates):
    client = APIClient()
    codes = []
    for i in range(25):
        body = {
            "username": f"bulk{i}",
            "password": "grain-to-feed-2026",
            "email": f"bulk{i}@example.kz",
            "organisation": {"name": f"Bulk {i} LLP", "kind": "company", "sector": "trade"},
        }
        codes.append(client.post(REGISTER, body, format="json", HTTP_X_FORWARDED_FOR=spoofed()).status_code)
    per_address = limit("register")
    assert codes[:per_address] == [201] * per_address
    assert set(codes[per_address:]) == {429}
    assert User.objects.count() == Organisation.objects.count() == per_address


def test_one_account_is_limited_whatever_address_the_guesses_come_from(production_rates, brewery):
    client = APIClient()
    codes = [
        client.post(
            TOKEN,
            {"username": "brewer", "password": f"guess-{i}"},
            format="json",
            REMOTE_ADDR=f"10.0.{i}.1",
        ).status_code
        for i in range(limit("auth_username") + 3)
    ]
    assert_throttled_from(codes, at_most=limit("auth_username"))
    # The limit is the account's: its owner elsewhere waits too, other accounts do not.
    owner = client.post(TOKEN, {"username": "brewer", "password": PASSWORD}, format="json")
    assert owner.status_code == 429 and "Retry-After" in owner
    other = client.post(TOKEN, {"username": "someone-else", "password": "x"}, format="json")
    assert other.status_code == 400


def test_failed_token_requests_count_towards_the_account_lock(settings, brewery):
    """django-axes counts API failures too: after the limit even the right password is refused."""
    client = APIClient()
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            TOKEN, {"username": "brewer", "password": "wrong"}, format="json", REMOTE_ADDR=f"10.1.{i}.1"
        )
    response = client.post(TOKEN, {"username": "brewer", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()


def test_the_per_account_rate_counts_every_token_request(production_rates, brewery):
    """The API's own per-username rate, apart from the lock on failures."""
    client = APIClient()
    codes = [
        client.post(
            TOKEN, {"username": "brewer", "password": PASSWORD}, format="json", REMOTE_ADDR=f"10.2.{i}.1"
        ).status_code
        for i in range(limit("auth_username") + 1)
    ]
    assert codes == [200] * limit("auth_username") + [429]
