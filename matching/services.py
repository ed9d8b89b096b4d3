"""Proposals, deals and deliveries: one transition table, conditional updates, audit events.

A proposal outlives the run that made it (SPEC §2 as refined by issue 10):

- one side's acceptance opens a response window of ``MATCHING_RESPONSE_DAYS`` from that first
  acceptance (``respond_by``). Until the other side decides or the window passes, later runs
  keep the proposal as it is: its pair is not proposed again and its quantity is reserved in
  their snapshots. When the window passes, :func:`proposals_expire_overdue` (a beat task, and
  the start of every run's write) expires it and both sides are told;
- an undecided proposal that a new run makes again unchanged (same offer and need, quantity
  within :data:`KEEP_TOLERANCE`) keeps its id and history: :func:`proposals_supersede` moves it
  to the new run (``first_run`` keeps the first) instead of expiring it and creating a twin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids
from accounts.cleaning import clean_decimal
from accounts.errors import conflict, forbidden, invalid, not_found
from accounts.services import event_record
from marketplace.models import ListingStatus, Unit

from . import copy_write, notifications, plan, report_cache
from .models import (
    ACCEPTED_BY_ONE_SIDE_STATUSES,
    UNDECIDED_PROPOSAL_STATUSES,
    Deal,
    DeclinedBy,
    Delivery,
    MatchRun,
    Message,
    Proposal,
    ProposalOrigin,
    ProposalStatus,
    ScheduleEvery,
    TermsRevision,
    TransportBy,
)
from .snapshot import flow_factors_for, impact_of

if TYPE_CHECKING:
    from accounts.models import User


S = ProposalStatus

# (status, action) → next status. Everything not listed is refused with a 409.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PROPOSED, "accept_offer"): S.ACCEPTED_BY_OFFER,
    (S.PROPOSED, "accept_need"): S.ACCEPTED_BY_NEED,
    (S.PROPOSED, "accept_both"): S.AGREED,
    (S.ACCEPTED_BY_NEED, "accept_offer"): S.AGREED,
    (S.ACCEPTED_BY_OFFER, "accept_need"): S.AGREED,
    (S.PROPOSED, "decline"): S.DECLINED,
    (S.ACCEPTED_BY_OFFER, "decline"): S.DECLINED,
    (S.ACCEPTED_BY_NEED, "decline"): S.DECLINED,
    (S.PROPOSED, "expire"): S.EXPIRED,
    (S.ACCEPTED_BY_OFFER, "expire"): S.EXPIRED,
    (S.ACCEPTED_BY_NEED, "expire"): S.EXPIRED,
    # New terms accept them for the author's side and clear the other side's acceptance.
    (S.PROPOSED, "terms_offer"): S.ACCEPTED_BY_OFFER,
    (S.ACCEPTED_BY_OFFER, "terms_offer"): S.ACCEPTED_BY_OFFER,
    (S.ACCEPTED_BY_NEED, "terms_offer"): S.ACCEPTED_BY_OFFER,
    (S.PROPOSED, "terms_need"): S.ACCEPTED_BY_NEED,
    (S.ACCEPTED_BY_NEED, "terms_need"): S.ACCEPTED_BY_NEED,
    (S.ACCEPTED_BY_OFFER, "terms_need"): S.ACCEPTED_BY_NEED,
    # A member of both parties who proposes terms accepts them for both.
    (S.PROPOSED, "terms_both"): S.AGREED,
    (S.ACCEPTED_BY_OFFER, "terms_both"): S.AGREED,
    (S.ACCEPTED_BY_NEED, "terms_both"): S.AGREED,
}

MAX_DELIVERY_T = Decimal("1000000")
MAX_DELIVERY_PIECES = Decimal("100000000")
#: A re-proposed flow is "unchanged" when its quantity differs by at most this share.
KEEP_TOLERANCE = Decimal("0.01")
_MASS_QUANTUM = Decimal("0.001")


def response_window() -> timedelta:
    """How long the other side has after the first acceptance (``MATCHING_RESPONSE_DAYS``)."""
    return timedelta(days=settings.MATCHING_RESPONSE_DAYS)


def _sides(user, proposal: Proposal) -> tuple[bool, bool]:
    orgs = member_organisation_ids(user)
    return proposal.offer.organisation_id in orgs, proposal.need.organisation_id in orgs


def _transition(proposal: Proposal, action: str, *, target: str | None = "", **fields: Any) -> Proposal:
    """Apply one transition as a conditional update, so two concurrent decisions cannot both win.

    The update is conditional on the status *and* the terms revision read: an acceptance racing
    new terms (which may leave the status as it was) loses, and so do two new terms at once.
    ``target`` overrides the transition table (``None``: refused); a storage yard's acceptance
    may keep the status as it is (issue 13).
    """
    if target == "":
        target = TRANSITIONS.get((proposal.status, action))
    if target is None:
        raise conflict(
            _("This proposal is %(status)s; it cannot change now.")
            % {"status": str(proposal.get_status_display()).lower()},
            status=proposal.status,
        )
    if not Proposal.objects.filter(
        pk=proposal.pk, status=proposal.status, terms_number=proposal.terms_number
    ).update(status=target, **fields):
        proposal.refresh_from_db()
        raise conflict(_("Someone decided this proposal a moment ago; reload it."), status=proposal.status)
    report_cache.bump()
    proposal.refresh_from_db()
    return proposal


def is_storage_side(user, proposal: Proposal) -> bool:
    """The actor speaks for the yard a flow goes through (when its owner must accept it): it may
    accept and decline that flow (``matching.decisions`` shows the buttons)."""
    storage = proposal.via_storage
    return (
        storage is not None
        and proposal.needs_storage_acceptance
        and (storage.organisation_id in member_organisation_ids(user))
    )


def _require_listings_active(proposal: Proposal) -> None:
    for listing in (proposal.offer, proposal.need):
        if listing.status != ListingStatus.ACTIVE:
            raise conflict(_("One of the listings is no longer active; this proposal cannot become a deal."))
    if proposal.via_storage is not None and proposal.via_storage.status != ListingStatus.ACTIVE:
        raise conflict(_("The storage yard is no longer active; this proposal cannot become a deal."))


@transaction.atomic
def proposal_accept(*, proposal: Proposal, actor: User) -> Proposal:
    """Accept for the side(s) the actor belongs to. Both sides' accepts make it a deal — and, for a
    flow through a storage yard that does not accept automatically, the yard owner's too (issue 13):
    until the owner accepts, a proposal both parties accepted stays ``accepted_by_offer`` or
    ``accepted_by_need`` with both acceptance times set, waiting for ``"yard"``."""
    if proposal.via_storage_id is not None:
        # Three acceptances: lock the row so that the last one always sees the other two.
        list(Proposal.objects.select_for_update().filter(pk=proposal.pk).values_list("pk", flat=True))
        proposal.refresh_from_db()
    offer_side, need_side = _sides(actor, proposal)
    storage_side = is_storage_side(actor, proposal) and proposal.storage_accepted_at is None
    if not (offer_side or need_side or storage_side):
        if is_storage_side(actor, proposal):
            raise conflict(_("The storage yard has accepted this proposal already."), status=proposal.status)
        raise forbidden(_("Only the two parties can accept a proposal."))
    now = timezone.now()
    overdue = proposal.respond_by is not None and proposal.respond_by <= now
    if proposal.status in ACCEPTED_BY_ONE_SIDE_STATUSES and overdue:
        raise conflict(
            _("The time to respond to this proposal ran out on %(date)s; it has expired.")
            % {"date": formats.date_format(timezone.localtime(proposal.respond_by), "DATETIME_FORMAT")},
            status=proposal.status,
        )
    fields: dict[str, Any] = {}
    if storage_side:
        fields["storage_accepted_at"] = now
    storage_done = (
        not proposal.needs_storage_acceptance or proposal.storage_accepted_at is not None or storage_side
    )
    target: str | None
    if offer_side or need_side:
        if offer_side and need_side:
            action = "accept_both"
            fields.update(offer_accepted_at=now, need_accepted_at=now)
        elif offer_side:
            action = "accept_offer"
            fields["offer_accepted_at"] = now
        else:
            action = "accept_need"
            fields["need_accepted_at"] = now
        target = TRANSITIONS.get((proposal.status, action))
        if target == S.AGREED and not storage_done:
            # Both parties said yes; the yard's owner has not: hold the proposal as it is.
            target = S.ACCEPTED_BY_OFFER if proposal.status == S.PROPOSED else proposal.status
    else:
        action = "accept_storage"
        both = proposal.offer_accepted_at is not None and proposal.need_accepted_at is not None
        if proposal.status in ACCEPTED_BY_ONE_SIDE_STATUSES and both:
            target = S.AGREED
        elif proposal.status in UNDECIDED_PROPOSAL_STATUSES:
            target = proposal.status
        else:
            target = None
    if target == S.AGREED:
        _require_listings_active(proposal)
        fields["decided_at"] = now
    elif proposal.status == S.PROPOSED and target != S.PROPOSED:
        # The first acceptance opens the other side's response window.
        fields["respond_by"] = now + response_window()
    proposal = _transition(proposal, action, target=target, **fields)
    if offer_side:
        organisation = proposal.offer.organisation
    elif need_side:
        organisation = proposal.need.organisation
    else:
        assert proposal.via_storage is not None  # storage_side
        organisation = proposal.via_storage.organisation
    event_record(
        actor=actor,
        action=f"proposal.{action}",
        obj=proposal,
        organisation=organisation,
        data={"status": proposal.status, **({"storage": proposal.via_storage_id} if storage_side else {})},
    )
    if storage_side and action != "accept_storage" and proposal.via_storage is not None:
        event_record(
            actor=actor,
            action="proposal.accept_storage",
            obj=proposal,
            organisation=proposal.via_storage.organisation,
            data={"status": proposal.status, "storage": proposal.via_storage_id},
        )
    if proposal.status == S.AGREED:
        deal = _deal_create(proposal, actor)
        notifications.deal_agreed_on_commit(deal_id=deal.pk)
    return proposal


@transaction.atomic
def proposal_decline(*, proposal: Proposal, actor: User, reason: str = "") -> Proposal:
    """Either side declines: the pair is never proposed again, direct or through any yard. The
    owner of the yard a flow goes through (when it must accept it, issue 13) may decline too:
    then only that flow through that yard is not proposed again. ``declined_by`` records which
    (a member of a party and of the yard declines as the party)."""
    offer_side, need_side = _sides(actor, proposal)
    storage_side = not (offer_side or need_side) and is_storage_side(actor, proposal)
    if not (offer_side or need_side or storage_side):
        if proposal.needs_storage_acceptance:
            raise forbidden(_("Only the two parties or the storage yard's owner can decline this proposal."))
        raise forbidden(_("Only the two parties can decline a proposal."))
    if offer_side:
        declined_by, organisation = DeclinedBy.SUPPLIER, proposal.offer.organisation
    elif need_side:
        declined_by, organisation = DeclinedBy.RECEIVER, proposal.need.organisation
    else:
        assert proposal.via_storage is not None  # storage_side
        declined_by, organisation = DeclinedBy.YARD, proposal.via_storage.organisation
    proposal = _transition(proposal, "decline", decided_at=timezone.now(), declined_by=declined_by)
    event_record(
        actor=actor,
        action="proposal.declined",
        obj=proposal,
        organisation=organisation,
        data={
            "reason": (reason or "")[:500],
            **({"storage": proposal.via_storage_id} if storage_side else {}),
        },
    )
    return proposal


def terms_mass_t(proposal: Proposal, quantity: Decimal) -> Decimal:
    """The mass of ``quantity`` in the proposal's unit (pieces × mass per piece, to 1 kg)."""
    if proposal.unit != Unit.PIECE:
        return quantity
    if quantity == proposal.quantity:
        return proposal.mass_t
    per_piece = proposal.material.mass_per_piece_t or (proposal.mass_t / proposal.quantity)
    return max((quantity * per_piece).quantize(_MASS_QUANTUM, rounding=ROUND_HALF_EVEN), _MASS_QUANTUM)


