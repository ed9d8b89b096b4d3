"""Scoped reads for accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .access import is_authority, member_organisation_ids, visible_organisations
from .models import Event, Organisation, Site

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def organisation_list_for(*, user: User | AnonymousUser) -> QuerySet[Organisation]:
    return visible_organisations(user).order_by("name", "id")


def site_list_for(*, user: User | AnonymousUser) -> QuerySet[Site]:
    """Only the user's own organisations' sites (the authority reads others' through listings)."""
    return Site.objects.filter(organisation_id__in=member_organisation_ids(user)).select_related(
        "organisation"
    )


def verification_queue() -> QuerySet[Organisation]:
    return Organisation.objects.filter(verified=False).order_by("created_at", "id")


def event_list_for(
    *, user: User | AnonymousUser, organisation: Organisation | None = None
) -> QuerySet[Event]:
    events = Event.objects.select_related("actor", "organisation")
    if is_authority(user):
        return events.filter(organisation=organisation) if organisation else events
    return events.filter(organisation_id__in=member_organisation_ids(user))
