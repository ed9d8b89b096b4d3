"""Pages for proposals, deals and match runs. Thin: access helpers, services, templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import is_authority, member_organisation_ids, require_authority
from accounts.errors import DomainError, ErrorCode, apply_domain_error
from config.web import safe_next

from . import access, compare, decisions, runs, schedule, selectors, services
from .forms import CompareForm, DeliveryForm, RunForm, ScheduleForm, WhatIfForm
from .models import UNDECIDED_PROPOSAL_STATUSES, DeclinedBy, MatchRun, ProposalStatus, RunStatus

PAGE_SIZE = 25


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def dashboard(request):
    """The municipality's city dashboard, or a company's own."""
    from . import dashboards

    if is_authority(request.user):
        basis = request.GET.get("basis", "proposed")
        basis = basis if basis in dashboards.BASES else "proposed"
        return render(
            request, "matching/dashboard_city.html", dashboards.city_context(user=request.user, basis=basis)
        )
    return render(request, "matching/dashboard_company.html", dashboards.company_context(user=request.user))


@login_required
def proposal_inbox(request):
    status = request.GET.get("status", "open")
    proposals = selectors.proposal_list_for(user=request.user)
    if status == "open":
        proposals = proposals.filter(status__in=UNDECIDED_PROPOSAL_STATUSES)
    elif status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    return render(
        request,
        "matching/proposals.html",
        {
            # Each row asks for its deal (agreed flows show both sites): joined, not one query a row.
            "page": _page(request, proposals.select_related("deal").order_by("-run_id", "-net_kg", "id")),
            "status": status,
            "statuses": ProposalStatus.choices,
            "my_orgs": member_organisation_ids(request.user),
            "next_run": MatchRun.objects.filter(status=RunStatus.SUCCEEDED, dry_run=False).first(),
        },
    )


def _decision_box(request, proposal):
    """The decision box swapped in place, with the messages of this very decision."""
    template = (
        "matching/partials/proposal_row.html"
        if request.htmx.target == f"proposal-{proposal.pk}"
        else "matching/partials/decision.html"
    )
    return render(
        request,
        template,
        {"p": proposal, "my_orgs": member_organisation_ids(request.user), "in_place": True},
    )


@login_required
@require_POST
def proposal_decide(request, pk: int, decision: str):
    proposal = access.access_proposal(request.user, pk)
    try:
        if decision == "accept":
            proposal = services.proposal_accept(proposal=proposal, actor=request.user)
        else:
            reason = request.POST.get("reason", "").strip()[: decisions.MAX_REASON_LENGTH]
            proposal = services.proposal_decline(proposal=proposal, actor=request.user, reason=reason)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        messages.error(request, exc.message)
    else:
        if proposal.status == ProposalStatus.AGREED:
            messages.success(request, _("Agreed: the deal is on your deals page."))
        elif proposal.status == ProposalStatus.DECLINED and proposal.declined_by == DeclinedBy.YARD:
            messages.success(
                request, _("Declined: this flow will not be proposed through your storage yard again.")
            )
        elif proposal.status == ProposalStatus.DECLINED:
            messages.success(request, _("Declined: the pair will not be proposed again."))
        else:
            messages.success(request, _("Accepted for your side; now the other side decides."))
    if request.htmx:
        proposal = access.access_proposal(request.user, pk)
        # A refused decision is answered with the box and its reason too (200: htmx swaps no 4xx).
        return _decision_box(request, proposal)
    return redirect(safe_next(request, reverse("matching:proposals")))


@login_required
def notifications(request):
    from .notifications_feed import RECENT_DAYS, feed_for

    return render(
        request, "matching/notifications.html", {"notices": feed_for(request.user), "days": RECENT_DAYS}
    )


@login_required
def deal_list(request):
    return render(
        request, "matching/deals.html", {"page": _page(request, selectors.deal_list_for(user=request.user))}
    )


@login_required
def deal_detail(request, pk: int):
    deal = access.access_deal(request.user, pk)
    is_party = bool(
        member_organisation_ids(request.user) & {deal.offer.organisation_id, deal.need.organisation_id}
    )
    form = DeliveryForm(request.POST or None, deal=deal)
    status = 200
    if request.method == "POST":
        if not is_party:
            raise DomainError(ErrorCode.FORBIDDEN, _("Only the two parties record deliveries."))
        if form.is_valid():
            amount = {form.amount_field: form.cleaned_data[form.amount_field]}
            try:
                services.delivery_record(
                    deal=deal, actor=request.user, date=form.cleaned_data["date"], **amount
                )
            except DomainError as exc:
                apply_domain_error(
                    form, exc, mapping=dict.fromkeys(("quantity", "mass_t"), form.amount_field)
                )
            else:
                messages.success(request, _("Delivery recorded."))
                if request.htmx:
                    # htmx: a full-page redirect, not the page swapped into the form.
                    return HttpResponse(
                        status=204, headers={"HX-Redirect": reverse("matching:deal", args=[deal.pk])}
                    )
                return redirect("matching:deal", pk=deal.pk)
        # Refused: the form again, with the reason, and a status that says so.
        status = 400
    from .deal_room_views import deal_room_context

    template = "matching/partials/delivery_form.html" if request.htmx else "matching/deal.html"
    return render(
        request,
        template,
        {
            "deal": deal,
            "form": form,
            "is_party": is_party,
            "deliveries": deal.deliveries.all(),
            **deal_room_context(request, deal),
        },
        status=status,
    )


def _runs_page(request, *, form=None, schedule_form=None, whatif_form=None, status: int = 200):
    authority = is_authority(request.user)
    current = schedule.schedule_get(actor=request.user) if authority else None
    if current is not None and schedule_form is None:  # current is set exactly for the authority
        schedule_form = ScheduleForm(
            initial={k: v for k, v in current.as_dict().items() if k in ScheduleForm.base_fields}
        )
    return render(
        request,
        "matching/runs.html",
        {
            "page": _page(request, selectors.run_list_for(user=request.user)),
            "form": form or RunForm(),
            "can_start": authority,
            "open_run": runs.active_run(),
            "schedule": current,
            "schedule_form": schedule_form,
            "whatif_form": (whatif_form or WhatIfForm()) if authority else None,
            "open_whatif": runs.active_run(dry_run=True) if authority else None,
            "compare_form": CompareForm(runs=_comparable_runs()) if authority else None,
        },
        status=status,
    )


@login_required
def run_list(request):
    form = RunForm(request.POST or None)
    if request.method == "POST":
        require_authority(request.user)
        if form.is_valid():
            try:
                run = runs.match_run_start(actor=request.user, objective=form.cleaned_data["objective"])
            except DomainError as exc:
                if exc.code is not ErrorCode.CONFLICT:
                    raise
                messages.warning(request, exc.message)
                return (
                    redirect("matching:run", pk=exc.extra["active_run"])
                    if exc.extra.get("active_run")
                    else redirect("matching:runs")
                )
            return redirect("matching:run", pk=run.pk)
    return _runs_page(request, form=form)


@login_required
@require_POST
def schedule_edit(request):
    """The municipality changes the city-wide run's schedule from the runs page."""
    require_authority(request.user)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            schedule.schedule_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.code is not ErrorCode.INVALID:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Schedule saved; it applies from now on."))
            return redirect("matching:runs")
    return _runs_page(request, schedule_form=form, status=400)


