"""/api/v1/storages/ (issue 13): storage yards, CRUD for your own organisation."""

from __future__ import annotations

import pytest

from accounts.models import Event
from marketplace.models import Storage
from tests import factories
from tests.marketplace.helpers import load_catalogue

URL = "/api/v1/storages/"


@pytest.fixture
def catalogue(db):
    return load_catalogue()


def payload(persona, **overrides):
    return {
        "site": persona.site.pk,
        "materials": ["precast_concrete_panel"],
        "capacity": "400",
        "unit": "piece",
        "available_from": "2027-05-01",
        "available_until": "2027-12-31",
        "status": "active",
        **overrides,
    }


def create(persona, **overrides):
    response = persona.client().post(URL, payload(persona, **overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_yard_is_created_for_your_organisation_with_an_event(brewery, catalogue):
    body = create(brewery, handling_kg_co2e_per_t="4.5", handling_cost_kzt_per_t=0, accept_automatically=True)
    storage = Storage.objects.get(pk=body["id"])
    assert storage.organisation == brewery.organisation and storage.created_by == brewery.user
    assert body["materials"] == ["precast_concrete_panel"] and body["unit"] == "piece"
    assert (body["capacity"], body["handling_kg_co2e_per_t"], body["handling_cost_kzt_per_t"]) == (
        "400.000",
        "4.500",
        "0.00",
    )
    assert body["accept_automatically"] is True and body["status"] == "active"
    assert body["site_location"]["exact"] is True
    assert Event.objects.filter(action="storage.created", object_id=str(storage.pk)).exists()


def test_a_bulk_yard_in_tonnes_for_several_materials(farm, catalogue):
    body = create(farm, materials=["straw", "chicken_manure"], unit="t", capacity="120.5")
    assert sorted(body["materials"]) == ["chicken_manure", "straw"] and body["capacity"] == "120.500"


def test_a_yard_in_tonnes_holds_piece_materials_by_mass(farm, catalogue):
    body = create(
        farm, materials=["precast_concrete_panel", "crushed_concrete_aggregate"], unit="t", capacity="800"
    )
    assert sorted(body["materials"]) == ["crushed_concrete_aggregate", "precast_concrete_panel"]
    assert body["unit"] == "t" and body["capacity"] == "800.000"


BAD = [
    ({"materials": []}, "materials"),
    ({"materials": ["unobtainium"]}, "materials"),
    ({"materials": ["straw"], "unit": "piece"}, "unit"),
    ({"unit": "m3"}, "unit"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "-5"}, "capacity"),
    ({"capacity": "NaN"}, "capacity"),
    ({"capacity": "10.5"}, "capacity"),
    ({"capacity": "100000000"}, "capacity"),
    ({"available_from": "2027-12-31", "available_until": "2027-01-01"}, "available_until"),
    ({"handling_kg_co2e_per_t": "-1"}, "handling_kg_co2e_per_t"),
    ({"handling_cost_kzt_per_t": "Infinity"}, "handling_cost_kzt_per_t"),
    ({"status": "paused"}, "status"),
    ({"colour": "red"}, "colour"),
    ({"accept_automatically": "perhaps"}, "accept_automatically"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD, ids=[f"{f}={o}"[:60] for o, f in BAD])
def test_a_bad_yard_gets_400_naming_the_field_and_nothing_is_written(brewery, catalogue, overrides, field):
    events = Event.objects.count()
    response = brewery.client().post(URL, payload(brewery, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Storage.objects.exists() and Event.objects.count() == events


def test_another_organisations_site_is_refused(brewery, farm, catalogue):
    response = brewery.client().post(URL, payload(brewery, site=farm.site.pk), format="json")
    assert response.status_code == 400 and "site" in response.json()


def test_the_owner_changes_pauses_and_closes_it(brewery, catalogue):
    body = create(brewery)
    client = brewery.client()
    changed = client.patch(
        f"{URL}{body['id']}/", {"capacity": "500", "accept_automatically": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["capacity"] == "500.000" and changed.json()["accept_automatically"] is True
    assert changed.json()["available_from"] == "2027-05-01"  # a partial update keeps the rest
    paused = client.patch(f"{URL}{body['id']}/", {"status": "paused"}, format="json")
    assert paused.json()["status"] == "paused"
    assert client.patch(f"{URL}{body['id']}/", {"capacity": "0"}, format="json").status_code == 400
    assert client.delete(f"{URL}{body['id']}/").status_code == 204
    assert Storage.objects.get(pk=body["id"]).status == "closed"
    assert client.patch(f"{URL}{body['id']}/", {"status": "active"}, format="json").status_code == 409
    actions = list(Event.objects.filter(object_id=str(body["id"])).values_list("action", flat=True))
    assert {"storage.created", "storage.updated", "storage.status_changed"} <= set(actions)


def test_others_see_active_yards_of_verified_organisations_rounded_and_cannot_write(
    brewery, farm, outsider, catalogue
):
    active = create(brewery)
    draft = create(brewery, status="draft")
    hidden = create(outsider)  # an unverified organisation's yard
    listed = {row["id"]: row for row in farm.client().get(URL).json()["results"]}
    assert set(listed) == {active["id"]}
    assert listed[active["id"]]["site_location"]["exact"] is False
    assert listed[active["id"]]["site_location"]["address"] is None
    client = farm.client()
    assert client.get(f"{URL}{draft['id']}/").status_code == 404
    assert client.get(f"{URL}{hidden['id']}/").status_code == 404
    assert client.patch(f"{URL}{active['id']}/", {"capacity": "1"}, format="json").status_code == 404
    assert client.delete(f"{URL}{active['id']}/").status_code == 404
    mine = brewery.client().get(URL, {"mine": "true"}).json()["results"]
    assert {row["id"] for row in mine} == {active["id"], draft["id"]}
    assert brewery.client().get(URL, {"material": "straw"}).json()["results"] == []


def test_a_member_of_several_organisations_names_one(brewery, catalogue):
    other = factories.make_organisation("Second LLP", members=(brewery.user,))
    site = factories.make_site(other, "Yard")
    response = brewery.client().post(URL, payload(brewery, site=site.pk), format="json")
    assert response.status_code == 400  # which organisation?
    body = create(brewery, site=site.pk, organisation=other.pk)
    assert body["organisation"] == other.pk


def test_anonymous_callers_are_refused(anon_client, db):
    assert anon_client.get(URL).status_code in (401, 403)


def test_the_schema_documents_the_storages_endpoint(brewery):
    paths = brewery.client().get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/storages/"])
    assert {"201", "400"} <= set(paths["/api/v1/storages/"]["post"]["responses"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/storages/{id}/"])
