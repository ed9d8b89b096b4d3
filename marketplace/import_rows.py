"""The rows of a listings import: every problem of every row, and rows equal to active listings.

Each field of a row is checked on its own by the services' own rules (``listing_rules``), so a
person fixing a file sees all of a row's problems at once; a row with none is then checked
whole by the services, exactly as they will write it. Valid rows become :class:`PreviewRow`s,
flagged when they are one of the template's examples or equal to an active listing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import DomainError, invalid
from accounts.models import Organisation, Site

from . import listing_rules as rules
from . import services
from .listing_rules import clean_create_status
from .models import ListingStatus, Need, Offer, Period, Unit

KINDS = ("offer", "need")
#: A ``note`` starting with this marks a row as one of the template's examples.
EXAMPLE_NOTE = "example"


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` counts the header as row 1, as a spreadsheet shows it (0: the file)."""

    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row else ""
        return f"{where}{self.field}: {self.reason}"


class ImportRefused(Exception):
    """The file was refused; ``errors`` lists every problem found. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


@dataclass
class PreviewRow:
    """A valid row as it would be written: ``duplicate_of`` names an equal active listing (its id)
    and ``duplicate_row`` an earlier equal row of the same file."""

    row: int
    kind: str
    fields: dict[str, Any]
    cleaned: dict[str, Any]
    example: bool = False
    duplicate_of: int | None = None
    duplicate_row: int | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None or self.duplicate_row is not None

    @property
    def status(self) -> str:
        return str(self.fields["status"])

    @property
    def material_keys(self) -> list[str]:
        return [m.key for m in self.cleaned.get("materials") or [self.cleaned["material"]]]

    def as_dict(self) -> dict[str, Any]:
        cleaned = self.cleaned
        return {
            "row": self.row,
            "kind": self.kind,
            "site": cleaned["site"].name,
            "materials": self.material_keys,
            "quantity": str(cleaned["quantity"]),
            "unit": cleaned["unit"],
            "period": cleaned["period"],
            "status": self.status,
            "example": self.example,
            "duplicate_of": self.duplicate_of,
            "duplicate_row": self.duplicate_row,
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _value(value: Any) -> Any:
    """Cells as the services take them: dates stay dates, numbers become exact text."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value
    if isinstance(value, float):
        return repr(value)
    return _text(value) or None


def _find_site(sites: dict[str, Site], value: Any) -> Site:
    text = _text(value)
    site = sites.get(text.casefold()) or (sites.get(f"#{int(text)}") if text.isdigit() else None)
    if site is None:
        raise invalid("site", _("Your organisation has no site %(site)s.") % {"site": repr(text)})
    return site


def _row_fields(kind: str, cells: dict[str, Any], sites: dict[str, Site]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "site": _find_site(sites, cells.get("site")),
        **_plain_fields(kind, cells),
    }
    return fields


def _plain_fields(kind: str, cells: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "quantity": _value(cells.get("quantity")),
        "unit": _text(cells.get("unit")).lower(),
        "period": _text(cells.get("period")).lower() or None,
        "available_from": _value(cells.get("available_from")),
        "available_until": _value(cells.get("available_until")),
        "min_lot": _value(cells.get("min_lot")),
        "max_distance_km": _value(cells.get("max_distance_km")),
        "description": _text(cells.get("description")),
    }
    keys = (_text(cells.get("materials")) or _text(cells.get("material"))).lower()
    if kind == "offer":
        fields["material"] = keys
        fields["current_destination"] = _text(cells.get("current_destination")).lower() or None
    else:
        fields["materials"] = [key.strip() for key in keys.split(";") if key.strip()]
    return fields


