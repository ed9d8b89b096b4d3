"""GET /api/v1/reports/impact/ (JSON, CSV, XLSX) and GET /api/v1/deliveries/{id}/act/."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketplace.models import Material
from matching import services
from matching.reports.impact_report import BASES, DECIMAL_KEYS, GROUP_BYS, METRIC_KEYS, MONEY_KEYS

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/impact/"
SPEC_FIGURES = {
    "mass_t",
    "diverted_t",
    "tkm",
    "baseline_avoided_kg",
    "landfill_avoided_kg",
    "substitution_avoided_kg",
    "treatment_kg",
    "transport_kg",
    "net_kg",
    "deals",
    "organisations",
}


def token_client(persona) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=persona.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_report_has_the_contracted_shape(city, municipality):
    response = municipality.client().get(URL, {"group_by": "sector", "basis": "proposed"})
    assert response.status_code == 200
    body = response.json()
    assert {"basis", "group_by", "from", "to", "factor_sets", "totals", "rows", "flows"} <= set(body)
    assert body["basis"] == "proposed" and body["group_by"] == "sector"
    assert SPEC_FIGURES <= set(body["totals"])
    assert all({"key", "label"} | SPEC_FIGURES <= set(row) for row in body["rows"])
    assert all(set(link) >= {"source", "target", "value_t"} for link in body["flows"])
    assert body["factor_sets"] == [city.grain.factor_set.version]


def test_the_default_basis_is_agreed_and_the_default_grouping_is_material(city, municipality):
    body = municipality.client().get(URL).json()
    assert (body["basis"], body["group_by"], body["from"], body["to"]) == ("agreed", "material", None, None)


def test_totals_equal_the_sum_of_rows_through_the_api_for_every_grouping_and_basis(city, municipality):
    client = municipality.client()
    for basis in BASES:
        for group_by in GROUP_BYS:
            body = client.get(URL, {"basis": basis, "group_by": group_by}).json()
            for key in DECIMAL_KEYS:
                assert Decimal(body["totals"][key]) == sum(Decimal(row[key]) for row in body["rows"]), (
                    basis,
                    group_by,
                    key,
                )


def test_dates_are_echoed_and_filter(city, municipality):
    today = timezone.localdate()
    body = (
        municipality.client()
        .get(URL, {"basis": "delivered", "from": str(today - timedelta(days=10)), "to": str(today)})
        .json()
    )
    assert body["from"] == str(today - timedelta(days=10)) and body["to"] == str(today)
    assert Decimal(body["totals"]["mass_t"]) == Decimal("400")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"basis": "hoped"}, "basis"),
        ({"group_by": "colour"}, "group_by"),
        ({"from": "01.02.2025"}, "from"),
        ({"to": "2025-02-29"}, "to"),
        ({"from": "2025-03-01", "to": "2025-01-01"}, "to"),
        ({"format": "pdf"}, "format"),
        ({"from": "2025-13-01", "format": "csv"}, "from"),
    ],
)
def test_bad_parameters_are_a_json_400_naming_the_field(city, municipality, query, field):
    response = municipality.client().get(URL, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()


def test_strange_input_never_breaks_the_endpoint(city, municipality):
    client = municipality.client()
    for query in (
        {"from": "\x00"},
        {"basis": "a" * 5000},
        {"to": "9999-99-99"},
        {"group_by": "=1+1"},
        {"from": "0000-01-01"},
        {"to": "2025-01-01T00:00"},
    ):
        assert client.get(URL, query).status_code == 400, query


def test_anonymous_callers_get_401(anon_client, city):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.get(URL, {"format": "csv"}).status_code == 401


def test_a_company_sees_only_its_own_flows(city, brewery, outsider):
    body = brewery.client().get(URL).json()
    assert [row["key"] for row in body["rows"]] == ["brewers_spent_grain"]
    assert outsider.client().get(URL).json()["rows"] == []


def _csv_table(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def _as_cells(figures: dict) -> list[str]:
    return [str(figures[key]) for key in METRIC_KEYS]


def test_csv_with_token_auth_is_a_streamed_attachment_that_round_trips(city, municipality):
    client = token_client(municipality)
    body = client.get(URL, {"basis": "proposed", "group_by": "material"}).json()
    response = client.get(URL, {"basis": "proposed", "group_by": "material", "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="qaita-impact-proposed-material.csv"' in response["Content-Disposition"]
    table = _csv_table(response)
    assert table[0] == ["key", "label", *METRIC_KEYS, *(f"{k}_estimate" for k in MONEY_KEYS)]
    # No tariff published in this city: the estimated-KZT columns are empty.
    assert all(row[2 + len(METRIC_KEYS) :] == ["", ""] for row in table[1:])
    assert [[row[0], row[1], *row[2 : 2 + len(METRIC_KEYS)]] for row in table[1:-1]] == [
        [row["key"], row["label"], *_as_cells(row)] for row in body["rows"]
    ]
    assert table[-1][0] == "total" and table[-1][2 : 2 + len(METRIC_KEYS)] == _as_cells(body["totals"])


def test_csv_is_also_chosen_by_the_accept_header(city, municipality):
    response = token_client(municipality).get(URL, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_xlsx_is_an_attachment_that_round_trips(city, municipality):
    client = token_client(municipality)
    query = {"basis": "delivered", "group_by": "month"}
    body = client.get(URL, query).json()
    response = client.get(URL, {**query, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Report", "Flows", "About"]
    rows = list(workbook["Report"].iter_rows(values_only=True))
    assert list(rows[0]) == ["key", "label", *METRIC_KEYS, *(f"{k}_estimate" for k in MONEY_KEYS)]

    def same(cells, figures):
        for key, cell in zip(METRIC_KEYS, cells, strict=True):
            assert Decimal(str(cell)).quantize(Decimal("0.001")) == Decimal(str(figures[key])), key

    assert [r[0] for r in rows[1:-1]] == [row["key"] for row in body["rows"]]
    for cells, row in zip(rows[1:-1], body["rows"], strict=True):
        same(cells[2 : 2 + len(METRIC_KEYS)], row)
    assert rows[-1][0] == "total"
    same(rows[-1][2 : 2 + len(METRIC_KEYS)], body["totals"])
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["basis"] == "delivered" and about["factor_sets"] == body["factor_sets"][0]


def test_exports_never_carry_a_formula(city, municipality):
    Material.objects.filter(key="brewers_spent_grain").update(name_en='=HYPERLINK("http://evil.example","x")')
    Material.objects.filter(key="precast_concrete_panel").update(name_en="@SUM(A1:A9)")
    client = token_client(municipality)
    table = _csv_table(client.get(URL, {"format": "csv"}))
    labels = {row[0]: row[1] for row in table[1:]}
    assert labels["brewers_spent_grain"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert labels["precast_concrete_panel"] == "'@SUM(A1:A9)"
    workbook = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content))
    cells = [row[1] for row in workbook["Report"].iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert {cell.value for cell in cells} >= {"'" + '=HYPERLINK("http://evil.example","x")', "'@SUM(A1:A9)"}
    flow_labels = [cell.value for row in workbook["Flows"].iter_rows(min_row=2) for cell in row[3:]]
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in flow_labels)


def test_the_number_of_queries_does_not_grow_with_rows(
    city, municipality, brewery, settings, django_assert_max_num_queries
):
    settings.IMPACT_REPORT_CACHE_SECONDS = 0  # the queries of building the report (issue 16 caches it)
    client = municipality.client()
    query = {"basis": "delivered", "group_by": "month"}
    client.get(URL, query)  # warm the per-user caches
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL, query).json()["rows"]) == 2
    today = timezone.localdate()
    for months_back in range(2, 10):
        services.delivery_record(
            deal=city.grain_deal,
            actor=brewery.user,
            date=today - timedelta(days=31 * months_back),
            mass_t="10",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(URL, query).json()["rows"]) >= 9
    for basis in BASES:
        for group_by in GROUP_BYS:
            with django_assert_max_num_queries(len(few.captured_queries)):
                client.get(URL, {"basis": basis, "group_by": group_by})


# --- Transfer acts ------------------------------------------------------------------------


def test_the_parties_and_the_municipality_get_the_act_as_a_pdf(city, brewery, farm, municipality):
    delivery = city.deliveries[0]
    for persona in (brewery, farm, municipality):
        response = token_client(persona).get(f"/api/v1/deliveries/{delivery.pk}/act/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_anyone_else_gets_404_for_an_act(city, outsider):
    delivery = city.deliveries[0]
    for user in (outsider.user, city.road_builder.user):
        client = APIClient()
        client.force_authenticate(user)
        response = client.get(f"/api/v1/deliveries/{delivery.pk}/act/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
    missing = token_client(outsider).get("/api/v1/deliveries/999999/act/")
    assert missing.status_code == 404
