"""Circularity targets: the municipality's writes, and progress against the straight line.

A target says "by the end of ``year``, ``value`` of ``indicator`` counted on ``basis``":

- ``waste_diverted_t``: waste-bound tonnes moved (fate landfill, open burning, incineration or
  unknown);
- ``organic_waste_diverted_t``: the same, for materials of the ``biomass`` category;
- ``net_co2e_t``: net CO₂e avoided, tonnes (may be negative along the way).

Progress is the cumulative figure from 1 January, month by month, against the straight line
from 0 on 1 January to ``value`` at the end of 31 December. It is evaluated at today's date
for the current year and at 31 December for past years; a future year has not started, so the
line is still at 0, nothing is achieved yet and the target counts as on track.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import pk_or_404, require_authority
from accounts.errors import invalid, not_found
from accounts.models import Organisation, User
from accounts.services import event_record
from marketplace.units import KG_PER_TONNE

from .flows import ORGANIC_CATEGORY, FlowRecord, flow_records
from .models import YEAR_RANGE, Target, TargetBasis, TargetIndicator

TONNE_QUANTUM = Decimal("0.001")
SHARE_QUANTUM = Decimal("0.0001")
MAX_VALUE = Decimal("1000000000000")  # 10¹² t: far beyond any city, well inside the column
FIELDS = ("indicator", "year", "value", "basis")


# --- Validation and writes -------------------------------------------------------------------


def _clean_indicator(value: Any) -> str:
    if value not in TargetIndicator.values:
        raise invalid(
            "indicator", _("Expected one of: %(choices)s.") % {"choices": ", ".join(TargetIndicator.values)}
        )
    return value


def _clean_basis(value: Any) -> str:
    if value not in TargetBasis.values:
        raise invalid(
            "basis", _("Expected one of: %(choices)s.") % {"choices": ", ".join(TargetBasis.values)}
        )
    return value


def _clean_year(value: Any) -> int:
    if isinstance(value, bool):
        raise invalid("year", _("A year is required."))
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise invalid("year", _("A year is required."))
    if not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        raise invalid(
            "year", _("Between %(low)s and %(high)s.") % {"low": YEAR_RANGE[0], "high": YEAR_RANGE[1]}
        )
    return value


def _clean_value(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise invalid("value", _("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid("value", _("A number is required.")) from None
    if not number.is_finite():
        raise invalid("value", _("A finite number is required."))
    if number <= 0:
        raise invalid("value", _("Must be greater than zero."))
    if number > MAX_VALUE:
        raise invalid("value", _("At most %(max)s.") % {"max": MAX_VALUE})
    if number != number.quantize(TONNE_QUANTUM, rounding=ROUND_HALF_EVEN):
        raise invalid("value", _("At most 3 decimal places."))
    return number.quantize(TONNE_QUANTUM)


_CLEANERS = {"indicator": _clean_indicator, "year": _clean_year, "value": _clean_value, "basis": _clean_basis}


def _ensure_unique(indicator: str, year: int, basis: str, exclude_pk: int | None = None) -> None:
    same = Target.objects.filter(indicator=indicator, year=year, basis=basis)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise invalid("year", _("A target for this indicator, year and basis exists already."))


def _authority_of(actor: User) -> Organisation | None:
    return Organisation.objects.filter(
        memberships__user=actor, kind=Organisation.Kind.MUNICIPALITY, verified=True
    ).first()


def _event_data(target: Target) -> dict[str, Any]:
    return {
        "indicator": target.indicator,
        "year": target.year,
        "value": str(target.value),
        "basis": target.basis,
    }


def target_create(
    *, actor: User, indicator: Any, year: Any, value: Any, basis: Any = TargetBasis.DELIVERED
) -> Target:
    """The municipality sets a target (one per indicator, year and basis). Audited."""
    require_authority(actor)
    cleaned: dict[str, Any] = {
        name: _CLEANERS[name](raw) for name, raw in zip(FIELDS, (indicator, year, value, basis), strict=True)
    }
    _ensure_unique(cleaned["indicator"], cleaned["year"], cleaned["basis"])
    try:
        with transaction.atomic():
            target = Target.objects.create(created_by=actor, **cleaned)
            event_record(
                actor=actor,
                action="target.created",
                obj=target,
                organisation=_authority_of(actor),
                data=_event_data(target),
            )
    except IntegrityError:  # a concurrent create of the same combination
        raise invalid("year", _("A target for this indicator, year and basis exists already.")) from None
    return target


def target_update(*, target: Target, actor: User, **fields: Any) -> Target:
    """Change any of ``indicator``, ``year``, ``value``, ``basis``; all checked before writing."""
    require_authority(actor)
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise invalid(unknown[0], "Unknown field.")
    cleaned: dict[str, Any] = {name: _CLEANERS[name](raw) for name, raw in fields.items()}
    merged: dict[str, Any] = {name: cleaned.get(name, getattr(target, name)) for name in FIELDS}
    _ensure_unique(merged["indicator"], merged["year"], merged["basis"], exclude_pk=target.pk)
    changed = sorted(name for name in cleaned if getattr(target, name) != cleaned[name])
    if not changed:
        return target
    before = _event_data(target)
    try:
        with transaction.atomic():
            for name in changed:
                setattr(target, name, cleaned[name])
            target.save(update_fields=[*changed, "updated_at"])
            event_record(
                actor=actor,
                action="target.updated",
                obj=target,
                organisation=_authority_of(actor),
                data={"fields": changed, "before": {k: before[k] for k in changed}, **_event_data(target)},
            )
    except IntegrityError:
        target.refresh_from_db()
        raise invalid("year", _("A target for this indicator, year and basis exists already.")) from None
    return target


@transaction.atomic
def target_delete(*, target: Target, actor: User) -> None:
    require_authority(actor)
    data = _event_data(target)
    event_record(
        actor=actor, action="target.deleted", obj=target, organisation=_authority_of(actor), data=data
    )
    target.delete()


def target_list_for(*, user) -> QuerySet[Target]:
    """Every target, for the municipality; companies get a 403."""
    require_authority(user)
    return Target.objects.all()


def access_target(user, pk) -> Target:
    require_authority(user)
    target = Target.objects.filter(pk=pk_or_404(pk)).first()
    if target is None:
        raise not_found()
    return target


# --- Progress --------------------------------------------------------------------------------


def indicator_amount(record: FlowRecord, indicator: str) -> Decimal:
    """What one record adds to an indicator: tonnes, or kg CO₂e for ``net_co2e_t``."""
    if indicator == TargetIndicator.WASTE_DIVERTED_T:
        return record.waste_t
    if indicator == TargetIndicator.ORGANIC_WASTE_DIVERTED_T:
        return record.organic_waste_t
    return record.net_kg


def counts_for(record: FlowRecord, indicator: str) -> bool:
    """Whether the record is part of the indicator at all (for who "builds" a figure)."""
    if indicator == TargetIndicator.WASTE_DIVERTED_T:
        return record.waste_bound
    if indicator == TargetIndicator.ORGANIC_WASTE_DIVERTED_T:
        return record.waste_bound and record.category == ORGANIC_CATEGORY
    return True


def to_indicator_unit(amount: Decimal, indicator: str) -> Decimal:
    """Summed amounts in the indicator's unit (tonnes), three decimals."""
    if indicator == TargetIndicator.NET_CO2E_T:
        amount = amount / KG_PER_TONNE
    return amount.quantize(TONNE_QUANTUM, rounding=ROUND_HALF_EVEN)


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def line_at(value: Decimal, day: date) -> Decimal:
    """The straight line from 0 on 1 January to ``value`` at the end of 31 December, at the end
    of ``day``."""
    elapsed = day.timetuple().tm_yday
    return (value * elapsed / _days_in_year(day.year)).quantize(TONNE_QUANTUM, rounding=ROUND_HALF_EVEN)


