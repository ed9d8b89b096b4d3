"""The impact report's estimated KZT: totals and rows under the active tariff."""

from decimal import Decimal

import pytest

from matching import tariffs
from matching.models import Deal
from matching.reports.impact_report import BASES, GROUP_BYS, ReportParams, build_report
from tests import deal_room
from tests.reports.market import build_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(brewery, farm, municipality, run_now):
    return build_city(brewery, farm, run_now)


@pytest.fixture
def tariff(municipality):
    return deal_room.publish_tariff(municipality)


MONEY = ("disposal_fee_avoided_kzt", "transport_cost_kzt")


def test_without_a_published_tariff_the_money_is_null(city):
    report = build_report(params=ReportParams(basis="agreed"), organisation_ids=None)
    assert report["tariff"] is None
    assert all(report["totals"][key] is None for key in MONEY)
    assert all(row[key] is None for row in report["rows"] for key in MONEY)


def test_agreed_totals_are_the_sum_of_the_deals_estimates(city, tariff):
    report = build_report(params=ReportParams(basis="agreed"), organisation_ids=None)
    assert report["tariff"] == "2026.1"
    for key in MONEY:
        expected = sum(
            (Decimal(tariffs.economics_of(deal, tariff=tariff)[key]) for deal in Deal.objects.all()),
            Decimal(0),
        )
        assert report["totals"][key] == expected > 0


@pytest.mark.parametrize("basis", BASES)
@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_rows_sum_to_the_totals(city, tariff, basis, group_by):
    report = build_report(params=ReportParams(basis=basis, group_by=group_by), organisation_ids=None)
    for key in MONEY:
        assert sum((row[key] for row in report["rows"]), Decimal(0)) == report["totals"][key]


def test_the_delivered_basis_prices_the_delivered_tonnes(city, tariff):
    report = build_report(params=ReportParams(basis="delivered"), organisation_ids=None)
    delivered_t = sum((d.mass_t for d in city.deliveries), Decimal(0))
    assert report["totals"]["disposal_fee_avoided_kzt"] == (
        tariff.landfill_gate_fee_kzt_per_t * delivered_t
    ).quantize(Decimal("0.01"))


def test_the_api_returns_the_money_as_decimal_strings(city, tariff, municipality, brewery):
    body = municipality.client().get("/api/v1/reports/impact/").json()
    assert body["tariff"] == "2026.1"
    assert isinstance(body["totals"]["disposal_fee_avoided_kzt"], str)
    assert all(isinstance(row["transport_cost_kzt"], str) for row in body["rows"])
    own = brewery.client().get("/api/v1/reports/impact/").json()
    assert Decimal(own["totals"]["transport_cost_kzt"]) <= Decimal(body["totals"]["transport_cost_kzt"])
