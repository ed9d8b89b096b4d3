"""Pages: the public statistics (signed out), targets, the dashboard panel and the printable report."""

import re

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.services import organisation_public_profile_set
from monitor import targets
from monitor.models import Target

pytestmark = pytest.mark.django_db


def test_the_public_page_needs_no_login(city, client):
    response = client.get("/public/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-figure="waste-diverted">1,780' in text or 'data-figure="waste-diverted">1780' in text
    assert 'data-figure="organisations">9<' in text and 'data-figure="deals">5<' in text
    assert "CC BY 4.0" in text and 'rel="license"' in text
    assert 'data-key="biomass"' in text and 'data-key="other"' in text and 'data-key="metals"' not in text
    for company in city.companies.values():
        assert company.organisation.name not in text


def test_only_opted_in_companies_are_named(city, client):
    brewery = city.companies["brewery"]
    organisation_public_profile_set(
        organisation=brewery.organisation, actor=brewery.user, public_profile=True
    )
    text = client.get("/public/").content.decode()
    assert "Grain Brewery" in text and "Dairy Farm" not in text


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_public_page_speaks_each_language(city, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/public/", {"group_by": "month"})
    assert response.status_code == 200 and f'<html lang="{language}">' in response.content.decode()


def test_a_bad_choice_on_the_public_page_is_a_400(client, db):
    assert client.get("/public/", {"basis": "proposed"}).status_code == 400
    assert client.get("/public/", {"group_by": "sector"}).status_code == 400


def test_the_public_page_runs_no_inline_script(city, client, municipality):
    targets.target_create(
        actor=municipality.user, indicator="net_co2e_t", year=timezone.localdate().year, value="900"
    )
    text = client.get("/public/").content.decode()
    for tag in re.findall(r"<script[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'id="target-chart-data"' in text and "data-target-chart=" in text and 'id="public-trend"' in text


def test_home_and_navigation_link_the_public_page(client, db):
    assert 'href="/public/"' in client.get("/").content.decode()


# --- Targets page ------------------------------------------------------------------------------


def test_the_municipality_sets_and_deletes_targets_on_the_page(municipality, client):
    client.force_login(municipality.user)
    assert client.get("/monitor/targets/").status_code == 200
    year = timezone.localdate().year
    response = client.post(
        "/monitor/targets/",
        {"indicator": "waste_diverted_t", "year": year, "value": "5000", "basis": "agreed"},
    )
    assert response.status_code == 302
    target = Target.objects.get()
    page = client.get("/monitor/targets/").content.decode()
    assert f'data-target="{target.pk}"' in page
    bad = client.post(
        "/monitor/targets/", {"indicator": "waste_diverted_t", "year": year, "value": "-1", "basis": "agreed"}
    )
    assert bad.status_code == 400 and Target.objects.count() == 1
    assert client.post(f"/monitor/targets/{target.pk}/delete/").status_code == 302
    assert not Target.objects.exists()


def test_companies_cannot_open_the_targets_page(brewery, client):
    client.force_login(brewery.user)
    assert client.get("/monitor/targets/").status_code == 403
    assert (
        client.post("/monitor/targets/", {"indicator": "net_co2e_t", "year": 2026, "value": "1"}).status_code
        == 403
    )


# --- The city dashboard and the printable report --------------------------------------------------


def test_the_city_dashboard_shows_targets_and_the_waste_picture(city, municipality, client):
    targets.target_create(
        actor=municipality.user,
        indicator="waste_diverted_t",
        year=timezone.localdate().year,
        value="3000",
        basis="agreed",
    )
    client.force_login(municipality.user)
    text = client.get("/matching/dashboard/", {"basis": "agreed"}).content.decode()
    assert 'id="city-targets"' in text and 'id="waste-picture"' in text
    assert 'data-category="metals"' in text  # the city sees every cell, unfolded
    assert 'id="target-chart-data"' in text and "js/monitor.js" in text


def test_a_company_dashboard_has_no_city_panel(city, client):
    client.force_login(city.companies["brewery"].user)
    text = client.get("/matching/dashboard/").content.decode()
    assert 'id="city-targets"' not in text and 'id="waste-picture"' not in text


def test_the_printable_report_draws_each_target_as_svg(city, municipality, client):
    year = timezone.localdate().year
    target = targets.target_create(
        actor=municipality.user, indicator="waste_diverted_t", year=year, value="3000", basis="agreed"
    )
    client.force_login(municipality.user)
    text = client.get("/reports/impact/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in text and f'data-target="{target.pk}"' in text
    assert 'data-series="cumulative"' in text and 'data-series="line"' in text
    assert "<script" not in text.split("<body>")[1]


def test_a_companys_printable_report_has_no_city_targets(city, municipality, client):
    targets.target_create(actor=municipality.user, indicator="net_co2e_t", year=2026, value="3000")
    client.force_login(city.companies["brewery"].user)
    text = client.get("/reports/impact/").content.decode()
    assert "data-series=" not in text


def test_the_pdf_report_renders_with_targets(city, municipality, client):
    pytest.importorskip("weasyprint")
    targets.target_create(
        actor=municipality.user, indicator="net_co2e_t", year=timezone.localdate().year, value="50"
    )
    client.force_login(municipality.user)
    response = client.get("/reports/impact.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
