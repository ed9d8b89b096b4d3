"""Distances do not locate hidden sites (issue 10 point 6): proposals, explanations, reports, search."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Site
from marketplace.geo import haversine_km
from marketplace.selectors import coarse_coordinate
from matching import services
from matching.flow_view import Viewer, flow_view_for
from matching.models import Proposal
from matching.reports.impact_report import ReportParams, impact_report_for
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(grain_market, run_now):
    run = run_now()
    assert run.status == "succeeded", run.error
    return Proposal.objects.select_related("offer__site", "need__site", "factor_set", "run").get()


def expected_km(own_site, other_site, circuity=1.3) -> Decimal:
    km = haversine_km(
        float(own_site.latitude),
        float(own_site.longitude),
        float(coarse_coordinate(other_site.latitude)),
        float(coarse_coordinate(other_site.longitude)),
    )
    return Decimal(repr(km * circuity)).quantize(Decimal(1), rounding="ROUND_HALF_UP")


def test_a_party_sees_the_distance_to_the_rounded_site_in_whole_km(proposal, brewery, farm):
    row = brewery.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    km = expected_km(brewery.site, farm.site)
    assert row["distance_exact"] is False and Decimal(row["distance_km"]) == km
    assert Decimal(row["distance_km"]) != proposal.distance_km  # the exact one is to the metre
    freight = proposal.factor_set.road_freight_kg_per_tkm
    transport = (proposal.mass_t * km * freight).quantize(Decimal("0.001"))
    assert Decimal(row["impact"]["transport_kg"]) == transport
    assert Decimal(row["impact"]["net_kg"]) == proposal.net_kg + proposal.transport_kg - transport
    assert f", {km} km;" in row["explanation"]


def test_each_side_measures_from_its_own_exact_site_to_the_others_rounded_one(proposal, brewery, farm):
    row = farm.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert Decimal(row["distance_km"]) == expected_km(farm.site, brewery.site)


def test_moving_the_hidden_site_within_its_rounding_cell_changes_nothing_shown(proposal, brewery, farm):
    before = brewery.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    # 43.3030, 77.2400 → 43.3049, 77.2351: the same rounded point (43.30, 77.24), 440 m away.
    Site.objects.filter(pk=farm.site.pk).update(latitude=Decimal("43.3049"), longitude=Decimal("77.2351"))
    after = brewery.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert (after["distance_km"], after["impact"], after["explanation"]) == (
        before["distance_km"],
        before["impact"],
        before["explanation"],
    )


def test_the_municipality_sees_exact_figures(proposal, municipality):
    row = municipality.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert row["distance_exact"] is True and Decimal(row["distance_km"]) == proposal.distance_km
    assert Decimal(row["impact"]["net_kg"]) == proposal.net_kg


def test_the_parties_see_exact_figures_after_the_deal(proposal, brewery, farm):
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    for persona in (brewery, farm):
        row = persona.client().get(f"/api/v1/proposals/{proposal.pk}/").json()
        assert row["distance_exact"] is True and Decimal(row["distance_km"]) == proposal.distance_km
        deal = persona.client().get("/api/v1/deals/").json()["results"][0]
        assert Decimal(deal["distance_km"]) == proposal.distance_km


def test_a_member_of_both_parties_sees_exact_figures(proposal, brewery, farm):
    from accounts import services as accounts

    accounts.membership_add(user=brewery.user, organisation=farm.organisation, role="member")
    view = flow_view_for(Viewer.of(brewery.user), proposal)
    assert view.exact and view.distance_km == proposal.distance_km


def test_the_inbox_states_the_rounded_distance(proposal, brewery, farm, client):
    client.force_login(brewery.user)
    page = client.get(reverse("matching:proposals")).content.decode()
    km = expected_km(brewery.site, farm.site)
    assert f"≈ {km} km" in page and f"{proposal.distance_km.quantize(Decimal('0.1'))} km" not in page


def test_a_companys_proposed_report_uses_the_same_rounded_distance(proposal, brewery, farm):
    report = impact_report_for(user=brewery.user, params=ReportParams("proposed", "material"))
    km = expected_km(brewery.site, farm.site)
    assert report["totals"]["tkm"] == (proposal.mass_t * km).quantize(Decimal("0.001"))
    city = impact_report_for(user=f.make_user("nobody"), params=ReportParams("proposed", "material"))
    assert city["totals"]["records"] == 0


def test_the_city_report_keeps_exact_figures(proposal, municipality):
    report = impact_report_for(user=municipality.user, params=ReportParams("proposed", "material"))
    assert report["totals"]["tkm"] == (proposal.mass_t * proposal.distance_km).quantize(Decimal("0.001"))
    assert report["totals"]["net_kg"] == proposal.net_kg


# --- Search ---------------------------------------------------------------------------------------


def test_search_states_road_km_by_matchings_rule_and_says_so(client, brewery, farm, grain_market):
    client.force_login(farm.user)
    page = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": "80"}
    ).content.decode()
    km = expected_km(farm.site, brewery.site)
    assert f"≈ {km} km away" in page
    assert "great-circle distance × 1.3" in page


def test_the_search_radius_is_a_road_distance(client, brewery, farm, grain_market):
    client.force_login(farm.user)
    great_circle = haversine_km(
        float(farm.site.latitude),
        float(farm.site.longitude),
        float(coarse_coordinate(brewery.site.latitude)),
        float(coarse_coordinate(brewery.site.longitude)),
    )
    inside = str(int(great_circle * 1.3) + 1)
    outside = str(int(great_circle * 1.3) - 1)  # within the great circle, beyond the road
    assert int(outside) > great_circle
    found = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": inside}
    )
    missed = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": outside}
    )
    assert "Almaty Brewery" in found.content.decode()
    assert "Almaty Brewery" not in missed.content.decode().split("search-results")[1]