def _deal_create(proposal: Proposal, actor) -> Deal:
    """The deal of an agreed proposal: its current terms' quantity (the proposal's without terms),
    the impact recomputed for that mass from the proposal's own factor set."""
    terms = proposal.current_terms
    quantity = terms.quantity if terms is not None else proposal.quantity
    mass_t = terms_mass_t(proposal, quantity)
    if mass_t == proposal.mass_t:
        impact = proposal.impact_dict()
    else:
        impact = impact_of(
            mass_t=mass_t,
            distance_km=proposal.distance_km,
            current_destination=proposal.current_destination,
            factors=flow_factors_for(
                proposal.factor_set.factors.filter(material=proposal.material).first(), proposal.factor_set
            ),
            # the yard's handling as the run counted it (not the yard's factor of today)
            handling_kg_co2e_per_t=proposal.storage_handling_kg_co2e_per_t,
        ).as_dict()
    deal = Deal.objects.create(
        proposal=proposal,
        terms=terms,
        offer=proposal.offer,
        need=proposal.need,
        material=proposal.material,
        quantity=quantity,
        unit=proposal.unit,
        mass_t=mass_t,
        distance_km=proposal.distance_km,
        current_destination=proposal.current_destination,
        factor_set=proposal.factor_set,
        storage_handling_kg_co2e_per_t=proposal.storage_handling_kg_co2e_per_t,
        agreed_at=timezone.now(),
        **impact,
    )
    for org in {proposal.offer.organisation, proposal.need.organisation}:
        event_record(
            actor=actor,
            action="deal.agreed",
            obj=deal,
            organisation=org,
            data={"proposal": proposal.pk, "mass_t": str(deal.mass_t)},
        )
    return deal


