"""manage.py import_factors: the three cited files, idempotent by content, strict about each."""

from __future__ import annotations

import shutil
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketplace import factor_data
from marketplace.models import FactorSet

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("import_factors", *args, stdout=out)
    return out.getvalue()


def copy_shipped(tmp_path, *, straw_burning: str | None = None):
    for source in (
        factor_data.DEFAULT_FACTORS_PATH,
        factor_data.DEFAULT_GLOBALS_PATH,
        factor_data.DEFAULT_FATES_PATH,
    ):
        shutil.copy(source, tmp_path / source.name)
    if straw_burning is not None:
        fates = tmp_path / "fate-factors.csv"
        text = fates.read_text(encoding="utf-8").replace("straw,67.6,", f"straw,{straw_burning},")
        fates.write_text(text, encoding="utf-8")
    return tmp_path / "flow-factors.csv"


def straw_burning(factor_set: FactorSet) -> Decimal | None:
    return factor_set.factors.get(material__key="straw").open_burning_kg_per_t


def test_the_project_copies_import_once_with_every_fate_factor():
    first = run()
    assert "imported (26 materials, published, active)" in first
    assert "already holds these files; nothing changed" in run()
    factor_set = FactorSet.objects.get()
    assert straw_burning(factor_set) == Decimal("67.6")


def test_a_fate_file_beside_the_factor_file_is_the_default(tmp_path):
    run()
    factors = copy_shipped(tmp_path, straw_burning="71.5")

    output = run(str(factors), "--set-version", "beside")

    assert "Factor set beside imported" in output
    assert straw_burning(FactorSet.objects.get(version="beside")) == Decimal("71.5")
    assert FactorSet.objects.get(is_active=True).version == "beside"


def test_an_explicit_fates_file_wins(tmp_path):
    copy_shipped(tmp_path, straw_burning="71.5")
    other = tmp_path / "other"
    other.mkdir()
    factors = copy_shipped(other, straw_burning="80")

    run(str(factors), "--fates", str(tmp_path / "fate-factors.csv"), "--set-version", "explicit", "--draft")

    draft = FactorSet.objects.get(version="explicit")
    assert straw_burning(draft) == Decimal("71.5") and not draft.is_published


def test_a_bad_fate_file_is_a_command_error_naming_file_row_and_column(tmp_path):
    factors = copy_shipped(tmp_path, straw_burning="lots")

    with pytest.raises(CommandError, match=r"fate-factors.csv, row 4, column 'open_burning_kgco2e_per_t'"):
        run(str(factors))

    assert not FactorSet.objects.exists()


def test_a_missing_fates_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("--fates", str(tmp_path / "nowhere.csv"))
