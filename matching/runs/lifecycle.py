"""The match-run lifecycle: start, send, claim, progress, lease, release, fail, sweep.

The database is the record of which runs are owed. A worker claims a run with a conditional
update that sets a fresh claim token and a short lease (``MATCHING_LEASE_S``), which a
heartbeat thread renews every third of it while the worker works (:class:`LeaseHeartbeat`). A
worker that dies stops renewing, its lease runs out within a minute, and the sweeper hands the
run to another worker (up to ``MATCHING_MAX_ATTEMPTS``), so a run never stays ``running`` and
never finishes twice. A run whose message never reached a worker (the broker was down, or lost
it) stays ``queued`` and the sweeper sends it again.

Solving and writing a claimed run is :mod:`matching.runs.execute`; splitting a large one over
several workers is :mod:`matching.runs.fanout`. This module imports neither: it sends the run
task by its name (``matching.enqueue``), so nothing here depends on ``matching.tasks``.

Each step logs one line with the run id (``config.logs``) on the ``matching.runs`` logger.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from datetime import timedelta
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

from .. import whatif
from ..enqueue import enqueue as task_send  # the parameter `enqueue` of match_run_start is a flag
from ..models import (
    OPEN_RUN_STATUSES,
    MatchRun,
    Objective,
    RunStatus,
)
from ..progress_labels import progress_message

if TYPE_CHECKING:
    from accounts.models import User


log = logging.getLogger("matching.runs")

#: the Celery task that executes a run (``matching.tasks.run_match``), sent by name
RUN_TASK = "matching.run_match"

#: time steps a run may be given (stored in its parameters; the bucketed engine is a later issue)
TIME_STEPS = ("month", "week", "none")
DEFAULT_TIME_STEP = "month"


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

    ``time_step`` (``month`` by default, ``week`` or ``none``) is stored in the run's parameters
    and handed to the engine (``Problem.time_step``): the horizon is split into periods and the
    proposals carry a delivery schedule; ``none`` is the aggregate model (issue 13).

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
    run_parameters["time_step"] = time_step if time_step is not None else DEFAULT_TIME_STEP
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
    try:
        task_send(RUN_TASK, run_id)
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


def claim(*, run_id: int, worker: str) -> str | None:
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
        progress_message=progress_message("claimed"),
        attempts=F("attempts") + 1,
    )
    return token if claimed else None


def progress(*, run_id: int, token: str, percent: int, message: str) -> None:
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


def release(*, run_id: int, token: str) -> None:
    """Hand a claimed run back to the queue after a transient error (best effort)."""
    try:
        MatchRun.objects.filter(pk=run_id, claim_token=token, status=RunStatus.RUNNING).update(
            status=RunStatus.QUEUED,
            claim_token="",
            progress=0,
            progress_message=progress_message("retry_wait"),
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
        progress_message=progress_message("failed"),
        lease_expires_at=None,
    )
    if done:
        run = MatchRun.objects.get(pk=run_id)
        event_record(actor=None, action="match_run.failed", obj=run, data={"error": error[:500]})
        log.error("match run %s failed: %s", run_id, error[:500], extra={"run_id": run_id})
    return bool(done)


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
            failed += match_run_fail(
                run_id=run.pk, error=progress_message("worker_lost", attempts=run.attempts)
            )
            continue
        if MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, lease_expires_at__lt=now).update(
            status=RunStatus.QUEUED,
            claim_token="",
            progress=0,
            progress_message=progress_message("requeued"),
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
