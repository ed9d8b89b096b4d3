"""A conversation in a real browser: two parties write, each sees the other's words as text."""

import re

import pytest
from playwright.sync_api import expect

from matching.models import Message, Proposal
from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


def test_two_parties_talk_on_the_proposal_and_markup_stays_text(
    page, live_server, grain_market, brewery, farm, run_now, outside_requests
):
    from django.core.cache import cache

    cache.clear()
    run_now()
    proposal = Proposal.objects.get()

    login(page, live_server, "brewer", PASSWORD)
    page.get_by_role("link", name="Proposals").click()
    page.locator("tr", has_text="Talgar Dairy Farm").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=f"Proposal #{proposal.pk}", exact=False)).to_be_visible()
    page.get_by_label("Your message").fill("Is <b>5 t</b> a week fine?")
    page.get_by_role("button", name="Send").click()
    conversation = page.locator("#conversation")
    expect(conversation.locator(".message .body")).to_have_text(["Is <b>5 t</b> a week fine?"])
    expect(conversation.locator(".message b")).to_have_count(0)
    expect(page.get_by_label("Your message")).to_have_value("")  # the form came back empty
    page.get_by_label("Your message").fill("   ")
    page.get_by_role("button", name="Send").click()
    expect(conversation.get_by_role("alert")).to_contain_text("1 to 5,000 characters")
    logout(page)

    login(page, live_server, "farmer", PASSWORD)
    expect(page.locator("[data-unread]")).to_have_text("1")
    page.get_by_role("link", name=re.compile("^Messages")).click()
    page.get_by_role("link", name=re.compile(f"Proposal #{proposal.pk}")).click()
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("Almaty Brewery")
    expect(conversation.locator(".message .body").first).to_have_text("Is <b>5 t</b> a week fine?")
    expect(page.locator("[data-unread]")).to_have_count(0)  # read now
    page.get_by_label("Your message").fill("Yes — from <i>May</i>.")
    page.get_by_role("button", name="Send").click()
    expect(conversation.locator(".message .body")).to_have_text(
        ["Is <b>5 t</b> a week fine?", "Yes — from <i>May</i>."]
    )
    logout(page)

    login(page, live_server, "brewer", PASSWORD)
    expect(page.locator("[data-unread]")).to_have_text("1")
    page.goto(f"{live_server.url}/matching/proposals/{proposal.pk}/")
    expect(page.locator("#conversation .message .body").last).to_have_text("Yes — from <i>May</i>.")
    expect(page.locator("#conversation .message i")).to_have_count(0)
    assert Message.objects.count() == 2
    assert outside_requests == []
