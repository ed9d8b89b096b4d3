"""Map controls and chart words in the page's language, in a real browser (issue 15, point 5):
Leaflet's zoom buttons and attribution prefix, ECharts' legends and tooltips on a Russian page."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.incoming_catalogue import incoming_translations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _incoming():
    with incoming_translations("l10n"):
        yield


def in_language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def test_map_controls_speak_the_page_language(page, live_server, grain_market, outside_requests):
    login(page, live_server, "brewer", PASSWORD)
    in_language(page, live_server, "ru")
    page.goto(f"{live_server.url}/marketplace/search/")
    zoom_in = page.locator("#search-map .leaflet-control-zoom-in")
    expect(zoom_in).to_have_attribute("title", "Приблизить")
    expect(page.locator("#search-map .leaflet-control-zoom-out")).to_have_attribute("title", "Отдалить")
    prefix = page.locator("#search-map .leaflet-control-attribution a").first
    expect(prefix).to_have_attribute("title", "Библиотека JavaScript для интерактивных карт")
    in_language(page, live_server, "kk")
    page.goto(f"{live_server.url}/marketplace/search/")
    expect(page.locator("#search-map .leaflet-control-zoom-in")).to_have_attribute("title", "Жақындату")
    assert outside_requests == []


def test_chart_legends_and_tooltips_use_the_page_units_and_numbers(
    page, live_server, grain_market, run_now, outside_requests
):
    run_now()
    login(page, live_server, "analyst", PASSWORD)
    in_language(page, live_server, "ru")
    page.goto(f"{live_server.url}/matching/dashboard/")
    chart = page.locator('[data-chart="material"]')
    expect(chart.locator("canvas")).to_have_count(1)
    legend = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('[data-chart=\"material\"]'))"
        ".getOption().legend[0].data"
    )
    assert legend == ["т", "т CO₂e"]
    assert page.evaluate("() => Qaita.l10n.qty(1234.5, 't')") == "1\u00a0234,5 т"
    assert outside_requests == []
