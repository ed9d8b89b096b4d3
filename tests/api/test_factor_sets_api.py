"""/api/v1/factor-sets/: read by all; copied, edited and published by the municipality; then immutable."""

from __future__ import annotations

import pytest

from accounts.models import Event
from marketplace.models import FactorSet

URL = "/api/v1/factor-sets/"


@pytest.fixture
def active(db):
    from marketplace.factor_services import factor_set_import

    factor_set, _ = factor_set_import()
    return factor_set


def test_any_signed_in_user_lists_and_reads_published_sets_with_their_factors(brewery, active):
    client = brewery.client()
    rows = client.get(URL).json()["results"]
    assert [row["version"] for row in rows] == [active.version]
    assert rows[0]["status"] == "published" and rows[0]["is_active"] is True
    detail = client.get(f"{URL}{active.pk}/").json()
    assert detail["road_freight_kg_per_tkm"] == "0.101630" and detail["gwp_ch4"] == "25.000"
    assert detail["published_at"] and "DEFRA" in detail["road_freight_source"]
    grain = next(f for f in detail["factors"] if f["material"] == "brewers_spent_grain")
    assert grain["landfill_kg_per_t"] == "697.0000" and grain["source_landfill"]


def test_drafts_are_visible_to_the_municipality_only(brewery, municipality, active):
    draft = municipality.client().post(URL, {"version": "2027.1"}, format="json").json()
    assert brewery.client().get(f"{URL}{draft['id']}/").status_code == 404
    assert draft["id"] not in [row["id"] for row in brewery.client().get(URL).json()["results"]]
    assert municipality.client().get(f"{URL}{draft['id']}/").status_code == 200


def test_copy_edit_publish_through_the_api(municipality, active):
    client = municipality.client()
    response = client.post(URL, {"version": "2027.1"}, format="json")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["based_on"] == active.version and len(draft["factors"]) == 26
    response = client.patch(
        f"{URL}{draft['id']}/", {"gwp_ch4": "27.0", "gwp_basis": "IPCC AR6"}, format="json"
    )
    assert response.status_code == 200 and response.json()["gwp_ch4"] == "27.000"
    response = client.patch(
        f"{URL}{draft['id']}/factors/brewers_spent_grain/",
        {"substitution_kg_per_t": "300", "notes": "With soy land-use change"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["substitution_kg_per_t"] == "300.0000"
    response = client.post(f"{URL}{draft['id']}/publish/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert list(FactorSet.objects.filter(is_active=True).values_list("version", flat=True)) == ["2027.1"]
    assert Event.objects.filter(
        action="factor_set.published", object_id=str(draft["id"]), actor=municipality.user
    ).exists()


def test_copying_a_named_set_and_refusing_an_unknown_one(municipality, active):
    client = municipality.client()
    response = client.post(URL, {"version": "b", "based_on": active.pk}, format="json")
    assert response.status_code == 201 and response.json()["based_on"] == active.version
    response = client.post(URL, {"version": "c", "based_on": 999999}, format="json")
    assert response.status_code == 400 and "based_on" in response.json()
    response = client.post(URL, {"version": active.version}, format="json")
    assert response.status_code == 400 and "version" in response.json()


def test_editing_or_deleting_a_published_set_is_409(municipality, active):
    client = municipality.client()
    assert client.patch(f"{URL}{active.pk}/", {"gwp_ch4": "28"}, format="json").status_code == 409
    assert (
        client.patch(
            f"{URL}{active.pk}/factors/straw/", {"treatment_kg_per_t": "5"}, format="json"
        ).status_code
        == 409
    )
    assert client.delete(f"{URL}{active.pk}/").status_code == 409
    assert client.post(f"{URL}{active.pk}/publish/").status_code == 409
    active.refresh_from_db()
    assert active.gwp_ch4 == 25


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"gwp_ch4": "abc"}),
        ("", {"gwp_ch4": "0"}),
        ("", {"road_freight_kg_per_tkm": "-0.1"}),
        ("factors/straw/", {"treatment_kg_per_t": "NaN"}),
        ("factors/straw/", {"substitution_kg_per_t": "-5"}),
        ("factors/straw/", {"treatment_kg_per_t": "1e12"}),
        ("factors/straw/", {"open_burning_kg_per_t": "-67.6"}),
        ("factors/straw/", {"incineration_kg_per_t": "lots"}),
    ],
)
def test_bad_values_in_a_draft_get_400_naming_the_field(municipality, active, path, body):
    client = municipality.client()
    draft = client.post(URL, {"version": "d"}, format="json").json()
    response = client.patch(f"{URL}{draft['id']}/{path}", body, format="json")
    assert response.status_code == 400
    assert set(body) <= set(response.json())


def test_an_unknown_material_in_a_draft_is_404(municipality, active):
    client = municipality.client()
    draft = client.post(URL, {"version": "e"}, format="json").json()
    assert (
        client.patch(f"{URL}{draft['id']}/factors/unobtainium/", {"notes": "x"}, format="json").status_code
        == 404
    )


def test_companies_cannot_create_edit_or_publish(brewery, active, municipality):
    client = brewery.client()
    assert client.post(URL, {"version": "x"}, format="json").status_code == 403
    assert client.patch(f"{URL}{active.pk}/", {"gwp_ch4": "1"}, format="json").status_code == 403
    assert client.post(f"{URL}{active.pk}/publish/").status_code == 403
    assert FactorSet.objects.count() == 1


def test_creating_a_draft_without_an_active_set_is_409(municipality, db):
    assert municipality.client().post(URL, {"version": "x"}, format="json").status_code == 409


def test_a_draft_can_be_deleted(municipality, active):
    client = municipality.client()
    draft = client.post(URL, {"version": "f"}, format="json").json()
    assert client.delete(f"{URL}{draft['id']}/").status_code == 204
    assert not FactorSet.objects.filter(pk=draft["id"]).exists()


def test_a_set_shows_every_fates_factor_with_its_source_and_its_impact_method(brewery, active):
    detail = brewery.client().get(f"{URL}{active.pk}/").json()
    factors = {f["material"]: f for f in detail["factors"]}

    assert detail["impact_method"] == 2
    assert factors["straw"]["open_burning_kg_per_t"] == "67.6000"
    assert factors["straw"]["incineration_kg_per_t"] == "14.9000"
    assert factors["straw"]["source_fates"].startswith("Open burning in the field: IPCC 2006")
    assert factors["whey"]["open_burning_kg_per_t"] is None and factors["whey"]["source_fates"]


def test_a_drafts_fate_factors_are_edited_and_emptied_through_the_api(municipality, active):
    client = municipality.client()
    draft = client.post(URL, {"version": "fates"}, format="json").json()

    response = client.patch(
        f"{URL}{draft['id']}/factors/straw/",
        {"open_burning_kg_per_t": "70", "incineration_kg_per_t": None, "source_fates": "Survey 2026"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["open_burning_kg_per_t"], body["incineration_kg_per_t"]) == ("70.0000", None)
    assert body["source_fates"] == "Survey 2026"
