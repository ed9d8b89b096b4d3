"""/api/v1/needs/: the need-specific rules, isolation, confidentiality and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event
from marketplace.models import Need
from tests import factories
from tests.marketplace.helpers import load_catalogue, make_need, need_payload

URL = "/api/v1/needs/"


@pytest.fixture
def catalogue(db):
    return load_catalogue()


BAD_PAYLOADS = [
    ({"max_distance_km": None}, "max_distance_km"),
    ({"max_distance_km": 0}, "max_distance_km"),
    ({"max_distance_km": 1001}, "max_distance_km"),
    ({"max_distance_km": "NaN"}, "max_distance_km"),
    ({"materials": []}, "materials"),
    ({"materials": "brewers_spent_grain"}, "materials"),
    ({"materials": ["brewers_spent_grain", "unobtainium"]}, "materials"),
    ({"materials": ["brewers_spent_grain", "bricks"]}, "materials"),
    ({"materials": ["bricks", "jute_bags"], "unit": "piece"}, "materials"),
    ({"materials": ["bricks"], "unit": "t"}, "unit"),
    ({"materials": ["bricks"], "unit": "piece", "quantity": "100.5"}, "quantity"),
    ({"quantity": -3}, "quantity"),
    ({"quantity": "Infinity"}, "quantity"),
    ({"min_lot": 30}, "min_lot"),
    ({"available_from": "2027-01-02", "available_until": "2027-01-01"}, "available_until"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_PAYLOADS, ids=[f"{f}={o}"[:60] for o, f in BAD_PAYLOADS])
def test_a_bad_need_gets_400_naming_the_field_and_nothing_is_written(farm, catalogue, overrides, field):
    payload = need_payload(farm, **overrides)
    if overrides.get("max_distance_km", "") is None:
        del payload["max_distance_km"]
    events = Event.objects.count()
    response = farm.client().post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Need.objects.count() == 0 and Event.objects.count() == events


def test_another_organisations_site_is_refused(farm, brewery, catalogue):
    response = farm.client().post(URL, need_payload(farm, site=brewery.site.pk), format="json")
    assert response.status_code == 400 and "site" in response.json()


def test_a_need_is_created_with_its_materials_and_radius(farm, catalogue):
    response = farm.client().post(URL, need_payload(farm), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["materials"]) == ["bread_residues", "brewers_spent_grain"]
    assert body["max_distance_km"] == "60.00" and body["status"] == "active"
    assert "current_destination" not in body


def test_a_member_of_several_organisations_must_say_which(farm, brewery, catalogue):
    from accounts import services as account_services

    account_services.membership_add(user=farm.user, organisation=brewery.organisation)
    response = farm.client().post(URL, need_payload(farm), format="json")
    assert response.status_code == 400 and "organisation" in response.json()
    response = farm.client().post(URL, need_payload(farm, organisation=farm.organisation.pk), format="json")
    assert response.status_code == 201


def test_another_organisations_draft_need_is_404_everywhere(farm, brewery, catalogue):
    need = make_need(farm, status="draft")
    client = brewery.client()
    assert client.get(f"{URL}{need.pk}/").status_code == 404
    assert client.patch(f"{URL}{need.pk}/", {"quantity": "1"}, format="json").status_code == 404
    assert client.delete(f"{URL}{need.pk}/").status_code == 404
    assert client.get(f"{URL}{need.pk}/photos/").status_code == 404
    need.refresh_from_db()
    assert need.status == "draft" and need.quantity == 25


def test_the_owner_changes_materials_and_closes(farm, catalogue):
    need = make_need(farm)
    client = farm.client()
    response = client.patch(f"{URL}{need.pk}/", {"materials": ["straw"]}, format="json")
    assert response.status_code == 200 and response.json()["materials"] == ["straw"]
    assert client.delete(f"{URL}{need.pk}/").status_code == 204
    assert client.get(f"{URL}{need.pk}/").json()["status"] == "closed"


def test_others_see_the_needs_site_rounded_and_without_address(farm, brewery, catalogue):
    need = make_need(farm)
    location = brewery.client().get(f"{URL}{need.pk}/").json()["site_location"]
    assert location == {
        "latitude": "43.30",
        "longitude": "77.24",
        "address": None,
        "district": "talgar",
        "exact": False,
    }


def test_needs_filter_by_any_accepted_material(farm, brewery, catalogue):
    feed = make_need(farm)
    make_need(farm, materials=["straw"])
    rows = brewery.client().get(URL + "?material=bread_residues").json()["results"]
    assert [row["id"] for row in rows] == [feed.pk]


def test_the_needs_list_takes_the_same_number_of_queries_for_3_or_15_needs(farm, brewery, catalogue):
    client = brewery.client()
    client.get(URL)
    sites = [
        factories.make_site(farm.organisation, f"Barn {i}", latitude="43.3", longitude=f"77.{i:02d}")
        for i in range(15)
    ]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL + "?near=43.3,77.1&radius_km=100").status_code == 200
        return len(queries)

    for site in sites[:3]:
        make_need(farm, site=site)
    few = count()
    for site in sites[3:]:
        make_need(farm, site=site)
    assert count() == few <= 7
