"""Bulk import (CSV, XLSX): all rows or none, every problem reported, untrusted files bounded."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from accounts.models import Event
from marketplace import exports, importers
from marketplace.factor_data import DATA_DIR
from marketplace.models import Need, Offer

HEADER = [
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
]


def rows_for(persona) -> list[list[str]]:
    site = persona.site.name
    return [
        [
            "offer",
            site,
            "brewers_spent_grain",
            "40",
            "t",
            "week",
            "",
            "",
            "5",
            "",
            "landfill",
            "Daily.",
            "active",
        ],
        [
            "offer",
            site,
            "jute_bags",
            "3000",
            "piece",
            "month",
            "2026-01-01",
            "2026-12-31",
            "500",
            "",
            "",
            "",
            "",
        ],
        [
            "need",
            site,
            "straw;chicken_manure",
            "600",
            "t",
            "year",
            "",
            "",
            "",
            "80",
            "",
            "Compost.",
            "active",
        ],
    ]


def csv_bytes(rows, header=HEADER, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(persona, data: bytes, filename="listings.csv", default_kind=None):
    return importers.listings_import(
        organisation=persona.organisation,
        actor=persona.user,
        data=data,
        filename=filename,
        default_kind=default_kind,
    )


def test_a_clean_csv_creates_every_listing_through_the_services(brewery, catalogue):
    result = run(brewery, csv_bytes(rows_for(brewery)))
    assert len(result.offers) == 2 and len(result.needs) == 1
    assert Offer.objects.get(material__key="jute_bags").status == "draft"
    assert sorted(m.key for m in Need.objects.get().materials.all()) == ["chicken_manure", "straw"]
    assert Event.objects.filter(action__in=["offer.created", "need.created"]).count() == 3


def test_a_clean_xlsx_with_real_dates_and_numbers_imports(brewery, catalogue):
    import datetime

    rows = rows_for(brewery)
    # Spreadsheets hold naive date-times; the importer keeps only the date.
    rows[1][3], rows[1][7] = 3000, datetime.date(2026, 12, 31)
    rows[1][6] = datetime.datetime(2026, 1, 1)  # noqa: DTZ001
    rows[0][3] = 40.5
    run(brewery, xlsx_bytes(rows), filename="listings.xlsx")
    assert Offer.objects.get(material__key="brewers_spent_grain").quantity == 40.5
    assert str(Offer.objects.get(material__key="jute_bags").available_from) == "2026-01-01"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_whose_last_row_is_bad_writes_nothing_and_names_row_and_field(brewery, catalogue, fmt):
    rows = [
        *rows_for(brewery),
        ["offer", brewery.site.name, "bricks", "10.5", "piece", "once", "", "", "", "", "", "", ""],
    ]
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    events = Event.objects.count()
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, data, filename=f"listings.{fmt}")
    assert [(e.row, e.field) for e in caught.value.errors] == [(5, "quantity")]
    assert Offer.objects.count() == Need.objects.count() == 0 and Event.objects.count() == events


def test_every_bad_row_is_reported_not_just_the_first(brewery, farm, catalogue):
    site = brewery.site.name
    rows = [
        ["offer", site, "unobtainium", "1", "t", "year", "", "", "", "", "", "", ""],
        ["offer", site, "brewers_spent_grain", "-1", "t", "year", "", "", "", "", "", "", ""],
        ["need", site, "straw", "5", "t", "year", "", "", "", "", "", "", ""],
        ["offer", farm.site.name, "straw", "5", "t", "year", "", "", "", "", "", "", ""],
        ["swap", site, "straw", "5", "t", "year", "", "", "", "", "", "", ""],
        ["offer", site, "straw", "5", "t", "year", "2026-02-01", "2026-01-01", "", "", "", "", ""],
        ["need", site, "bricks;jute_bags", "5", "piece", "year", "", "", "", "50", "", "", ""],
        ["offer", site, "straw", "5", "t", "year", "", "", "6", "", "", "", ""],
        ["offer", site, "straw", "5", "t", "year", "", "", "", "", "", "", "archived"],
        *rows_for(brewery),
    ]
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows))
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (2, "material"),
        (3, "quantity"),
        (4, "max_distance_km"),
        (5, "site"),
        (6, "kind"),
        (7, "available_until"),
        (8, "materials"),
        (9, "min_lot"),
        (10, "status"),
    ]
    assert Offer.objects.count() == 0


def test_a_cell_with_a_null_character_is_a_row_error_not_a_crash(brewery, catalogue):
    rows = rows_for(brewery)
    rows[0][2] = "straw\x00"
    rows[1][11] = "text\x00more"
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "materials"), (3, "description")]


def test_an_unknown_or_missing_column_is_reported_on_row_one(brewery, catalogue):
    header = [c if c != "quantity" else "quantiy" for c in HEADER]
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows_for(brewery), header=header))
    assert {(e.row, e.field) for e in caught.value.errors} == {(1, "quantiy"), (1, "quantity")}


def test_semicolon_separated_csv_in_windows_cyrillic_is_read(brewery, catalogue):
    rows = [["offer", brewery.site.name, "straw", "5", "t", "year", "", "", "", "", "", "Солома, сухая", ""]]
    data = csv_bytes(rows, delimiter=";").decode("utf-8").encode("cp1251")
    run(brewery, data)
    assert Offer.objects.get().description == "Солома, сухая"


def test_the_offers_endpoint_refuses_need_rows(brewery, catalogue):
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows_for(brewery)), default_kind="offer")
    assert [(e.row, e.field) for e in caught.value.errors] == [(4, "kind")]


def test_an_oversize_file_is_refused_before_parsing(brewery, catalogue):
    data = csv_bytes(rows_for(brewery)) + b"#" * importers.MAX_IMPORT_BYTES
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, data)
    assert caught.value.errors[0].field == "file" and "2 MB" in caught.value.errors[0].reason


def test_more_rows_than_the_limit_are_refused(brewery, catalogue, monkeypatch):
    monkeypatch.setattr(importers, "MAX_IMPORT_ROWS", 2)
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows_for(brewery)))
    assert "rows" in caught.value.errors[0].reason


def test_an_xlsx_that_is_not_a_zip_is_refused(brewery, catalogue):
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, csv_bytes(rows_for(brewery)), filename="listings.xlsx")
    assert "zip" in caught.value.errors[0].reason


def test_a_zip_that_unpacks_to_too_much_is_refused_before_openpyxl(brewery, catalogue):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (importers.MAX_XLSX_UNCOMPRESSED_BYTES + 1))
    with pytest.raises(importers.ImportRefused) as caught:
        run(brewery, out.getvalue(), filename="bomb.xlsx")
    assert "unpacks" in caught.value.errors[0].reason


def test_a_zip_that_is_not_a_workbook_is_refused(brewery, catalogue):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(importers.ImportRefused):
        run(brewery, out.getvalue(), filename="x.xlsx")


def test_the_shipped_template_is_a_valid_import_for_an_organisation_with_that_site(brewery, catalogue):
    from tests import factories

    factories.make_site(brewery.organisation, "Brewery", latitude="43.2664", longitude="76.8803")
    result = run(brewery, (DATA_DIR / "listings-template.csv").read_bytes())
    assert len(result.offers) == 2 and len(result.needs) == 2


# --- API, command and web page -----------------------------------------------------------
def test_the_api_import_returns_201_with_ids(brewery, catalogue):
    upload = SimpleUploadedFile("l.csv", csv_bytes(rows_for(brewery)), content_type="text/csv")
    response = brewery.client().post("/api/v1/listings/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert len(response.json()["offers"]) == 2 and len(response.json()["needs"]) == 1


def test_the_api_import_returns_every_error_as_400(brewery, catalogue):
    rows = [*rows_for(brewery), ["offer", "Nowhere", "straw", "1", "t", "year", "", "", "", "", "", "", ""]]
    upload = SimpleUploadedFile("l.csv", csv_bytes(rows), content_type="text/csv")
    response = brewery.client().post("/api/v1/offers/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert {"row": 4, "field": "kind", "reason": "Only offers can be imported here."} in body["errors"]
    assert any(e["row"] == 5 and e["field"] == "site" for e in body["errors"])
    assert body["file"] and Offer.objects.count() == 0


def test_the_needs_import_endpoint_fills_a_missing_kind_column(farm, catalogue):
    header = [c for c in HEADER if c != "kind"]
    rows = [[farm.site.name, "straw", "100", "t", "year", "", "", "", "50", "", "", "active"]]
    upload = SimpleUploadedFile("n.csv", csv_bytes(rows, header=header), content_type="text/csv")
    response = farm.client().post("/api/v1/needs/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert Need.objects.get().status == "active"


def test_the_command_imports_and_refuses_with_a_report(brewery, catalogue, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(rows_for(brewery)))
    call_command("import_listings", str(good), "--organisation", brewery.organisation.name)
    assert Offer.objects.count() == 2
    bad = tmp_path / "bad.xlsx"
    # A formula cell has no value for a reader that ignores formulas: refused, never evaluated.
    bad.write_bytes(
        xlsx_bytes(
            [["offer", brewery.site.name, '=HYPERLINK("x")', "1", "t", "year", "", "", "", "", "", "", ""]]
        )
    )
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_listings",
            str(bad),
            "--organisation",
            str(brewery.organisation.pk),
            "--report",
            str(report),
        )
    assert Offer.objects.count() == 2
    lines = list(csv.reader(report.open(encoding="utf-8")))
    assert lines[0] == ["row", "field", "reason"] and lines[1] == ["2", "materials", importers.FORMULA_REASON]


def test_the_command_refuses_an_unknown_organisation(tmp_path, db):
    path = tmp_path / "x.csv"
    path.write_text("kind\n")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_listings", str(path), "--organisation", "Nobody Ltd")


def test_the_web_page_imports_and_shows_every_problem(brewery, catalogue, client):
    client.force_login(brewery.user)
    assert client.get("/marketplace/import/").status_code == 200
    rows = [
        *rows_for(brewery),
        ["offer", brewery.site.name, "straw", "abc", "t", "year", "", "", "", "", "", "", ""],
    ]
    response = client.post("/marketplace/import/", {"file": SimpleUploadedFile("l.csv", csv_bytes(rows))})
    assert response.status_code == 400
    assert "A number is required." in response.content.decode()
    report = client.get("/marketplace/import/errors.csv").content.decode()
    assert report.splitlines()[1].startswith("5,quantity,")
    # A valid file is previewed first; nothing is written until the confirmation.
    preview = client.post("/marketplace/import/", {"file": SimpleUploadedFile("l.csv", csv_bytes(rows[:3]))})
    assert preview.status_code == 200 and 'id="import-preview"' in preview.content.decode()
    assert Offer.objects.count() == 0
    token = preview.context["token"]
    response = client.post("/marketplace/import/confirm/", {"token": token})
    assert response.status_code == 302 and Offer.objects.count() == 2
    assert client.get("/marketplace/import/template.csv").status_code == 200


# --- Exports -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_exports_neutralise_cells_that_a_spreadsheet_would_run(text):
    assert exports.safe_cell(text) == "'" + text
    assert (
        next(csv.reader(io.StringIO(exports.csv_text(["h"], [[text]]).split("\r\n", 1)[1])))[0] == "'" + text
    )
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(["h"], [[text]]))).active
    assert sheet["A2"].value.startswith("'") and sheet["A2"].data_type == "s"


def test_exports_leave_numbers_and_plain_text_alone():
    assert exports.safe_cell(-5) == -5 and exports.safe_cell("Spent grain") == "Spent grain"
    assert exports.safe_cell(None) == ""
