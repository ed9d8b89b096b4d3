"""A what-if comparison in a real browser (issue 14 point 5)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_city_tries_a_new_feed_mill_and_compares_it_with_the_last_real_run(
    page, live_server, grain_market, municipality, run_now, outside_requests
):
    real = run_now()
    login(page, live_server, "analyst", PASSWORD)
    page.get_by_role("link", name="Match runs").click()
    form = page.locator("form[data-form='what-if']")
    form.get_by_label("Objective").select_option("divert_then_distance")
    form.get_by_label("Radius factor").fill("1.5")
    form.get_by_label("Hypothetical need: material").select_option("brewers_spent_grain")
    form.get_by_label("Hypothetical need: tonnes a year").fill("500")
    form.get_by_label("Hypothetical need: latitude").fill("43.24")
    form.get_by_label("Hypothetical need: longitude").fill("76.95")
    form.get_by_label("Hypothetical need: collection radius (km)").fill("30")
    form.get_by_role("button", name="Start a what-if run").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("[data-what-if]")).to_contain_text("nothing was published")
    page.get_by_role("link", name="Compare with the last real run").click()
    totals = page.locator("table[data-compare='totals']")
    expect(totals).to_contain_text(f"#{real.pk}")
    diverted = totals.locator("tr", has_text="Diverted from waste (t)")
    expect(diverted).to_contain_text("1,500")
    expect(diverted).to_contain_text("2,000")
    expect(diverted).to_contain_text("+500")
    expect(page.locator("table[data-compare='material']")).to_contain_text("Brewer")
    expect(page.locator("table[data-compare='district']")).to_contain_text("Almaly")
    assert outside_requests == []
