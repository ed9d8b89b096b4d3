"""Pages of the deal room: the proposal page and its conversation, the conversations inbox, the
conversation on the deal page, and the municipality's tariffs. Thin: access helpers, services,
templates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import member_organisation_ids, require_authority
from accounts.errors import DomainError, ErrorCode, apply_domain_error
from config.web import safe_next

from . import access, conversations, services, tariffs
from .api.deal_room import message_post_allowed
from .flow_view import viewer_of
from .models import UNDECIDED_PROPOSAL_STATUSES, Proposal, ScheduleEvery, TransportBy

PAGE_SIZE = 25


def conversation_context(
    request, proposal: Proposal, *, post_url: str, error: str = "", draft: str = ""
) -> dict:
    """What the conversation partial needs; showing it marks the thread read."""
    thread = list(conversations.thread_messages(proposal=proposal))
    if thread:
        conversations.thread_mark_read(user=request.user, proposal=proposal, up_to=thread[-1].pk)
    return {"thread": thread, "post_url": post_url, "message_error": error, "draft": draft}


def economics_context(flow, request=None) -> dict[str, Any]:
    """The estimates as the requesting user may see them (rounded distance to a hidden site)."""
    viewer = viewer_of(request) if request is not None else None
    return {"economics": tariffs.economics_of(flow, tariff=tariffs.tariff_active(), viewer=viewer)}


def _proposal_page(
    request, proposal: Proposal, *, terms_error: str = "", terms_draft=None, status: int = 200
):
    orgs = member_organisation_ids(request.user)
    deal = getattr(proposal, "deal", None) if proposal.status == "agreed" else None
    is_party = bool(orgs & {proposal.offer.organisation_id, proposal.need.organisation_id})
    undecided = proposal.status in UNDECIDED_PROPOSAL_STATUSES
    # Issue 13: the storage yard's owner accepts a flow through the yard too.
    yard_to_accept = (
        undecided
        and proposal.needs_storage_acceptance
        and proposal.storage_accepted_at is None
        and proposal.via_storage is not None
        and proposal.via_storage.organisation_id in orgs
    )
    return render(
        request,
        "matching/proposal.html",
        {
            "p": proposal,
            "deal": deal,
            "is_party": is_party,
            "undecided": undecided,
            "yard_to_accept": yard_to_accept,
            "terms": tariffs.flow_terms(proposal),
            "terms_form_url": reverse("matching:proposal-terms", args=[proposal.pk])
            if is_party and undecided
            else "",
            "terms_error": terms_error,
            "terms_draft": terms_draft or {},
            "transport_choices": TransportBy.choices,
            "every_choices": ScheduleEvery.choices,
            **economics_context(proposal, request),
            **conversation_context(
                request, proposal, post_url=reverse("matching:proposal-messages", args=[proposal.pk])
            ),
        },
        status=status,
    )


@login_required
def proposal_detail(request, pk: int):
    return _proposal_page(request, access.access_proposal(request.user, pk))


@login_required
@require_POST
def proposal_terms(request, pk: int):
    """The proposal page's terms form: propose terms for your side (400 with the reason)."""
    proposal = access.access_proposal(request.user, pk)
    draft = {key: request.POST.get(key, "").strip() for key in TERMS_FORM_FIELDS}
    schedule = None
    if draft["schedule_every"]:
        schedule = {
            "every": draft["schedule_every"],
            "start": draft["schedule_start"],
            "end": draft["schedule_end"],
        }
    try:
        services.proposal_terms_propose(
            proposal=proposal,
            actor=request.user,
            quantity=draft["quantity"],
            price_per_unit_kzt=draft["price_per_unit_kzt"],
            transport_by=draft["transport_by"],
            schedule=schedule,
        )
    except DomainError as exc:
        if exc.code not in (ErrorCode.INVALID, ErrorCode.CONFLICT):
            raise
        proposal = access.access_proposal(request.user, pk)
        return _proposal_page(request, proposal, terms_error=exc.message, terms_draft=draft, status=400)
    messages.success(request, _("Terms proposed; the other side can accept them now."))
    return redirect(f"{reverse('matching:proposal', args=[proposal.pk])}#terms")


TERMS_FORM_FIELDS = (
    "quantity",
    "price_per_unit_kzt",
    "transport_by",
    "schedule_every",
    "schedule_start",
    "schedule_end",
)


