"""The city's waste picture: waste-bound supply listed, diverted and left, by category, and what
the part left in its fate emits. The one selector behind the municipality's dashboard and the
public page (which folds it k-anonymously).

- **listed**: every active offer of a verified organisation whose current destination is
  waste-bound (landfill, open burning, incineration, unknown), at its quantity within the
  planning horizon from today (SPEC §3: quantity × overlap ÷ period), in tonnes (pieces × mass
  per piece, m³ × bulk density);
- **diverted**: what deals already take from those offers, exactly as the optimiser counts
  commitments — deals agreed within the last horizon (``agreed``), or the deliveries dated within
  it (``delivered``) — never more than the offer lists;
- **left**: listed − diverted, offer by offer;
- **emissions of what is left**, with the active factor set: the landfill factor for
  ``landfill`` (and CH₄ = that CO₂e ÷ the set's GWP of CH₄: the study's "35 kt CH₄ ≈ 879 kt CO₂e
  at GWP 25"), the open-burning or incineration factor for those fates (no CH₄ figure: their
  factors mix fossil CO₂, CH₄ and N₂O), nothing for ``unknown``.

A fixed number of queries (factor set, offers, deals or deliveries), whatever the size of the
market.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from marketplace.factor_services import active_factor_set
from marketplace.models import Category, Destination, ListingStatus, Offer
from marketplace.units import KG_PER_TONNE, quantity_in_tonnes
from matching.engine.horizon import horizon_quantity
from matching.impact import WASTE_BOUND_DESTINATIONS
from matching.models import Deal, Delivery

from .anonymity import Cell

HORIZON_DAYS = 365
TONNE = Decimal("0.001")
_ZERO = Decimal(0)
FIGURES = ("listed_t", "diverted_t", "left_t", "left_co2e_t", "left_ch4_t")


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 34
        return Decimal(value.numerator) / Decimal(value.denominator)


def _tonnes(
    amount: Decimal, unit: str, mass_per_piece_t: Decimal | None, density: Decimal | None
) -> Decimal | None:
    """A listing amount in tonnes; ``None`` when the catalogue lacks the conversion."""
    return quantity_in_tonnes(amount, unit, mass_per_piece_t=mass_per_piece_t, density_t_per_m3=density)


def _q(value: Decimal) -> Decimal:
    return value.quantize(TONNE, rounding=ROUND_HALF_EVEN)


@dataclass
class Line:
    """Sums for one category (or fate, or the whole city), with who builds each figure."""

    listed_t: Decimal = _ZERO
    diverted_t: Decimal = _ZERO
    left_t: Decimal = _ZERO
    left_co2e_kg: Decimal = _ZERO
    left_ch4_kg: Decimal = _ZERO
    offers: int = 0
    owners: set[int] = field(default_factory=set)
    diverters: set[int] = field(default_factory=set)
    leavers: set[int] = field(default_factory=set)

    def add(self, other: Line) -> None:
        for name in ("listed_t", "diverted_t", "left_t", "left_co2e_kg", "left_ch4_kg", "offers"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.owners |= other.owners
        self.diverters |= other.diverters
        self.leavers |= other.leavers

    def cell(self, key: str) -> Cell:
        return Cell(
            key=key,
            builders={"listed": set(self.owners), "diverted": set(self.diverters), "left": set(self.leavers)},
            size=self.listed_t,
        )

    def figures(self, *, with_emissions: bool) -> dict[str, Any]:
        return {
            "listed_t": _q(self.listed_t),
            "diverted_t": _q(self.diverted_t),
            "left_t": _q(self.left_t),
            "left_co2e_t": _q(self.left_co2e_kg / KG_PER_TONNE) if with_emissions else None,
            "left_ch4_t": _q(self.left_ch4_kg / KG_PER_TONNE) if with_emissions else None,
            "offers": self.offers,
            "organisations": len(self.owners),
        }


@dataclass
class WastePicture:
    basis: str
    horizon_start: date
    horizon_days: int
    factor_set: str | None
    gwp_ch4: Decimal | None
    by_category: dict[str, Line]
    by_fate: dict[str, Line]
    total: Line
    unconverted_offers: int

    def as_dict(self) -> dict[str, Any]:
        """Every category and fate, unfolded (the municipality's view)."""
        emissions = self.factor_set is not None
        categories = dict(Category.choices)
        fates = dict(Destination.choices)
        return {
            "basis": self.basis,
            "horizon_start": self.horizon_start,
            "horizon_days": self.horizon_days,
            "factor_set": self.factor_set,
            "gwp_ch4": self.gwp_ch4,
            "totals": self.total.figures(with_emissions=emissions),
            "rows": [
                {"key": key, "label": str(categories.get(key, key)), **line.figures(with_emissions=emissions)}
                for key, line in sorted(self.by_category.items(), key=lambda kv: (-kv[1].listed_t, kv[0]))
            ],
            "by_fate": [
                {"key": key, "label": str(fates.get(key, key)), **line.figures(with_emissions=emissions)}
                for key, line in sorted(
                    self.by_fate.items(), key=lambda kv: WASTE_BOUND_DESTINATIONS.index(kv[0])
                )
            ],
            "unconverted_offers": self.unconverted_offers,
        }


def _fate_factor_kg_per_t(factor, fate: str) -> Decimal:
    if factor is None:
        return _ZERO
    by_fate: dict[str, Decimal | None] = {
        Destination.LANDFILL: factor.landfill_kg_per_t,
        Destination.OPEN_BURNING: factor.open_burning_kg_per_t,
        Destination.INCINERATION: factor.incineration_kg_per_t,
    }
    value = by_fate.get(fate)
    return value if value is not None else _ZERO


def waste_picture(
    *, basis: str = "agreed", today: date | None = None, horizon_days: int = HORIZON_DAYS
) -> WastePicture:
    """The waste picture on ``basis`` (``agreed`` or ``delivered``) for the horizon from ``today``."""
    if basis not in ("agreed", "delivered"):
        raise ValueError(f"unknown basis {basis!r}")
    today = today or timezone.localdate()
    since = today - timedelta(days=horizon_days)
    factor_set = active_factor_set()
    factors = {}
    if factor_set is not None:
        factors = {f.material_id: f for f in factor_set.factors.all()}
    live = {
        "status": ListingStatus.ACTIVE,
        "organisation__verified": True,
        "current_destination__in": WASTE_BOUND_DESTINATIONS,
    }
    offers = list(
        Offer.objects.filter(**live)
        .order_by("id")
        .values(
            "id",
            "organisation_id",
            "material_id",
            "quantity",
            "unit",
            "period",
            "available_from",
            "available_until",
            "current_destination",
            "material__category",
            "material__mass_per_piece_t",
            "material__density_t_per_m3",
        )
    )
    taken: dict[int, Decimal] = defaultdict(lambda: _ZERO)
    takers: dict[int, set[int]] = defaultdict(set)
    offer_live = {f"offer__{key}": value for key, value in live.items()}
    rows: QuerySet[Any, tuple[int, int, Decimal]]
    if basis == "agreed":
        rows = Deal.objects.filter(agreed_at__date__gt=since, **offer_live).values_list(
            "offer_id", "need__organisation_id", "mass_t"
        )
    else:
        rows = Delivery.objects.filter(
            date__gt=since, date__lte=today, **{f"deal__{k}": v for k, v in offer_live.items()}
        ).values_list("deal__offer_id", "deal__need__organisation_id", "mass_t")
    for offer_id, receiver_id, mass_t in rows.order_by():
        taken[offer_id] += mass_t
        takers[offer_id].add(receiver_id)

    by_category: dict[str, Line] = defaultdict(Line)
    by_fate: dict[str, Line] = defaultdict(Line)
    total = Line()
    unconverted = 0
    gwp = factor_set.gwp_ch4 if factor_set is not None else None
    for offer in offers:
        amount = horizon_quantity(
            offer["quantity"],
            offer["period"],
            offer["available_from"],
            offer["available_until"],
            today,
            horizon_days,
        )
        listed = _tonnes(
            _decimal(amount),
            offer["unit"],
            offer["material__mass_per_piece_t"],
            offer["material__density_t_per_m3"],
        )
        if listed is None:
            unconverted += 1
            continue
        if listed <= 0:
            continue
        diverted = min(taken.get(offer["id"], _ZERO), listed)
        left = listed - diverted
        fate = offer["current_destination"]
        co2e = left * _fate_factor_kg_per_t(factors.get(offer["material_id"]), fate)
        ch4 = co2e / gwp if fate == Destination.LANDFILL and gwp else _ZERO
        line = Line(
            listed_t=listed,
            diverted_t=diverted,
            left_t=left,
            left_co2e_kg=co2e,
            left_ch4_kg=ch4,
            offers=1,
            owners={offer["organisation_id"]},
            diverters={offer["organisation_id"], *takers.get(offer["id"], ())} if diverted > 0 else set(),
            leavers={offer["organisation_id"]} if left > 0 else set(),
        )
        by_category[offer["material__category"]].add(line)
        by_fate[fate].add(line)
        total.add(line)
    return WastePicture(
        basis=basis,
        horizon_start=today,
        horizon_days=horizon_days,
        factor_set=factor_set.version if factor_set is not None else None,
        gwp_ch4=gwp,
        by_category=dict(by_category),
        by_fate=dict(by_fate),
        total=total,
        unconverted_offers=unconverted,
    )
