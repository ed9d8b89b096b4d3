"""The impact report as CSV (streamed) and XLSX, every cell formula-safe.

Both have the same table: a header, one line per row, and a last ``total`` line. The XLSX
workbook adds an "About" sheet (basis, grouping, dates, factor sets) and the Sankey "Flows".
Text cells go through :func:`marketplace.exports.safe_cell`, so a material named ``=HYPERLINK(…)``
arrives in the spreadsheet as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from marketplace.exports import XLSX_CONTENT_TYPE, safe_row

from .impact_report import METRIC_KEYS, MONEY_KEYS

__all__ = [
    "CSV_CONTENT_TYPE",
    "XLSX_CONTENT_TYPE",
    "TABLE_HEADER",
    "csv_lines",
    "export_filename",
    "table_rows",
    "xlsx_bytes",
]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# The estimated KZT columns last (empty without a published tariff), labelled as estimates.
TABLE_HEADER = ("key", "label", *METRIC_KEYS, *(f"{key}_estimate" for key in MONEY_KEYS))
TOTAL_KEY = "total"


def _number(value: Any) -> Any:
    # Fixed-point text: str(Decimal) may switch to exponent notation ("1E+3") for some values.
    return format(value, "f") if isinstance(value, Decimal) else value


def table_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """The report's rows then its totals, as lists in :data:`TABLE_HEADER` order."""
    for row in report["rows"]:
        yield [row["key"], row["label"], *(row[key] for key in METRIC_KEYS), *_money(row)]
    totals = report["totals"]
    yield [TOTAL_KEY, _("Total"), *(totals[key] for key in METRIC_KEYS), *_money(totals)]


def _money(figures: dict[str, Any]) -> list[Any]:
    return [figures.get(key) if figures.get(key) is not None else "" for key in MONEY_KEYS]


class _Echo:
    """A write-only file whose ``write`` returns the line, for streaming with :mod:`csv`."""

    def write(self, value: str) -> str:
        return value


def csv_lines(report: dict[str, Any]) -> Iterator[str]:
    """The CSV document line by line (for a ``StreamingHttpResponse``), header first."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(safe_row(TABLE_HEADER))
    for row in table_rows(report):
        yield writer.writerow(safe_row(_number(value) for value in row))


def export_filename(report: dict[str, Any], extension: str) -> str:
    parts = ["qaita-impact", report["basis"], report["group_by"]]
    if report.get("from"):
        parts.append(f"from-{report['from']:%Y-%m-%d}")
    if report.get("to"):
        parts.append(f"to-{report['to']:%Y-%m-%d}")
    return "-".join(parts) + f".{extension}"


def xlsx_bytes(report: dict[str, Any]) -> bytes:
    """A write-only workbook: "Report" (the table), "Flows" (Sankey links) and "About"."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    table = workbook.create_sheet("Report")
    table.append(safe_row(TABLE_HEADER))
    for row in table_rows(report):
        table.append(safe_row(row))
    flows = workbook.create_sheet("Flows")
    flows.append(safe_row(("source", "target", "value_t", "source_label", "target_label")))
    for link in report["flows"]:
        flows.append(
            safe_row(
                (link["source"], link["target"], link["value_t"], link["source_label"], link["target_label"])
            )
        )
    about = workbook.create_sheet("About")
    for name, value in (
        ("basis", report["basis"]),
        ("group_by", report["group_by"]),
        ("from", report["from"].isoformat() if report.get("from") else ""),
        ("to", report["to"].isoformat() if report.get("to") else ""),
        ("scope", report.get("scope", "")),
        ("factor_sets", ", ".join(report["factor_sets"])),
        ("units", "mass_t in t; tkm in t·km; *_kg in kg CO2e; deals and organisations are distinct counts"),
    ):
        about.append(safe_row((name, value)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
