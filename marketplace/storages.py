"""Storage yards (issue 13): rules, writes, reads and access, like offers' and needs'.

A yard belongs to one organisation and site; it stores some catalogue materials up to a capacity
(tonnes, or pieces for piece materials) within an optional window. Active yards of verified
organisations enter matching. Writes validate the whole yard first, write in one transaction and
append an audit event (``storage.created``, ``storage.updated``, ``storage.status_changed``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids, pk_or_404
from accounts.errors import conflict, invalid, not_found
from accounts.models import Organisation
from accounts.services import event_record
from config.strict import parse_decimal

from . import extensions
from . import listing_rules as rules
from .models import ListingStatus, Material, Storage, StorageUnit, UnitBasis
from .services import _actor, _check_transition, _require_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

STORAGE_FIELDS = (
    "site",
    "materials",
    "capacity",
    "unit",
    "available_from",
    "available_until",
    "handling_kg_co2e_per_t",
    "handling_cost_kzt_per_t",
    "accept_automatically",
    "description",
)
MAX_HANDLING = rules.MAX_QUANTITY


def _clean_nonnegative(field: str, value: Any, *, step: Decimal = Decimal("0.001")) -> Decimal | None:
    """An optional number 0 ≤ x ≤ MAX_HANDLING, rounded to ``step`` (``None`` when not given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, list, dict)):
        raise invalid(field, _("A number is required."))
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite():
        raise invalid(field, _("A finite number is required."))
    if number < 0:
        raise invalid(field, _("Must be zero or more."))
    if number > MAX_HANDLING:
        raise invalid(field, _("Must be at most %(max)s.") % {"max": f"{MAX_HANDLING:,}"})
    return number.quantize(step, rounding=ROUND_HALF_UP)


def _clean_materials(values: Any) -> list[Material]:
    """One or more catalogue materials, by key."""
    if not isinstance(values, (list, tuple)) or not values:
        raise invalid("materials", _("At least one material is required."))
    return list({m.key: m for m in (rules.clean_material(v, field="materials") for v in values)}.values())


