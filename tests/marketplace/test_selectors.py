"""Selectors: who sees which listing, the exact-site rule and the radius search."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from marketplace import geo, selectors, services
from marketplace.selectors import ListingFilters
from tests import factories
from tests.marketplace.helpers import make_need, make_offer


def ids(queryset) -> set[int]:
    return {listing.pk for listing in queryset}


def test_others_see_only_active_listings_of_verified_organisations(brewery, farm, outsider, catalogue):
    active = make_offer(brewery)
    draft = make_offer(brewery, status="draft")
    paused = services.offer_set_status(offer=make_offer(brewery), actor=brewery.user, status="paused")
    unverified = make_offer(outsider)
    assert ids(selectors.offer_list_for(user=farm.user)) == {active.pk}
    assert ids(selectors.offer_list_for(user=brewery.user)) == {active.pk, draft.pk, paused.pk}
    assert ids(selectors.offer_list_for(user=outsider.user)) == {active.pk, unverified.pk}


def test_the_municipality_sees_every_listing(brewery, outsider, municipality, catalogue):
    listings = {make_offer(brewery).pk, make_offer(brewery, status="draft").pk, make_offer(outsider).pk}
    assert ids(selectors.offer_list_for(user=municipality.user)) == listings


def test_the_exact_site_is_for_the_owner_and_the_municipality_only(brewery, farm, municipality, db):
    site = brewery.site.pk
    assert selectors.can_see_exact_site(brewery.user, site)
    assert selectors.can_see_exact_site(municipality.user, site)
    assert not selectors.can_see_exact_site(farm.user, site)


def test_without_the_matching_app_only_own_sites_are_exact(brewery, farm, settings, db):
    # The marketplace imports no matching module; matching's rule comes through this setting.
    settings.MARKETPLACE_DEAL_SITES = None
    assert selectors.exact_site_ids(farm.user) == {farm.site.pk}


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_radius_search_agrees_with_an_independent_haversine(brewery, catalogue, seed):
    rng = random.Random(seed)
    points = {}
    for i in range(60):
        lat = Decimal(str(round(43.24 + rng.uniform(-1.2, 1.2), 6)))
        lon = Decimal(str(round(76.95 + rng.uniform(-1.6, 1.6), 6)))
        site = factories.make_site(brewery.organisation, f"Random {seed}-{i}", latitude=lat, longitude=lon)
        points[make_offer(brewery, site=site).pk] = (float(lat), float(lon))
    for _ in range(6):
        centre = (43.24 + rng.uniform(-0.8, 0.8), 76.95 + rng.uniform(-0.8, 0.8))
        radius = rng.choice([5.0, 25.0, 60.0, 120.0])
        found = list(
            selectors.offer_list_for(user=brewery.user, filters=ListingFilters(near=centre, radius_km=radius))
        )
        expected = {
            pk
            for pk, (lat, lon) in points.items()
            if geo.haversine_km(centre[0], centre[1], lat, lon) <= radius
        }
        assert {o.pk for o in found} == expected
        distances = [o.distance_km for o in found]
        assert distances == sorted(distances)
        for offer in found:
            assert offer.distance_km == pytest.approx(geo.haversine_km(*centre, *points[offer.pk]), abs=1e-6)


def test_for_others_the_radius_search_uses_the_rounded_site(brewery, farm, catalogue):
    # Exact site 0.9 km from the centre, but its rounded position (43.25, 76.95) is 1.14 km away.
    site = factories.make_site(brewery.organisation, "Edge", latitude="43.246100", longitude="76.951900")
    offer = make_offer(brewery, site=site)
    near = ListingFilters(near=(43.2399, 76.9436), radius_km=1.0)
    assert geo.haversine_km(43.2399, 76.9436, 43.2461, 76.9519) < 1.0
    assert offer.pk in ids(selectors.offer_list_for(user=brewery.user, filters=near))
    assert offer.pk not in ids(selectors.offer_list_for(user=farm.user, filters=near))


def _destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` away on a great circle at ``bearing_deg`` (spherical direct formula)."""
    phi1, lmb1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = km / geo.EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lmb2)


def test_the_bounding_box_contains_every_point_of_the_circle():
    rng = random.Random(1)
    for _ in range(3000):
        lat, lon, radius = rng.uniform(-75, 75), rng.uniform(-170, 170), rng.uniform(1, 1000)
        box = geo.bounding_box(lat, lon, radius)
        point_lat, point_lon = _destination(lat, lon, rng.uniform(0, 360), radius * 0.999999)
        assert box.min_lat <= point_lat <= box.max_lat
        if box.min_lon is not None:
            assert box.min_lon <= point_lon <= box.max_lon
        assert geo.haversine_km(lat, lon, point_lat, point_lon) == pytest.approx(radius * 0.999999, rel=1e-9)


def test_the_need_filters_match_any_accepted_material_and_category(farm, catalogue):
    feed = make_need(farm)
    panels = make_need(farm, materials=["precast_concrete_panel"], unit="piece", quantity="10")
    by_material = selectors.need_list_for(user=farm.user, filters=ListingFilters(material="bread_residues"))
    assert ids(by_material) == {feed.pk}
    by_category = selectors.need_list_for(user=farm.user, filters=ListingFilters(category="minerals"))
    assert ids(by_category) == {panels.pk}


def test_the_catalogue_search_folds_cyrillic_case_and_ignores_spaces_in_ewc_codes(catalogue):
    assert [m.key for m in selectors.material_list(q="ДРОБИНА")] == ["brewers_spent_grain"]
    assert [m.key for m in selectors.material_list(q="сыра")] == ["brewers_spent_grain"]
    assert "bricks" in {m.key for m in selectors.material_list(q="170102")}
    assert {m.category for m in selectors.material_list(category="metals")} == {"metals"}
