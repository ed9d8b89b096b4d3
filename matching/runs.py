"""The match-run lifecycle: start, claim, solve, write, fail, recover.

The database is the record of which runs are owed. A worker claims a run with a conditional
update that sets a fresh claim token and a lease; it solves outside any transaction; then it
writes every proposal and the statistics in one transaction, but only if it still holds the
claim. A worker that dies leaves an expired lease, which the sweeper hands to another worker
(up to ``MATCHING_MAX_ATTEMPTS``), so a run never stays ``running`` and never finishes twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.access import require_authority
from accounts.errors import conflict, invalid
from accounts.services import event_record
from marketplace.factor_services import require_active_factor_set
from marketplace.models import Material

from . import engine, fanout, notifications
from .models import (
    OPEN_RUN_STATUSES,
    UNDECIDED_PROPOSAL_STATUSES,
    MatchRun,
    Objective,
    Proposal,
    ProposalStatus,
    RunStatus,
)
from .snapshot import build_snapshot, factors_by_material, flow_amounts, impact_of

log = logging.getLogger(__name__)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return int(_setting("MATCHING_LEASE_S", _setting("CELERY_TASK_TIME_LIMIT", 600) + 60))


def max_attempts() -> int:
    return int(_setting("MATCHING_MAX_ATTEMPTS", 3))


def active_run() -> MatchRun | None:
    return MatchRun.objects.filter(is_open=True).first()


def match_run_start(
    *,
    actor,
    objective: str = Objective.DIVERT_THEN_DISTANCE,
    horizon_days: int = 365,
    circuity: float | None = None,
    enqueue: bool = True,
) -> MatchRun:
    """Queue a city-wide run (municipality only; ``actor=None`` for the scheduler).

    At most one run is queued or running: a partial unique index decides between two
    concurrent starts, and the loser gets a 409 naming the open run. The task is sent only
    after the run row is committed.
    """
    if actor is not None:
        require_authority(actor)
    if objective not in Objective.values:
        raise invalid(
            "objective", f"Unknown objective {objective!r}; expected one of: {', '.join(Objective.values)}."
        )
    if not isinstance(horizon_days, int) or not 1 <= horizon_days <= 3650:
        raise invalid("horizon_days", "Between 1 and 3650 days.")
    circuity = float(circuity if circuity is not None else _setting("MATCHING_CIRCUITY", 1.3))
    if not 1.0 <= circuity <= 3.0:
        raise invalid("circuity", "Between 1.0 and 3.0.")
    factor_set = require_active_factor_set()
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(
                objective=objective,
                horizon_days=horizon_days,
                horizon_start=timezone.localdate(),
                factor_set=factor_set,
                created_by=actor,
                parameters={
                    "circuity": circuity,
                    "time_limit_s": _setting("MATCHING_SOLVER_TIME_LIMIT_S", 300),
                },
            )
            event_record(
                actor=actor,
                action="match_run.started",
                obj=run,
                data={"objective": objective, "factor_set": factor_set.version},
            )
            if enqueue:
                from .tasks import run_match

                transaction.on_commit(lambda: run_match.delay(run.pk))
    except IntegrityError:
        open_run = active_run()
        raise conflict(
            "A match run is already queued or running.", active_run=open_run.pk if open_run else None
        ) from None
    return run


def _claim(run_id: int, worker: str) -> str | None:
    """Take the run if it is queued, or running with an expired lease. Returns the claim token."""
    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = MatchRun.objects.filter(
        Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, lease_expires_at__lt=now),
        pk=run_id,
        attempts__lt=max_attempts(),
    ).update(
        status=RunStatus.RUNNING,
        claim_token=token,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        started_at=now,
        worker=worker[:200],
        progress=5,
        progress_message="Claimed by a worker",
        attempts=F("attempts") + 1,
    )
    return token if claimed else None


def _progress(run_id: int, token: str, percent: int, message: str) -> None:
    """Report progress and renew the lease, only while this worker still holds the claim."""
    MatchRun.objects.filter(pk=run_id, claim_token=token, status=RunStatus.RUNNING).update(
        progress=percent,
        progress_message=message[:200],
        lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
    )


def _release(run_id: int, token: str) -> None:
    """Hand a claimed run back to the queue after a transient error (best effort)."""
    try:
        MatchRun.objects.filter(pk=run_id, claim_token=token, status=RunStatus.RUNNING).update(
            status=RunStatus.QUEUED,
            claim_token="",
            progress=0,
            progress_message="Waiting to retry",
            lease_expires_at=None,
        )
    except (OperationalError, InterfaceError):
        log.warning("could not release run %s; the sweeper will once its lease expires", run_id)


def match_run_fail(*, run_id: int, error: str, token: str | None = None) -> bool:
    """Mark a run failed (if it is still open, and still ours when a token is given)."""
    runs = MatchRun.objects.filter(pk=run_id, status__in=OPEN_RUN_STATUSES)
    if token is not None:
        runs = runs.filter(claim_token=token)
    done = runs.update(
        status=RunStatus.FAILED,
        is_open=False,
        finished_at=timezone.now(),
        error=error[:5000],
        progress=100,
        progress_message="Failed",
        lease_expires_at=None,
    )
    if done:
        run = MatchRun.objects.get(pk=run_id)
        event_record(actor=None, action="match_run.failed", obj=run, data={"error": error[:500]})
    return bool(done)


def match_run_execute(*, run_id: int, worker: str = "in-process") -> str:
    """Claim, solve and write one run. Returns what happened: claimed-by-other, succeeded, failed.

    Transient database errors propagate (the task retries them); engine errors fail the run.
    """
    token = _claim(run_id, worker)
    if token is None:
        run = MatchRun.objects.filter(pk=run_id).first()
        if run is not None and run.status in OPEN_RUN_STATUSES and run.attempts >= max_attempts():
            match_run_fail(
                run_id=run_id, error=f"Gave up after {run.attempts} attempts (workers died or timed out)."
            )
            return "failed"
        return "not-claimed"
    run = MatchRun.objects.select_related("factor_set").get(pk=run_id)
    started = time.perf_counter()
    try:
        snapshot = build_snapshot(
            factor_set=run.factor_set,
            objective=run.objective,
            horizon_start=run.horizon_start,
            horizon_days=run.horizon_days,
            circuity=float(run.parameters.get("circuity", 1.3)),
            time_limit_s=float(run.parameters.get("time_limit_s", 300)),
        )
        _progress(run_id, token, 20, f"Solving {len(snapshot.offers)} offers × {len(snapshot.needs)} needs")
        parts = fanout.should_fan_out(snapshot.problem)
        if parts > 1:
            return "fanned-out" if fanout.fan_out(run, token, snapshot.problem, parts) else "not-claimed"
        slow = float(_setting("MATCHING_TEST_SLOW_SOLVE_S", 0) or 0)
        if slow:  # a test setting: gives the kill-the-worker tests a window mid-solve
            time.sleep(slow)
        solution = engine.solve(snapshot.problem)
        _progress(run_id, token, 85, f"Writing {len(solution.flows)} proposals")
        destinations = {o.id: o.current_destination for o in snapshot.problem.offers}
        written = write_results(
            run, token, solution, destinations=destinations, seconds=time.perf_counter() - started
        )
    except engine.EngineError as exc:
        match_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}", token=token)
        return "failed"
    except (OperationalError, InterfaceError):
        _release(run_id, token)
        raise  # transient: the task retries (bounded); if the release failed too, the lease runs out
    except Exception as exc:  # a bug must fail the run visibly, not leave it running
        log.exception("match run %s failed", run_id)
        match_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}", token=token)
        return "failed"
    return "succeeded" if written else "not-claimed"


@transaction.atomic
def write_results(
    run: MatchRun, token: str, solution: engine.Solution, *, destinations: dict[int, str], seconds: float
) -> bool:
    """All proposals and statistics in one transaction, and only while we hold the claim.

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
    proposals = []
    net_kg = Decimal(0)
    for flow in solution.flows:
        destination = destinations[flow.offer_id]
        quantity, unit, mass_t, distance_km = flow_amounts(flow)
        impact = impact_of(
            mass_t=mass_t,
            distance_km=distance_km,
            current_destination=destination,
            factors=factors[flow.material],
        )
        net_kg += impact.net_kg
        proposals.append(
            Proposal(
                run=run,
                offer_id=flow.offer_id,
                need_id=flow.need_id,
                material=materials[flow.material],
                quantity=quantity,
                unit=unit,
                mass_t=mass_t,
                distance_km=distance_km,
                current_destination=destination,
                factor_set=run.factor_set,
                **impact.as_dict(),
            )
        )
    # A new city-wide answer supersedes every earlier undecided proposal.
    expired = (
        Proposal.objects.filter(status__in=UNDECIDED_PROPOSAL_STATUSES)
        .exclude(run=run)
        .update(status=ProposalStatus.EXPIRED, decided_at=timezone.now())
    )
    Proposal.objects.bulk_create(proposals, batch_size=1000)
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
        # issue 10: all eligible supply, its waste-bound part (landfill, open burning,
        # incineration, unknown), that part moved (diverted) or left in its fate (landfilled),
        # and what moved from offers already in other use
        "supply_t": float(Decimal(solution.supply_kg) / 1000),
        "waste_t": float(Decimal(solution.waste_kg) / 1000),
        "diverted_t": float(Decimal(solution.diverted_kg) / 1000),
        "landfilled_t": float(Decimal(solution.landfilled_kg) / 1000),
        "other_moved_t": float(Decimal(solution.other_moved_kg) / 1000),
        "tkm": round(solution.tkm, 3),
        "net_co2e_t": float((net_kg / 1000).quantize(Decimal("0.001"))),
        "proposals": len(proposals),
        "expired_proposals": expired,
    }
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED,
        is_open=False,
        finished_at=timezone.now(),
        stats=stats,
        progress=100,
        progress_message="Done",
        lease_expires_at=None,
        error="",
    )
    run.refresh_from_db()
    event_record(
        actor=None,
        action="match_run.succeeded",
        obj=run,
        data={"proposals": len(proposals), "proven_optimal": solution.proven_optimal},
    )
    transaction.on_commit(lambda: notifications.new_proposals(run_id=run.pk))
    return True


