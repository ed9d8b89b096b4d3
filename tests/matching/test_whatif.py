"""What-if runs and the comparison of two runs (issue 14 point 5): real solver, Celery eager."""

from datetime import date

import pytest
from django.core import mail

from accounts.errors import DomainError
from matching import runs
from matching.models import MatchRun, Proposal, ProposalStatus, RunStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/match-runs/"

#: 500 t a year of spent grain more could go to a hypothetical feed mill beside the brewery
MILL = {
    "kind": "need",
    "name": "Planned feed mill",
    "latitude": 43.24,
    "longitude": 76.95,
    "materials": ["brewers_spent_grain"],
    "quantity": "500",
    "unit": "t",
    "period": "year",
    "max_distance_km": "30",
}


def test_a_what_if_run_publishes_nothing_and_leaves_the_real_proposals_alone(grain_market, run_now):
    real = run_now(time_step="none")
    proposal = Proposal.objects.get(run=real)
    mail.outbox.clear()
    dry = run_now(time_step="none", dry_run=True, parameters={"extra_listings": [MILL]})
    assert dry.status == RunStatus.SUCCEEDED and dry.dry_run
    # the hypothetical mill takes the 500 t the farm could not: all 2000 t diverted
    assert dry.stats["diverted_t"] == 2000 and dry.stats["landfilled_t"] == 0
    assert real.stats["diverted_t"] == 1500
    assert not Proposal.objects.filter(run=dry).exists()
    proposal.refresh_from_db()
    assert proposal.run_id == real.pk and proposal.status == ProposalStatus.PROPOSED
    assert mail.outbox == []
    flows = dry.breakdown["flows"]
    assert {(fl["need"] < 0, fl["mass_t"]) for fl in flows} == {(True, "500.000"), (False, "1500.000")}
    assert [fl["hypothetical"] for fl in flows if fl["need"] < 0] == [True]
    assert dry.breakdown["by_district"]["almaly"]["diverted_t"] == 2000


def test_a_what_if_run_does_not_block_the_real_run(grain_market, municipality, run_now):
    dry = runs.match_run_start(actor=municipality.user, dry_run=True, enqueue=False)
    assert dry.is_open
    real = run_now()
    assert real.status == RunStatus.SUCCEEDED
    with pytest.raises(DomainError) as second:
        runs.match_run_start(actor=municipality.user, dry_run=True, enqueue=False)
    assert second.value.extra["active_run"] == dry.pk


