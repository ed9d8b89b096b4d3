"""Tests of the pure factor-file parser (no Django, no database)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from marketplace.factor_data import (
    CATEGORIES,
    DEFAULT_FACTORS_PATH,
    DEFAULT_FATES_PATH,
    DEFAULT_GLOBALS_PATH,
    FACTOR_COLUMNS,
    FATE_COLUMNS,
    GLOBAL_COLUMNS,
    FactorFileError,
    load_factor_table,
)

REPO_ROOT = Path(__file__).parents[2]
SHARED_DIR = REPO_ROOT.parent / "shared"
SHIPPED_FILES = ("flow-factors.csv", "flow-factor-globals.csv", "fate-factors.csv")

GOOD_ROW = {
    "material_key": "brewers_spent_grain",
    "name": "Brewer's spent grain",
    "name_ru": "Пивная дробина",
    "name_kk": "Сыра дробинасы",
    "hazardous": "false",
    "ewc_code": "02 07 04",
    "category": "biomass",
    "unit_basis": "t",
    "mass_per_unit_t": "",
    "density_t_per_m3": "0.8",
    "landfill_kgco2e_per_t": "697",
    "substituted_virgin_material": "Barley and soybean meal feed",
    "substitution_kgco2e_per_t": "100",
    "treatment_kgco2e_per_t": "0",
    "source_landfill": "IPCC 2006 Tier 1",
    "source_substitution": "Derived",
    "notes": "",
}
SECOND_ROW = {**GOOD_ROW, "material_key": "coffee_grounds", "name": "Spent coffee grounds"}

GOOD_GLOBALS = [
    {
        "key": "road_freight_kgco2e_per_tkm",
        "value": "0.10163",
        "unit": "kg CO2e per tonne-km",
        "source": "DEFRA/DESNZ 2025",
        "notes": "",
    },
    {"key": "gwp_ch4", "value": "25", "unit": "kg CO2e per kg CH4", "source": "AR4", "notes": ""},
    {"key": "landfill_method", "value": "IPCC 2006 Tier 1", "unit": "", "source": "IPCC", "notes": ""},
]


def write_csv(path: Path, columns: tuple[str, ...] | list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_factors(tmp_path: Path, rows: list[dict[str, str]], columns=FACTOR_COLUMNS) -> Path:
    return write_csv(tmp_path / "flow-factors.csv", columns, rows)


def write_globals(tmp_path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    return write_csv(tmp_path / "flow-factor-globals.csv", GLOBAL_COLUMNS, rows or GOOD_GLOBALS)


def fate_row(key: str, burning: str = "180.4", incineration: str = "14.9", source: str = "IPCC 2006 V5 Ch5"):
    return {
        "material_key": key,
        "open_burning_kgco2e_per_t": burning,
        "incineration_kgco2e_per_t": incineration,
        "source": source,
    }


def write_fates(tmp_path: Path, rows: list[dict[str, str]], columns=FATE_COLUMNS) -> Path:
    return write_csv(tmp_path / "fate-factors.csv", columns, rows)


def fates_for(factor_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One fate row per distinct material of a factor file, as the shipped files have."""
    keys = dict.fromkeys(row.get("material_key", "") for row in factor_rows)
    return [fate_row(key) for key in keys if key]


def load(tmp_path: Path, factor_rows: list[dict[str, str]], **kwargs):
    return load_factor_table(
        write_factors(tmp_path, factor_rows, **kwargs),
        write_globals(tmp_path),
        write_fates(tmp_path, fates_for(factor_rows)),
    )


def load_fates(tmp_path: Path, rows: list[dict[str, str]], **kwargs):
    """The two-material factor file with the given fate rows."""
    return load_factor_table(
        write_factors(tmp_path, [GOOD_ROW, SECOND_ROW]),
        write_globals(tmp_path),
        write_fates(tmp_path, rows, **kwargs),
    )


def test_the_module_imports_without_django():
    # Run in a fresh interpreter: this test process may already have Django loaded.
    code = "import sys, marketplace.factor_data; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- the shipped data ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED_FILES)
