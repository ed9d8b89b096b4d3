"""Report endpoints: ``GET /api/v1/reports/impact/`` (JSON, CSV, XLSX) and transfer acts (PDF).

DRF reads ``?format=`` itself (``URL_FORMAT_OVERRIDE``) to choose a renderer, so CSV and XLSX
are registered as renderers: content negotiation picks them for ``?format=csv`` or
``Accept: text/csv``, token and session authentication run as for any endpoint, and the view
then answers with a streamed CSV or an XLSX attachment. Errors are always JSON, whatever
format was asked for.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from matching import report_cache

from . import acts, exports, impact_report, pdf


class CSVRenderer(BaseRenderer):
    """``text/csv``: the report table (used directly only outside the streaming view path)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "rows" in data and "totals" in data:
            return "".join(exports.csv_lines(data)).encode("utf-8")
        return JSONRenderer().render(data)


class XLSXRenderer(BaseRenderer):
    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "rows" in data and "totals" in data:
            return exports.xlsx_bytes(data)
        return JSONRenderer().render(data)


class PDFRenderer(BaseRenderer):
    media_type = pdf.PDF_CONTENT_TYPE
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class JSONErrorsMixin:
    """Errors answer in JSON even when a CSV, XLSX or PDF was asked for, and an unknown
    ``format`` is a 400 naming the parameter rather than DRF's bare 404."""

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            formats = ", ".join(r.format for r in self.get_renderers())
            raise ValidationError({"format": [f"Unknown format; expected one of: {formats}."]}) from None

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


# --- Output serializers (schema and exact decimal strings) ---------------------------------


def _decimal(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=24, decimal_places=3, coerce_to_string=True, help_text=help_text or None
    )


class FiguresSerializer(serializers.Serializer):
    mass_t = _decimal()
    diverted_t = _decimal(
        "The waste-bound part of mass_t (fate landfill, open burning, incineration or unknown)."
    )
    tkm = _decimal()
    baseline_avoided_kg = _decimal(
        "Avoided at each flow's fate (its baseline): landfill, open burning or incineration."
    )
    landfill_avoided_kg = _decimal("The landfill part of baseline_avoided_kg.")
    substitution_avoided_kg = _decimal()
    treatment_kg = _decimal()
    transport_kg = _decimal()
    storage_kg = _decimal("Handling at storage yards, of the flows through one.")
    net_kg = _decimal()
    pieces = serializers.IntegerField(help_text="Pieces, of the records agreed in pieces (0 if none).")
    records = serializers.IntegerField(help_text="Proposals, deals or deliveries counted (by basis).")
    deals = serializers.IntegerField(help_text="Distinct deals among the records.")
    organisations = serializers.IntegerField(help_text="Distinct organisations involved (either side).")
    disposal_fee_avoided_kzt = serializers.DecimalField(
        max_digits=24,
        decimal_places=2,
        allow_null=True,
        help_text="Estimate: landfill gate fees avoided under the active tariff (null without one).",
    )
    transport_cost_kzt = serializers.DecimalField(
        max_digits=24,
        decimal_places=2,
        allow_null=True,
        help_text="Estimate: road transport under the active tariff (null without one).",
    )


class ReportRowSerializer(FiguresSerializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label (DRF allows it)


class FlowLinkSerializer(serializers.Serializer):
    source = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.source (DRF allows it)
        help_text="supply:<sector> or material:<key>"
    )
    target = serializers.CharField(help_text="material:<key> or receive:<sector>")
    value_t = _decimal()
    source_label = serializers.CharField()
    target_label = serializers.CharField()


