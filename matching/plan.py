"""A deal's delivery plan: the agreed quantity spread over the scheduled dates, summing exactly.

Pure arithmetic on dates and decimals (no Django):

- the dates: ``once`` → the start; ``week`` → start, start + 7 days, … up to the end;
  ``month`` → the start's day of every month from the start up to the end (clamped to the
  month's last day: 31 January, 28/29 February, 31 March, …, each counted from the start, so
  the day does not drift);
- the quantities: the agreed quantity in the deal's quantum (1 piece for piece deals, 0.001 t
  for bulk) divided by largest remainder: every date gets the whole quanta of its equal share,
  and the quanta left over go one each to the earliest dates (all remainders are equal, so ties
  go to the earlier date). The entries sum exactly to the agreed quantity.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PIECE_QUANTUM = Decimal(1)
TONNE_QUANTUM = Decimal("0.001")
#: The most dates a schedule may give (ten years of weeks); beyond it the terms are refused.
MAX_PLAN_DATES = 520


@dataclass(frozen=True)
class PlanEntry:
    date: date
    quantity: Decimal


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule_dates(*, every: str, start: date, end: date, limit: int = MAX_PLAN_DATES) -> list[date]:
    """The scheduled dates from ``start`` to ``end`` (inclusive); at most ``limit + 1`` are built,
    so a caller can tell an over-long schedule without building it all."""
    if end < start:
        raise ValueError("the schedule ends before it starts")
    if every == "once":
        return [start]
    if every not in ("week", "month"):
        raise ValueError(f"unknown schedule {every!r}")
    dates: list[date] = []
    step = 0
    while len(dates) <= limit:
        day = start + timedelta(days=7 * step) if every == "week" else _add_months(start, step)
        if day > end:
            break
        dates.append(day)
        step += 1
    return dates


def spread(total: Decimal, count: int, quantum: Decimal) -> list[Decimal]:
    """``total`` in ``count`` parts of whole quanta by largest remainder (earliest first on ties)."""
    if count <= 0:
        raise ValueError("nothing to spread over")
    quanta = int((total / quantum).to_integral_value())
    if quanta * quantum != total:
        raise ValueError(f"{total} is not a whole number of {quantum}")
    base, left = divmod(quanta, count)
    return [((base + (1 if index < left else 0)) * quantum).quantize(quantum) for index in range(count)]


def delivery_plan(*, quantity: Decimal, pieces: bool, every: str, start: date, end: date) -> list[PlanEntry]:
    """The plan of a deal of ``quantity`` (pieces when ``pieces``, else tonnes) on this schedule."""
    dates = schedule_dates(every=every, start=start, end=end)
    parts = spread(quantity, len(dates), PIECE_QUANTUM if pieces else TONNE_QUANTUM)
    return [PlanEntry(date=day, quantity=part) for day, part in zip(dates, parts, strict=True)]


def seeded_plan(*, schedule: list[tuple[date, Decimal]], quantity: Decimal, pieces: bool) -> list[PlanEntry]:
    """A plan seeded by a proposal's schedule (issue 13): one entry per period.

    When the deal's quantity is the schedule's total, the entries are the schedule's; otherwise
    (agreed terms changed the quantity) it is spread in proportion to the schedule by largest
    remainder, the leftover quanta to the largest remainders (earliest first on ties), so the
    entries still sum exactly to the deal's quantity. Empty periods are left out.
    """
    quantum = PIECE_QUANTUM if pieces else TONNE_QUANTUM
    rows = sorted((day, Decimal(amount)) for day, amount in schedule if Decimal(amount) > 0)
    if not rows:
        raise ValueError("an empty schedule")
    total = sum((amount for _, amount in rows), Decimal(0))
    if total == quantity:
        return [PlanEntry(date=day, quantity=amount) for day, amount in rows]
    quanta = int((quantity / quantum).to_integral_value())
    weights = [amount / total * quanta for _, amount in rows]
    parts = [int(w) for w in weights]
    left = quanta - sum(parts)
    order = sorted(range(len(rows)), key=lambda i: (-(weights[i] - parts[i]), i))
    for index in order[:left]:
        parts[index] += 1
    return [
        PlanEntry(date=day, quantity=(part * quantum).quantize(quantum))
        for (day, _), part in zip(rows, parts, strict=True)
        if part > 0
    ]


@dataclass(frozen=True)
class PlanRow:
    """One plan entry against the deliveries: cumulative planned and delivered by its date."""

    date: date
    quantity: Decimal
    cumulative: Decimal
    delivered_cumulative: Decimal
    overdue: bool

    def as_dict(self) -> dict:
        return {
            "date": self.date,
            "quantity": self.quantity,
            "cumulative": self.cumulative,
            "delivered_cumulative": self.delivered_cumulative,
            "overdue": self.overdue,
        }


def plan_against(
    entries: list[PlanEntry], deliveries: list[tuple[date, Decimal]], *, today: date
) -> list[PlanRow]:
    """Each entry with the cumulative plan and the quantity delivered up to its date.

    An entry is *overdue* when its date has passed (before ``today``) and everything delivered
    so far, on any date, is still short of its cumulative planned quantity.
    """
    delivered_total = sum((quantity for _, quantity in deliveries), Decimal(0))
    rows: list[PlanRow] = []
    cumulative = Decimal(0)
    for entry in entries:
        cumulative += entry.quantity
        by_then = sum((quantity for day, quantity in deliveries if day <= entry.date), Decimal(0))
        rows.append(
            PlanRow(
                date=entry.date,
                quantity=entry.quantity,
                cumulative=cumulative,
                delivered_cumulative=by_then,
                overdue=entry.date < today and delivered_total < cumulative,
            )
        )
    return rows
