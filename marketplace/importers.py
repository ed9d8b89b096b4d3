"""Bulk import of offers and needs from CSV or XLSX: all rows or none.

Every row is first checked by the same validation the services use; if any row is wrong the
import is refused with the complete list of problems (row, field, reason) and nothing is
written. Only a clean file is written, in one transaction, through the services, so each
listing gets its audit event as if it had been typed in.

Untrusted files are bounded before they are parsed: size, row count, and for XLSX the zip
container (entry count and uncompressed size) before openpyxl sees it.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError, invalid
from accounts.models import Organisation, Site, User
from accounts.throttles import Rate, rate_take

from . import listing_rules as rules
from . import services
from .listing_rules import clean_create_status
from .models import ListingStatus, Need, Offer, Period, Unit

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 200
#: Any part other than the worksheets and the shared texts (which are scanned) is small.
MAX_XLSX_PART_BYTES = 5 * 1024 * 1024
#: Cells in the first sheet and shared texts, empty cells included (5,001 rows x 20 columns).
MAX_XLSX_CELLS = 100_000
MAX_XLSX_COLUMNS = 64
SHARED_STRINGS = "xl/sharedStrings.xml"
SAVE_AS_UTF8 = (
    'The CSV file is not in a text encoding we can read: save it as "CSV UTF-8" '
    "(UTF-8 and UTF-16 with a byte-order mark, and Windows Cyrillic, are read)."
)
FORMULA_REASON = "Formulas are not accepted; paste values (Paste special → Values) and upload again."
KINDS = ("offer", "need")
# Every column an import may have: the services' own fields, plus the row kind and status, and a
# free ``note`` (never imported; the template marks its example rows there).
COLUMNS = ("kind", *dict.fromkeys(rules.OFFER_FIELDS + rules.NEED_FIELDS), "status", "note")
#: A ``note`` starting with this marks a row as one of the template's examples.
EXAMPLE_NOTE = "example"
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
    "note",
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


@dataclass
class ImportResult:
    offers: list[Offer] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    #: Rows equal to an active listing (or an earlier row) that were not confirmed: not written.
    skipped: list[PreviewRow] = field(default_factory=list)


def _file_error(reason: str) -> ImportRefused:
    return ImportRefused([RowError(0, "file", reason)])


# --- Reading -----------------------------------------------------------------------------
def _normalise_header(cells: list[Any]) -> list[str]:
    return [str(c or "").strip().lower().replace(" ", "_").replace("-", "_") for c in cells]


def _decode(data: bytes) -> str:
    """CSV text: UTF-8 (with or without BOM), UTF-16/32 with a BOM, else Windows Cyrillic."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32")):
        if data.startswith(bom):
            return _decode_as(data, encoding)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_as(data, "utf-16")  # Excel's "Unicode text" export
    sample = data[:4096]
    if sample.count(0) * 4 >= len(sample):
        # A NUL in every other byte: UTF-16 without its byte-order mark, which cp1251 would
        # "read" as a garbled header. (A stray NUL in a cell is a row error, reported later.)
        raise _file_error(SAVE_AS_UTF8)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:
        raise _file_error(SAVE_AS_UTF8) from None