# --- Terms ------------------------------------------------------------------------------------

MAX_PRICE_KZT = Decimal("1000000000000")


def _clean_terms_quantity(proposal: Proposal, value: Any) -> Decimal:
    quantity = clean_decimal("quantity", value, positive=False)
    if quantity <= 0:
        raise invalid("quantity", _("Must be greater than zero."))
    if quantity > proposal.quantity:
        raise invalid(
            "quantity",
            _("At most the proposal's quantity, %(max)s.") % {"max": f"{proposal.quantity.normalize():f}"},
        )
    if proposal.unit == Unit.PIECE:
        if quantity != quantity.to_integral_value():
            raise invalid("quantity", _("Pieces are counted in whole numbers."))
        return quantity.quantize(Decimal(1))
    if quantity != quantity.quantize(_MASS_QUANTUM):
        raise invalid("quantity", _("Tonnes to the kilogram: at most three decimal places."))
    return quantity.quantize(_MASS_QUANTUM)


def _clean_price(value: Any) -> Decimal:
    price = clean_decimal("price_per_unit_kzt", value, positive=False)
    if abs(price) >= MAX_PRICE_KZT:
        raise invalid("price_per_unit_kzt", _("Less than one trillion KZT per unit, either way."))
    if price != price.quantize(Decimal("0.01")):
        raise invalid("price_per_unit_kzt", _("At most two decimal places (tiyn)."))
    return price.quantize(Decimal("0.01"))


