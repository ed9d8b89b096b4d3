"""Read the marketplace into the engine's frozen dataclasses, and turn flows into impacts.

Only reads: a snapshot is taken before solving, outside any write transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.models import (
    Destination,
    Factor,
    FactorSet,
    ListingStatus,
    Material,
    Need,
    Offer,
    Storage,
    Unit,
)
from marketplace.units import KG_PER_TONNE, kg_to_tonnes, tonnes_in_unit

from . import engine
from .engine.problem import Recipe, ShareBound, StorageInput
from .impact import FlowFactors, Impact, flow_impact
from .models import ACCEPTED_BY_ONE_SIDE_STATUSES, Deal, DeclinedBy, Proposal, ProposalStatus


@dataclass(frozen=True)
class Snapshot:
    """What the engine needs. Built from plain rows (``values()``): model instances for 10,000
    listings would cost seconds of Python for nothing the engine reads."""

    problem: engine.Problem

    @property
    def offers(self) -> tuple[engine.OfferInput, ...]:
        return self.problem.offers

    @property
    def needs(self) -> tuple[engine.NeedInput, ...]:
        return self.problem.needs


def committed_in_unit(
    mass_t: Decimal, quantity: Decimal, deal_unit: str, *, unit: str, material: Material
) -> Decimal:
    """A deal's committed amount expressed in a listing's own unit."""
    if unit == Unit.PIECE:
        return quantity if deal_unit == Unit.PIECE else Decimal(0)
    in_unit = tonnes_in_unit(mass_t, unit, density_t_per_m3=material.density_t_per_m3)
    return Decimal(0) if in_unit is None else in_unit


def flow_factors_for(factor: Factor | None, factor_set: FactorSet) -> FlowFactors:
    """One material's factors in a set, with every fate's baseline the set states for it.

    A fate whose factor is empty in the set (``None``) is left out, so it avoids nothing.
    """
    if factor is None:
        return FlowFactors(
            landfill_kg_per_t=None,
            substitution_kg_per_t=Decimal(0),
            treatment_kg_per_t=Decimal(0),
            road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm,
            impact_method=factor_set.impact_method,
        )
    baselines = {}
    if factor.open_burning_kg_per_t is not None:
        baselines[Destination.OPEN_BURNING.value] = factor.open_burning_kg_per_t
    if factor.incineration_kg_per_t is not None:
        baselines[Destination.INCINERATION.value] = factor.incineration_kg_per_t
    return FlowFactors(
        landfill_kg_per_t=factor.landfill_kg_per_t,
        substitution_kg_per_t=factor.substitution_kg_per_t,
        treatment_kg_per_t=factor.treatment_kg_per_t,
        road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm,
        baseline_kg_per_t=tuple(sorted(baselines.items())),
        impact_method=factor_set.impact_method,
    )


def factors_by_material(factor_set: FactorSet) -> dict[str, FlowFactors]:
    rows = {f.material.key: f for f in factor_set.factors.select_related("material")}
    return {
        key: flow_factors_for(rows.get(key), factor_set)
        for key in Material.objects.values_list("key", flat=True)
    }


def committed_amounts(horizon_start: date, horizon_days: int) -> tuple[dict, dict]:
    """Amounts already promised, per offer and need: in deals agreed within the last horizon,
    and reserved by proposals one side has accepted while the other side's window is open.

    A deal commits its whole agreed amount for one horizon from its agreement, so it is
    subtracted in full from runs that start within that horizon. A proposal accepted by one
    side is held the same way, dated by its first acceptance, until it becomes a deal (then the
    deal holds it) or expires.
    """
    since = horizon_start - timedelta(days=horizon_days)
    per_offer: dict[int, list[tuple]] = defaultdict(list)
    per_need: dict[int, list[tuple]] = defaultdict(list)
    for offer_id, need_id, mass_t, quantity, unit in Deal.objects.filter(
        agreed_at__date__gt=since
    ).values_list("offer_id", "need_id", "mass_t", "quantity", "unit"):
        per_offer[offer_id].append((mass_t, quantity, unit))
        per_need[need_id].append((mass_t, quantity, unit))
    for offer_id, need_id, mass_t, quantity, unit in (
        reserving_proposals()
        .annotate(first_accepted_at=Coalesce("offer_accepted_at", "need_accepted_at"))
        .filter(first_accepted_at__date__gt=since)
        .values_list("offer_id", "need_id", "mass_t", "quantity", "unit")
    ):
        per_offer[offer_id].append((mass_t, quantity, unit))
        per_need[need_id].append((mass_t, quantity, unit))
    return per_offer, per_need


def reserving_proposals(now: datetime | None = None) -> QuerySet[Proposal]:
    """Proposals one side has accepted whose response window is still open: their quantity is
    reserved and their pair is not proposed again."""
    return Proposal.objects.filter(
        status__in=ACCEPTED_BY_ONE_SIDE_STATUSES, respond_by__gt=now or timezone.now()
    )


def sum_committed(deals: list[tuple], *, unit: str, material: Material | None) -> Decimal:
    if material is None or not deals:
        return Decimal(0)
    return sum(
        (
            committed_in_unit(mass_t, quantity, deal_unit, unit=unit, material=material)
            for mass_t, quantity, deal_unit in deals
        ),
        Decimal(0),
    )


def material_spec(material: Material, factors: FlowFactors) -> engine.MaterialSpec:
    """A catalogue material in the engine's terms, with its factors from one set."""
    return engine.MaterialSpec(
        key=material.key,
        unit_basis=material.unit_basis,
        mass_per_piece_t=material.mass_per_piece_t,
        density_t_per_m3=material.density_t_per_m3,
        landfill_kg_per_t=factors.landfill_kg_per_t or Decimal(0),
        substitution_kg_per_t=factors.substitution_kg_per_t,
        treatment_kg_per_t=factors.treatment_kg_per_t,
        # (("incineration", f), ("open_burning", f)) where the set states them: the engine's
        # net_climate then counts the same fate baseline as matching.impact does.
        baseline_kg_per_t=factors.baseline_kg_per_t,
        # Blend and storage properties (issue 13; material-properties.csv).
        moisture_pct=material.moisture_pct,
        nitrogen_pct_dry=material.nitrogen_pct_dry,
        c_to_n=material.c_to_n,
        max_storage_days=material.max_storage_days,
    )


