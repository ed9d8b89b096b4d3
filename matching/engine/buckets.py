"""Time buckets (issue 13): the horizon split into calendar months, ISO weeks, or one bucket.

A listing's horizon quantity (:mod:`matching.engine.horizon`, net of commitments, in whole base
units) is spread over the buckets its availability window covers:

* periodic listings evenly by days: bucket ``b`` gets ``Q × days_b ÷ Σ days``, rounded by the
  largest-remainder method (ties to the earlier bucket) so the buckets sum to ``Q`` exactly;
* a ``once`` offer's whole lot appears in its first bucket and may leave in that bucket or a
  later one of its window (waiting at the supplier's site), but only while the material's
  ``max_storage_days`` allows it — see :func:`may_wait`;
* a ``once`` need may receive its whole quantity in any bucket of its window.

Buckets are day-ordinal ranges ``[first, last]`` inside the horizon; a bucket's ``period start``
is its first day (the horizon start for a first, partial bucket).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .errors import InfeasibleInput
from .problem import TIME_STEPS, MaterialSpec


@dataclass(frozen=True)
class Buckets:
    """The horizon's buckets as inclusive day ordinals, in time order."""

    first: tuple[int, ...]
    last: tuple[int, ...]
    #: the shortest full step: 7 days (weeks), 28 (months), unbounded for one bucket
    step_days: int = 10**9

    def __len__(self) -> int:
        return len(self.first)

    def start_date(self, index: int) -> date:
        return date.fromordinal(self.first[index])

    @property
    def shortest_days(self) -> int:
        """The shortest *full* bucket step (a partial first bucket does not count)."""
        return self.step_days if len(self.first) > 1 else 10**9

    def covering(self, day_from: int, day_until: int) -> list[int]:
        """Indices of the buckets meeting the inclusive day range, in order."""
        return [
            i
            for i, (a, b) in enumerate(zip(self.first, self.last, strict=True))
            if a <= day_until and b >= day_from
        ]

    def overlap(self, index: int, day_from: int, day_until: int) -> int:
        return max(0, min(self.last[index], day_until) - max(self.first[index], day_from) + 1)


def make_buckets(horizon_start: date, horizon_days: int, time_step: str) -> Buckets:
    """Calendar months or ISO weeks (Monday first) cut to the horizon, or a single bucket."""
    if time_step not in TIME_STEPS:
        raise InfeasibleInput(f"unknown time step {time_step!r}; expected one of {TIME_STEPS}")
    start = horizon_start.toordinal()
    end = start + horizon_days - 1
    if time_step == "none":
        return Buckets((start,), (end,))
    firsts = [start]
    day = horizon_start
    while True:
        if time_step == "week":
            day = day + timedelta(days=7 - day.weekday())
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day.toordinal() > end:
            break
        firsts.append(day.toordinal())
    lasts = [b - 1 for b in firsts[1:]] + [end]
    return Buckets(tuple(firsts), tuple(lasts), 7 if time_step == "week" else 28)


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (non-negative ints), summing to ``total``.

    Each share is rounded down, then the units left go to the largest remainders; equal
    remainders favour the earlier position, so the split is deterministic.
    """
    weight_sum = sum(weights)
    if weight_sum <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    left = total - sum(shares)
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in remainders[:left]:
        shares[i] += 1
    return shares


def may_wait(material: MaterialSpec, buckets: Buckets, from_bucket: int, to_bucket: int) -> bool:
    """Whether material present in ``from_bucket`` may still be there in ``to_bucket``.

    The wait counts the days between the two buckets' starts. A material is *perishable* when
    its ``max_storage_days`` is shorter than a full bucket (7 days for weeks, 28 for months): it never
    waits across a boundary (spent grain, 4 days, with weeks or months). Otherwise it waits up
    to ``max_storage_days`` (None = unlimited).
    """
    if to_bucket == from_bucket:
        return True
    limit = material.max_storage_days
    if limit is None:
        return True
    if is_perishable(material, buckets):
        return False
    return buckets.first[to_bucket] - buckets.first[from_bucket] <= limit


def is_perishable(material: MaterialSpec, buckets: Buckets) -> bool:
    limit = material.max_storage_days
    return limit is not None and limit < buckets.shortest_days


def spread(
    quantity: int,
    period: str,
    day_from: int,
    day_until: int,
    buckets: Buckets,
) -> list[tuple[int, int]]:
    """(bucket, quantity) slots of a listing whose window is the inclusive day range.

    Periodic listings: evenly by days (largest remainder). ``once``: the whole quantity in
    every covered bucket (the caller bounds the total; an offer's first slot is its release).
    """
    covered = buckets.covering(day_from, day_until)
    if not covered or quantity <= 0:
        return []
    if period == "once":
        return [(b, quantity) for b in covered]
    shares = largest_remainder(quantity, [buckets.overlap(b, day_from, day_until) for b in covered])
    return [(b, q) for b, q in zip(covered, shares, strict=True) if q > 0]


__all__ = ["Buckets", "is_perishable", "largest_remainder", "make_buckets", "may_wait", "spread"]