def match_runs_sweep() -> dict[str, int]:
    """Recover runs whose worker vanished (expired lease) or whose message was lost (stale queue).

    Expired leases below the attempt limit go back to ``queued`` and are sent again; at the
    limit they fail. Queued runs older than the stale threshold are sent again (claiming is
    idempotent, so a duplicate message is harmless).
    """
    from .tasks import run_match

    now = timezone.now()
    requeued = failed = resent = 0
    for run in MatchRun.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now):
        if run.attempts >= max_attempts():
            failed += match_run_fail(run_id=run.pk, error=f"Worker lost {run.attempts} times; giving up.")
            continue
        if MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, lease_expires_at__lt=now).update(
            status=RunStatus.QUEUED,
            claim_token="",
            progress=0,
            progress_message="Re-queued after a lost worker",
        ):
            event_record(actor=None, action="match_run.requeued", obj=run, data={"attempts": run.attempts})
            run_match.delay(run.pk)
            requeued += 1
    stale = now - timedelta(seconds=int(_setting("MATCHING_REQUEUE_QUEUED_AFTER_S", 300)))
    for run_id in MatchRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=stale).values_list(
        "pk", flat=True
    ):
        run_match.delay(run_id)
        resent += 1
    return {"requeued": requeued, "failed": failed, "resent": resent}