def test_the_radius_factor_and_objective_shape_the_snapshot(grain_market, run_now):
    # the farm's need reaches 80 km and the grain is 32 km away: a tenth of the radius is 8 km
    dry = run_now(
        dry_run=True, parameters={"radius_factor": 0.1, "objective": "net_climate", "circuity": 1.5}
    )
    assert dry.objective == "net_climate" and dry.parameters["circuity"] == 1.5
    assert dry.stats["diverted_t"] == 0 and dry.stats["landfilled_t"] == 2000


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"radius_factor": 11}, "parameters.radius_factor"),
        ({"radius_factor": "x"}, "parameters.radius_factor"),
        ({"circuity": 0.5}, "parameters.circuity"),
        ({"objective": "fastest"}, "parameters.objective"),
        ({"colour": 1}, "parameters.colour"),
        ({"extra_listings": [{**MILL, "quantity": "-5"}]}, "parameters.extra_listings[0].quantity"),
        (
            {"extra_listings": [MILL, {**MILL, "materials": ["unobtainium"]}]},
            "parameters.extra_listings[1].materials",
        ),
        ({"extra_listings": [{**MILL, "latitude": 95}]}, "parameters.extra_listings[0].latitude"),
        (
            {"extra_listings": [{k: v for k, v in MILL.items() if k != "max_distance_km"}]},
            "parameters.extra_listings[0].max_distance_km",
        ),
        ({"extra_listings": [{**MILL, "site": 3}]}, "parameters.extra_listings[0].site"),
        (
            {
                "extra_listings": {
                    "offers": [
                        {
                            "material": "brewers_spent_grain",
                            "unit": "piece",
                            "quantity": 1,
                            "latitude": 43,
                            "longitude": 77,
                        }
                    ]
                }
            },
            "parameters.extra_listings.offers[0].unit",
        ),
        ({"extra_listings": "many"}, "parameters.extra_listings"),
    ],
)
def test_bad_parameters_are_400_naming_the_path_and_nothing_is_written(
    grain_market, municipality, parameters, field
):
    response = municipality.client().post(URL, {"dry_run": True, "parameters": parameters}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not MatchRun.objects.exists()


def test_a_hypothetical_yard_lets_june_panels_reach_a_september_builder(brewery, farm, municipality, run_now):
    from tests.yards import PANEL, panel_need, panel_offer

    f.ensure_factor_set()
    panel_offer(brewery), panel_need(farm)  # June panels, a September builder: no direct flow
    yard = {
        "kind": "storage",
        "name": "Planned yard",
        "latitude": 43.27,
        "longitude": 77.05,
        "materials": [PANEL],
        "capacity": "100",
        "unit": "piece",
        "available_from": "2027-05-01",
        "available_until": "2027-12-31",
        "handling_kg_co2e_per_t": "2.5",
    }
    without = run_now(time_step="month", dry_run=True)
    assert without.breakdown["flows"] == []
    dry = run_now(time_step="month", dry_run=True, parameters={"extra_listings": [yard]})
    (flow,) = dry.breakdown["flows"]
    assert flow["via_storage"] == -1 and flow["hypothetical"] is True and flow["quantity"] == "40"
    assert dry.parameters["extra_listings"]["storages"][0]["name"] == "Planned yard"
    assert not Proposal.objects.exists() and len(mail.outbox) == 0  # a what-if publishes nothing
    # without periods no material waits: the yard stays unused
    flat = run_now(time_step="none", dry_run=True, parameters={"extra_listings": {"storages": [yard]}})
    assert flat.breakdown["flows"] == []


@pytest.mark.parametrize(
    ("storage", "field"),
    [
        ({"latitude": 43, "longitude": 77}, "parameters.extra_listings.storages[0].materials"),
        (
            {"latitude": 43, "longitude": 77, "materials": ["precast_concrete_panel"], "unit": "piece"},
            "parameters.extra_listings.storages[0].capacity",
        ),
        (
            {"latitude": 43, "longitude": 77, "materials": ["straw"], "capacity": "5", "unit": "piece"},
            "parameters.extra_listings.storages[0].unit",
        ),
        (
            {"latitude": 95, "longitude": 77, "materials": ["straw"], "capacity": "5", "unit": "t"},
            "parameters.extra_listings.storages[0].latitude",
        ),
        (
            {"latitude": 43, "longitude": 77, "materials": ["straw"], "capacity": "5", "site": 1},
            "parameters.extra_listings.storages[0].site",
        ),
        (
            {
                "latitude": 43,
                "longitude": 77,
                "materials": ["straw"],
                "capacity": "5",
                "available_from": "2027-05-01",
                "available_until": "2027-01-01",
            },
            "parameters.extra_listings.storages[0].available_until",
        ),
    ],
)
def test_a_bad_hypothetical_yard_is_400_naming_the_path(grain_market, municipality, storage, field):
    body = {"dry_run": True, "parameters": {"extra_listings": {"storages": [storage]}}}
    response = municipality.client().post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert not MatchRun.objects.exists()
    empty = {"dry_run": True, "parameters": {"extra_listings": {"storages": [], "needs": [MILL]}}}
    assert municipality.client().post(URL, empty, format="json").status_code == 202


def test_parameters_are_for_what_if_runs_only(grain_market, municipality):
    response = municipality.client().post(URL, {"parameters": {"radius_factor": 2}}, format="json")
    assert response.status_code == 400 and "parameters" in response.json()


def test_companies_never_see_what_if_runs(grain_market, brewery, municipality, run_now):
    dry = run_now(dry_run=True, parameters={"extra_listings": [MILL]})
    real = run_now()
    listed = brewery.client().get(URL).json()["results"]
    assert [r["id"] for r in listed] == [real.pk]
    assert brewery.client().get(f"{URL}{dry.pk}/").status_code == 404
    assert brewery.client().post(URL, {"dry_run": True}, format="json").status_code == 403
    body = municipality.client().get(f"{URL}{dry.pk}/").json()
    assert body["dry_run"] is True and len(body["what_if"]["flows"]) == 2
    assert body["what_if"]["parameters"]["extra_listings"]["needs"][0]["name"] == "Planned feed mill"
    assert municipality.client().get(f"{URL}{real.pk}/").json()["what_if"] is None
    assert brewery.client().get("/api/v1/proposals/").json()["count"] == 1


def test_compare_puts_two_runs_side_by_side(grain_market, brewery, municipality, run_now):
    real = run_now(time_step="none")
    dry = run_now(time_step="none", dry_run=True, parameters={"extra_listings": [MILL]})
    client = municipality.client()
    body = client.get(f"{URL}compare/", {"a": real.pk, "b": dry.pk}).json()
    assert body["a"]["id"] == real.pk and body["b"]["dry_run"] is True
    assert body["a"]["diverted_t"] == 1500 and body["b"]["diverted_t"] == 2000
    assert body["difference"]["diverted_t"] == 500 and body["difference"]["landfilled_t"] == -500
    grain = {row["key"]: row for row in body["by_material"]}["brewers_spent_grain"]
    assert grain["a"]["landfilled_t"] == 500 and grain["b"]["landfilled_t"] == 0
    districts = {row["key"]: row for row in body["by_district"]}
    assert districts["almaly"]["difference"]["diverted_t"] == 500
    assert body["b"]["extra_listings"] == 1
    assert client.get(f"{URL}compare/", {"a": "x", "b": dry.pk}).status_code == 400
    assert client.get(f"{URL}compare/", {"a": real.pk}).status_code == 400
    assert client.get(f"{URL}compare/", {"a": real.pk, "b": 99999}).status_code == 404
    assert brewery.client().get(f"{URL}compare/", {"a": real.pk, "b": real.pk}).status_code == 403


def test_a_hypothetical_offer_is_matched_to_a_real_need(brewery, farm, municipality, run_now):
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 300, max_distance_km=80)
    offer = {
        "latitude": 43.30,
        "longitude": 77.20,
        "material": "brewers_spent_grain",
        "quantity": "400",
        "unit": "t",
        "current_destination": "landfill",
        "available_from": date(2000, 1, 1).isoformat(),
    }
    dry = run_now(dry_run=True, parameters={"extra_listings": [offer]})
    assert dry.stats["diverted_t"] == 300 and dry.stats["landfilled_t"] == 100
    assert dry.breakdown["by_district"]["hypothetical"] == {
        "diverted_t": 300.0,
        "landfilled_t": 100.0,
        "tkm": pytest.approx(300 * float(dry.breakdown["flows"][0]["distance_km"]), abs=0.01),
        "net_co2e_t": pytest.approx(float(dry.breakdown["flows"][0]["net_kg"]) / 1000, abs=0.001),
    }


