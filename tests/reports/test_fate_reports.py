"""Reports with mixed fates: baseline avoided grouped and totalled, diverted only when waste-bound.

A small market, built through the services: spent grain that is landfilled (brewery → farm),
straw burnt in the field (farm → brewery) and cardboard already in other use (brewery → farm),
one run, everything still proposed.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from matching.models import Proposal
from matching.reports.impact_report import METRIC_KEYS, ReportParams, build_report
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/impact/"


@pytest.fixture
def mixed(brewery, farm, municipality, run_now):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 200)
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 200, max_distance_km=80)
    f.make_offer(farm.organisation, farm.site, "straw", 600, current_destination="open_burning")
    f.make_need(brewery.organisation, brewery.site, ["straw"], 600, max_distance_km=150)
    f.make_offer(brewery.organisation, brewery.site, "cardboard_paper", 40, current_destination="other_use")
    f.make_need(farm.organisation, farm.site, ["cardboard_paper"], 40, max_distance_km=80)
    run = run_now()
    assert run.status == "succeeded", run.error
    return {p.material.key: p for p in Proposal.objects.filter(run=run).select_related("material")}


def proposed(group_by: str = "material") -> dict:
    return build_report(params=ReportParams("proposed", group_by), organisation_ids=None)


def test_rows_and_totals_carry_the_baseline_avoided_of_every_fate(mixed):
    report = proposed()
    rows = {row["key"]: row for row in report["rows"]}

    assert rows["straw"]["baseline_avoided_kg"] == Decimal("40560.000")  # 600 t × 67.6
    assert rows["straw"]["landfill_avoided_kg"] == 0
    assert (
        rows["brewers_spent_grain"]["baseline_avoided_kg"]
        == rows["brewers_spent_grain"]["landfill_avoided_kg"]
        == Decimal("139400.000")
    )  # 200 t × 697
    assert (
        rows["cardboard_paper"]["baseline_avoided_kg"]
        == rows["cardboard_paper"]["substitution_avoided_kg"]
        == 0
    )
    totals = report["totals"]
    assert totals["baseline_avoided_kg"] == sum((p.baseline_avoided_kg for p in mixed.values()), Decimal(0))
    assert totals["landfill_avoided_kg"] == mixed["brewers_spent_grain"].landfill_avoided_kg
    assert totals["net_kg"] == (
        totals["baseline_avoided_kg"]
        + totals["substitution_avoided_kg"]
        - totals["treatment_kg"]
        - totals["transport_kg"]
        - totals["storage_kg"]
    )


def test_only_waste_bound_mass_counts_as_diverted(mixed):
    totals = proposed()["totals"]

    assert totals["mass_t"] == Decimal("840.000")
    assert totals["diverted_t"] == Decimal("800.000")  # the cardboard was already in use
    by_sector = proposed("sector")
    assert sum((row["diverted_t"] for row in by_sector["rows"]), Decimal(0)) == totals["diverted_t"]


def test_the_api_csv_and_xlsx_group_and_total_the_baseline(mixed, municipality):
    client = municipality.client()
    body = client.get(URL, {"basis": "proposed"}).json()
    assert body["totals"]["baseline_avoided_kg"] == "179960.000"
    assert body["totals"]["diverted_t"] == "800.000"
    assert {row["key"]: row["baseline_avoided_kg"] for row in body["rows"]}["straw"] == "40560.000"

    streamed = client.get(URL, {"basis": "proposed", "format": "csv"}).streaming_content
    rows = list(csv.DictReader(io.StringIO(b"".join(streamed).decode())))
    assert rows[-1]["key"] == "total" and rows[-1]["baseline_avoided_kg"] == "179960.000"
    assert rows[-1]["diverted_t"] == "800.000"

    workbook = load_workbook(io.BytesIO(client.get(URL, {"basis": "proposed", "format": "xlsx"}).content))
    sheet = list(workbook["Report"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert header[: 2 + len(METRIC_KEYS)] == ["key", "label", *METRIC_KEYS]
    assert header[2 + len(METRIC_KEYS) :] == [
        "disposal_fee_avoided_kzt_estimate",
        "transport_cost_kzt_estimate",
    ]
    assert sheet[-1][header.index("baseline_avoided_kg")] in (Decimal("179960"), 179960)


def test_the_printable_report_says_diverted_from_waste_only_for_waste_bound_mass(client, mixed, municipality):
    client.force_login(municipality.user)
    html = client.get(reverse("reports:impact"), {"basis": "proposed"}).content.decode()

    assert '<div class="figure" data-figure="diverted"><b>800.0 t</b>diverted from waste' in html
    assert '<div class="figure" data-figure="other-moved"><b>40.0 t</b>moved from another use' in html
    assert "of which landfill methane" in html and "Open burning, kg/t" in html
    assert "Open burning in the field: IPCC 2006 V4 Ch2 Table 2.5" in html  # the fate source
    assert "Net = baseline avoided + substitution − treatment − transport" in html


def test_the_command_prints_the_baseline_and_diverted_columns(mixed):
    out = StringIO()
    call_command("impact_report", "--basis", "proposed", stdout=out)
    lines = out.getvalue().splitlines()

    header = next(line for line in lines if line.startswith("Material"))
    assert "diverted t" in header and "baseline t" in header and "landfill t" in header
    straw = next(line for line in lines if line.startswith("Wheat") or "straw" in line.lower())
    assert "40.6" in straw.split()  # 40 560 kg baseline avoided, in t
