"""Access helpers: tenant data is reached only through these, never ``objects.get`` in a view.

Another organisation's private object answers exactly like a missing one (404), so ids do not
leak which objects exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import forbidden, invalid, not_found
from .models import Membership, Organisation, Site

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def int_or_none(value: Any) -> int | None:
    """An id or count from a URL, a query string or a form; ``None`` when it is not one.

    The one int parser of the pages and access helpers (:func:`pk_or_404` is built on it).
    """
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pk_or_404(value: Any) -> int:
    """An object id from a URL or a request; anything that is not one is simply not found."""
    pk = int_or_none(value)
    if pk is None:
        raise not_found()
    return pk


def member_organisation_ids(user: User | AnonymousUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_qaita_org_ids", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        setattr(user, "_qaita_org_ids", cached)  # noqa: B010  (a per-request cache on the user object)
    return cached


def is_authority(user: User | AnonymousUser) -> bool:
    """Member of a verified municipality: sees everything, decides verification, factors, runs."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_qaita_is_authority", None)
    if cached is None:
        cached = Organisation.objects.filter(
            memberships__user=user, kind=Organisation.Kind.MUNICIPALITY, verified=True
        ).exists()
        setattr(user, "_qaita_is_authority", cached)  # noqa: B010  (a per-request cache on the user object)
    return cached


def require_authority(user: User | AnonymousUser) -> None:
    if not is_authority(user):
        raise forbidden(_("Only the municipality can do this."))


def acting_organisation(
    user: User | AnonymousUser, organisation_id: int | None = None, *, or_first: bool = False
) -> Organisation:
    """The organisation a user acts for: the one named, when they are a member of it.

    The one rule of the API and the pages. Naming none, a member of one organisation acts for
    it; a member of none is refused (403). The API refuses (400) an organisation that is not
    the user's and, for a member of several, naming none. Pages show the choice beside the form
    and say ``or_first``: there, what is not a choice of the user's falls back to their first
    organisation by name.
    """
    ids = member_organisation_ids(user)
    if organisation_id is not None and organisation_id in ids:
        return Organisation.objects.get(pk=organisation_id)
    if organisation_id is not None and not or_first:
        raise invalid("organisation", _("You are not a member of this organisation."))
    if not ids:
        raise forbidden(_("You are not a member of any organisation."))
    if or_first:
        return Organisation.objects.filter(id__in=ids).order_by("name", "id")[0]
    if len(ids) > 1:
        raise invalid("organisation", _("You belong to several organisations: say which one."))
    return Organisation.objects.get(pk=next(iter(ids)))


def access_organisation(user: User | AnonymousUser, pk) -> Organisation:
    """Own organisations, verified ones (a public directory) and, for the authority, all."""
    org = Organisation.objects.filter(pk=pk_or_404(pk)).first()
    if org is None:
        raise not_found()
    if org.verified or org.id in member_organisation_ids(user) or is_authority(user):
        return org
    raise not_found()


def access_site(user: User | AnonymousUser, pk, *, for_write: bool = False) -> Site:
    """A site of the user's organisation; the authority may read (not change) any site."""
    site = Site.objects.select_related("organisation").filter(pk=pk_or_404(pk)).first()
    if site is None:
        raise not_found()
    if site.organisation_id in member_organisation_ids(user):
        return site
    if not for_write and is_authority(user):
        return site
    raise not_found()


def require_organisation_admin(user: User, organisation: Organisation) -> None:
    """An admin of the organisation may go on; another member gets a 403, anyone else a 404."""
    if organisation.id not in member_organisation_ids(user):
        raise not_found()
    if not Membership.objects.filter(
        user=user, organisation=organisation, role=Membership.Role.ADMIN
    ).exists():
        raise forbidden(_("Only the organisation's administrators can change this."))


def visible_organisations(user: User | AnonymousUser) -> QuerySet[Organisation]:
    if is_authority(user):
        return Organisation.objects.all()
    from django.db.models import Q

    return Organisation.objects.filter(Q(verified=True) | Q(id__in=member_organisation_ids(user)))
