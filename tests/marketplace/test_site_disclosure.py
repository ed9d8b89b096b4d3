"""One deal discloses the two sites in it exactly, not every site of the counterpart."""

from __future__ import annotations

import pytest

from marketplace import selectors
from matching import services
from matching.models import Deal, Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreed(grain_market, brewery, farm, run_now):
    """The grain deal (brewery main site → farm main site), and a second, unrelated brewery site."""
    malt_store = f.make_site(
        brewery.organisation, "Malt store", latitude="43.301234", longitude="76.912345", address="Secret 7"
    )
    other_offer = f.make_offer(brewery.organisation, malt_store, "bread_residues", 100)
    run_now()
    proposal = Proposal.objects.get(offer=grain_market[0])
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=farm.user)
    assert Deal.objects.count() == 1
    return malt_store, other_offer


def locations(client, url="/api/v1/offers/"):
    return {row["id"]: row["site_location"] for row in client.get(url).json()["results"]}


def test_the_counterpart_sees_the_deals_site_exactly_and_no_other(agreed, brewery, farm, grain_market):
    malt_store, other_offer = agreed
    seen = locations(farm.client())
    deal_site = seen[grain_market[0].pk]
    assert deal_site["exact"] is True
    assert deal_site["latitude"] == str(brewery.site.latitude) and deal_site["address"] == "Abay Ave 1"
    other = seen[other_offer.pk]
    assert other["exact"] is False and other["address"] is None
    assert other["latitude"] == "43.30" and other["longitude"] == "76.91"
    assert selectors.can_see_exact_site(farm.user, brewery.site.pk)
    assert not selectors.can_see_exact_site(farm.user, malt_store.pk)


def test_the_supplier_sees_the_receivers_deal_site(agreed, brewery, farm, grain_market):
    need = grain_market[1]
    seen = {
        row["id"]: row["site_location"] for row in brewery.client().get("/api/v1/needs/").json()["results"]
    }
    assert seen[need.pk]["exact"] is True
    assert selectors.exact_site_ids(brewery.user) >= {brewery.site.pk, agreed[0].pk, farm.site.pk}


def test_a_third_company_sees_both_rounded(agreed, grain_market):
    third = f.make_user("third")
    f.make_organisation("Third Co", members=(third,))
    assert selectors.exact_site_ids(third) == set()
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(third)
    assert {loc["exact"] for loc in locations(client).values()} == {False}


def test_the_radius_search_does_not_reveal_the_other_site_either(agreed, farm):
    """Searching a tiny radius around the other site's exact point must not single it out."""
    malt_store, other_offer = agreed
    response = farm.client().get(
        "/api/v1/offers/", {"near": f"{malt_store.latitude},{malt_store.longitude}", "radius_km": "0.05"}
    )
    assert response.status_code == 200
    assert other_offer.pk not in {row["id"] for row in response.json()["results"]}


def test_the_listing_page_follows_the_same_rule(agreed, client, farm, grain_market):
    from django.urls import reverse

    malt_store, other_offer = agreed
    client.force_login(farm.user)
    deal_page = client.get(reverse("marketplace:offer", args=[grain_market[0].pk])).content.decode()
    other_page = client.get(reverse("marketplace:offer", args=[other_offer.pk])).content.decode()
    assert "Abay Ave 1" in deal_page
    assert "Secret 7" not in other_page and "43.301234" not in other_page


def test_the_deal_rule_is_the_one_the_setting_names(agreed, brewery, farm, settings):
    """The marketplace never imports matching: the deal-counterpart rule reaches it through
    ``MARKETPLACE_DEAL_SITES``. Unset, a counterpart sees the deal's site rounded like anyone's."""
    assert settings.MARKETPLACE_DEAL_SITES == "matching.selectors.deal_site_querysets"
    assert selectors.can_see_exact_site(farm.user, brewery.site.pk)
    settings.MARKETPLACE_DEAL_SITES = None
    assert not selectors.can_see_exact_site(farm.user, brewery.site.pk)
    assert selectors.can_see_exact_site(farm.user, farm.site.pk)
