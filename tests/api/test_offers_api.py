"""/api/v1/offers/: create, change, close, list with filters, confidentiality, photos, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event
from marketplace.models import Offer
from tests import factories
from tests.marketplace.helpers import (
    image_bytes,
    load_catalogue,
    make_offer,
    offer_payload,
    use_temporary_media,
)

URL = "/api/v1/offers/"


@pytest.fixture
def catalogue(db):
    return load_catalogue()


@pytest.fixture
def media_root(settings, tmp_path):
    return use_temporary_media(settings, tmp_path)


BAD_PAYLOADS = [
    ({"quantity": -1}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": "NaN"}, "quantity"),
    ({"quantity": "Infinity"}, "quantity"),
    ({"quantity": 1e30}, "quantity"),
    ({"quantity": "1e30"}, "quantity"),
    ({"quantity": "abc"}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"material": "unobtainium"}, "material"),
    ({"unit": "piece"}, "unit"),
    ({"unit": "bucket"}, "unit"),
    ({"material": "jute_bags", "unit": "piece", "quantity": "2.5"}, "quantity"),
    ({"material": "precast_concrete_panel", "unit": "t"}, "unit"),
    ({"available_from": "2026-09-01", "available_until": "2026-08-01"}, "available_until"),
    ({"available_from": "next week"}, "available_from"),
    ({"min_lot": 41}, "min_lot"),
    ({"max_distance_km": 0}, "max_distance_km"),
    ({"max_distance_km": 1001}, "max_distance_km"),
    ({"period": "hourly"}, "period"),
    ({"current_destination": "sea"}, "current_destination"),
    ({"status": "closed"}, "status"),
    ({"site": 999999}, "site"),
    ({"site": "abc"}, "site"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_PAYLOADS, ids=[f"{f}={o}"[:60] for o, f in BAD_PAYLOADS])
def test_a_bad_offer_gets_400_naming_the_field_and_nothing_is_written(brewery, catalogue, overrides, field):
    events = Event.objects.count()
    response = brewery.client().post(URL, offer_payload(brewery, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Offer.objects.count() == 0 and Event.objects.count() == events


def test_another_organisations_site_is_refused_with_400_on_site(brewery, farm, catalogue):
    response = brewery.client().post(URL, offer_payload(brewery, site=farm.site.pk), format="json")
    assert response.status_code == 400 and "site" in response.json()
    assert Offer.objects.count() == 0


@pytest.mark.parametrize("body", ['{"quantity": 40,', '{"quantity": NaN}', "[1, 2", '"just a string"'])
def test_malformed_json_gets_400_and_writes_nothing(brewery, catalogue, body):
    response = brewery.client().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert Offer.objects.count() == 0


def test_an_offer_is_created_for_the_users_organisation(brewery, catalogue):
    response = brewery.client().post(URL, offer_payload(brewery, min_lot="5"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    offer = Offer.objects.get()
    assert body["id"] == offer.pk and body["organisation"] == brewery.organisation.pk
    assert body["material"] == "brewers_spent_grain" and body["status"] == "active"
    assert body["current_destination"] == "landfill" and body["mass_t"] == "40.000"
    assert body["site_location"]["exact"] is True and body["site_location"]["address"] == "Abay Ave 1"
    for key in (
        "quantity",
        "unit",
        "period",
        "available_from",
        "available_until",
        "max_distance_km",
        "min_lot",
        "description",
        "photos",
        "created_at",
        "organisation_name",
    ):
        assert key in body


def test_anonymous_users_get_401(anon_client, db):
    assert anon_client.get(URL).status_code == 401


def test_the_owner_pauses_changes_and_closes_an_offer(brewery, catalogue):
    client = brewery.client()
    offer = make_offer(brewery)
    response = client.patch(f"{URL}{offer.pk}/", {"status": "paused", "quantity": "35"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paused" and response.json()["quantity"] == "35.000"
    assert client.delete(f"{URL}{offer.pk}/").status_code == 204
    offer.refresh_from_db()
    assert offer.status == "closed"
    assert client.patch(f"{URL}{offer.pk}/", {"status": "active"}, format="json").status_code == 409


def test_a_bad_patch_gets_400_and_changes_nothing(brewery, catalogue):
    offer = make_offer(brewery)
    response = brewery.client().patch(f"{URL}{offer.pk}/", {"unit": "piece"}, format="json")
    assert response.status_code == 400 and "unit" in response.json()
    offer.refresh_from_db()
    assert offer.unit == "t"


def test_an_illegal_transition_is_409(brewery, catalogue):
    offer = make_offer(brewery)
    assert brewery.client().patch(f"{URL}{offer.pk}/", {"status": "draft"}, format="json").status_code == 409


@pytest.mark.parametrize("status", ["draft", "paused", "closed"])
def test_another_organisations_private_offer_is_404_for_get_patch_and_delete(
    brewery, farm, catalogue, status
):
    offer = make_offer(brewery, status="draft" if status == "draft" else "active")
    if status != "draft":
        Offer.objects.filter(pk=offer.pk).update(status=status)
    client = farm.client()
    assert client.get(f"{URL}{offer.pk}/").status_code == 404
    assert client.patch(f"{URL}{offer.pk}/", {"quantity": "1"}, format="json").status_code == 404
    assert client.delete(f"{URL}{offer.pk}/").status_code == 404
    offer.refresh_from_db()
    assert offer.quantity == 40


def test_another_organisations_active_offer_is_readable_but_not_writable(
    brewery, farm, municipality, catalogue
):
    offer = make_offer(brewery)
    for persona in (farm, municipality):
        client = persona.client()
        assert client.get(f"{URL}{offer.pk}/").status_code == 200
        assert client.patch(f"{URL}{offer.pk}/", {"quantity": "1"}, format="json").status_code == 404
        assert client.delete(f"{URL}{offer.pk}/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == "active" and offer.quantity == 40


def test_an_unverified_organisations_offer_is_seen_by_its_owner_and_the_municipality_only(
    outsider, farm, municipality, catalogue
):
    offer = make_offer(outsider)
    assert farm.client().get(f"{URL}{offer.pk}/").status_code == 404
    assert outsider.client().get(f"{URL}{offer.pk}/").status_code == 200
    assert municipality.client().get(f"{URL}{offer.pk}/").status_code == 200
    assert farm.client().get(URL).json()["count"] == 0


def test_others_see_the_site_rounded_to_a_kilometre_without_the_address(
    brewery, farm, municipality, catalogue
):
    site = factories.make_site(
        brewery.organisation,
        "Malt store",
        latitude="43.266412",
        longitude="76.880377",
        address="Raiymbek Ave 221",
    )
    offer = make_offer(brewery, site=site)
    seen_by_farm = farm.client().get(f"{URL}{offer.pk}/").json()["site_location"]
    assert seen_by_farm == {
        "latitude": "43.27",
        "longitude": "76.88",
        "address": None,
        "district": "almaly",
        "exact": False,
    }
    listed = farm.client().get(URL).json()["results"][0]["site_location"]
    assert listed == seen_by_farm
    for persona in (brewery, municipality):
        exact = persona.client().get(f"{URL}{offer.pk}/").json()["site_location"]
        assert exact == {
            "latitude": "43.266412",
            "longitude": "76.880377",
            "address": "Raiymbek Ave 221",
            "district": "almaly",
            "exact": True,
        }


def test_the_list_filters_by_material_category_status_and_organisation(brewery, farm, catalogue):
    grain = make_offer(brewery)
    bags = make_offer(brewery, material="jute_bags", unit="piece", quantity="3000")
    draft = make_offer(brewery, status="draft")
    other = make_offer(farm, material="chicken_manure", quantity="800", period="year")
    client = brewery.client()

    def listed(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert listed("?material=jute_bags") == {bags.pk}
    assert listed("?category=biomass") == {grain.pk, bags.pk, draft.pk, other.pk}
    assert listed("?status=draft") == {draft.pk}
    assert listed(f"?organisation={farm.organisation.pk}") == {other.pk}


def test_near_and_radius_find_offers_within_the_circle_nearest_first(brewery, farm, catalogue):
    near_site = factories.make_site(brewery.organisation, "Near", latitude="43.300000", longitude="77.200000")
    far_site = factories.make_site(brewery.organisation, "Far", latitude="43.880000", longitude="77.070000")
    near = make_offer(brewery, site=near_site)
    make_offer(brewery, site=far_site)
    middle = make_offer(brewery)  # 43.238, 76.945: ~22 km from the farm
    response = farm.client().get(URL + "?near=43.303,77.24&radius_km=30")
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [near.pk, middle.pk]
    assert rows[0]["distance_km"] < rows[1]["distance_km"] <= 30


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?near=43.2&radius_km=10", "near"),
        ("?near=abc,def&radius_km=10", "near"),
        ("?near=91,76&radius_km=10", "near"),
        ("?near=43,181&radius_km=10", "near"),
        ("?near=NaN,76&radius_km=10", "near"),
        ("?near=43.2,76.9", "radius_km"),
        ("?near=43.2,76.9&radius_km=0", "radius_km"),
        ("?near=43.2,76.9&radius_km=1001", "radius_km"),
        ("?near=43.2,76.9&radius_km=Infinity", "radius_km"),
        ("?near=43.2,76.9&radius_km=far", "radius_km"),
        ("?radius_km=10", "near"),
        ("?status=sold", "status"),
        ("?category=plutonium", "category"),
        ("?organisation=x", "organisation"),
    ],
)
def test_a_bad_filter_gets_400_naming_it(brewery, catalogue, query, field):
    response = brewery.client().get(URL + query)
    assert response.status_code == 400
    assert field in response.json()


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [URL, URL + "?near=43.24,76.95&radius_km=200"])
def test_the_list_takes_the_same_number_of_queries_for_3_or_15_offers(
    brewery, farm, catalogue, media_root, url, django_assert_max_num_queries
):
    from marketplace import services

    client = farm.client()
    client.get(url)  # warm the per-user caches, as a real session would
    for _ in range(3):
        offer = make_offer(brewery)
        services.listing_photo_add(listing=offer, actor=brewery.user, image=_upload(), size=None)
    few = _list_queries(client, url)
    for _ in range(12):
        offer = make_offer(brewery)
        services.listing_photo_add(listing=offer, actor=brewery.user, image=_upload(), size=None)
    many = _list_queries(client, url)
    assert few == many
    with django_assert_max_num_queries(6):
        client.get(url)


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")


def test_photos_are_uploaded_listed_and_deleted_through_the_api(brewery, farm, catalogue, media_root):
    offer = make_offer(brewery)
    client = brewery.client()
    response = client.post(
        f"{URL}{offer.pk}/photos/", {"image": _upload(), "caption": "Grain pile"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["caption"] == "Grain pile" and photo["url"] == f"/photos/{photo['id']}/"
    assert [p["id"] for p in farm.client().get(f"{URL}{offer.pk}/photos/").json()] == [photo["id"]]
    assert farm.client().get(f"{URL}{offer.pk}/").json()["photos"][0]["id"] == photo["id"]
    assert farm.client().delete(f"{URL}{offer.pk}/photos/{photo['id']}/").status_code == 404
    assert client.delete(f"{URL}{offer.pk}/photos/{photo['id']}/").status_code == 204
    assert client.get(f"{URL}{offer.pk}/photos/").json() == []


def test_a_stranger_cannot_upload_to_or_see_photos_of_a_private_offer(brewery, farm, catalogue, media_root):
    offer = make_offer(brewery, status="draft")
    client = farm.client()
    assert (
        client.post(f"{URL}{offer.pk}/photos/", {"image": _upload()}, format="multipart").status_code == 404
    )
    assert client.get(f"{URL}{offer.pk}/photos/").status_code == 404


def test_a_file_that_is_not_an_image_gets_400_on_image(brewery, catalogue, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    offer = make_offer(brewery)
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = brewery.client().post(f"{URL}{offer.pk}/photos/", {"image": fake}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()
