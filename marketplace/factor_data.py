"""Parser for the cited flow-factor files that Qaita carries with it.

Three CSV files describe the material catalogue and its emission factors:

- ``flow-factors.csv``: one row per material (names in three languages, EWC code, category,
  unit basis, mass per piece / bulk density, landfill, substitution and treatment factors in
  kg CO2e per tonne, and the sources those factors were taken from);
- ``flow-factor-globals.csv``: ``key,value,unit,source,notes`` rows for the factors that do not
  belong to a material (road freight per tonne-km, GWP of methane, landfill method);
- ``fate-factors.csv``: ``material_key,open_burning_kgco2e_per_t,incineration_kgco2e_per_t,source``,
  the baselines of the current destinations other than landfill (IPCC 2006 Tier 1 derivations);
  an empty factor means that fate is not one the material has. Every material of
  ``flow-factors.csv`` has exactly one row here, and no row names a material that is not there.

The project ships byte copies of the shared files in ``marketplace/data/`` so that a fresh
install needs nothing outside the repository. This module is pure Python (no Django import) so
the seeding command, the factor-set service and the tests can all use it alike.

Validation is strict: every problem raises :class:`FactorFileError` naming the file, the row
(counting the header as row 1, as a spreadsheet shows it), the column and the reason. A factor
file is the citable basis of every published number, so a silently skipped row is worse than a
refused import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "CATEGORIES",
    "DATA_DIR",
    "DEFAULT_FACTORS_PATH",
    "DEFAULT_FATES_PATH",
    "DEFAULT_GLOBALS_PATH",
    "FACTOR_COLUMNS",
    "FATE_COLUMNS",
    "GLOBAL_COLUMNS",
    "FactorFileError",
    "FactorTable",
    "FateRow",
    "GlobalRow",
    "MaterialRow",
    "UNIT_BASES",
    "load_factor_table",
]

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_FACTORS_PATH = DATA_DIR / "flow-factors.csv"
DEFAULT_GLOBALS_PATH = DATA_DIR / "flow-factor-globals.csv"
DEFAULT_FATES_PATH = DATA_DIR / "fate-factors.csv"

# The study's material types (SPEC §2).
CATEGORIES = ("biomass", "minerals", "metals", "fossil_fuels", "other")
UNIT_BASES = ("t", "m3", "piece")

FACTOR_COLUMNS = (
    "material_key",
    "name",
    "name_ru",
    "name_kk",
    "hazardous",
    "ewc_code",
    "category",
    "unit_basis",
    "mass_per_unit_t",
    "density_t_per_m3",
    "landfill_kgco2e_per_t",
    "substituted_virgin_material",
    "substitution_kgco2e_per_t",
    "treatment_kgco2e_per_t",
    "source_landfill",
    "source_substitution",
    "notes",
)
# Columns that may be left empty; every other column needs a value in every row.
_OPTIONAL_FACTOR_COLUMNS = frozenset(
    {"mass_per_unit_t", "density_t_per_m3", "landfill_kgco2e_per_t", "source_landfill", "notes"}
)

GLOBAL_COLUMNS = ("key", "value", "unit", "source", "notes")
FATE_COLUMNS = ("material_key", "open_burning_kgco2e_per_t", "incineration_kgco2e_per_t", "source")
ROAD_FREIGHT_KEY = "road_freight_kgco2e_per_tkm"
GWP_CH4_KEY = "gwp_ch4"
LANDFILL_METHOD_KEY = "landfill_method"
_REQUIRED_GLOBAL_KEYS = (ROAD_FREIGHT_KEY, GWP_CH4_KEY, LANDFILL_METHOD_KEY)
_NUMERIC_GLOBAL_KEYS = (ROAD_FREIGHT_KEY, GWP_CH4_KEY)

_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
# European Waste Catalogue: three two-digit groups; an asterisk marks a hazardous entry.
_EWC_RE = re.compile(r"\d{2} \d{2} \d{2}\*?")
# Plain decimal notation only: thousands separators ("1,250") or exponents in a cited table
# are far more likely to be a transcription slip than a deliberate value.
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")
_HEADER_ROW = 1


class FactorFileError(ValueError):
    """A factor file that cannot be trusted, with where and why.

    ``row`` counts the header as row 1 (``None`` when the problem is the file as a whole);
    ``column`` is the CSV column name (``None`` when the problem is the whole row).
    """

    def __init__(self, path: Path, row: int | None, column: str | None, reason: str) -> None:
        self.path = Path(path)
        self.row = row
        self.column = column
        self.reason = reason
        where = [self.path.name]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {reason}")


@dataclass(frozen=True)
class MaterialRow:
    """One material of ``flow-factors.csv``; factors are kg CO2e per tonne of material."""

    key: str
    name_en: str
    name_ru: str
    name_kk: str
    hazardous: bool
    ewc_code: str
    category: str
    unit_basis: str
    mass_per_unit_t: Decimal | None
    density_t_per_m3: Decimal | None
    landfill_kg_per_t: Decimal | None
    substituted_virgin_material: str
    substitution_kg_per_t: Decimal
    treatment_kg_per_t: Decimal
    source_landfill: str
    source_substitution: str
    notes: str


@dataclass(frozen=True)
class GlobalRow:
    """One ``key,value,unit,source,notes`` row of ``flow-factor-globals.csv``, as text."""

    key: str
    value: str
    unit: str
    source: str
    notes: str


@dataclass(frozen=True)
class FateRow:
    """One material of ``fate-factors.csv``: kg CO2e per tonne that its open burning or its
    incineration emits (``None``: not a fate of that material), and where the numbers come from."""

    key: str
    open_burning_kg_per_t: Decimal | None
    incineration_kg_per_t: Decimal | None
    source: str


@dataclass(frozen=True)
class FactorTable:
    """The whole factor data set: materials in file order plus the global factors."""

    materials: tuple[MaterialRow, ...]
    road_freight_kg_per_tkm: Decimal
    road_freight_source: str
    gwp_ch4: Decimal
    gwp_source: str
    landfill_method: str
    # Read-only view: the table is frozen, and a mutable dict inside would quietly break that.
    globals: Mapping[str, GlobalRow]
    # The fate baselines by material key, one for every material (read-only, like globals).
    fates: Mapping[str, FateRow]

    def material(self, key: str) -> MaterialRow:
        """Return the material with ``key``; raise ``KeyError`` if there is none."""
        for row in self.materials:
            if row.key == key:
                return row
        raise KeyError(key)

    def fate(self, key: str) -> FateRow:
        """Return the fate baselines of material ``key``; raise ``KeyError`` if there is none."""
        return self.fates[key]


def load_factor_table(
    factors_path: str | Path | None = None,
    globals_path: str | Path | None = None,
    fates_path: str | Path | None = None,
) -> FactorTable:
    """Read and validate the material, global and fate factor files.

    Defaults to the copies shipped in ``marketplace/data/``. Raises :class:`FactorFileError`
    on the first problem found, naming file, row, column and reason.
    """
    factors_file = Path(factors_path) if factors_path is not None else DEFAULT_FACTORS_PATH
    globals_file = Path(globals_path) if globals_path is not None else DEFAULT_GLOBALS_PATH
    fates_file = Path(fates_path) if fates_path is not None else DEFAULT_FATES_PATH
    materials = _parse_materials(factors_file)
    global_rows, numbers = _parse_globals(globals_file)
    fates = _parse_fates(fates_file, tuple(row.key for row in materials))
    return FactorTable(
        materials=materials,
        road_freight_kg_per_tkm=numbers[ROAD_FREIGHT_KEY],
        road_freight_source=global_rows[ROAD_FREIGHT_KEY].source,
        gwp_ch4=numbers[GWP_CH4_KEY],
        gwp_source=global_rows[GWP_CH4_KEY].source,
        landfill_method=global_rows[LANDFILL_METHOD_KEY].value,
        globals=MappingProxyType(dict(global_rows)),
        fates=MappingProxyType(fates),
    )


# --- reading -------------------------------------------------------------------------------


def _read_rows(path: Path, expected: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Return ``(row number, {column: stripped text})`` for every data row of a CSV file."""
    try:
        # utf-8-sig: a spreadsheet that saved the file may have prefixed a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise FactorFileError(path, None, None, "file is empty") from None
            header = _check_header(path, header, expected)
            rows = []
            # Row numbers follow records, not physical lines: a quoted note may span lines.
            for number, record in enumerate(reader, start=_HEADER_ROW + 1):
                if not any(cell.strip() for cell in record):
                    continue  # a blank line at the end of a hand-edited file is harmless
                if len(record) != len(header):
                    raise FactorFileError(
                        path,
                        number,
                        None,
                        f"has {len(record)} fields, the header has {len(header)}",
                    )
                rows.append((number, {col: cell.strip() for col, cell in zip(header, record, strict=True)}))
    except FileNotFoundError:
        raise FactorFileError(path, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise FactorFileError(path, None, None, f"not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise FactorFileError(path, None, None, f"malformed CSV ({exc})") from None
    if not rows:
        raise FactorFileError(path, None, None, "has a header but no data rows")
    return rows


def _check_header(path: Path, header: list[str], expected: tuple[str, ...]) -> list[str]:
    """Return the stripped column names once they are exactly the expected set."""
    names = [name.strip() for name in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FactorFileError(path, _HEADER_ROW, name, "column appears twice in the header")
        seen.add(name)
        if name not in expected:
            # An unknown column would be dropped silently; refusing it catches typos and
            # forces a deliberate parser change when the format grows.
            raise FactorFileError(path, _HEADER_ROW, name, "unknown column")
    for name in expected:
        if name not in seen:
            raise FactorFileError(path, _HEADER_ROW, name, "missing required column")
    return names


# --- materials -----------------------------------------------------------------------------


def _parse_materials(path: Path) -> tuple[MaterialRow, ...]:
    materials: list[MaterialRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in _read_rows(path, FACTOR_COLUMNS):
        for column in FACTOR_COLUMNS:
            if column not in _OPTIONAL_FACTOR_COLUMNS and not cells[column]:
                raise FactorFileError(path, number, column, "value is required")
        row = _parse_material(path, number, cells)
        if row.key in first_row_of:
            raise FactorFileError(
                path,
                number,
                "material_key",
                f"duplicate key {row.key!r} (first in row {first_row_of[row.key]})",
            )
        first_row_of[row.key] = number
        materials.append(row)
    return tuple(materials)


def _parse_material(path: Path, number: int, cells: dict[str, str]) -> MaterialRow:
    def fail(column: str, reason: str) -> FactorFileError:
        return FactorFileError(path, number, column, reason)

    key = cells["material_key"]
    if not _KEY_RE.fullmatch(key):
        raise fail("material_key", f"{key!r} is not a key (lower-case letters, digits, _)")

    hazardous_text = cells["hazardous"].lower()
    if hazardous_text not in ("true", "false"):
        raise fail("hazardous", f"{cells['hazardous']!r} is not true or false")
    hazardous = hazardous_text == "true"

    ewc_code = cells["ewc_code"]
    if not _EWC_RE.fullmatch(ewc_code):
        raise fail("ewc_code", f"{ewc_code!r} is not an EWC code 'NN NN NN' (optional '*')")
    # In the EWC the asterisk is what makes an entry hazardous, so the flag must agree with it.
    if ewc_code.endswith("*") != hazardous:
        raise fail(
            "hazardous",
            f"hazardous={hazardous_text} disagrees with EWC code {ewc_code!r} "
            "(an asterisk marks a hazardous entry)",
        )

    category = cells["category"]
    if category not in CATEGORIES:
        raise fail("category", f"unknown category {category!r} (expected one of {CATEGORIES})")
    unit_basis = cells["unit_basis"]
    if unit_basis not in UNIT_BASES:
        raise fail("unit_basis", f"unknown unit basis {unit_basis!r} (expected one of {UNIT_BASES})")

    def number_in(column: str, *, positive: bool = False) -> Decimal | None:
        text = cells[column]
        if not text:
            return None
        value = _decimal(text)
        if value is None:
            raise fail(column, f"{text!r} is not a number")
        if value < 0:
            raise fail(column, f"negative value {text}")
        if positive and value == 0:
            raise fail(column, "must be greater than zero")
        return value

    mass_per_unit_t = number_in("mass_per_unit_t", positive=True)
    density_t_per_m3 = number_in("density_t_per_m3", positive=True)
    # Pieces and cubic metres can only be turned into tonnes with these conversions.
    if unit_basis == "piece" and mass_per_unit_t is None:
        raise fail("mass_per_unit_t", "a material counted in pieces needs a mass per piece")
    if unit_basis == "m3" and density_t_per_m3 is None:
        raise fail("density_t_per_m3", "a material measured in m3 needs a density")

    landfill = number_in("landfill_kgco2e_per_t")
    if landfill is not None and not cells["source_landfill"]:
        raise fail("source_landfill", "a landfill factor needs its source")
    substitution = number_in("substitution_kgco2e_per_t")
    treatment = number_in("treatment_kgco2e_per_t")
    assert substitution is not None and treatment is not None  # required columns, checked above

    return MaterialRow(
        key=key,
        name_en=cells["name"],
        name_ru=cells["name_ru"],
        name_kk=cells["name_kk"],
        hazardous=hazardous,
        ewc_code=ewc_code,
        category=category,
        unit_basis=unit_basis,
        mass_per_unit_t=mass_per_unit_t,
        density_t_per_m3=density_t_per_m3,
        landfill_kg_per_t=landfill,
        substituted_virgin_material=cells["substituted_virgin_material"],
        substitution_kg_per_t=substitution,
        treatment_kg_per_t=treatment,
        source_landfill=cells["source_landfill"],
        source_substitution=cells["source_substitution"],
        notes=cells["notes"],
    )


def _decimal(text: str) -> Decimal | None:
    if not _NUMBER_RE.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None


# --- globals -------------------------------------------------------------------------------


def _parse_globals(path: Path) -> tuple[dict[str, GlobalRow], dict[str, Decimal]]:
    """Return the global rows by key and the numeric values of the numeric globals."""
    rows: dict[str, GlobalRow] = {}
    row_of: dict[str, int] = {}
    for number, cells in _read_rows(path, GLOBAL_COLUMNS):
        for column in ("key", "value", "source"):
            if not cells[column]:
                raise FactorFileError(path, number, column, "value is required")
        key = cells["key"]
        if not _KEY_RE.fullmatch(key):
            raise FactorFileError(path, number, "key", f"{key!r} is not a key")
        if key in row_of:
            raise FactorFileError(path, number, "key", f"duplicate key {key!r} (first in row {row_of[key]})")
        row_of[key] = number
        rows[key] = GlobalRow(
            key=key,
            value=cells["value"],
            unit=cells["unit"],
            source=cells["source"],
            notes=cells["notes"],
        )
    for key in _REQUIRED_GLOBAL_KEYS:
        if key not in rows:
            raise FactorFileError(path, None, "key", f"required global {key!r} is missing")
    numbers: dict[str, Decimal] = {}
    for key in _NUMERIC_GLOBAL_KEYS:
        text = rows[key].value
        value = _decimal(text)
        if value is None:
            raise FactorFileError(path, row_of[key], "value", f"{key}: {text!r} is not a number")
        # A zero freight factor or GWP would silently erase a whole term of every result.
        if value <= 0:
            raise FactorFileError(path, row_of[key], "value", f"{key}: must be greater than zero")
        numbers[key] = value
    return rows, numbers


# --- fates ---------------------------------------------------------------------------------


def _parse_fates(path: Path, material_keys: tuple[str, ...]) -> dict[str, FateRow]:
    """The fate baselines by material key, in the material file's order.

    Both directions are checked: a material without a row would silently avoid nothing when it
    is burnt, and a row for a material the catalogue does not have is a typo or a stale file.
    """
    known = set(material_keys)
    rows: dict[str, FateRow] = {}
    row_of: dict[str, int] = {}
    for number, cells in _read_rows(path, FATE_COLUMNS):

        def fail(column: str, reason: str, number: int = number) -> FactorFileError:
            return FactorFileError(path, number, column, reason)

        key = cells["material_key"]
        if not key:
            raise fail("material_key", "value is required")
        if not _KEY_RE.fullmatch(key):
            raise fail("material_key", f"{key!r} is not a key (lower-case letters, digits, _)")
        if key in row_of:
            raise fail("material_key", f"duplicate key {key!r} (first in row {row_of[key]})")
        if key not in known:
            raise fail("material_key", f"{key!r} is not a material of the flow-factor file")
        row_of[key] = number
        factors: dict[str, Decimal | None] = {}
        for column in ("open_burning_kgco2e_per_t", "incineration_kgco2e_per_t"):
            text = cells[column]
            if not text:
                factors[column] = None
                continue
            value = _decimal(text)
            if value is None:
                raise fail(column, f"{text!r} is not a number")
            if value < 0:
                # An avoided emission below zero would reward leaving the residue where it is.
                raise fail(column, f"negative value {text}")
            factors[column] = value
        if not cells["source"]:
            # Even "not burnt" needs its reason: an empty factor is a claim like any other.
            raise fail("source", "value is required")
        rows[key] = FateRow(
            key=key,
            open_burning_kg_per_t=factors["open_burning_kgco2e_per_t"],
            incineration_kg_per_t=factors["incineration_kgco2e_per_t"],
            source=cells["source"],
        )
    missing = [key for key in material_keys if key not in rows]
    if missing:
        raise FactorFileError(
            path, None, "material_key", f"no row for material(s) {', '.join(repr(k) for k in missing)}"
        )
    return {key: rows[key] for key in material_keys}
