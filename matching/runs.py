"""The match-run lifecycle: start, claim, solve, write, fail, recover.

The database is the record of which runs are owed. A worker claims a run with a conditional
update that sets a fresh claim token and a short lease (``MATCHING_LEASE_S``), which a
heartbeat thread renews every third of it while the worker works; it solves outside any
transaction; then it writes every proposal and the statistics in one transaction, but only if
it still holds the claim. A worker that dies stops renewing, its lease runs out within a
minute, and the sweeper hands the run to another worker (up to ``MATCHING_MAX_ATTEMPTS``), so a
run never stays ``running`` and never finishes twice. A run whose message never reached a
worker (the broker was down, or lost it) stays ``queued`` and the sweeper sends it again.

Each step logs one line with the run id (``config.logs``): queued, claimed, solved (with the
solve statistics), written, and the end (succeeded or failed).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.access import require_authority
from accounts.errors import conflict, invalid
from accounts.services import event_record
from config.logs import log_context
from marketplace.factor_services import require_active_factor_set
from marketplace.models import Material

from . import (
    compare,
    copy_write,
    diagnostics,
    engine,
    fanout,
    notifications,
    services,
    solver_workers,
    whatif,
)
from .models import (
    OPEN_RUN_STATUSES,
    MatchRun,
    Objective,
    Proposal,
    RunStatus,
)
from .snapshot import build_snapshot, factors_by_material, flow_amounts, impact_of

if TYPE_CHECKING:
    from accounts.models import User


log = logging.getLogger(__name__)

#: time steps a run may be given (stored in its parameters; the bucketed engine is a later issue)
TIME_STEPS = ("month", "week", "none")


def lease_seconds() -> int:
    return int(settings.MATCHING_LEASE_S)


def queued_bound_seconds() -> int:
    """How long a run may wait in the queue before the invariants call it stuck: three resend
    periods (``MATCHING_REQUEUE_QUEUED_AFTER_S``) plus one sweep (``MATCHING_SWEEP_EVERY_S``), so
    a run is flagged only after the sweeper has sent it again several times without a claim."""
    return 3 * int(settings.MATCHING_REQUEUE_QUEUED_AFTER_S) + int(settings.MATCHING_SWEEP_EVERY_S)


def max_attempts() -> int:
    return int(settings.MATCHING_MAX_ATTEMPTS)


def active_run(*, dry_run: bool = False) -> MatchRun | None:
    """The open real run (or, with ``dry_run=True``, the open what-if run), if any."""
    return MatchRun.objects.filter(is_open=True, dry_run=dry_run).first()


def match_run_start(
    *,
    actor: User | None,
    objective: str = Objective.DIVERT_THEN_DISTANCE,
    horizon_days: int = 365,
    circuity: float | None = None,
    time_step: str | None = None,
    enqueue: bool = True,
    dry_run: bool = False,
    parameters: dict[str, Any] | None = None,
) -> MatchRun:
    """Queue a city-wide run (municipality only; ``actor=None`` for the scheduler).

    At most one run is queued or running: a partial unique index decides between two
    concurrent starts, and the loser gets a 409 naming the open run. The task is sent only
    after the run row is committed; if the broker is down then, the run stays queued (it is
    recorded, which is what the caller is told) and the sweeper sends it later.

    ``time_step`` (``month``, ``week`` or ``none``) is stored in the run's parameters for the
    time-bucketed engine of a later issue; today's engine solves the whole horizon at once.

    ``dry_run=True`` starts a what-if run (issue 14): ``parameters`` (``radius_factor``,
    ``circuity``, ``objective``, ``extra_listings``; ``matching.whatif``) shape its snapshot, and
    it publishes nothing. One real and one what-if run may be open at once: a what-if never
    blocks the city's run.
    """
    if actor is not None:
        require_authority(actor)
    whatif_parameters: dict[str, Any] = {}
    if parameters is not None and not dry_run:
        raise invalid("parameters", _("Parameters are for what-if runs (dry_run: true)."))
    if dry_run:
        if actor is None:
            raise invalid("dry_run", _("What-if runs are started by the municipality."))
        whatif_parameters = whatif.clean_parameters(parameters)
        objective = whatif_parameters.pop("objective", objective)
        if "circuity" in whatif_parameters:
            circuity = whatif_parameters.pop("circuity")
    if objective not in Objective.values:
        raise invalid(
            "objective",
            _("Unknown objective %(value)s; expected one of: %(choices)s.")
            % {"value": repr(objective), "choices": ", ".join(Objective.values)},
        )
    if not isinstance(horizon_days, int) or not 1 <= horizon_days <= 3650:
        raise invalid("horizon_days", _("Between 1 and 3650 days."))
    circuity = float(circuity if circuity is not None else settings.MATCHING_CIRCUITY)
    if not 1.0 <= circuity <= 3.0:
        raise invalid("circuity", _("Between 1.0 and 3.0."))
    if time_step is not None and time_step not in TIME_STEPS:
        raise invalid(
            "time_step",
            _("Unknown time step %(value)s; expected one of: %(choices)s.")
            % {"value": repr(time_step), "choices": ", ".join(TIME_STEPS)},
        )
    run_parameters: dict[str, Any] = {
        "circuity": circuity,
        "time_limit_s": settings.MATCHING_SOLVER_TIME_LIMIT_S,
    }
    if time_step is not None:
        run_parameters["time_step"] = time_step
    run_parameters.update(whatif_parameters)
    factor_set = require_active_factor_set()
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(
                dry_run=dry_run,
                objective=objective,
                horizon_days=horizon_days,
                horizon_start=timezone.localdate(),
                factor_set=factor_set,
                created_by=actor,
                parameters=run_parameters,
            )
            event_record(
                actor=actor,
                action="match_run.started",
                obj=run,
                data={"objective": objective, "factor_set": factor_set.version, "dry_run": dry_run},
            )
            log.info(
                "match run %s queued (%s, factor set %s, by %s)",
                run.pk,
                objective,
                factor_set.version,
                "the schedule" if actor is None else f"user {actor.pk}",
                extra={"run_id": run.pk},
            )
            if enqueue:
                transaction.on_commit(lambda: match_run_send(run_id=run.pk))
    except IntegrityError:
        open_run = active_run(dry_run=dry_run)
        message = (
            _("A what-if run is already queued or running.")
            if dry_run
            else _("A match run is already queued or running.")
        )
        raise conflict(message, active_run=open_run.pk if open_run else None) from None
    return run


def match_run_send(*, run_id: int) -> bool:
    """Send a queued run's task to the broker. A broker outage is logged, not raised.

    The run is already committed as ``queued``: the database is the record of what is owed, so
    a failed send only delays it until the sweeper sends it again (``enqueued_at`` stays as it
    was, which is what the sweeper looks at).
    """
    from .tasks import run_match

    try:
        run_match.delay(run_id)
    except (KombuOperationalError, OSError) as exc:
        log.warning(
            "match run %s stays queued: the broker is unreachable (%s); the sweeper will send it again",
            run_id,
            exc,
            extra={"run_id": run_id},
        )
        return False
    MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(enqueued_at=timezone.now())
    return True


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


def lease_renew(*, run_id: int, token: str) -> bool:
    """Push the lease of a run we hold one lease further; False once the claim is no longer ours."""
    return bool(
        MatchRun.objects.filter(pk=run_id, claim_token=token, status=RunStatus.RUNNING).update(
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds())
        )
    )


class LeaseHeartbeat:
    """Renews a claimed run's lease every third of ``MATCHING_LEASE_S`` while the block runs.

    A daemon thread with its own database connection does the renewing, so the lease stays
    alive through the long solve. OR-Tools' min-cost-flow solve holds the GIL for the length of
    one component's solve (measured: at most 5.4 s on a 20,000 × 20,000 instance), which only
    delays a renewal; the lease tolerates two thirds of itself (40 s by default). A worker that
    dies takes the thread with it, and its lease runs out.
    """

    def __init__(self, *, run_id: int, token: str) -> None:
        self.run_id = run_id
        self.token = token
        self.interval = lease_seconds() / 3
        self.renewals = 0
        self.lost = False
        self._stop = threading.Event()
        # The thread logs with the ids of the task that started it (request, task and run id).
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._beat,), name=f"lease-run-{run_id}", daemon=True
        )

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=max(self.interval, 5))

    def _beat(self) -> None:
        try:
            with log_context(run_id=self.run_id):
                while not self._stop.wait(self.interval):
                    try:
                        renewed = lease_renew(run_id=self.run_id, token=self.token)
                    except DatabaseError as exc:  # transient: the next beat tries again
                        log.warning("match run %s: could not renew the lease (%s)", self.run_id, exc)
                        continue
                    if not renewed:
                        # Either the run has just been written (the worker is finishing) or the
                        # sweeper handed it to another worker: only the second is news.
                        self.lost = MatchRun.objects.filter(pk=self.run_id, is_open=True).exists()
                        if self.lost and not self._stop.is_set():
                            log.warning("match run %s: the claim was lost; heartbeat stops", self.run_id)
                        return
                    self.renewals += 1
        finally:
            connection.close()  # this thread's own connection


def _release(run_id: int, token: str) -> None:
    """Hand a claimed run back to the queue after a transient error (best effort)."""
    try:
        MatchRun.objects.filter(pk=run_id, claim_token=token, status=RunStatus.RUNNING).update(
            status=RunStatus.QUEUED,
            claim_token="",
            progress=0,
            progress_message="Waiting to retry",
            lease_expires_at=None,
            queued_at=timezone.now(),
            # the task's own retry is the pending message; the sweeper re-sends if it is lost
            enqueued_at=timezone.now(),
        )
        log.warning("match run %s handed back to the queue after a transient database error", run_id)
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
        log.error("match run %s failed: %s", run_id, error[:500], extra={"run_id": run_id})
    return bool(done)


def match_run_execute(*, run_id: int, worker: str = "in-process") -> str:
    """Claim, solve and write one run. Returns what happened: claimed-by-other, succeeded, failed.

    Transient database errors propagate (the task retries them); engine errors fail the run.
    While the run is held, a :class:`LeaseHeartbeat` keeps its lease alive.
    """
    with log_context(run_id=run_id):
        token = _claim(run_id, worker)
        if token is None:
            run = MatchRun.objects.filter(pk=run_id).first()
            if run is not None and run.status in OPEN_RUN_STATUSES and run.attempts >= max_attempts():
                match_run_fail(
                    run_id=run_id, error=f"Gave up after {run.attempts} attempts (workers died or timed out)."
                )
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
            outcome = _solve_and_write(run, token)
        log.info("match run %s ended: %s", run_id, outcome)
        return outcome


def _solve_and_write(run: MatchRun, token: str) -> str:
    run_id = run.pk
    started = time.perf_counter()
    try:
        snapshot = build_snapshot(
            factor_set=run.factor_set,
            objective=run.objective,
            horizon_start=run.horizon_start,
            horizon_days=run.horizon_days,
            circuity=float(run.parameters.get("circuity", 1.3)),
            time_limit_s=float(run.parameters.get("time_limit_s", 300)),
            radius_factor=float(run.parameters.get("radius_factor", 1.0)),
            extra_listings=run.parameters.get("extra_listings"),
        )
        _progress(run_id, token, 20, f"Solving {len(snapshot.offers)} offers × {len(snapshot.needs)} needs")
        parts = fanout.should_fan_out(snapshot.problem)
        if parts > 1:
            return "fanned-out" if fanout.fan_out(run, token, snapshot.problem, parts) else "not-claimed"
        slow = float(settings.MATCHING_TEST_SLOW_SOLVE_S)
        if slow:  # a test setting: gives the kill-the-worker tests a window mid-solve
            time.sleep(slow)
        workers = solver_workers.workers_for(snapshot.problem)
        # workers only when there is more than one, so solve() is called as before for small runs
        solution = (
            engine.solve(snapshot.problem, workers=workers) if workers > 1 else engine.solve(snapshot.problem)
        )
        log_solved(run_id, solution)
        _progress(run_id, token, 85, f"Writing {len(solution.flows)} proposals")
        destinations = {o.id: o.current_destination for o in snapshot.problem.offers}
        written = write_results(
            run,
            token,
            solution,
            destinations=destinations,
            seconds=time.perf_counter() - started,
            problem=snapshot.problem,
        )
        log_written(run, written)
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
    run: MatchRun,
    token: str,
    solution: engine.Solution,
    *,
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
    proposals = []
    records: list[compare.FlowRecord] = []
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
            )
        )
        if run.dry_run:
            continue  # a what-if run publishes nothing: its flows are stored on the run
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
    if run.dry_run:
        # Nothing is superseded, nothing expires, nobody is told: the flows stay on the run.
        keeping = {"proposals": len(records)}
    else:
        # The new answer supersedes earlier undecided proposals, except those it makes again
        # unchanged (kept, with their ids) and those a side accepted (kept until their window passes).
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
        **keeping,
    }
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED,
        is_open=False,
        finished_at=timezone.now(),
        stats=stats,
        breakdown=breakdown,
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


def log_solved(run_id: int, solution: engine.Solution) -> None:
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


def log_written(run: MatchRun, written: bool) -> None:
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


def match_runs_sweep() -> dict[str, int]:
    """Recover runs whose worker vanished (expired lease) or whose message was lost or never sent.

    Expired leases below the attempt limit go back to ``queued`` and are sent again; at the
    limit they fail. Queued runs that no worker claimed within
    ``MATCHING_REQUEUE_QUEUED_AFTER_S`` of their last send (or of their creation, when the send
    failed) are sent again; claiming is idempotent, so a duplicate message is harmless.
    """
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
            lease_expires_at=None,
            queued_at=now,
            enqueued_at=None,
        ):
            event_record(actor=None, action="match_run.requeued", obj=run, data={"attempts": run.attempts})
            log.warning(
                "match run %s re-queued: the lease of %s ran out at %s (attempt %s of %s)",
                run.pk,
                run.worker or "its worker",
                run.lease_expires_at.isoformat() if run.lease_expires_at else "?",
                run.attempts,
                max_attempts(),
                extra={"run_id": run.pk},
            )
            match_run_send(run_id=run.pk)
            requeued += 1
    stale = now - timedelta(seconds=settings.MATCHING_REQUEUE_QUEUED_AFTER_S)
    unclaimed = MatchRun.objects.filter(status=RunStatus.QUEUED).filter(
        Q(enqueued_at__lt=stale) | Q(enqueued_at__isnull=True, created_at__lt=stale)
    )
    for run_id in unclaimed.values_list("pk", flat=True):
        log.warning(
            "match run %s not claimed by any worker yet; sending it again", run_id, extra={"run_id": run_id}
        )
        resent += match_run_send(run_id=run_id)
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
