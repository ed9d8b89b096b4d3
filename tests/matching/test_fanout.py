"""Fanning a run out over parts gives exactly the proposals of a single solve."""

import pytest

from matching import engine
from matching.engine import codec
from matching.models import Proposal, RunPart
from matching.runs import fanout
from matching.snapshot import build_snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_markets(grain_market, brewery, farm, outsider):
    # A second, independent component: pallets far from the grain pair's arcs.
    f.make_offer(brewery.organisation, brewery.site, "wooden_pallets", 500, unit="piece", period="month")
    f.make_need(farm.organisation, farm.site, "wooden_pallets", 4000, unit="piece", max_distance_km=70)
    f.make_offer(farm.organisation, farm.site, "chicken_manure", 300)
    f.make_need(brewery.organisation, brewery.site, ["chicken_manure"], 120, max_distance_km=70)


def rows(run):
    return list(
        Proposal.objects.filter(run=run)
        .order_by("offer_id", "need_id")
        .values_list("offer_id", "need_id", "quantity", "mass_t", "distance_km", "net_kg")
    )


def test_the_engine_problem_survives_the_json_round_trip(two_markets):
    from django.utils import timezone

    from marketplace.factor_services import active_factor_set

    snap = build_snapshot(
        factor_set=active_factor_set(),
        objective="divert_then_distance",
        horizon_start=timezone.localdate(),
        horizon_days=365,
    )
    problem = snap.problem
    assert codec.problem_from_json(codec.problem_to_json(problem)) == problem
    solution = engine.solve(problem)
    assert codec.solution_from_json(codec.solution_to_json(solution)) == solution


def test_a_fanned_out_run_writes_the_same_proposals_as_a_single_solve(two_markets, run_now, settings):
    single = run_now(time_step="none")
    expected = rows(single)
    settings.MATCHING_FANOUT_PARTS = 2
    settings.MATCHING_FANOUT_MIN_LISTINGS = 0
    fanned = run_now(time_step="none")
    assert fanned.status == "succeeded", fanned.error
    assert fanned.parameters["parts"] == 2
    assert RunPart.objects.filter(run=fanned, status="done").count() == 2
    assert rows(fanned) == expected and len(expected) == 3
    for key in ("diverted_t", "landfilled_t", "supply_t", "net_co2e_t", "offers", "needs", "proven_optimal"):
        assert fanned.stats[key] == single.stats[key], key


def test_batches_are_independent_and_cover_every_listing(two_markets):
    from django.utils import timezone

    from marketplace.factor_services import active_factor_set

    problem = build_snapshot(
        factor_set=active_factor_set(),
        objective="divert_then_distance",
        horizon_start=timezone.localdate(),
        horizon_days=365,
    ).problem
    parts = fanout.batches(problem, 2)
    assert len(parts) == 2
    assert sorted(o.id for p in parts for o in p.offers) == sorted(o.id for o in problem.offers)
    assert sorted(n.id for p in parts for n in p.needs) == sorted(n.id for n in problem.needs)
    merged = engine.merge(engine.solve(p) for p in parts)
    assert merged.flows == engine.solve(problem).flows
