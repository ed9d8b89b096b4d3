"""What-if runs (issue 14): the parameters of a dry run and its hypothetical listings.

A what-if run is solved like any run but publishes nothing. Its ``parameters`` may scale every
listing's radius (``radius_factor``), change the circuity or the objective, and add hypothetical
offers, needs and storage yards at given coordinates (``extra_listings``), validated by the same
rules as real ones (``marketplace.listing_rules``, ``marketplace.storages``). The cleaned
parameters are stored on the run as JSON; ``matching.snapshot`` turns the hypothetical listings
and yards into engine inputs with negative ids, which can never collide with a real listing's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import DomainError, invalid
from marketplace import listing_rules, storages

from .models import Objective

PARAMETER_KEYS = ("radius_factor", "circuity", "objective", "extra_listings")
OFFER_KEYS = (
    "kind",
    "name",
    "latitude",
    "longitude",
    "material",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "min_lot",
    "max_distance_km",
    "current_destination",
)
NEED_KEYS = tuple(k for k in OFFER_KEYS if k not in ("material", "current_destination")) + ("materials",)
#: a hypothetical yard: where it is, and a real yard's fields but its site, acceptance and text
STORAGE_KEYS = ("kind", "name", "latitude", "longitude") + tuple(
    f for f in storages.STORAGE_FIELDS if f not in ("site", "accept_automatically", "description")
)
MAX_EXTRA_LISTINGS = 200
RADIUS_FACTOR_RANGE = (Decimal("0.1"), Decimal("10"))


def _number(field: str, value: Any, low: Decimal, high: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise invalid(field, _("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite() or not low <= number <= high:
        raise invalid(field, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
    return number


def _coordinate(field: str, value: Any, limit: int) -> float:
    return float(_number(field, value, Decimal(-limit), Decimal(limit)))


def _clean_name(name: Any, path: str) -> str:
    if name is not None and (not isinstance(name, str) or len(name) > 200 or "\x00" in name):
        raise invalid(f"{path}.name", _("At most 200 characters."))
    return (name or "").strip()


def _clean_listing(kind: str, data: Any, path: str) -> dict[str, Any]:
    """One hypothetical offer or need as JSON-ready values; errors name ``path.field``."""
    if not isinstance(data, dict):
        raise invalid(path, _("An object is required."))
    allowed = OFFER_KEYS if kind == "offer" else NEED_KEYS
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise invalid(f"{path}.{unknown[0]}", _("Unknown field."))
    try:
        if kind == "offer":
            materials = [listing_rules.clean_material(data.get("material"))]
        else:
            materials = listing_rules.clean_materials(data.get("materials"))
        terms = listing_rules.clean_terms(data, materials, distance_required=kind == "need")
        cleaned: dict[str, Any] = {
            "latitude": _coordinate("latitude", data.get("latitude"), 90),
            "longitude": _coordinate("longitude", data.get("longitude"), 180),
        }
        if kind == "offer":
            cleaned["material"] = materials[0].key
            cleaned["current_destination"] = listing_rules.clean_destination(data.get("current_destination"))
        else:
            cleaned["materials"] = [m.key for m in materials]
    except DomainError as exc:
        raise invalid(f"{path}.{exc.field}" if exc.field else path, exc.message) from None
    cleaned["name"] = _clean_name(data.get("name"), path)
    for key in ("quantity", "min_lot", "max_distance_km"):
        cleaned[key] = None if terms[key] is None else str(terms[key])
    for key in ("available_from", "available_until"):
        cleaned[key] = terms[key].isoformat() if terms[key] else None
    cleaned["unit"] = str(terms["unit"])
    cleaned["period"] = str(terms["period"])
    return cleaned


def _clean_storage(data: Any, path: str) -> dict[str, Any]:
    """One hypothetical storage yard as JSON-ready values, validated as a real yard is
    (``marketplace.storages.clean_storage_terms``); errors name ``path.field``."""
    if not isinstance(data, dict):
        raise invalid(path, _("An object is required."))
    unknown = sorted(set(data) - set(STORAGE_KEYS))
    if unknown:
        raise invalid(f"{path}.{unknown[0]}", _("Unknown field."))
    try:
        terms = storages.clean_storage_terms(data)
        cleaned: dict[str, Any] = {
            "latitude": _coordinate("latitude", data.get("latitude"), 90),
            "longitude": _coordinate("longitude", data.get("longitude"), 180),
        }
    except DomainError as exc:
        raise invalid(f"{path}.{exc.field}" if exc.field else path, exc.message) from None
    cleaned["name"] = _clean_name(data.get("name"), path)
    cleaned["materials"] = sorted(m.key for m in terms["materials"])
    cleaned["capacity"] = str(terms["capacity"])
    cleaned["unit"] = str(terms["unit"])
    for key in ("available_from", "available_until"):
        cleaned[key] = terms[key].isoformat() if terms[key] else None
    for key in ("handling_kg_co2e_per_t", "handling_cost_kzt_per_t"):
        cleaned[key] = None if terms[key] is None else str(terms[key])
    return cleaned


def _kind_of(item: Any) -> str:
    if isinstance(item, dict):
        kind = item.get("kind")
        if kind in ("offer", "need", "storage"):
            return kind
        if kind is None:
            if "capacity" in item:
                return "storage"
            return "need" if "materials" in item else "offer"
    return "invalid"


def clean_extra_listings(value: Any) -> dict[str, list[dict[str, Any]]]:
    """``extra_listings`` as ``{"offers": [...], "needs": [...], "storages": [...]}``.

    Given either as a list of listings (each with ``kind`` = ``offer``, ``need`` or ``storage``,
    or inferred: ``materials`` makes a need, unless ``capacity`` makes it a yard) or as
    ``{"offers": [...], "needs": [...], "storages": [...]}``. A hypothetical yard is used by the
    time-bucket engine (``time_step`` month or week) like a real one that accepts automatically;
    with ``time_step: none`` no material waits, so it stays unused.
    """
    field = "parameters.extra_listings"
    out: dict[str, list[dict[str, Any]]] = {"offers": [], "needs": [], "storages": []}
    items: list[tuple[str, Any, str]] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            items.append((_kind_of(item), item, f"{field}[{i}]"))
    elif isinstance(value, dict):
        unknown = sorted(set(value) - {"offers", "needs", "storages"})
        if unknown:
            raise invalid(f"{field}.{unknown[0]}", _("Unknown field."))
        for key, kind in (("offers", "offer"), ("needs", "need"), ("storages", "storage")):
            group = value.get(key) or []
            if not isinstance(group, list):
                raise invalid(f"{field}.{key}", _("A list is required."))
            items += [(kind, item, f"{field}.{key}[{i}]") for i, item in enumerate(group)]
    else:
        raise invalid(field, _("A list of hypothetical listings is required."))
    if len(items) > MAX_EXTRA_LISTINGS:
        raise invalid(field, _("At most %(n)s hypothetical listings.") % {"n": MAX_EXTRA_LISTINGS})
    for kind, item, path in items:
        if kind == "invalid":
            raise invalid(f"{path}.kind", _("Expected offer, need or storage."))
        if isinstance(item, dict):
            item = {k: v for k, v in item.items() if k != "kind"}
        if kind == "storage":
            out["storages"].append(_clean_storage(item, path))
        else:
            out["offers" if kind == "offer" else "needs"].append(_clean_listing(kind, item, path))
    return out


def clean_parameters(value: Any) -> dict[str, Any]:
    """A what-if run's ``parameters``, cleaned to JSON-ready values (only the keys given)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("parameters", _("An object is required."))
    unknown = sorted(set(value) - set(PARAMETER_KEYS))
    if unknown:
        raise invalid(f"parameters.{unknown[0]}", _("Unknown field."))
    cleaned: dict[str, Any] = {}
    if value.get("radius_factor") is not None:
        cleaned["radius_factor"] = float(
            _number("parameters.radius_factor", value["radius_factor"], *RADIUS_FACTOR_RANGE)
        )
    if value.get("circuity") is not None:
        cleaned["circuity"] = float(_number("parameters.circuity", value["circuity"], Decimal(1), Decimal(3)))
    if value.get("objective") is not None:
        if value["objective"] not in Objective.values:
            raise invalid(
                "parameters.objective",
                _("Unknown objective %(value)s; expected one of: %(choices)s.")
                % {"value": repr(value["objective"]), "choices": ", ".join(Objective.values)},
            )
        cleaned["objective"] = value["objective"]
    if value.get("extra_listings") is not None:
        extra = clean_extra_listings(value["extra_listings"])
        if extra["offers"] or extra["needs"] or extra["storages"]:
            if not extra["storages"]:
                del extra["storages"]  # as stored before hypothetical yards existed
            cleaned["extra_listings"] = extra
    return cleaned