def recipe_input(recipe: dict[str, Any] | None) -> Recipe | None:
    """A need's stored recipe (``marketplace.recipes``, decimals as strings) in the engine's terms."""
    if not recipe:
        return None

    def bounds(key: str) -> tuple[Decimal, Decimal] | None:
        value = recipe.get(key)
        return None if value is None else (Decimal(value[0]), Decimal(value[1]))

    shares = tuple(
        ShareBound(material=item["material"], min=Decimal(item["min"]), max=Decimal(item["max"]))
        for item in recipe.get("shares", [])
    )
    return Recipe(shares=shares, c_to_n=bounds("c_to_n"), moisture_pct=bounds("moisture_pct"))


def _in_yard_unit(quantity: Decimal, unit: str, *, yard_unit: str, per_piece_t: Decimal) -> Decimal:
    """A flow's amount (tonnes, or pieces) in its yard's unit: tonnes by mass, or pieces."""
    if unit == Unit.PIECE:
        return quantity if yard_unit == Unit.PIECE else quantity * per_piece_t
    return quantity if yard_unit != Unit.PIECE else Decimal(0)  # piece yards hold piece materials only


def storage_bookings(
    units: dict[int, str], by_id: dict[int, Material], *, horizon_start: date, horizon_days: int
) -> dict[int, tuple[tuple[date, Decimal], ...]]:
    """Stock the yards already hold for agreed deals (within the last horizon, like
    :func:`committed_amounts`) and reserving proposals: per yard, steps ``(date, stock)`` in
    the yard's unit (``StorageInput.booked``).

    Each flow holds its amount from its ``storage_schedule`` entries (what enters the yard, per
    period start) until its delivery ``schedule`` (what leaves it): + at the one, − at the other.
    A deal agreed on another quantity than its proposal's holds its schedules scaled to it.
    """
    since = horizon_start - timedelta(days=horizon_days)
    fields = ("via_storage_id", "storage_schedule", "schedule", "quantity", "unit", "mass_t", "material_id")
    rows = [
        (*row, Decimal(1))
        for row in reserving_proposals().filter(via_storage_id__in=list(units)).values_list(*fields)
    ]
    for *row, agreed in Deal.objects.filter(
        agreed_at__date__gt=since, proposal__via_storage_id__in=list(units)
    ).values_list(*(f"proposal__{name}" for name in fields), "quantity"):
        rows.append((*row, agreed / row[3] if row[3] else Decimal(1)))
    changes: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for storage_id, entering, leaving, quantity, unit, mass_t, material_id, scale in rows:
        per_piece_t = by_id[material_id].mass_per_piece_t or (mass_t / quantity if quantity else Decimal(0))
        for entries, sign in ((entering, 1), (leaving, -1)):
            for entry in entries or []:
                amount = _in_yard_unit(
                    Decimal(entry["quantity"]) * scale,
                    unit,
                    yard_unit=units[storage_id],
                    per_piece_t=per_piece_t,
                )
                changes[storage_id][date.fromisoformat(entry["period_start"])] += sign * amount
    booked = {}
    for storage_id, by_day in changes.items():
        stock, steps = Decimal(0), []
        for day in sorted(by_day):
            stock += by_day[day]
            steps.append((day, max(stock, Decimal(0)).quantize(Decimal("0.001"))))
        booked[storage_id] = tuple(steps)
    return booked