def test_the_project_copy_equals_the_shared_file_byte_for_byte(name):
    shared = SHARED_DIR / name
    if not shared.exists():
        pytest.skip(f"{shared} is not present on this machine")
    assert (DEFAULT_FACTORS_PATH.parent / name).read_bytes() == shared.read_bytes()


def test_the_default_paths_are_the_copies_shipped_next_to_the_module():
    assert DEFAULT_FACTORS_PATH == REPO_ROOT / "marketplace" / "data" / "flow-factors.csv"
    assert DEFAULT_GLOBALS_PATH == REPO_ROOT / "marketplace" / "data" / "flow-factor-globals.csv"
    assert DEFAULT_FATES_PATH == REPO_ROOT / "marketplace" / "data" / "fate-factors.csv"
    assert DEFAULT_FACTORS_PATH.is_file() and DEFAULT_GLOBALS_PATH.is_file() and DEFAULT_FATES_PATH.is_file()


def test_every_shipped_row_parses_in_file_order():
    with DEFAULT_FACTORS_PATH.open(encoding="utf-8", newline="") as handle:
        keys_in_file = [row["material_key"] for row in csv.DictReader(handle)]

    table = load_factor_table()

    assert [row.key for row in table.materials] == keys_in_file
    assert len(keys_in_file) == 26
    assert {row.category for row in table.materials} <= set(CATEGORIES)


def test_the_shipped_globals_give_freight_factor_gwp_and_landfill_method():
    table = load_factor_table()

    assert table.road_freight_kg_per_tkm == Decimal("0.10163")
    assert table.road_freight_source.startswith("DEFRA/DESNZ 2025")
    assert table.gwp_ch4 == Decimal("25")
    assert table.gwp_source == "IPCC AR4 GWP100"
    assert table.landfill_method == "IPCC 2006 Tier 1"
    assert set(table.globals) == {"road_freight_kgco2e_per_tkm", "gwp_ch4", "landfill_method"}


def test_the_global_rows_cannot_be_changed_after_loading():
    table = load_factor_table()

    with pytest.raises(TypeError):
        table.globals["gwp_ch4"] = None


def test_shipped_numbers_are_exact_decimals_and_names_come_in_three_languages():
    table = load_factor_table()
    scrap = table.material("steel_scrap")
    grain = table.material("brewers_spent_grain")

    assert scrap.substitution_kg_per_t == Decimal("3473.1")
    assert scrap.treatment_kg_per_t == Decimal("1706.4")
    assert grain.landfill_kg_per_t == Decimal("697")
    assert grain.category == "biomass" and grain.unit_basis == "t" and grain.ewc_code == "02 07 04"
    assert (grain.name_en, grain.name_ru, grain.name_kk) == (
        "Brewer's spent grain (wet, ~22% DM)",
        "Пивная дробина",
        "Сыра дробинасы",
    )


def test_whey_is_measured_in_cubic_metres_and_has_no_landfill_factor():
    whey = load_factor_table().material("whey")

    assert whey.unit_basis == "m3"
    assert whey.density_t_per_m3 == Decimal("1.03")
    assert whey.landfill_kg_per_t is None


def test_every_shipped_piece_material_carries_its_mass_per_piece():
    table = load_factor_table()

    masses = {row.key: row.mass_per_unit_t for row in table.materials if row.unit_basis == "piece"}

    assert masses == {
        "jute_bags": Decimal("0.00065"),
        "wooden_pallets": Decimal("0.025"),
        "precast_concrete_panel": Decimal("5.0"),
        "bricks": Decimal("0.0035"),
        "tyres": Decimal("0.0091"),
    }


def test_asking_for_an_unknown_material_raises_key_error():
    with pytest.raises(KeyError):
        load_factor_table().material("unobtainium")


# --- files that are valid --------------------------------------------------------------------


