"""Marketplace pages: bulk import of listings. Thin: parse the form, call the importer.

The page works in two steps: an upload is checked and previewed (nothing written; every problem
of every row listed), then the person confirms, choosing which rows equal to an active listing
to import anyway. The uploaded file waits in the session between the two steps.
"""

from __future__ import annotations

import base64
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import acting_organisation, member_organisation_ids
from accounts.models import Organisation

from . import exports, importers
from .factor_data import DATA_DIR
from .forms import ListingImportForm
from .models import Material

SESSION_ERRORS_KEY = "marketplace_import_errors"
SESSION_PENDING_KEY = "marketplace_import_pending"
TEMPLATE_PATH = DATA_DIR / "listings-template.csv"
MATERIAL_KEYS_HEADER = ("key", "name_en", "name_ru", "name_kk", "unit_basis", "category", "ewc_code")


def _page(request, form, *, errors=(), preview=None, token: str = "", status: int = 200):
    return render(
        request,
        "marketplace/import.html",
        {
            "form": form,
            "errors": list(errors),
            "preview": preview,
            "token": token,
            "new_rows": [r for r in preview or [] if not r.is_duplicate],
            "duplicates": [r for r in preview or [] if r.is_duplicate],
            "columns": importers.TEMPLATE_COLUMNS,
            "max_rows": importers.MAX_IMPORT_ROWS,
        },
        status=status,
    )


def _form(request, *, bound: bool = True):
    organisations = Organisation.objects.filter(id__in=member_organisation_ids(request.user)).order_by("name")
    if not bound:
        return ListingImportForm(organisations=organisations)
    return ListingImportForm(request.POST or None, request.FILES or None, organisations=organisations)


@login_required
def listing_import(request):
    """Step 1: upload and preview. Nothing is written here."""
    form = _form(request)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form, status=400 if request.method == "POST" else 200)
    chosen = form.cleaned_data.get("organisation")
    organisation = acting_organisation(request.user, chosen.pk if chosen else None)
    upload = form.cleaned_data["file"]
    data = upload.read(importers.MAX_IMPORT_BYTES + 1)
    try:
        importers.import_rate_take(organisation=organisation)
        preview = importers.listings_preview(organisation=organisation, data=data, filename=upload.name or "")
    except importers.ImportRateLimited:
        form.add_error(None, _("Too many imports for this organisation; try again later."))
        return _page(request, form, status=429)
    except importers.ImportRefused as refused:
        request.session[SESSION_ERRORS_KEY] = [error.as_dict() for error in refused.errors]
        request.session.pop(SESSION_PENDING_KEY, None)
        return _page(request, form, errors=refused.errors, status=400)
    request.session.pop(SESSION_ERRORS_KEY, None)
    token = secrets.token_urlsafe(16)
    request.session[SESSION_PENDING_KEY] = {
        "token": token,
        "organisation": organisation.pk,
        "filename": upload.name or "",
        "data": base64.b64encode(data).decode("ascii"),
    }
    return _page(request, _form(request, bound=False), preview=preview, token=token)


@login_required
@require_POST
def listing_import_confirm(request):
    """Step 2: write the previewed file; rows equal to an active listing only when ticked."""
    pending = request.session.get(SESSION_PENDING_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("This preview has expired or was replaced; upload the file again."))
        return redirect("marketplace:import")
    organisation = acting_organisation(request.user, pending["organisation"])
    confirmed = {int(v) for v in request.POST.getlist("confirm_row") if v.isdigit()}
    try:
        result = importers.listings_import(
            organisation=organisation,
            actor=request.user,
            data=base64.b64decode(pending["data"]),
            filename=pending["filename"],
            confirm_duplicates=confirmed,
        )
    except importers.ImportRefused as refused:
        # The file was valid a moment ago; something it relies on changed (a site was deleted).
        request.session.pop(SESSION_PENDING_KEY, None)
        request.session[SESSION_ERRORS_KEY] = [error.as_dict() for error in refused.errors]
        return _page(request, _form(request, bound=False), errors=refused.errors, status=400)
    request.session.pop(SESSION_PENDING_KEY, None)
    messages.success(
        request,
        _("Imported %(offers)d offer(s) and %(needs)d need(s).")
        % {"offers": len(result.offers), "needs": len(result.needs)},
    )
    if result.skipped:
        messages.info(
            request,
            ngettext(
                "Skipped %(n)d row equal to an active listing.",
                "Skipped %(n)d rows equal to an active listing.",
                len(result.skipped),
            )
            % {"n": len(result.skipped)},
        )
    return redirect("marketplace:mine")


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


@login_required
def material_keys(request):
    """Every catalogue material's key, with its names in English, Russian and Kazakh (CSV)."""
    rows = Material.objects.order_by("key").values_list(*MATERIAL_KEYS_HEADER)
    # A byte-order mark so that Excel reads the Cyrillic names as UTF-8.
    body = "\ufeff" + exports.csv_text(MATERIAL_KEYS_HEADER, rows)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="material-keys.csv"'
    return response