def evaluation_day(year: int, today: date) -> date | None:
    """Today for the current year, 31 December for a past one, ``None`` for a future one."""
    if year < today.year:
        return date(year, 12, 31)
    if year == today.year:
        return today
    return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class MonthPoint:
    month: str  # YYYY-MM
    cumulative: Decimal
    expected: Decimal  # the straight line at the end of the month (or at the evaluation day)
    organisations: frozenset[int]  # who built this month's step


@dataclass(frozen=True)
class Progress:
    target: Target
    achieved: Decimal
    share: Decimal
    expected: Decimal
    on_track: bool
    evaluated_on: date | None
    months: tuple[MonthPoint, ...]
    organisations: frozenset[int]  # who built ``achieved``

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.target.pk,
            "indicator": self.target.indicator,
            "year": self.target.year,
            "basis": self.target.basis,
            "value": self.target.value,
            "achieved": self.achieved,
            "share": self.share,
            "expected": self.expected,
            "on_track": self.on_track,
            "evaluated_on": self.evaluated_on,
            "months": [
                {"month": point.month, "cumulative": point.cumulative, "expected": point.expected}
                for point in self.months
            ],
        }


def progress_from_records(*, target: Target, records: Iterable[FlowRecord], today: date) -> Progress:
    """Progress of ``target`` from the records of its basis (any dates: the year is picked here)."""
    indicator, year = target.indicator, target.year
    day = evaluation_day(year, today)
    by_month: dict[int, Decimal] = {}
    orgs_by_month: dict[int, set[int]] = {}
    for record in records:
        if record.day.year != year or day is None or record.day > day or not counts_for(record, indicator):
            continue
        by_month[record.day.month] = by_month.get(record.day.month, Decimal(0)) + indicator_amount(
            record, indicator
        )
        orgs_by_month.setdefault(record.day.month, set()).update(record.organisations)
    months: list[MonthPoint] = []
    running = Decimal(0)
    if day is not None:
        for month in range(1, day.month + 1):
            running += by_month.get(month, Decimal(0))
            end = min(_month_end(year, month), day)
            months.append(
                MonthPoint(
                    month=f"{year:04d}-{month:02d}",
                    cumulative=to_indicator_unit(running, indicator),
                    expected=line_at(target.value, end),
                    organisations=frozenset(orgs_by_month.get(month, ())),
                )
            )
    achieved = to_indicator_unit(running, indicator)
    expected = line_at(target.value, day) if day is not None else Decimal("0.000")
    return Progress(
        target=target,
        achieved=achieved,
        share=(achieved / target.value).quantize(SHARE_QUANTUM, rounding=ROUND_HALF_EVEN),
        expected=expected,
        on_track=achieved >= expected,
        evaluated_on=day,
        months=tuple(months),
        organisations=frozenset().union(*orgs_by_month.values()) if orgs_by_month else frozenset(),
    )


def records_by_basis(bases: Iterable[str]) -> Mapping[str, list[FlowRecord]]:
    """The records of each basis named (one query per basis)."""
    return {basis: flow_records(basis=basis) for basis in sorted(set(bases))}


def year_records(target: Target) -> list[FlowRecord]:
    """The records of the target's basis in its year (one query)."""
    return flow_records(
        basis=target.basis, date_from=date(target.year, 1, 1), date_to=date(target.year, 12, 31)
    )


def target_progress(*, target: Target, today: date | None = None) -> Progress:
    """One target's progress (one query for its basis' records of its year)."""
    return progress_from_records(
        target=target, records=year_records(target), today=today or timezone.localdate()
    )
