"""Issue 13, Django side: run time_step, snapshot → Problem (yards, recipes, properties), proposals
with a schedule and a storage yard, the yard owner's acceptance and the seeded delivery plan.
The end-to-end tests at the end run the real engine over time buckets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.errors import DomainError
from accounts.models import Event
from marketplace import storages
from marketplace.models import Material
from matching import engine, runs, services
from matching.engine.problem import Recipe, ShareBound
from matching.models import Deal, MatchRun, Proposal, ProposalStatus
from matching.snapshot import build_snapshot
from tests import factories as f
from tests.yards import (
    PANEL,
    direct_panel_flow,
    grain_flow,
    panel_flow,
    panel_need,
    panel_offer,
    panel_yard,
    propose,
    schedule_total,
    yard_owner_persona,
)


@pytest.fixture
def yard_owner(db):
    return yard_owner_persona()


@pytest.fixture
def panels(brewery, farm, yard_owner):
    """Façade panels released in June, a builder who needs them from September, a yard between."""
    f.ensure_factor_set()
    return panel_offer(brewery), panel_need(farm), panel_yard(yard_owner, handling_kg_co2e_per_t="4.5")


def snapshot(**kwargs):
    return build_snapshot(
        factor_set=f.ensure_factor_set(),
        objective="divert_then_distance",
        horizon_start=date(2027, 1, 1),
        horizon_days=365,
        **kwargs,
    )


# --- snapshot → Problem ------------------------------------------------------------------------
def test_the_snapshot_carries_time_step_yards_and_material_properties(panels, yard_owner):
    offer, need, yard = panels
    problem = snapshot(time_step="month").problem
    assert problem.time_step == "month"
    (storage,) = problem.storages
    assert (storage.id, storage.materials, storage.unit, storage.capacity) == (
        yard.pk,
        (PANEL,),
        "piece",
        Decimal(100),
    )
    assert (storage.available_from, storage.available_until) == (date(2027, 5, 1), date(2027, 12, 31))
    assert storage.handling_kg_co2e_per_t == Decimal("4.5") and storage.handling_cost_kzt_per_t == 0
    assert storage.owner == yard_owner.organisation.pk
    assert (storage.lat, storage.lon) == (43.27, 77.05)
    specs = {m.key: m for m in problem.materials}
    assert specs["brewers_spent_grain"].max_storage_days == 4
    assert (specs["straw"].c_to_n, specs["straw"].moisture_pct, specs["straw"].nitrogen_pct_dry) == (
        Decimal(127),
        Decimal(10),
        Decimal("0.4"),
    )
    assert specs[PANEL].max_storage_days is None and specs[PANEL].c_to_n is None
    assert snapshot().problem.time_step == "none"


def test_only_active_yards_of_verified_organisations_enter_matching(panels, yard_owner, outsider):
    _, _, yard = panels
    storages.storage_create(
        organisation=outsider.organisation,
        actor=outsider.user,
        site=outsider.site.pk,
        materials=[PANEL],
        capacity="10",
        unit="piece",
        status="active",
    )
    storages.storage_create(
        organisation=yard_owner.organisation,
        actor=yard_owner.user,
        site=yard_owner.site.pk,
        materials=[PANEL],
        capacity="10",
        unit="piece",
    )  # a draft
    assert [s.id for s in snapshot().problem.storages] == [yard.pk]
    storages.storage_update(storage=yard, actor=yard_owner.user, status="paused")
    assert snapshot().problem.storages == ()


def test_a_needs_recipe_becomes_the_engines_recipe(farm):
    f.ensure_factor_set()
    need = f.make_need(farm.organisation, farm.site, ["chicken_manure", "straw"], 300)
    from marketplace import services as market

    market.need_update(
        need=need,
        actor=farm.user,
        recipe={"shares": [{"material": "straw", "min": "0.2", "max": "0.7"}], "c_to_n": ["25", "30"]},
    )
    (need_input,) = snapshot().problem.needs
    assert need_input.recipe == Recipe(
        shares=(ShareBound(material="straw", min=Decimal("0.2"), max=Decimal("0.7")),),
        c_to_n=(Decimal(25), Decimal(30)),
        moisture_pct=None,
    )


# --- run parameter -------------------------------------------------------------------------
def test_the_run_api_takes_time_step_month_by_default(grain_market, municipality):
    client = municipality.client()
    assert client.post("/api/v1/match-runs/", {"time_step": "fortnight"}, format="json").status_code == 400
    assert not MatchRun.objects.exists()
    response = client.post("/api/v1/match-runs/", {}, format="json")
    assert response.status_code == 202, response.content
    assert MatchRun.objects.get().parameters["time_step"] == "month"


@pytest.mark.parametrize("step", ["week", "none"])
def test_the_run_stores_the_time_step_it_was_given(grain_market, municipality, step):
    response = municipality.client().post("/api/v1/match-runs/", {"time_step": step}, format="json")
    assert response.status_code == 202
    assert MatchRun.objects.get().parameters["time_step"] == step


def test_the_run_passes_its_time_step_to_the_engine(grain_market, run_now, monkeypatch):
    seen = []
    real_solve = engine.solve

    def spy(problem):
        seen.append(problem.time_step)
        return real_solve(problem)

    monkeypatch.setattr(runs.execute.engine, "solve", spy)
    run = run_now(time_step="week")
    assert run.status == "succeeded" and seen == ["week"]


# --- proposals from a hand-made solution (tests.yards.propose) ------------------------------
@pytest.fixture
def yard_proposal(panels, municipality):
    offer, need, yard = panels
    (proposal,) = propose(municipality, panel_flow(offer, need, yard))
    return proposal


@pytest.fixture
def grain_proposal(grain_market, municipality):
    """A proposal brewery → farm with the given monthly schedule (kg per period start)."""

    def make(*schedule: tuple[date, int]) -> Proposal:
        offer, need = grain_market
        (proposal,) = propose(municipality, grain_flow(offer, need, schedule))
        return proposal

    return make


def test_a_flow_through_a_yard_is_one_proposal_with_its_schedules(yard_proposal, panels, yard_owner):
    _, _, yard = panels
    assert yard_proposal.via_storage_id == yard.pk
    assert yard_proposal.schedule == [{"period_start": "2027-09-01", "quantity": "40"}]
    assert yard_proposal.storage_schedule == [{"period_start": "2027-06-01", "quantity": "40"}]
    body = yard_owner.client().get(f"/api/v1/proposals/{yard_proposal.pk}/").json()
    assert body["via_storage"] == yard.pk
    assert body["schedule"] == [{"period_start": "2027-09-01", "quantity": "40.000"}]
    assert body["storage_schedule"] == [{"period_start": "2027-06-01", "quantity": "40.000"}]
    assert body["waiting_for"] == ["supplier", "receiver", "yard"]


def test_a_bulk_schedule_is_in_tonnes_and_sums_to_the_quantity(grain_proposal):
    proposal = grain_proposal(
        (date(2027, 1, 1), 500_000), (date(2027, 2, 1), 499_999), (date(2027, 3, 1), 500_001)
    )
    assert [row["quantity"] for row in proposal.schedule] == ["500.000", "499.999", "500.001"]
    assert schedule_total(proposal.schedule) == proposal.quantity == Decimal(1500)
    assert proposal.via_storage_id is None and proposal.storage_schedule == []


def test_a_run_without_periods_schedules_each_proposal_whole_at_the_horizon_start(grain_market, run_now):
    run = run_now(time_step="none")
    proposals = list(Proposal.objects.all())
    assert proposals
    for p in proposals:
        assert p.schedule == [{"period_start": run.horizon_start.isoformat(), "quantity": str(p.quantity)}]
        assert schedule_total(p.schedule) == p.quantity and p.via_storage_id is None


# --- the yard owner's acceptance ------------------------------------------------------------
def accept(persona, proposal):
    response = persona.client().post(f"/api/v1/proposals/{proposal.pk}/accept/", {}, format="json")
    return response


def test_a_yard_flow_is_agreed_only_when_supplier_receiver_and_yard_owner_accepted(
    yard_proposal, brewery, farm, yard_owner
):
    assert accept(brewery, yard_proposal).json()["status"] == "accepted_by_offer"
    held = accept(farm, yard_proposal).json()
    assert held["status"] == "accepted_by_offer" and held["waiting_for"] == ["yard"]
    assert not Deal.objects.exists()
    assert accept(farm, yard_proposal).json()["waiting_for"] == ["yard"]  # still held, no deal
    done = accept(yard_owner, yard_proposal)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "agreed" and done.json()["waiting_for"] == []
    assert Deal.objects.get().proposal_id == yard_proposal.pk
    assert Event.objects.filter(action="proposal.accept_storage").count() == 1
    assert accept(yard_owner, yard_proposal).status_code == 409


def test_the_yard_owner_may_accept_first(yard_proposal, brewery, farm, yard_owner):
    first = accept(yard_owner, yard_proposal).json()
    assert first["status"] == "proposed" and first["waiting_for"] == ["supplier", "receiver"]
    assert first["storage_accepted_at"] is not None
    accept(farm, yard_proposal)
    assert accept(brewery, yard_proposal).json()["status"] == "agreed"
    assert Deal.objects.count() == 1


def test_a_yard_that_accepts_automatically_needs_no_acceptance(
    yard_proposal, panels, brewery, farm, yard_owner
):
    _, _, yard = panels
    storages.storage_update(storage=yard, actor=yard_owner.user, accept_automatically=True)
    assert accept(brewery, yard_proposal).json()["waiting_for"] == ["receiver"]
    assert accept(farm, yard_proposal).json()["status"] == "agreed"
    assert accept(yard_owner, yard_proposal).status_code == 403  # not a party, nothing to accept


def test_others_cannot_accept_for_the_yard(yard_proposal, outsider, municipality):
    assert accept(outsider, yard_proposal).status_code == 404
    assert accept(municipality, yard_proposal).status_code == 403


def test_a_paused_yard_cannot_become_a_deal(yard_proposal, panels, brewery, farm, yard_owner):
    _, _, yard = panels
    accept(brewery, yard_proposal)
    accept(farm, yard_proposal)
    storages.storage_update(storage=yard, actor=yard_owner.user, status="paused")
    assert accept(yard_owner, yard_proposal).status_code == 409
    assert not Deal.objects.exists()


def test_a_member_of_both_parties_still_waits_for_the_yard(yard_proposal, brewery, farm, yard_owner):
    from accounts import services as accounts
    from accounts.models import Membership

    accounts.membership_add(user=brewery.user, organisation=farm.organisation, role=Membership.Role.ADMIN)
    body = accept(brewery, yard_proposal).json()
    assert body["waiting_for"] == ["yard"] and body["status"] == "accepted_by_offer"
    with pytest.raises(DomainError):
        services.proposal_accept(proposal=Proposal.objects.get(), actor=brewery.user)
    assert accept(yard_owner, yard_proposal).json()["status"] == "agreed"


# --- the delivery plan --------------------------------------------------------------------
def test_the_schedule_seeds_the_deals_delivery_plan_one_delivery_per_period(grain_proposal, brewery, farm):
    proposal = grain_proposal((date(2027, 1, 1), 400_000), (date(2027, 2, 1), 0), (date(2027, 3, 1), 600_000))
    accept(brewery, proposal)
    accept(farm, proposal)
    deal = Deal.objects.get()
    plan = services.deal_plan(deal=deal, today=date(2027, 2, 15))
    assert plan is not None
    assert [(row.date, row.quantity) for row in plan] == [
        (date(2027, 1, 1), Decimal("400.000")),
        (date(2027, 3, 1), Decimal("600.000")),
    ]
    assert plan[0].overdue and not plan[1].overdue
    body = brewery.client().get(f"/api/v1/deals/{deal.pk}/").json()
    assert [row["quantity"] for row in body["plan"]] == ["400.000", "600.000"]


def test_a_run_without_periods_seeds_no_delivery_plan(grain_market, run_now, brewery, farm):
    run_now(time_step="none")
    proposal = Proposal.objects.get()
    accept(brewery, proposal)
    accept(farm, proposal)
    deal = Deal.objects.get()
    assert services.deal_plan(deal=deal) is None
    assert brewery.client().get(f"/api/v1/deals/{deal.pk}/").json()["plan"] is None


def test_a_smaller_agreed_quantity_is_spread_over_the_schedule_exactly():
    from matching import plan

    entries = plan.seeded_plan(
        schedule=[
            (date(2027, 1, 1), Decimal(1)),
            (date(2027, 2, 1), Decimal(1)),
            (date(2027, 3, 1), Decimal(1)),
        ],
        quantity=Decimal(2),
        pieces=True,
    )
    assert [e.quantity for e in entries] == [Decimal(1), Decimal(1)]
    bulk = plan.seeded_plan(
        schedule=[(date(2027, 1, 1), Decimal("10")), (date(2027, 2, 1), Decimal("20"))],
        quantity=Decimal("1"),
        pieces=False,
    )
    assert sum(e.quantity for e in bulk) == Decimal(1) and [e.quantity for e in bulk] == [
        Decimal("0.333"),
        Decimal("0.667"),
    ]


def test_an_overdue_seeded_plan_entry_is_reminded_once(grain_proposal, brewery, farm):
    proposal = grain_proposal((date(2027, 1, 1), 1_000_000))
    accept(brewery, proposal)
    accept(farm, proposal)
    assert len(services.deliveries_remind_overdue(today=date(2027, 1, 10))) == 1
    assert services.deliveries_remind_overdue(today=date(2027, 1, 11)) == []


def test_a_changed_yard_makes_a_new_proposal_not_a_kept_one(panels, municipality, yard_owner):
    offer, need, yard = panels
    (old,) = propose(municipality, panel_flow(offer, need, yard))
    propose(municipality, direct_panel_flow(offer, need))
    old.refresh_from_db()
    assert old.status == ProposalStatus.EXPIRED
    new = Proposal.objects.exclude(pk=old.pk).get()
    assert new.via_storage_id is None and new.schedule == [{"period_start": "2027-09-01", "quantity": "40"}]


# --- end to end (needs the engine of helper "time") ---------------------------------------
def test_a_monthly_run_gives_proposals_whose_schedule_sums_to_their_quantity(grain_market, run_now):
    run = run_now(time_step="month")
    assert run.status == "succeeded"
    proposals = list(Proposal.objects.all())
    assert proposals
    for proposal in proposals:
        assert proposal.schedule, "a monthly run schedules every proposal"
        assert sum(Decimal(row["quantity"]) for row in proposal.schedule) == proposal.quantity


def test_panels_released_in_june_reach_a_september_builder_through_the_yard(panels, run_now):
    offer, need, yard = panels
    run = run_now(time_step="month")
    assert run.status == "succeeded"
    proposal = Proposal.objects.get(offer=offer, need=need)
    assert proposal.via_storage_id == yard.pk and proposal.quantity == 40
    assert [row["period_start"][:7] for row in proposal.storage_schedule] == ["2027-06"]
    assert all(row["period_start"] >= "2027-09-01" for row in proposal.schedule)
    assert sum(Decimal(row["quantity"]) for row in proposal.schedule) == 40


def test_without_time_buckets_the_june_panels_cannot_reach_september(panels, run_now):
    # today's aggregate model: the windows do not overlap, so nothing is proposed
    run = run_now(time_step="none")
    assert run.status == "succeeded" and not Proposal.objects.exists()


def test_a_yard_counted_in_tonnes_holds_the_panels_by_their_mass(brewery, farm, yard_owner, run_now):
    f.ensure_factor_set()
    offer, need = panel_offer(brewery), panel_need(farm)
    per_piece_t = Material.objects.get(key=PANEL).mass_per_piece_t
    room_t = per_piece_t * 25  # room for 25 of the 40 panels
    yard = panel_yard(yard_owner, capacity=f"{room_t}", unit="t")
    run = run_now(time_step="month")
    assert run.status == "succeeded"
    proposal = Proposal.objects.get(offer=offer, need=need)
    assert proposal.via_storage_id == yard.pk and proposal.quantity == 25
    assert sum(Decimal(row["quantity"]) for row in proposal.storage_schedule) == 25
