"""The municipality's schedule for the city-wide run: one periodic task that beat reads.

Exactly one Celery beat runs, with django-celery-beat's ``DatabaseScheduler``
(``CELERY_BEAT_SCHEDULER``). It reads its entries from the ``PeriodicTask`` table and checks every
few seconds whether that table changed, so an edit made here applies without restarting anything.
The run's entry is the row named :data:`SCHEDULE_NAME`, with a ``CrontabSchedule`` in the chosen
time zone and the run's options as the task's keyword arguments. ``MATCHING_NIGHTLY_CRON`` and
``MATCHING_SCHEDULE_TIMEZONE`` are only its initial values (the data migration and
:func:`schedule_get` create it from them).

A cron expression here has five fields, ``minute hour day-of-month month day-of-week`` (Sunday is
0), evaluated by Celery: when both day fields are restricted, a day must match both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone as dj_timezone

from accounts.access import require_authority
from accounts.cleaning import clean_choice
from accounts.errors import DomainError, invalid
from accounts.services import event_record

from .models import Objective
from .runs.lifecycle import TIME_STEPS

if TYPE_CHECKING:
    from accounts.models import User


SCHEDULE_NAME = "nightly-city-run"
SCHEDULE_TASK = "matching.scheduled_run"
DEFAULT_TIME_STEP = "month"
#: the five cron fields, in cron's order, with their CrontabSchedule column and length limit
CRON_FIELDS = (
    ("minute", "minute", 240),
    ("hour", "hour", 96),
    ("day of month", "day_of_month", 124),
    ("month", "month_of_year", 64),
    ("day of week", "day_of_week", 64),
)
#: how far ahead next_run_at looks (a 29 February falls within four years and a day)
LOOKAHEAD_DAYS = 4 * 366 + 1


@dataclass(frozen=True)
class RunSchedule:
    enabled: bool
    cron: str
    objective: str
    time_step: str
    timezone: str
    next_run_at: datetime | None
    last_run_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- Validation ---------------------------------------------------------------------------


def cron_fields(cron: object) -> dict[str, str]:
    """The five fields of a cron expression as ``CrontabSchedule`` columns; 400 naming the fault."""
    from celery.schedules import crontab
    from django.core.exceptions import ValidationError
    from django_celery_beat.validators import crontab_validator

    if not isinstance(cron, str) or not cron.strip():
        raise invalid(
            "cron", "Give five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * *'."
        )
    parts = cron.split()
    if len(parts) != 5:
        raise invalid(
            "cron",
            f"Expected five fields (minute hour day-of-month month day-of-week), got {len(parts)}: {cron!r}.",
        )
    for (label, _column, limit), value in zip(CRON_FIELDS, parts, strict=True):
        if len(value) > limit:
            raise invalid("cron", f"The {label} field is longer than {limit} characters.")
    columns = {column: value for (_label, column, _limit), value in zip(CRON_FIELDS, parts, strict=True)}
    try:
        crontab_validator(" ".join(parts))
    except ValidationError as exc:
        raise invalid("cron", f"Not a valid cron expression: {'; '.join(exc.messages)}.") from None
    try:  # Celery evaluates it in the end: it must accept it too (e.g. it rejects 7 for Sunday)
        crontab(**columns)
    except Exception as exc:  # noqa: BLE001 - Celery's parser raises ValueError or ParseException
        raise invalid("cron", f"Not a valid cron expression: {exc}") from None
    return columns


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_validate(name: object) -> str:
    if not isinstance(name, str) or name not in _zone_names():
        raise invalid("timezone", f"Not an IANA time zone name: {name!r} (e.g. 'Asia/Almaty').")
    return name


# --- Next run -----------------------------------------------------------------------------


def next_run_at(*, cron: str, zone: str, after: datetime) -> datetime | None:
    """The first minute strictly after ``after`` that the expression selects, in ``zone`` (aware).

    Uses Celery's own parse of the fields, so it agrees with what beat will do; ``None`` when the
    expression selects no date within four years.
    """
    from celery.schedules import crontab

    spec = crontab(**cron_fields(cron))
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    times = sorted(time(h, m) for h in spec.hour for m in spec.minute)
    day: date = local.date()
    for _ in range(LOOKAHEAD_DAYS):
        cron_weekday = (day.weekday() + 1) % 7  # cron: Sunday 0 … Saturday 6
        if (
            day.month in spec.month_of_year
            and day.day in spec.day_of_month
            and cron_weekday in spec.day_of_week
        ):
            for at in times:
                candidate = datetime.combine(day, at, tzinfo=tz)
                # A wall-clock time skipped by a DST change does not exist: it never fires.
                if candidate.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(
                    tzinfo=None
                ) != candidate.replace(tzinfo=None):
                    continue
                if candidate > local:
                    return candidate
        day += timedelta(days=1)
    return None


# --- Reading and writing --------------------------------------------------------------------


def _initial_task():
    """Get or create the periodic task from the settings (the migration normally did this)."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    task = PeriodicTask.objects.select_related("crontab").filter(name=SCHEDULE_NAME).first()
    if task is not None and task.crontab is not None:
        return task
    try:
        columns = cron_fields(settings.MATCHING_NIGHTLY_CRON)
        zone = zone_validate(settings.MATCHING_SCHEDULE_TIMEZONE)
    except DomainError as exc:
        raise ImproperlyConfigured(f"MATCHING_NIGHTLY_CRON / MATCHING_SCHEDULE_TIMEZONE: {exc}") from None
    crontab, _ = CrontabSchedule.objects.get_or_create(**columns, timezone=zone)
    task, _ = PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": SCHEDULE_TASK,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps(
                {"objective": Objective.DIVERT_THEN_DISTANCE, "time_step": DEFAULT_TIME_STEP}
            ),
            "enabled": True,
            "description": "The city-wide match run, scheduled by the municipality (matching.schedule).",
        },
    )
    return task


