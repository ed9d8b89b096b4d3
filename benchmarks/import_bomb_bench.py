"""Benchmark: how fast hostile spreadsheets are refused by the listing import (issue 9, point 3).

Usage (from the project root)::

    .venv/bin/python benchmarks/import_bomb_bench.py [--repeat 5] [--baseline]

Builds each file in memory and times ``marketplace.importers.read_rows`` on it (the step every
import, API or web, goes through before any database work), printing the file size, the answer
and the median wall time:

- ``400k empty rows``: the file of the issue, ~1.1 MB, 400,000 ``<row/>`` elements under a
  header (its ``<dimension>`` claims one row, so only the stream count can catch it);
- ``declared 400k rows``: the same with an honest ``<dimension ref="A1:E400001">``;
- ``wide row``: one row of 300,000 empty cells;
- ``shared-text flood``: 1,000,000 empty shared strings;
- ``5,000 good rows``: a legitimate file at the row limit, parsed in full, for comparison.

``--baseline`` also times what openpyxl alone spends walking the 400k-row file with the honest
dimension (what the import did before the bounds; openpyxl stops at the declared last row).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = ["kind", "site", "materials", "quantity", "unit"]


def _template() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(HEADER)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rewrite(
    *, sheet_rows: str = "", dimension: str | None = None, shared_strings: str | None = None
) -> bytes:
    """The one-sheet template with extra ``sheet_rows`` XML after the header row."""
    source = zipfile.ZipFile(io.BytesIO(_template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if dimension is not None:
                    start = text.index("<dimension ")
                    end = text.index("/>", start) + 2
                    text = text[:start] + f'<dimension ref="{dimension}"/>' + text[end:]
                text = text.replace("</sheetData>", sheet_rows + "</sheetData>")
                data = text.encode()
            if item.filename == "xl/sharedStrings.xml" and shared_strings is not None:
                data = shared_strings.encode()
            target.writestr(item, data)
        if shared_strings is not None and "xl/sharedStrings.xml" not in source.namelist():
            target.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def empty_rows_xlsx(rows: int = 400_000, *, honest_dimension: bool = False) -> bytes:
    """An XLSX of ``rows`` empty rows under a header row: ~1.1 MB for 400,000 rows."""
    body = "".join(f'<row r="{r}" spans="1:5"/>' for r in range(2, rows + 2))
    return _rewrite(sheet_rows=body, dimension=f"A1:E{rows + 1}" if honest_dimension else None)


def wide_row_xlsx(cells: int = 300_000) -> bytes:
    """One row of ``cells`` empty cells (all in column A: references do not have to be unique)."""
    return _rewrite(sheet_rows='<row r="2">' + '<c r="A2"/>' * cells + "</row>")


def shared_text_flood_xlsx(texts: int = 1_000_000) -> bytes:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{texts}" uniqueCount="{texts}">' + "<si><t/></si>" * texts + "</sst>"
    )
    return _rewrite(shared_strings=xml)


def good_rows_xlsx(rows: int, site: str = "Main site") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for _ in range(rows):
        sheet.append(["offer", site, "brewers_spent_grain", 40, "t"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def time_read(data: bytes, repeat: int) -> tuple[float, str]:
    from marketplace import importers

    timings = []
    answer = ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            _, records = importers.read_rows(data, "file.xlsx")
            answer = f"read {len(records):,} rows"
        except importers.ImportRefused as refused:
            answer = "400: " + str(refused.errors[0])
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), answer


def baseline_openpyxl(data: bytes) -> float:
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", action="store_true", help="also time openpyxl on the 400k-row file")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import openpyxl

    print(f"python {platform.python_version()}, openpyxl {openpyxl.__version__}, {platform.machine()}")
    print(f"{'file':<22} {'size':>10}  {'median s':>9}  answer")
    cases = [
        ("400k empty rows", empty_rows_xlsx()),
        ("declared 400k rows", empty_rows_xlsx(honest_dimension=True)),
        ("wide row", wide_row_xlsx()),
        ("shared-text flood", shared_text_flood_xlsx()),
        ("5,000 good rows", good_rows_xlsx(5000)),
    ]
    for name, data in cases:
        seconds, answer = time_read(data, args.repeat)
        print(f"{name:<22} {len(data) / 1e6:>8.2f} MB  {seconds:>9.3f}  {answer[:110]}")
    if args.baseline:
        seconds = baseline_openpyxl(cases[1][1])  # openpyxl trusts <dimension>: the honest one
        size = len(cases[1][1]) / 1e6
        print(f"{'openpyxl, no bounds':<22} {size:>8.2f} MB  {seconds:>9.3f}  (before issue 9)")


if __name__ == "__main__":
    main()
