"""Execute a claimed run, or one part of a fanned-out run, and write its results.

A worker claims the run (:func:`matching.runs.lifecycle.claim`), solves it outside any
transaction while a :class:`~matching.runs.lifecycle.LeaseHeartbeat` keeps the lease, then
writes every proposal and the statistics in one transaction, but only if it still holds the
claim. A large run is split over several workers instead (:mod:`matching.runs.fanout`); the part
that completes the set writes the results here, exactly as a single worker would.

Every function takes keyword arguments only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from accounts.services import event_record
from config.logs import log_context
from marketplace.models import Material, Storage
from marketplace.units import kg_to_tonnes

from .. import compare, copy_write, diagnostics, engine, notifications, services, solver_workers
from ..models import OPEN_RUN_STATUSES, MatchRun, Objective, Proposal, RunPart, RunStatus
from ..progress_labels import progress_message
from ..snapshot import build_snapshot, factors_by_material, flow_amounts, impact_of, proposal_timing
from . import fanout
from .lifecycle import LeaseHeartbeat, claim, lease_seconds, match_run_fail, max_attempts, progress, release

log = logging.getLogger("matching.runs")

#: Called, with no arguments, just before each solve (a whole run's or one part's). Empty in
#: production. The real-worker tests append a sleep here (``tests/worker_app.py``) to have a
#: window in which to kill a worker mid-solve.
before_solve: list[Callable[[], None]] = []


def _before_solve() -> None:
    for hook in before_solve:
        hook()


def match_run_execute(*, run_id: int, worker: str = "in-process") -> str:
    """Claim, solve and write one run. Returns what happened: claimed-by-other, succeeded, failed.

    Transient database errors propagate (the task retries them); engine errors fail the run.
    While the run is held, a :class:`LeaseHeartbeat` keeps its lease alive.
    """
    with log_context(run_id=run_id):
        token = claim(run_id=run_id, worker=worker)
        if token is None:
            run = MatchRun.objects.filter(pk=run_id).first()
            if run is not None and run.status in OPEN_RUN_STATUSES and run.attempts >= max_attempts():
                match_run_fail(run_id=run_id, error=progress_message("gave_up", attempts=run.attempts))
                return "failed"
            log.info("match run %s not claimed: %s", run_id, run.status if run else "no such run")
            return "not-claimed"
        run = MatchRun.objects.select_related("factor_set").get(pk=run_id)
        log.info(
            "match run %s claimed by %s (attempt %s of %s, lease %s s)",
            run_id,
            worker,
            run.attempts,
            max_attempts(),
            lease_seconds(),
        )
        with LeaseHeartbeat(run_id=run_id, token=token):
            outcome = _solve_and_write(run=run, token=token)
        log.info("match run %s ended: %s", run_id, outcome)
        return outcome


def _solve_and_write(*, run: MatchRun, token: str) -> str:
    run_id = run.pk
    started = time.perf_counter()
    try:
        snapshot = build_snapshot(
            factor_set=run.factor_set,
            objective=run.objective,
            horizon_start=run.horizon_start,
            horizon_days=run.horizon_days,
            circuity=float(run.parameters.get("circuity", settings.MATCHING_CIRCUITY)),
            time_limit_s=float(run.parameters.get("time_limit_s", settings.MATCHING_SOLVER_TIME_LIMIT_S)),
            radius_factor=float(run.parameters.get("radius_factor", 1.0)),
            extra_listings=run.parameters.get("extra_listings"),
            time_step=run.time_step,
        )
        progress(
            run_id=run_id,
            token=token,
            percent=20,
            message=progress_message("solving", offers=len(snapshot.offers), needs=len(snapshot.needs)),
        )
        parts = fanout.should_fan_out(snapshot.problem)
        if parts > 1:
            fanned = fanout.fan_out(run=run, token=token, problem=snapshot.problem, parts=parts)
            return "fanned-out" if fanned else "not-claimed"
        _before_solve()
        solution = _solve(snapshot.problem)
        log_solved(run_id=run_id, solution=solution)
        progress(
            run_id=run_id,
            token=token,
            percent=85,
            message=progress_message("writing", proposals=len(solution.flows)),
        )
        destinations = {o.id: o.current_destination for o in snapshot.problem.offers}
        written = write_results(
            run=run,
            token=token,
            solution=solution,
            destinations=destinations,
            seconds=time.perf_counter() - started,
            problem=snapshot.problem,
        )
        log_written(run=run, written=written)
    except engine.EngineError as exc:
        match_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}", token=token)
        return "failed"
    except (OperationalError, InterfaceError):
        release(run_id=run_id, token=token)
        raise  # transient: the task retries (bounded); if the release failed too, the lease runs out
    except Exception as exc:  # a bug must fail the run visibly, not leave it running
        log.exception("match run %s failed", run_id)
        match_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}", token=token)
        return "failed"
    return "succeeded" if written else "not-claimed"


def _solve(problem: engine.Problem) -> engine.Solution:
    """Solve on the worker's cores for runs large enough to gain (``MATCHING_SOLVER_WORKERS``);
    smaller ones call ``solve()`` exactly as before."""
    workers = solver_workers.workers_for(problem)
    return engine.solve(problem, workers=workers) if workers > 1 else engine.solve(problem)


def _handling_factors(*, solution: engine.Solution, problem: engine.Problem | None) -> dict[int, Decimal]:
    """The handling factor (kg CO₂e per t entering) of every storage yard the solution's flows
    pass through: the one the engine was given (``problem``'s yards), else the yard's stored one,
    read in one query; a yard without a factor has 0."""
    given = {yard.id: yard.handling_kg_co2e_per_t for yard in problem.storages} if problem is not None else {}
    wanted = {flow.via_storage for flow in solution.flows if flow.via_storage is not None}
    missing = wanted - given.keys()
    if missing:
        for pk, value in Storage.objects.filter(pk__in=missing).values_list("pk", "handling_kg_co2e_per_t"):
            given[pk] = value if value is not None else Decimal(0)
    return {pk: given[pk] for pk in wanted}


@transaction.atomic
def write_results(
    *,
    run: MatchRun,
    token: str,
    solution: engine.Solution,
    destinations: dict[int, str],
    seconds: float,
    problem: engine.Problem | None = None,
) -> bool:
    """All proposals and statistics in one transaction, and only while we hold the claim.

    A real run also stores every solved listing's match status (``matching.diagnostics``, from
    ``problem``); a what-if run stores its flows on the run and publishes nothing.

    The row lock on the run (and the claim token) makes this happen at most once per run, even
    when two finishers race (fanned-out parts, or a worker that lost its claim).
    """
    locked = (
        MatchRun.objects.select_for_update()
        .filter(pk=run.pk, claim_token=token, status=RunStatus.RUNNING)
        .first()
    )
    if locked is None:
        return False
    materials = {m.key: m for m in Material.objects.all()}
    factors = factors_by_material(run.factor_set)
    handling = _handling_factors(solution=solution, problem=problem)
    rows: list[dict[str, object]] = []
    records: list[compare.FlowRecord] = []
    net_kg = Decimal(0)
    for flow in solution.flows:
        destination = destinations[flow.offer_id]
        quantity, unit, mass_t, distance_km = flow_amounts(flow)
        yard_handling = None if flow.via_storage is None else handling[flow.via_storage]
        impact = impact_of(
            mass_t=mass_t,
            distance_km=distance_km,
            current_destination=destination,
            factors=factors[flow.material],
            handling_kg_co2e_per_t=yard_handling,
        )
        net_kg += impact.net_kg
        records.append(
            compare.FlowRecord(
                offer_id=flow.offer_id,
                need_id=flow.need_id,
                material=flow.material,
                quantity=quantity,
                unit=unit,
                mass_t=mass_t,
                distance_km=distance_km,
                current_destination=destination,
                net_kg=impact.net_kg,
                via_storage=flow.via_storage,
            )
        )
        if run.dry_run:
            continue  # a what-if run publishes nothing: its flows are stored on the run
        rows.append(
            {
                "offer_id": flow.offer_id,
                "need_id": flow.need_id,
                "material_id": materials[flow.material].pk,
                "quantity": quantity,
                "unit": unit,
                "mass_t": mass_t,
                "distance_km": distance_km,
                "current_destination": destination,
                **proposal_timing(flow, unit=unit, horizon_start=run.horizon_start),
                "storage_handling_kg_co2e_per_t": yard_handling,
                **impact.as_dict(),
            }
        )
    if run.dry_run:
        # Nothing is superseded, nothing expires, nobody is told: the flows stay on the run.
        keeping = {"proposals": len(records)}
    else:
        # The new answer supersedes earlier undecided proposals, except those it makes again
        # unchanged (kept, with their ids) and those a side accepted (kept until their window passes).
        # built without Model.__init__ (copy_write.unsaved_instances): the largest part of a big write
        proposals = copy_write.unsaved_instances(
            Proposal, rows, related={"run": run, "factor_set": run.factor_set}
        )
        keeping = services.proposals_supersede(run=run, proposals=proposals)
        keeping = {"proposals": keeping["new_proposals"] + keeping["kept_proposals"], **keeping}
    breakdown = compare.breakdown_build(records=records, solution=solution, with_flows=run.dry_run)
    stats = {
        "offers": solution.stats.get("offers", 0),
        "needs": solution.stats.get("needs", 0),
        "arcs": solution.stats.get("arcs", 0),
        "components": solution.stats.get("components", 0),
        "discrete_components": solution.stats.get("discrete_components", 0),
        "solve_seconds": round(float(solution.stats.get("solve_seconds", 0.0)), 4),
        "candidate_seconds": round(float(solution.stats.get("candidate_seconds", 0.0)), 4),
        "total_seconds": round(seconds, 4),
        "proven_optimal": solution.proven_optimal,
        "bound": solution.bound,
        "gap": optimality_gap(solution),
        # issue 10: all eligible supply, its waste-bound part (landfill, open burning,
        # incineration, unknown), that part moved (diverted) or left in its fate (landfilled),
        # and what moved from offers already in other use
        "supply_t": float(kg_to_tonnes(solution.supply_kg)),
        "waste_t": float(kg_to_tonnes(solution.waste_kg)),
        "diverted_t": float(kg_to_tonnes(solution.diverted_kg)),
        "landfilled_t": float(kg_to_tonnes(solution.landfilled_kg)),
        "other_moved_t": float(kg_to_tonnes(solution.other_moved_kg)),
        "tkm": round(solution.tkm, 3),
        "net_co2e_t": float(kg_to_tonnes(net_kg).quantize(Decimal("0.001"))),
        **keeping,
    }
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED,
        is_open=False,
        finished_at=timezone.now(),
        stats=stats,
        breakdown=breakdown,
        progress=100,
        progress_message=progress_message("done"),
        lease_expires_at=None,
        error="",
    )
    run.refresh_from_db()
    event_record(
        actor=None,
        action="match_run.succeeded",
        obj=run,
        data={
            "proposals": stats["proposals"],
            "proven_optimal": solution.proven_optimal,
            "dry_run": run.dry_run,
        },
    )
    if not run.dry_run:
        if problem is not None:
            diagnostics.match_status_write(run=run, problem=problem, solution=solution)
        transaction.on_commit(lambda: notifications.new_proposals(run_id=run.pk))
        copy_write.analyze_on_commit()
    return True


def optimality_gap(solution: engine.Solution) -> float | None:
    """The run's relative gap, (bound − achieved) / max(1, |bound|) on the primary objective
    (diverted waste-bound kg, or net avoided kg CO2e for ``net_climate``): 0 when proven optimal,
    ``None`` without a bound."""
    if solution.proven_optimal:
        return 0.0
    if solution.bound is None:
        return None
    achieved = solution.net_co2e_kg if solution.objective == Objective.NET_CLIMATE else solution.diverted_kg
    return round(max(0.0, solution.bound - achieved) / max(1.0, abs(solution.bound)), 9)


def log_solved(*, run_id: int, solution: engine.Solution) -> None:
    """One line with the solve statistics (and the figures as JSON fields with LOG_FORMAT=json)."""
    stats = solution.stats
    figures = {
        key: stats.get(key)
        for key in ("offers", "needs", "arcs", "components", "solve_seconds", "candidate_seconds")
        if isinstance(stats.get(key), (int, float))
    }
    log.info(
        "match run %s solved: %s offers, %s needs, %s arcs in %s components, %.3f s, %s flows, "
        "proven optimal: %s",
        run_id,
        figures.get("offers"),
        figures.get("needs"),
        figures.get("arcs"),
        figures.get("components"),
        float(figures.get("solve_seconds") or 0.0),
        len(solution.flows),
        solution.proven_optimal,
        extra={"run_id": run_id, "solve": {**figures, "flows": len(solution.flows)}},
    )


def log_written(*, run: MatchRun, written: bool) -> None:
    """One line for the write: how many proposals, or that the claim was lost first."""
    if not written:
        log.warning("match run %s: results not written, the claim was lost", run.pk, extra={"run_id": run.pk})
        return
    stats = run.stats or {}
    log.info(
        "match run %s wrote %s proposals (%s earlier ones expired); diverted %s t, net %s t CO2e",
        run.pk,
        stats.get("proposals"),
        stats.get("expired_proposals"),
        stats.get("diverted_t"),
        stats.get("net_co2e_t"),
        extra={"run_id": run.pk},
    )


def part_execute(*, part_id: int, worker: str) -> str:
    """Solve one part; the part that completes its set writes the run's results.

    While a part is being solved its worker keeps the run's lease alive (the coordinator that
    fanned out has returned); parts of an older claim of the run are ignored.
    """
    part = fanout.part_claim(part_id=part_id, worker=worker)
    if part is None:
        return "not-claimed"
    run = part.run
    if run.claim_token != part.claim_token or run.status != RunStatus.RUNNING:
        return "stale"
    with log_context(run_id=run.pk), LeaseHeartbeat(run_id=run.pk, token=part.claim_token):
        return _part_solve(part=part, run=run)


def _part_solve(*, part: RunPart, run: MatchRun) -> str:
    _before_solve()
    started = time.perf_counter()
    try:
        solution = _solve(fanout.part_problem(part))
    except engine.EngineError as exc:
        match_run_fail(
            run_id=run.pk, error=f"part {part.index + 1}: {type(exc).__name__}: {exc}", token=part.claim_token
        )
        return "failed"
    gathered = fanout.part_gather(
        part=part, solution=solution, seconds=round(time.perf_counter() - started, 4)
    )
    if gathered is None:
        return "part-done"
    log_solved(run_id=run.pk, solution=gathered.solution)
    written = write_results(
        run=run,
        token=part.claim_token,
        solution=gathered.solution,
        destinations=gathered.destinations,
        seconds=gathered.seconds,
        problem=gathered.problem,
    )
    log_written(run=run, written=written)
    if written:
        log.info("match run %s ended: succeeded (%s parts)", run.pk, part.total)
    return "succeeded" if written else "part-done"
