"""Issue 16: one aggregation per page (SQL on PostgreSQL), cached per generation, invalidated by
decisions; a bounded number of queries for the city dashboard and the impact report."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching import report_cache, services
from matching.reports import impact_report as ir
from matching.reports.impact_report import BASES, GROUP_BYS, ReportParams, build_report
from tests import deal_room
from tests.reports.market import build_city

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL aggregation is PostgreSQL's"
)


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.IMPACT_REPORT_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(brewery, farm, municipality, run_now):
    return build_city(brewery, farm, run_now)


@pytest.fixture
def tariff(municipality):
    return deal_room.publish_tariff(municipality)


def _plain(cells: dict) -> dict:
    """Every figure as text, so 0 and 0.000 differ as they do in an export."""
    return {
        key: (
            {k: str(v) for k, v in tally.sums.items()},
            tally.records,
            str(tally.pieces) if tally.pieces else "0",
            tally.deals,
            tally.organisations,
            tally.factor_sets,
            {k: str(v) for k, v in tally.money.items()},
        )
        for key, tally in cells.items()
    }


@on_postgres
@pytest.mark.parametrize("basis", BASES)
def test_sql_cells_equal_the_python_cells_digit_for_digit(city, tariff, brewery, basis):
    from matching.tariffs import rates_of

    rates = rates_of(tariff)
    params = ReportParams(basis=basis)
    scopes = [None] if basis == "proposed" else [None, {brewery.organisation.pk}]
    for scope in scopes:
        for money in (rates, None):
            for dims in (ir.ALL_DIMENSIONS, frozenset(), frozenset({"month"})):
                sql = ir._cells_sql(params, scope, money, dims)
                python = ir._cells_python(params, scope, money, dims)
                assert sql and _plain(sql) == _plain(python)


@on_postgres
def test_sql_half_even_rounding_matches_decimal_quantize():
    values = ["0.0005", "0.0015", "0.0025", "1.2345", "1.2355", "7.00049", "3.1415926", "0", "12.9995"]
    with connection.cursor() as cursor:
        for raw in values:
            cursor.execute(f"SELECT {ir._half_even('%s::numeric', 3)}", [raw] * 5)
            expected = Decimal(raw).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
            assert cursor.fetchone()[0] == expected, raw


def test_several_groupings_come_from_one_aggregation(city, tariff):
    reports = ir.build_reports(basis="agreed", group_bys=GROUP_BYS, organisation_ids=None)
    cache.clear()
    for group_by in GROUP_BYS:
        alone = build_report(params=ReportParams(basis="agreed", group_by=group_by), organisation_ids=None)
        assert alone == reports[group_by]


def test_a_report_is_cached_until_a_decision(city, farm, brewery, django_assert_num_queries):
    params = ReportParams(basis="proposed")
    first = build_report(params=params, organisation_ids=None)
    with django_assert_num_queries(0):
        assert build_report(params=params, organisation_ids=None) == first
    # Declining the still-open cardboard proposal takes it out of the proposed basis.
    services.proposal_decline(proposal=city.cardboard, actor=city.panel_factory.user)
    after = build_report(params=params, organisation_ids=None)
    assert after["totals"]["mass_t"] == first["totals"]["mass_t"] - city.cardboard.mass_t


def test_the_generation_moves_on_commit_too(django_capture_on_commit_callbacks):
    before = report_cache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        report_cache.bump()
        assert report_cache.generation() == before + 1
    assert report_cache.generation() == before + 2


def test_the_cache_can_be_turned_off(city, settings, django_assert_max_num_queries):
    settings.IMPACT_REPORT_CACHE_SECONDS = 0
    params = ReportParams(basis="agreed")
    build_report(params=params, organisation_ids=None)
    with CaptureQueriesContext(connection) as queries:
        build_report(params=params, organisation_ids=None)
    assert len(queries) > 0


def test_the_city_dashboard_runs_a_bounded_number_of_queries(
    client, city, tariff, municipality, django_assert_max_num_queries
):
    client.force_login(municipality.user)
    url = reverse("matching:dashboard")
    # Uncached: one aggregation per basis, the catalogue, the tariff, the map's flows and the
    # small counts; independent of the number of proposals.
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as cold:
        cache.clear()
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    assert len(warm) < len(cold)
    aggregations = [q for q in cold.captured_queries if "GROUP BY" in q["sql"]]
    records = [q for q in cold.captured_queries if '"matching_proposal"."mass_t"' in q["sql"]]
    # Three bases, one aggregation (or one record query on SQLite) each, and one for the map.
    assert len(aggregations or records) <= 4


@pytest.mark.parametrize("basis", BASES)
def test_the_impact_report_runs_a_bounded_number_of_queries(
    city, tariff, municipality, basis, django_assert_max_num_queries
):
    api = municipality.client()
    with django_assert_max_num_queries(12):
        assert api.get(f"/api/v1/reports/impact/?basis={basis}").status_code == 200


def test_a_cache_that_does_not_answer_costs_the_build_not_the_page(city, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    expected = build_report(params=ReportParams(basis="agreed"), organisation_ids=None)
    for name in ("get", "set", "add", "incr"):
        monkeypatch.setattr(report_cache.cache, name, down)
    assert build_report(params=ReportParams(basis="agreed"), organisation_ids=None) == expected
    report_cache.bump()  # logs, does not raise
