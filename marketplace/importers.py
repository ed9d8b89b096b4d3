"""Bulk import of offers and needs from CSV or XLSX: all rows or none.

Every row is first checked by the same validation the services use (``import_rows``); if any
row is wrong the import is refused with the complete list of problems (row, field, reason) and
nothing is written. :func:`listings_preview` shows what a clean file would create; only a clean
file is written, in one transaction, through the services, so each listing gets its audit event
as if it had been typed in. Rows equal to an active listing are skipped unless confirmed.

Untrusted files are bounded before they are parsed: size, row count, and for XLSX the zip
container (entry count and uncompressed size) before openpyxl sees it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.models import Organisation, User
from accounts.throttles import Rate, rate_take

from . import listing_rules as rules
from . import services
from .import_rows import (
    EXAMPLE_NOTE,
    KINDS,
    ImportRefused,
    PreviewRow,
    RowError,
    check_rows,
    mark_duplicates,
)
from .models import Need, Offer

__all__ = [
    "EXAMPLE_NOTE",
    "KINDS",
    "ImportRateLimited",
    "ImportRefused",
    "ImportResult",
    "PreviewRow",
    "RowError",
    "import_rate_take",
    "listings_import",
    "listings_preview",
    "read_rows",
]

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
# Every column an import may have: the services' own fields, plus the row kind and status, and a
# free ``note`` (never imported; the template marks its example rows there). A need's recipe is a
# JSON object, set through the API or the need form, not a spreadsheet cell.
COLUMNS = (
    "kind",
    *dict.fromkeys(f for f in rules.OFFER_FIELDS + rules.NEED_FIELDS if f != "recipe"),
    "status",
    "note",
)
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
    valid, errors = check_rows(organisation, records, default_kind)
    if errors:
        raise ImportRefused(errors)
    mark_duplicates(organisation, valid)
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
