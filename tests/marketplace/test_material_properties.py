"""material-properties.csv carried into the catalogue (issue 13): moisture, N, C:N, storage days."""

from __future__ import annotations

import shutil
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketplace import factor_data, material_properties
from marketplace.models import FactorSet, Material

pytestmark = pytest.mark.django_db

SHARED = factor_data.DATA_DIR.parents[1].parent / "shared" / "material-properties.csv"


def run(*args) -> str:
    out = StringIO()
    call_command("import_factors", *args, stdout=out)
    return out.getvalue()


def test_the_project_carries_the_properties_file_with_its_sources():
    rows = material_properties.load_properties()
    assert len(rows) == 26
    manure = rows["chicken_manure"]
    assert (manure.moisture_pct, manure.nitrogen_pct_dry, manure.c_to_n, manure.max_storage_days) == (
        Decimal(46),
        Decimal("3.6"),
        Decimal(10),
        180,
    )
    assert "Rynk" in manure.source
    assert rows["jute_bags"].max_storage_days is None and rows["jute_bags"].c_to_n is None


def test_import_factors_loads_the_properties_into_the_catalogue():
    run()
    grain = Material.objects.get(key="brewers_spent_grain")
    assert grain.max_storage_days == 4 and grain.moisture_pct == Decimal(78) and grain.c_to_n == Decimal(13)
    assert "spoils" in grain.properties_source  # the notes travel with the source
    straw = Material.objects.get(key="straw")
    assert straw.c_to_n == Decimal(127) and straw.has_blend_properties
    panel = Material.objects.get(key="precast_concrete_panel")
    assert panel.max_storage_days is None and not panel.has_blend_properties
    whey = Material.objects.get(key="whey")
    assert whey.c_to_n is None and whey.max_storage_days == 2 and not whey.has_blend_properties


def test_a_changed_properties_file_updates_the_catalogue_without_a_new_factor_set(tmp_path):
    run()
    for source in (
        factor_data.DEFAULT_FACTORS_PATH,
        factor_data.DEFAULT_GLOBALS_PATH,
        factor_data.DEFAULT_FATES_PATH,
        material_properties.DEFAULT_PROPERTIES_PATH,
    ):
        shutil.copy(source, tmp_path / source.name)
    props = tmp_path / "material-properties.csv"
    props.write_text(
        props.read_text(encoding="utf-8").replace("straw,10,0.4,127,365", "straw,12,0.4,110,300")
    )

    output = run(str(tmp_path / "flow-factors.csv"))

    assert "nothing changed" in output and FactorSet.objects.count() == 1
    straw = Material.objects.get(key="straw")
    assert (straw.moisture_pct, straw.c_to_n, straw.max_storage_days) == (Decimal(12), Decimal(110), 300)


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("straw,10,0.4,127,365", "straw,10,0.4,127,a year", "max_storage_days"),
        ("straw,10,0.4,127,365", "straw,110,0.4,127,365", "moisture_pct"),
        ("straw,10,0.4,127,365", "straw,10,0.4,0,365", "c_to_n"),
        ("straw,10,0.4,127,365", "unobtainium,10,0.4,127,365", "material_key"),
    ],
)
def test_a_bad_properties_file_is_refused_naming_the_column(tmp_path, old, new, column):
    props = tmp_path / "material-properties.csv"
    shutil.copy(material_properties.DEFAULT_PROPERTIES_PATH, props)
    props.write_text(props.read_text(encoding="utf-8").replace(old, new))
    with pytest.raises(CommandError, match=column):
        run("--properties", str(props))
    assert not FactorSet.objects.exists()


def test_the_shared_file_and_the_project_copy_are_the_same_bytes():
    if not SHARED.exists():
        pytest.skip("no shared folder beside this checkout")
    assert SHARED.read_bytes() == material_properties.DEFAULT_PROPERTIES_PATH.read_bytes()


def test_the_api_shows_the_properties(farm):
    run()
    body = farm.client().get("/api/v1/materials/straw/").json()
    assert (body["c_to_n"], body["moisture_pct"], body["max_storage_days"]) == ("127.00", "10.00", 365)
