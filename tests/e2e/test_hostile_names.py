"""Names typed by users reach Leaflet and ECharts as text, never as markup.

The browser runs with the page's Content-Security-Policy bypassed, so that the escaping itself is
tested: with the CSP on, an injected ``onerror`` would be blocked anyway, but the injected element
would still be there. A control experiment in each page shows that such markup would run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUPPLIER = '"><img src=x onerror=window.__xss=1>'
RECEIVER = "<svg onload=window.__xss=2></svg>'\"`"
SITE = "<img src=x onerror=window.__xss=3>Yard"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def hostile_market(db, municipality):
    supplier = f.make_user("supplier")
    receiver = f.make_user("receiver")
    s_org = f.make_organisation(SUPPLIER, members=(supplier,))
    r_org = f.make_organisation(RECEIVER, members=(receiver,))
    s_site = f.make_site(s_org, SITE, latitude="43.2380", longitude="76.9450", address=SUPPLIER)
    r_site = f.make_site(r_org, RECEIVER, latitude="43.3030", longitude="77.2400")
    offer = f.make_offer(s_org, s_site, "brewers_spent_grain", 2000)
    need = f.make_need(r_org, r_site, ["brewers_spent_grain"], 1500, max_distance_km=80)
    return offer, need


def assert_nothing_injected(page) -> None:
    # The control: markup put into the page by hand does run (CSP bypassed, images error out).
    page.evaluate(
        "() => { const d = document.createElement('div');"
        " d.innerHTML = '<img src=x onerror=\"window.__control=1\">'; document.body.appendChild(d); }"
    )
    page.wait_for_function("() => window.__control === 1")
    page.evaluate("() => document.querySelectorAll('img[onerror*=__control]').forEach(e => e.remove())")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    injected = "img[src='x'], img[onerror], svg[onload], b[onmouseover]"
    assert page.locator(injected).count() == 0


def test_the_city_dashboard_flow_tooltip_shows_names_as_text(
    page, live_server, hostile_market, run_now, outside_requests
):
    run_now()
    login(page, live_server, "analyst", PASSWORD)
    line = page.locator("#flow-map path.flow-line")
    expect(line).to_have_count(1)
    line.hover(force=True)
    tooltip = page.locator("#flow-map .leaflet-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(SUPPLIER)
    expect(tooltip).to_contain_text(RECEIVER)
    # ECharts tooltips too (the formatters escape); hover the bar chart and the Sankey.
    for chart in ("[data-chart='material']", "#sankey"):
        page.locator(chart).hover()
    assert_nothing_injected(page)
    assert outside_requests == []


def test_the_search_map_popup_and_the_listing_map_tooltip_show_names_as_text(
    page, live_server, hostile_market, outside_requests
):
    offer, _ = hostile_market
    login(page, live_server, "receiver", PASSWORD)
    page.goto(f"{live_server.url}/marketplace/search/")
    page.get_by_label("Material").select_option("brewers_spent_grain")
    page.get_by_role("button", name="Search", exact=True).click()
    area = page.locator("#search-map path.site-area")
    expect(area).to_have_count(1)
    popup = page.locator("#search-map .leaflet-popup-content")
    # fitBounds animates the zoom: a click during the animation can miss the circle, so retry.
    for _ in range(20):
        area.click(force=True)
        if popup.count():
            break
        page.wait_for_timeout(250)
    expect(popup).to_contain_text(SUPPLIER)
    assert_nothing_injected(page)

    page.goto(f"{live_server.url}/marketplace/offers/{offer.pk}/")
    circle = page.locator("#listing-map path.site-area")
    expect(circle).to_have_count(1)
    circle.hover(force=True)
    expect(page.locator("#listing-map .leaflet-tooltip")).to_contain_text(SUPPLIER)
    assert_nothing_injected(page)
    assert outside_requests == []


def test_the_site_picker_tooltip_shows_the_site_name_as_text(
    page, live_server, hostile_market, outside_requests
):
    login(page, live_server, "supplier", PASSWORD)
    page.goto(f"{live_server.url}/marketplace/offers/new/")
    expect(page.locator("#site-map .leaflet-marker-icon")).to_have_count(1)
    page.locator("#site-map .leaflet-marker-icon").hover(force=True)
    expect(page.locator("#site-map .leaflet-tooltip")).to_contain_text(SITE)
    assert_nothing_injected(page)
    # The site form's map and the organisation's own listing page carry the name too.
    page.goto(f"{live_server.url}/marketplace/offers/{hostile_market[0].pk}/")
    page.locator("#listing-map .leaflet-marker-icon").hover(force=True)
    expect(page.locator("#listing-map .leaflet-tooltip")).to_contain_text(SUPPLIER)
    assert_nothing_injected(page)
    assert outside_requests == []
