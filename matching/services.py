"""Proposals, deals and deliveries: one transition table, conditional updates, audit events."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import member_organisation_ids
from accounts.errors import conflict, forbidden, invalid, not_found
from accounts.services import event_record
from marketplace.models import ListingStatus

from . import notifications
from .models import Deal, Delivery, Proposal, ProposalStatus
from .snapshot import flow_factors_for, impact_of

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
}

MAX_DELIVERY_T = Decimal("1000000")


def _sides(user, proposal: Proposal) -> tuple[bool, bool]:
    orgs = member_organisation_ids(user)
    return proposal.offer.organisation_id in orgs, proposal.need.organisation_id in orgs


def _transition(proposal: Proposal, action: str, **fields: Any) -> Proposal:
    """Apply one transition as a conditional update, so two concurrent decisions cannot both win."""
    target = TRANSITIONS.get((proposal.status, action))
    if target is None:
        raise conflict(
            f"This proposal is {proposal.get_status_display().lower()}; it cannot change now.",
            status=proposal.status,
        )
    if not Proposal.objects.filter(pk=proposal.pk, status=proposal.status).update(status=target, **fields):
        proposal.refresh_from_db()
        raise conflict("Someone decided this proposal a moment ago; reload it.", status=proposal.status)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def proposal_accept(*, proposal: Proposal, actor) -> Proposal:
    """Accept for the side(s) the actor belongs to. Both sides' accepts make it a deal."""
    offer_side, need_side = _sides(actor, proposal)
    if not (offer_side or need_side):
        raise forbidden("Only the two parties can accept a proposal.")
    now = timezone.now()
    if offer_side and need_side:
        action, fields = "accept_both", {"offer_accepted_at": now, "need_accepted_at": now}
    elif offer_side:
        action, fields = "accept_offer", {"offer_accepted_at": now}
    else:
        action, fields = "accept_need", {"need_accepted_at": now}
    if (proposal.status, action) in TRANSITIONS and TRANSITIONS[(proposal.status, action)] == S.AGREED:
        for listing in (proposal.offer, proposal.need):
            if listing.status != ListingStatus.ACTIVE:
                raise conflict("One of the listings is no longer active; this proposal cannot become a deal.")
        fields["decided_at"] = now
    proposal = _transition(proposal, action, **fields)
    event_record(
        actor=actor,
        action=f"proposal.{action}",
        obj=proposal,
        organisation=proposal.offer.organisation if offer_side else proposal.need.organisation,
        data={"status": proposal.status},
    )
    if proposal.status == S.AGREED:
        deal = _deal_create(proposal, actor)
        transaction.on_commit(lambda: notifications.deal_agreed(deal_id=deal.pk))
    return proposal


@transaction.atomic
def proposal_decline(*, proposal: Proposal, actor, reason: str = "") -> Proposal:
    """Either side declines; the pair is never proposed again."""
    offer_side, need_side = _sides(actor, proposal)
    if not (offer_side or need_side):
        raise forbidden("Only the two parties can decline a proposal.")
    proposal = _transition(proposal, "decline", decided_at=timezone.now())
    event_record(
        actor=actor,
        action="proposal.declined",
        obj=proposal,
        organisation=proposal.offer.organisation if offer_side else proposal.need.organisation,
        data={"reason": (reason or "")[:500]},
    )
    return proposal


def _deal_create(proposal: Proposal, actor) -> Deal:
    deal = Deal.objects.create(
        proposal=proposal,
        offer=proposal.offer,
        need=proposal.need,
        material=proposal.material,
        quantity=proposal.quantity,
        unit=proposal.unit,
        mass_t=proposal.mass_t,
        distance_km=proposal.distance_km,
        current_destination=proposal.current_destination,
        factor_set=proposal.factor_set,
        agreed_at=timezone.now(),
        **proposal.impact_dict(),
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


def delivery_tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "DELIVERY_TOLERANCE", 0.10)))


def _clean_mass(value: Any) -> Decimal:
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid("mass_t", "A finite number is required.")
    try:
        mass = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("mass_t", "A number is required.") from None
    if not mass.is_finite():
        raise invalid("mass_t", "A finite number is required.")
    if mass <= 0:
        raise invalid("mass_t", "Must be greater than zero.")
    if mass > MAX_DELIVERY_T:
        raise invalid("mass_t", f"At most {MAX_DELIVERY_T} t in one delivery.")
    return mass.quantize(Decimal("0.001"))


@transaction.atomic
def delivery_record(*, deal: Deal, actor, date: date, mass_t: Any) -> Delivery:
    """Append a delivery (either party). Refused beyond the agreed mass plus the tolerance."""
    if not set(member_organisation_ids(actor)) & {deal.offer.organisation_id, deal.need.organisation_id}:
        raise not_found()
    mass = _clean_mass(mass_t)
    if date > timezone.localdate():
        raise invalid("date", "A delivery cannot be in the future.")
    if date < deal.agreed_at.date() - timedelta(days=366):
        raise invalid("date", "This date is long before the deal was agreed.")
    # Serialise deliveries of one deal, so two at once cannot both squeeze under the limit.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    limit = (locked.mass_t * (1 + delivery_tolerance())).quantize(Decimal("0.001"))
    if locked.delivered_t + mass > limit:
        raise invalid(
            "mass_t",
            f"Deliveries would total {locked.delivered_t + mass} t, beyond the agreed "
            f"{locked.mass_t} t plus {delivery_tolerance() * 100:.0f} % tolerance.",
        )
    impact = impact_of(
        mass_t=mass,
        distance_km=locked.distance_km,
        current_destination=locked.current_destination,
        factors=flow_factors_for(
            locked.factor_set.factors.filter(material=locked.material).first(), locked.factor_set
        ),
    )
    delivery = Delivery.objects.create(
        deal=locked, date=date, mass_t=mass, recorded_by=actor, **impact.as_dict()
    )
    Deal.objects.filter(pk=locked.pk).update(delivered_t=locked.delivered_t + mass)
    deal.refresh_from_db()
    for org in {deal.offer.organisation, deal.need.organisation}:
        event_record(
            actor=actor,
            action="delivery.recorded",
            obj=delivery,
            organisation=org,
            data={"deal": deal.pk, "mass_t": str(mass), "date": date.isoformat()},
        )
    return delivery