def _comparable_runs():
    return selectors.run_list().filter(status=RunStatus.SUCCEEDED)[:200]


@login_required
@require_POST
def run_whatif(request):
    """The municipality starts a what-if run from the runs page (issue 14)."""
    require_authority(request.user)
    form = WhatIfForm(request.POST)
    if form.is_valid():
        try:
            run = runs.match_run_start(actor=request.user, dry_run=True, parameters=form.parameters())
        except DomainError as exc:
            if exc.code is ErrorCode.CONFLICT and exc.extra.get("active_run"):
                messages.warning(request, exc.message)
                return redirect("matching:run", pk=exc.extra["active_run"])
            if exc.code is not ErrorCode.INVALID:
                raise
            form.add_error(None, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        else:
            return redirect("matching:run", pk=run.pk)
    return _runs_page(request, whatif_form=form, status=400)


@login_required
def run_compare(request):
    """Two runs side by side (the municipality)."""
    require_authority(request.user)
    form = CompareForm(request.GET or None, runs=selectors.run_list())
    result = None
    if form.is_valid():
        result = compare.runs_compare(
            actor=request.user, a=form.cleaned_data["a"].pk, b=form.cleaned_data["b"].pk
        )
        _label_rows(result)
    form.fields["a"].queryset = form.fields["b"].queryset = _comparable_runs()
    return render(
        request,
        "matching/runs_compare.html",
        {"form": form, "result": result, "figures": _compare_rows(result) if result else []},
        status=400 if form.is_bound and form.errors else 200,
    )


def _label_rows(result: dict) -> None:
    """Material names and district names in the reader's language."""
    from accounts.models import District
    from marketplace.models import Material

    names = {m.key: m.name for m in Material.objects.all()}
    districts = dict(District.choices)
    for row in result["by_material"]:
        row["label"] = names.get(row["key"], row["key"])
    for row in result["by_district"]:
        row["label"] = (
            _("Hypothetical listings")
            if row["key"] == "hypothetical"
            else districts.get(row["key"], row["key"])
        )


def _compare_rows(result: dict) -> list[tuple[str, object, object, object]]:
    labels = {
        "diverted_t": _("Diverted from waste (t)"),
        "landfilled_t": _("Left in waste (t)"),
        "tkm": _("Transport (t·km)"),
        "net_co2e_t": _("Net CO₂e avoided (t)"),
    }
    return [(labels[k], result["a"][k], result["b"][k], result["difference"][k]) for k in compare.FIGURES]


@login_required
def run_detail(request, pk: int):
    run = selectors.run_list_for(user=request.user).filter(pk=pk).first()
    if run is None:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such run."))
    template = "matching/partials/run_progress.html" if request.htmx else "matching/run.html"
    last_real = (
        selectors.run_list().filter(dry_run=False, status=RunStatus.SUCCEEDED).first()
        if run.dry_run
        else None
    )
    return render(request, template, {"run": run, "stats": run.stats or {}, "last_real": last_real})