def _as_schedule(task, *, now: datetime | None = None) -> RunSchedule:
    crontab = task.crontab
    cron = " ".join(getattr(crontab, column) for _label, column, _limit in CRON_FIELDS)
    zone = str(crontab.timezone)
    kwargs = json.loads(task.kwargs or "{}")
    return RunSchedule(
        enabled=task.enabled,
        cron=cron,
        objective=kwargs.get("objective", Objective.DIVERT_THEN_DISTANCE),
        time_step=kwargs.get("time_step", DEFAULT_TIME_STEP),
        timezone=zone,
        next_run_at=next_run_at(cron=cron, zone=zone, after=now or dj_timezone.now())
        if task.enabled
        else None,
        last_run_at=task.last_run_at,
    )


def schedule_get(*, actor: User, now: datetime | None = None) -> RunSchedule:
    """The current schedule (municipality only)."""
    require_authority(actor)
    return _as_schedule(_initial_task(), now=now)


def schedule_update(
    *,
    actor: User,
    enabled: bool | None = None,
    cron: str | None = None,
    objective: str | None = None,
    time_step: str | None = None,
    timezone: str | None = None,
) -> RunSchedule:
    """Change the city-wide run's schedule (municipality only); ``None`` keeps a value.

    Every value is checked before anything is written (400 naming the field). The change is
    one ``PeriodicTask`` save, which bumps django-celery-beat's change marker, so the running beat
    reloads its schedule within seconds. A changed time counts from now (the task's
    ``last_run_at`` is cleared), so moving the run earlier never fires it at once. The change is
    recorded as a ``schedule.updated`` event with the values before and after.
    """
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    require_authority(actor)
    if enabled is not None and not isinstance(enabled, bool):
        raise invalid("enabled", "Must be true or false.")
    columns = cron_fields(cron) if cron is not None else None
    if objective is not None:
        clean_choice("objective", objective, Objective.values)
    if time_step is not None:
        clean_choice("time_step", time_step, TIME_STEPS)
    if timezone is not None:
        zone_validate(timezone)
    with transaction.atomic():
        _initial_task()
        # of=self: the crontab is a nullable join, which PostgreSQL will not lock.
        task = (
            PeriodicTask.objects.select_for_update(of=("self",))
            .select_related("crontab")
            .get(name=SCHEDULE_NAME)
        )
        before = _as_schedule(task)
        kwargs = json.loads(task.kwargs or "{}")
        old_crontab = task.crontab
        old_columns = {column: getattr(old_crontab, column) for _label, column, _limit in CRON_FIELDS}
        new_columns = columns or old_columns
        new_zone = timezone or str(old_crontab.timezone)
        timing_changed = new_columns != old_columns or new_zone != str(old_crontab.timezone)
        if timing_changed:
            task.crontab, _ = CrontabSchedule.objects.get_or_create(**new_columns, timezone=new_zone)
            task.last_run_at = None  # the beat counts from the change, not from the last run
        if objective is not None:
            kwargs["objective"] = objective
        if time_step is not None:
            kwargs["time_step"] = time_step
        task.kwargs = json.dumps(kwargs)
        if enabled is not None:
            task.enabled = enabled
        task.save()
        if timing_changed and not old_crontab.periodictask_set.exists():
            old_crontab.delete()
        after = _as_schedule(task)
        changed = {
            key: {"before": _jsonable(getattr(before, key)), "after": _jsonable(getattr(after, key))}
            for key in ("enabled", "cron", "objective", "time_step", "timezone")
            if getattr(before, key) != getattr(after, key)
        }
        if changed:
            event_record(actor=actor, action="schedule.updated", obj=task, data=changed)
    return after


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