def test_fanned_out_runs_give_the_same_breakdown_and_match_statuses(grain_market, run_now, settings):
    from matching.models import ListingMatchStatus

    single = run_now(time_step="none")
    statuses = sorted(
        map(str, ListingMatchStatus.objects.values_list("offer_id", "need_id", "reason", "nearest_km"))
    )
    dry_single = run_now(time_step="none", dry_run=True, parameters={"extra_listings": [MILL]})
    settings.MATCHING_FANOUT_PARTS = 2
    settings.MATCHING_FANOUT_MIN_LISTINGS = 0
    fanned = run_now(time_step="none")
    assert fanned.status == RunStatus.SUCCEEDED, fanned.error
    assert fanned.breakdown == single.breakdown
    again = sorted(
        map(str, ListingMatchStatus.objects.values_list("offer_id", "need_id", "reason", "nearest_km"))
    )
    assert again == statuses and len(again) == 2
    assert set(ListingMatchStatus.objects.values_list("reason", flat=True)) == {"partly_matched", "matched"}
    assert set(ListingMatchStatus.objects.values_list("run_id", flat=True)) == {fanned.pk}
    dry_fanned = run_now(time_step="none", dry_run=True, parameters={"extra_listings": [MILL]})
    assert dry_fanned.status == RunStatus.SUCCEEDED, dry_fanned.error
    assert dry_fanned.breakdown == dry_single.breakdown and dry_fanned.stats["diverted_t"] == 2000
    assert not Proposal.objects.filter(run=dry_fanned).exists()
    assert set(ListingMatchStatus.objects.values_list("run_id", flat=True)) == {fanned.pk}
