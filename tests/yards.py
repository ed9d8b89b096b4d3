"""Builders for the storage-yard tests (issue 13): the yard's owner, façade panels released in
June for a September builder with a yard between, and proposals written from a hand-made
engine solution through ``runs.write_results`` (as a run would). Each test module wraps the
ones it needs in its own fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marketplace import storages
from marketplace.models import Material, Storage
from matching import engine, runs
from matching.models import MatchRun, Proposal
from tests import factories as f
from tests.conftest import _persona

PANEL = "precast_concrete_panel"
GRAIN = "brewers_spent_grain"


def yard_owner_persona(username: str = "yardkeeper", name: str = "Alatau Storage Yard", *, lat="43.2700"):
    return _persona(username, name, sector="construction", lat=lat, lon="77.0500")


def panel_offer(persona, pieces: int = 40):
    """Façade panels released in June 2027, once."""
    return f.make_offer(
        persona.organisation,
        persona.site,
        PANEL,
        pieces,
        unit="piece",
        period="once",
        available_from=date(2027, 6, 1),
        available_until=date(2027, 6, 30),
    )


def panel_need(persona, pieces: int = 40):
    """A builder who needs panels from September 2027 (the windows do not overlap)."""
    return f.make_need(
        persona.organisation,
        persona.site,
        [PANEL],
        pieces,
        unit="piece",
        period="once",
        available_from=date(2027, 9, 1),
        available_until=date(2027, 10, 31),
    )


def panel_yard(owner, *, capacity: str = "100", unit: str = "piece", **extra) -> Storage:
    """An active yard for panels, open May–December 2027."""
    return storages.storage_create(
        organisation=owner.organisation,
        actor=owner.user,
        site=owner.site.pk,
        materials=[PANEL],
        capacity=capacity,
        unit=unit,
        available_from=date(2027, 5, 1),
        available_until=date(2027, 12, 31),
        status="active",
        **extra,
    )


def solution_of(flows: tuple[engine.Flow, ...]) -> engine.Solution:
    """A hand-made solution carrying ``flows`` (the figures do not matter to the proposals)."""
    return engine.Solution(
        flows=flows,
        objective="divert_then_distance",
        proven_optimal=True,
        bound=0.0,
        supply_kg=0,
        waste_kg=0,
        diverted_kg=0,
        landfilled_kg=0,
        other_moved_kg=0,
        tkm=0.0,
        net_co2e_kg=0.0,
    )


def write(run: MatchRun, flows: tuple[engine.Flow, ...]) -> None:
    """Write ``flows`` as the results of ``run``, claimed as a worker would."""
    token = runs.claim(run_id=run.pk, worker="test-worker")
    assert token is not None
    destinations = {flow.offer_id: "landfill" for flow in flows}
    assert runs.write_results(
        run=run, token=token, solution=solution_of(flows), destinations=destinations, seconds=0.1
    )


def propose(actor, *flows: engine.Flow) -> list[Proposal]:
    """A run started by ``actor`` (not enqueued) whose results are ``flows``: its proposals."""
    run = runs.match_run_start(actor=actor.user, enqueue=False)
    write(run, flows)
    return list(Proposal.objects.filter(run=run).order_by("id"))


def panel_flow(offer, need, yard, **changes) -> engine.Flow:
    """40 panels entering ``yard`` in June and leaving it for ``need`` in September."""
    mass = Material.objects.get(key=PANEL).mass_per_piece_t
    assert mass is not None
    flow = engine.Flow(
        offer_id=offer.pk,
        need_id=need.pk,
        material=PANEL,
        quantity=40,
        unit="piece",
        mass_kg=int(40 * mass * 1000),
        distance_km=18.5,
        schedule=((date(2027, 9, 1), 40),),
        via_storage=None if yard is None else yard.pk,
        storage_schedule=((date(2027, 6, 1), 40),),
        legs_km=(8.0, 10.5),
    )
    return engine.Flow(**{**flow.__dict__, **changes})


def direct_panel_flow(offer, need) -> engine.Flow:
    """The same panels sent direct (no yard, no storage schedule, no legs)."""
    return panel_flow(offer, need, None, storage_schedule=(), legs_km=None)


def grain_flow(offer, need, schedule: tuple[tuple[date, int], ...]) -> engine.Flow:
    """Spent grain brewery → farm (32 km) delivered per ``schedule`` (kg per period start)."""
    kg = sum(q for _, q in schedule)
    return engine.Flow(
        offer_id=offer.pk,
        need_id=need.pk,
        material=GRAIN,
        quantity=kg,
        unit="kg",
        mass_kg=kg,
        distance_km=32.0,
        schedule=schedule,
    )


def schedule_total(rows: list[dict]) -> Decimal:
    return sum((Decimal(row["quantity"]) for row in rows), Decimal(0))