def test_a_minimal_valid_file_loads(tmp_path):
    table = load(tmp_path, [GOOD_ROW, SECOND_ROW])

    assert [row.key for row in table.materials] == ["brewers_spent_grain", "coffee_grounds"]
    assert table.materials[0].mass_per_unit_t is None
    assert table.materials[0].notes == ""


def test_a_hazardous_material_with_an_asterisked_ewc_code_loads(tmp_path):
    treated = {**SECOND_ROW, "hazardous": "true", "ewc_code": "17 02 04*"}

    row = load(tmp_path, [GOOD_ROW, treated]).materials[1]

    assert row.hazardous is True and row.ewc_code == "17 02 04*"


def test_a_byte_order_mark_from_a_spreadsheet_is_ignored(tmp_path):
    path = write_factors(tmp_path, [GOOD_ROW])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    table = load_factor_table(path, write_globals(tmp_path), write_fates(tmp_path, fates_for([GOOD_ROW])))

    assert table.materials[0].key == "brewers_spent_grain"


# --- files that are refused ----------------------------------------------------------------


def assert_refused(excinfo, *, row, column, reason):
    error = excinfo.value
    assert (error.row, error.column) == (row, column)
    assert reason in error.reason
    if row is not None:
        assert f"row {row}" in str(error)
    if column is not None:
        assert repr(column) in str(error)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("category", "plastics", "unknown category 'plastics'"),
        ("unit_basis", "litre", "unknown unit basis 'litre'"),
        ("substitution_kgco2e_per_t", "abc", "is not a number"),
        ("substitution_kgco2e_per_t", "1,250", "is not a number"),
        ("landfill_kgco2e_per_t", "1e3", "is not a number"),
        ("treatment_kgco2e_per_t", "NaN", "is not a number"),
        ("landfill_kgco2e_per_t", "-5", "negative value"),
        ("treatment_kgco2e_per_t", "-0.1", "negative value"),
        ("density_t_per_m3", "0", "greater than zero"),
        ("ewc_code", "020704", "is not an EWC code"),
        ("ewc_code", "02 07 4", "is not an EWC code"),
        ("ewc_code", "02 07 04**", "is not an EWC code"),
        ("hazardous", "yes", "is not true or false"),
        ("material_key", "Spent Grain", "is not a key"),
        ("name_ru", "", "value is required"),
        ("substitution_kgco2e_per_t", "", "value is required"),
        ("source_substitution", "", "value is required"),
    ],
)
def test_it_refuses_a_bad_value_naming_row_column_and_reason(tmp_path, column, value, reason):
    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, {**SECOND_ROW, column: value}])

    assert_refused(excinfo, row=3, column=column, reason=reason)


def test_it_refuses_a_piece_material_without_a_mass_per_piece(tmp_path):
    bags = {**SECOND_ROW, "unit_basis": "piece", "mass_per_unit_t": ""}

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, bags])

    assert_refused(excinfo, row=3, column="mass_per_unit_t", reason="needs a mass per piece")


def test_it_refuses_a_cubic_metre_material_without_a_density(tmp_path):
    whey = {**SECOND_ROW, "unit_basis": "m3", "density_t_per_m3": ""}

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, whey])

    assert_refused(excinfo, row=3, column="density_t_per_m3", reason="needs a density")


def test_it_refuses_a_hazardous_flag_that_disagrees_with_the_ewc_asterisk(tmp_path):
    treated_wood = {**SECOND_ROW, "hazardous": "false", "ewc_code": "17 02 04*"}

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, treated_wood])

    assert_refused(excinfo, row=3, column="hazardous", reason="disagrees with EWC code")


def test_it_refuses_a_landfill_factor_without_its_source(tmp_path):
    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, {**SECOND_ROW, "source_landfill": ""}])

    assert_refused(excinfo, row=3, column="source_landfill", reason="needs its source")


def test_it_refuses_a_duplicate_key_naming_both_rows(tmp_path):
    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [GOOD_ROW, SECOND_ROW, GOOD_ROW])

    assert_refused(excinfo, row=4, column="material_key", reason="duplicate key")
    assert "first in row 2" in str(excinfo.value)


