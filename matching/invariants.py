"""Invariants the matching data must always satisfy, checked against the database.

Each invariant is a named generator of violation messages (one per offending row, naming its id).
``manage.py check_invariants`` runs them all, lists every violation and exits non-zero, so an
operator (or a nightly job) learns about a stuck run, an over-committed offer, a delivery total
that drifted or an impact that no longer recomputes from its pinned factor set.

All checks only read. They load rows in a fixed number of queries each and do the arithmetic in
Python, exactly (``Decimal`` and ``Fraction``), so a difference of one gram is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from marketplace.models import Factor, FactorSet, Material, Need, Offer

from .engine.horizon import horizon_quantity
from .impact import flow_impact
from .models import Deal, Delivery, ImpactFields, MatchRun, Proposal, ProposalStatus, RunStatus
from .runs.lifecycle import queued_bound_seconds
from .services import delivery_tolerance
from .snapshot import committed_in_unit, flow_factors_for

IMPACT_KEYS = ImpactFields.IMPACT_KEYS
# What a recomputation compares: the fate the impact was counted against, then every figure.
IMPACT_FIELDS = ImpactFields.IMPACT_FIELDS
# Committed amounts in m³ are a Decimal division (28 digits); anything beyond this is real.
COMMITTED_SLACK = Fraction(1, 10**6)


@dataclass(frozen=True)
class Violation:
    invariant: str
    message: str

    def __str__(self) -> str:
        return f"[{self.invariant}] {self.message}"


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    check: Callable[[], Iterable[str]]


# --- Runs -----------------------------------------------------------------------------------


def _runs_terminal_or_leased() -> Iterator[str]:
    """A run is finished, running under a live lease, or queued only recently: since it last
    entered the queue (``queued_at``), for at most :func:`matching.runs.lifecycle.queued_bound_seconds`."""
    now = timezone.now()
    bound = queued_bound_seconds()
    stale = now - timedelta(seconds=bound)
    for run in MatchRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).order_by("id"):
        if run.status == RunStatus.RUNNING and (run.lease_expires_at is None or run.lease_expires_at < now):
            when = run.lease_expires_at.isoformat() if run.lease_expires_at else "never set"
            yield f"run #{run.pk} is running without a live lease (lease expired: {when})"
        elif run.status == RunStatus.QUEUED and (run.queued_at or run.created_at) < stale:
            since = (run.queued_at or run.created_at).isoformat()
            yield f"run #{run.pk} has been queued since {since} (over {bound} s)"


# --- Commitments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Horizon:
    pk: int | str
    horizon_start: date
    horizon_days: int


def _latest_runs_by_listing(field: str) -> dict[int, MatchRun | _Horizon]:
    """For each offer (or need) with deals, the horizon its newest deal was made in: its run's,
    or for a direct request (no run) the request's own (its day, ``REQUEST_HORIZON_DAYS``)."""
    from .requests import REQUEST_HORIZON_DAYS

    latest: dict[int, MatchRun | _Horizon] = {}
    for deal in Deal.objects.select_related("proposal__run").order_by("id"):
        run: MatchRun | _Horizon | None = deal.proposal.run
        if run is None:
            run = _Horizon(
                pk=f"request {deal.proposal_id}",
                horizon_start=timezone.localtime(deal.proposal.created_at).date(),
                horizon_days=REQUEST_HORIZON_DAYS,
            )
        latest[getattr(deal, field)] = run
    return latest


def _committed_within(model, field: str, label: str) -> Iterator[str]:
    """Σ deals agreed within the listing's latest horizon ≤ its quantity over that horizon.

    A deal commits its agreed amount for one horizon from its agreement (as the snapshot that
    subtracts commitments assumes), converted to the listing's own unit.
    """
    runs = _latest_runs_by_listing(field)
    if not runs:
        return
    materials = {m.pk: m for m in Material.objects.all()}
    deals: dict[int, list[Deal]] = defaultdict(list)
    for deal in Deal.objects.filter(**{f"{field}__in": runs}).only(
        field, "material_id", "mass_t", "quantity", "unit", "agreed_at"
    ):
        deals[getattr(deal, field)].append(deal)
    for listing in model.objects.filter(pk__in=runs).order_by("pk"):
        run = runs[listing.pk]
        since = run.horizon_start - timedelta(days=run.horizon_days)
        committed = sum(
            (
                Fraction(
                    committed_in_unit(
                        d.mass_t, d.quantity, d.unit, unit=listing.unit, material=materials[d.material_id]
                    )
                )
                for d in deals[listing.pk]
                if timezone.localtime(d.agreed_at).date() > since
            ),
            Fraction(0),
        )
        available = horizon_quantity(
            listing.quantity,
            listing.period,
            listing.available_from,
            listing.available_until,
            run.horizon_start,
            run.horizon_days,
        )
        if committed > available + COMMITTED_SLACK:
            yield (
                f"{label} #{listing.pk}: {float(committed):.3f} {listing.unit} committed in deals, "
                f"but only {float(available):.3f} {listing.unit} within run #{run.pk}'s horizon "
                f"({run.horizon_start}, {run.horizon_days} days)"
            )


