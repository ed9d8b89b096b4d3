"""The city dashboard's charts and maps in a browser: horizontal bars for categories, a Sankey
whose last column is labelled inside the box, charts that follow their box, and a visible note
when the map tiles cannot be loaded."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.monitor.city import build_city

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A 1×1 grey PNG: a tile that loads.
TILE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
WIDTH = "(sel) => document.querySelector(sel + ' canvas').getBoundingClientRect().width"


def test_category_charts_are_horizontal_and_follow_their_box(page, live_server, municipality, run_now):
    build_city(run_now)
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "analyst", PASSWORD)
    page.goto(f"{live_server.url}/matching/dashboard/?basis=agreed")
    material = page.locator("[data-chart='material']")
    expect(material.locator("canvas")).to_have_count(1)
    expect(material).to_have_attribute("data-orientation", "horizontal")
    expect(page.locator("[data-chart='month']")).not_to_have_attribute("data-orientation", "horizontal")
    option = page.evaluate(
        "() => { const o = echarts.getInstanceByDom(document.querySelector(\"[data-chart='material']\"))"
        ".getOption(); return [o.yAxis[0].type, o.yAxis[0].data.length, o.xAxis[0].type]; }"
    )
    assert option == ["category", 5, "value"]
    # The Sankey's receiving sectors (no outgoing links) are labelled left of their nodes.
    positions = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('sankey')).getOption().series[0].data"
        ".filter(n => n.name.startsWith('receive:')).map(n => n.label && n.label.position)"
    )
    assert positions and set(positions) == {"left"}
    wide = page.evaluate(WIDTH, "[data-chart='material']")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        f"({WIDTH})(\"[data-chart='material']\") < {wide} - 100", polling=100, timeout=5000
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_map_whose_tiles_fail_says_so(page, live_server, municipality, run_now):
    build_city(run_now)
    login(page, live_server, "analyst", PASSWORD)  # tiles are answered with an empty 204
    expect(page.locator("#flow-map path.flow-line").first).to_be_visible()
    note = page.locator("#flow-map + .map-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("could not be loaded")
    expect(note).to_have_attribute("role", "status")


def test_a_map_whose_tiles_load_shows_no_note(page, live_server, municipality, run_now):
    build_city(run_now)
    page.route(
        "https://tile.openstreetmap.org/**",
        lambda route: route.fulfill(status=200, body=TILE_PNG, content_type="image/png"),
    )
    login(page, live_server, "analyst", PASSWORD)
    expect(page.locator("#flow-map img.leaflet-tile-loaded").first).to_be_attached()
    page.wait_for_timeout(500)
    expect(page.locator(".map-note")).to_have_count(0)
