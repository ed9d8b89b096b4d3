"""In-app notifications: what needs a company's attention, derived from the data itself.

Nothing is stored twice: the feed is computed from proposals, deals and deliveries, so it can
never disagree with them. (Emails, sent when these things happen, are in ``notifications``.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import member_organisation_ids

from .models import UNDECIDED_PROPOSAL_STATUSES, Deal, Delivery, Proposal, ProposalStatus
from .notice import Notice
from .selectors import party_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


RECENT_DAYS = 30


def in_unit(quantity, unit: str) -> str:
    from .templatetags.matching_tags import in_unit as shown

    return shown(quantity, unit)


def awaiting_my_decision(orgs: set[int]):
    """Proposals on which my side has not decided yet (and still can: the window is open)."""
    mine_offer = Q(offer__organisation_id__in=orgs) & Q(
        status__in=[ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED_BY_NEED]
    )
    mine_need = Q(need__organisation_id__in=orgs) & Q(
        status__in=[ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED_BY_OFFER]
    )
    # the owner of the yard a flow goes through, until it accepts (issue 13)
    mine_yard = Q(
        via_storage__organisation_id__in=orgs,
        via_storage__accept_automatically=False,
        storage_accepted_at__isnull=True,
        status__in=UNDECIDED_PROPOSAL_STATUSES,
    )
    open_window = Q(respond_by__isnull=True) | Q(respond_by__gt=timezone.now())
    return Proposal.objects.filter(mine_offer | mine_need | mine_yard).filter(open_window)


def _yard_notice(p: Proposal, inbox: str) -> Notice:
    """A flow through the viewer's storage yard that waits for the yard's acceptance."""
    assert p.via_storage is not None  # awaiting_my_decision: only flows through my yards
    text = _(
        "New flow through your storage yard at %(site)s: %(mass)s t of %(material)s "
        "from %(supplier)s to %(receiver)s; accept or decline it."
    ) % {
        "site": p.via_storage.site.name,
        "mass": f"{p.mass_t.normalize():f}",
        "material": p.material.name,
        "supplier": p.offer.organisation.name,
        "receiver": p.need.organisation.name,
    }
    return Notice(when=p.created_at, text=text, url=inbox, needs_action=True)


def action_count(user: User | AnonymousUser) -> int:
    orgs = member_organisation_ids(user)
    return awaiting_my_decision(orgs).count() if orgs else 0


def feed_for(user: User, *, limit: int = 50) -> list[Notice]:
    """Newest first: counterpart accepts waiting for me, new proposals, new deals, deliveries."""
    orgs = member_organisation_ids(user)
    if not orgs:
        return []
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    notices: list[Notice] = []
    inbox = reverse("matching:proposals")
    waiting = awaiting_my_decision(orgs).select_related(
        "offer__organisation", "need__organisation", "material", "via_storage__site"
    )
    for p in waiting.order_by("-created_at")[:limit]:
        if p.offer.organisation_id not in orgs and p.need.organisation_id not in orgs:
            notices.append(_yard_notice(p, inbox))
            continue
        other = p.need.organisation if p.offer.organisation_id in orgs else p.offer.organisation
        accepted_by_other = p.status != ProposalStatus.PROPOSED
        text = (
            _(
                "%(org)s accepted the proposal for %(mass)s t of %(material)s; "
                "your decision completes the deal."
            )
            if accepted_by_other
            else _("New proposal: %(mass)s t of %(material)s with %(org)s.")
        )
        text %= {"org": other.name, "mass": f"{p.mass_t.normalize():f}", "material": p.material.name}
        if accepted_by_other and p.respond_by:
            text += " " + _("Decide by %(date)s, or it expires.") % {
                "date": formats.date_format(timezone.localtime(p.respond_by), "SHORT_DATETIME_FORMAT")
            }
        notices.append(
            Notice(
                when=p.offer_accepted_at or p.need_accepted_at or p.created_at,
                text=text,
                url=inbox,
                needs_action=True,
            )
        )
    expired = (
        Proposal.objects.filter(party_q(orgs), status=ProposalStatus.EXPIRED, decided_at__gte=since)
        .filter(Q(offer_accepted_at__isnull=False) | Q(need_accepted_at__isnull=False))
        .select_related("offer__organisation", "need__organisation", "material")
    )
    for p in expired.order_by("-decided_at")[:limit]:
        assert p.decided_at is not None  # filtered on decided_at__gte
        other = p.need.organisation if p.offer.organisation_id in orgs else p.offer.organisation
        notices.append(
            Notice(
                when=p.decided_at,
                text=_(
                    "The proposal for %(mass)s t of %(material)s with %(org)s expired: "
                    "the time to respond ran out before both sides accepted."
                )
                % {"org": other.name, "mass": f"{p.mass_t.normalize():f}", "material": p.material.name},
                url=f"{inbox}?status=expired",
                needs_action=False,
            )
        )
    for d in (
        Deal.objects.filter(party_q(orgs), agreed_at__gte=since)
        .select_related("material")
        .order_by("-agreed_at")[:limit]
    ):
        notices.append(
            Notice(
                when=d.agreed_at,
                text=_("Deal #%(id)d agreed: %(mass)s t of %(material)s.")
                % {"id": d.pk, "mass": f"{d.mass_t.normalize():f}", "material": d.material.name},
                url=reverse("matching:deal", args=[d.pk]),
                needs_action=False,
            )
        )
    deliveries = (
        Delivery.objects.filter(party_q(orgs, "deal__"), created_at__gte=since)
        .exclude(recorded_by=user)
        .select_related("deal")
    )
    for v in deliveries.order_by("-created_at")[:limit]:
        notices.append(
            Notice(
                when=v.created_at,
                text=_("Delivery of %(mass)s t recorded on deal #%(id)d.")
                % {"mass": f"{v.mass_t.normalize():f}", "id": v.deal_id},
                url=reverse("matching:deal", args=[v.deal_id]),
                needs_action=False,
            )
        )
    from .models import DeliveryReminder

    for r in (
        DeliveryReminder.objects.filter(party_q(orgs, "deal__"), sent_at__gte=since)
        .select_related("deal")
        .order_by("-sent_at")[:limit]
    ):
        notices.append(
            Notice(
                when=r.sent_at,
                text=_(
                    "A planned delivery on deal #%(id)d is overdue: %(planned)s planned by %(date)s, "
                    "%(delivered)s delivered."
                )
                % {
                    "id": r.deal_id,
                    "planned": in_unit(r.planned_cumulative, r.deal.unit),
                    "delivered": in_unit(r.delivered_cumulative, r.deal.unit),
                    "date": formats.date_format(r.plan_date, "SHORT_DATE_FORMAT"),
                },
                url=reverse("matching:deal", args=[r.deal_id]) + "#plan",
                needs_action=True,
            )
        )
    from .conversations import message_notices

    notices.extend(message_notices(user=user, since=since, limit=limit))
    return sorted(notices, key=lambda n: n.when, reverse=True)[:limit]
