"""Marketplace pages: bulk import of listings. Thin: parse the form, call the importer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import acting_organisation, member_organisation_ids
from accounts.models import Organisation

from . import exports, importers
from .factor_data import DATA_DIR
from .forms import ListingImportForm

SESSION_ERRORS_KEY = "marketplace_import_errors"
TEMPLATE_PATH = DATA_DIR / "listings-template.csv"


@login_required
def listing_import(request):
    organisations = Organisation.objects.filter(id__in=member_organisation_ids(request.user)).order_by("name")
    form = ListingImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    errors: list[importers.RowError] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("organisation")
        organisation = acting_organisation(request.user, chosen.pk if chosen else None)
        upload = form.cleaned_data["file"]
        try:
            importers.import_rate_take(organisation=organisation)
            result = importers.listings_import(
                organisation=organisation,
                actor=request.user,
                data=upload.read(importers.MAX_IMPORT_BYTES + 1),
                filename=upload.name or "",
            )
        except importers.ImportRateLimited:
            status = 429
            form.add_error(None, _("Too many imports for this organisation; try again later."))
        except importers.ImportRefused as refused:
            errors = refused.errors
            request.session[SESSION_ERRORS_KEY] = [error.as_dict() for error in errors]
        else:
            request.session.pop(SESSION_ERRORS_KEY, None)
            messages.success(
                request,
                _("Imported %(offers)d offer(s) and %(needs)d need(s).")
                % {"offers": len(result.offers), "needs": len(result.needs)},
            )
            return redirect("marketplace:import")
    if errors:
        status = 400
    return render(
        request,
        "marketplace/import.html",
        {
            "form": form,
            "errors": errors,
            "columns": importers.TEMPLATE_COLUMNS,
            "max_rows": importers.MAX_IMPORT_ROWS,
        },
        status=status,
    )


@login_required
def listing_import_errors(request):
    """The last refused import's problems as CSV (cells neutralised against formula injection)."""
    rows = [(e["row"], e["field"], e["reason"]) for e in request.session.get(SESSION_ERRORS_KEY, [])]
    response = HttpResponse(exports.csv_text(importers.ERROR_REPORT_HEADER, rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response


@login_required
def listing_import_template(request):
    return FileResponse(
        TEMPLATE_PATH.open("rb"),
        as_attachment=True,
        filename="listings-template.csv",
        content_type="text/csv",
    )
