"""Monitor API: public statistics (no login) and the municipality's targets. Thin views."""

from __future__ import annotations

import csv
import io
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from monitor import public, targets
from monitor.flows import BASES
from monitor.models import Target

from .serializers import (
    PUBLIC_EXAMPLE,
    PublicImpactSerializer,
    TargetInputSerializer,
    TargetProgressSerializer,
    TargetSerializer,
)


class PublicThrottle(ScopedRateThrottle):
    """Scope ``public``, per client address: the rate is ``PUBLIC_THROTTLE_RATE``."""

    def get_rate(self) -> str:
        return settings.PUBLIC_THROTTLE_RATE


class PublicCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


CSV_COLUMNS = ("key", "label", "waste_diverted_t", "net_co2e_t", "organisations", "deals")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_text(payload: dict[str, Any]) -> str:
    """The table: header, rows (``other`` last), a ``total`` line, then the licence line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in payload["rows"]:
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    totals = {"key": "total", "label": "total", **payload["totals"]}
    writer.writerow([_cell(totals[column]) for column in CSV_COLUMNS])
    writer.writerow(["licence", _cell(payload["licence"]["text"])])
    return buffer.getvalue()


def _language(request: Request) -> AbstractContextManager:
    lang = (request.query_params.get("lang") or "").strip()
    return translation.override(lang) if lang in dict(settings.LANGUAGES) else nullcontext()


class PublicImpactView(APIView):
    """Public statistics: no login, cached, throttled (scope ``public``), k-anonymous."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [PublicThrottle]
    throttle_scope = "public"
    renderer_classes = [JSONRenderer, PublicCSVRenderer]

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
        operation_id="public_impact",
        auth=[],
        parameters=[
            OpenApiParameter("group_by", str, enum=list(public.GROUP_BYS), description="Default `category`."),
            OpenApiParameter(
                "basis", str, enum=list(BASES), description="`agreed` deals (default) or `delivered` tonnes."
            ),
            OpenApiParameter("lang", str, enum=["en", "ru", "kk"], description="Language of the labels."),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): PublicImpactSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="Header, rows, a `total` line and a `licence` line."
            ),
            400: OpenApiResponse(description="`{field: [reason]}` for a bad parameter."),
            429: OpenApiResponse(description="Too many requests (PUBLIC_THROTTLE_RATE)."),
        },
        examples=[OpenApiExample("Almaty", value=PUBLIC_EXAMPLE, response_only=True, status_codes=["200"])],
        summary="Public statistics of the exchange (no login; k-anonymous; open data)",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        basis, group_by = public.public_params(request.query_params)
        with _language(request):
            payload = public.public_impact(basis=basis, group_by=group_by)
            if request.accepted_renderer.format == "csv":
                response = HttpResponse(csv_text(payload), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = (
                    f'attachment; filename="qaita-public-{basis}-{group_by}.csv"'
                )
            else:
                response = Response(PublicImpactSerializer(payload).data)
        response["Link"] = f'<{settings.PUBLIC_DATA_LICENCE_URL}>; rel="license"'
        return response


_TARGET_EXAMPLE = {
    "indicator": "organic_waste_diverted_t",
    "year": 2026,
    "value": "60000",
    "basis": "delivered",
}


class TargetViewSet(viewsets.GenericViewSet):
    """Circularity targets: the municipality creates, changes and deletes them; companies 403.

    Every read and write goes through ``monitor.targets`` (the access rule and the audit);
    ``queryset`` only tells the schema what the ids are.
    """

    serializer_class = TargetSerializer
    queryset = Target.objects.none()
    filter_backends: list = []

    @extend_schema(responses={200: TargetSerializer(many=True)}, summary="Targets (municipality only)")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(targets.target_list_for(user=request.user))
        return self.get_paginated_response(TargetSerializer(page, many=True).data)

    @extend_schema(
        request=TargetInputSerializer,
        responses={201: TargetSerializer},
        examples=[OpenApiExample("Organic waste", value=_TARGET_EXAMPLE, request_only=True)],
        summary="Set a target (municipality only)",
    )
    def create(self, request: Request) -> Response:
        targets.target_list_for(user=request.user)  # 403 before any parsing for companies
        data = TargetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = targets.target_create(actor=request.user, **data.validated_data)
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TargetSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(TargetSerializer(targets.access_target(request.user, pk)).data)

    @extend_schema(request=TargetInputSerializer, responses={200: TargetSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, partial=False)

    @extend_schema(request=TargetInputSerializer, responses={200: TargetSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, partial=True)

    def _change(self, request: Request, pk: str | None, *, partial: bool) -> Response:
        target = targets.access_target(request.user, pk)
        data = TargetInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if partial:
            fields = {name: value for name, value in fields.items() if name in request.data}
        target = targets.target_update(target=target, actor=request.user, **fields)
        return Response(TargetSerializer(target).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        targets.target_delete(target=targets.access_target(request.user, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: TargetProgressSerializer},
        summary="Progress: cumulative against the straight line from 1 January to the target",
    )
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        target = targets.access_target(request.user, pk)
        entry = public.target_entries(
            targets=[target],
            records={target.basis: targets.year_records(target)},
            today=timezone.localdate(),
            k=settings.PUBLIC_K_ANONYMITY,
            public=False,
        )[0]
        return Response(TargetProgressSerializer(entry).data)
