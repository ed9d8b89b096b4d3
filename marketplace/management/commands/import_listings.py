"""Import offers and needs from a CSV or XLSX file for one organisation: every row or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from marketplace import exports, importers


class Command(BaseCommand):
    help = (
        "Import listings (columns: kind, site, material(s), quantity, unit, period, available_from, "
        "available_until, min_lot, max_distance_km, current_destination, description, status) for an "
        "organisation. Nothing is written unless every row is valid; all problems are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file (see marketplace/data/listings-template.csv)")
        parser.add_argument("--organisation", required=True, help="the organisation's name or id")
        parser.add_argument(
            "--kind", choices=importers.KINDS, help="import only this kind (fills a missing kind column)"
        )
        parser.add_argument("--report", help="write the problems to this CSV file as well")
        parser.add_argument(
            "--confirm-duplicates",
            action="store_true",
            help="also write rows equal to an active listing (skipped otherwise)",
        )

    def handle(self, *args, file, organisation, kind=None, report=None, confirm_duplicates=False, **options):
        org = self._organisation(organisation)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > importers.MAX_IMPORT_BYTES:
            raise CommandError(f"{path.name}: larger than {importers.MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        try:
            result = importers.listings_import(
                organisation=org,
                actor=None,
                data=path.read_bytes(),
                filename=path.name,
                default_kind=kind,
                confirm_duplicates=confirm_duplicates,
            )
        except importers.ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(f"  {error}")
            if report:
                rows = [(e.row, e.field, e.reason) for e in refused.errors]
                Path(report).write_text(
                    exports.csv_text(importers.ERROR_REPORT_HEADER, rows), encoding="utf-8"
                )
            raise CommandError(
                f"{path.name}: {len(refused.errors)} problem(s); nothing was imported."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.offers)} offer(s) and {len(result.needs)} need(s) for {org.name}."
            )
        )
        if result.skipped:
            rows = ", ".join(str(row.row) for row in result.skipped)
            self.stdout.write(
                f"Skipped {len(result.skipped)} row(s) equal to an active listing or an earlier row: {rows} "
                "(--confirm-duplicates writes them)."
            )

    @staticmethod
    def _organisation(value: str) -> Organisation:
        org = Organisation.objects.filter(name__iexact=value.strip()).first()
        if org is None and value.strip().isdigit():
            org = Organisation.objects.filter(pk=int(value)).first()
        if org is None:
            raise CommandError(f"No organisation named or numbered {value!r}.")
        return org
