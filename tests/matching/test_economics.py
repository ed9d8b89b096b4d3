"""The money arithmetic (pure) and its use in the impact report."""

from decimal import Decimal

import pytest

from matching import economics
from matching.economics import Rates, flow_economics

RATES = Rates(
    version="t1", landfill_gate_fee_kzt_per_t=Decimal("4500.00"), transport_kzt_per_tkm=Decimal("45.50")
)


def test_landfill_bound_supply_avoids_the_gate_fee_on_its_mass():
    result = flow_economics(
        mass_t=Decimal("1500.000"), distance_km=Decimal("32.418"), current_destination="landfill", rates=RATES
    )
    assert result.disposal_fee_avoided_kzt == Decimal("6750000.00")
    # 1500 t × 32.418 km = 48 627 t·km × 45.50 KZT
    assert result.transport_cost_kzt == Decimal("2212528.50")
    assert (result.price_total_kzt, result.tariff, result.estimate) == (None, "t1", True)


@pytest.mark.parametrize("destination", ["open_burning", "incineration", "other", ""])
def test_supply_not_bound_for_landfill_avoids_no_gate_fee(destination):
    result = flow_economics(
        mass_t=Decimal("10"), distance_km=Decimal("5"), current_destination=destination, rates=RATES
    )
    assert result.disposal_fee_avoided_kzt == Decimal("0.00")
    assert result.transport_cost_kzt == Decimal("2275.00")


def test_rounding_is_half_even_to_the_tiyn_on_rounded_tonne_kilometres():
    rates = Rates(
        version="t", landfill_gate_fee_kzt_per_t=Decimal("0.01"), transport_kzt_per_tkm=Decimal("0.01")
    )
    # 0.5 t × 0.001 km = 0.0005 t·km → 0.000 (half-even) → 0.00 KZT
    assert economics.tkm(mass_t=Decimal("0.5"), distance_km=Decimal("0.001")) == Decimal("0.000")
    # 0.125 t of gate fee at 0.01 KZT/t = 0.00125 → 0.00; 0.375 → 0.00375 → 0.00
    assert economics.disposal_fee_avoided_kzt(
        mass_t=Decimal("0.125"), current_destination="landfill", rates=rates
    ) == Decimal("0.00")
    assert economics.kzt(Decimal("0.125")) == Decimal("0.12") and economics.kzt(Decimal("0.135")) == Decimal(
        "0.14"
    )


def test_zero_rates_and_zero_distance_cost_nothing():
    rates = Rates(version="0", landfill_gate_fee_kzt_per_t=Decimal(0), transport_kzt_per_tkm=Decimal(0))
    result = flow_economics(
        mass_t=Decimal("7"), distance_km=Decimal("0"), current_destination="landfill", rates=rates
    )
    assert (result.disposal_fee_avoided_kzt, result.transport_cost_kzt) == (Decimal("0.00"), Decimal("0.00"))


def test_an_agreed_price_is_rounded_and_passed_through():
    result = flow_economics(
        mass_t=Decimal("1"),
        distance_km=Decimal("1"),
        current_destination="landfill",
        rates=RATES,
        price_total_kzt=Decimal("-1200.005"),
    )
    assert result.price_total_kzt == Decimal("-1200.00")
    assert set(result.as_dict()) == {
        "disposal_fee_avoided_kzt",
        "transport_cost_kzt",
        "price_total_kzt",
        "tariff",
        "estimate",
    }


def test_the_landfill_destination_is_the_marketplaces():
    from marketplace.models import Destination

    assert economics.LANDFILL == Destination.LANDFILL


def test_the_module_is_pure():
    import subprocess
    import sys

    code = "import sys, matching.economics; assert 'django' not in sys.modules, 'imports django'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
