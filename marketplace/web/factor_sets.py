"""Flow-factor sets: list, detail with sources, diff of two versions; the municipality copies a
set into a draft, edits the draft's factors and publishes it (all through ``factor_services``).
Companies read published sets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import is_authority, require_authority
from accounts.errors import DomainError, ErrorCode, apply_domain_error, not_found

from .. import factor_services, web_selectors
from ..access import access_factor_set
from ..forms import FACTOR_NUMBER_FIELDS, FactorForm, FactorSetCopyForm, FactorSetForm
from ..models import Factor, FactorSet
from ..selectors import factor_set_list_for
from . import page_of


def _require_editable(user, factor_set: FactorSet) -> None:
    require_authority(user)
    if factor_set.is_published:
        raise DomainError(
            ErrorCode.CONFLICT, _("A published factor set is immutable; copy it into a new draft.")
        )


def _raise_unless_shown(exc: DomainError) -> None:
    if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN):
        raise exc


@login_required
def factor_set_list(request):
    sets = factor_set_list_for(user=request.user)
    return render(
        request,
        "marketplace/factor_sets.html",
        {
            "page": page_of(request, sets),
            "all_sets": list(sets[:200]),
            "can_edit": is_authority(request.user),
        },
    )


@login_required
def factor_set_detail(request, pk: int):
    factor_set = access_factor_set(request.user, pk)
    authority = is_authority(request.user)
    return render(
        request,
        "marketplace/factor_set.html",
        {
            "factor_set": factor_set,
            "factors": web_selectors.factor_rows(factor_set),
            "can_edit": authority and not factor_set.is_published,
            "authority": authority,
            "copy_form": FactorSetCopyForm() if authority else None,
        },
    )


@login_required
@require_POST
def factor_set_copy(request, pk: int):
    source = access_factor_set(request.user, pk)
    form = FactorSetCopyForm(request.POST)
    if form.is_valid():
        try:
            draft = factor_services.factor_set_copy(
                source=source, version=form.cleaned_data["version"], actor=request.user
            )
        except DomainError as exc:
            _raise_unless_shown(exc)
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Draft %(version)s created: edit its factors, then publish it.")
                % {"version": draft.version},
            )
            return redirect("marketplace:factor-set", pk=draft.pk)
    return render(
        request,
        "marketplace/factor_set.html",
        {
            "factor_set": source,
            "factors": web_selectors.factor_rows(source),
            "can_edit": is_authority(request.user) and not source.is_published,
            "authority": is_authority(request.user),
            "copy_form": form,
        },
        status=400,
    )


@login_required
@require_POST
def factor_set_publish(request, pk: int):
    factor_set = access_factor_set(request.user, pk)
    try:
        factor_set = factor_services.factor_set_publish(factor_set=factor_set, actor=request.user)
    except DomainError as exc:
        _raise_unless_shown(exc)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(version)s is published and now the active factor set.") % {"version": factor_set.version},
        )
    return redirect("marketplace:factor-set", pk=pk)


@login_required
@require_POST
def factor_set_delete(request, pk: int):
    factor_set = access_factor_set(request.user, pk)
    try:
        factor_services.factor_set_delete(factor_set=factor_set, actor=request.user)
    except DomainError as exc:
        _raise_unless_shown(exc)
        messages.error(request, exc.message)
        return redirect("marketplace:factor-set", pk=pk)
    messages.success(request, _("Draft deleted."))
    return redirect("marketplace:factor-sets")


@login_required
def factor_set_edit(request, pk: int):
    """The set-wide values of a draft: road-freight factor, GWP and sources."""
    factor_set = access_factor_set(request.user, pk)
    _require_editable(request.user, factor_set)
    initial = {field: getattr(factor_set, field) for field in factor_services.EDITABLE_SET_FIELDS}
    form = FactorSetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            factor_services.factor_set_update(factor_set=factor_set, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _raise_unless_shown(exc)
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("marketplace:factor-set", pk=pk)
    return render(
        request,
        "marketplace/factor_set_edit.html",
        {"factor_set": factor_set, "form": form},
        status=400 if form.errors else 200,
    )


def _factor(factor_set: FactorSet, factor_pk: int) -> Factor:
    factor = factor_set.factors.select_related("material").filter(pk=factor_pk).first()
    if factor is None:
        raise not_found()
    return factor


@login_required
def factor_edit(request, pk: int, factor_pk: int):
    """One material's factors in a draft: a full page, or an inline table row under htmx."""
    factor_set = access_factor_set(request.user, pk)
    factor = _factor(factor_set, factor_pk)
    _require_editable(request.user, factor_set)
    inline = bool(request.htmx)
    initial = {field: getattr(factor, field) for field in factor_services.EDITABLE_FACTOR_FIELDS}
    form = FactorForm(request.POST or None, initial=initial)
    if inline:
        # The inline row edits the numbers; sources and notes stay as they are.
        for field in list(form.fields):
            if field not in FACTOR_NUMBER_FIELDS:
                del form.fields[field]
    if request.method == "POST" and form.is_valid():
        try:
            factor = factor_services.factor_update(factor=factor, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _raise_unless_shown(exc)
            apply_domain_error(form, exc)
        else:
            if inline:
                return render(
                    request,
                    "marketplace/partials/factor_row.html",
                    {"f": factor, "factor_set": factor_set, "can_edit": True, "saved": True},
                )
            messages.success(
                request, _("Factors of %(material)s saved.") % {"material": factor.material.name}
            )
            return redirect("marketplace:factor-set", pk=pk)
    template = "marketplace/partials/factor_row_form.html" if inline else "marketplace/factor_edit.html"
    return render(
        request,
        template,
        {"f": factor, "factor_set": factor_set, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def factor_row(request, pk: int, factor_pk: int):
    """The read-only row again (the inline editor's Cancel)."""
    factor_set = access_factor_set(request.user, pk)
    return render(
        request,
        "marketplace/partials/factor_row.html",
        {
            "f": _factor(factor_set, factor_pk),
            "factor_set": factor_set,
            "can_edit": is_authority(request.user) and not factor_set.is_published,
        },
    )


@login_required
def factor_set_diff(request):
    """Two versions side by side; ``b`` defaults to the newest set and ``a`` to what ``b`` was based on."""
    sets = factor_set_list_for(user=request.user)
    b = access_factor_set(request.user, request.GET["b"]) if request.GET.get("b") else sets.first()
    if b is None:
        raise not_found()
    if request.GET.get("a"):
        a = access_factor_set(request.user, request.GET["a"])
    else:
        a = b.based_on if b.based_on_id and (b.based_on.is_published or is_authority(request.user)) else None
        a = a or sets.exclude(pk=b.pk).first() or b
    return render(
        request,
        "marketplace/factor_diff.html",
        {
            "a": a,
            "b": b,
            "diff": web_selectors.factor_set_diff(a, b),
            "all_sets": list(sets[:200]),
            "fields": web_selectors.DIFF_FIELDS,
        },
    )
