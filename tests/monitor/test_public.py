"""The public payload: k-anonymous cells, opt-in names, targets in public, and the cache."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import organisation_public_profile_set
from monitor import public, targets
from monitor.flows import FlowRecord
from monitor.models import Target
from tests.monitor.city import deliver

pytestmark = pytest.mark.django_db


def payload(basis="agreed", group_by="category"):
    return public.build_public_impact(basis=basis, group_by=group_by)


def dumped(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder)


def test_a_cell_of_fewer_than_three_organisations_is_folded_and_other_cannot_be_subtracted(city):
    data = payload(group_by="category")
    rows = {row["key"]: row for row in data["rows"]}
    # metals (2 organisations) is folded; "other" = metals alone would be metals itself, so
    # minerals (3) goes with it.
    assert set(rows) == {"biomass", "other"}
    assert (
        rows["biomass"]["waste_diverted_t"] == Decimal("1200.000") and rows["biomass"]["organisations"] == 4
    )
    assert rows["other"]["waste_diverted_t"] == Decimal("580.000") and rows["other"]["organisations"] == 5
    assert rows["other"]["other"] is True and rows["biomass"]["other"] is False
    assert data["totals"]["waste_diverted_t"] == Decimal("1780.000")
    assert sum(row["waste_diverted_t"] for row in data["rows"]) == data["totals"]["waste_diverted_t"]
    assert sum(row["net_co2e_t"] for row in data["rows"]) == data["totals"]["net_co2e_t"]
    assert (data["totals"]["organisations"], data["totals"]["deals"]) == (9, 5)


def test_districts_fold_the_same_way(city):
    rows = {row["key"]: row for row in payload(group_by="district")["rows"]}
    # almaly: brewery and bakery with their farms (4); auezov: demolition (3); zhetysu: scrap (2).
    assert set(rows) == {"almaly", "other"} and rows["other"]["organisations"] == 5


def test_months_are_cells_too(city):
    data = payload(group_by="month")
    this_month = f"{timezone.localdate():%Y-%m}"
    assert [row["key"] for row in data["rows"]] == [this_month]
    assert data["trend"] == [
        {
            "month": this_month,
            **{k: data["rows"][0][k] for k in ("waste_diverted_t", "net_co2e_t", "organisations", "deals")},
        }
    ]


def test_a_city_of_two_organisations_publishes_counts_but_no_tonnes(grain_market, run_now, brewery, farm):
    from tests import deal_room

    deal_room.agree(deal_room.propose(run_now), brewery, farm)
    data = payload()
    assert data["suppressed"] is True and data["rows"] == [] and data["trend"] == []
    assert data["totals"]["waste_diverted_t"] is None and data["totals"]["net_co2e_t"] is None
    assert (data["totals"]["organisations"], data["totals"]["deals"]) == (2, 1)


def test_companies_are_named_only_when_they_opted_in(city):
    brewery = city.companies["brewery"]
    organisation_public_profile_set(
        organisation=brewery.organisation, actor=brewery.user, public_profile=True
    )
    data = payload()
    assert [org["name"] for org in data["participants"]["named"]] == ["Grain Brewery"]
    assert data["participants"] == {**data["participants"], "count": 9, "unnamed": 8}
    text = dumped(data)
    for key, company in city.companies.items():
        if key != "brewery":
            assert company.organisation.name not in text


def test_nothing_identifies_a_single_organisation_in_any_grouping(city):
    """For every grouping and basis, each published figure is built from 0 or ≥ 3 organisations:
    check it from the records themselves."""
    deliver(city, "steel_scrap", 100, timezone.localdate())
    for basis in ("agreed", "delivered"):
        for group_by in public.GROUP_BYS:
            data = payload(basis, group_by)
            for row in data["rows"]:
                assert row["organisations"] >= 3 or row["organisations"] == 0, (basis, group_by, row)


def test_a_public_target_with_its_progress(city, municipality):
    year = timezone.localdate().year
    targets.target_create(
        actor=municipality.user, indicator="waste_diverted_t", year=year, value="3560", basis="agreed"
    )
    entry = payload()["targets"][0]
    assert entry["achieved"] == Decimal("1780.000") and entry["share"] == Decimal("0.5000")
    assert entry["months"][-1]["cumulative"] == Decimal("1780.000")
    assert len(entry["line"]) == 12 and entry["line"][-1]["expected"] == Decimal("3560.000")


# --- Targets in public (pure: synthetic records) -------------------------------------------------


def rec(day, mass, orgs, *, category="biomass", waste=True):
    return FlowRecord(
        day=day,
        mass_t=Decimal(mass),
        net_kg=Decimal(mass) * 100,
        waste_bound=waste,
        category=category,
        district="almaly",
        deal_id=hash((day, mass, orgs)) % 100000,
        supplier_id=orgs[0],
        receiver_id=orgs[1],
    )


def public_entry(records, indicator="waste_diverted_t"):
    target = Target(pk=7, indicator=indicator, year=2025, value=Decimal("1000"), basis="delivered")
    return public.target_entries(
        targets=[target], records={"delivered": records}, today=date(2026, 3, 1), k=3, public=True
    )[0]


JAN, FEB, MAR = date(2025, 1, 10), date(2025, 2, 10), date(2025, 3, 10)


def test_the_public_curve_stops_before_a_month_the_trend_folded():
    records = [
        rec(JAN, 60, (1, 2)),
        rec(JAN, 40, (3, 2)),
        rec(FEB, 50, (4, 5)),
        rec(MAR, 70, (6, 7)),
        rec(MAR, 1, (8, 7)),
    ]
    entry = public_entry(records)
    # Feb (2 organisations) is folded, and March with it; January is published, then the year.
    assert [m["month"] for m in entry["months"]] == ["2025-01", "2025-12"]
    assert [m["cumulative"] for m in entry["months"]] == [Decimal("100.000"), Decimal("221.000")]
    assert entry["achieved"] == Decimal("221.000")


def test_the_year_is_withheld_when_it_would_give_back_a_folded_month():
    records = [
        rec(date(2024, 12, 20), 30, (9, 10)),
        rec(JAN, 60, (1, 2)),
        rec(JAN, 40, (3, 2)),
        rec(FEB, 50, (4, 5)),
        rec(MAR, 70, (6, 7)),
        rec(MAR, 1, (8, 7)),
    ]
    entry = public_entry(records)
    # The trend shows January and March; "other" is Dec 2024 + Feb 2025. The year's total minus
    # January and March would be February (two organisations): so it is not published.
    assert entry["achieved"] is None and entry["share"] is None
    assert [m["month"] for m in entry["months"]] == ["2025-01"]
    assert entry["on_track"] is False


def test_organic_steps_need_their_non_organic_remainder_safe_too():
    records = [rec(JAN, 100, (1, 2)), rec(JAN, 50, (3, 2)), rec(JAN, 10, (4, 5), category="minerals")]
    entry = public_entry(records, indicator="organic_waste_diverted_t")
    # January shows 160 t of waste in the trend; 150 t organic would give the minerals 10 t
    # (organisations 4 and 5) back.
    assert entry["months"] == [] and entry["achieved"] is None


def test_the_municipality_sees_every_month():
    records = [rec(JAN, 60, (1, 2)), rec(FEB, 50, (4, 5))]
    target = Target(pk=7, indicator="waste_diverted_t", year=2025, value=Decimal("1000"), basis="delivered")
    entry = public.target_entries(
        targets=[target], records={"delivered": records}, today=date(2026, 3, 1), k=3, public=False
    )[0]
    assert len(entry["months"]) == 12 and entry["achieved"] == Decimal("110.000")


# --- Cache -------------------------------------------------------------------------------------


def test_a_cached_payload_costs_one_query_and_a_decision_refreshes_it(city):
    first = public.public_impact(basis="delivered", group_by="category")
    assert first["totals"]["deals"] == 0
    with CaptureQueriesContext(connection) as queries:
        again = public.public_impact(basis="delivered", group_by="category")
    assert len(queries) == 1 and again == first
    for material in ("brewers_spent_grain", "bread_residues"):
        deliver(city, material, 100, timezone.localdate())
    fresh = public.public_impact(basis="delivered", group_by="category")
    assert fresh["totals"]["deals"] == 2


def test_the_key_holds_basis_grouping_language_day_and_generation():
    key = public.cache_key(
        basis="agreed", group_by="month", language="kk", today=date(2026, 3, 1), version=41
    )
    assert key.endswith(":agreed:month:kk:2026-03-01:41")


def test_a_miss_costs_a_fixed_number_of_queries(city, municipality, django_assert_max_num_queries):
    targets.target_create(
        actor=municipality.user, indicator="net_co2e_t", year=2026, value="10", basis="delivered"
    )
    with django_assert_max_num_queries(10):
        public.public_impact(basis="agreed", group_by="district")