def test_it_refuses_a_file_missing_a_required_column(tmp_path):
    columns = [c for c in FACTOR_COLUMNS if c != "treatment_kgco2e_per_t"]
    row = {k: v for k, v in GOOD_ROW.items() if k in columns}

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [row], columns=columns)

    assert_refused(excinfo, row=1, column="treatment_kgco2e_per_t", reason="missing required column")


def test_it_refuses_an_unknown_column_rather_than_dropping_it(tmp_path):
    columns = [*FACTOR_COLUMNS, "confidence"]

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [{**GOOD_ROW, "confidence": "low"}], columns=columns)

    assert_refused(excinfo, row=1, column="confidence", reason="unknown column")


def test_it_refuses_a_column_named_twice(tmp_path):
    path = tmp_path / "flow-factors.csv"
    header = ",".join([*FACTOR_COLUMNS, "notes"])
    path.write_text(header + "\n", encoding="utf-8")

    with pytest.raises(FactorFileError) as excinfo:
        load_factor_table(path, write_globals(tmp_path))

    assert_refused(excinfo, row=1, column="notes", reason="appears twice")


def test_it_refuses_a_row_with_the_wrong_number_of_fields(tmp_path):
    path = write_factors(tmp_path, [GOOD_ROW])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("coffee_grounds,Spent coffee grounds\n")

    with pytest.raises(FactorFileError) as excinfo:
        load_factor_table(path, write_globals(tmp_path))

    assert_refused(excinfo, row=3, column=None, reason="has 2 fields, the header has 17")


def test_row_numbers_count_records_even_when_a_quoted_note_spans_lines(tmp_path):
    multi_line = {**GOOD_ROW, "notes": "first line\nsecond line\nthird line"}

    with pytest.raises(FactorFileError) as excinfo:
        load(tmp_path, [multi_line, {**SECOND_ROW, "category": "plastics"}])

    assert_refused(excinfo, row=3, column="category", reason="unknown category")


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "file is empty"), (",".join(FACTOR_COLUMNS) + "\n", "no data rows")],
)
def test_it_refuses_an_empty_file(tmp_path, content, reason):
    path = tmp_path / "flow-factors.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(FactorFileError) as excinfo:
        load_factor_table(path, write_globals(tmp_path))

    assert_refused(excinfo, row=None, column=None, reason=reason)


def test_it_refuses_a_missing_file_by_name(tmp_path):
    with pytest.raises(FactorFileError, match="nowhere.csv: file not found"):
        load_factor_table(tmp_path / "nowhere.csv", write_globals(tmp_path))


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    path = write_factors(tmp_path, [GOOD_ROW])
    path.write_bytes(path.read_bytes().replace("Пивная".encode(), "Пивная".encode("cp1251")))

    with pytest.raises(FactorFileError, match="not UTF-8"):
        load_factor_table(path, write_globals(tmp_path))


# --- the globals file ----------------------------------------------------------------------


def load_globals(tmp_path: Path, rows: list[dict[str, str]]):
    return load_factor_table(
        write_factors(tmp_path, [GOOD_ROW]),
        write_globals(tmp_path, rows),
        write_fates(tmp_path, fates_for([GOOD_ROW])),
    )


def test_it_refuses_globals_without_the_gwp(tmp_path):
    rows = [row for row in GOOD_GLOBALS if row["key"] != "gwp_ch4"]

    with pytest.raises(FactorFileError) as excinfo:
        load_globals(tmp_path, rows)

    assert_refused(excinfo, row=None, column="key", reason="'gwp_ch4' is missing")


@pytest.mark.parametrize(("value", "reason"), [("about 0.1", "is not a number"), ("0", "greater than zero")])
def test_it_refuses_an_unusable_road_freight_factor(tmp_path, value, reason):
    rows = [{**GOOD_GLOBALS[0], "value": value}, *GOOD_GLOBALS[1:]]

    with pytest.raises(FactorFileError) as excinfo:
        load_globals(tmp_path, rows)

    assert_refused(excinfo, row=2, column="value", reason=reason)


