"""Why a listing got no proposal (issue 14 point 4): the real solver, then the listing API."""

from datetime import date

import numpy as np
import pytest

from accounts.models import Organisation
from marketplace import services as listings
from matching import engine
from matching.engine.diagnose import diagnose
from matching.models import ListingMatchStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def _status(client, kind: str, pk: int) -> dict | None:
    response = client.get(f"/api/v1/{kind}s/{pk}/")
    assert response.status_code == 200
    return response.json()["match_status"]


def test_every_listing_says_why_after_a_real_run(grain_market, brewery, farm, municipality, run_now):
    offer, need = grain_market
    assert _status(brewery.client(), "offer", offer.pk) is None  # before any run
    # nobody wants fly ash within reach: the nearest need accepting it is the farm's, ~32 km away
    ash = f.make_offer(brewery.organisation, brewery.site, "steel_scrap", 100)
    f.make_need(farm.organisation, farm.site, ["steel_scrap"], 50, max_distance_km=5)
    # a need whose window ends before the grain's begins
    early = f.make_offer(
        brewery.organisation, brewery.site, "bread_residues", 10, available_from=date(2031, 1, 1)
    )
    late = f.make_need(
        farm.organisation, farm.site, ["bread_residues"], 10, available_until=date(2030, 12, 31)
    )
    lonely = f.make_offer(brewery.organisation, brewery.site, "coffee_grounds", 5)
    paused = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 5, status="paused")
    run = run_now()
    client = brewery.client()
    grain = _status(client, "offer", offer.pk)
    assert grain["reason"] == "partly_matched" and grain["run"] == run.pk and grain["explanation"]
    assert _status(farm.client(), "need", need.pk)["reason"] == "matched"
    far = _status(client, "offer", ash.pk)
    assert far["reason"] == "no_counterpart_in_radius"
    assert 30 <= far["nearest_km"] <= 40 and f"{far['nearest_km']} km" in far["explanation"]
    window = _status(farm.client(), "need", late.pk)
    assert window["reason"] == "windows_do_not_overlap"
    assert _status(client, "offer", early.pk)["reason"] == "windows_do_not_overlap"
    none = _status(client, "offer", lonely.pk)
    assert none["reason"] == "no_counterpart_in_radius" and none["nearest_km"] is None
    assert _status(client, "offer", paused.pk)["reason"] == "not_active"
    # another company sees no status on the brewery's listing; the municipality does
    assert _status(farm.client(), "offer", offer.pk) is None
    assert _status(municipality.client(), "offer", offer.pk)["reason"] == "partly_matched"
    # the list states them too, in a fixed number of queries
    listed = {o["id"]: o["match_status"] for o in client.get("/api/v1/offers/").json()["results"]}
    assert listed[ash.pk] == far and listed[offer.pk]["reason"] == "partly_matched"


def test_declined_pairs_and_outcompeted_supply(grain_market, brewery, farm, municipality, run_now):
    offer, need = grain_market
    run_now()
    from matching import services
    from matching.models import Proposal

    services.proposal_decline(proposal=Proposal.objects.get(offer=offer, need=need), actor=farm.user)
    run = run_now()
    assert ListingMatchStatus.objects.get(offer=offer).reason == "declined_by_counterpart"
    assert ListingMatchStatus.objects.get(need=need).run == run
    assert _status(farm.client(), "need", need.pk)["reason"] == "declined_by_counterpart"


def test_an_unverified_organisation_is_told_so(outsider, grain_market, run_now):
    offer = f.make_offer(outsider.organisation, outsider.site, "brewers_spent_grain", 10)
    run_now()
    Organisation.objects.filter(pk=outsider.organisation.pk).update(verified=False)
    status = _status(outsider.client(), "offer", offer.pk)
    assert status["reason"] == "organisation_unverified" and status["nearest_km"] is None
    listings.offer_set_status(offer=offer, actor=None, status="paused")
    assert _status(outsider.client(), "offer", offer.pk)["reason"] == "not_active"


def _spec(key="x"):
    from decimal import Decimal

    return engine.MaterialSpec(
        key=key,
        unit_basis="t",
        mass_per_piece_t=None,
        density_t_per_m3=None,
        landfill_kg_per_t=Decimal(500),
        substitution_kg_per_t=Decimal(0),
        treatment_kg_per_t=Decimal(0),
    )


def _offer(i, lat, qty):
    from decimal import Decimal

    return engine.OfferInput(
        id=i, material="x", lat=lat, lon=77.0, quantity=Decimal(qty), unit="t", period="once",
        available_from=None, available_until=None, min_lot=None, max_distance_km=None,
    )  # fmt: skip


def _need(i, lat, qty, km=50):
    from decimal import Decimal

    return engine.NeedInput(
        id=i, materials=("x",), lat=lat, lon=77.0, quantity=Decimal(qty), unit="t", period="once",
        available_from=None, available_until=None, min_lot=None, max_distance_km=Decimal(km),
    )  # fmt: skip


def test_the_engine_names_outcompeted_supply_with_the_distance_only():
    # one need of 10 t; two offers, the nearer wins, the farther is outcompeted
    problem = engine.Problem(
        offers=(_offer(1, 43.00, 10), _offer(2, 43.10, 10)),
        needs=(_need(1, 43.01, 10),),
        materials=(_spec(),),
        horizon_start=date(2026, 1, 1),
    )
    solution = engine.solve(problem)
    found = {(d.kind, d.id): d for d in diagnose(problem, solution.flows)}
    assert found[("offer", 1)].reason == "matched"
    assert found[("need", 1)].reason == "matched"
    loser = found[("offer", 2)]
    assert loser.reason == "outcompeted"
    expected = 1.3 * engine.great_circle_km(
        np.array([43.10]), np.array([77.0]), np.array([43.01]), np.array([77.0])
    )
    assert loser.nearest_km == round(float(expected[0]))
