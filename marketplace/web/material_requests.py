"""Pages for asking for a material the catalogue lacks, and the municipality's answers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import is_authority, member_organisation_ids, require_authority
from accounts.errors import DomainError, ErrorCode, apply_domain_error
from accounts.models import Organisation

from .. import material_requests as service
from ..models import Material, MaterialRequestStatus
from . import page_of


class MaterialRequestForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Material"), max_length=service.MAX_NAME)
    description = forms.CharField(
        label=gettext_lazy("What it is, how much and how often"),
        max_length=service.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Origin, composition, quality and the usual quantity help the municipality."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("For"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Organisation.objects.filter(pk__in=member_organisation_ids(user)).order_by("name")
        if orgs.count() > 1:
            self.fields["organisation"].queryset = orgs
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]


class MaterialAnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"), max_length=service.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    material = forms.ModelChoiceField(
        label=gettext_lazy("Catalogue material to use"),
        queryset=Material.objects.all(),
        to_field_name="key",
        required=False,
        help_text=gettext_lazy("Leave empty when nothing in the catalogue fits (yet)."),
    )


def _list_page(request, *, answer_forms=None, status: int = 200):
    authority = is_authority(request.user)
    requests = service.material_request_list_for(user=request.user)
    shown = request.GET.get("status", "open" if authority else "all")
    if shown in MaterialRequestStatus.values:
        requests = requests.filter(status=shown)
    page = page_of(request, requests)
    answer_forms = answer_forms or {}
    rows = [
        (r, answer_forms.get(r.pk) or MaterialAnswerForm(prefix=f"r{r.pk}"))
        if authority and r.status == MaterialRequestStatus.OPEN
        else (r, None)
        for r in page.object_list
    ]
    return render(
        request,
        "marketplace/material_requests.html",
        {
            "page": page,
            "rows": rows,
            "authority": authority,
            "shown": shown,
            "statuses": MaterialRequestStatus.choices,
        },
        status=status,
    )


@login_required
def material_request_list(request):
    """The municipality: every request, open first; a company: its own and their answers."""
    return _list_page(request)


@login_required
def material_request_create(request):
    form = MaterialRequestForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            org = form.cleaned_data.get("organisation")
            try:
                service.material_request_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    organisation_id=org.pk if org else None,
                )
            except DomainError as exc:
                if exc.code not in (ErrorCode.INVALID, ErrorCode.FORBIDDEN):
                    raise
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Sent: the municipality answers here, on your requests page."))
                return redirect("marketplace:material-requests")
        status = 400
    return render(request, "marketplace/material_request_form.html", {"form": form}, status=status)


@login_required
@require_POST
def material_request_answer(request, pk: int):
    require_authority(request.user)
    material_request = service.access_material_request(request.user, pk)
    form = MaterialAnswerForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        chosen = form.cleaned_data["material"]
        try:
            service.material_request_answer(
                material_request=material_request,
                actor=request.user,
                answer=form.cleaned_data["answer"],
                material=chosen.key if chosen else None,
            )
        except DomainError as exc:
            if exc.code is ErrorCode.CONFLICT:
                messages.warning(request, exc.message)
                return redirect("marketplace:material-requests")
            if exc.code is not ErrorCode.INVALID:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Answer sent."))
            return redirect("marketplace:material-requests")
    return _list_page(request, answer_forms={pk: form}, status=400)