def test_it_refuses_a_global_given_twice(tmp_path):
    rows = [*GOOD_GLOBALS, {**GOOD_GLOBALS[1], "value": "28"}]

    with pytest.raises(FactorFileError) as excinfo:
        load_globals(tmp_path, rows)

    assert_refused(excinfo, row=5, column="key", reason="duplicate key 'gwp_ch4'")


def test_it_refuses_a_global_without_its_source(tmp_path):
    rows = [GOOD_GLOBALS[0], {**GOOD_GLOBALS[1], "source": ""}, GOOD_GLOBALS[2]]

    with pytest.raises(FactorFileError) as excinfo:
        load_globals(tmp_path, rows)

    assert_refused(excinfo, row=3, column="source", reason="value is required")


# --- the fate file -------------------------------------------------------------------------


def test_every_shipped_material_has_its_fate_baselines_with_a_source():
    table = load_factor_table()

    assert list(table.fates) == [row.key for row in table.materials]
    assert all(fate.source for fate in table.fates.values())
    straw = table.fate("straw")
    assert (straw.open_burning_kg_per_t, straw.incineration_kg_per_t) == (Decimal("67.6"), Decimal("14.9"))
    assert straw.source.startswith("Open burning in the field: IPCC 2006 V4 Ch2 Table 2.5")


def test_an_empty_fate_factor_means_that_fate_is_not_one_the_material_has():
    table = load_factor_table()

    whey, sludge = table.fate("whey"), table.fate("sewage_sludge")

    assert (whey.open_burning_kg_per_t, whey.incineration_kg_per_t) == (None, None)
    assert (sludge.open_burning_kg_per_t, sludge.incineration_kg_per_t) == (None, Decimal("59.0"))
    assert table.fate("glass_cullet").open_burning_kg_per_t == Decimal("0")  # inert: a fate, zero


def test_the_fates_cannot_be_changed_after_loading():
    table = load_factor_table()

    with pytest.raises(TypeError):
        table.fates["straw"] = None


_EQ_5_1 = re.compile(
    r"fossil CO2 = dm (?P<dm>[\d.]+) x C (?P<c>[\d.]+) x fossil (?P<fossil>[\d.]+) x oxidation"
)


def test_every_ipcc_waste_combustion_row_recomputes_from_the_parameters_its_source_states():
    # IPCC 2006 V5 Ch5 eq 5.1: fossil CO2 = dm × C × fossil × oxidation × 44/12 (per t wet); open
    # burning adds CH4 6,500 g/t wet × GWP 25 and N2O 150 g/t dry × 298, incineration N2O 50 g/t
    # wet × 298. The file states one decimal, so each factor is the derivation rounded to 0.1.
    table = load_factor_table()
    checked = 0
    for fate in table.fates.values():
        match = _EQ_5_1.search(fate.source)
        if not match:
            continue
        dm, carbon, fossil = (Decimal(match[name]) for name in ("dm", "c", "fossil"))
        co2_per_oxidised = dm * carbon * fossil * Decimal(44) / Decimal(12) * 1000
        burning = co2_per_oxidised * Decimal("0.58") + Decimal("6.5") * 25 + Decimal("0.150") * dm * 298
        incineration = co2_per_oxidised + Decimal("0.050") * 298

        assert fate.open_burning_kg_per_t == burning.quantize(Decimal("0.1")), fate.key
        assert fate.incineration_kg_per_t == incineration.quantize(Decimal("0.1")), fate.key
        checked += 1
    assert checked == 17  # 26 materials less straw, whey, sewage sludge and six inert ones


