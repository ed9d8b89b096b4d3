"""Writes for accounts: registration, verification, memberships, sites, audit events.

Every write is a keyword-only function; views, serializers, admin actions, commands and tasks
all call these, so they behave the same everywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from config.strict import parse_decimal

from .access import require_authority, require_organisation_admin
from .cleaning import clean_choice
from .errors import DomainError, conflict, forbidden, invalid
from .models import SELF_SERVICE_KINDS, District, Event, Membership, Organisation, Site, User


def event_record(
    *,
    actor: User | None,
    action: str,
    obj: Model,
    organisation: Organisation | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append an audit event: who (actor), what (action), on which object, when (now)."""
    return Event.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )


def _clean_name(field: str, value: str | None, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, _("This field may not be blank."))
    if len(value) > max_length:
        raise invalid(field, _("At most %(n)s characters.") % {"n": max_length})
    return value


def organisation_clean(*, name: str, kind: str, sector: str) -> tuple[str, str, str]:
    """The checks of :func:`organisation_create` alone (the admin's add form runs them first)."""
    name = _clean_name("name", name, 200)
    kind = clean_choice("kind", kind, Organisation.Kind.values)
    sector = clean_choice("sector", sector, Organisation.Sector.values)
    if Organisation.objects.filter(name__iexact=name).exists():
        raise invalid("name", _("An organisation with this name already exists."))
    return name, kind, sector


def organisation_create(
    *, name: str, kind: str, sector: str, verified: bool = False, actor: User | None = None
) -> Organisation:
    name, kind, sector = organisation_clean(name=name, kind=kind, sector=sector)
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        sector=sector,
        verified=verified,
        verified_at=timezone.now() if verified else None,
    )
    event_record(
        actor=actor,
        action="organisation.created",
        obj=org,
        organisation=org,
        data={"kind": kind, "sector": sector, "verified": verified},
    )
    return org


def membership_add(
    *, user: User, organisation: Organisation, role: str = Membership.Role.MEMBER, actor: User | None = None
) -> Membership:
    role = clean_choice("role", role, Membership.Role.values)
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    if created:
        event_record(
            actor=actor,
            action="membership.added",
            obj=membership,
            organisation=organisation,
            data={"user": user.username, "role": role},
        )
    for attr in ("_qaita_org_ids", "_qaita_is_authority"):
        user.__dict__.pop(attr, None)
    return membership


