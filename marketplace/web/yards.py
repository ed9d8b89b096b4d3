"""Pages for a company's storage yards (issue 13): list, create, edit, status.

Thin like the listing pages: access through ``marketplace.storages``, every write through its
services, a refusal shown on the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, ErrorCode, apply_domain_error

from .. import storages
from ..forms import StorageForm
from ..models import ListingStatus, Material, Storage
from . import page_of
from .listings import _acting_organisation, status_actions


def _initial(storage: Storage) -> dict:
    initial = {name: getattr(storage, name) for name in StorageForm.VALUE_FIELDS if name != "materials"}
    initial["materials"] = [m.key for m in storage.materials.all()]
    initial["site"] = str(storage.site_id)
    return {key: value for key, value in initial.items() if value is not None}


@login_required
def storage_list(request):
    status = request.GET.get("status") if request.GET.get("status") in ListingStatus.values else None
    page = page_of(request, storages.storage_list_for(user=request.user, mine=True, status=status))
    rows = [{"storage": s, "actions": status_actions(s)} for s in page]
    return render(
        request,
        "marketplace/storage_list.html",
        {"page": page, "rows": rows, "status": status or "", "statuses": ListingStatus.choices},
    )


def _form_page(request, form, *, organisation, storage=None, status: int = 200):
    return render(
        request,
        "marketplace/storage_form.html",
        {"form": form, "organisation": organisation, "storage": storage},
        status=status,
    )


@login_required
def storage_create(request):
    organisation = _acting_organisation(request)
    sites = organisation.sites.order_by("name", "id")
    form = StorageForm(request.POST or None, sites=sites, materials=Material.objects.all())
    if request.method == "POST" and form.is_valid():
        status = ListingStatus.ACTIVE if form.cleaned_data.get("publish") else ListingStatus.DRAFT
        try:
            storages.storage_create(
                organisation=organisation, actor=request.user, status=status, **form.storage_values()
            )
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your storage yard is saved."))
            return redirect(reverse("marketplace:storages"))
    return _form_page(
        request, form, organisation=organisation, status=400 if form.is_bound and form.errors else 200
    )


@login_required
def storage_edit(request, pk: int):
    storage = storages.access_storage(request.user, pk, for_write=True)
    sites = storage.organisation.sites.order_by("name", "id")
    form = StorageForm(
        request.POST or None,
        sites=sites,
        materials=Material.objects.all(),
        initial=_initial(storage),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            storages.storage_update(storage=storage, actor=request.user, **form.storage_values())
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(reverse("marketplace:storages"))
    return _form_page(
        request,
        form,
        organisation=storage.organisation,
        storage=storage,
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def storage_status(request, pk: int):
    storage = storages.access_storage(request.user, pk, for_write=True)
    try:
        storage = storages.storage_update(
            storage=storage, actor=request.user, status=request.POST.get("status", "")
        )
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The storage yard is now %(status)s.") % {"status": storage.get_status_display().lower()},
        )
    return redirect(reverse("marketplace:storages"))
