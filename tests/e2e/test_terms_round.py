"""A terms round in a real browser: the supplier proposes terms on the proposal page, the receiver
accepts, and the deal page shows the agreed terms and the delivery plan."""

import re

import pytest
from playwright.sync_api import expect

from matching.models import Deal, Proposal
from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


def test_supplier_proposes_terms_receiver_accepts_deal_shows_terms_and_plan(
    page, live_server, grain_market, brewery, farm, run_now, outside_requests
):
    from django.core.cache import cache

    cache.clear()
    run_now()
    proposal = Proposal.objects.get()

    login(page, live_server, "brewer", PASSWORD)
    page.goto(f"{live_server.url}/matching/proposals/{proposal.pk}/")
    form = page.locator("#terms-form")
    form.get_by_label("Quantity").fill("120")
    form.get_by_label(re.compile("^Price per unit")).fill("-1500")
    form.get_by_label("Transport by").select_option("receiver")
    form.get_by_label("Deliveries").select_option("month")
    form.get_by_label("From").fill("2027-01-15")
    form.get_by_label("Until").fill("2027-03-15")
    form.get_by_role("button", name="Propose these terms").click()
    terms = page.locator("#terms")
    expect(terms.locator("[data-terms-quantity]")).to_have_text("120 t")
    expect(terms.locator("[data-terms-price]")).to_contain_text("-1500.00")
    expect(page.locator("#conversation [data-terms-entry]")).to_contain_text(
        "Terms proposed by Almaty Brewery (revision 1): 120 t"
    )
    logout(page)

    login(page, live_server, "farmer", PASSWORD)
    page.goto(f"{live_server.url}/matching/proposals/{proposal.pk}/")
    expect(page.locator("#conversation [data-terms-entry]")).to_contain_text("gate fee of 1 500.00 KZT per t")
    page.get_by_role("button", name="Accept", exact=True).click()
    # The decision box is swapped in place (htmx): wait for it before reading the deal.
    expect(page.locator(f"#decision-{proposal.pk}")).to_have_attribute("data-status", "agreed")
    deal = Deal.objects.get()
    page.goto(f"{live_server.url}/matching/deals/{deal.pk}/")
    expect(page.locator("#terms [data-terms-quantity]")).to_have_text("120 t")
    expect(page.locator("#terms [data-terms-transport]")).to_have_text("The receiver")
    rows = page.locator("#plan [data-plan-row]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("2027-01-15")
    expect(rows.nth(2)).to_contain_text("120 t")  # cumulative
    assert deal.quantity == 120 and deal.terms.number == 1
    assert outside_requests == []
