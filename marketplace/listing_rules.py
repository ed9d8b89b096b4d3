"""The rules every offer and need obeys, checked before anything is written.

Services, the bulk importer and the demo loader all go through :func:`clean_offer` and
:func:`clean_need`, so a listing that would be refused through the API is refused everywhere.
Each failure raises :func:`accounts.errors.invalid` naming the input field at fault.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.cleaning import clean_choice, clean_decimal
from accounts.errors import invalid
from accounts.models import Organisation, Site

from . import units
from .models import Destination, ListingStatus, Material, Period, Unit, UnitBasis
from .recipes import clean_recipe

#: Largest quantity (and minimum lot) accepted, in the listing's own unit.
MAX_QUANTITY = Decimal("10000000")
#: Transport radius bounds (km), on needs (required) and offers (optional).
MAX_DISTANCE_KM = Decimal("1000")
QUANTITY_STEP = Decimal("0.001")
DISTANCE_STEP = Decimal("0.01")
MAX_DESCRIPTION = 4000
BULK_BASES = frozenset({UnitBasis.TONNE, UnitBasis.CUBIC_METRE})
#: A listing is created as a draft or published at once; pausing and closing come later.
CREATE_STATUSES = (ListingStatus.DRAFT, ListingStatus.ACTIVE)

OFFER_FIELDS = (
    "site",
    "material",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "min_lot",
    "max_distance_km",
    "current_destination",
    "description",
)
NEED_FIELDS = (
    "site",
    "materials",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "min_lot",
    "max_distance_km",
    "description",
    "recipe",
)


def allowed_units(material: Material) -> tuple[str, ...]:
    """Units a quantity of ``material`` may be stated in.

    Bulk materials are weighed (t, kg) and, when the catalogue knows a bulk density, measured
    by volume (m³); a material counted natively in m³ always accepts m³. Piece materials are
    counted, never weighed: a count of panels means something a tonnage does not.
    """
    if material.unit_basis == UnitBasis.PIECE:
        return (Unit.PIECE,)
    units = [Unit.TONNE, Unit.KILOGRAM]
    if material.unit_basis == UnitBasis.CUBIC_METRE or material.density_t_per_m3:
        units.append(Unit.CUBIC_METRE)
    return tuple(units)


def quantity_in_tonnes(material: Material, quantity: Decimal, unit: str) -> Decimal | None:
    """Mass of a quantity, or ``None`` when the catalogue lacks the density or piece mass."""
    return units.quantity_in_tonnes(
        quantity, unit, mass_per_piece_t=material.mass_per_piece_t, density_t_per_m3=material.density_t_per_m3
    )


def clean_date(field: str, value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(field, _("A date in the format YYYY-MM-DD is required.")) from None


def clean_description(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_DESCRIPTION:
        raise invalid("description", _("At most %(n)s characters.") % {"n": MAX_DESCRIPTION})
    if "\x00" in text:  # PostgreSQL text cannot hold NUL; refuse it rather than fail on save
        raise invalid("description", _("Null characters are not allowed."))
    return text


def clean_site(organisation: Organisation, value: Any) -> Site:
    """The site, which must belong to the listing's organisation."""
    if isinstance(value, Site):
        if value.organisation_id != organisation.pk:
            raise invalid("site", _("This site does not belong to your organisation."))
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise invalid("site", _("A site id is required.")) from None
    site = Site.objects.filter(pk=pk, organisation=organisation).first()
    if site is None:
        raise invalid("site", _("This site does not belong to your organisation."))
    return site


def _material_key(value: Any) -> str:
    if isinstance(value, Material):
        return value.key
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value) > 60:
        raise TypeError
    return value.strip()


def clean_material(value: Any, *, field: str = "material") -> Material:
    if isinstance(value, Material):
        return value
    try:
        key = _material_key(value)
    except TypeError:
        raise invalid(field, _("A material key is required.")) from None
    material = Material.objects.filter(key=key).first()
    if material is None:
        raise invalid(field, _("Unknown material %(key)s.") % {"key": repr(key)})
    return material


