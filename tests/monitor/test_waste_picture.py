"""The waste picture: waste-bound supply listed, diverted and left, and what the rest emits."""

from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.factor_services import active_factor_set
from marketplace.models import Factor, Material
from monitor.waste import waste_picture
from tests import factories as f
from tests.monitor.city import deliver

pytestmark = pytest.mark.django_db


def factor(key):
    return Factor.objects.get(factor_set=active_factor_set(), material__key=key)


def test_listed_diverted_and_left_by_category_on_the_agreed_basis(city):
    picture = waste_picture(basis="agreed")
    rows = {row["key"]: row for row in picture.as_dict()["rows"]}
    # Offered per year: grain 2000 + bread 500 (biomass); concrete 1000 + glass 100; scrap 500.
    assert rows["biomass"]["listed_t"] == Decimal("2500.000")
    assert rows["biomass"]["diverted_t"] == Decimal("1200.000")
    assert rows["biomass"]["left_t"] == Decimal("1300.000")
    assert rows["minerals"]["listed_t"] == Decimal("1100.000") and rows["minerals"]["diverted_t"] == Decimal(
        "460.000"
    )
    assert rows["metals"]["left_t"] == Decimal("380.000")
    totals = picture.as_dict()["totals"]
    assert totals["listed_t"] == totals["diverted_t"] + totals["left_t"] == Decimal("4100.000")
    assert totals["offers"] == 5 and totals["organisations"] == 4


def test_what_is_left_emits_its_fate_factor_and_landfill_methane_at_the_sets_gwp(city):
    data = waste_picture(basis="agreed").as_dict()
    fs = active_factor_set()
    grain, bread = factor("brewers_spent_grain"), factor("bread_residues")
    expected_kg = Decimal(1100) * grain.landfill_kg_per_t + Decimal(200) * bread.landfill_kg_per_t
    biomass = next(row for row in data["rows"] if row["key"] == "biomass")
    assert biomass["left_co2e_t"] == (expected_kg / 1000).quantize(Decimal("0.001"))
    assert biomass["left_ch4_t"] == (expected_kg / fs.gwp_ch4 / 1000).quantize(Decimal("0.001"))
    assert data["gwp_ch4"] == fs.gwp_ch4 and data["factor_set"] == fs.version
    assert [row["key"] for row in data["by_fate"]] == ["landfill"]


def test_the_delivered_basis_counts_deliveries_only(city):
    deliver(city, "brewers_spent_grain", 250, timezone.localdate())
    rows = {row["key"]: row for row in waste_picture(basis="delivered").as_dict()["rows"]}
    assert rows["biomass"]["diverted_t"] == Decimal("250.000") and rows["biomass"]["left_t"] == Decimal(
        "2250.000"
    )
    assert rows["minerals"]["diverted_t"] == Decimal("0.000")


def test_open_burning_and_incineration_use_their_factors_without_a_methane_figure(brewery, farm):
    f.make_offer(brewery.organisation, brewery.site, "straw", 600, current_destination="open_burning")
    f.make_offer(
        brewery.organisation, brewery.site, "cardboard_paper", 100, current_destination="incineration"
    )
    f.make_offer(brewery.organisation, brewery.site, "bread_residues", 50, current_destination="unknown")
    f.make_offer(brewery.organisation, brewery.site, "coffee_grounds", 80, current_destination="other_use")
    data = waste_picture(basis="agreed").as_dict()
    fates = {row["key"]: row for row in data["by_fate"]}
    assert set(fates) == {"open_burning", "incineration", "unknown"}  # other use is not waste-bound
    straw_kg = Decimal(600) * (factor("straw").open_burning_kg_per_t or 0)
    assert fates["open_burning"]["left_co2e_t"] == (straw_kg / 1000).quantize(Decimal("0.001"))
    assert fates["open_burning"]["left_ch4_t"] == Decimal("0.000")
    assert fates["unknown"]["left_co2e_t"] == Decimal("0.000") and fates["unknown"]["listed_t"] == Decimal(
        "50.000"
    )


def test_pieces_and_periods_become_tonnes_within_the_horizon(brewery):
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="month")
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 40, period="week")
    f.make_offer(brewery.organisation, brewery.site, "bread_residues", 5, status="paused")
    data = waste_picture(basis="agreed").as_dict()
    jute = Material.objects.get(key="jute_bags")
    expected = Decimal(3000) * 12 * jute.mass_per_piece_t + Decimal(40) * 365 / 7
    assert data["totals"]["listed_t"] == expected.quantize(Decimal("0.001"))
    assert data["totals"]["offers"] == 2  # the paused one is not listed


def test_unverified_organisations_offers_are_not_listed(outsider):
    f.make_offer(outsider.organisation, outsider.site, "straw", 100)
    assert waste_picture(basis="agreed").as_dict()["totals"]["listed_t"] == Decimal("0.000")


def test_the_picture_costs_a_fixed_number_of_queries(city, django_assert_max_num_queries):
    for i in range(10):
        f.make_offer(city.org("brewery"), city.companies["brewery"].site, "straw", 10 + i)
    with django_assert_max_num_queries(4):
        waste_picture(basis="delivered")
