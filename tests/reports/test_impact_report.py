"""The impact report's selectors and arithmetic: what each basis counts, scopes, dates, sums."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import DomainError
from matching.models import Deal, Delivery, Proposal
from matching.reports.impact_report import (
    BASES,
    DECIMAL_KEYS,
    GROUP_BYS,
    IMPACT_KEYS,
    ReportParams,
    build_report,
    impact_report_for,
    report_params,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def report(basis="agreed", group_by="material", date_from=None, date_to=None, organisation_ids=None):
    return build_report(
        params=ReportParams(basis, group_by, date_from, date_to), organisation_ids=organisation_ids
    )


def stored_sum(rows, key):
    return sum((getattr(row, key) for row in rows), Decimal(0))


def test_totals_equal_the_sum_of_rows_for_every_grouping_and_basis(city):
    for basis in BASES:
        for group_by in GROUP_BYS:
            result = report(basis, group_by)
            assert result["rows"], (basis, group_by)
            for key in (*DECIMAL_KEYS, "records"):
                assert result["totals"][key] == sum((row[key] for row in result["rows"]), Decimal(0)), (
                    basis,
                    group_by,
                    key,
                )
            for key in ("deals", "organisations"):
                assert result["totals"][key] <= sum(row[key] for row in result["rows"])


def test_the_proposed_basis_counts_open_and_taken_up_proposals_but_not_declined_ones(city):
    counted = [city.grain, city.panels, city.cardboard]
    result = report("proposed")
    assert result["totals"]["records"] == 3
    assert result["totals"]["mass_t"] == stored_sum(counted, "mass_t")
    for key in IMPACT_KEYS:
        assert result["totals"][key] == stored_sum(counted, key)
    assert result["totals"]["deals"] == 2  # grain and panels became deals; cardboard is still open
    assert result["totals"]["tkm"] == sum(
        ((p.mass_t * p.distance_km).quantize(Decimal("0.001")) for p in counted), Decimal(0)
    )


def test_the_agreed_basis_counts_deals_including_undelivered_ones(city):
    deals = list(Deal.objects.all())
    result = report("agreed")
    assert {row["key"] for row in result["rows"]} == {"brewers_spent_grain", "precast_concrete_panel"}
    assert result["totals"]["records"] == result["totals"]["deals"] == 2
    for key in ("mass_t", *IMPACT_KEYS):
        assert result["totals"][key] == stored_sum(deals, key)


def test_the_delivered_basis_counts_deliveries_with_their_own_impact(city):
    deliveries = list(Delivery.objects.all())
    result = report("delivered")
    assert [row["key"] for row in result["rows"]] == ["brewers_spent_grain"]
    assert result["totals"]["mass_t"] == Decimal("500.000")
    for key in IMPACT_KEYS:
        assert result["totals"][key] == stored_sum(deliveries, key)
    assert result["totals"]["tkm"] == sum(
        ((d.mass_t * city.grain_deal.distance_km).quantize(Decimal("0.001")) for d in deliveries), Decimal(0)
    )
    assert result["totals"]["deals"] == 1 and result["totals"]["records"] == 2
    # realised impact follows delivered tonnes, not the agreed 1500 t
    assert result["totals"]["net_kg"] < city.grain_deal.net_kg


def test_a_declined_proposal_is_in_no_basis(city):
    for basis in BASES:
        keys = {row["key"] for row in report(basis)["rows"]}
        assert "crushed_concrete_aggregate" not in keys, basis


def test_an_expired_proposal_leaves_the_proposed_basis(city, run_now):
    from marketplace import services as listings

    # The cardboard need grows by more than 1 %, so the next run's cardboard flow is a new one.
    listings.need_update(need=city.cardboard.need, actor=None, quantity="45")
    run = run_now()
    city.cardboard.refresh_from_db()
    assert city.cardboard.status == "expired"
    fresh = Proposal.objects.get(run=run, material__key="cardboard_paper")
    result = report("proposed", "material")
    cardboard = next(row for row in result["rows"] if row["key"] == "cardboard_paper")
    assert cardboard["records"] == 1 and cardboard["mass_t"] == fresh.mass_t


def test_each_basis_filters_on_its_own_date(city):
    today = timezone.localdate()
    assert report("delivered", date_from=today - timedelta(days=10))["totals"]["mass_t"] == Decimal("400.000")
    assert report("delivered", date_to=today - timedelta(days=30))["totals"]["mass_t"] == Decimal("100.000")
    assert report("agreed", date_to=today - timedelta(days=1))["rows"] == []
    assert report("agreed", date_from=today, date_to=today)["totals"]["deals"] == 2
    assert report("proposed", date_from=today + timedelta(days=1))["totals"]["records"] == 0


def test_month_rows_follow_the_delivery_dates_in_order(city):
    today = timezone.localdate()
    rows = report("delivered", "month")["rows"]
    earlier = today - timedelta(days=40)
    assert [row["key"] for row in rows] == [f"{earlier:%Y-%m}", f"{today:%Y-%m}"]
    assert [row["mass_t"] for row in rows] == [Decimal("100.000"), Decimal("400.000")]


def test_sector_and_district_groupings_use_the_right_side(city):
    supplying = {row["key"]: row["mass_t"] for row in report("agreed", "sector")["rows"]}
    receiving = {row["key"]: row["mass_t"] for row in report("agreed", "receiving_sector")["rows"]}
    assert supplying == {"agriculture_food": city.grain_deal.mass_t, "construction": city.panels_deal.mass_t}
    assert receiving == supplying  # farm (agriculture) and road builder (construction)
    districts = {row["key"] for row in report("agreed", "district")["rows"]}
    receiving_districts = {row["key"] for row in report("agreed", "receiving_district")["rows"]}
    assert districts == {"almaly", "auezov"} and receiving_districts == {"talgar", "bostandyk"}
    categories = {row["key"] for row in report("agreed", "category")["rows"]}
    assert categories == {"biomass", "minerals"}


def test_a_company_sees_only_the_flows_it_is_a_party_to(city, brewery, farm, outsider, municipality):
    params = ReportParams("agreed", "material")
    for persona in (brewery, farm):
        mine = impact_report_for(user=persona.user, params=params)
        assert [row["key"] for row in mine["rows"]] == ["brewers_spent_grain"]
        assert mine["totals"]["organisations"] == 2 and mine["scope"] == "organisation"
    builder = impact_report_for(user=city.road_builder.user, params=params)
    assert [row["key"] for row in builder["rows"]] == ["precast_concrete_panel"]
    assert impact_report_for(user=outsider.user, params=params)["rows"] == []
    city_wide = impact_report_for(user=municipality.user, params=params)
    assert city_wide["scope"] == "city" and city_wide["totals"]["organisations"] == 4


def test_a_user_without_an_organisation_sees_nothing(city):
    lonely = f.make_user("lonely")
    assert impact_report_for(user=lonely, params=ReportParams())["totals"]["records"] == 0


def test_the_sankey_goes_supply_sector_to_material_to_receiving_sector_and_balances(city):
    flows = report("proposed")["flows"]
    assert flows
    inflow, outflow = {}, {}
    for link in flows:
        assert (link["source"].split(":")[0], link["target"].split(":")[0]) in {
            ("supply", "material"),
            ("material", "receive"),
        }
        assert link["value_t"] > 0
        inflow[link["target"]] = inflow.get(link["target"], 0) + link["value_t"]
        outflow[link["source"]] = outflow.get(link["source"], 0) + link["value_t"]
    for node in {n for n in inflow if n.startswith("material:")}:
        assert inflow[node] == outflow[node]
    received = sum(v for n, v in inflow.items() if n.startswith("receive:"))
    assert received == report("proposed")["totals"]["mass_t"]


def test_the_report_names_the_factor_set_versions_it_used(city):
    assert report("agreed")["factor_sets"] == [city.grain_deal.factor_set.version]
    assert report("agreed", date_to=timezone.localdate() - timedelta(days=1))["factor_sets"] == []


@pytest.mark.parametrize(
    "data, field",
    [
        ({"basis": "promised"}, "basis"),
        ({"group_by": "colour"}, "group_by"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2025-02-30"}, "from"),
        ({"to": "2025-1-5"}, "to"),
        ({"to": "20250105"}, "to"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "to"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(data, field):
    with pytest.raises(DomainError) as exc:
        report_params(data)
    assert exc.value.field == field


def test_blank_parameters_take_the_defaults():
    params = report_params({"basis": "", "group_by": " ", "from": "", "to": None})
    assert params == ReportParams("agreed", "material", None, None)
