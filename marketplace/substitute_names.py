"""What a material replaces (``Material.substituted_virgin_material``), in the reader's language.

The factor file (``flow-factors.csv``) states the displaced virgin material in English only, and
a proposal sentence ("… replaces new softwood pallet …") is read in three languages. The
translations are catalogue data kept with the project, ``marketplace/data/substitute-names.csv``
(``material_key,en,ru,kk``). A translation is used only while the material's English text is the
one it was written for: a factor set that words the substitute differently shows its own English
text until the file is brought up to date (``tests/marketplace/test_substitute_names.py`` checks
the file covers every material of the shipped factor file).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.utils import translation

SUBSTITUTE_NAMES_CSV = Path(__file__).resolve().parent / "data" / "substitute-names.csv"
LANGUAGES = ("en", "ru", "kk")


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def substitute_names() -> dict[str, dict[str, str]]:
    """``{material_key: {"en": …, "ru": …, "kk": …}}`` from the catalogue file."""
    with SUBSTITUTE_NAMES_CSV.open(encoding="utf-8", newline="") as handle:
        return {
            row["material_key"].strip(): {lang: (row.get(lang) or "").strip() for lang in LANGUAGES}
            for row in csv.DictReader(handle)
            if (row.get("material_key") or "").strip()
        }


def substitute_name(key: str, english: str, language: str | None = None) -> str:
    """The substitute of material ``key`` (stated in English as ``english``) in ``language``
    (the active one by default); ``english`` itself when no translation fits."""
    if not english:
        return english
    names = substitute_names().get(key)
    if names is None or _normal(names["en"]) != _normal(english):
        return english
    lang = (language or translation.get_language() or "en").split("-")[0]
    return names.get(lang) or english
