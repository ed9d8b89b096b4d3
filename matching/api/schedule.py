"""``GET/PUT /api/v1/schedule/``: the municipality's schedule for the city-wide run."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import require_authority
from config.strict import StrictSerializer
from matching import schedule
from matching.models import Objective
from matching.runs.lifecycle import TIME_STEPS

TIME_STEP_HELP = (
    "Time bucket for the run's horizon: `month` (default), `week` or `none` (the whole horizon "
    "at once). Stored with each scheduled run's parameters and used by the run it starts "
    "(issue 13), whose proposals then carry a delivery `schedule`."
)
CRON_HELP = (
    "Five fields: `minute hour day-of-month month day-of-week` (Sunday is 0), e.g. `0 2 * * *` "
    "for 02:00 every night. When both day fields are restricted, a day must match both."
)


class ScheduleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    cron = serializers.CharField(help_text=CRON_HELP)
    objective = serializers.ChoiceField(choices=Objective.choices)
    time_step = serializers.ChoiceField(choices=[(s, s) for s in TIME_STEPS], help_text=TIME_STEP_HELP)
    timezone = serializers.CharField(
        help_text="IANA time zone the cron fields are read in (e.g. `Asia/Almaty`)."
    )
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When beat will next start the run; null while disabled."
    )
    last_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When beat last started it since the time was last changed."
    )


class ScheduleInputSerializer(StrictSerializer):
    """Every field is optional: a field left out keeps its value. Unknown fields are refused."""

    enabled = serializers.BooleanField(required=False)
    cron = serializers.CharField(required=False, max_length=200, help_text=CRON_HELP)
    objective = serializers.ChoiceField(choices=Objective.choices, required=False)
    time_step = serializers.ChoiceField(
        choices=[(s, s) for s in TIME_STEPS], required=False, help_text=TIME_STEP_HELP
    )
    timezone = serializers.CharField(required=False, max_length=64, help_text="IANA time zone name.")


class ScheduleView(APIView):
    """The city-wide run's schedule (municipality only; companies get 403).

    A change applies without a restart: the one Celery beat reads this schedule from the database.
    """

    @extend_schema(
        responses={200: ScheduleSerializer, 403: OpenApiResponse(description="Not the municipality.")},
        summary="The city-wide run's schedule (municipality only)",
    )
    def get(self, request):
        require_authority(request.user)
        return Response(ScheduleSerializer(schedule.schedule_get(actor=request.user).as_dict()).data)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses={
            200: ScheduleSerializer,
            400: OpenApiResponse(description="A value is invalid; the body names the field and why."),
            403: OpenApiResponse(description="Not the municipality."),
        },
        summary="Change the city-wide run's schedule (municipality only)",
        description=(
            "Fields left out keep their values. `cron` has five fields and is validated (400 with "
            "the reason); `timezone` is an IANA name. The change is recorded as an audit event and "
            "the running beat picks it up within seconds. " + TIME_STEP_HELP
        ),
    )
    def put(self, request):
        require_authority(request.user)
        data = ScheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = schedule.schedule_update(actor=request.user, **data.validated_data)
        return Response(ScheduleSerializer(updated.as_dict()).data)