def storage_booked_peak(storage: Any, *, today: date | None = None) -> tuple[Decimal, date | None]:
    """The most stock agreed deals and reserving proposals hold in ``storage`` from ``today`` on
    (in the yard's unit), and the day it is first held; ``(0, None)`` when they hold nothing.

    The yard's owner may not lower its capacity below it (``MARKETPLACE_STORAGE_BOOKED``): the
    flows were accepted on that room. Same bookings as the next run's snapshot sees.
    """
    today = today or timezone.localdate()
    by_id = {m.pk: m for m in Material.objects.all()}
    steps = storage_bookings({storage.pk: storage.unit}, by_id, horizon_start=today, horizon_days=365).get(
        storage.pk, ()
    )
    peak, when = Decimal(0), None
    for k, (day, stock) in enumerate(steps):
        if k + 1 < len(steps) and steps[k + 1][0] <= today:
            continue  # that stock left before today
        if stock > peak:
            peak, when = stock, max(day, today)
    return peak, when


def storage_inputs(
    by_id: dict[int, Material], *, horizon_start: date | None = None, horizon_days: int = 365
) -> tuple[StorageInput, ...]:
    """Active storage yards of verified organisations (issue 13), in the engine's terms, with
    the stock deals and reserving proposals already hold in them (from ``horizon_start``'s
    point of view; none without one)."""
    live = {"status": ListingStatus.ACTIVE, "organisation__verified": True}
    stored: dict[int, list[str]] = defaultdict(list)
    for storage_id, material_id in Storage.materials.through.objects.filter(
        **{f"storage__{key}": value for key, value in live.items()}
    ).values_list("storage_id", "material_id"):
        stored[storage_id].append(by_id[material_id].key)
    inputs = []
    rows = list(
        Storage.objects.filter(**live)
        .order_by("id")
        .values(
            "id",
            "site__latitude",
            "site__longitude",
            "capacity",
            "unit",
            "available_from",
            "available_until",
            "handling_kg_co2e_per_t",
            "handling_cost_kzt_per_t",
            "organisation_id",
        )
    )
    booked = (
        {}
        if horizon_start is None
        else storage_bookings(
            {row["id"]: row["unit"] for row in rows if stored.get(row["id"])},
            by_id,
            horizon_start=horizon_start,
            horizon_days=horizon_days,
        )
    )
    for row in rows:
        if not stored.get(row["id"]):
            continue
        inputs.append(
            StorageInput(
                id=row["id"],
                materials=tuple(sorted(stored[row["id"]])),
                lat=float(row["site__latitude"]),
                lon=float(row["site__longitude"]),
                capacity=row["capacity"],
                unit=row["unit"],
                available_from=row["available_from"],
                available_until=row["available_until"],
                handling_kg_co2e_per_t=row["handling_kg_co2e_per_t"] or Decimal(0),
                handling_cost_kzt_per_t=row["handling_cost_kzt_per_t"] or Decimal(0),
                owner=row["organisation_id"],
                booked=booked.get(row["id"], ()),
            )
        )
    return tuple(inputs)


