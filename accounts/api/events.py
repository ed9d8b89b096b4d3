"""``GET /api/v1/events/``: the city's audit log (the municipality only; companies 403).

JSON is paginated like every list; ``?format=csv`` (or ``Accept: text/csv``) streams every
event that matches the filters as an attachment. Errors are JSON whatever format was asked for.
"""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer

from accounts import audit
from accounts.event_labels import ACTION_LABELS


class EventCSVRenderer(BaseRenderer):
    """``text/csv``; the view streams the body itself, so this only renders errors."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.CharField(help_text="The action code, e.g. deal.agreed.")
    action_label = serializers.CharField(help_text="The action in words, in the request's language.")
    actor = serializers.CharField(allow_null=True, help_text="Username; null for the system.")
    organisation = serializers.IntegerField(allow_null=True)
    organisation_name = serializers.CharField(allow_null=True)
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    data = serializers.JSONField()  # type: ignore[assignment]  # the event's own field "data"


_EXAMPLE = {
    "id": 412,
    "created_at": "2026-03-02T10:15:04+05:00",
    "action": "deal.agreed",
    "action_label": "Deal agreed",
    "actor": "farmer",
    "organisation": 7,
    "organisation_name": "Talgar Dairy Farm",
    "object_type": "matching.deal",
    "object_id": "31",
    "data": {"proposal": 88, "mass_t": "1500.000"},
}


class EventListView(GenericAPIView):
    """The audit log, newest first; filters ``organisation``, ``action``, ``from``, ``to``."""

    renderer_classes = [JSONRenderer, EventCSVRenderer]
    serializer_class = EventSerializer
    filter_backends: list = []

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            raise ValidationError(
                {"format": [_("Unknown format; expected one of: %(formats)s.") % {"formats": "json, csv"}]}
            ) from None

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter("organisation", int, description="Events about this organisation (id)."),
            OpenApiParameter("action", str, enum=sorted(ACTION_LABELS), description="One action code."),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day included (YYYY-MM-DD, local)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day included (YYYY-MM-DD, local)."),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every match, streamed."
            ),
        ],
        responses={
            (200, "application/json"): EventSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="Header, then one event a line."
            ),
            400: OpenApiResponse(description="`{field: [reason]}` for a bad filter."),
            403: OpenApiResponse(description="Not the municipality."),
        },
        examples=[OpenApiExample("A deal", value=_EXAMPLE, response_only=True, status_codes=["200"])],
        summary="The city's audit log (municipality only)",
    )
    def get(self, request):
        filters = audit.event_filters(request.query_params)
        events = audit.event_log_for(user=request.user, filters=filters)
        if request.accepted_renderer.format == "csv":
            response = StreamingHttpResponse(audit.csv_lines(events), content_type=audit.CSV_CONTENT_TYPE)
            stamp = timezone.localdate().isoformat()
            response["Content-Disposition"] = f'attachment; filename="qaita-events-{stamp}.csv"'
            return response
        page = self.paginate_queryset(events)
        return self.get_paginated_response(
            EventSerializer([audit.event_row(e) for e in page], many=True).data
        )
