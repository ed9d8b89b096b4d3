"""manage.py impact_report: a readable table by default, CSV on request, clear errors."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from matching.reports.impact_report import METRIC_KEYS, ReportParams, build_report

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("impact_report", *args, stdout=out)
    return out.getvalue()


def test_it_prints_a_readable_table_with_totals_and_the_factor_set(city):
    output = run()
    assert "basis agreed, by material" in output
    assert city.grain_deal.factor_set.version in output
    lines = output.splitlines()
    assert any(line.startswith("Brewer's spent grain") for line in lines)
    total = next(line for line in lines if line.startswith("Total"))
    assert "2,000.000" in total  # 1500 t of grain + 500 t of panels


def test_it_groups_deliveries_by_month(city):
    output = run("--basis", "delivered", "--group-by", "month")
    assert "basis delivered, by month" in output
    assert next(line for line in output.splitlines() if line.startswith("Total")).split()[1] == "500.000"


def test_its_csv_is_the_same_table_as_the_api_export(city):
    output = run("--format", "csv", "--basis", "proposed", "--group-by", "sector")
    rows = list(csv.reader(io.StringIO(output)))
    expected = build_report(params=ReportParams("proposed", "sector"), organisation_ids=None)
    assert rows[0][: 2 + len(METRIC_KEYS)] == ["key", "label", *METRIC_KEYS]
    assert [r[0] for r in rows[1:]] == [row["key"] for row in expected["rows"]] + ["total"]
    assert rows[-1][2 : 2 + len(METRIC_KEYS)] == [str(expected["totals"][key]) for key in METRIC_KEYS]


def test_an_empty_period_says_so(city):
    assert "no flows" in run("--from", "2001-01-01", "--to", "2001-12-31")


def test_bad_dates_are_a_command_error_naming_the_field(city):
    with pytest.raises(CommandError, match="from"):
        run("--from", "2025-02-30")
    with pytest.raises(CommandError, match="to"):
        run("--from", "2025-03-01", "--to", "2025-02-01")
