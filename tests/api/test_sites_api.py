import pytest

from accounts.models import Site

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Warehouse",
    "address": "Suyunbay Ave 2",
    "latitude": "43.30",
    "longitude": "76.95",
    "district": "turksib",
}


def test_a_member_creates_lists_updates_and_deletes_own_sites(brewery):
    client = brewery.client()
    created = client.post("/api/v1/sites/", VALID, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["organisation"] == brewery.organisation.id
    assert {"id", "organisation", "name", "address", "latitude", "longitude", "district"} <= set(body)
    listed = client.get("/api/v1/sites/").json()["results"]
    assert {row["name"] for row in listed} == {"Warehouse", "Almaty Brewery main site"}
    patched = client.patch(f"/api/v1/sites/{body['id']}/", {"name": "Cold store"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Cold store"
    assert patched.json()["district"] == "turksib"
    assert client.delete(f"/api/v1/sites/{body['id']}/").status_code == 204
    assert not Site.objects.filter(pk=body["id"]).exists()


def test_the_site_list_shows_only_own_sites(brewery, farm):
    listed = brewery.client().get("/api/v1/sites/").json()["results"]
    assert {row["organisation"] for row in listed} == {brewery.organisation.id}


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_organisations_site_is_404(brewery, farm, method):
    client = brewery.client()
    url = f"/api/v1/sites/{farm.site.id}/"
    response = (
        getattr(client, method)(url, VALID, format="json")
        if method in ("patch", "put")
        else getattr(client, method)(url)
    )
    assert response.status_code == 404
    farm.site.refresh_from_db()
    assert farm.site.name == "Talgar Dairy Farm main site"


def test_the_municipality_can_read_but_not_change_a_company_site(municipality, farm):
    client = municipality.client()
    assert client.get(f"/api/v1/sites/{farm.site.id}/").status_code == 200
    assert client.patch(f"/api/v1/sites/{farm.site.id}/", {"name": "Mine"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/sites/{farm.site.id}/").status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"latitude": "90.5"}, "latitude"),
        ({"latitude": "-91"}, "latitude"),
        ({"longitude": "180.01"}, "longitude"),
        ({"longitude": "NaN"}, "longitude"),
        ({"latitude": "Infinity"}, "latitude"),
        ({"latitude": "north"}, "latitude"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"district": "atlantis"}, "district"),
    ],
)
def test_site_creation_rejects_bad_input_and_writes_nothing(brewery, change, field):
    before = Site.objects.count()
    response = brewery.client().post("/api/v1/sites/", {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Site.objects.count() == before


def test_a_missing_name_is_reported(brewery):
    body = {k: v for k, v in VALID.items() if k != "name"}
    response = brewery.client().post("/api/v1/sites/", body, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_site_names_are_unique_per_organisation(brewery):
    response = brewery.client().post(
        "/api/v1/sites/", {**VALID, "name": "almaty brewery MAIN site"}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()


def test_a_user_cannot_create_a_site_for_an_organisation_they_do_not_belong_to(brewery, farm):
    before = Site.objects.count()
    response = brewery.client().post(
        "/api/v1/sites/", {**VALID, "organisation": farm.organisation.id}, format="json"
    )
    assert response.status_code == 400 and "organisation" in response.json()
    assert Site.objects.count() == before


def test_a_patch_with_a_bad_coordinate_changes_nothing(brewery):
    response = brewery.client().patch(f"/api/v1/sites/{brewery.site.id}/", {"latitude": 123}, format="json")
    assert response.status_code == 400
    brewery.site.refresh_from_db()
    assert str(brewery.site.latitude) == "43.238000"


def test_the_database_refuses_out_of_range_coordinates_even_without_the_service(brewery):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(organisation=brewery.organisation, name="Bypass", latitude=95, longitude=0)