def _supply_line(s: dict[str, Any]) -> str:
    if "waste_t" not in s:  # a run from before waste-bound supply: every moved tonne counted
        return (
            f"  supply {s.get('supply_t'):,.3f} t: moved {s.get('diverted_t'):,.3f} t, not moved "
            f"{s.get('landfilled_t'):,.3f} t; {s.get('tkm'):,.1f} t·km"
        )
    return (
        f"  supply {s.get('supply_t'):,.3f} t, waste-bound {s.get('waste_t'):,.3f} t: diverted "
        f"{s.get('diverted_t'):,.3f} t from waste, {s.get('landfilled_t'):,.3f} t left in its fate; "
        f"{s.get('other_moved_t'):,.3f} t moved from other uses; {s.get('tkm'):,.1f} t·km"
    )


def run_summary(run: MatchRun) -> str:
    """A few lines for the command line."""
    s = run.stats or {}
    lines = [f"Match run #{run.pk}: {run.status} ({run.objective}, factor set {run.factor_set.version})"]
    if run.status == RunStatus.SUCCEEDED:
        lines += [
            f"  listings: {s.get('offers')} offers, {s.get('needs')} needs; "
            f"{s.get('arcs')} candidate arcs in {s.get('components')} components",
            f"  solved in {s.get('solve_seconds')} s; proven optimal: {s.get('proven_optimal')}",
            _supply_line(s),
            f"  net avoided {s.get('net_co2e_t'):,.3f} t CO₂e; {s.get('proposals')} proposals",
        ]
    elif run.error:
        lines.append(f"  error: {run.error}")
    return "\n".join(lines)
