"""Writing tables for people to open in spreadsheets, safely.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (CSV injection, OWASP). Every export the project writes passes its cells
through :func:`safe_cell`, which prefixes such text with a single quote. Numbers, dates and
booleans are left alone; only text can smuggle a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """``value`` ready for a spreadsheet cell: text that could run as a formula gets a quote."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal, datetime.date)):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (with header) whose every cell went through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(safe_row(row))
    return out.getvalue()


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet") -> bytes:
    """An XLSX workbook of one sheet whose every cell went through :func:`safe_cell`."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    sheet.append(safe_row(header))
    for row in rows:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