LISTING_FIELDS = (
    "id",
    "site__latitude",
    "site__longitude",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "min_lot",
    "max_distance_km",
)


def build_snapshot(
    *,
    factor_set: FactorSet,
    objective: str,
    horizon_start: date,
    horizon_days: int,
    circuity: float = 1.3,
    time_limit_s: float = 60.0,
    radius_factor: float = 1.0,
    extra_listings: dict[str, list[dict[str, Any]]] | None = None,
    time_step: str = "none",
) -> Snapshot:
    """Every active listing of a verified organisation, in the engine's terms (a fixed number of
    queries, whatever the number of listings).

    A what-if run (issue 14) may scale every listing's radius by ``radius_factor`` and add
    hypothetical listings (``matching.whatif``: cleaned JSON), which get ids -1, -2, … that no
    real listing has; hypothetical offers are in the group ``HYPOTHETICAL``.

    Issue 13: ``time_step`` (``month``, ``week``, ``none``) goes to the problem, with the active
    storage yards of verified organisations, the needs' recipes and the materials' blend and
    storage properties."""
    factor = Decimal(repr(radius_factor))

    def radius(km: Decimal | None) -> Decimal | None:
        if km is None or factor == 1:
            return km
        return (Decimal(km) * factor).quantize(Decimal("0.01"))

    def need_radius(km: Decimal | None) -> Decimal:
        scaled = radius(km)
        assert scaled is not None  # a need's radius is required (listing rules, database)
        return scaled

    materials = {m.key: m for m in Material.objects.all()}
    by_id = {m.id: m for m in materials.values()}
    factors = factors_by_material(factor_set)
    live = {"status": ListingStatus.ACTIVE, "organisation__verified": True}
    committed_offer, committed_need = committed_amounts(horizon_start, horizon_days)
    offer_inputs = []
    for row in (
        Offer.objects.filter(**live)
        .order_by("id")
        .values(*LISTING_FIELDS, "material_id", "current_destination", "site__district")
    ):
        material = by_id[row["material_id"]]
        offer_inputs.append(
            engine.OfferInput(
                id=row["id"],
                material=material.key,
                lat=float(row["site__latitude"]),
                lon=float(row["site__longitude"]),
                quantity=row["quantity"],
                unit=row["unit"],
                period=row["period"],
                available_from=row["available_from"],
                available_until=row["available_until"],
                min_lot=row["min_lot"],
                max_distance_km=radius(row["max_distance_km"]),
                current_destination=row["current_destination"],
                committed=sum_committed(
                    committed_offer.get(row["id"], []), unit=row["unit"], material=material
                ),
                group=row["site__district"],
            )
        )
    accepted: dict[int, list[int]] = defaultdict(list)
    for need_id, material_id in Need.materials.through.objects.filter(
        need__status=ListingStatus.ACTIVE, need__organisation__verified=True
    ).values_list("need_id", "material_id"):
        accepted[need_id].append(material_id)
    need_inputs = []
    for row in Need.objects.filter(**live).order_by("id").values(*LISTING_FIELDS, "recipe"):
        material_ids = sorted(accepted.get(row["id"], []))
        if not material_ids:
            continue
        keys = tuple(sorted(by_id[m].key for m in material_ids))
        need_inputs.append(
            engine.NeedInput(
                id=row["id"],
                materials=keys,
                lat=float(row["site__latitude"]),
                lon=float(row["site__longitude"]),
                quantity=row["quantity"],
                unit=row["unit"],
                period=row["period"],
                available_from=row["available_from"],
                available_until=row["available_until"],
                min_lot=row["min_lot"],
                max_distance_km=need_radius(row["max_distance_km"]),
                committed=sum_committed(
                    committed_need.get(row["id"], []), unit=row["unit"], material=by_id[material_ids[0]]
                ),
                recipe=recipe_input(row["recipe"]),
            )
        )
    extra = extra_listings or {}
    for index, item in enumerate(extra.get("offers", []), start=1):
        offer_inputs.append(
            engine.OfferInput(
                id=-index,
                material=item["material"],
                current_destination=item["current_destination"],
                group=HYPOTHETICAL,
                **_hypothetical_terms(item, radius),
            )
        )
    for index, item in enumerate(extra.get("needs", []), start=1):
        need_inputs.append(
            engine.NeedInput(
                id=-index, materials=tuple(sorted(item["materials"])), **_hypothetical_terms(item, radius)
            )
        )
    yards = storage_inputs(by_id, horizon_start=horizon_start, horizon_days=horizon_days)
    yards += tuple(
        StorageInput(
            id=-index,
            materials=tuple(item["materials"]),
            lat=float(item["latitude"]),
            lon=float(item["longitude"]),
            capacity=Decimal(item["capacity"]),
            unit=item["unit"],
            available_from=date.fromisoformat(item["available_from"]) if item["available_from"] else None,
            available_until=date.fromisoformat(item["available_until"]) if item["available_until"] else None,
            handling_kg_co2e_per_t=Decimal(item["handling_kg_co2e_per_t"] or 0),
            handling_cost_kzt_per_t=Decimal(item["handling_cost_kzt_per_t"] or 0),
        )
        for index, item in enumerate(extra.get("storages", []), start=1)
    )
    specs = tuple(material_spec(m, factors[m.key]) for m in sorted(materials.values(), key=lambda m: m.key))
    declined, declined_triples = declined_pairs_and_triples()
    problem = engine.Problem(
        offers=tuple(offer_inputs),
        needs=tuple(need_inputs),
        materials=specs,
        objective=objective,
        horizon_start=horizon_start,
        horizon_days=horizon_days,
        circuity=circuity,
        declined_pairs=declined,
        road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm,
        time_limit_s=time_limit_s,
        time_step=time_step,
        storages=yards,
        declined_storage_triples=declined_triples,
    )
    return Snapshot(problem=problem)


