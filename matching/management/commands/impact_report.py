"""Print the city's impact report: a readable table (default) or CSV."""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import DomainError
from marketplace.units import KG_PER_TONNE
from matching.reports import exports
from matching.reports.impact_report import BASES, GROUP_BYS, build_report, group_label, report_params


def _t(kg: Decimal) -> str:
    return f"{kg / KG_PER_TONNE:,.1f}"


class Command(BaseCommand):
    help = "Print the city-wide impact report (SPEC §4) by material, category, sector, district or month."

    def add_arguments(self, parser):
        parser.add_argument("--group-by", choices=GROUP_BYS, default="material")
        parser.add_argument("--basis", choices=BASES, default="agreed")
        parser.add_argument("--from", dest="date_from", default="", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", help="last day, YYYY-MM-DD")
        parser.add_argument("--format", dest="output", choices=("table", "csv"), default="table")

    def handle(self, *args, group_by, basis, date_from, date_to, output, **options):
        try:
            params = report_params({"group_by": group_by, "basis": basis, "from": date_from, "to": date_to})
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        report = build_report(params=params, organisation_ids=None)
        if output == "csv":
            for line in exports.csv_lines(report):
                self.stdout.write(line, ending="")
            return
        self.stdout.write(self._table(report))

    def _table(self, report: dict) -> str:
        period = "all dates"
        if report["from"] or report["to"]:
            period = f"{report['from'] or '…'} – {report['to'] or '…'}"
        lines = [
            f"Impact report: basis {report['basis']}, by {report['group_by']}, {period}",
            f"Factor sets: {', '.join(report['factor_sets']) or '—'}",
            "",
        ]
        header = (
            group_label(report["group_by"]),
            "mass t",
            "diverted t",
            "t·km",
            "baseline t",
            "landfill t",
            "substit. t",
            "treatm. t",
            "transp. t",
            "storage t",
            "net t CO2e",
            "deals",
            "orgs",
        )
        rows = [self._cells(row["label"], row) for row in report["rows"]]
        total = self._cells("Total", report["totals"])
        widths = [max(len(str(cells[i])) for cells in [header, *rows, total]) for i in range(len(header))]

        def line(cells) -> str:
            first = str(cells[0]).ljust(widths[0])
            return "  ".join([first, *(str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

        lines.append(line(header))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend(line(cells) for cells in rows)
        lines.append("  ".join("-" * w for w in widths))
        lines.append(line(total))
        if not rows:
            lines.append("(no flows on this basis in this period)")
        return "\n".join(lines)

    @staticmethod
    def _cells(label: str, figures: dict) -> tuple:
        return (
            label,
            f"{figures['mass_t']:,.3f}",
            f"{figures['diverted_t']:,.3f}",
            f"{figures['tkm']:,.0f}",
            _t(figures["baseline_avoided_kg"]),
            _t(figures["landfill_avoided_kg"]),
            _t(figures["substitution_avoided_kg"]),
            _t(figures["treatment_kg"]),
            _t(figures["transport_kg"]),
            _t(figures["storage_kg"]),
            _t(figures["net_kg"]),
            figures["deals"],
            figures["organisations"],
        )
