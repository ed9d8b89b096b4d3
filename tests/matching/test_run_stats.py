"""Run statistics split supply by fate (issue 10): diverted is waste-bound mass moved, only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from matching import runs
from matching.dashboards import headline
from matching.models import Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_market(brewery, farm, municipality):
    """Spent grain: 2000 t/yr landfilled and 1000 t/yr already fed elsewhere; two needs."""
    landfilled = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 2000)
    in_use = f.make_offer(
        brewery.organisation, brewery.site, "brewers_spent_grain", 1000, current_destination="other_use"
    )
    first = f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 1500, max_distance_km=80)
    second = f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 1200, max_distance_km=80)
    return landfilled, in_use, first, second


def test_the_stats_count_only_waste_bound_mass_as_diverted(mixed_market, run_now):
    landfilled, in_use, *_ = mixed_market
    run = run_now()
    assert run.status == "succeeded", run.error
    s = run.stats
    # all 2000 t of waste move first; the 1000 t in other use fill the 700 t still wanted
    assert (s["supply_t"], s["waste_t"], s["diverted_t"], s["landfilled_t"], s["other_moved_t"]) == (
        3000,
        2000,
        2000,
        0,
        700,
    )
    moved = {p.offer_id: Decimal(0) for p in Proposal.objects.filter(run=run)}
    for p in Proposal.objects.filter(run=run):
        moved[p.offer_id] += p.mass_t
    assert moved == {landfilled.pk: Decimal("2000.000"), in_use.pk: Decimal("700.000")}


def test_supply_left_in_other_use_is_not_counted_as_landfilled(brewery, farm, municipality, run_now):
    f.make_offer(
        brewery.organisation, brewery.site, "brewers_spent_grain", 2000, current_destination="other_use"
    )
    f.make_offer(
        brewery.organisation, brewery.site, "brewers_spent_grain", 500, current_destination="unknown"
    )
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 800, max_distance_km=80)
    s = run_now().stats
    assert (s["supply_t"], s["waste_t"], s["diverted_t"], s["landfilled_t"], s["other_moved_t"]) == (
        2500,
        500,
        500,
        0,
        300,
    )


def test_the_summary_and_the_run_page_say_diverted_from_waste(client, mixed_market, run_now, municipality):
    run = run_now()
    text = runs.run_summary(run)
    assert "supply 3,000.000 t, waste-bound 2,000.000 t: diverted 2,000.000 t from waste" in text
    assert "0.000 t left in its fate; 700.000 t moved from other uses" in text
    client.force_login(municipality.user)
    page = client.get(reverse("matching:run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Diverted from waste" in page and "Moved from other uses" in page
    assert "Diverted from landfill" not in page
    assert '<dd data-stat="other-moved">700.0 t</dd>' in page


def test_the_api_states_the_new_statistics(mixed_market, run_now, municipality):
    run = run_now()
    stats = municipality.client().get(f"/api/v1/match-runs/{run.pk}/").json()["stats"]
    assert {"supply_t", "waste_t", "diverted_t", "landfilled_t", "other_moved_t"} <= set(stats)
    assert stats["other_moved_t"] == 700 and stats["waste_t"] == 2000


def test_a_fanned_out_run_has_the_same_statistics(mixed_market, brewery, farm, run_now, settings):
    # a second, independent component, so that the parts really split
    f.make_offer(farm.organisation, farm.site, "chicken_manure", 300, current_destination="open_burning")
    f.make_need(brewery.organisation, brewery.site, ["chicken_manure"], 120, max_distance_km=70)
    single = run_now(time_step="none")
    settings.MATCHING_FANOUT_PARTS = 2
    settings.MATCHING_FANOUT_MIN_LISTINGS = 0
    fanned = run_now(time_step="none")
    assert fanned.status == "succeeded", fanned.error
    assert fanned.parameters["parts"] == 2
    for key in ("supply_t", "waste_t", "diverted_t", "landfilled_t", "other_moved_t"):
        assert fanned.stats[key] == single.stats[key], key
    assert single.stats["waste_t"] == 2300 and single.stats["diverted_t"] == 2120


def test_the_dashboard_headline_counts_waste_bound_mass_as_diverted(
    mixed_market, run_now, client, municipality
):
    run_now()
    proposed = headline(None)["proposed"]
    assert proposed["mass_t"] == Decimal("2700.000") and proposed["diverted_t"] == Decimal("2000.000")
    client.force_login(municipality.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert "diverted from landfill" not in page
    assert "diverted from waste (proposals)" in page  # the cards follow the default basis
