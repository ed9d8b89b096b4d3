"""What a person may decide on a proposal now, read from the one transition table.

The decision box (proposal page and inbox row) shows exactly the buttons whose action
``services.TRANSITIONS`` allows from the current status for the viewer's side(s), and says whom
the proposal still waits for and until when.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import member_organisation_ids

from .models import ACCEPTED_BY_ONE_SIDE_STATUSES, UNDECIDED_PROPOSAL_STATUSES, Proposal
from .services import TRANSITIONS, is_storage_side

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Decisions:
    """The viewer's possible decisions on one proposal and the sentence on whom it waits for."""

    can_accept: bool = False
    can_decline: bool = False
    is_party: bool = False
    #: the viewer decides for the storage yard the flow goes through (issue 13)
    for_yard: bool = False
    waiting: str = ""
    waiting_for: list = field(default_factory=list)


def accept_action(*, offer_side: bool, need_side: bool) -> str | None:
    """The transition-table action an acceptance by these sides is."""
    if offer_side and need_side:
        return "accept_both"
    if offer_side:
        return "accept_offer"
    if need_side:
        return "accept_need"
    return None


def waiting_sentence(proposal: Proposal) -> str:
    """ "waiting for X until DATE": the organisations still to decide, and the deadline if any."""
    waiting = proposal.waiting_for_organisations()
    if not waiting:
        return ""
    if proposal.respond_by:
        date = formats.date_format(timezone.localtime(proposal.respond_by), "SHORT_DATETIME_FORMAT")
        if len(waiting) == 2:
            return _("waiting for %(first)s and %(second)s until %(date)s") % {
                "first": waiting[0].name,
                "second": waiting[1].name,
                "date": date,
            }
        return _("waiting for %(org)s until %(date)s") % {"org": waiting[0].name, "date": date}
    if len(waiting) == 2:
        return _("waiting for %(first)s and %(second)s") % {
            "first": waiting[0].name,
            "second": waiting[1].name,
        }
    return _("waiting for %(org)s") % {"org": waiting[0].name}


def proposal_decisions_for(*, user, proposal: Proposal) -> Decisions:
    """The buttons ``user`` gets on ``proposal``: those the transition table allows now."""
    orgs = member_organisation_ids(user)
    offer_side = proposal.offer.organisation_id in orgs
    need_side = proposal.need.organisation_id in orgs
    action = accept_action(offer_side=offer_side, need_side=need_side)
    overdue = (
        proposal.status in ACCEPTED_BY_ONE_SIDE_STATUSES
        and proposal.respond_by is not None
        and proposal.respond_by <= timezone.now()
    )
    # the yard's owner accepts once, while the proposal is undecided (services.proposal_accept)
    # (a member of a party too accepts as the party, the yard's acceptance going with it)
    yard_side = is_storage_side(user, proposal)
    yard_accepts = (
        yard_side
        and not (offer_side or need_side)
        and proposal.storage_accepted_at is None
        and proposal.status in UNDECIDED_PROPOSAL_STATUSES
    )
    can_accept = (
        (action is not None and (proposal.status, action) in TRANSITIONS) or yard_accepts
    ) and not overdue
    can_decline = (offer_side or need_side or yard_side) and (proposal.status, "decline") in TRANSITIONS
    return Decisions(
        can_accept=can_accept,
        can_decline=can_decline,
        is_party=offer_side or need_side,
        for_yard=yard_side and not (offer_side or need_side),
        waiting=waiting_sentence(proposal),
        waiting_for=proposal.waiting_for_organisations(),
    )