def _clean_date(field: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise invalid(field, _("A date is required (YYYY-MM-DD).")) from None


def _in_window(day: date, listing) -> bool:
    return (listing.available_from is None or listing.available_from <= day) and (
        listing.available_until is None or day <= listing.available_until
    )


def _clean_schedule(proposal: Proposal, value: Any) -> tuple[str, date | None, date | None]:
    """``(every, start, end)``, or ``("", None, None)`` without a schedule. For ``once`` the end
    may be left out (it is the start)."""
    if value is None:
        return "", None, None
    if not isinstance(value, dict):
        raise invalid("schedule", _("An object {every, start, end} is required."))
    unknown = sorted(set(value) - {"every", "start", "end"})
    if unknown:
        raise invalid(f"schedule.{unknown[0]}", _("Unknown field."))
    every = value.get("every")
    if every not in ScheduleEvery.values:
        raise invalid(
            "schedule.every", _("One of: %(choices)s.") % {"choices": ", ".join(ScheduleEvery.values)}
        )
    if value.get("start") in (None, ""):
        raise invalid("schedule.start", _("A date is required (YYYY-MM-DD)."))
    start = _clean_date("schedule.start", value["start"])
    if value.get("end") in (None, ""):
        if every != ScheduleEvery.ONCE:
            raise invalid("schedule.end", _("A date is required (YYYY-MM-DD)."))
        end = start
    else:
        end = _clean_date("schedule.end", value["end"])
    if end < start:
        raise invalid("schedule.end", _("The schedule cannot end before it starts."))
    for field, day in (("schedule.start", start), ("schedule.end", end)):
        for listing, label in ((proposal.offer, _("offer's")), (proposal.need, _("need's"))):
            if not _in_window(day, listing):
                raise invalid(
                    field,
                    _("%(date)s is outside the %(listing)s availability window.")
                    % {"date": day.isoformat(), "listing": label},
                )
    if len(plan.schedule_dates(every=every, start=start, end=end)) > plan.MAX_PLAN_DATES:
        raise invalid(
            "schedule.end", _("At most %(max)s delivery dates in one plan.") % {"max": plan.MAX_PLAN_DATES}
        )
    return every, start, end


@transaction.atomic
def proposal_terms_propose(
    *,
    proposal: Proposal,
    actor,
    quantity: Any,
    price_per_unit_kzt: Any,
    transport_by: Any,
    schedule: Any = None,
) -> TermsRevision:
    """A party proposes terms: kept as a new revision, accepted for the author's side, the other
    side's acceptance cleared (one transition, conditional on the status and the revision read).

    The first acceptance of an undecided proposal opens the response window as an acceptance
    does; on a proposal one side has accepted, ``respond_by`` stays as it is (counted from the
    first acceptance) — new terms restart nothing else. Only the parties propose terms: the
    municipality gets a 403 (everyone else has had a 404 from the access check).
    """
    offer_side, need_side = _sides(actor, proposal)
    if not (offer_side or need_side):
        raise forbidden(_("Only the two parties can propose terms."))
    cleaned_quantity = _clean_terms_quantity(proposal, quantity)
    price = _clean_price(price_per_unit_kzt)
    if transport_by not in TransportBy.values:
        raise invalid("transport_by", _("One of: %(choices)s.") % {"choices": ", ".join(TransportBy.values)})
    every, start, end = _clean_schedule(proposal, schedule)
    now = timezone.now()
    if (
        proposal.status in ACCEPTED_BY_ONE_SIDE_STATUSES
        and proposal.respond_by
        and proposal.respond_by <= now
    ):
        raise conflict(
            _("The time to respond to this proposal ran out on %(date)s; it has expired.")
            % {"date": formats.date_format(timezone.localtime(proposal.respond_by), "DATETIME_FORMAT")},
            status=proposal.status,
        )
    if offer_side and need_side:
        action = "terms_both"
        fields: dict[str, Any] = {"offer_accepted_at": now, "need_accepted_at": now}
    elif offer_side:
        action, fields = "terms_offer", {"offer_accepted_at": now, "need_accepted_at": None}
    else:
        action, fields = "terms_need", {"need_accepted_at": now, "offer_accepted_at": None}
    target = TRANSITIONS.get((proposal.status, action))
    if target == S.AGREED and proposal.needs_storage_acceptance and proposal.storage_accepted_at is None:
        target = S.ACCEPTED_BY_OFFER  # both parties agree; the storage yard's owner has yet to accept
    if target == S.AGREED:
        _require_listings_active(proposal)
        fields["decided_at"] = now
    if proposal.status == S.PROPOSED:
        fields["respond_by"] = now + response_window()
    number = proposal.terms_number + 1
    organisation = proposal.offer.organisation if offer_side else proposal.need.organisation
    proposal = _transition(proposal, action, target=target, terms_number=number, **fields)
    revision = TermsRevision.objects.create(
        proposal=proposal,
        number=number,
        author=actor,
        organisation=organisation,
        quantity=cleaned_quantity,
        price_per_unit_kzt=price,
        transport_by=transport_by,
        schedule_every=every,
        schedule_start=start,
        schedule_end=end,
    )
    # The thread shows it ("terms proposed by X: …"), in order with the messages.
    message = Message.objects.create(
        proposal=proposal, author=actor, organisation=organisation, terms=revision
    )
    from .conversations import thread_mark_read

    thread_mark_read(user=actor, proposal=proposal, up_to=message.pk)
    event_record(
        actor=actor,
        action="proposal.terms_proposed",
        obj=proposal,
        organisation=organisation,
        data={
            "number": number,
            "quantity": str(cleaned_quantity),
            "price_per_unit_kzt": str(price),
            "transport_by": transport_by,
            "schedule": None if not every else {"every": every, "start": str(start), "end": str(end)},
            "status": proposal.status,
        },
    )
    if proposal.status == S.AGREED:
        deal = _deal_create(proposal, actor)
        notifications.deal_agreed_on_commit(deal_id=deal.pk)
    return revision


def delivery_tolerance() -> Decimal:
    return Decimal(str(settings.DELIVERY_TOLERANCE))


def _clean_amount(field: str, value: Any, *, pieces: bool) -> Decimal:
    """A positive, finite delivered amount: whole pieces, or tonnes to the kilogram."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise invalid(field, _("A number is required."))
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(field, _("A finite number is required."))
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("A number is required.")) from None
    if not amount.is_finite():
        raise invalid(field, _("A finite number is required."))
    if amount <= 0:
        raise invalid(field, _("Must be greater than zero."))
    if pieces:
        if amount != amount.to_integral_value():
            raise invalid(field, _("Pieces are counted in whole numbers."))
        if amount > MAX_DELIVERY_PIECES:
            raise invalid(field, _("At most %(max)s pieces in one delivery.") % {"max": MAX_DELIVERY_PIECES})
        return amount.quantize(Decimal(1))
    if amount > MAX_DELIVERY_T:
        raise invalid(field, _("At most %(max)s t in one delivery.") % {"max": MAX_DELIVERY_T})
    rounded = amount.quantize(_MASS_QUANTUM, rounding=ROUND_HALF_EVEN)
    if rounded <= 0:
        raise invalid(field, _("Must be at least 0.001 t."))
    return rounded


def delivery_amount(*, deal: Deal, quantity: Any = None, mass_t: Any = None) -> Decimal:
    """The delivered amount in the deal's unit, from ``quantity`` (that unit) or ``mass_t`` (bulk).

    A piece deal takes whole pieces as ``quantity`` only; a bulk deal takes tonnes as either
    (both, if they agree). Raises ``invalid`` naming the field at fault.
    """
    pieces = deal.unit == Unit.PIECE
    if quantity is None and mass_t is None:
        raise invalid("quantity", _("Give the delivered quantity (or, for bulk deals, mass_t)."))
    if pieces:
        if mass_t is not None:
            raise invalid(
                "mass_t", _("This deal is counted in pieces: give quantity, the number of pieces delivered.")
            )
        return _clean_amount("quantity", quantity, pieces=True)
    if quantity is None:
        return _clean_amount("mass_t", mass_t, pieces=False)
    amount = _clean_amount("quantity", quantity, pieces=False)
    if mass_t is not None and _clean_amount("mass_t", mass_t, pieces=False) != amount:
        raise invalid("mass_t", _("quantity and mass_t disagree; this deal is in tonnes, give one of them."))
    return amount


def _mass_per_piece(deal: Deal) -> Decimal:
    return deal.material.mass_per_piece_t or (deal.mass_t / deal.quantity)


def delivered_limit(deal: Deal) -> Decimal:
    """The most that may be delivered in all, in the deal's unit: agreed plus the tolerance."""
    limit = deal.quantity * (1 + delivery_tolerance())
    if deal.unit == Unit.PIECE:
        return limit.to_integral_value(rounding="ROUND_FLOOR")
    return limit.quantize(_MASS_QUANTUM)


@transaction.atomic
def delivery_record(
    *, deal: Deal, actor: User, date: date, quantity: Any = None, mass_t: Any = None
) -> Delivery:
    """Append a delivery (either party), stated in the deal's unit: ``quantity`` (pieces for a
    piece deal, tonnes for bulk) or, for bulk, ``mass_t``. Refused beyond the agreed amount plus
    the tolerance (``DELIVERY_TOLERANCE``)."""
    if not set(member_organisation_ids(actor)) & {deal.offer.organisation_id, deal.need.organisation_id}:
        if is_authority(actor):  # the municipality sees every deal, but records no delivery
            raise forbidden(_("Only the two parties record deliveries."))
        raise not_found()
    amount = delivery_amount(deal=deal, quantity=quantity, mass_t=mass_t)
    if date > timezone.localdate():
        raise invalid("date", _("A delivery cannot be in the future."))
    if date < deal.agreed_at.date() - timedelta(days=366):
        raise invalid("date", _("This date is long before the deal was agreed."))
    # Serialise deliveries of one deal, so two at once cannot both squeeze under the limit.
    locked = Deal.objects.select_for_update().select_related("material", "factor_set").get(pk=deal.pk)
    pieces = locked.unit == Unit.PIECE
    field = "quantity" if pieces or quantity is not None else "mass_t"
    limit = delivered_limit(locked)
    total = locked.delivered_quantity + amount
    if total > limit:
        unit = _("pieces") if pieces else _("t")
        raise invalid(
            field,
            _(
                "Deliveries would total %(total)s %(unit)s, beyond the agreed %(agreed)s %(unit)s "
                "plus %(tolerance)s %% tolerance."
            )
            % {
                "total": f"{total.normalize():f}",
                "unit": unit,
                "agreed": f"{locked.quantity.normalize():f}",
                "tolerance": f"{delivery_tolerance() * 100:.0f}",
            },
        )
    if pieces:
        # Weighed cumulatively, so the deal's delivered mass is its delivered pieces' mass exactly.
        total_mass = (total * _mass_per_piece(locked)).quantize(_MASS_QUANTUM, rounding=ROUND_HALF_EVEN)
        mass = max(total_mass - locked.delivered_t, Decimal(0))
    else:
        mass = amount
    impact = impact_of(
        mass_t=mass,
        distance_km=locked.distance_km,
        current_destination=locked.current_destination,
        factors=flow_factors_for(
            locked.factor_set.factors.filter(material=locked.material).first(), locked.factor_set
        ),
        handling_kg_co2e_per_t=locked.storage_handling_kg_co2e_per_t,
    )
    delivery = Delivery.objects.create(
        deal=locked, date=date, quantity=amount, mass_t=mass, recorded_by=actor, **impact.as_dict()
    )
    Deal.objects.filter(pk=locked.pk).update(delivered_t=locked.delivered_t + mass, delivered_quantity=total)
    report_cache.bump()
    deal.refresh_from_db()
    for org in {deal.offer.organisation, deal.need.organisation}:
        event_record(
            actor=actor,
            action="delivery.recorded",
            obj=delivery,
            organisation=org,
            data={
                "deal": deal.pk,
                "quantity": str(amount),
                "unit": deal.unit,
                "mass_t": str(mass),
                "date": date.isoformat(),
            },
        )
    return delivery


# --- Proposals across runs -------------------------------------------------------------------


def _expire(proposals: list[Proposal], *, now: datetime, reason: str, audit: bool) -> list[int]:
    """Expire these undecided proposals, locked by the caller; returns the ids expired.

    The update is still conditional on the status read, so a decision that got in first wins.
    """
    expired: list[int] = []
    by_status: dict[str, list[int]] = {}
    for proposal in proposals:
        by_status.setdefault(proposal.status, []).append(proposal.pk)
    for status, ids in by_status.items():
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            Proposal.objects.filter(pk__in=batch, status=status).update(status=S.EXPIRED, decided_at=now)
            report_cache.bump()
            expired += Proposal.objects.filter(pk__in=batch, status=S.EXPIRED, decided_at=now).values_list(
                "pk", flat=True
            )
    if audit:
        done = set(expired)
        for proposal in proposals:
            if proposal.pk not in done:
                continue
            for org in {proposal.offer.organisation, proposal.need.organisation}:
                event_record(
                    actor=None,
                    action="proposal.expired",
                    obj=proposal,
                    organisation=org,
                    data={"reason": reason, "was": proposal.status},
                )
    return sorted(expired)


@transaction.atomic
def proposals_expire_overdue(*, now: datetime | None = None) -> list[int]:
    """Expire proposals one side accepted whose response window has passed; tell both sides.

    Returns the ids expired. Safe to run at any time and concurrently (conditional updates).
    """
    now = now or timezone.now()
    overdue = list(
        Proposal.objects.select_for_update()
        .filter(status__in=ACCEPTED_BY_ONE_SIDE_STATUSES, respond_by__lte=now)
        .order_by("id")
    )
    if not overdue:
        return []
    overdue = list(
        Proposal.objects.select_related("offer__organisation", "need__organisation")
        .filter(pk__in=[p.pk for p in overdue])
        .order_by("id")
    )
    expired = _expire(overdue, now=now, reason="response window passed", audit=True)
    if expired:
        transaction.on_commit(lambda: notifications.proposals_expired(proposal_ids=expired))
    return expired


def _unchanged(old: Proposal, new: Proposal) -> bool:
    """Same flow (the caller's key: offer, need, yard), unit and factor set, and a quantity within
    KEEP_TOLERANCE.

    A new factor set makes every flow new: its figures mean something else, and a stored
    impact keeps the factor-set version it was computed with.
    """
    return (
        old.unit == new.unit
        and old.factor_set_id == new.factor_set_id
        # Through another storage yard (or none) it is another flow, with another party to accept.
        and old.via_storage_id == new.via_storage_id
        and abs(new.quantity - old.quantity) <= KEEP_TOLERANCE * old.quantity
    )


#: What a kept proposal takes from the run that makes it again: the run and that run's figures.
KEPT_FIELDS = (
    "run",
    "quantity",
    "mass_t",
    "distance_km",
    "current_destination",
    "schedule",
    "storage_schedule",
    "storage_handling_kg_co2e_per_t",
    *Proposal.IMPACT_KEYS,
)


def proposals_supersede(*, run: MatchRun, proposals: Iterable[Proposal]) -> dict[str, int]:
    """Put a run's answer in place of the earlier undecided proposals (inside the run's write).

    ``proposals`` are the run's flows as unsaved proposals. For each earlier undecided proposal:

    - accepted by one side: kept as it is (the run reserved its quantity and left its pair out;
      a flow for the pair, possible only if the acceptance raced the solve, is dropped);
    - proposed, and the run makes it again unchanged (:func:`_unchanged`): kept, moved to this
      run with this run's figures (the same factor set; the quantity within 1 %);
    - otherwise: expired (a changed flow comes back as a new proposal).

    Returns counts for the run's statistics.
    """
    now = timezone.now()
    expired = len(proposals_expire_overdue(now=now))
    # Lock the earlier undecided proposals, so that no acceptance slips in between read and write.
    open_now = (
        Proposal.objects.select_for_update()
        .filter(status__in=UNDECIDED_PROPOSAL_STATUSES)
        .exclude(run=run)
        .order_by("id")
    )
    # A direct request is the parties' own: a run never expires or replaces it, and (while it
    # waits for the other side) the snapshot has left its pair out like any accepted proposal.
    # A pair may have a proposal direct and one through each yard (issue 13): undecided ones are
    # matched by (offer, need, yard), so none of them is lost from sight (kept or expired).
    awaiting: set[tuple[int, int]] = set()
    proposed: dict[tuple[int, int, int | None], Proposal] = {}
    for current in open_now:
        pair = (current.offer_id, current.need_id)
        if current.origin == ProposalOrigin.REQUEST or current.status in ACCEPTED_BY_ONE_SIDE_STATUSES:
            awaiting.add(pair)
        else:
            proposed[(*pair, current.via_storage_id)] = current
    created: list[Proposal] = []
    kept: list[Proposal] = []
    refigured: list[Proposal] = []  # kept, with figures that changed (most keep theirs exactly)
    for new in proposals:
        pair = (new.offer_id, new.need_id)
        if pair in awaiting:
            continue
        flow = (*pair, new.via_storage_id)
        old = proposed.get(flow)
        if old is not None and _unchanged(old, new):
            if any(getattr(old, name) != getattr(new, name) for name in KEPT_FIELDS if name != "run"):
                for name in KEPT_FIELDS:
                    setattr(old, name, getattr(new, name))
                refigured.append(old)
            old.run = run
            kept.append(proposed.pop(flow))
            continue
        new.run = run
        new.first_run = run
        created.append(new)
    expired += len(_expire(list(proposed.values()), now=now, reason="superseded", audit=False))
    # bulk_update writes a CASE per field and row: one plain UPDATE moves the unchanged ones.
    kept_ids = [p.pk for p in kept]
    for start in range(0, len(kept_ids), 5000):  # SQLite bounds the parameters of one statement
        Proposal.objects.filter(pk__in=kept_ids[start : start + 5000]).update(run=run)
    if refigured:
        Proposal.objects.bulk_update(refigured, list(KEPT_FIELDS), batch_size=500)
    copy_write.proposals_insert(created)
    report_cache.bump()
    return {
        "new_proposals": len(created),
        "kept_proposals": len(kept),
        "awaiting_proposals": len(awaiting),
        "expired_proposals": expired,
    }


# --- Delivery plans ----------------------------------------------------------------------------


def deal_plan(*, deal: Deal, today: date | None = None) -> list[plan.PlanRow] | None:
    """The deal's delivery plan against its deliveries (``matching.plan``), or ``None`` when its
    terms have no schedule (or it has no terms)."""
    terms = deal.terms
    if terms is None or not terms.has_schedule:
        # Issue 13: without an agreed schedule, the proposal's schedule (a run's periods) seeds
        # the plan, one delivery per period. A run with time_step none has one period, the
        # whole horizon: that is no delivery date, so it seeds nothing.
        schedule, run = deal.proposal.schedule, deal.proposal.run
        if not schedule or (run is not None and run.time_step == "none"):
            return None
        entries = plan.seeded_plan(
            schedule=[
                (date.fromisoformat(row["period_start"]), Decimal(row["quantity"])) for row in schedule
            ],
            quantity=deal.quantity,
            pieces=deal.unit == Unit.PIECE,
        )
        deliveries = [(d.date, d.quantity) for d in deal.deliveries.all()]
        return plan.plan_against(entries, deliveries, today=today or timezone.localdate())
    assert terms.schedule_start is not None and terms.schedule_end is not None  # has_schedule
    entries = plan.delivery_plan(
        quantity=deal.quantity,
        pieces=deal.unit == Unit.PIECE,
        every=terms.schedule_every,
        start=terms.schedule_start,
        end=terms.schedule_end,
    )
    deliveries = [(d.date, d.quantity) for d in deal.deliveries.all()]
    return plan.plan_against(entries, deliveries, today=today or timezone.localdate())


def deliveries_remind_overdue(*, today: date | None = None) -> list[int]:
    """Remind both parties of each overdue plan entry, once (a ``DeliveryReminder`` per entry).

    Safe to run concurrently: the reminder row's unique (deal, date) decides who sends. Returns
    the ids of the reminders created.
    """
    from .models import DeliveryReminder

    today = today or timezone.localdate()
    created: list[int] = []
    from django.db.models import Q

    agreed_schedule = (
        Q(terms__isnull=False) & ~Q(terms__schedule_every="") & Q(terms__schedule_start__lt=today)
    )
    # A plan seeded by the proposal's schedule (issue 13): deals without an agreed schedule.
    seeded = (Q(terms__isnull=True) | Q(terms__schedule_every="")) & ~Q(proposal__schedule=[])
    deals = (
        Deal.objects.filter(agreed_schedule | seeded)
        .select_related("terms", "proposal__run")
        .prefetch_related("deliveries")
        .order_by("id")
    )
    for deal in deals:
        reminded = set(deal.reminders.values_list("plan_date", flat=True))
        for row in deal_plan(deal=deal, today=today) or []:
            if not row.overdue or row.date in reminded:
                continue
            with transaction.atomic():
                reminder, new = DeliveryReminder.objects.get_or_create(
                    deal=deal,
                    plan_date=row.date,
                    defaults={
                        "planned_cumulative": row.cumulative,
                        "delivered_cumulative": sum((d.quantity for d in deal.deliveries.all()), Decimal(0)),
                    },
                )
                if new:
                    reminder_id = reminder.pk
                    transaction.on_commit(partial(notifications.delivery_overdue, reminder_id=reminder_id))
                    created.append(reminder.pk)
    return created
