"""Load the material catalogue and a flow-factor set from the cited CSV files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import DomainError
from marketplace import factor_data
from marketplace.factor_services import factor_set_import
from marketplace.material_properties import DEFAULT_PROPERTIES_PATH


class Command(BaseCommand):
    help = (
        "Import materials and flow factors (default: the copies the project carries in "
        "marketplace/data/: flow-factors.csv, flow-factor-globals.csv, fate-factors.csv, and the "
        "materials' blend and storage properties from material-properties.csv). "
        "Publishes the new set and makes it active unless --draft. "
        "Importing identical files again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", help="flow-factors CSV (default: marketplace/data/flow-factors.csv)"
        )
        parser.add_argument(
            "--globals",
            dest="globals_file",
            help="flow-factor-globals CSV (default: beside FILE, else the project's)",
        )
        parser.add_argument(
            "--fates",
            dest="fates_file",
            help="fate-factors CSV, the open-burning and incineration baselines "
            "(default: beside FILE, else the project's)",
        )
        parser.add_argument(
            "--properties",
            dest="properties_file",
            help="material-properties CSV: moisture, nitrogen, C:N, storage days "
            "(default: beside FILE, else the project's)",
        )
        parser.add_argument(
            "--set-version",
            dest="set_version",
            help="version label of the new set (default: date and content digest)",
        )
        parser.add_argument("--draft", action="store_true", help="import as a draft instead of publishing")

    def handle(
        self,
        *args,
        file=None,
        globals_file=None,
        fates_file=None,
        properties_file=None,
        set_version=None,
        draft=False,
        **options,
    ):
        factors_path = Path(file) if file else factor_data.DEFAULT_FACTORS_PATH
        globals_path = self._companion(file, globals_file, factor_data.DEFAULT_GLOBALS_PATH)
        fates_path = self._companion(file, fates_file, factor_data.DEFAULT_FATES_PATH)
        properties_path = self._companion(file, properties_file, DEFAULT_PROPERTIES_PATH)
        for path in (factors_path, globals_path, fates_path, properties_path):
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
        try:
            factor_set, created = factor_set_import(
                factors_path=factors_path,
                globals_path=globals_path,
                fates_path=fates_path,
                properties_path=properties_path,
                version=set_version,
                publish=not draft,
            )
        except factor_data.FactorFileError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Factor set {factor_set.version} imported ({factor_set.factors.count()} materials, "
                    f"{factor_set.get_status_display().lower()}{', active' if factor_set.is_active else ''})."
                )
            )
        else:
            self.stdout.write(f"Factor set {factor_set.version} already holds these files; nothing changed.")

    @staticmethod
    def _companion(file: str | None, given: str | None, default: Path) -> Path:
        """The file given, else the one of the same name beside FILE, else the project's copy."""
        if given:
            return Path(given)
        if file and (Path(file).parent / default.name).exists():
            return Path(file).parent / default.name
        return default