def _decode_as(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _file_error(SAVE_AS_UTF8) from None


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
    for entry in entries:
        scanned = entry.filename.startswith("xl/worksheets/") or entry.filename == SHARED_STRINGS
        if not scanned and entry.file_size > MAX_XLSX_PART_BYTES:
            raise _file_error(f"The XLSX part {entry.filename!r} is too large.")
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise _file_error(_("The archive is not an Excel workbook."))


class _TooLarge(Exception):
    """Raised from inside the XML scan to stop reading at once."""


@dataclass
class _SheetExtent:
    rows: int = 0
    cells: int = 0
    max_column: int = 0


def _column_index(reference: str) -> int:
    """``"AB12"`` → 28 (the column of a cell reference; 0 when there is none)."""
    index = 0
    for char in reference:
        if not ("A" <= char <= "Z"):
            break
        index = index * 26 + ord(char) - 64
    return index


def _row_number(reference: str) -> int:
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$").replace("$", "")
    return int(digits) if digits.isdigit() else 0


def _scan_xml(stream: IO[bytes], on_element: Callable[[str, dict[str, str]], None]) -> None:
    """Stream ``stream`` through expat, calling ``on_element(local_name, attributes)`` per start tag.

    No DTDs or entities (no XLSX part has one); reading stops as soon as a callback raises.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_dtd(*_args: Any) -> None:
        raise _TooLarge("The XLSX file contains an XML document type declaration; it is not accepted.")

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = lambda name, attrs: on_element(name.rpartition(" ")[2], attrs)
    try:
        while chunk := stream.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise _file_error(_("The XLSX file cannot be read.")) from None


def _scan_sheet(stream: IO[bytes]) -> _SheetExtent:
    """Count a worksheet's rows and cells, empty ones included, refusing it past the limits.

    Runs before openpyxl reads a single row: an XLSX of 400,000 empty rows is a megabyte on the
    wire and minutes of parsing; here it stops after ``MAX_IMPORT_ROWS + 1`` rows.
    """
    max_rows = MAX_IMPORT_ROWS + 1  # the header too
    extent = _SheetExtent()
    too_many_rows = (
        f"The sheet has more than {MAX_IMPORT_ROWS:,} rows below the header (empty rows count too: "
        "delete the rows below your data)."
    )

    def on_element(name: str, attrs: dict[str, str]) -> None:
        if name == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            if _row_number(last) > max_rows:
                raise _TooLarge(too_many_rows)
            if _column_index(last) > MAX_XLSX_COLUMNS:
                raise _TooLarge(f"The sheet is wider than {MAX_XLSX_COLUMNS} columns.")
        elif name == "row":
            extent.rows += 1
            if extent.rows > max_rows or _row_number(attrs.get("r", "")) > max_rows:
                raise _TooLarge(too_many_rows)
        elif name == "c":
            extent.cells += 1
            if extent.cells > MAX_XLSX_CELLS:
                raise _TooLarge(f"The sheet has more than {MAX_XLSX_CELLS:,} cells.")
            column = _column_index(attrs.get("r", "")) or 1
            if column > MAX_XLSX_COLUMNS:
                raise _TooLarge(f"The sheet is wider than {MAX_XLSX_COLUMNS} columns.")
            extent.max_column = max(extent.max_column, column)

    _scan_xml(stream, on_element)
    return extent


def _scan_shared_strings(stream: IO[bytes]) -> None:
    count = 0

    def on_element(name: str, attrs: dict[str, str]) -> None:
        nonlocal count
        if name == "si":
            count += 1
            if count > MAX_XLSX_CELLS:
                raise _TooLarge(f"The XLSX file has more than {MAX_XLSX_CELLS:,} texts.")

    _scan_xml(stream, on_element)


class _Formula:
    """A cell holding a formula: refused, since its value may not be stored in the file."""

    def __repr__(self) -> str:
        return "<formula>"


FORMULA = _Formula()


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    _check_xlsx_container(data)
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if SHARED_STRINGS in archive.namelist():
                with archive.open(SHARED_STRINGS) as stream:
                    _scan_shared_strings(stream)
    except _TooLarge as exc:
        raise _file_error(str(exc)) from None
    try:
        # Formulas are read as formulas (data_only=False) so that they can be refused by name.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for broken files; all mean the same to a user
        raise _file_error(_("The XLSX file cannot be read.")) from None
    try:
        if not workbook.worksheets:
            raise _file_error(_("The XLSX file has no worksheet."))
        sheet = workbook.worksheets[0]
        try:
            # The very part openpyxl will read (its read-only sheet keeps the path it resolved).
            with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet._worksheet_path) as stream:
                extent = _scan_sheet(stream)
        except _TooLarge as exc:
            raise _file_error(str(exc)) from None
        except (KeyError, zipfile.BadZipFile, OSError):
            raise _file_error(_("The XLSX file cannot be read.")) from None
        if not extent.rows:
            return
        try:
            # Bounded again by what the scan saw: openpyxl pads rows to max_col and fills gaps.
            for row in sheet.iter_rows(max_row=MAX_IMPORT_ROWS + 1, max_col=max(extent.max_column, 1)):
                yield [FORMULA if cell.data_type == "f" else cell.value for cell in row]
        except ImportRefused:
            raise
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
    formulas: list[RowError] = []
    for number, cells in enumerate(rows, start=1):
        if number > 2 * MAX_IMPORT_ROWS + 1:  # blank rows are skipped, but not without end
            raise _file_error(f"The file has more than {2 * MAX_IMPORT_ROWS:,} rows, blank ones included.")
        if header is None:
            if any(cell is FORMULA for cell in cells):
                raise ImportRefused([RowError(1, "header", FORMULA_REASON)])
            header = _normalise_header(cells)
            _check_header(header)
            continue
        formulas += [
            RowError(number, _column_name(header, i), FORMULA_REASON)
            for i, cell in enumerate(cells)
            if cell is FORMULA
        ]
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
    if formulas:
        raise ImportRefused(formulas)
    if header is None:
        raise _file_error(_("The file is empty."))
    if not records:
        raise _file_error(_("The file has a header but no rows."))
    return header, records


def _column_name(header: list[str], index: int) -> str:
    """The header of column ``index``, or its spreadsheet letter when it has none."""
    if index < len(header) and header[index]:
        return header[index]
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"column {letters}"


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


def _check_rows(
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


def _mark_duplicates(organisation: Organisation, rows: list[PreviewRow]) -> None:
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


def listings_preview(
    *, organisation: Organisation, data: bytes, filename: str = "", default_kind: str | None = None
) -> list[PreviewRow]:
    """What an import of this file would create, row by row, writing nothing.

    Raises :class:`ImportRefused` with every problem of every row; otherwise returns the rows, each
    flagged when it is one of the template's examples or equal to an active listing.
    """
    if default_kind is not None and default_kind not in KINDS:
        raise ValueError(default_kind)
    _header, records = read_rows(data, filename)
    valid, errors = _check_rows(organisation, records, default_kind)
    if errors:
        raise ImportRefused(errors)
    _mark_duplicates(organisation, valid)
    return valid


class ImportRateLimited(Exception):
    """The organisation has used up its imports for now (``IMPORT_RATE``); retry after ``wait_s``."""

    def __init__(self, wait_s: float):
        super().__init__(f"Too many imports; retry in {wait_s:.0f} s")
        self.wait_s = wait_s


def import_rate_take(*, organisation: Organisation) -> None:
    """Count one import attempt (accepted or refused) against the organisation's ``IMPORT_RATE``.

    Parsing a spreadsheet is the most expensive thing a member can ask of the server, so the
    API and the web page both call this before reading the file; the command line does not.
    Raises :class:`ImportRateLimited` past the limit.
    """
    wait = rate_take(key=f"import:{organisation.pk}", rate=Rate.parse(settings.IMPORT_RATE))
    if wait is not None:
        raise ImportRateLimited(wait)


def listings_import(
    *,
    organisation: Organisation,
    actor: User | None,
    data: bytes,
    filename: str = "",
    default_kind: str | None = None,
    confirm_duplicates: bool | Iterable[int] = False,
) -> ImportResult:
    """Import a CSV or XLSX file of listings for ``organisation``: every row, or none.

    ``default_kind`` (``"offer"``/``"need"``) fills an absent ``kind`` column and refuses rows
    of the other kind. Raises :class:`ImportRefused` listing every problem; writes nothing then.
    Rows equal to an active listing (or to an earlier row) are skipped and returned in
    ``skipped`` unless confirmed: ``confirm_duplicates`` is ``True`` for all of them, or the row
    numbers of those to write anyway.
    """
    rows = listings_preview(
        organisation=organisation, data=data, filename=filename, default_kind=default_kind
    )
    confirmed = None if confirm_duplicates is True else set(confirm_duplicates or ())
    result = ImportResult()
    try:
        with transaction.atomic():
            for row in rows:
                if row.is_duplicate and confirmed is not None and row.row not in confirmed:
                    result.skipped.append(row)
                elif row.kind == "offer":
                    result.offers.append(
                        services.offer_create(organisation=organisation, actor=actor, **row.fields)
                    )
                else:
                    result.needs.append(
                        services.need_create(organisation=organisation, actor=actor, **row.fields)
                    )
    except DomainError as exc:  # a rule that depends on the database changed meanwhile
        raise ImportRefused([RowError(0, exc.field or "file", exc.message)]) from None
    return result
