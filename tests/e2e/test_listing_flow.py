"""Listings typed in through the forms, then the whole loop to figures that change on the dashboard;
the marketplace map; and every main page loading without a request leaving the app."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.main_pages import settle
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(db):
    from tests.factories import ensure_factor_set

    return ensure_factor_set()


def _nav(page, name):
    # Wait for the new page's load event: htmx must be listening before a decision is clicked
    # (under load a click can otherwise land first and post the plain form).
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main navigation").get_by_role(
            "link", name=name, exact=True
        ).click()


def _logout(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


def _figures(page) -> dict[str, str]:
    return {
        el.get_attribute("data-figure"): el.inner_text().strip() for el in page.locator("[data-figure]").all()
    }


def test_forms_to_delivery_change_the_city_figures(
    page, live_server, catalogue, brewery, farm, municipality, outside_requests
):
    login(page, live_server, "analyst", PASSWORD)
    before = _figures(page)
    _logout(page)

    # The brewery offers its spent grain, finding the material by searching the catalogue.
    login(page, live_server, "brewer", PASSWORD)
    _nav(page, "My listings")
    expect(page.get_by_text("No offers yet")).to_be_visible()
    page.get_by_role("link", name="Offer a residue").first.click()
    expect(page.locator("h1")).to_contain_text("Offer a residue")
    page.wait_for_load_state()  # htmx must be listening before we type
    page.get_by_label("Search the catalogue").fill("spent grain")
    expect(page.get_by_label("Material", exact=False).locator("option")).to_have_count(2)  # blank + the match
    expect(page.locator("#id_material")).to_have_value("brewers_spent_grain")
    expect(page.locator("#unit-hint")).to_contain_text("t, kg")
    page.get_by_label("Quantity").fill("2000")
    page.get_by_label("Period").select_option("year")
    expect(page.locator("#id_site")).to_have_value(str(brewery.site.pk))
    expect(page.locator("#site-map .leaflet-marker-icon")).to_have_count(1)
    page.get_by_label("Description and quality notes").fill("Wet spent grain, collected daily.")
    page.get_by_role("button", name="Save the offer").click()
    expect(page.get_by_text("Your offer is saved.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("spent grain")
    expect(page.locator("[data-listing-status]").first).to_have_attribute("data-listing-status", "active")
    expect(page.locator("#listing-map .leaflet-marker-icon")).to_have_count(1)  # own site: exact pin
    _logout(page)

    # The farm posts a need for it.
    login(page, live_server, "farmer", PASSWORD)
    _nav(page, "My listings")
    page.get_by_role("link", name=re.compile(r"^Needs")).click()
    expect(page.get_by_text("No needs yet")).to_be_visible()
    page.get_by_role("link", name="Post a need").first.click()
    expect(page.locator("h1")).to_contain_text("Post a need")
    page.wait_for_load_state()  # htmx must be listening before we type
    page.get_by_label("Search the catalogue").fill("spent grain")
    expect(page.locator("#id_materials option")).to_have_count(1)
    page.get_by_label("Materials you accept").select_option(["brewers_spent_grain"])
    page.get_by_label("Quantity").fill("1500")
    page.get_by_label("Collection radius (km)").fill("80")
    page.get_by_role("button", name="Save the need").click()
    expect(page.get_by_text("Your need is saved.")).to_be_visible()
    _logout(page)

    # The municipality runs the optimiser and watches it finish.
    login(page, live_server, "analyst", PASSWORD)
    _nav(page, "Match runs")
    page.get_by_role("button", name="Start a city-wide run").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_text("Proven optimal")).to_be_visible()
    _logout(page)

    for username, other in (("brewer", "Talgar Dairy Farm"), ("farmer", "Almaty Brewery")):
        login(page, live_server, username, PASSWORD)
        _nav(page, "Proposals")
        page.locator("tr", has_text=other).get_by_role("button", name="Accept").click()
        expect(page.locator("tr", has_text=other).locator(".badge")).not_to_have_text("Proposed")
        if username == "farmer":
            expect(page.locator("tr", has_text=other)).to_contain_text("Agreed")
            _nav(page, "Deals")
            page.locator("table a").first.click()
            page.get_by_label("Delivered mass (t)").fill("120")
            page.get_by_role("button", name="Record").click()
            expect(page.get_by_text("Delivery recorded.")).to_be_visible()
        _logout(page)

    login(page, live_server, "analyst", PASSWORD)
    after = _figures(page)
    assert after["deals"] == "1" and before["deals"] == "0"
    assert after["delivered"] != before["delivered"] and after["delivered"].startswith("120")
    assert after["diverted"] != before["diverted"]
    assert outside_requests == []


def test_the_marketplace_search_draws_results_on_the_map(
    page, live_server, grain_market, farm, outside_requests
):
    login(page, live_server, "farmer", PASSWORD)
    _nav(page, "Marketplace")
    page.get_by_label("Material").select_option("brewers_spent_grain")
    page.get_by_label("Within (km)").fill("60")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".results .result")).to_have_count(1)
    expect(page.locator(".results")).to_contain_text("Almaty Brewery")
    # Another organisation's site: a ~1 km circle, not a pin; the searching site and radius are drawn too.
    expect(page.locator("#search-map path.site-area")).to_have_count(1)
    expect(page.locator("#search-map path.search-origin")).to_have_count(1)
    expect(page.locator("#search-map")).to_have_attribute("data-points", "1")
    page.locator(".results a").first.click()
    expect(page.locator("#listing-map path.site-area")).to_have_count(1)
    assert outside_requests == []


def test_the_site_form_picks_coordinates_on_the_map(page, live_server, brewery, outside_requests):
    login(page, live_server, "brewer", PASSWORD)
    page.goto(f"{live_server.url}/accounts/sites/new/")
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Malt store")
    page.locator("#site-map").click(position={"x": 120, "y": 100})
    expect(page.locator("#id_latitude")).not_to_have_value("")
    expect(page.locator("#id_longitude")).not_to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Site “Malt store” added.")).to_be_visible()
    assert outside_requests == []


MAIN_PAGES = {
    "brewer": [
        "/",
        "/matching/dashboard/",
        "/marketplace/search/",
        "/marketplace/mine/",
        "/marketplace/mine/?kind=needs",
        "/marketplace/offers/new/",
        "/marketplace/needs/new/",
        "/marketplace/import/",
        "/marketplace/factor-sets/",
        "/matching/proposals/",
        "/matching/deals/",
        "/matching/runs/",
        "/accounts/dashboard/",
        "/accounts/sites/new/",
    ],
    "analyst": [
        "/matching/dashboard/",
        "/marketplace/search/",
        "/marketplace/factor-sets/",
        "/marketplace/factor-sets/diff/",
        "/matching/runs/",
        "/accounts/verification/",
        "/reports/impact/",
    ],
}


def test_every_main_page_loads_without_leaving_the_app(
    page, live_server, grain_market, brewery, municipality, run_now, outside_requests
):
    from marketplace.models import Offer

    run_now()
    offer = Offer.objects.get()
    pages = {
        **MAIN_PAGES,
        "brewer": [
            *MAIN_PAGES["brewer"],
            f"/marketplace/offers/{offer.pk}/",
            f"/marketplace/offers/{offer.pk}/edit/",
        ],
    }
    problems = []
    page.on(
        "console", lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None
    )
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    for username, urls in pages.items():
        login(page, live_server, username, PASSWORD)
        for url in urls:
            response = settle(page, f"{live_server.url}{url}")
            assert response.status == 200, url
        page.context.clear_cookies()
    assert outside_requests == []
    # Tiles are the one allowed outside request (answered empty by the fixture); any other console
    # error (a script failing, a CSP refusal of our own code) fails the test.
    assert [p for p in problems if "tile.openstreetmap.org" not in p] == []