def clean_materials(values: Any) -> list[Material]:
    """A need's accepted materials: one piece material, or one or more bulk materials."""
    if isinstance(values, str):
        values = [part for part in values.split(";") if part.strip()]
    if not isinstance(values, (list, tuple)) or not values:
        raise invalid("materials", _("At least one material is required."))
    try:
        keys = list(dict.fromkeys(_material_key(v) for v in values))
    except TypeError:
        raise invalid("materials", _("Material keys are required.")) from None
    found = {m.key: m for m in Material.objects.filter(key__in=keys)}
    unknown = [key for key in keys if key not in found]
    if unknown:
        raise invalid("materials", _("Unknown material %(key)s.") % {"key": repr(unknown[0])})
    materials = [found[key] for key in keys]
    pieces = [m for m in materials if m.unit_basis == UnitBasis.PIECE]
    if pieces and len(materials) > 1:
        raise invalid(
            "materials",
            _("A need counted in pieces accepts exactly one material: a count of mixed items means nothing."),
        )
    return materials


def clean_unit(unit: Any, materials: list[Material]) -> str:
    unit = clean_choice("unit", unit, Unit.values)
    for material in materials:
        if unit not in allowed_units(material):
            raise invalid(
                "unit",
                _("%(material)s is stated in %(units)s, not %(unit)s.")
                % {"material": material.key, "units": ", ".join(allowed_units(material)), "unit": unit},
            )
    return unit


def require_whole(field: str, value: Decimal | None, unit: str) -> None:
    if value is not None and unit == Unit.PIECE and value != value.to_integral_value():
        raise invalid(field, _("Pieces are counted in whole numbers."))


def clean_terms(
    data: dict[str, Any], materials: list[Material], *, distance_required: bool
) -> dict[str, Any]:
    """A listing's quantity, unit, period, window, minimum lot and radius: the rules shared by real
    listings and the hypothetical ones of a what-if run (``matching.whatif``)."""
    unit = clean_unit(data.get("unit"), materials)
    quantity = clean_decimal("quantity", data.get("quantity"), maximum=MAX_QUANTITY, step=QUANTITY_STEP)
    require_whole("quantity", quantity, unit)
    min_lot = clean_decimal(
        "min_lot", data.get("min_lot"), maximum=MAX_QUANTITY, step=QUANTITY_STEP, required=False
    )
    require_whole("min_lot", min_lot, unit)
    if min_lot is not None and quantity is not None and min_lot > quantity:
        raise invalid("min_lot", _("The minimum lot cannot exceed the quantity."))
    available_from = clean_date("available_from", data.get("available_from"))
    available_until = clean_date("available_until", data.get("available_until"))
    if available_from and available_until and available_from > available_until:
        raise invalid("available_until", _("The window ends before it starts."))
    return {
        "quantity": quantity,
        "unit": unit,
        "period": clean_choice("period", data.get("period") or Period.YEAR, Period.values),
        "available_from": available_from,
        "available_until": available_until,
        "min_lot": min_lot,
        "max_distance_km": clean_decimal(
            "max_distance_km",
            data.get("max_distance_km"),
            maximum=MAX_DISTANCE_KM,
            step=DISTANCE_STEP,
            required=distance_required,
        ),
    }


def clean_destination(value: Any) -> str:
    """An offer's current destination (landfill when not given)."""
    return clean_choice("current_destination", value or Destination.LANDFILL, Destination.values)


def _clean_common(
    organisation: Organisation, data: dict[str, Any], materials: list[Material], *, distance_required: bool
) -> dict[str, Any]:
    terms = clean_terms(data, materials, distance_required=distance_required)
    return {
        "site": clean_site(organisation, data.get("site")),
        **terms,
        "description": clean_description(data.get("description")),
    }


def _reject_unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise invalid(unknown[0], _("Unknown field."))


def clean_offer(organisation: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """Validate an offer's fields (the whole state, not a patch) and return model values."""
    _reject_unknown(data, OFFER_FIELDS)
    material = clean_material(data.get("material"))
    cleaned = _clean_common(organisation, data, [material], distance_required=False)
    cleaned["material"] = material
    cleaned["current_destination"] = clean_destination(data.get("current_destination"))
    return cleaned


def clean_need(organisation: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a need's fields (the whole state, not a patch) and return model values."""
    _reject_unknown(data, NEED_FIELDS)
    materials = clean_materials(data.get("materials"))
    cleaned = _clean_common(organisation, data, materials, distance_required=True)
    cleaned["materials"] = materials
    cleaned["recipe"] = clean_recipe(data.get("recipe"), materials)
    return cleaned


def clean_create_status(value: Any) -> str:
    return clean_choice("status", value or ListingStatus.DRAFT, CREATE_STATUSES)
