"""/api/v1/targets/: the municipality's CRUD (companies 403) and GET …/{id}/progress/."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Event
from monitor.models import Target

pytestmark = pytest.mark.django_db

URL = "/api/v1/targets/"
BODY = {"indicator": "waste_diverted_t", "year": 2026, "value": "12000", "basis": "agreed"}


def test_the_municipality_creates_lists_reads_changes_and_deletes(municipality):
    client = municipality.client()
    created = client.post(URL, BODY, format="json")
    assert created.status_code == 201, created.json()
    target = created.json()
    assert {k: target[k] for k in BODY} == {**BODY, "value": "12000.000"}
    listed = client.get(URL).json()
    assert [t["id"] for t in listed["results"]] == [target["id"]]
    assert client.get(f"{URL}{target['id']}/").json()["indicator"] == "waste_diverted_t"
    patched = client.patch(f"{URL}{target['id']}/", {"value": "15000.5"}, format="json")
    assert patched.status_code == 200 and patched.json()["value"] == "15000.500"
    assert patched.json()["basis"] == "agreed"
    put = client.put(f"{URL}{target['id']}/", {**BODY, "indicator": "net_co2e_t"}, format="json")
    assert put.status_code == 200 and put.json()["indicator"] == "net_co2e_t"
    assert client.delete(f"{URL}{target['id']}/").status_code == 204
    assert not Target.objects.exists()
    assert list(
        Event.objects.filter(action__startswith="target.").order_by("id").values_list("action", flat=True)
    ) == [
        "target.created",
        "target.updated",
        "target.updated",
        "target.deleted",
    ]


def test_the_basis_defaults_to_delivered(municipality):
    body = {k: v for k, v in BODY.items() if k != "basis"}
    assert municipality.client().post(URL, body, format="json").json()["basis"] == "delivered"


def test_companies_get_403_everywhere_and_anonymous_401(municipality, brewery):
    target = municipality.client().post(URL, BODY, format="json").json()
    company = brewery.client()
    assert company.get(URL).status_code == 403
    assert company.post(URL, BODY, format="json").status_code == 403
    assert company.get(f"{URL}{target['id']}/").status_code == 403
    assert company.patch(f"{URL}{target['id']}/", {"value": "1"}, format="json").status_code == 403
    assert company.delete(f"{URL}{target['id']}/").status_code == 403
    assert company.get(f"{URL}{target['id']}/progress/").status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert Target.objects.get().value == Decimal("12000.000")


@pytest.mark.parametrize(
    "field, value",
    [
        ("indicator", "happiness"),
        ("indicator", None),
        ("year", 1999),
        ("year", "next"),
        ("value", 0),
        ("value", -1),
        ("value", "NaN"),
        ("value", "Infinity"),
        ("value", "12.3456"),
        ("value", "lots"),
        ("basis", "proposed"),
        ("colour", "green"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(municipality, field, value):
    response = municipality.client().post(URL, {**BODY, field: value}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Target.objects.exists()


def test_missing_fields_and_duplicates_are_400(municipality):
    client = municipality.client()
    assert "value" in client.post(URL, {"indicator": "net_co2e_t", "year": 2026}, format="json").json()
    assert client.post(URL, BODY, format="json").status_code == 201
    duplicate = client.post(URL, BODY, format="json")
    assert duplicate.status_code == 400 and "year" in duplicate.json()
    assert client.post(URL, "{not json", content_type="application/json").status_code == 400


def test_a_bad_patch_changes_nothing(municipality):
    client = municipality.client()
    target = client.post(URL, BODY, format="json").json()
    assert (
        client.patch(f"{URL}{target['id']}/", {"value": "1", "year": 3000}, format="json").status_code == 400
    )
    assert client.get(f"{URL}{target['id']}/").json()["value"] == "12000.000"
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404


def test_progress_has_the_contracted_shape(city, municipality):
    year = timezone.localdate().year
    client = municipality.client()
    target = client.post(
        URL,
        {"indicator": "waste_diverted_t", "year": year, "value": "1780", "basis": "agreed"},
        format="json",
    ).json()
    response = client.get(f"{URL}{target['id']}/progress/")
    assert response.status_code == 200
    body = response.json()
    assert {"value", "achieved", "share", "months", "on_track"} <= set(body)
    assert (body["value"], body["achieved"], body["share"], body["on_track"]) == (
        "1780.000",
        "1780.000",
        "1.0000",
        True,
    )
    assert body["months"][-1] == {
        "month": f"{timezone.localdate():%Y-%m}",
        "cumulative": "1780.000",
        "expected": body["expected"],
    }
    assert all(set(m) >= {"month", "cumulative"} for m in body["months"])
    assert len(body["months"]) == timezone.localdate().month


def test_a_huge_id_is_a_client_error(municipality, client):
    huge = "15393001653332400128"
    assert municipality.client().get(f"{URL}{huge}/").status_code in (400, 404)
    assert municipality.client().get(f"{URL}{huge}/progress/").status_code in (400, 404)
    client.force_login(municipality.user)
    assert client.post(f"/monitor/targets/{huge}/delete/").status_code in (400, 404)