class ImpactReportSerializer(serializers.Serializer):
    # Plain strings, not ChoiceFields: an enum component named "BasisEnum" would collide with
    # any other app's field called basis.
    basis = serializers.CharField(help_text=", ".join(impact_report.BASES))
    group_by = serializers.CharField(help_text=", ".join(impact_report.GROUP_BYS))
    # "from" is a Python keyword: declared in __init__ below.
    to = serializers.DateField(allow_null=True)
    scope = serializers.CharField(help_text="city (the municipality) or organisation (a company's own flows)")
    factor_sets = serializers.ListField(child=serializers.CharField())
    tariff = serializers.CharField(allow_null=True, help_text="The tariff version of the KZT estimates.")
    totals = FiguresSerializer()
    rows = ReportRowSerializer(many=True)
    flows = FlowLinkSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        ordered = {
            "basis": fields.pop("basis"),
            "group_by": fields.pop("group_by"),
            "from": serializers.DateField(allow_null=True),
        }
        ordered.update(fields)
        return ordered


_REPORT_PARAMETERS = [
    OpenApiParameter(
        "group_by",
        str,
        enum=list(impact_report.GROUP_BYS),
        description="Row grouping; `sector` and `district` are the supplying side's. Default `material`.",
    ),
    OpenApiParameter(
        "basis",
        str,
        enum=list(impact_report.BASES),
        description="`proposed` (open or taken-up proposals), `agreed` (deals, default) or "
        "`delivered` (deliveries).",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day included (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day included (YYYY-MM-DD)."),
]


class ImpactReportView(JSONErrorsMixin, APIView):
    """Avoided emissions by material, category, sector, district or month (SPEC §4)."""

    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        operation_id="reports_impact",
        parameters=_REPORT_PARAMETERS,
        responses={
            (200, "application/json"): ImpactReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="The table: header, rows, a `total` line."
            ),
            (200, exports.XLSX_CONTENT_TYPE): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="Sheets Report, Flows, About."
            ),
            400: OpenApiResponse(description="`{field: [reason]}` for a bad parameter."),
        },
        summary="Impact report (the municipality sees the city; a company its own flows)",
    )
    def get(self, request):
        params = impact_report.report_params(request.query_params)
        renderer_format = request.accepted_renderer.format
        if renderer_format not in ("csv", "xlsx"):
            # The serialized figures are cached too (per generation, scope, language and
            # parameters): a repeated request costs a cache read, not a DRF serialization.
            scope = impact_report.report_scope(request.user)
            data = report_cache.cached(
                report_cache.impact_api_key(params=params, organisation_ids=scope),
                lambda: dict(
                    ImpactReportSerializer(
                        impact_report.build_report(params=params, organisation_ids=scope)
                    ).data
                ),
            )
            return Response(data)
        report = impact_report.impact_report_for(user=request.user, params=params)
        if renderer_format == "csv":
            response = StreamingHttpResponse(exports.csv_lines(report), content_type=exports.CSV_CONTENT_TYPE)
            return _attach(response, exports.export_filename(report, "csv"))
        response = HttpResponse(exports.xlsx_bytes(report), content_type=exports.XLSX_CONTENT_TYPE)
        return _attach(response, exports.export_filename(report, "xlsx"))


class DeliveryActView(JSONErrorsMixin, APIView):
    """The transfer act of one delivery as a PDF (parties of the deal and the municipality)."""

    renderer_classes = [PDFRenderer, JSONRenderer]

    @extend_schema(
        operation_id="deliveries_act",
        parameters=[
            OpenApiParameter(
                "lang",
                str,
                enum=["en", "ru", "kk"],
                description="Language of the act (default: the request's).",
            )
        ],
        responses={
            (200, pdf.PDF_CONTENT_TYPE): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The signed-off transfer act."
            ),
            404: OpenApiResponse(description="Not a party of the deal."),
        },
        summary="Transfer act of a delivery (PDF)",
    )
    def get(self, request, pk: int):
        from .views import act_pdf_response

        delivery = acts.delivery_for_act(request.user, pk)
        return act_pdf_response(request, delivery)


def _attach(response: HttpResponse | StreamingHttpResponse, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
