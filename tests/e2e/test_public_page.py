"""The public statistics page in a real browser, signed out: figures, charts, languages."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitor import targets
from tests.monitor.city import build_city

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_city(municipality, run_now):
    from django.core.cache import cache

    cache.clear()
    city = build_city(run_now)
    targets.target_create(
        actor=municipality.user,
        indicator="waste_diverted_t",
        year=timezone.localdate().year,
        value="3000",
        basis="agreed",
    )
    return city


def test_a_visitor_sees_the_figures_charts_and_targets_without_logging_in(
    page, live_server, public_city, outside_requests
):
    page.goto(f"{live_server.url}/public/")
    expect(page.get_by_role("heading", name="Almaty's industrial symbiosis in figures")).to_be_visible()
    expect(page.locator("[data-figure='organisations']")).to_have_text("9")
    expect(page.locator("[data-figure='deals']")).to_have_text("5")
    expect(page.locator("#public-trend canvas")).to_have_count(1)
    expect(page.locator("[data-target-chart] canvas")).to_have_count(1)
    expect(page.locator("[data-target-chart]")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#public-rows tr[data-key='other']")).to_have_count(1)
    expect(page.locator("#public-rows tr[data-key='metals']")).to_have_count(0)
    expect(page.locator("[data-licence]")).to_contain_text("CC BY 4.0")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()  # still signed out
    for company in public_city.companies.values():
        expect(page.get_by_text(company.organisation.name)).to_have_count(0)

    page.get_by_label("Table by").select_option("district")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#public-rows tr[data-key='almaly']")).to_have_count(1)

    page.locator("#language").select_option("ru")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#public-trend canvas")).to_have_count(1)
    assert outside_requests == []


def test_the_city_dashboard_draws_each_target_against_its_line(
    page, live_server, public_city, outside_requests
):
    from tests.e2e.conftest import login
    from tests.factories import PASSWORD

    login(page, live_server, "analyst", PASSWORD)
    page.goto(f"{live_server.url}/matching/dashboard/?basis=agreed")
    expect(page.locator("#city-targets [data-target-chart] canvas")).to_have_count(1)
    expect(page.locator("#waste-picture tr[data-category='metals']")).to_have_count(1)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("tr[data-action='target.created']").first).to_contain_text("Target set")
    assert outside_requests == []