def clean_storage(organisation: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a yard's fields (the whole state, not a patch) and return model values."""
    rules._reject_unknown(data, STORAGE_FIELDS)
    terms = clean_storage_terms(data)
    return {"site": rules.clean_site(organisation, data.get("site")), **terms}


def clean_storage_terms(data: dict[str, Any]) -> dict[str, Any]:
    """A yard's fields but its site (materials, capacity and unit, window, handling, acceptance,
    description), validated as :func:`clean_storage` does; also a what-if run's hypothetical yard."""
    materials = _clean_materials(data.get("materials"))
    unit = rules.clean_choice("unit", data.get("unit") or StorageUnit.TONNE, StorageUnit.values)
    # A yard in tonnes holds any material by mass (pieces weigh their catalogue mass each); one
    # counted in pieces holds piece materials only: a bulk material has no pieces to count.
    for material in materials:
        if unit == StorageUnit.PIECE and material.unit_basis != UnitBasis.PIECE:
            raise invalid(
                "unit",
                _(
                    "A yard counted in pieces holds piece materials only; %(material)s is measured in "
                    "tonnes: count this yard's capacity in tonnes."
                )
                % {"material": material.key},
            )
    capacity = rules.clean_decimal(
        "capacity", data.get("capacity"), maximum=rules.MAX_QUANTITY, step=rules.QUANTITY_STEP
    )
    if unit == StorageUnit.PIECE and capacity is not None and capacity != capacity.to_integral_value():
        raise invalid("capacity", _("Pieces are counted in whole numbers."))
    available_from = rules.clean_date("available_from", data.get("available_from"))
    available_until = rules.clean_date("available_until", data.get("available_until"))
    if available_from and available_until and available_from > available_until:
        raise invalid("available_until", _("The window ends before it starts."))
    automatic = data.get("accept_automatically", False)
    if not isinstance(automatic, bool):
        raise invalid("accept_automatically", _("True or false is required."))
    return {
        "materials": materials,
        "capacity": capacity,
        "unit": unit,
        "available_from": available_from,
        "available_until": available_until,
        "handling_kg_co2e_per_t": _clean_nonnegative(
            "handling_kg_co2e_per_t", data.get("handling_kg_co2e_per_t")
        ),
        "handling_cost_kzt_per_t": _clean_nonnegative(
            "handling_cost_kzt_per_t", data.get("handling_cost_kzt_per_t"), step=Decimal("0.01")
        ),
        "accept_automatically": automatic,
        "description": rules.clean_description(data.get("description")),
    }


@transaction.atomic
def storage_create(
    *,
    organisation: Organisation,
    actor: User | None,
    status: str = ListingStatus.DRAFT,
    **fields: Any,
) -> Storage:
    """Offer a storage yard; ``status="active"`` publishes it at once."""
    _require_member(actor, organisation)
    status = rules.clean_create_status(status)
    cleaned = clean_storage(organisation, fields)
    materials = cleaned.pop("materials")
    storage = Storage.objects.create(
        organisation=organisation, created_by=_actor(actor), status=status, **cleaned
    )
    storage.materials.set(materials)
    event_record(
        actor=actor,
        action="storage.created",
        obj=storage,
        organisation=organisation,
        data={
            "materials": [m.key for m in materials],
            "capacity": str(storage.capacity),
            "unit": storage.unit,
            "status": status,
        },
    )
    return storage


def _current(storage: Storage) -> dict[str, Any]:
    current = {name: getattr(storage, name) for name in STORAGE_FIELDS if name != "materials"}
    current["materials"] = list(storage.materials.all())
    return current


def _require_room_for_bookings(storage: Storage, capacity: Decimal | None) -> None:
    """A yard's capacity may not go below what agreed deals and accepted proposals hold in it from
    today on: they were accepted on that room (matching lends the figure, see ``extensions``)."""
    if capacity is None or capacity >= storage.capacity:
        return
    held, since = extensions.storage_booked(storage)
    if capacity < held:
        raise invalid(
            "capacity",
            _(
                "Agreed deals and accepted proposals hold %(amount)s %(unit)s in this yard from "
                "%(date)s; the capacity cannot be lower."
            )
            % {
                "amount": f"{Decimal(held).normalize():f}",
                "unit": storage.get_unit_display(),
                "date": since.isoformat() if since else "",
            },
        )


@transaction.atomic
def storage_update(*, storage: Storage, actor: User | None, **fields: Any) -> Storage:
    """Change a yard's fields (a partial update validated as a whole) and/or its status."""
    storage = Storage.objects.select_for_update().select_related("site", "organisation").get(pk=storage.pk)
    _require_member(actor, storage.organisation)
    if storage.status == ListingStatus.CLOSED:
        raise conflict(_("A closed listing cannot be changed."))
    new_status = fields.pop("status", None)
    for name in fields:
        if name not in STORAGE_FIELDS:
            raise invalid(name, _("This field cannot be changed."))
    if new_status is not None:
        rules.clean_choice("status", new_status, ListingStatus.values)
        _check_transition(storage.status, new_status)
    if fields:
        cleaned = clean_storage(storage.organisation, {**_current(storage), **fields})
        _require_room_for_bookings(storage, cleaned["capacity"])
        materials = cleaned.pop("materials")
        for name, value in cleaned.items():
            setattr(storage, name, value)
        storage.save()
        storage.materials.set(materials)
        event_record(
            actor=actor,
            action="storage.updated",
            obj=storage,
            organisation=storage.organisation,
            data={"fields": sorted(fields)},
        )
    if new_status is not None and new_status != storage.status:
        old = storage.status
        if not Storage.objects.filter(pk=storage.pk, status=old).update(status=new_status):
            raise conflict(_("The listing changed meanwhile; reload and try again."))
        storage.refresh_from_db()
        event_record(
            actor=actor,
            action="storage.status_changed",
            obj=storage,
            organisation=storage.organisation,
            data={"from": old, "to": new_status},
        )
    return storage


def storage_close(*, storage: Storage, actor: User | None) -> Storage:
    return storage_update(storage=storage, actor=actor, status=ListingStatus.CLOSED)


# --- reads ---------------------------------------------------------------------------------
def storage_list_for(
    *, user: User | AnonymousUser, status: str | None = None, material: str | None = None, mine: bool = False
) -> QuerySet[Storage]:
    """Yards ``user`` may see: their organisations' in any status, others' active ones of verified
    organisations (the municipality sees all); ``mine`` keeps only their own."""
    storages = Storage.objects.all()
    own = member_organisation_ids(user)
    if mine:
        storages = storages.filter(organisation_id__in=own)
    elif not is_authority(user):
        storages = storages.filter(
            Q(organisation_id__in=own) | Q(status=ListingStatus.ACTIVE, organisation__verified=True)
        )
    if status:
        storages = storages.filter(status=status)
    if material:
        storages = storages.filter(materials__key=material)
    return (
        storages.select_related("organisation", "site")
        .prefetch_related("materials")
        .order_by("-created_at", "-id")
        .distinct()
    )


def access_storage(user: User | AnonymousUser, pk: Any, *, for_write: bool = False) -> Storage:
    """The yard, or a 404 that reveals nothing; writing needs membership of its organisation."""
    storage = (
        Storage.objects.select_related("organisation", "site")
        .prefetch_related("materials")
        .filter(pk=pk_or_404(pk))
        .first()
    )
    if storage is None:
        raise not_found()
    own = storage.organisation_id in member_organisation_ids(user)
    if for_write and not own:
        raise not_found()
    visible = (
        own
        or is_authority(user)
        or (storage.status == ListingStatus.ACTIVE and storage.organisation.verified)
    )
    if not visible:
        raise not_found()
    return storage


def storage_materials(storage: Storage) -> list[Material]:
    return list(storage.materials.all())
