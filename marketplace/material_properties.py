"""Parser for ``material-properties.csv``: blend and storage properties of catalogue materials.

``material_key,moisture_pct,nitrogen_pct_dry,c_to_n,max_storage_days,source,notes`` (issue 13):
moisture in % of wet mass, nitrogen in % of dry matter, the C:N mass ratio and how many days
the material keeps (empty: storable without limit). An empty moisture, nitrogen or C:N means the
property is not known, so the material cannot enter a recipe's quality bound. Pure Python (no
Django), strict like :mod:`marketplace.factor_data`: every problem raises
:class:`~marketplace.factor_data.FactorFileError` naming the row and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .factor_data import _KEY_RE, DATA_DIR, FactorFileError, _decimal, _read_rows

DEFAULT_PROPERTIES_PATH = DATA_DIR / "material-properties.csv"
PROPERTY_COLUMNS = (
    "material_key",
    "moisture_pct",
    "nitrogen_pct_dry",
    "c_to_n",
    "max_storage_days",
    "source",
    "notes",
)


@dataclass(frozen=True)
class PropertyRow:
    key: str
    moisture_pct: Decimal | None
    nitrogen_pct_dry: Decimal | None
    c_to_n: Decimal | None
    max_storage_days: int | None
    source: str
    notes: str

    @property
    def source_text(self) -> str:
        """The source and the notes as one citable text."""
        return " — ".join(part for part in (self.source, self.notes) if part)


def load_properties(path: str | Path | None = None) -> dict[str, PropertyRow]:
    """The property rows by material key, in file order."""
    path = Path(path) if path is not None else DEFAULT_PROPERTIES_PATH
    rows: dict[str, PropertyRow] = {}
    for number, cells in _read_rows(path, PROPERTY_COLUMNS):

        def fail(column: str, reason: str, number: int = number) -> FactorFileError:
            return FactorFileError(path, number, column, reason)

        key = cells["material_key"]
        if not _KEY_RE.fullmatch(key):
            raise fail("material_key", f"{key!r} is not a key (lower-case letters, digits, _)")
        if key in rows:
            raise fail("material_key", f"duplicate key {key!r}")

        def number_in(
            column: str, *, upper: Decimal | None, positive: bool = False, cells: dict[str, str] = cells
        ) -> Decimal | None:
            text = cells[column]
            if not text:
                return None
            value = _decimal(text)
            if value is None:
                raise fail(column, f"{text!r} is not a number")
            if value < 0 or (positive and value == 0):
                raise fail(column, f"{text} is out of range")
            if upper is not None and value > upper:
                raise fail(column, f"{text} is above {upper}")
            return value

        days_text = cells["max_storage_days"]
        days: int | None = None
        if days_text:
            if not days_text.isdigit():
                raise fail("max_storage_days", f"{days_text!r} is not a whole number of days")
            days = int(days_text)
        rows[key] = PropertyRow(
            key=key,
            moisture_pct=number_in("moisture_pct", upper=Decimal(100)),
            nitrogen_pct_dry=number_in("nitrogen_pct_dry", upper=Decimal(100)),
            c_to_n=number_in("c_to_n", upper=Decimal(10000), positive=True),
            max_storage_days=days,
            source=cells["source"],
            notes=cells["notes"],
        )
    return rows
