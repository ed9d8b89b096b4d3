"""The server-rendered pages: sign-up, log-in, organisation and site forms, languages."""

import pytest
from django.urls import reverse

from accounts.models import Organisation, Site
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_home_page_renders_for_everyone(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Qaita" in response.content


def test_healthz_reports_the_database(client, settings):
    settings.REDIS_URL = ""  # no broker: only the database is checked (tests/test_health.py: the rest)
    body = client.get("/healthz/").json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"


def test_signup_creates_an_unverified_organisation_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "zhanar",
            "email": "z@bakery.kz",
            "password": PASSWORD,
            "organisation_name": "Zhanar Bakery",
            "kind": "company",
            "sector": "agriculture_food",
        },
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="Zhanar Bakery")
    assert not org.verified
    assert client.get(reverse("matching:dashboard")).status_code == 200


def test_signup_shows_errors_and_writes_nothing(client, brewery):
    response = client.post(
        reverse("signup"),
        {
            "username": "zhanar",
            "password": PASSWORD,
            "email": "zhanar@example.kz",
            "organisation_name": "Almaty Brewery",
            "kind": "company",
            "sector": "agriculture_food",
        },
    )
    assert response.status_code == 200
    assert "cannot be registered" in response.content.decode()
    assert not Organisation.objects.filter(name="Zhanar Bakery").exists()


def test_login_and_the_organisation_page_with_sites(client, brewery):
    assert client.post(reverse("login"), {"username": "brewer", "password": PASSWORD}).status_code == 302
    page = client.get(reverse("accounts:organisation", args=[brewery.organisation.pk]))
    assert page.status_code == 200
    assert "Almaty Brewery main site" in page.content.decode()


def test_repeated_failed_logins_are_throttled(client, brewery):
    from django.core.cache import cache

    cache.clear()
    for _ in range(10):
        client.post(reverse("login"), {"username": "brewer", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "brewer", "password": PASSWORD})
    assert response.status_code == 429
    cache.clear()


def test_a_site_is_created_and_edited_through_the_form(client, brewery):
    client.force_login(brewery.user)
    response = client.post(
        reverse("accounts:site-create"),
        {
            "name": "Malt store",
            "address": "Raiymbek 10",
            "latitude": "43.27",
            "longitude": "76.88",
            "district": "almaly",
        },
    )
    assert response.status_code == 302
    site = Site.objects.get(name="Malt store")
    response = client.post(
        reverse("accounts:site-edit", args=[site.pk]),
        {
            "name": "Malt store",
            "address": "Raiymbek 12",
            "latitude": "43.27",
            "longitude": "76.88",
            "district": "almaly",
        },
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.address == "Raiymbek 12"


def test_the_site_form_rejects_out_of_range_coordinates(client, brewery):
    client.force_login(brewery.user)
    response = client.post(
        reverse("accounts:site-create"),
        {
            "name": "Nowhere",
            "latitude": "95",
            "longitude": "76.88",
            "district": "almaly",
        },
    )
    assert response.status_code == 200
    assert not Site.objects.filter(name="Nowhere").exists()


def test_another_organisations_site_form_is_404(client, brewery, farm):
    client.force_login(brewery.user)
    assert client.get(reverse("accounts:site-edit", args=[farm.site.pk])).status_code == 404
    assert client.post(reverse("accounts:site-delete", args=[farm.site.pk])).status_code == 404
    assert Site.objects.filter(pk=farm.site.pk).exists()


def test_only_the_municipality_sees_the_verification_queue(client, brewery, municipality, outsider):
    client.force_login(brewery.user)
    assert client.get(reverse("accounts:verification-queue")).status_code == 403
    client.force_login(municipality.user)
    page = client.get(reverse("accounts:verification-queue"))
    assert page.status_code == 200 and "Outsider LLP" in page.content.decode()
    client.post(reverse("accounts:organisation-verify", args=[outsider.organisation.pk]))
    outsider.organisation.refresh_from_db()
    assert outsider.organisation.verified


def test_pages_speak_russian_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert "Зарегистрируйте организацию" in response.content.decode()


def test_the_api_docs_are_served_without_a_cdn(client, brewery):
    client.force_login(brewery.user)
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
