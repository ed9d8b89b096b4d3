"""Web and admin log-in are locked per account and per address (django-axes), in the database.

The figures of issue 9: 90 guesses at one user from 10 addresses were all checked; /admin/login/
was not limited at all; a forged X-Forwarded-For reset the per-address count.
"""

from __future__ import annotations

import random

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def spoofed() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def post_login(client: Client, username: str, password: str, **extra) -> int:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra).status_code


def test_ninety_guesses_at_one_user_from_ten_addresses_are_locked(settings, brewery):
    client = Client()
    codes = [
        post_login(
            client, "brewer", f"guess-{i}", REMOTE_ADDR=f"10.9.{i % 10}.1", HTTP_X_FORWARDED_FOR=spoofed()
        )
        for i in range(90)
    ]
    limit = settings.AXES_FAILURE_LIMIT
    assert set(codes[: limit - 1]) == {200}  # the form again, "wrong password"
    assert set(codes[limit - 1 :]) == {429}
    print(f"web login: {codes.count(429)} of 90 guesses from 10 addresses refused")
    # Locked means locked: the right password from a fresh address and browser gets nowhere.
    fresh = Client()
    response = fresh.post(
        reverse("login"), {"username": "brewer", "password": PASSWORD}, REMOTE_ADDR="192.0.2.200"
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in fresh.session
    # The lock is in the database, shared by every web process.
    assert AccessAttempt.objects.filter(username="brewer").exists()


def test_a_forged_forwarded_for_does_not_reset_the_address_lock(settings, brewery):
    client = Client()
    codes = [
        post_login(client, f"nobody{i}", "x", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=spoofed())
        for i in range(settings.AXES_FAILURE_LIMIT + 5)
    ]
    assert codes[-5:] == [429] * 5
    # Another address is not affected.
    assert post_login(Client(), "brewer", PASSWORD, REMOTE_ADDR="198.51.100.10") == 302


def test_behind_a_proxy_the_lock_follows_the_address_the_proxy_saw(settings, brewery):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client, f"x{i}", "y", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{spoofed()}, 203.0.113.5"
        )
    locked = post_login(
        client, "brewer", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    other = post_login(
        Client(), "brewer", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert (locked, other) == (429, 302)
    assert AccessAttempt.objects.filter(ip_address="203.0.113.5").exists()


def test_the_admin_login_is_locked_too(settings, db):
    admin_user = factories.make_user("root")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    url = reverse("admin:login")
    codes = [
        client.post(
            url, {"username": "root", "password": f"guess-{i}"}, REMOTE_ADDR=f"10.8.{i}.1"
        ).status_code
        for i in range(settings.AXES_FAILURE_LIMIT + 2)
    ]
    assert codes[-3:] == [429, 429, 429]
    right = Client().post(url, {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.8.200.1")
    assert right.status_code == 429


def test_a_few_typos_do_not_lock_anyone(settings, brewery):
    client = Client()
    for _ in range(3):
        assert post_login(client, "brewer", "typo") == 200
    assert post_login(client, "brewer", PASSWORD) == 302