def _offers_within_supply() -> Iterator[str]:
    return _committed_within(Offer, "offer_id", "offer")


def _needs_within_demand() -> Iterator[str]:
    return _committed_within(Need, "need_id", "need")


# --- Deliveries -----------------------------------------------------------------------------


def _delivered_by_deal() -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for deal_id, mass in Delivery.objects.values_list("deal_id", "mass_t"):
        totals[deal_id] += mass
    return totals


def _delivered_within_tolerance() -> Iterator[str]:
    tolerance = delivery_tolerance()
    delivered = _delivered_by_deal()
    for deal in Deal.objects.only("mass_t").order_by("id"):
        limit = (deal.mass_t * (1 + tolerance)).quantize(Decimal("0.001"))
        if delivered.get(deal.pk, Decimal(0)) > limit:
            yield (
                f"deal #{deal.pk}: {delivered[deal.pk]} t delivered, beyond the agreed {deal.mass_t} t "
                f"plus {tolerance * 100:.0f} % ({limit} t)"
            )


def _delivered_total_matches() -> Iterator[str]:
    delivered = _delivered_by_deal()
    for deal in Deal.objects.only("delivered_t").order_by("id"):
        expected = delivered.get(deal.pk, Decimal(0))
        if deal.delivered_t != expected:
            yield (
                f"deal #{deal.pk}: delivered_t is {deal.delivered_t} t but its deliveries sum to {expected} t"
            )


# --- Impacts --------------------------------------------------------------------------------


class _Factors:
    """Every factor of every set, loaded once: (set id, material id) → FlowFactors."""

    def __init__(self) -> None:
        self.sets = {fs.pk: fs for fs in FactorSet.objects.all()}
        self.rows = {(f.factor_set_id, f.material_id): f for f in Factor.objects.all()}
        self._cache: dict[tuple[int, int], object] = {}

    def get(self, set_id: int, material_id: int):
        key = (set_id, material_id)
        if key not in self._cache:
            self._cache[key] = flow_factors_for(self.rows.get(key), self.sets[set_id])
        return self._cache[key]


def _mismatch(
    label: str,
    pk: int,
    stored: ImpactFields,
    *,
    mass_t: Decimal,
    distance_km: Decimal,
    destination: str,
    factors,
    handling: Decimal | None,
) -> str | None:
    try:
        expected = flow_impact(
            mass_t=mass_t,
            distance_km=distance_km,
            current_destination=destination,
            factors=factors,
            handling_kg_co2e_per_t=handling,
        ).as_dict()
    except (TypeError, ValueError) as exc:
        return f"{label} #{pk}: its impact cannot be recomputed ({exc})"
    differences = [
        f"{key} {getattr(stored, key)} ≠ {expected[key]}"
        for key in IMPACT_FIELDS
        if getattr(stored, key) != expected[key]
    ]
    if differences:
        return f"{label} #{pk}: stored impact differs from its factor set's: " + "; ".join(differences)
    return None


def _flow_impacts_recompute(model, label: str) -> Iterator[str]:
    factors = _Factors()
    fields = (
        "mass_t",
        "distance_km",
        "current_destination",
        "factor_set_id",
        "material_id",
        "storage_handling_kg_co2e_per_t",
        *IMPACT_FIELDS,
    )
    for row in model.objects.only(*fields).order_by("id").iterator(chunk_size=2000):
        message = _mismatch(
            label,
            row.pk,
            row,
            mass_t=row.mass_t,
            distance_km=row.distance_km,
            destination=row.current_destination,
            factors=factors.get(row.factor_set_id, row.material_id),
            handling=row.storage_handling_kg_co2e_per_t,
        )
        if message:
            yield message


def _proposal_impacts_recompute() -> Iterator[str]:
    return _flow_impacts_recompute(Proposal, "proposal")


def _deal_impacts_recompute() -> Iterator[str]:
    return _flow_impacts_recompute(Deal, "deal")


