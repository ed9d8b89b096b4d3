"""Access helpers for matching: another organisation's proposal or deal answers 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.access import pk_or_404
from accounts.errors import not_found

from . import selectors
from .models import Deal, Proposal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def access_proposal(user: User | AnonymousUser, pk) -> Proposal:
    proposal = selectors.proposal_list_for(user=user).filter(pk=pk_or_404(pk)).first()
    if proposal is None:
        raise not_found()
    return proposal


def access_deal(user: User | AnonymousUser, pk) -> Deal:
    deal = selectors.deal_list_for(user=user).filter(pk=pk_or_404(pk)).first()
    if deal is None:
        raise not_found()
    return deal
