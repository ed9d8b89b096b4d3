"""Signed-in pages and API answers are never kept by a shared cache; the CSP pins <base>."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def assert_private(response):
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]
    assert "public" not in directives


@pytest.mark.parametrize(
    "path",
    [
        "/matching/dashboard/",
        "/marketplace/search/",
        "/accounts/dashboard/",
        "/matching/deals/",
        "/reports/impact/",
    ],
)
def test_signed_in_pages_are_private_and_not_stored(client, brewery, path):
    client.force_login(brewery.user)
    response = client.get(path)
    assert response.status_code == 200
    assert_private(response)


@pytest.mark.parametrize(
    "path", ["/api/v1/sites/", "/api/v1/offers/", "/api/v1/organisations/", "/api/schema/"]
)
def test_api_answers_are_private_and_not_stored(brewery, anon_client, path):
    assert_private(brewery.client().get(path))
    assert_private(anon_client.get(path))  # 401s too


def test_an_api_token_request_is_private(anon_client, brewery):
    from tests.factories import PASSWORD

    response = anon_client.post(
        "/api/v1/auth/token/", {"username": "brewer", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert_private(response)


def test_the_public_start_page_stays_cacheable(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_csp_restricts_base_uri(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["base-uri"] == "'self'"
