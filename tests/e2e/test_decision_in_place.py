"""Decisions in place in a real browser: htmx swaps the decision box, message included."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from matching.models import Proposal
from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_accept_then_decline_with_a_reason_in_place(
    page, live_server, grain_market, brewery, farm, run_now, outside_requests
):
    run_now()
    pid = Proposal.objects.get().pk
    login(page, live_server, "brewer", PASSWORD)
    page.goto(f"{live_server.url}/matching/proposals/{pid}/")
    page.evaluate("window.__notReloaded = true")
    box = page.locator(f"#decision-{pid}")
    box.get_by_role("button", name="Accept").click()
    expect(box).to_contain_text("Accepted for your side")
    expect(box).to_contain_text(re.compile(r"waiting for Talgar Dairy Farm until"))
    expect(box.get_by_role("button", name="Accept")).to_have_count(0)
    assert page.evaluate("window.__notReloaded") is True  # swapped, not reloaded
    page.get_by_role("button", name=re.compile("Log out")).click()

    login(page, live_server, "farmer", PASSWORD)
    page.goto(f"{live_server.url}/matching/proposals/")
    row_box = page.locator(f"#decision-{pid}")
    row_box.get_by_text("Decline", exact=True).click()  # opens the reason box
    row_box.get_by_label("Reason (optional)").fill("Feed found nearer")
    row_box.get_by_role("button", name="Decline this proposal").click()
    expect(row_box).to_contain_text("Declined: the pair will not be proposed again.")
    expect(row_box.locator("[data-decision]")).to_have_count(0)
    assert Event.objects.get(action="proposal.declined").data["reason"] == "Feed found nearer"
    assert outside_requests == []
