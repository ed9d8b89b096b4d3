"""Access helpers for matching: another organisation's proposal or deal answers 404."""

from __future__ import annotations

from accounts.access import pk_or_404
from accounts.errors import not_found

from . import selectors
from .models import Deal, Proposal


def access_proposal(user, pk) -> Proposal:
    proposal = selectors.proposal_list_for(user=user).filter(pk=pk_or_404(pk)).first()
    if proposal is None:
        raise not_found()
    return proposal


def access_deal(user, pk) -> Deal:
    deal = selectors.deal_list_for(user=user).filter(pk=pk_or_404(pk)).first()
    if deal is None:
        raise not_found()
    return deal
