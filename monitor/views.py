"""Monitor pages. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import require_authority
from accounts.errors import DomainError, ErrorCode, apply_domain_error

from . import public, targets
from .charts import chart_series
from .flows import BASES
from .forms import TargetForm


def public_page(request: HttpRequest) -> HttpResponse:
    """The exchange's figures for everyone, without a login (the same payload as the API)."""
    basis, group_by = public.public_params(request.GET)
    payload = public.public_impact(basis=basis, group_by=group_by)
    return render(
        request,
        "monitor/public.html",
        {
            "data": payload,
            "bases": BASES,
            "group_bys": public.GROUP_BYS,
            "charts": {
                "trend": [
                    {
                        "month": p["month"],
                        "waste_t": float(p["waste_diverted_t"]),
                        "net_t": float(p["net_co2e_t"]),
                    }
                    for p in payload["trend"]
                ],
                "targets": [chart_series(entry) for entry in payload["targets"]],
            },
            "labels": {"waste": _("Waste diverted (t)"), "net": _("Net CO₂e avoided (t)")},
        },
    )


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    """The municipality's targets: set one, see each against its straight line, delete one."""
    require_authority(request.user)
    form = TargetForm(request.POST or None, initial={"year": timezone.localdate().year})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                target = targets.target_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                if exc.code is not ErrorCode.INVALID:
                    raise
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Target set: %(target)s.") % {"target": target})
                return redirect("monitor:targets")
        status = 400
    entries = public.target_entries(
        targets=targets.target_list_for(user=request.user),
        records=targets.records_by_basis(BASES),
        today=timezone.localdate(),
        k=settings.PUBLIC_K_ANONYMITY,
        public=False,
    )
    return render(
        request,
        "monitor/targets.html",
        {"form": form, "targets": entries, "charts": [chart_series(entry) for entry in entries]},
        status=status,
    )


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    target = targets.access_target(request.user, pk)
    targets.target_delete(target=target, actor=request.user)
    messages.success(request, _("Target deleted."))
    return redirect("monitor:targets")
