"""Tests of the avoided-emission arithmetic of SPEC §4 (pure, no Django)."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.factor_data import load_factor_table
from matching.impact import (
    BASELINE_DESTINATIONS,
    DESTINATIONS,
    IMPACT_METHOD,
    IMPACT_QUANTUM,
    IMPACT_ROUNDING,
    MIXED_BASELINE,
    FlowFactors,
    Impact,
    flow_impact,
    landfill_co2e_t,
    landfill_methane_t,
    to_tonnes,
)

D = Decimal
ROAD = D("0.10163")
SPENT_GRAIN = FlowFactors(
    landfill_kg_per_t=D("697"),
    substitution_kg_per_t=D("100"),
    treatment_kg_per_t=D("0"),
    road_freight_kg_per_tkm=ROAD,
)
CHICKEN_MANURE = FlowFactors(
    landfill_kg_per_t=D("1000"),
    substitution_kg_per_t=D("80"),
    treatment_kg_per_t=D("189"),
    road_freight_kg_per_tkm=ROAD,
)


def test_the_module_imports_without_django():
    # Run in a fresh interpreter: this test process may already have Django loaded.
    code = "import sys, matching.impact; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- units -----------------------------------------------------------------------------------


def test_tonnes_stay_tonnes_and_kilograms_are_divided_by_a_thousand():
    assert to_tonnes(D("12.5"), "t") == D("12.5")
    assert to_tonnes(D("40000"), "kg") == D("40")
    assert to_tonnes(1, "kg") == D("0.001")


def test_jute_bags_convert_at_their_mass_per_piece():
    assert to_tonnes(D("3000"), "piece", mass_per_piece_t=D("0.00065")) == D("1.95")


def test_whey_converts_from_cubic_metres_at_its_density():
    assert to_tonnes(D("10"), "m3", density_t_per_m3=D("1.03")) == D("10.3")


def test_conversions_the_unit_does_not_use_are_ignored():
    both = {"mass_per_piece_t": D("0.00065"), "density_t_per_m3": D("0.3")}

    assert to_tonnes(D("2"), "t", **both) == D("2")
    assert to_tonnes(D("2"), "piece", **both) == D("0.0013")


@pytest.mark.parametrize(
    ("quantity", "unit", "conversions", "message"),
    [
        (D("10"), "m3", {}, "needs density_t_per_m3"),
        (D("10"), "piece", {}, "needs mass_per_piece_t"),
        (D("10"), "m3", {"density_t_per_m3": D("0")}, "density_t_per_m3 must be positive"),
        (D("10"), "piece", {"mass_per_piece_t": D("-1")}, "mass_per_piece_t must be positive"),
        (D("2.5"), "piece", {"mass_per_piece_t": D("0.025")}, "piece count must be whole"),
        (D("10"), "litre", {}, "unknown unit 'litre'"),
        (D("-1"), "t", {}, "quantity must not be negative"),
        (D("NaN"), "t", {}, "must be a finite number"),
    ],
)
def test_it_refuses_a_quantity_it_cannot_turn_into_tonnes(quantity, unit, conversions, message):
    with pytest.raises(ValueError, match=message):
        to_tonnes(quantity, unit, **conversions)


def test_it_refuses_floats_because_binary_rounding_breaks_exact_recomputation():
    with pytest.raises(TypeError, match="must be a Decimal"):
        to_tonnes(0.1, "t")


# --- one flow --------------------------------------------------------------------------------


def test_spent_grain_over_eighteen_km_matches_the_hand_computation():
    impact = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination="landfill", factors=SPENT_GRAIN
    )

    # 150 × 697; 150 × 100; 150 × 0; 150 × 18 × 0.10163
    assert impact.as_dict() == {
        "baseline": "landfill",
        "baseline_avoided_kg": D("104550"),
        "landfill_avoided_kg": D("104550"),
        "substitution_avoided_kg": D("15000"),
        "treatment_kg": D("0"),
        "transport_kg": D("274.401"),
        "storage_kg": D("0"),
        "net_kg": D("104550") + D("15000") - D("0") - D("274.401"),
    }
    assert impact.net_kg == D("119275.599")


def test_treatment_is_subtracted_from_the_net():
    impact = flow_impact(
        mass_t=D("800"), distance_km=D("25"), current_destination="landfill", factors=CHICKEN_MANURE
    )

    assert impact.treatment_kg == D("151200")  # 800 × 189
    assert impact.transport_kg == D("2032.600")  # 800 × 25 × 0.10163
    assert impact.net_kg == D("800000") + D("64000") - D("151200") - D("2032.600")


@pytest.mark.parametrize("destination", [*BASELINE_DESTINATIONS, "unknown"])
def test_a_residue_not_going_to_landfill_never_earns_the_landfill_factor(destination):
    impact = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination=destination, factors=SPENT_GRAIN
    )

    assert impact.baseline == destination
    assert impact.landfill_avoided_kg == 0 and impact.baseline_avoided_kg == 0  # no factor for it
    assert impact.net_kg == D("15000") - D("274.401")


def test_supply_already_in_other_use_earns_neither_a_baseline_nor_substitution():
    impact = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination="other_use", factors=SPENT_GRAIN
    )

    # Its current use already displaces virgin material: only treatment and transport count.
    assert impact.as_dict() == {
        "baseline": "other_use",
        "baseline_avoided_kg": D("0"),
        "landfill_avoided_kg": D("0"),
        "substitution_avoided_kg": D("0"),
        "treatment_kg": D("0"),
        "transport_kg": D("274.401"),
        "storage_kg": D("0"),
        "net_kg": D("-274.401"),
    }


def test_a_set_of_impact_method_1_still_credits_substitution_to_other_use_supply():
    # Sets published before fate baselines keep their own arithmetic, so their stored impacts
    # recompute digit for digit.
    legacy = FlowFactors(D("697"), D("100"), D("0"), ROAD, impact_method=1)

    impact = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination="other_use", factors=legacy
    )

    assert impact.substitution_avoided_kg == D("15000")
    assert impact.net_kg == D("15000") - D("274.401")
    assert IMPACT_METHOD == 2 and FlowFactors(D("1"), D("1"), D("1"), ROAD).impact_method == 2


@pytest.mark.parametrize("method", [0, 3, True])
def test_it_refuses_an_unknown_impact_method(method):
    with pytest.raises(ValueError, match="impact_method"):
        FlowFactors(D("1"), D("1"), D("1"), ROAD, impact_method=method)


def test_a_non_landfill_destination_uses_its_own_baseline_factor():
    straw = FlowFactors(
        landfill_kg_per_t=D("3471"),
        substitution_kg_per_t=D("0"),
        treatment_kg_per_t=D("0"),
        road_freight_kg_per_tkm=ROAD,
        baseline_kg_per_t={"open_burning": D("68")},
    )

    burnt = flow_impact(mass_t=D("10"), distance_km=D("0"), current_destination="open_burning", factors=straw)
    incinerated = flow_impact(
        mass_t=D("10"), distance_km=D("0"), current_destination="incineration", factors=straw
    )

    assert (burnt.baseline, burnt.baseline_avoided_kg, burnt.landfill_avoided_kg) == ("open_burning", 680, 0)
    assert burnt.net_kg == D("680")
    # No incineration factor in this set: that fate avoids nothing, never the landfill factor.
    assert (incinerated.baseline_avoided_kg, incinerated.landfill_avoided_kg) == (0, 0)


def test_straw_burnt_in_the_field_now_has_a_positive_baseline_from_the_shipped_fate_file():
    table = load_factor_table()
    row, fate = table.material("straw"), table.fate("straw")
    straw = FlowFactors(
        landfill_kg_per_t=row.landfill_kg_per_t,
        substitution_kg_per_t=row.substitution_kg_per_t,
        treatment_kg_per_t=row.treatment_kg_per_t,
        road_freight_kg_per_tkm=table.road_freight_kg_per_tkm,
        baseline_kg_per_t={
            "open_burning": fate.open_burning_kg_per_t,
            "incineration": fate.incineration_kg_per_t,
        },
    )

    impact = flow_impact(
        mass_t=D("600"), distance_km=D("40"), current_destination="open_burning", factors=straw
    )

    # 600 t × 67.6 kg/t (IPCC 2006 V4 Table 2.5/2.6: 0.85 × 0.90 × (2.7 × 25 + 0.07 × 298))
    assert fate.open_burning_kg_per_t == D("67.6")
    assert impact.baseline_avoided_kg == D("40560") and impact.landfill_avoided_kg == 0
    assert impact.net_kg == (
        D("40560") + impact.substitution_avoided_kg - impact.treatment_kg - impact.transport_kg
    )


def test_a_material_without_a_landfill_factor_avoids_nothing_at_the_landfill():
    whey = FlowFactors(
        landfill_kg_per_t=None,
        substitution_kg_per_t=D("35"),
        treatment_kg_per_t=D("0"),
        road_freight_kg_per_tkm=ROAD,
    )

    impact = flow_impact(mass_t=D("10.3"), distance_km=D("0"), current_destination="landfill", factors=whey)

    assert impact.landfill_avoided_kg == 0
    assert impact.substitution_avoided_kg == D("360.5")


def test_it_refuses_an_unknown_current_destination():
    with pytest.raises(ValueError, match="unknown current destination 'river'"):
        flow_impact(mass_t=D("1"), distance_km=D("1"), current_destination="river", factors=SPENT_GRAIN)


@pytest.mark.parametrize(
    ("mass", "distance", "message"),
    [(D("-1"), D("1"), "mass_t must not be negative"), (D("1"), D("-1"), "distance_km")],
)
def test_it_refuses_negative_mass_or_distance(mass, distance, message):
    with pytest.raises(ValueError, match=message):
        flow_impact(mass_t=mass, distance_km=distance, current_destination="landfill", factors=SPENT_GRAIN)


@pytest.mark.parametrize("destination", ["landfill", "other_use", "unknown"])
def test_only_open_burning_and_incineration_take_a_baseline_factor(destination):
    # Landfill has its own factor; an unknown fate and supply already in use avoid nothing.
    with pytest.raises(ValueError, match=f"baseline destination '{destination}'"):
        FlowFactors(D("1"), D("1"), D("1"), ROAD, baseline_kg_per_t={destination: D("2")})


def test_it_refuses_a_negative_factor():
    with pytest.raises(ValueError, match="treatment_kg_per_t must not be negative"):
        FlowFactors(D("1"), D("1"), D("-1"), ROAD)


def test_baselines_given_as_a_mapping_or_pairs_are_the_same_hashable_factors():
    as_mapping = FlowFactors(
        D("1"), D("2"), D("3"), ROAD, baseline_kg_per_t={"incineration": D("5"), "open_burning": 68}
    )
    as_pairs = FlowFactors(
        D("1"), D("2"), D("3"), ROAD, baseline_kg_per_t=(("open_burning", D("68")), ("incineration", 5))
    )

    assert as_mapping == as_pairs
    assert hash(as_mapping) == hash(as_pairs)


# --- precision and recomputation ---------------------------------------------------------------


def test_components_are_rounded_half_even_to_the_named_quantum():
    one_kg_per_t = FlowFactors(D("1"), D("0"), D("0"), D("0"))

    def landfill(mass: str) -> Decimal:
        return flow_impact(
            mass_t=D(mass), distance_km=D("0"), current_destination="landfill", factors=one_kg_per_t
        ).landfill_avoided_kg

    assert IMPACT_QUANTUM == D("0.001")
    assert landfill("0.0005") == D("0.000")
    assert landfill("0.0015") == D("0.002")
    assert landfill("0.0025") == D("0.002")
    assert landfill("0.0025000001") == D("0.003")


def test_a_stored_impact_is_recomputed_digit_for_digit():
    impact = flow_impact(
        mass_t=D("1.95"), distance_km=D("7.3"), current_destination="landfill", factors=SPENT_GRAIN
    )
    stored = {name: str(value) for name, value in impact.as_dict().items()}

    recomputed = flow_impact(
        mass_t=D("1.95"), distance_km=D("7.3"), current_destination="landfill", factors=SPENT_GRAIN
    )

    assert Impact.from_dict(stored) == recomputed
    assert {name: str(value) for name, value in recomputed.as_dict().items()} == stored


def test_the_result_does_not_depend_on_the_callers_decimal_context():
    def compute() -> Impact:
        return flow_impact(
            mass_t=D("123456.789"),
            distance_km=D("98.7654"),
            current_destination="landfill",
            factors=SPENT_GRAIN,
        )

    expected = compute()
    with localcontext() as ctx:
        ctx.prec = 5
        assert compute() == expected


def test_impacts_add_component_by_component_and_sum_from_zero():
    one = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination="landfill", factors=SPENT_GRAIN
    )
    other = flow_impact(
        mass_t=D("800"), distance_km=D("25"), current_destination="landfill", factors=CHICKEN_MANURE
    )

    total = one + other

    assert total.transport_kg == D("274.401") + D("2032.600")
    assert total.net_kg == one.net_kg + other.net_kg
    assert total.baseline == "landfill" and total.baseline_avoided_kg == total.landfill_avoided_kg
    assert sum([one, other]) == total
    assert sum([one, other], Impact.zero()) == total


def test_a_sum_of_flows_with_different_fates_has_a_mixed_baseline():
    landfilled = flow_impact(
        mass_t=D("150"), distance_km=D("18"), current_destination="landfill", factors=SPENT_GRAIN
    )
    in_use = flow_impact(
        mass_t=D("10"), distance_km=D("18"), current_destination="other_use", factors=SPENT_GRAIN
    )

    total = landfilled + in_use

    assert total.baseline == MIXED_BASELINE
    assert total.baseline_avoided_kg == landfilled.baseline_avoided_kg
    assert total.net_kg == landfilled.net_kg + in_use.net_kg
    assert Impact.zero().baseline is None and (Impact.zero() + in_use).baseline == "other_use"


def test_an_impact_whose_net_is_not_the_sum_of_its_parts_is_refused():
    with pytest.raises(ValueError, match="not the sum of its components"):
        Impact("landfill", D("10"), D("10"), D("5"), D("1"), D("1"), D("0"), net_kg=D("14"))


@pytest.mark.parametrize(
    ("baseline", "baseline_kg", "landfill_kg", "message"),
    [
        ("landfill", D("10"), D("9"), "must equal baseline_avoided_kg"),
        ("open_burning", D("10"), D("10"), "landfill_avoided_kg must be 0"),
        ("other_use", D("10"), D("0"), "baseline_avoided_kg must be 0"),
        ("unknown", D("10"), D("0"), "baseline_avoided_kg must be 0"),
        ("river", D("0"), D("0"), "unknown baseline 'river'"),
    ],
)
def test_an_impact_whose_landfill_part_disagrees_with_its_fate_is_refused(
    baseline, baseline_kg, landfill_kg, message
):
    with pytest.raises(ValueError, match=message):
        Impact(baseline, baseline_kg, landfill_kg, D("0"), D("0"), D("0"), D("0"), net_kg=baseline_kg)


def test_handling_at_a_storage_yard_is_mass_times_its_factor_and_lowers_the_net():
    direct = flow_impact(
        mass_t=D("200"), distance_km=D("18"), current_destination="landfill", factors=SPENT_GRAIN
    )
    through_yard = flow_impact(
        mass_t=D("200"),
        distance_km=D("18"),
        current_destination="landfill",
        factors=SPENT_GRAIN,
        handling_kg_co2e_per_t=D("10"),
    )

    assert direct.storage_kg == D("0")
    assert through_yard.storage_kg == D("2000.000")
    assert through_yard.net_kg == direct.net_kg - D("2000")
    assert (direct + through_yard).storage_kg == D("2000")
    assert through_yard.as_dict()["storage_kg"] == D("2000.000")


def test_handling_is_quantised_once_half_even():
    impact = flow_impact(
        mass_t=D("0.0005"),
        distance_km=D("0"),
        current_destination="unknown",
        factors=SPENT_GRAIN,
        handling_kg_co2e_per_t=D("5"),
    )

    assert impact.storage_kg == D("0.002")  # 0.0025 to even
    with pytest.raises(ValueError, match="handling_kg_co2e_per_t must not be negative"):
        flow_impact(
            mass_t=D("1"),
            distance_km=D("0"),
            current_destination="landfill",
            factors=SPENT_GRAIN,
            handling_kg_co2e_per_t=D("-1"),
        )


def test_an_impact_stored_before_storage_handling_loads_with_none():
    impact = flow_impact(
        mass_t=D("10"), distance_km=D("3"), current_destination="landfill", factors=SPENT_GRAIN
    )
    old = {k: str(v) for k, v in impact.as_dict().items() if k != "storage_kg"}

    loaded = Impact.from_dict(old)

    assert loaded == impact and loaded.storage_kg == D("0")
    assert Impact.zero().storage_kg == D("0")


def test_an_impact_that_leaves_out_its_storage_handling_from_the_net_is_refused():
    with pytest.raises(ValueError, match="not the sum of its components"):
        Impact("landfill", D("10"), D("10"), D("5"), D("1"), D("1"), D("2"), net_kg=D("13"))


def test_an_impact_round_trips_through_its_dict_with_its_baseline():
    impact = flow_impact(
        mass_t=D("10"), distance_km=D("3"), current_destination="other_use", factors=SPENT_GRAIN
    )

    assert Impact.from_dict({k: str(v) for k, v in impact.as_dict().items()}) == impact


masses = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
distances = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False, allow_infinity=False)
factor_values = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)


@given(
    mass=masses,
    distance=distances,
    landfill=factor_values,
    substitution=factor_values,
    treatment=factor_values,
    handling=factor_values,
)
def test_every_impact_sits_on_the_quantum_grid_and_nets_exactly(
    mass, distance, landfill, substitution, treatment, handling
):
    factors = FlowFactors(landfill, substitution, treatment, ROAD)

    impact = flow_impact(
        mass_t=mass,
        distance_km=distance,
        current_destination="landfill",
        factors=factors,
        handling_kg_co2e_per_t=handling,
    )

    for name, value in impact.as_dict().items():
        assert name == "baseline" or value == value.quantize(IMPACT_QUANTUM)
    assert impact.storage_kg == (mass * handling).quantize(IMPACT_QUANTUM, rounding=IMPACT_ROUNDING)
    assert impact.net_kg == (
        impact.baseline_avoided_kg
        + impact.substitution_avoided_kg
        - impact.treatment_kg
        - impact.transport_kg
        - impact.storage_kg
    )


@given(
    mass=masses,
    distance=distances,
    landfill=factor_values,
    substitution=factor_values,
    burning=factor_values,
    incineration=factor_values,
    destination=st.sampled_from(DESTINATIONS),
)
def test_every_fate_nets_baseline_plus_substitution_minus_treatment_and_transport(
    mass, distance, landfill, substitution, burning, incineration, destination
):
    factors = FlowFactors(
        landfill,
        substitution,
        D("5"),
        ROAD,
        baseline_kg_per_t={"open_burning": burning, "incineration": incineration},
    )

    impact = flow_impact(mass_t=mass, distance_km=distance, current_destination=destination, factors=factors)

    per_t = {"landfill": landfill, "open_burning": burning, "incineration": incineration}.get(destination, 0)
    assert impact.baseline == destination
    assert impact.baseline_avoided_kg == (mass * per_t).quantize(IMPACT_QUANTUM)
    assert impact.landfill_avoided_kg == (impact.baseline_avoided_kg if destination == "landfill" else 0)
    expected_substitution = (
        0 if destination == "other_use" else (mass * substitution).quantize(IMPACT_QUANTUM)
    )
    assert impact.substitution_avoided_kg == expected_substitution
    assert impact.net_kg == (
        impact.baseline_avoided_kg
        + impact.substitution_avoided_kg
        - impact.treatment_kg
        - impact.transport_kg
    )


@given(first=masses, second=masses, distance=distances)
def test_splitting_a_flow_changes_each_component_by_at_most_one_quantum(first, second, distance):
    def impact(mass: Decimal) -> Impact:
        return flow_impact(
            mass_t=mass, distance_km=distance, current_destination="landfill", factors=SPENT_GRAIN
        )

    split = impact(first) + impact(second)
    whole = impact(first + second)

    for name in ("landfill_avoided_kg", "substitution_avoided_kg", "treatment_kg", "transport_kg"):
        assert abs(split.as_dict()[name] - whole.as_dict()[name]) <= IMPACT_QUANTUM


# --- IPCC 2006 Tier 1 landfill methane -------------------------------------------------------

# The Almaty study: ~600,000 t/yr of food-type organics and ~38,700 t of paper landfilled,
# ~35,160 t CH4, ~879,000 t CO2e at the AR4 GWP of 25.
FOOD_T, FOOD_DOC = D("600000"), D("0.15")
PAPER_T, PAPER_DOC = D("38700"), D("0.40")


def study_methane_t() -> Decimal:
    return landfill_methane_t(FOOD_T, FOOD_DOC) + landfill_methane_t(PAPER_T, PAPER_DOC)


def study_co2e_t(gwp: Decimal) -> Decimal:
    return landfill_co2e_t(FOOD_T, FOOD_DOC, gwp_ch4=gwp) + landfill_co2e_t(PAPER_T, PAPER_DOC, gwp_ch4=gwp)


def test_the_almaty_study_methane_is_reproduced_within_one_percent():
    assert abs(study_methane_t() - D("35160")) <= D("35160") * D("0.01")


def test_the_almaty_study_co2e_at_gwp_25_is_reproduced_within_one_percent():
    assert abs(study_co2e_t(D("25")) - D("879000")) <= D("879000") * D("0.01")


def test_the_study_co2e_scales_exactly_with_the_gwp():
    assert study_co2e_t(D("28")) == study_co2e_t(D("25")) * D("28") / D("25")


def test_the_methane_formula_applies_every_ipcc_parameter():
    # 1 t × DOC 0.6 × DOCf 0.5 × MCF 0.8 × F 0.5 × 16/12 × (1 − 0.1)
    assert landfill_methane_t(D("1"), D("0.6"), docf=D("0.5"), mcf=D("0.8"), f=D("0.5"), ox=D("0.1")) == D(
        "0.144"
    )


@pytest.mark.parametrize("parameter", ["docf", "mcf", "f", "ox"])
def test_it_refuses_an_ipcc_fraction_outside_zero_to_one(parameter):
    with pytest.raises(ValueError, match=f"{parameter} must be between 0 and 1"):
        landfill_methane_t(D("1"), D("0.15"), **{parameter: D("1.5")})


def test_the_gwp_must_be_positive():
    with pytest.raises(ValueError, match="gwp_ch4 must be positive"):
        landfill_co2e_t(D("1"), D("0.15"), gwp_ch4=D("0"))


# DOC (fraction of wet weight) of every IPCC-method row of the shipped factor file, from the
# derivation written in its source_landfill column: DM × DOC_dry where one is given.
IPCC_DERIVED_DOC = {
    "chicken_manure": D("0.40") * D("0.30"),
    "cattle_manure": D("0.25") * D("0.30"),
    "straw": D("0.49") * D("0.85"),
    "brewers_spent_grain": D("0.38") * D("0.22"),
    "bread_residues": D("0.38") * D("0.65"),
    "fruit_veg_residues": D("0.38") * D("0.12"),
    "food_processing_residues": D("0.15"),
    "coffee_grounds": D("0.15"),
    "cocoa_shells": D("0.49") * D("0.90"),
    "sewage_sludge": D("0.05"),
    "jute_bags": D("0.24"),
    "wooden_pallets": D("0.43"),
    "construction_timber": D("0.43"),
    "cardboard_paper": D("0.40"),
    "textiles": D("0.24"),
}
# The DOC printed in the source text is rounded; for these rows the rounding moves the
# landfill factor by more than 1 kg (derived DOC → printed DOC: 0.0836 → 0.084 gives 700 instead
# of 697; 0.4165 → 0.42 gives 3500 instead of 3471; 0.0456 → 0.046 gives 383 instead of 380;
# 0.441 → 0.44 gives 3667 instead of 3675). The shipped factors follow the unrounded derivation.
ROUNDED_DOC_OFF_BY_MORE_THAN_1_KG = {
    "brewers_spent_grain",
    "straw",
    "fruit_veg_residues",
    "cocoa_shells",
}


def ipcc_rows():
    table = load_factor_table()
    rows = [row for row in table.materials if row.source_landfill.startswith("IPCC 2006")]
    return table, {row.key: row for row in rows}


def shipped_landfill_kg_per_t(doc: Decimal) -> Decimal:
    table, _ = ipcc_rows()
    return landfill_co2e_t(D("1"), doc, gwp_ch4=table.gwp_ch4) * 1000


def test_every_ipcc_method_row_of_the_shipped_file_has_a_checked_derivation():
    _, rows = ipcc_rows()

    assert set(rows) == set(IPCC_DERIVED_DOC)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("brewers_spent_grain", D("697")),
        ("food_processing_residues", D("1250")),
        ("chicken_manure", D("1000")),
    ],
)
def test_the_named_landfill_factors_reproduce_from_their_doc_within_1_kg(key, expected):
    _, rows = ipcc_rows()

    assert rows[key].landfill_kg_per_t == expected
    assert abs(shipped_landfill_kg_per_t(IPCC_DERIVED_DOC[key]) - expected) <= 1


@pytest.mark.parametrize("key", sorted(IPCC_DERIVED_DOC))
def test_every_ipcc_landfill_factor_reproduces_from_its_derived_doc_within_1_kg(key):
    _, rows = ipcc_rows()

    computed = shipped_landfill_kg_per_t(IPCC_DERIVED_DOC[key])

    assert abs(computed - rows[key].landfill_kg_per_t) <= 1


def printed_doc(source_landfill: str) -> Decimal:
    match = re.search(r";\s*DOC (\d+(?:\.\d+)?)", source_landfill)
    assert match, f"no DOC in {source_landfill!r}"
    return D(match.group(1))


@pytest.mark.parametrize("key", sorted(IPCC_DERIVED_DOC))
def test_every_ipcc_landfill_factor_is_within_one_percent_of_its_printed_doc(key):
    _, rows = ipcc_rows()
    shipped = rows[key].landfill_kg_per_t

    computed = shipped_landfill_kg_per_t(printed_doc(rows[key].source_landfill))

    assert abs(computed - shipped) <= shipped * D("0.01")


@pytest.mark.parametrize("key", sorted(IPCC_DERIVED_DOC))
def test_the_printed_doc_reproduces_the_factor_within_1_kg_except_where_it_is_known_to_be_rounded(key):
    # The shared CSV prints a rounded DOC for a few rows (e.g. 0.084 for 0.38 x 0.22 = 0.0836); their
    # factors follow the unrounded derivation, checked above. This pins exactly which rows those are,
    # so a corrected CSV (or a new discrepancy) makes this test fail and gets looked at.
    _, rows = ipcc_rows()

    computed = shipped_landfill_kg_per_t(printed_doc(rows[key].source_landfill))

    within_1_kg = abs(computed - rows[key].landfill_kg_per_t) <= 1
    assert within_1_kg == (key not in ROUNDED_DOC_OFF_BY_MORE_THAN_1_KG)
