"""The whole loop in a real browser: a run, two accepts, a delivery, figures that change."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _proposals(page):
    # Wait for the proposals page's load event: htmx must be listening before Accept is clicked.
    # Under load a click can otherwise land first and post the plain form; an agreed proposal
    # then leaves the default "waiting for a decision" list instead of changing in place.
    with page.expect_navigation():
        page.get_by_role("link", name="Proposals").click()


def test_run_accept_accept_deliver(
    page, live_server, grain_market, brewery, farm, municipality, outside_requests
):
    login(page, live_server, "analyst", PASSWORD)
    page.get_by_role("link", name="Match runs").click()
    page.get_by_role("button", name="Start a city-wide run").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_text("Proven optimal")).to_be_visible()
    page.get_by_role("button", name=re.compile("Log out")).click()

    login(page, live_server, "brewer", PASSWORD)
    _proposals(page)
    row = page.locator("tr", has_text="Talgar Dairy Farm")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator("tr", has_text="Talgar Dairy Farm")).to_contain_text("Accepted by the supplier")
    page.get_by_role("button", name=re.compile("Log out")).click()

    login(page, live_server, "farmer", PASSWORD)
    _proposals(page)
    page.locator("tr", has_text="Almaty Brewery").get_by_role("button", name="Accept").click()
    expect(page.locator("tr", has_text="Almaty Brewery")).to_contain_text("Agreed")
    page.get_by_role("link", name="Deals").first.click()
    page.locator("table a").first.click()
    page.get_by_label("Delivered mass (t)").fill("120")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Delivery recorded.")).to_be_visible()
    # the deal page also shows the delivery plan seeded by the proposal's monthly schedule
    deliveries = page.locator("table", has_text="Net CO₂e avoided")
    expect(deliveries).to_contain_text("120")
    assert outside_requests == []


def test_pages_speak_russian(page, live_server, brewery):
    login(page, live_server, "brewer", PASSWORD)
    page.locator("#language").select_option("ru")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Панель управления")).to_be_visible()
    expect(page.get_by_role("link", name="Предложения")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_the_city_dashboard_draws_its_charts_sankey_and_flow_map(
    page, live_server, grain_market, municipality, run_now, outside_requests
):
    run_now()
    login(page, live_server, "analyst", PASSWORD)
    expect(page.locator("[data-chart='material'] canvas")).to_have_count(1)
    expect(page.locator("#sankey canvas")).to_have_count(1)
    expect(page.locator("#flow-map path.flow-line")).to_have_count(1)
    expect(page.locator("#flow-map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert outside_requests == []
