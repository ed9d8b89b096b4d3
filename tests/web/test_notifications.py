"""In-app notifications follow the proposals, deals and deliveries themselves."""

import pytest
from django.urls import reverse
from django.utils import timezone

from matching import services
from matching.models import Deal, Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    run_now()
    return Proposal.objects.get()


def page(client, persona):
    client.force_login(persona.user)
    return client.get(reverse("matching:notifications")).content.decode()


def test_a_new_proposal_needs_both_sides_decision_and_shows_a_badge(client, brewery, farm, proposed):
    for persona in (brewery, farm):
        html = page(client, persona)
        assert "New proposal: 1500 t" in html and "needs your decision" in html
        assert 'class="badge warn" aria-label="1 waits for you"' in html


def test_after_one_side_accepts_the_other_is_told_and_the_first_is_not_asked_again(
    client, brewery, farm, proposed
):
    services.proposal_accept(proposal=proposed, actor=brewery.user)
    assert "accepted the proposal" in page(client, farm)
    assert "needs your decision" not in page(client, brewery)


def test_deals_and_the_counterparts_deliveries_are_listed(client, brewery, farm, proposed):
    services.proposal_accept(proposal=proposed, actor=brewery.user)
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    deal = Deal.objects.get()
    services.delivery_record(deal=deal, actor=brewery.user, date=timezone.localdate(), mass_t="100")
    farm_page = page(client, farm)
    assert f"Deal #{deal.pk} agreed" in farm_page and "Delivery of 100 t recorded" in farm_page
    assert "Delivery of 100 t" not in page(client, brewery)  # you know what you recorded yourself


def test_an_outsider_has_nothing_and_a_helpful_empty_state(client, outsider, proposed):
    assert "Nothing new in the last 30 days" in page(client, outsider)
