"""Writes for offers, needs and their photos.

Every write is a keyword-only function that validates the whole listing first (nothing is
written on a refusal), applies the change in one transaction and appends an audit event. The
API, the web pages, the bulk importer, the admin and the demo loader all call these.
"""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.access import member_organisation_ids
from accounts.errors import conflict, forbidden, invalid
from accounts.models import Organisation, User
from accounts.services import event_record

from . import listing_rules as rules
from .models import Destination, ListingPhoto, ListingStatus, Need, Offer, Period
from .photos import MAX_PHOTOS_PER_LISTING, delete_on_rollback, process_upload

#: The one transition table: draft → active ⇄ paused → closed; closed is final.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.ACTIVE, ListingStatus.CLOSED}),
    ListingStatus.ACTIVE: frozenset({ListingStatus.PAUSED, ListingStatus.CLOSED}),
    ListingStatus.PAUSED: frozenset({ListingStatus.ACTIVE, ListingStatus.CLOSED}),
    ListingStatus.CLOSED: frozenset(),
}

Listing = Offer | Need


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _require_member(actor: User | None, organisation: Organisation) -> None:
    # actor None: trusted callers (demo loader, management commands) acting for the organisation.
    if actor is not None and organisation.pk not in member_organisation_ids(actor):
        raise forbidden(_("You can change only your own organisation's listings."))


def _event_name(listing: Model) -> str:
    return "offer" if isinstance(listing, Offer) else "need"


def offer_validate(*, organisation: Organisation, fields: dict[str, Any]) -> dict[str, Any]:
    """Check an offer's fields without writing; returns the cleaned model values."""
    return rules.clean_offer(organisation, fields)


def need_validate(*, organisation: Organisation, fields: dict[str, Any]) -> dict[str, Any]:
    """Check a need's fields without writing; returns the cleaned model values."""
    return rules.clean_need(organisation, fields)


@transaction.atomic
def offer_create(
    *,
    organisation: Organisation,
    actor: User | None,
    site: Any,
    material: Any,
    quantity: Any,
    unit: str,
    period: str = Period.YEAR,
    available_from: Any = None,
    available_until: Any = None,
    min_lot: Any = None,
    max_distance_km: Any = None,
    current_destination: str = Destination.LANDFILL,
    description: str = "",
    status: str = ListingStatus.DRAFT,
) -> Offer:
    """Offer a residue. ``material`` is a catalogue key; ``status="active"`` publishes at once."""
    _require_member(actor, organisation)
    status = rules.clean_create_status(status)
    cleaned = offer_validate(
        organisation=organisation,
        fields={
            "site": site,
            "material": material,
            "quantity": quantity,
            "unit": unit,
            "period": period,
            "available_from": available_from,
            "available_until": available_until,
            "min_lot": min_lot,
            "max_distance_km": max_distance_km,
            "current_destination": current_destination,
            "description": description,
        },
    )
    offer = Offer.objects.create(
        organisation=organisation, created_by=_actor(actor), status=status, **cleaned
    )
    event_record(
        actor=actor,
        action="offer.created",
        obj=offer,
        organisation=organisation,
        data={
            "material": offer.material.key,
            "quantity": str(offer.quantity),
            "unit": offer.unit,
            "status": status,
        },
    )
    return offer


@transaction.atomic
def need_create(
    *,
    organisation: Organisation,
    actor: User | None,
    site: Any,
    materials: Any,
    quantity: Any,
    unit: str,
    max_distance_km: Any,
    period: str = Period.YEAR,
    available_from: Any = None,
    available_until: Any = None,
    min_lot: Any = None,
    description: str = "",
    status: str = ListingStatus.DRAFT,
    recipe: Any = None,
) -> Need:
    """Post a material demand accepting one or more bulk materials, or exactly one piece material."""
    _require_member(actor, organisation)
    status = rules.clean_create_status(status)
    cleaned = need_validate(
        organisation=organisation,
        fields={
            "site": site,
            "materials": materials,
            "quantity": quantity,
            "unit": unit,
            "period": period,
            "available_from": available_from,
            "available_until": available_until,
            "min_lot": min_lot,
            "max_distance_km": max_distance_km,
            "description": description,
            "recipe": recipe,
        },
    )
    materials_list = cleaned.pop("materials")
    need = Need.objects.create(organisation=organisation, created_by=_actor(actor), status=status, **cleaned)
    need.materials.set(materials_list)
    event_record(
        actor=actor,
        action="need.created",
        obj=need,
        organisation=organisation,
        data={
            "materials": [m.key for m in materials_list],
            "quantity": str(need.quantity),
            "unit": need.unit,
            "status": status,
        },
    )
    return need


def _current_fields(listing: Listing) -> dict[str, Any]:
    names: tuple[str, ...]
    if isinstance(listing, Offer):
        names = rules.OFFER_FIELDS
        current = {name: getattr(listing, name) for name in names}
    else:
        names = rules.NEED_FIELDS
        current = {name: getattr(listing, name) for name in names if name != "materials"}
        current["materials"] = list(listing.materials.all())
    return current