def _row_problems(kind: str, cells: dict[str, Any], sites: dict[str, Site]) -> list[DomainError]:
    """Every problem of one row, each field checked on its own by the services' own rules.

    The services stop at a row's first problem; a person fixing a file wants them all at once.
    """
    problems: list[DomainError] = []

    def attempt(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except DomainError as exc:
            problems.append(exc)
            return None

    fields = _plain_fields(kind, cells)
    attempt(lambda: _find_site(sites, cells.get("site")))
    materials: list[Any] | None
    if kind == "offer":
        if ";" in fields["material"]:
            problems.append(invalid("material", _("An offer is of exactly one material.")))
            materials = None
        else:
            material = attempt(lambda: rules.clean_material(fields["material"]))
            materials = [material] if material is not None else None
        attempt(lambda: rules.clean_destination(fields["current_destination"]))
    else:
        materials = attempt(lambda: rules.clean_materials(fields["materials"]))
        if _text(cells.get("current_destination")):
            problems.append(invalid("current_destination", _("Only offers have a current destination.")))
    unit = attempt(
        lambda: (
            rules.clean_unit(fields["unit"], materials)
            if materials
            else rules.clean_choice("unit", fields["unit"], Unit.values)
        )
    )
    step, most = rules.QUANTITY_STEP, rules.MAX_QUANTITY
    quantity = attempt(lambda: rules.clean_decimal("quantity", fields["quantity"], maximum=most, step=step))
    min_lot = attempt(
        lambda: rules.clean_decimal("min_lot", fields["min_lot"], maximum=most, step=step, required=False)
    )
    if unit:
        attempt(lambda: rules.require_whole("quantity", quantity, unit))
        attempt(lambda: rules.require_whole("min_lot", min_lot, unit))
    if min_lot is not None and quantity is not None and min_lot > quantity:
        problems.append(invalid("min_lot", _("The minimum lot cannot exceed the quantity.")))
    start = attempt(lambda: rules.clean_date("available_from", fields["available_from"]))
    end = attempt(lambda: rules.clean_date("available_until", fields["available_until"]))
    if start and end and start > end:
        problems.append(invalid("available_until", _("The window ends before it starts.")))
    attempt(lambda: rules.clean_choice("period", fields["period"] or Period.YEAR, Period.values))
    attempt(
        lambda: rules.clean_decimal(
            "max_distance_km",
            fields["max_distance_km"],
            maximum=rules.MAX_DISTANCE_KM,
            step=rules.DISTANCE_STEP,
            required=kind == "need",
        )
    )
    attempt(lambda: rules.clean_description(fields["description"]))
    attempt(lambda: clean_create_status(_text(cells.get("status")).lower() or None))
    return problems


def check_rows(
    organisation: Organisation, records: list[tuple[int, dict[str, Any]]], default_kind: str | None
) -> tuple[list[PreviewRow], list[RowError]]:
    sites: dict[str, Site] = {}
    for site in Site.objects.filter(organisation=organisation):
        sites[site.name.casefold()] = site
        sites[f"#{site.pk}"] = site
    valid: list[PreviewRow] = []
    errors: list[RowError] = []
    for number, cells in records:
        nul = next(
            (column for column, value in cells.items() if isinstance(value, str) and "\x00" in value), None
        )
        if nul is not None:
            errors.append(RowError(number, nul, _("Null characters are not allowed.")))
            continue
        kind = _text(cells.get("kind")).lower() or (default_kind or "")
        if kind not in KINDS:
            errors.append(RowError(number, "kind", _("Expected 'offer' or 'need'.")))
            continue
        if default_kind and kind != default_kind:
            errors.append(
                RowError(
                    number,
                    "kind",
                    _("Only offers can be imported here.")
                    if default_kind == "offer"
                    else _("Only needs can be imported here."),
                )
            )
            continue
        problems = _row_problems(kind, cells, sites)
        if not problems:
            try:  # the services' own check of the whole row, exactly as they will write it
                fields = _row_fields(kind, cells, sites)
                status = clean_create_status(_text(cells.get("status")).lower() or None)
                if kind == "offer":
                    cleaned = services.offer_validate(organisation=organisation, fields=fields)
                else:
                    cleaned = services.need_validate(organisation=organisation, fields=fields)
            except DomainError as exc:
                problems.append(exc)
        if problems:
            errors += [RowError(number, exc.field or "row", exc.message) for exc in problems]
            continue
        note = _text(cells.get("note")).lower()
        valid.append(
            PreviewRow(
                row=number,
                kind=kind,
                fields={**fields, "status": status},
                cleaned=cleaned,
                example=note.startswith(EXAMPLE_NOTE),
            )
        )
    return valid, errors


def _signature(kind: str, site_id: int, material_ids: list[int], quantity, unit: str, period: str) -> tuple:
    return (kind, site_id, tuple(sorted(material_ids)), Decimal(quantity).normalize(), unit, period)


def mark_duplicates(organisation: Organisation, rows: list[PreviewRow]) -> None:
    """Flag rows equal (site, material(s), quantity, unit, period) to an active listing of the
    organisation, or to an earlier row of the same file: importing a file twice makes no copies."""
    active: dict[tuple, int] = {}
    for offer in Offer.objects.filter(organisation=organisation, status=ListingStatus.ACTIVE).order_by("pk"):
        key = _signature(
            "offer", offer.site_id, [offer.material_id], offer.quantity, offer.unit, offer.period
        )
        active.setdefault(key, offer.pk)
    needs = Need.objects.filter(organisation=organisation, status=ListingStatus.ACTIVE).prefetch_related(
        "materials"
    )
    for need in needs.order_by("pk"):
        material_ids = [m.pk for m in need.materials.all()]
        key = _signature("need", need.site_id, material_ids, need.quantity, need.unit, need.period)
        active.setdefault(key, need.pk)
    seen: dict[tuple, int] = {}
    for row in rows:
        c = row.cleaned
        material_ids = [m.pk for m in (c.get("materials") or [c["material"]])]
        key = _signature(row.kind, c["site"].pk, material_ids, c["quantity"], c["unit"], c["period"])
        row.duplicate_of = active.get(key)
        row.duplicate_row = seen.get(key) if row.duplicate_of is None else None
        seen.setdefault(key, row.row)
