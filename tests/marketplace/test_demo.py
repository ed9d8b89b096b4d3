"""load_almaty_demo: catalogue, organisations and ≥ 40 active listings that can really match."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from marketplace import geo
from marketplace.demo_listings import LISTINGS
from marketplace.models import FactorSet, ListingStatus, Need, Offer


@pytest.fixture
def loaded(db):
    out = StringIO()
    call_command("load_almaty_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Offer.objects.count(), Need.objects.count(), FactorSet.objects.count()


def test_the_demo_loads_at_least_40_active_listings_and_an_active_factor_set(loaded):
    active = (
        Offer.objects.filter(status=ListingStatus.ACTIVE).count()
        + Need.objects.filter(status=ListingStatus.ACTIVE).count()
    )
    assert active >= 40 and active == len(LISTINGS)
    assert FactorSet.objects.filter(is_active=True).count() == 1
    assert f"{active} active listings" in loaded
    assert "brewery" in loaded and "qaita-demo-2026" in loaded


def test_loading_the_demo_twice_changes_nothing(loaded):
    before = counts()
    out = StringIO()
    call_command("load_almaty_demo", stdout=out)
    assert counts() == before
    assert "created now: 0 offers, 0 needs" in out.getvalue()


def test_every_demo_need_has_an_offer_of_an_accepted_material_within_its_radius(loaded):
    offers = list(Offer.objects.filter(status="active").select_related("site", "material"))
    for need in Need.objects.filter(status="active").select_related("site").prefetch_related("materials"):
        keys = {m.key for m in need.materials.all()}
        reachable = [
            o
            for o in offers
            if o.material.key in keys
            and geo.haversine_km(
                float(need.site.latitude),
                float(need.site.longitude),
                float(o.site.latitude),
                float(o.site.longitude),
            )
            * 1.3
            <= float(need.max_distance_km)
            and (
                o.max_distance_km is None
                or geo.haversine_km(
                    float(need.site.latitude),
                    float(need.site.longitude),
                    float(o.site.latitude),
                    float(o.site.longitude),
                )
                * 1.3
                <= float(o.max_distance_km)
            )
        ]
        assert reachable, (
            f"{need} ({need.organisation}) has no offer within {need.max_distance_km} km road distance"
        )


def test_the_study_cases_are_in_the_demo(loaded):
    grain = Offer.objects.get(material__key="brewers_spent_grain")
    assert (grain.quantity, grain.unit, grain.period) == (40, "t", "week")
    bags = Offer.objects.get(material__key="jute_bags")
    assert (bags.quantity, bags.unit, bags.period) == (3000, "piece", "month")
    manure = Offer.objects.get(material__key="chicken_manure")
    assert (manure.quantity, manure.period) == (800, "year")
    assert Offer.objects.filter(material__key="precast_concrete_panel", unit="piece").count() == 2
    radii = [float(n.max_distance_km) for n in Need.objects.all()]
    assert min(radii) >= 20 and max(radii) <= 150
