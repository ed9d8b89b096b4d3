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


@pytest.mark.parametrize(
    ("lang", "card", "text"),
    [
        ("en", "1 780.0 t", "· 2 345.7 t moved in all"),
        ("ru", "1 780,0 т", "· всего перемещено 2 345,7 т"),
        ("kk", "1 780,0 т", "· барлығы 2 345,7 т тасымалданған"),
    ],
)
def test_moved_in_all_reads_the_qty_format_of_the_other_figures(lang, card, text):
    """The "moved in all" note beside the diverted card: the same ``qty`` format as the cards."""
    from decimal import Decimal

    from django.template.loader import render_to_string
    from django.utils import translation

    figures = {"diverted_t": Decimal("1780"), "mass_t": Decimal("2345.67"), "net_t": Decimal("12.5")}
    figures |= {"tkm": Decimal("100"), "deals": 5}
    context = {
        "headline_current": figures,
        "headline_basis": "agreed",
        "headline": {"proposed": figures, "agreed": figures, "delivered": figures},
    }
    with translation.override(lang):
        html = render_to_string("matching/partials/headline.html", context)
    flat = re.sub(r"\s+", " ", html.replace("\xa0", " "))
    assert text in flat
    # the card beside it reads the same format
    assert f'data-figure="diverted">{card}<' in flat
