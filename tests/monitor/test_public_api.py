"""GET /api/v1/public/impact/: no login, a stable shape, CSV, 400s, throttling, the schema."""

import csv
import io

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.monitor.city import deliver

pytestmark = pytest.mark.django_db

URL = "/api/v1/public/impact/"
FIGURES = {"waste_diverted_t", "net_co2e_t", "organisations", "deals"}


def test_anyone_reads_it_without_logging_in(city):
    response = APIClient().get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["basis"], body["group_by"]) == ("agreed", "category")
    assert {
        "licence",
        "k_anonymity",
        "totals",
        "rows",
        "trend",
        "targets",
        "waste_picture",
        "participants",
        "suppressed",
        "generated_at",
    } <= set(body)
    assert FIGURES <= set(body["totals"]) and body["totals"]["waste_diverted_t"] == "1780.000"
    assert all({"key", "label", "other"} | FIGURES <= set(row) for row in body["rows"])
    assert body["licence"]["name"] == "CC BY 4.0" and "creativecommons.org" in body["licence"]["url"]
    assert response["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    assert body["k_anonymity"] == 3


@pytest.mark.parametrize("group_by", ["category", "district", "month"])
@pytest.mark.parametrize("basis", ["agreed", "delivered"])
def test_every_grouping_on_both_bases(city, basis, group_by):
    deliver(city, "brewers_spent_grain", 100, timezone.localdate())
    body = APIClient().get(URL, {"basis": basis, "group_by": group_by}).json()
    assert (body["basis"], body["group_by"]) == (basis, group_by)


@pytest.mark.parametrize(
    "query, field",
    [
        ({"basis": "proposed"}, "basis"),
        ({"basis": "hoped"}, "basis"),
        ({"group_by": "material"}, "group_by"),
        ({"group_by": "sector"}, "group_by"),
        ({"format": "xlsx"}, "format"),
        ({"basis": "x" * 5000, "format": "csv"}, "basis"),
    ],
)
def test_other_values_are_a_json_400_naming_the_parameter(city, query, field):
    response = APIClient().get(URL, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json") and field in response.json()


def test_csv_has_the_rows_a_total_and_the_licence_line(city):
    response = APIClient().get(URL, {"format": "csv", "group_by": "category"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["key", "label", "waste_diverted_t", "net_co2e_t", "organisations", "deals"]
    assert [line[0] for line in lines[1:]] == ["biomass", "other", "total", "licence"]
    assert lines[-2][2] == "1780.000" and "CC BY 4.0" in lines[-1][1]


def test_labels_follow_the_language(city):
    body = APIClient().get(URL, {"lang": "ru"}).json()
    assert body["licence"]["name"] == "CC BY 4.0"
    assert APIClient().get(URL, HTTP_ACCEPT_LANGUAGE="kk").status_code == 200


def test_a_bad_token_does_not_lock_anyone_out(city):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(URL).status_code == 200


def test_anonymous_callers_are_throttled(city, settings):
    settings.PUBLIC_THROTTLE_RATE = "3/minute"
    client = APIClient()
    assert [client.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_schema_declares_the_public_shape(anon_client, db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/public/impact/"]["get"]
    content = operation["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
    ref = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][ref]
    assert {"totals", "rows", "trend", "targets", "licence", "waste_picture", "participants"} <= set(
        component["properties"]
    )
    assert "examples" in content["application/json"]
    assert operation.get("security") in ([], [{}]) or not operation.get("security")
