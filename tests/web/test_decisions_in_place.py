"""Decisions in place: the decision box follows the transition table and carries its own message."""

import pytest
from django.urls import reverse

from accounts.models import Event
from matching import services
from matching.decisions import proposal_decisions_for
from matching.models import Proposal, ProposalStatus

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def proposed(grain_market, run_now):
    run_now()
    return Proposal.objects.get()


def _box(pk):
    return {**HX, "HTTP_HX_TARGET": f"decision-{pk}"}


def test_after_accepting_the_box_says_whom_it_waits_for_and_drops_accept(client, brewery, proposed):
    client.force_login(brewery.user)
    box = client.post(reverse("matching:proposal-accept", args=[proposed.pk]), **_box(proposed.pk))
    html = box.content.decode()
    assert box.status_code == 200 and html.startswith(f'<div id="decision-{proposed.pk}"')
    assert "Accepted by the supplier" in html
    assert "waiting for Talgar Dairy Farm until" in html  # the counterpart, and the deadline
    assert 'data-decision="accept"' not in html and 'data-decision="decline"' in html
    assert "Accepted for your side" in html  # the message where the action happened
    # ... and not one page late.
    assert "Accepted for your side" not in client.get(reverse("matching:proposals")).content.decode()


def test_the_second_acceptance_agrees_and_leaves_no_buttons(client, brewery, farm, proposed):
    services.proposal_accept(proposal=proposed, actor=brewery.user)
    client.force_login(farm.user)
    html = client.post(
        reverse("matching:proposal-accept", args=[proposed.pk]), **_box(proposed.pk)
    ).content.decode()
    assert 'data-status="agreed"' in html and "data-decision" not in html
    assert "Agreed: the deal is on your deals page." in html
    assert reverse("matching:deal", args=[Proposal.objects.get().deal.pk]) in html


def test_a_stale_second_click_shows_why_in_the_box(client, brewery, proposed):
    client.force_login(brewery.user)
    url = reverse("matching:proposal-accept", args=[proposed.pk])
    client.post(url, **_box(proposed.pk))
    again = client.post(url, **_box(proposed.pk))
    assert again.status_code == 200  # htmx swaps it in
    assert "cannot change now" in again.content.decode()
    assert Proposal.objects.get().status == ProposalStatus.ACCEPTED_BY_OFFER


def test_declining_takes_an_optional_reason(client, farm, proposed):
    client.force_login(farm.user)
    html = client.post(
        reverse("matching:proposal-decline", args=[proposed.pk]),
        {"reason": "  We found feed closer to the farm.  "},
        **_box(proposed.pk),
    ).content.decode()
    assert 'data-status="declined"' in html and "data-decision" not in html
    assert "Declined: the pair will not be proposed again." in html
    event = Event.objects.get(action="proposal.declined")
    assert event.data == {"reason": "We found feed closer to the farm."}


def test_the_proposal_page_has_the_reason_box(client, farm, proposed):
    client.force_login(farm.user)
    page = client.get(reverse("matching:proposal", args=[proposed.pk])).content.decode()
    assert f'id="decline-reason-{proposed.pk}"' in page and 'name="reason"' in page
    assert f'hx-target="#decision-{proposed.pk}"' in page


def test_an_inbox_row_target_gets_the_row_back(client, brewery, proposed):
    client.force_login(brewery.user)
    row = client.post(
        reverse("matching:proposal-accept", args=[proposed.pk]),
        **HX,
        HTTP_HX_TARGET=f"proposal-{proposed.pk}",
    ).content.decode()
    assert row.startswith(f'<tr id="proposal-{proposed.pk}">') and "Accepted for your side" in row


def test_without_htmx_the_decision_redirects_and_the_message_follows(client, brewery, proposed):
    client.force_login(brewery.user)
    url = reverse("matching:proposal", args=[proposed.pk])
    response = client.post(reverse("matching:proposal-accept", args=[proposed.pk]), {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert "Accepted for your side" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("status", "side", "accept", "decline"),
    [
        (ProposalStatus.PROPOSED, "brewery", True, True),
        (ProposalStatus.ACCEPTED_BY_OFFER, "brewery", False, True),
        (ProposalStatus.ACCEPTED_BY_OFFER, "farm", True, True),
        (ProposalStatus.ACCEPTED_BY_NEED, "brewery", True, True),
        (ProposalStatus.ACCEPTED_BY_NEED, "farm", False, True),
        (ProposalStatus.AGREED, "farm", False, False),
        (ProposalStatus.DECLINED, "brewery", False, False),
        (ProposalStatus.EXPIRED, "farm", False, False),
        (ProposalStatus.PROPOSED, "outsider", False, False),
    ],
)
def test_buttons_follow_the_transition_table(
    proposed, brewery, farm, outsider, status, side, accept, decline
):
    Proposal.objects.filter(pk=proposed.pk).update(status=status)
    proposed.refresh_from_db()
    user = {"brewery": brewery, "farm": farm, "outsider": outsider}[side].user
    d = proposal_decisions_for(user=user, proposal=proposed)
    assert (d.can_accept, d.can_decline) == (accept, decline)
