"""The city's matched flows on one basis, flattened for the monitor, in one query.

``agreed`` counts deals (dated by agreement, local time), ``delivered`` counts deliveries (dated
by the delivery date) with each delivery's own stored impact — the same records and dates as the
impact report (docs/reports.md, "Bases"). Waste-bound mass is the mass whose fate (``baseline``)
is landfill, open burning, incineration or unknown; "organic" is the ``biomass`` category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from marketplace.models import Category
from matching.impact import WASTE_BOUND_DESTINATIONS
from matching.models import Deal, Delivery

BASES = ("agreed", "delivered")
DEFAULT_BASIS = "agreed"
ORGANIC_CATEGORY = Category.BIOMASS.value


@dataclass(frozen=True)
class FlowRecord:
    """One deal (agreed) or delivery (delivered)."""

    day: date
    mass_t: Decimal
    net_kg: Decimal
    waste_bound: bool
    category: str
    district: str  # of the supplying site
    deal_id: int
    supplier_id: int
    receiver_id: int

    @property
    def organisations(self) -> tuple[int, int]:
        return (self.supplier_id, self.receiver_id)

    @property
    def waste_t(self) -> Decimal:
        """The waste-bound part of the mass (all of it or nothing)."""
        return self.mass_t if self.waste_bound else Decimal(0)

    @property
    def organic_waste_t(self) -> Decimal:
        return self.mass_t if self.waste_bound and self.category == ORGANIC_CATEGORY else Decimal(0)


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def flow_records(
    *, basis: str, date_from: date | None = None, date_to: date | None = None
) -> list[FlowRecord]:
    """Every record of ``basis`` between the two dates (inclusive, local), city-wide."""
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}")
    rows: QuerySet[Any]
    if basis == "agreed":
        prefix, day_field, lookup = "", "agreed_at", "agreed_at__date"
        rows = Deal.objects.all()
    else:
        prefix, day_field, lookup = "deal__", "date", "date"
        rows = Delivery.objects.all()
    q = Q()
    if date_from:
        q &= Q(**{f"{lookup}__gte": date_from})
    if date_to:
        q &= Q(**{f"{lookup}__lte": date_to})
    values = rows.filter(q).values(
        "mass_t",
        "net_kg",
        "baseline",
        day=F(day_field),
        deal_ref=F("id") if basis == "agreed" else F("deal_id"),
        category=F(f"{prefix}material__category"),
        district=F(f"{prefix}offer__site__district"),
        supplier_id=F(f"{prefix}offer__organisation_id"),
        receiver_id=F(f"{prefix}need__organisation_id"),
    )
    return [
        FlowRecord(
            day=_local_day(row["day"]),
            mass_t=row["mass_t"],
            net_kg=row["net_kg"],
            waste_bound=row["baseline"] in WASTE_BOUND_DESTINATIONS,
            category=row["category"],
            district=row["district"],
            deal_id=row["deal_ref"],
            supplier_id=row["supplier_id"],
            receiver_id=row["receiver_id"],
        )
        for row in values.order_by()
    ]
