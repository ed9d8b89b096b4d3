"""A posted ``next`` is followed only back into this site (proposal decisions, verification)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Proposal

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    "\\\\evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_verify_ignores_a_next_to_another_site(client, municipality, outsider, target):
    client.force_login(municipality.user)
    response = client.post(
        reverse("accounts:organisation-verify", args=[outsider.organisation.pk]), {"next": target}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:verification-queue")
    outsider.organisation.refresh_from_db()
    assert outsider.organisation.verified


def test_verify_follows_a_next_inside_the_site(client, municipality, outsider):
    client.force_login(municipality.user)
    target = reverse("accounts:organisation", args=[outsider.organisation.pk])
    response = client.post(
        reverse("accounts:organisation-verify", args=[outsider.organisation.pk]), {"next": target}
    )
    assert response.url == target


@pytest.mark.parametrize("decision", ["accept", "decline"])
@pytest.mark.parametrize("target", HOSTILE[:3])
def test_a_proposal_decision_ignores_a_next_to_another_site(
    client, brewery, grain_market, run_now, decision, target
):
    run_now()
    proposal = Proposal.objects.get()
    client.force_login(brewery.user)
    response = client.post(reverse(f"matching:proposal-{decision}", args=[proposal.pk]), {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("matching:proposals")


def test_a_proposal_decision_follows_a_next_inside_the_site(client, brewery, grain_market, run_now):
    run_now()
    proposal = Proposal.objects.get()
    client.force_login(brewery.user)
    target = reverse("matching:proposals") + "?status=all"
    response = client.post(reverse("matching:proposal-accept", args=[proposal.pk]), {"next": target})
    assert response.url == target