def _delivery_impacts_recompute() -> Iterator[str]:
    factors = _Factors()
    deliveries = (
        Delivery.objects.select_related("deal")
        .only(
            "mass_t",
            *IMPACT_FIELDS,
            "deal__distance_km",
            "deal__current_destination",
            "deal__factor_set_id",
            "deal__material_id",
            "deal__storage_handling_kg_co2e_per_t",
        )
        .order_by("id")
    )
    for delivery in deliveries.iterator(chunk_size=2000):
        deal = delivery.deal
        message = _mismatch(
            "delivery",
            delivery.pk,
            delivery,
            mass_t=delivery.mass_t,
            distance_km=deal.distance_km,
            destination=deal.current_destination,
            factors=factors.get(deal.factor_set_id, deal.material_id),
            handling=deal.storage_handling_kg_co2e_per_t,
        )
        if message:
            yield message


# --- Orphans --------------------------------------------------------------------------------


def _deals_have_agreed_proposals() -> Iterator[str]:
    deals = Deal.objects.exclude(proposal__status=ProposalStatus.AGREED).order_by("id")
    for deal_id, proposal_id, status in deals.values_list("id", "proposal_id", "proposal__status"):
        yield f"deal #{deal_id}: its proposal #{proposal_id} is {status}, not agreed"


def _agreed_proposals_have_deals() -> Iterator[str]:
    for proposal_id in (
        Proposal.objects.filter(status=ProposalStatus.AGREED, deal__isnull=True)
        .values_list("id", flat=True)
        .order_by("id")
    ):
        yield f"proposal #{proposal_id} is agreed but has no deal"


def _proposals_from_succeeded_runs() -> Iterator[str]:
    for proposal_id, run_id, status in (
        Proposal.objects.filter(run__isnull=False)
        .exclude(run__status=RunStatus.SUCCEEDED)
        .values_list("id", "run_id", "run__status")
        .order_by("id")
    ):
        yield f"proposal #{proposal_id} belongs to run #{run_id}, which is {status}, not succeeded"


_COPIED_FIELDS = (
    "offer_id",
    "need_id",
    "material_id",
    "quantity",
    "unit",
    "mass_t",
    "distance_km",
    "current_destination",
    "baseline",
    "factor_set_id",
    "storage_handling_kg_co2e_per_t",
)


def _deals_copy_their_proposals() -> Iterator[str]:
    for deal in Deal.objects.select_related("proposal").order_by("id"):
        differing = [name for name in _COPIED_FIELDS if getattr(deal, name) != getattr(deal.proposal, name)]
        if differing:
            yield f"deal #{deal.pk} differs from its proposal #{deal.proposal_id} in {', '.join(differing)}"


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "runs.terminal_or_leased",
        "every run is finished, leased, or recently queued",
        _runs_terminal_or_leased,
    ),
    Invariant(
        "offers.committed_within_supply",
        "deals commit no more than an offer supplies in the horizon",
        _offers_within_supply,
    ),
    Invariant(
        "needs.committed_within_demand",
        "deals commit no more than a need asks for in the horizon",
        _needs_within_demand,
    ),
    Invariant(
        "deals.delivered_within_tolerance",
        "deliveries stay within the agreed mass plus the tolerance",
        _delivered_within_tolerance,
    ),
    Invariant(
        "deals.delivered_total", "a deal's delivered_t is the sum of its deliveries", _delivered_total_matches
    ),
    Invariant(
        "impact.proposals",
        "every proposal's impact recomputes from its factor set",
        _proposal_impacts_recompute,
    ),
    Invariant("impact.deals", "every deal's impact recomputes from its factor set", _deal_impacts_recompute),
    Invariant(
        "impact.deliveries",
        "every delivery's impact recomputes from its deal's factor set",
        _delivery_impacts_recompute,
    ),
    Invariant(
        "orphans.deal_proposal_agreed", "every deal's proposal is agreed", _deals_have_agreed_proposals
    ),
    Invariant(
        "orphans.agreed_proposal_has_deal", "every agreed proposal has a deal", _agreed_proposals_have_deals
    ),
    Invariant(
        "orphans.proposal_run_succeeded",
        "every proposal comes from a succeeded run",
        _proposals_from_succeeded_runs,
    ),
    Invariant(
        "deals.copy_proposal", "a deal carries its proposal's flow unchanged", _deals_copy_their_proposals
    ),
)


def check_invariants(invariants: Iterable[Invariant] = INVARIANTS) -> list[Violation]:
    """Every violation of every invariant, in invariant order then id order."""
    return [Violation(invariant.name, message) for invariant in invariants for message in invariant.check()]
