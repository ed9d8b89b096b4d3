"""Money, estimated: what a flow saves in landfill gate fees and costs in road transport, in KZT.

Pure arithmetic on decimals (no Django), like ``matching.impact``: the rates come from the
municipality's published tariff, the flow's figures from the proposal or deal.

- ``disposal_fee_avoided_kzt`` = gate fee (KZT/t) × mass (t) when the residue goes to landfill
  today, else 0 (a residue burnt or incinerated today pays no landfill gate fee).
- ``transport_cost_kzt`` = transport rate (KZT/t·km) × t·km, where t·km = mass (t) × road
  distance (km) rounded half-even to 0.001 exactly as the impact report rounds it, so a report's
  KZT figures are the sums of its flows' ones.
- ``price_total_kzt``: the price the parties agreed (their terms), ``None`` while there are none.

Each figure is rounded half-even to the tiyn (0.01 KZT). These are estimates: the tariff is
the city's reference, not anyone's invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

KZT_QUANTUM = Decimal("0.01")
TKM_QUANTUM = Decimal("0.001")
# The current destination whose disposal pays the landfill gate fee (marketplace.Destination).
LANDFILL = "landfill"


@dataclass(frozen=True)
class Rates:
    """One published tariff's rates."""

    version: str
    landfill_gate_fee_kzt_per_t: Decimal
    transport_kzt_per_tkm: Decimal


@dataclass(frozen=True)
class Economics:
    disposal_fee_avoided_kzt: Decimal
    transport_cost_kzt: Decimal
    price_total_kzt: Decimal | None
    tariff: str
    estimate: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "disposal_fee_avoided_kzt": self.disposal_fee_avoided_kzt,
            "transport_cost_kzt": self.transport_cost_kzt,
            "price_total_kzt": self.price_total_kzt,
            "tariff": self.tariff,
            "estimate": self.estimate,
        }


def kzt(value: Decimal) -> Decimal:
    """Round to the tiyn, half-even."""
    return value.quantize(KZT_QUANTUM, rounding=ROUND_HALF_EVEN)


def disposal_fee_avoided_kzt(*, mass_t: Decimal, current_destination: str, rates: Rates) -> Decimal:
    """The landfill gate fee the supplier no longer pays for this mass (0 unless landfill-bound)."""
    if current_destination != LANDFILL:
        return kzt(Decimal(0))
    return kzt(rates.landfill_gate_fee_kzt_per_t * mass_t)


def tkm(*, mass_t: Decimal, distance_km: Decimal) -> Decimal:
    """Tonne-kilometres, rounded half-even to 0.001 (as in the impact report)."""
    return (mass_t * distance_km).quantize(TKM_QUANTUM, rounding=ROUND_HALF_EVEN)


def transport_cost_kzt(*, tkm: Decimal, rates: Rates) -> Decimal:
    """Road transport of ``tkm`` tonne-kilometres at the tariff's rate per t·km."""
    return kzt(rates.transport_kzt_per_tkm * tkm)


def flow_economics(
    *,
    mass_t: Decimal,
    distance_km: Decimal,
    current_destination: str,
    rates: Rates,
    price_total_kzt: Decimal | None = None,
    shown_tkm: Decimal | None = None,
) -> Economics:
    """The estimated money of one flow (a proposal or a deal) under one tariff.

    ``shown_tkm``: the tonne-kilometres the viewer is shown (``matching.flow_view.FlowView.tkm``,
    from the rounded distance to a hidden site); the haulage cost is derived from it, so it
    cannot give back the exact distance. Without it, from ``mass_t`` × ``distance_km``.
    """
    flow_tkm = tkm(mass_t=mass_t, distance_km=distance_km) if shown_tkm is None else shown_tkm
    return Economics(
        disposal_fee_avoided_kzt=disposal_fee_avoided_kzt(
            mass_t=mass_t, current_destination=current_destination, rates=rates
        ),
        transport_cost_kzt=transport_cost_kzt(tkm=flow_tkm, rates=rates),
        price_total_kzt=None if price_total_kzt is None else kzt(price_total_kzt),
        tariff=rates.version,
    )