def test_straw_and_sewage_sludge_recompute_from_their_own_ipcc_tables():
    table = load_factor_table()
    # V4 Ch2 Tables 2.5-2.6: dm 0.85 × combustion factor 0.90 × (CH4 2.7 g/kg × 25 + N2O 0.07 g/kg × 298)
    straw = Decimal("0.85") * Decimal("0.90") * (Decimal("2.7") * 25 + Decimal("0.07") * 298)
    # V5 Ch5 Table 5.6: N2O 990 g/t dry sludge × dm 0.2 × 298
    sludge = Decimal("0.990") * Decimal("0.2") * 298

    assert table.fate("straw").open_burning_kg_per_t == straw.quantize(Decimal("0.1"))
    assert table.fate("sewage_sludge").incineration_kg_per_t == sludge.quantize(Decimal("0.1"))


def test_inert_materials_release_nothing_when_burnt():
    table = load_factor_table()

    inert = [fate for fate in table.fates.values() if fate.source.startswith("Inert")]

    assert {fate.key for fate in inert} == {
        "precast_concrete_panel",
        "crushed_concrete_aggregate",
        "bricks",
        "structural_steel_elements",
        "steel_scrap",
        "glass_cullet",
    }
    assert all(fate.open_burning_kg_per_t == fate.incineration_kg_per_t == 0 for fate in inert)


def test_a_minimal_fate_file_loads_with_empty_factors_as_none(tmp_path):
    table = load_fates(
        tmp_path, [fate_row("brewers_spent_grain"), fate_row("coffee_grounds", burning="", incineration="")]
    )

    assert table.fate("brewers_spent_grain").open_burning_kg_per_t == Decimal("180.4")
    assert table.fate("coffee_grounds").open_burning_kg_per_t is None
    assert table.fate("coffee_grounds").incineration_kg_per_t is None


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("open_burning_kgco2e_per_t", "abc", "is not a number"),
        ("open_burning_kgco2e_per_t", "1,5", "is not a number"),
        ("incineration_kgco2e_per_t", "1e2", "is not a number"),
        ("incineration_kgco2e_per_t", "-14.9", "negative value"),
        ("source", "", "value is required"),
        ("material_key", "", "value is required"),
        ("material_key", "Coffee", "is not a key"),
        ("material_key", "unobtainium", "is not a material of the flow-factor file"),
    ],
)
def test_it_refuses_a_bad_fate_value_naming_row_column_and_reason(tmp_path, column, value, reason):
    rows = [fate_row("brewers_spent_grain"), {**fate_row("coffee_grounds"), column: value}]

    with pytest.raises(FactorFileError) as excinfo:
        load_fates(tmp_path, rows)

    assert_refused(excinfo, row=3, column=column, reason=reason)
    assert "fate-factors.csv" in str(excinfo.value)


def test_it_refuses_a_fate_row_given_twice(tmp_path):
    rows = [fate_row("brewers_spent_grain"), fate_row("coffee_grounds"), fate_row("brewers_spent_grain")]

    with pytest.raises(FactorFileError) as excinfo:
        load_fates(tmp_path, rows)

    assert_refused(excinfo, row=4, column="material_key", reason="duplicate key 'brewers_spent_grain'")


def test_it_refuses_a_material_without_a_fate_row(tmp_path):
    with pytest.raises(FactorFileError) as excinfo:
        load_fates(tmp_path, [fate_row("brewers_spent_grain")])

    assert_refused(excinfo, row=None, column="material_key", reason="no row for material(s) 'coffee_grounds'")


def test_it_refuses_a_fate_file_with_an_unknown_column(tmp_path):
    columns = [*FATE_COLUMNS, "confidence"]
    rows = [{**fate_row(key), "confidence": "high"} for key in ("brewers_spent_grain", "coffee_grounds")]

    with pytest.raises(FactorFileError) as excinfo:
        load_fates(tmp_path, rows, columns=columns)

    assert_refused(excinfo, row=1, column="confidence", reason="unknown column")


def test_it_refuses_a_missing_fate_file_by_name(tmp_path):
    with pytest.raises(FactorFileError, match="no-fates.csv: file not found"):
        load_factor_table(
            write_factors(tmp_path, [GOOD_ROW]), write_globals(tmp_path), tmp_path / "no-fates.csv"
        )