def decline_bars_pair(declined_by: str, storage_id: int | None) -> bool:
    """Whether a decline keeps its pair out, direct and through every yard: every decline but a
    yard owner's of a flow through its yard, which bars only that flow through that yard."""
    return not (declined_by == DeclinedBy.YARD and storage_id is not None)


def declined_pairs_and_triples() -> tuple[frozenset[tuple[int, int]], frozenset[tuple[int, int, int]]]:
    """Pairs never proposed (again), direct or through any yard: those a party declined, and
    those awaiting the other side's decision; and (offer, need, yard) triples the yard's owner
    declined, never proposed through that yard again (issue 13)."""
    pairs: set[tuple[int, int]] = set(reserving_proposals().values_list("offer_id", "need_id"))
    triples: set[tuple[int, int, int]] = set()
    for offer_id, need_id, storage_id, declined_by in (
        Proposal.objects.filter(status=ProposalStatus.DECLINED)
        .values_list("offer_id", "need_id", "via_storage_id", "declined_by")
        .distinct()
    ):
        if decline_bars_pair(declined_by, storage_id):
            pairs.add((offer_id, need_id))
        else:
            triples.add((offer_id, need_id, storage_id))
    return frozenset(pairs), frozenset(triples)


#: the group (district) of hypothetical offers in a what-if run's figures
HYPOTHETICAL = "hypothetical"


