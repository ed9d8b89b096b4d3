"""The municipality's run schedule: validation, next run, audit event, and what beat reads."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from matching import schedule

pytestmark = pytest.mark.django_db


def _task():
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.select_related("crontab").get(name=schedule.SCHEDULE_NAME)


def test_the_initial_schedule_comes_from_the_environment_default(municipality):
    current = schedule.schedule_get(actor=municipality.user)
    assert (current.enabled, current.cron, current.timezone) == (True, "0 2 * * *", "Asia/Almaty")
    assert (current.objective, current.time_step) == ("divert_then_distance", "month")
    assert current.next_run_at is not None and current.next_run_at.hour == 2
    assert current.next_run_at.tzinfo == ZoneInfo("Asia/Almaty")


def test_only_the_municipality_reads_or_changes_the_schedule(brewery):
    for call in (
        lambda: schedule.schedule_get(actor=brewery.user),
        lambda: schedule.schedule_update(actor=brewery.user, cron="0 3 * * *"),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code is ErrorCode.FORBIDDEN
    assert _task().crontab.hour == "2"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cron", "0 2 * *", "five fields"),
        ("cron", "0 2 * * * *", "five fields"),
        ("cron", "", "five fields"),
        ("cron", "@daily", "five fields"),
        ("cron", "61 2 * * *", "not in 0-59"),
        ("cron", "0 24 * * *", "not in 0-23"),
        ("cron", "0 2 0 * *", "not in 1-31"),
        ("cron", "0 2 * 13 *", "not in 1-12"),
        ("cron", "0 2 * * 8", "not in 0-6"),
        ("cron", "0 2 * * 7", "7 > 6"),
        ("cron", "*/0 * * * *", "divided by zero"),
        ("cron", "0 2 31 2 *", "never occurs"),
        ("cron", "a b c d e", "No enumeration"),
        ("cron", "0 2 * * 1" + ",1" * 40, "longer than 64"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("timezone", "asia/almaty", "IANA"),
        ("timezone", "../../etc/passwd", "IANA"),
        ("timezone", "", "IANA"),
        ("objective", "fastest", "expected one of"),
        ("time_step", "day", "expected one of: month, week, none"),
        ("enabled", "yes", "true or false"),
    ],
)
def test_an_invalid_value_is_refused_with_the_reason_and_nothing_changes(municipality, field, value, reason):
    schedule.schedule_get(actor=municipality.user)
    before = _task()
    with pytest.raises(DomainError) as exc:
        schedule.schedule_update(actor=municipality.user, **{field: value})
    assert exc.value.code is ErrorCode.INVALID and exc.value.field == field
    assert reason in exc.value.message, exc.value.message
    after = _task()
    assert (after.crontab_id, after.kwargs, after.enabled) == (
        before.crontab_id,
        before.kwargs,
        before.enabled,
    )
    assert not Event.objects.filter(action="schedule.updated").exists()


def test_a_change_is_stored_where_beat_reads_it_and_recorded_as_an_event(municipality):
    updated = schedule.schedule_update(
        actor=municipality.user,
        cron="30 1 * * 1-5",
        timezone="Europe/Berlin",
        objective="net_climate",
        time_step="week",
    )
    assert (updated.cron, updated.timezone, updated.objective, updated.time_step) == (
        "30 1 * * 1-5",
        "Europe/Berlin",
        "net_climate",
        "week",
    )
    task = _task()
    assert task.task == "matching.scheduled_run" and task.enabled and task.last_run_at is None
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
    ) == (
        "30",
        "1",
        "*",
        "*",
        "1-5",
    )
    assert str(crontab.timezone) == "Europe/Berlin"
    assert json.loads(task.kwargs) == {"objective": "net_climate", "time_step": "week"}
    event = Event.objects.get(action="schedule.updated")
    assert event.actor == municipality.user and event.object_id == str(task.pk)
    assert event.data["cron"] == {"before": "0 2 * * *", "after": "30 1 * * 1-5"}
    assert event.data["timezone"] == {"before": "Asia/Almaty", "after": "Europe/Berlin"}
    assert set(event.data) == {"cron", "timezone", "objective", "time_step"}


def test_disabling_clears_the_next_run_and_an_unchanged_save_records_nothing(municipality):
    off = schedule.schedule_update(actor=municipality.user, enabled=False)
    assert off.enabled is False and off.next_run_at is None and not _task().enabled
    schedule.schedule_update(actor=municipality.user, enabled=False)
    assert Event.objects.filter(action="schedule.updated").count() == 1


def test_the_old_crontab_row_is_removed_when_nothing_uses_it(municipality):
    from django_celery_beat.models import CrontabSchedule

    schedule.schedule_get(actor=municipality.user)
    old = _task().crontab_id
    schedule.schedule_update(actor=municipality.user, cron="15 3 * * *")
    assert not CrontabSchedule.objects.filter(pk=old).exists()


@pytest.mark.parametrize(
    ("cron", "zone", "after", "expected"),
    [
        # 10:00 UTC is 15:00 in Almaty (UTC+5): the next 02:30 there is the next morning.
        (
            "30 2 * * *",
            "Asia/Almaty",
            datetime(2026, 1, 15, 10, 0, tzinfo=UTC),
            datetime(2026, 1, 15, 21, 30, tzinfo=UTC),
        ),
        # 20:00 UTC is already 01:00 on the 16th in Almaty: 02:30 is 90 minutes away.
        (
            "30 2 * * *",
            "Asia/Almaty",
            datetime(2026, 1, 15, 20, 0, tzinfo=UTC),
            datetime(2026, 1, 15, 21, 30, tzinfo=UTC),
        ),
        # Thursday 15 January → Monday 19 January, 02:00 UTC.
        (
            "0 2 * * 1",
            "UTC",
            datetime(2026, 1, 15, 10, 0, tzinfo=UTC),
            datetime(2026, 1, 19, 2, 0, tzinfo=UTC),
        ),
        # Celery's rule: day-of-month and day-of-week must both match (Friday the 13th).
        ("0 0 13 * 5", "UTC", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 13, 0, 0, tzinfo=UTC)),
        # Strictly after: a run due at this very minute is the one after it.
        (
            "0 2 * * *",
            "UTC",
            datetime(2026, 1, 15, 2, 0, tzinfo=UTC),
            datetime(2026, 1, 16, 2, 0, tzinfo=UTC),
        ),
        # Leap day, three years ahead.
        ("0 0 29 2 *", "UTC", datetime(2025, 3, 1, tzinfo=UTC), datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_run_at_for_known_expressions_and_zones(cron, zone, after, expected):
    got = schedule.next_run_at(cron=cron, zone=zone, after=after)
    assert got == expected and got.tzinfo == ZoneInfo(zone)


@pytest.mark.parametrize("cron", ["30 2 * * *", "*/20 9-17 * * 1-5", "0 0 1 */3 *", "5 4 * * sun"])
def test_next_run_at_agrees_with_celerys_crontab(cron):
    from django_celery_beat.tzcrontab import TzAwareCrontab

    zone = ZoneInfo("Asia/Almaty")
    after = datetime(2026, 5, 20, 13, 7, tzinfo=UTC).astimezone(zone)
    spec = TzAwareCrontab(**schedule.cron_fields(cron), tz=zone)
    start, delta, _now = spec.remaining_delta(after)
    assert schedule.next_run_at(cron=cron, zone="Asia/Almaty", after=after) == start + delta


@pytest.mark.django_db(transaction=True)
def test_the_running_beat_picks_up_a_change_without_a_restart(municipality):
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery_app import app

    schedule.schedule_get(actor=municipality.user)
    beat = DatabaseScheduler(app=app, lazy=True)  # what the one running beat holds in memory
    beat.schedule  # noqa: B018 - its first read of the table
    beat.schedule_changed()  # a tick: nothing changed since
    assert beat.schedule_changed() is False

    schedule.schedule_update(
        actor=municipality.user,
        cron="*/20 * * * *",
        timezone="UTC",
        objective="net_climate",
        time_step="none",
    )
    # Its next tick (every 5 s) notices the change and reloads the table.
    entry = beat.schedule[schedule.SCHEDULE_NAME]
    assert entry.task == "matching.scheduled_run"
    assert entry.kwargs == {"objective": "net_climate", "time_step": "none"}
    assert entry.schedule.minute == {0, 20, 40} and str(entry.schedule.tz) == "UTC"

    schedule.schedule_update(actor=municipality.user, enabled=False)
    assert schedule.SCHEDULE_NAME not in beat.schedule
