"""Thin Celery tasks: take ids, call services.

Every import is at the top: the modules that queue these tasks send them by name
(``matching.enqueue``) and never import this module, so there is no cycle to defer around.
``MatchingConfig.ready()`` imports it in every process, which registers the tasks.
"""

from __future__ import annotations

import logging
import socket

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from accounts.errors import DomainError

from . import notifications
from .conversations import message_emails_send
from .runs.execute import match_run_execute, part_execute
from .runs.lifecycle import match_run_fail, match_run_start, match_runs_sweep
from .services import deliveries_remind_overdue, proposals_expire_overdue

log = logging.getLogger(__name__)


class RunMatchTask(Task):
    """Marks the run failed when the task gives up (retries exhausted or an unexpected error)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        run_id = (args or [None])[0] or kwargs.get("run_id")
        if run_id is None:
            return
        try:
            match_run_fail(run_id=int(run_id), error=f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be what failed; the sweeper will settle the run
            log.exception("could not mark run %s failed", run_id)


@shared_task(
    name="matching.run_match",
    base=RunMatchTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    retry_jitter=False,
)
def run_match(self, run_id: int) -> str:
    """Solve one match run. Claiming in the database makes a redelivered message harmless."""
    return match_run_execute(run_id=run_id, worker=f"{self.request.hostname or socket.gethostname()}")


@shared_task(
    name="matching.solve_part",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
)
def solve_part(self, part_id: int) -> str:
    """Solve one part of a fanned-out run (see ``matching.runs.fanout``)."""
    return part_execute(part_id=part_id, worker=f"{self.request.hostname or socket.gethostname()}")


@shared_task(name="matching.sweep_runs")
def sweep_runs() -> dict:
    """Beat task: recover runs whose worker vanished or whose message was lost."""
    return match_runs_sweep()


@shared_task(name="matching.scheduled_run")
def scheduled_run(objective: str = "divert_then_distance", time_step: str | None = None) -> int | None:
    """Beat task: the scheduled city-wide run (see ``matching.schedule``). Skips quietly when one
    is already open."""
    try:
        return match_run_start(actor=None, objective=objective, time_step=time_step).pk
    except DomainError as exc:
        log.info("scheduled run skipped: %s", exc)
        return None


@shared_task(
    name="matching.notify_message",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
)
def notify_message(message_id: int) -> int:
    """E-mail the other side(s) of a new message (at most one per thread per interval each)."""
    return message_emails_send(message_id=message_id)


@shared_task(name="matching.expire_proposals")
def expire_proposals() -> int:
    """Beat task: expire proposals whose response window passed, and tell both sides."""
    return len(proposals_expire_overdue())


@shared_task(name="matching.remind_overdue_deliveries")
def remind_overdue_deliveries() -> int:
    """Beat task (daily): remind both parties of each overdue planned delivery, once."""
    return len(deliveries_remind_overdue())


@shared_task(
    name="matching.notify_deal_agreed",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
)
def notify_deal_agreed(deal_id: int) -> None:
    """E-mail both sides of a deal just agreed (queued on commit by ``notifications``)."""
    notifications.deal_agreed(deal_id=deal_id)


@shared_task(
    name="matching.notify_proposal_requested",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
)
def notify_proposal_requested(proposal_id: int) -> None:
    """E-mail the owner of a listing a company asked for directly."""
    notifications.proposal_requested(proposal_id=proposal_id)