def _hypothetical_terms(item: dict[str, Any], radius) -> dict[str, Any]:
    """The engine fields of one cleaned hypothetical listing (``matching.whatif``)."""

    def number(key: str) -> Decimal | None:
        return None if item.get(key) is None else Decimal(item[key])

    def day(key: str) -> date | None:
        return date.fromisoformat(item[key]) if item.get(key) else None

    return {
        "lat": float(item["latitude"]),
        "lon": float(item["longitude"]),
        "quantity": Decimal(item["quantity"]),
        "unit": item["unit"],
        "period": item["period"],
        "available_from": day("available_from"),
        "available_until": day("available_until"),
        "min_lot": number("min_lot"),
        "max_distance_km": radius(number("max_distance_km")),
    }


def flow_amounts(flow: engine.Flow) -> tuple[Decimal, str, Decimal, Decimal]:
    """(quantity, unit, mass_t, distance_km) of an engine flow as stored on a proposal."""
    mass_t = kg_to_tonnes(flow.mass_kg).quantize(Decimal("0.001"))
    distance_km = Decimal(repr(flow.distance_km)).quantize(Decimal("0.001"))
    if flow.unit == "piece":
        return Decimal(flow.quantity), Unit.PIECE.value, mass_t, distance_km
    return mass_t, Unit.TONNE.value, mass_t, distance_km


def _schedule_json(entries: tuple[tuple[date, int], ...], *, unit: str) -> list[dict[str, str]]:
    """(period_start, base units) → ``[{"period_start", "quantity"}]`` in the proposal's unit:
    pieces stay pieces, kilograms become tonnes (exact to the kilogram, so the sum is exact)."""
    rows = []
    for period_start, quantity in entries:
        amount = (
            Decimal(quantity)
            if unit == Unit.PIECE
            else (Decimal(quantity) / KG_PER_TONNE).quantize(Decimal("0.001"))
        )
        rows.append({"period_start": period_start.isoformat(), "quantity": str(amount)})
    return rows


def proposal_timing(flow: engine.Flow, *, unit: str, horizon_start: date) -> dict[str, Any]:
    """A flow's schedule, storage yard and storage schedule as proposal fields (issue 13).

    A run with ``time_step`` ``none`` has one period, the whole horizon: its flows carry no
    schedule, and their proposals one entry, at the horizon's start, with the whole quantity (so
    that every proposal's schedule sums to its quantity)."""
    return {
        "schedule": _schedule_json(flow.schedule or ((horizon_start, flow.quantity),), unit=unit),
        "via_storage_id": flow.via_storage,
        "storage_schedule": _schedule_json(flow.storage_schedule, unit=unit),
    }


def impact_of(
    *,
    mass_t: Decimal,
    distance_km: Decimal,
    current_destination: str,
    factors: FlowFactors,
    handling_kg_co2e_per_t: Decimal | None = None,
) -> Impact:
    """The impact of one flow; ``handling_kg_co2e_per_t`` is the yard's handling factor for a
    flow through a storage yard (``None``, a direct flow or a yard without one: 0)."""
    return flow_impact(
        mass_t=mass_t,
        distance_km=distance_km,
        current_destination=current_destination,
        factors=factors,
        handling_kg_co2e_per_t=handling_kg_co2e_per_t,
    )