@login_required
@require_POST
def listing_request(request, kind: str, pk: int):
    """ "Ask for this": from a listing page or search result, with one of your own listings."""
    from marketplace.access import access_need, access_offer

    from . import requests as direct_requests

    own = request.POST.get("own", "")
    try:
        if kind == "offer":
            proposal = direct_requests.proposal_request(
                actor=request.user, offer=access_offer(request.user, pk), need_id=own
            )
        elif kind == "need":
            proposal = direct_requests.proposal_request(
                actor=request.user, need=access_need(request.user, pk), offer_id=own
            )
        else:
            raise Http404
    except DomainError as exc:
        if exc.code is not ErrorCode.INVALID:
            raise
        messages.error(request, exc.message)
        back = reverse("marketplace:offer" if kind == "offer" else "marketplace:need", args=[pk])
        return redirect(safe_next(request, back))
    messages.success(request, _("Asked; the other side has until the date shown to answer."))
    return redirect("matching:proposal", pk=proposal.pk)


def _post(request, proposal: Proposal, *, page_url: str, post_url: str):
    """Write a message from the page's form; under htmx answer with the conversation partial."""
    body = request.POST.get("body", "")
    error = ""
    status = 201
    if not message_post_allowed(request):
        error, status = _("You are sending messages too fast; wait a minute."), 429
    else:
        try:
            conversations.message_post(proposal=proposal, actor=request.user, body=body)
        except DomainError as exc:
            if exc.code is not ErrorCode.INVALID:
                raise
            error, status = exc.message, 400
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{page_url}#conversation")
    context = conversation_context(
        request, proposal, post_url=post_url, error=error, draft=body if error else ""
    )
    return render(request, "matching/partials/conversation.html", context, status=status)


@login_required
@require_POST
def proposal_messages(request, pk: int):
    proposal = access.access_proposal(request.user, pk)
    return _post(
        request,
        proposal,
        page_url=reverse("matching:proposal", args=[proposal.pk]),
        post_url=reverse("matching:proposal-messages", args=[proposal.pk]),
    )


@login_required
@require_POST
def deal_messages(request, pk: int):
    deal = access.access_deal(request.user, pk)
    return _post(
        request,
        conversations.thread_of(deal),
        page_url=reverse("matching:deal", args=[deal.pk]),
        post_url=reverse("matching:deal-messages", args=[deal.pk]),
    )


def deal_room_context(request, deal) -> dict[str, Any]:
    """The deal page's additions: the counterpart's contacts, the estimate, the conversation."""
    orgs = member_organisation_ids(request.user)
    offer_side, need_side = deal.offer.organisation_id in orgs, deal.need.organisation_id in orgs
    counterpart = None
    if offer_side != need_side:
        counterpart = deal.need.organisation if offer_side else deal.offer.organisation
    return {
        "counterpart": counterpart,
        "terms": deal.terms,
        "plan": services.deal_plan(deal=deal),
        **economics_context(deal, request),
        **conversation_context(
            request, conversations.thread_of(deal), post_url=reverse("matching:deal-messages", args=[deal.pk])
        ),
    }


@login_required
def conversation_list(request):
    """The user's conversations, most recent first, with their unread counts."""
    page = Paginator(conversations.thread_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unread = conversations.unread_by_thread(user=request.user)
    rows = []
    for proposal in page.object_list:
        deal = getattr(proposal, "deal", None) if proposal.status == "agreed" else None
        rows.append(
            {
                "p": proposal,
                "url": reverse("matching:deal", args=[deal.pk])
                if deal
                else reverse("matching:proposal", args=[proposal.pk]),
                "unread": unread.get(proposal.pk, 0),
            }
        )
    return render(request, "matching/conversations.html", {"page": page, "rows": rows})


# --- Tariffs (municipality) --------------------------------------------------------------------


class TariffForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("Version"), max_length=40)
    landfill_gate_fee_kzt_per_t = forms.DecimalField(
        label=gettext_lazy("Landfill gate fee (KZT per t)"), min_value=0, max_digits=14, decimal_places=2
    )
    transport_kzt_per_tkm = forms.DecimalField(
        label=gettext_lazy("Road transport (KZT per t·km)"), min_value=0, max_digits=14, decimal_places=2
    )


@login_required
def tariff_list(request):
    require_authority(request.user)
    form = TariffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tariff = tariffs.tariff_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.code is not ErrorCode.INVALID:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Draft tariff %(version)s saved.") % {"version": tariff.version})
            return redirect("matching:tariffs")
    page = Paginator(tariffs.tariff_list_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/tariffs.html",
        {"page": page, "form": form, "active": tariffs.tariff_active()},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def tariff_publish(request, pk: int):
    tariff = tariffs.access_tariff(request.user, pk)
    try:
        tariffs.tariff_publish(tariff=tariff, actor=request.user)
    except DomainError as exc:
        if exc.code is not ErrorCode.CONFLICT:
            raise
        messages.warning(request, exc.message)
    else:
        messages.success(
            request, _("Tariff %(version)s published; estimates use it now.") % {"version": tariff.version}
        )
    return redirect("matching:tariffs")
