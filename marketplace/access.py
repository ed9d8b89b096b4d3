"""Access helpers for marketplace objects: the object, or a 404 that reveals nothing.

Reading follows the list rules (:mod:`marketplace.selectors`); writing needs membership of the
listing's organisation. Another organisation's listing answers a write exactly like a missing
one, whether or not its owner published it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.access import is_authority, member_organisation_ids, pk_or_404
from accounts.errors import not_found

from .models import FactorSet, ListingPhoto, Need, Offer
from .selectors import listing_is_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def access_offer(user: User | AnonymousUser, pk: Any, *, for_write: bool = False) -> Offer:
    offer = (
        Offer.objects.select_related("organisation", "site", "material")
        .prefetch_related("photos")
        .filter(pk=pk_or_404(pk))
        .first()
    )
    return _check(user, offer, for_write)


def access_need(user: User | AnonymousUser, pk: Any, *, for_write: bool = False) -> Need:
    need = (
        Need.objects.select_related("organisation", "site")
        .prefetch_related("materials", "photos")
        .filter(pk=pk_or_404(pk))
        .first()
    )
    return _check(user, need, for_write)


def _check(user, listing, for_write: bool):
    if listing is None:
        raise not_found()
    if for_write:
        if listing.organisation_id not in member_organisation_ids(user):
            raise not_found()
    elif not listing_is_visible(user, listing):
        raise not_found()
    return listing


def access_listing_photo(user: User | AnonymousUser, listing: Offer | Need, photo_pk: Any) -> ListingPhoto:
    """A photo of a listing already reached through an access helper."""
    owner = {"offer": listing} if isinstance(listing, Offer) else {"need": listing}
    photo = ListingPhoto.objects.filter(pk=pk_or_404(photo_pk), **owner).first()
    if photo is None:
        raise not_found()
    return photo


def access_factor_set(user: User | AnonymousUser, pk: Any) -> FactorSet:
    """Published sets for everyone; drafts only for the municipality."""
    factor_set = FactorSet.objects.select_related("based_on").filter(pk=pk_or_404(pk)).first()
    if factor_set is None or not (factor_set.is_published or is_authority(user)):
        raise not_found()
    return factor_set
