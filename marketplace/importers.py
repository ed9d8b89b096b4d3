"""Bulk import of offers and needs from CSV or XLSX: all rows or none.

Every row is first checked by the same validation the services use; if any row is wrong the
import is refused with the complete list of problems (row, field, reason) and nothing is
written. Only a clean file is written, in one transaction, through the services, so each
listing gets its audit event as if it had been typed in.

Untrusted files are bounded before they are parsed: size, row count, and for XLSX the zip
container (entry count and uncompressed size) before openpyxl sees it.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError, invalid
from accounts.models import Organisation, Site, User

from . import listing_rules as rules
from . import services
from .listing_rules import clean_create_status
from .models import Need, Offer

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 200
KINDS = ("offer", "need")
# Every column an import may have: the services' own fields, plus the row kind and status.
COLUMNS = ("kind", *dict.fromkeys(rules.OFFER_FIELDS + rules.NEED_FIELDS), "status")
REQUIRED_COLUMNS = ("site", "quantity", "unit")
TEMPLATE_COLUMNS = (
    "kind",
    "site",
    "materials",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "min_lot",
    "max_distance_km",
    "current_destination",
    "description",
    "status",
)
ERROR_REPORT_HEADER = ("row", "field", "reason")


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
class ImportResult:
    offers: list[Offer] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)


def _file_error(reason: str) -> ImportRefused:
    return ImportRefused([RowError(0, "file", reason)])


# --- Reading -----------------------------------------------------------------------------
def _normalise_header(cells: list[Any]) -> list[str]:
    return [str(c or "").strip().lower().replace(" ", "_").replace("-", "_") for c in cells]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error(_("The CSV file is not UTF-8 text."))


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise _file_error(_("The CSV file cannot be read: %(error)s.") % {"error": exc}) from None


def _check_xlsx_container(data: bytes) -> None:
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise _file_error(_("This is not an XLSX file (an XLSX file is a zip archive)."))
    try:
        with zipfile.ZipFile(buffer) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error(_("The XLSX archive is damaged.")) from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise _file_error(_("The XLSX archive has too many parts."))
    if sum(entry.file_size for entry in entries) > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _file_error(
            _("The XLSX file unpacks to more than %(n)s MB.")
            % {"n": MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)}
        )
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise _file_error(_("The archive is not an Excel workbook."))


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    _check_xlsx_container(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for broken files; all mean the same to a user
        raise _file_error(_("The XLSX file cannot be read.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except Exception:
        raise _file_error(_("The XLSX file cannot be read.")) from None
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and data rows (numbered as a spreadsheet shows them) of a CSV or XLSX file."""
    if len(data) > MAX_IMPORT_BYTES:
        raise _file_error(_("The file is larger than %(n)s MB.") % {"n": MAX_IMPORT_BYTES // (1024 * 1024)})
    if not data:
        raise _file_error(_("The file is empty."))
    name = filename.lower()
    if name.endswith(".xls"):
        raise _file_error(_("Old .xls workbooks are not supported; save as .xlsx or .csv."))
    is_xlsx = name.endswith(".xlsx") or data[:4] == b"PK\x03\x04"
    rows = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    header: list[str] | None = None
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows, start=1):
        if header is None:
            header = _normalise_header(cells)
            _check_header(header)
            continue
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        if len(records) >= MAX_IMPORT_ROWS:
            raise _file_error(_("The file has more than %(n)s rows.") % {"n": f"{MAX_IMPORT_ROWS:,}"})
        records.append(
            (
                number,
                {column: cells[i] if i < len(cells) else None for i, column in enumerate(header) if column},
            )
        )
    if header is None:
        raise _file_error(_("The file is empty."))
    if not records:
        raise _file_error(_("The file has a header but no rows."))
    return header, records


def _check_header(header: list[str]) -> None:
    errors = [
        RowError(1, column, _("Unknown column.")) for column in header if column and column not in COLUMNS
    ]
    errors += [
        RowError(1, column, _("This column is required."))
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    if "material" not in header and "materials" not in header:
        errors.append(RowError(1, "materials", _("A material or materials column is required.")))
    if len(set(c for c in header if c)) != len([c for c in header if c]):
        errors.append(RowError(1, "file", _("A column appears twice.")))
    if errors:
        raise ImportRefused(errors)


# --- Validation and writing --------------------------------------------------------------
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
        if ";" in keys:
            raise invalid("material", _("An offer is of exactly one material."))
        fields["material"] = keys
        fields["current_destination"] = _text(cells.get("current_destination")).lower() or None
    else:
        fields["materials"] = [key.strip() for key in keys.split(";") if key.strip()]
        if _text(cells.get("current_destination")):
            raise invalid("current_destination", _("Only offers have a current destination."))
    return fields


def _check_rows(
    organisation: Organisation, records: list[tuple[int, dict[str, Any]]], default_kind: str | None
) -> tuple[list[tuple[str, dict[str, Any]]], list[RowError]]:
    sites: dict[str, Site] = {}
    for site in Site.objects.filter(organisation=organisation):
        sites[site.name.casefold()] = site
        sites[f"#{site.pk}"] = site
    valid: list[tuple[str, dict[str, Any]]] = []
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
        try:
            fields = _row_fields(kind, cells, sites)
            status = clean_create_status(_text(cells.get("status")).lower() or None)
            if kind == "offer":
                services.offer_validate(organisation=organisation, fields=fields)
            else:
                services.need_validate(organisation=organisation, fields=fields)
        except DomainError as exc:
            errors.append(RowError(number, exc.field or "row", exc.message))
            continue
        valid.append((kind, {**fields, "status": status}))
    return valid, errors


def listings_import(
    *,
    organisation: Organisation,
    actor: User | None,
    data: bytes,
    filename: str = "",
    default_kind: str | None = None,
) -> ImportResult:
    """Import a CSV or XLSX file of listings for ``organisation``: every row, or none.

    ``default_kind`` (``"offer"``/``"need"``) fills an absent ``kind`` column and refuses rows
    of the other kind. Raises :class:`ImportRefused` listing every problem; writes nothing then.
    """
    if default_kind is not None and default_kind not in KINDS:
        raise ValueError(default_kind)
    _header, records = read_rows(data, filename)
    valid, errors = _check_rows(organisation, records, default_kind)
    if errors:
        raise ImportRefused(errors)
    result = ImportResult()
    try:
        with transaction.atomic():
            for kind, fields in valid:
                if kind == "offer":
                    result.offers.append(
                        services.offer_create(organisation=organisation, actor=actor, **fields)
                    )
                else:
                    result.needs.append(
                        services.need_create(organisation=organisation, actor=actor, **fields)
                    )
    except DomainError as exc:  # a rule that depends on the database changed meanwhile
        raise ImportRefused([RowError(0, exc.field or "file", exc.message)]) from None
    return result
