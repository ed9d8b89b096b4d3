"""The matching endpoints: runs, proposals, deals, deliveries."""

import pytest
from django.utils import timezone

from matching.models import Deal, Delivery, MatchRun, Proposal

pytestmark = pytest.mark.django_db

SPEC_STATS = {
    "offers",
    "needs",
    "arcs",
    "components",
    "solve_seconds",
    "proven_optimal",
    "supply_t",
    "diverted_t",
    "landfilled_t",
    "tkm",
    "net_co2e_t",
}


@pytest.fixture
def started(grain_market, municipality, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = municipality.client().post(
            "/api/v1/match-runs/", {"objective": "divert_then_distance"}, format="json"
        )
    return response


def test_the_municipality_starts_a_run_and_reads_its_statistics(started, municipality):
    assert started.status_code == 202
    assert set(started.json()) == {"id", "status"}
    run = municipality.client().get(f"/api/v1/match-runs/{started.json()['id']}/").json()
    assert run["status"] == "succeeded"
    assert {
        "id",
        "status",
        "objective",
        "horizon_days",
        "factor_set",
        "created_at",
        "finished_at",
        "error",
        "stats",
    } <= set(run)
    assert SPEC_STATS <= set(run["stats"])


def test_a_second_start_while_one_is_open_is_409_naming_it(grain_market, municipality):
    from matching import runs

    open_run = runs.match_run_start(actor=municipality.user, enqueue=False)
    response = municipality.client().post("/api/v1/match-runs/", {}, format="json")
    assert response.status_code == 409 and response.json()["active_run"] == open_run.pk
    assert MatchRun.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"objective": "cheapest"}, "objective"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": "many"}, "horizon_days"),
    ],
)
def test_bad_run_parameters_are_400(grain_market, municipality, body, field):
    response = municipality.client().post("/api/v1/match-runs/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert MatchRun.objects.count() == 0


def test_companies_cannot_start_runs(grain_market, brewery):
    assert brewery.client().post("/api/v1/match-runs/", {}, format="json").status_code == 403


def test_each_party_sees_its_proposals_and_outsiders_see_none(started, brewery, farm, outsider, municipality):
    proposal = Proposal.objects.get()
    for persona in (brewery, farm, municipality):
        rows = persona.client().get("/api/v1/proposals/").json()["results"]
        assert [r["id"] for r in rows] == [proposal.pk]
    assert outsider.client().get("/api/v1/proposals/").json()["results"] == []
    assert outsider.client().get(f"/api/v1/proposals/{proposal.pk}/").status_code == 404
    assert outsider.client().post(f"/api/v1/proposals/{proposal.pk}/accept/").status_code == 404


def test_a_proposal_carries_the_contract_fields(started, brewery):
    row = brewery.client().get("/api/v1/proposals/").json()["results"][0]
    assert {
        "id",
        "run",
        "offer",
        "need",
        "material",
        "quantity",
        "unit",
        "mass_t",
        "distance_km",
        "impact",
        "factor_set",
        "status",
        "explanation",
    } <= set(row)
    assert set(row["impact"]) == {
        "baseline",
        "baseline_avoided_kg",
        "landfill_avoided_kg",
        "substitution_avoided_kg",
        "treatment_kg",
        "transport_kg",
        "storage_kg",
        "net_kg",
    }
    assert row["impact"]["baseline"] == row["current_destination"] == "landfill"
    assert row["impact"]["baseline_avoided_kg"] == row["impact"]["landfill_avoided_kg"] != "0.000"
    assert row["material"] == "brewers_spent_grain" and row["unit"] == "t"
    assert "Almaty Brewery" in row["explanation"] and "km" in row["explanation"]


def test_proposals_filter_by_run_and_status(started, brewery):
    run_id = started.json()["id"]
    assert (
        len(brewery.client().get(f"/api/v1/proposals/?run={run_id}&status=proposed").json()["results"]) == 1
    )
    assert brewery.client().get("/api/v1/proposals/?status=agreed").json()["results"] == []
    assert brewery.client().get("/api/v1/proposals/?status=bogus").status_code == 400


def test_accept_accept_deliver_through_the_api(started, brewery, farm, outsider):
    pid = Proposal.objects.get().pk
    assert brewery.client().post(f"/api/v1/proposals/{pid}/accept/").json()["status"] == "accepted_by_offer"
    assert farm.client().post(f"/api/v1/proposals/{pid}/accept/").json()["status"] == "agreed"
    assert farm.client().post(f"/api/v1/proposals/{pid}/decline/").status_code == 409
    deal = farm.client().get("/api/v1/deals/").json()["results"][0]
    assert {"id", "proposal", "quantity", "mass_t", "delivered_t", "deliveries"} <= set(deal)
    today = timezone.localdate().isoformat()
    response = brewery.client().post(
        f"/api/v1/deals/{deal['id']}/deliveries/", {"date": today, "mass_t": "250"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["delivered_t"] == "250.000"
    assert response.json()["deliveries"][0] == {
        **response.json()["deliveries"][0],
        "date": today,
        "mass_t": "250.000",
    }
    assert outsider.client().get(f"/api/v1/deals/{deal['id']}/").status_code == 404
    assert (
        outsider.client()
        .post(f"/api/v1/deals/{deal['id']}/deliveries/", {"date": today, "mass_t": "1"}, format="json")
        .status_code
        == 404
    )


def test_the_municipality_sees_a_deal_but_gets_403_recording_a_delivery(started, brewery, farm, municipality):
    # It may read every deal, so the refusal is a 403 (as for accept and terms), not a 404.
    pid = Proposal.objects.get().pk
    brewery.client().post(f"/api/v1/proposals/{pid}/accept/")
    farm.client().post(f"/api/v1/proposals/{pid}/accept/")
    deal = Deal.objects.get()
    assert municipality.client().get(f"/api/v1/deals/{deal.pk}/").status_code == 200
    today = timezone.localdate().isoformat()
    response = municipality.client().post(
        f"/api/v1/deals/{deal.pk}/deliveries/", {"date": today, "mass_t": "1"}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"date": "2026-13-01", "mass_t": "1"}, "date"),
        ({"mass_t": "1"}, "date"),
        ({"date": "2026-01-01", "mass_t": "-1"}, "mass_t"),
        ({"date": "2026-01-01", "mass_t": "NaN"}, "mass_t"),
        ({"date": "2026-01-01", "mass_t": "99999"}, "mass_t"),
    ],
)
def test_bad_deliveries_are_400_and_write_nothing(started, brewery, farm, body, field):
    pid = Proposal.objects.get().pk
    brewery.client().post(f"/api/v1/proposals/{pid}/accept/")
    farm.client().post(f"/api/v1/proposals/{pid}/accept/")
    deal = Deal.objects.get()
    response = brewery.client().post(f"/api/v1/deals/{deal.pk}/deliveries/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Delivery.objects.exists()


def test_the_proposal_list_does_not_grow_queries_with_rows(started, brewery, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        brewery.client().get("/api/v1/proposals/")


def test_after_a_deal_the_counterpart_sees_the_exact_site_and_others_still_do_not(
    started, brewery, farm, outsider
):
    pid = Proposal.objects.get().pk
    offer_id = Proposal.objects.get().offer_id
    before = farm.client().get(f"/api/v1/offers/{offer_id}/").json()["site_location"]
    assert before["exact"] is False and before["address"] is None
    brewery.client().post(f"/api/v1/proposals/{pid}/accept/")
    farm.client().post(f"/api/v1/proposals/{pid}/accept/")
    after = farm.client().get(f"/api/v1/offers/{offer_id}/").json()["site_location"]
    assert after["exact"] is True and after["address"] == brewery.site.address
    assert after["latitude"] == "43.238000"
    outsider.organisation.verified = True
    outsider.organisation.save(update_fields=["verified"])
    stranger = outsider.client().get(f"/api/v1/offers/{offer_id}/").json()["site_location"]
    assert stranger["exact"] is False and stranger["address"] is None