def user_create(*, username: str, password: str, email: str = "") -> User:
    username = _clean_name("username", username, 150)
    if User.objects.filter(username__iexact=username).exists():
        raise invalid("username", _("A user with that username already exists."))
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise invalid("username", " ".join(exc.messages)) from None
    user = User(username=username, email=(email or "").strip())
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise invalid("password", " ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    return user


#: The field under which a refused sign-up is reported: it names neither input on purpose.
REGISTRATION_FIELD = "non_field_errors"


def registration_refused() -> DomainError:
    """One answer whether the username, the organisation name or both are taken.

    Sign-up is open to anyone, so it must not tell a stranger which accounts and organisations
    exist; a person who really belongs to an existing organisation asks its administrator.
    """
    return invalid(
        REGISTRATION_FIELD,
        _(
            "This username or organisation name cannot be registered. Choose others, or ask your "
            "organisation's administrator to add you."
        ),
    )


def _check_new_user(username: str, password: str, email: str) -> str:
    username = _clean_name("username", username, 150)
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise invalid("username", " ".join(exc.messages)) from None
    try:
        password_validation.validate_password(password, User(username=username, email=(email or "").strip()))
    except ValidationError as exc:
        raise invalid("password", " ".join(exc.messages)) from None
    return username


def _clean_signup_email(email: str | None) -> str:
    """Sign-up needs a working address: password resets and notifications go to it."""
    email = (email or "").strip()
    if not email:
        raise invalid("email", _("An e-mail address is required: password resets go to it."))
    try:
        validate_email(email)
    except ValidationError:
        raise invalid("email", _("Enter a valid e-mail address.")) from None
    if len(email) > 254:
        raise invalid("email", _("Enter a valid e-mail address."))
    return email


@transaction.atomic
def organisation_register(
    *, username: str, password: str, email: str, organisation_name: str, kind: str, sector: str
) -> tuple[User, Organisation]:
    """Sign-up: a user and their new, unverified organisation, of which they are the admin.

    All or nothing: a bad organisation leaves no user behind. Only non-authority kinds may be
    registered (a municipality is set up by the operator). Every input is checked first; a taken
    username or organisation name then gets :func:`registration_refused`, the same answer for
    either, after the same password hashing work as a sign-up that succeeds.
    """
    if kind not in SELF_SERVICE_KINDS:
        raise invalid(
            "kind",
            _("A %(kind)s cannot be registered by sign-up; expected one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(SELF_SERVICE_KINDS)},
        )
    clean_choice("sector", sector, Organisation.Sector.values)
    name = _clean_name("name", organisation_name, 200)
    email = _clean_signup_email(email)
    username = _check_new_user(username, password, email)
    taken = (
        User.objects.filter(username__iexact=username).exists()
        or Organisation.objects.filter(name__iexact=name).exists()
    )
    if taken:
        make_password(password)  # as much work as the successful path, so timing says nothing
        raise registration_refused()
    try:
        user = user_create(username=username, password=password, email=email)
        org = organisation_create(name=name, kind=kind, sector=sector, actor=user)
    except IntegrityError:
        raise registration_refused() from None
    except DomainError as exc:
        # Only a concurrent sign-up with the same name gets here, past the check above.
        if exc.field in ("username", "name"):
            raise registration_refused() from None
        raise
    membership_add(user=user, organisation=org, role=Membership.Role.ADMIN, actor=user)
    return user, org


@transaction.atomic
def organisation_grant_authority(
    *, organisation: Organisation, actor: User, reason: str = ""
) -> Organisation:
    """The operator makes an organisation the city's authority: kind municipality, verified.

    The one way besides the ``create_organisation`` command: a superuser's explicit decision,
    recorded as an ``organisation.authority_granted`` event (who, when, the previous kind, why).
    """
    if actor is None or not actor.is_authenticated or not actor.is_superuser:
        raise forbidden(_("Only the operator (a superuser) can grant the authority role."))
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    previous = {"kind": organisation.kind, "verified": organisation.verified}
    if organisation.kind == Organisation.Kind.MUNICIPALITY and organisation.verified:
        return organisation
    Organisation.objects.filter(pk=organisation.pk).update(
        kind=Organisation.Kind.MUNICIPALITY,
        verified=True,
        verified_at=organisation.verified_at or timezone.now(),
        verified_by=organisation.verified_by or actor,
    )
    organisation.refresh_from_db()
    event_record(
        actor=actor,
        action="organisation.authority_granted",
        obj=organisation,
        organisation=organisation,
        data={"previous": previous, "reason": (reason or "").strip()[:500]},
    )
    return organisation


@transaction.atomic
def organisation_verify(*, organisation: Organisation, actor: User, verified: bool = True) -> Organisation:
    """The municipality verifies (or withdraws verification of) an organisation.

    Only verified organisations' listings enter matching. The change is a conditional update,
    so two reviewers clicking at once record one decision.
    """
    require_authority(actor)
    now = timezone.now()
    updated = Organisation.objects.filter(pk=organisation.pk, verified=not verified).update(
        verified=verified, verified_at=now if verified else None, verified_by=actor if verified else None
    )
    organisation.refresh_from_db()
    if updated:
        event_record(
            actor=actor,
            action="organisation.verified" if verified else "organisation.unverified",
            obj=organisation,
            organisation=organisation,
        )
        if verified:
            from . import notifications

            org_id = organisation.pk
            transaction.on_commit(lambda: notifications.organisation_verified(organisation_id=org_id))
    return organisation


# --- Contacts ------------------------------------------------------------------------------
BIN_PATTERN = re.compile(r"[0-9]{12}")
PHONE_PATTERN = re.compile(r"\+?[0-9 ()\-.]+")
PHONE_DIGITS = (6, 15)  # E.164 allows at most 15 digits


def _clean_contact(field: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if field == "contact_name":
        if len(text) > 200:
            raise invalid(field, _("At most 200 characters."))
    elif field == "phone":
        digits = sum(ch.isdigit() for ch in text)
        if len(text) > 40 or not PHONE_PATTERN.fullmatch(text):
            raise invalid(field, _("Digits, spaces, brackets, dashes and a leading + only (at most 40)."))
        if not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            raise invalid(
                field,
                _("A phone number has %(min)s to %(max)s digits.")
                % {"min": PHONE_DIGITS[0], "max": PHONE_DIGITS[1]},
            )
    elif field == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise invalid(field, _("Enter a valid e-mail address.")) from None
        if len(text) > 254:
            raise invalid(field, _("At most 254 characters."))
    elif field == "website":
        if "://" not in text:
            text = f"https://{text}"
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise invalid(field, _("Enter a valid http(s) address.")) from None
        if len(text) > 300:
            raise invalid(field, _("At most 300 characters."))
    elif field == "bin":
        if not BIN_PATTERN.fullmatch(text):
            raise invalid(field, _("A BIN is exactly 12 digits."))
    return text


@transaction.atomic
def organisation_contacts_update(*, organisation: Organisation, actor: User, **fields: Any) -> Organisation:
    """An admin of the organisation sets its contacts (any of ``Organisation.CONTACT_FIELDS``).

    Other members get a 403, everyone else a 404 (the authority too: contacts are the
    organisation's own). Blank or ``None`` clears a field. All fields are checked before
    anything is written; the change is audited with the names of the fields that changed.
    """
    require_organisation_admin(actor, organisation)
    unknown = sorted(set(fields) - set(Organisation.CONTACT_FIELDS))
    if unknown:
        raise invalid(unknown[0], _("Unknown field."))
    cleaned = {field: _clean_contact(field, value) for field, value in fields.items()}
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = sorted(field for field, value in cleaned.items() if getattr(organisation, field) != value)
    if changed:
        for field in changed:
            setattr(organisation, field, cleaned[field])
        organisation.save(update_fields=changed)
        event_record(
            actor=actor,
            action="organisation.contacts_updated",
            obj=organisation,
            organisation=organisation,
            data={"fields": changed},
        )
    return organisation


@transaction.atomic
def organisation_public_profile_set(
    *, organisation: Organisation, actor: User, public_profile: bool
) -> Organisation:
    """An admin of the organisation opts in to (or out of) being named on the public page.

    Same access as the contacts (other members 403, everyone else 404). Only an actual change
    is written and audited (``organisation.public_profile_changed``).
    """
    require_organisation_admin(actor, organisation)
    if not isinstance(public_profile, bool):
        raise invalid("public_profile", _("Must be true or false."))
    if (
        Organisation.objects.filter(pk=organisation.pk)
        .exclude(public_profile=public_profile)
        .update(public_profile=public_profile)
    ):
        event_record(
            actor=actor,
            action="organisation.public_profile_changed",
            obj=organisation,
            organisation=organisation,
            data={"public_profile": public_profile},
        )
    organisation.refresh_from_db()
    return organisation


@transaction.atomic
def organisation_settings_update(
    *, organisation: Organisation, actor: User, public_profile: bool | None = None, **contacts: Any
) -> Organisation:
    """Contacts and the public-profile opt-in in one all-or-nothing write (the PATCH and the
    organisation page's form). ``public_profile=None`` leaves the opt-in as it is."""
    require_organisation_admin(actor, organisation)
    if public_profile is not None and not isinstance(public_profile, bool):
        raise invalid("public_profile", _("Must be true or false."))
    if contacts:
        organisation = organisation_contacts_update(organisation=organisation, actor=actor, **contacts)
    if public_profile is not None:
        organisation = organisation_public_profile_set(
            organisation=organisation, actor=actor, public_profile=public_profile
        )
    return organisation


# --- Sites -------------------------------------------------------------------------------
COORDINATE_LIMITS = {"latitude": Decimal(90), "longitude": Decimal(180)}


def _clean_coordinate(field: str, value: Any) -> Decimal:
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite():
        raise invalid(field, _("A finite number is required."))
    limit = COORDINATE_LIMITS[field]
    if not -limit <= number <= limit:
        raise invalid(field, _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit})
    return number.quantize(Decimal("0.000001"))


def _clean_site_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in fields:
        cleaned["name"] = _clean_name("name", fields["name"], 200)
    if "address" in fields:
        address = (fields["address"] or "").strip()
        if len(address) > 300:
            raise invalid("address", _("At most 300 characters."))
        cleaned["address"] = address
    for coordinate in ("latitude", "longitude"):
        if coordinate in fields:
            cleaned[coordinate] = _clean_coordinate(coordinate, fields[coordinate])
    if "district" in fields:
        cleaned["district"] = clean_choice("district", fields["district"] or District.OTHER, District.values)
    unknown = set(fields) - {"name", "address", "latitude", "longitude", "district"}
    if unknown:
        raise invalid(sorted(unknown)[0], _("Unknown field."))
    return cleaned


def _ensure_unique_site_name(organisation: Organisation, name: str, exclude_pk: int | None = None) -> None:
    same = Site.objects.filter(organisation=organisation, name__iexact=name)
    if exclude_pk:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise invalid("name", _("Your organisation already has a site with this name."))


@transaction.atomic
def site_create(
    *,
    organisation: Organisation,
    actor: User | None,
    name: str,
    latitude: Any,
    longitude: Any,
    address: str = "",
    district: str = District.OTHER,
) -> Site:
    cleaned = _clean_site_fields(
        {"name": name, "address": address, "latitude": latitude, "longitude": longitude, "district": district}
    )
    _ensure_unique_site_name(organisation, cleaned["name"])
    site = Site.objects.create(organisation=organisation, **cleaned)
    event_record(actor=actor, action="site.created", obj=site, organisation=organisation)
    return site


@transaction.atomic
def site_update(*, site: Site, actor: User | None, **fields: Any) -> Site:
    cleaned = _clean_site_fields(fields)
    if "name" in cleaned:
        _ensure_unique_site_name(site.organisation, cleaned["name"], exclude_pk=site.pk)
    for key, value in cleaned.items():
        setattr(site, key, value)
    site.save()
    event_record(
        actor=actor,
        action="site.updated",
        obj=site,
        organisation=site.organisation,
        data={"fields": sorted(cleaned)},
    )
    return site


@transaction.atomic
def site_delete(*, site: Site, actor: User | None) -> None:
    """Delete a site no listing uses; a site with listings is kept (409) so history stays whole."""
    from django.db.models.deletion import ProtectedError, RestrictedError

    organisation = site.organisation
    site_id = site.pk
    try:
        site.delete()
    except (ProtectedError, RestrictedError):
        raise conflict(_("This site has listings; close or move them first.")) from None
    event = Event(
        actor=actor if actor and actor.is_authenticated else None,
        organisation=organisation,
        action="site.deleted",
        object_type="accounts.site",
        object_id=str(site_id),
    )
    event.save()
