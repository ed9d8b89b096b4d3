"""The run's last send to the broker, and the municipality's schedule for the city-wide run.

The schedule is a django-celery-beat periodic task created here from ``MATCHING_NIGHTLY_CRON``
and ``MATCHING_SCHEDULE_TIMEZONE`` (their only use: afterwards the municipality edits it).
"""

import json

from django.conf import settings
from django.db import migrations, models

NAME = "nightly-city-run"
COLUMNS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def create_schedule(apps, schema_editor):
    from django.utils import timezone

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    # Historical models skip django-celery-beat's change signal: set its marker, so that a beat
    # already running compares later edits against a real timestamp and notices the first one.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    from matching.schedule import cron_fields, zone_validate  # pure validation, no models

    columns = cron_fields(settings.MATCHING_NIGHTLY_CRON)
    zone = zone_validate(settings.MATCHING_SCHEDULE_TIMEZONE)
    crontab, _ = CrontabSchedule.objects.get_or_create(**columns, timezone=zone)
    PeriodicTask.objects.create(
        name=NAME,
        task="matching.scheduled_run",
        crontab=crontab,
        kwargs=json.dumps({"objective": "divert_then_distance", "time_step": "month"}),
        enabled=True,
        description="The city-wide match run, scheduled by the municipality (matching.schedule).",
    )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0006_proposals_survive"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchrun",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(create_schedule, drop_schedule),
    ]
