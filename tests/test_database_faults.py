"""A database that is read-only, full or unreachable answers 503 (JSON for the API, a plain page
for the rest), never a 500, and nothing is written."""

from __future__ import annotations

import secrets

import pytest

from accounts.models import Site
from tests.db_faults import full_database, read_only_database, unreachable_database

SITE = {
    "name": "Warehouse",
    "address": "Suyunbay Ave 2",
    "latitude": "43.30",
    "longitude": "76.95",
    "district": "turksib",
}
SITE_FORM = {**SITE, "name": "Malt store"}


def assert_api_unavailable(response):
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unavailable"
    assert int(response["Retry-After"]) > 0


def assert_page_unavailable(response):
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in response.content


@pytest.mark.django_db
def test_a_read_only_database_is_a_503_for_api_writes_and_reads_still_work(brewery):
    client = brewery.client()
    with read_only_database():
        assert_api_unavailable(client.post("/api/v1/sites/", SITE, format="json"))
        assert client.get("/api/v1/sites/").status_code == 200
    assert not Site.objects.filter(name="Warehouse").exists()


@pytest.mark.django_db
def test_a_read_only_database_is_a_plain_503_page_for_a_form(client, brewery):
    client.force_login(brewery.user)
    with read_only_database():
        assert_page_unavailable(client.post("/accounts/sites/new/", SITE_FORM))
    assert not Site.objects.filter(name="Malt store").exists()


@pytest.mark.django_db(transaction=True)
def test_a_full_database_is_a_503_for_the_api_and_the_pages(client, brewery):
    from marketplace.models import Offer
    from tests.factories import ensure_factor_set
    from tests.marketplace.helpers import offer_payload

    ensure_factor_set()
    client.force_login(brewery.user)
    api = brewery.client()
    # A description that needs pages of its own, as most writes on a full disk do.
    description = secrets.token_hex(2000)
    form = {
        "material": "brewers_spent_grain",
        "quantity": "40",
        "unit": "t",
        "period": "week",
        "current_destination": "landfill",
        "site": str(brewery.site.pk),
        "description": description,
        "publish": "on",
    }
    with full_database():
        assert_api_unavailable(api.post("/api/v1/offers/", offer_payload(brewery, description=description)))
        assert_page_unavailable(client.post("/marketplace/offers/new/", form))
    assert not Offer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_503_for_the_api_and_the_pages(client, brewery):
    client.force_login(brewery.user)
    api = brewery.client()
    with unreachable_database():
        assert_api_unavailable(api.get("/api/v1/sites/"))
        assert_api_unavailable(api.post("/api/v1/sites/", SITE, format="json"))
        assert_page_unavailable(client.get("/matching/dashboard/"))
    assert client.get("/matching/dashboard/").status_code == 200  # and back once it is reachable


@pytest.mark.django_db
def test_the_last_resort_handler_still_tells_a_database_fault_from_a_bug(rf, brewery):
    """``handler500`` (faults outside any view, e.g. a session write in a middleware)."""
    from django.db import DatabaseError, transaction

    from config.errors import server_error

    with read_only_database():
        try:
            with transaction.atomic():
                Site.objects.filter(pk=brewery.site.pk).update(name="x")
        except DatabaseError:
            page = server_error(rf.get("/matching/dashboard/"))
            api = server_error(rf.get("/api/v1/sites/"))
    assert page.status_code == 503 and b"Temporarily unavailable" in page.content
    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_error(rf.get("/api/v1/sites/"))
    assert bug.status_code == 500 and bug["Content-Type"] == "application/json"