@transaction.atomic
def _listing_update(listing: Listing, actor: User | None, fields: dict[str, Any]) -> Listing:
    model = type(listing)
    listing = model.objects.select_for_update().select_related("site", "organisation").get(pk=listing.pk)
    _require_member(actor, listing.organisation)
    if listing.status == ListingStatus.CLOSED:
        raise conflict(_("A closed listing cannot be changed."))
    fields = dict(fields)
    new_status = fields.pop("status", None)
    allowed = rules.OFFER_FIELDS if model is Offer else rules.NEED_FIELDS
    for name in fields:
        if name not in allowed:
            raise invalid(name, _("This field cannot be changed."))
    if new_status is not None:
        rules.clean_choice("status", new_status, ListingStatus.values)
        _check_transition(listing.status, new_status)
    if fields:
        merged = {**_current_fields(listing), **fields}
        cleaned = (rules.clean_offer if model is Offer else rules.clean_need)(listing.organisation, merged)
        materials = cleaned.pop("materials", None)
        for name, value in cleaned.items():
            setattr(listing, name, value)
        listing.save()
        if materials is not None and isinstance(listing, Need):  # only a need has materials
            listing.materials.set(materials)
        event_record(
            actor=actor,
            action=f"{_event_name(listing)}.updated",
            obj=listing,
            organisation=listing.organisation,
            data={"fields": sorted(fields)},
        )
    if new_status is not None and new_status != listing.status:
        listing = _apply_status(listing, actor, new_status)
    return listing


def offer_update(*, offer: Offer, actor: User | None, **fields: Any) -> Offer:
    """Change an offer's fields (a partial update; the result is validated as a whole).

    A ``status`` among the fields moves the offer through the transition table afterwards.
    """
    return _listing_update(offer, actor, fields)  # type: ignore[return-value]


def need_update(*, need: Need, actor: User | None, **fields: Any) -> Need:
    """Change a need's fields (a partial update; the result is validated as a whole)."""
    return _listing_update(need, actor, fields)  # type: ignore[return-value]


def _check_transition(current: str, new: str) -> None:
    if new != current and new not in STATUS_TRANSITIONS[current]:
        raise conflict(_("A listing cannot go from %(from)s to %(to)s.") % {"from": current, "to": new})


def _apply_status(listing: Listing, actor: User | None, new_status: str) -> Listing:
    model = type(listing)
    old_status = listing.status
    _check_transition(old_status, new_status)
    # Conditional update: two concurrent changes cannot both start from the same status.
    if not model.objects.filter(pk=listing.pk, status=old_status).update(status=new_status):
        raise conflict(_("The listing changed meanwhile; reload and try again."))
    from config import generation_cache as report_cache

    report_cache.bump()  # the monitor's waste picture counts live listings
    listing.refresh_from_db()
    event_record(
        actor=actor,
        action=f"{_event_name(listing)}.status_changed",
        obj=listing,
        organisation=listing.organisation,
        data={"from": old_status, "to": new_status},
    )
    return listing


@transaction.atomic
def _listing_set_status(listing: Listing, actor: User | None, status: str) -> Listing:
    rules.clean_choice("status", status, ListingStatus.values)
    listing = type(listing).objects.select_related("organisation").get(pk=listing.pk)
    _require_member(actor, listing.organisation)
    if status == listing.status:
        return listing
    return _apply_status(listing, actor, status)


def offer_set_status(*, offer: Offer, actor: User | None, status: str) -> Offer:
    """Publish, pause, resume or close an offer (draft → active ⇄ paused → closed)."""
    return _listing_set_status(offer, actor, status)  # type: ignore[return-value]


def need_set_status(*, need: Need, actor: User | None, status: str) -> Need:
    """Publish, pause, resume or close a need (draft → active ⇄ paused → closed)."""
    return _listing_set_status(need, actor, status)  # type: ignore[return-value]


def offer_close(*, offer: Offer, actor: User | None) -> Offer:
    return offer_set_status(offer=offer, actor=actor, status=ListingStatus.CLOSED)


def need_close(*, need: Need, actor: User | None) -> Need:
    return need_set_status(need=need, actor=actor, status=ListingStatus.CLOSED)


# --- Photos ------------------------------------------------------------------------------
@transaction.atomic
def listing_photo_add(
    *, listing: Listing, actor: User | None, image: IO[bytes], caption: str = "", size: int | None = None
) -> ListingPhoto:
    """Attach a photo (JPEG, PNG or WebP; stored re-encoded without EXIF), at most five per listing."""
    listing = type(listing).objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    _require_member(actor, listing.organisation)
    if listing.status == ListingStatus.CLOSED:
        raise conflict(_("A closed listing cannot be changed."))
    caption = (caption or "").strip()
    if len(caption) > 200:
        raise invalid("caption", _("At most 200 characters."))
    if listing.photos.count() >= MAX_PHOTOS_PER_LISTING:
        raise invalid("image", _("A listing has at most %(n)s photos.") % {"n": MAX_PHOTOS_PER_LISTING})
    content = process_upload(image, size=size)
    owner = {"offer": listing} if isinstance(listing, Offer) else {"need": listing}
    photo = ListingPhoto(caption=caption, uploaded_by=_actor(actor), **owner)
    assert content.name is not None  # process_upload names every file
    photo.image.save(content.name, content, save=False)
    assert photo.image.name is not None  # saved just above
    # From here the file exists; it must not outlive a rollback of the row, whether this
    # function fails or a caller's transaction does later (a form with a second, bad photo).
    delete_on_rollback(photo.image.storage, photo.image.name)
    photo.save()
    event_record(
        actor=actor,
        action=f"{_event_name(listing)}.photo_added",
        obj=listing,
        organisation=listing.organisation,
        data={"photo": photo.pk},
    )
    return photo


@transaction.atomic
def listing_photo_delete(*, photo: ListingPhoto, actor: User | None) -> None:
    """Remove a photo; the file goes once the deletion is committed."""
    listing = photo.offer if photo.offer_id else photo.need
    assert listing is not None  # a check constraint: every photo has an offer or a need
    _require_member(actor, listing.organisation)
    storage, name, photo_id = photo.image.storage, photo.image.name, photo.pk
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name) if name else None)
    event_record(
        actor=actor,
        action=f"{_event_name(listing)}.photo_deleted",
        obj=listing,
        organisation=listing.organisation,
        data={"photo": photo_id},
    )
