"""The city dashboard's headline cards follow the basis chosen above them."""

import re

import pytest
from django.urls import reverse

from tests.monitor.city import build_city

pytestmark = pytest.mark.django_db


def _cards(html: str) -> tuple[str, str]:
    basis = re.search(r'<div class="figures" data-basis="(\w+)">', html)
    diverted = re.search(r'data-figure="diverted">([^<]*)<', html)
    assert basis and diverted
    return basis.group(1), diverted.group(1)


def test_the_cards_show_the_figures_of_the_chosen_basis(client, municipality, run_now):
    city = build_city(run_now)
    from tests.monitor.city import deliver

    deliver(city, "steel_scrap", 50, city.deals["steel_scrap"].agreed_at.date())
    client.force_login(municipality.user)
    url = reverse("matching:dashboard")

    agreed = client.get(url, {"basis": "agreed"}).content.decode()
    assert _cards(agreed) == ("agreed", "1 780.0 t")  # the five deals of tests/monitor/city.py
    assert "diverted from waste (agreed)" in agreed

    delivered = client.get(url, {"basis": "delivered"}).content.decode()
    assert _cards(delivered)[0] == "delivered"
    assert _cards(delivered)[1].startswith("50")
    assert "diverted from waste (deliveries)" in delivered and "diverted from waste (agreed)" not in delivered

    proposed = client.get(url).content.decode()  # the default basis: proposals
    assert _cards(proposed)[0] == "proposed"
    assert "diverted from waste (proposals)" in proposed
    assert '<option value="proposed" selected>' in proposed
    # The strip under the cards compares all three bases and marks the chosen one.
    assert re.search(r'<div class="current"><dt>proposed by the optimiser', proposed)
    assert 'data-figure="delivered">50' in proposed
