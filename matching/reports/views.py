"""Printable pages: the impact report (HTML and PDF) and transfer acts. Thin views.

``?lang=en|ru|kk`` renders a page or PDF in that language whatever the interface language is,
so the city can file a Russian act from an English session.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_GET

from . import acts, impact_report, pdf, printable

REPORT_TEMPLATE = "reports/impact_report.html"
ACT_TEMPLATE = "reports/transfer_act.html"


def _language(request: HttpRequest):
    lang = (request.GET.get("lang") or "").strip()
    if lang in dict(settings.LANGUAGES):
        return translation.override(lang)
    return nullcontext()


def _pdf_response(html: str, filename: str) -> HttpResponse:
    response = HttpResponse(pdf.html_to_pdf(html), content_type=pdf.PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _report_context(request: HttpRequest, *, for_pdf: bool) -> dict:
    params = impact_report.report_params(request.GET)
    context = printable.printable_context(user=request.user, params=params)
    context.update(
        for_pdf=for_pdf,
        query=request.GET.urlencode(),
        bases=[(b, impact_report.basis_label(b)) for b in impact_report.BASES],
    )
    return context


@login_required
@require_GET
def impact_report_page(request: HttpRequest) -> HttpResponse:
    """The printable report: the municipality's city report, or a company's own."""
    with _language(request):
        return render(request, REPORT_TEMPLATE, _report_context(request, for_pdf=False))


@login_required
@require_GET
def impact_report_pdf(request: HttpRequest) -> HttpResponse:
    """The same report as a PDF."""
    with _language(request):
        context = _report_context(request, for_pdf=True)
        html = render_to_string(REPORT_TEMPLATE, context, request=request)
        filename = f"qaita-impact-{context['params'].basis}.pdf"
    return _pdf_response(html, filename)


@login_required
@require_GET
def delivery_act_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A delivery's transfer act as a printable page (parties of the deal and the municipality)."""
    delivery = acts.delivery_for_act(request.user, pk)
    with _language(request):
        return render(request, ACT_TEMPLATE, {**acts.act_context(delivery), "for_pdf": False})


@login_required
@require_GET
def delivery_act_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A delivery's transfer act as a PDF."""
    return act_pdf_response(request, acts.delivery_for_act(request.user, pk))


def act_pdf_response(request: HttpRequest, delivery) -> HttpResponse:
    """Render the act of an already-authorised ``delivery`` (also used by the API)."""
    with _language(request):
        html = render_to_string(ACT_TEMPLATE, {**acts.act_context(delivery), "for_pdf": True})
    return _pdf_response(html, f"qaita-act-{acts.act_number(delivery)}.pdf")
