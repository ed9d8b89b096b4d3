"""Read the marketplace into the engine's frozen dataclasses, and turn flows into impacts.

Only reads: a snapshot is taken before solving, outside any write transaction.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Prefetch

from marketplace.models import Destination, Factor, FactorSet, ListingStatus, Material, Need, Offer, Unit

from . import engine
from .impact import FlowFactors, Impact, flow_impact
from .models import Deal, Proposal, ProposalStatus

KG_PER_T = Decimal(1000)


@dataclass(frozen=True)
class Snapshot:
    """What the engine needs, plus the rows needed to write its answer back."""

    problem: engine.Problem
    offers: dict[int, Offer]
    needs: dict[int, Need]
    materials: dict[str, Material]
    factors: dict[str, FlowFactors]


def committed_in_unit(mass_t: Decimal, quantity: Decimal, deal_unit: str, *, unit: str,
                      material: Material) -> Decimal:
    """A deal's committed amount expressed in a listing's own unit."""
    if unit == Unit.PIECE:
        return quantity if deal_unit == Unit.PIECE else Decimal(0)
    if unit == Unit.TONNE:
        return mass_t
    if unit == Unit.KILOGRAM:
        return mass_t * KG_PER_T
    if unit == Unit.CUBIC_METRE and material.density_t_per_m3:
        return mass_t / material.density_t_per_m3
    return Decimal(0)


def flow_factors_for(factor: Factor | None, factor_set: FactorSet) -> FlowFactors:
    if factor is None:
        return FlowFactors(landfill_kg_per_t=None, substitution_kg_per_t=Decimal(0), treatment_kg_per_t=Decimal(0),
                           road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm)
    baselines = {}
    if factor.open_burning_kg_per_t is not None:
        baselines[Destination.OPEN_BURNING.value] = factor.open_burning_kg_per_t
    if factor.incineration_kg_per_t is not None:
        baselines[Destination.INCINERATION.value] = factor.incineration_kg_per_t
    return FlowFactors(
        landfill_kg_per_t=factor.landfill_kg_per_t, substitution_kg_per_t=factor.substitution_kg_per_t,
        treatment_kg_per_t=factor.treatment_kg_per_t, road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm,
        baseline_kg_per_t=baselines,
    )


def factors_by_material(factor_set: FactorSet) -> dict[str, FlowFactors]:
    rows = {f.material.key: f for f in factor_set.factors.select_related("material")}
    return {key: flow_factors_for(rows.get(key), factor_set) for key in Material.objects.values_list("key", flat=True)}


def _committed(horizon_start: date, horizon_days: int) -> tuple[dict, dict]:
    """Amounts already promised in deals agreed within the last horizon, per offer and need.

    A deal commits its whole agreed amount for one horizon from its agreement, so it is
    subtracted in full from runs that start within that horizon.
    """
    since = horizon_start - timedelta(days=horizon_days)
    per_offer: dict[int, list[Deal]] = defaultdict(list)
    per_need: dict[int, list[Deal]] = defaultdict(list)
    for deal in Deal.objects.filter(agreed_at__date__gt=since).only(
        "offer_id", "need_id", "mass_t", "quantity", "unit"
    ):
        per_offer[deal.offer_id].append(deal)
        per_need[deal.need_id].append(deal)
    return per_offer, per_need


def _sum_committed(deals: list[Deal], *, unit: str, material: Material | None) -> Decimal:
    if material is None:
        return Decimal(0)
    return sum((committed_in_unit(d.mass_t, d.quantity, d.unit, unit=unit, material=material) for d in deals),
               Decimal(0))


def build_snapshot(*, factor_set: FactorSet, objective: str, horizon_start: date, horizon_days: int,
                   circuity: float = 1.3, time_limit_s: float = 60.0) -> Snapshot:
    """Every active listing of a verified organisation, in the engine's terms."""
    materials = {m.key: m for m in Material.objects.all()}
    by_id = {m.id: m for m in materials.values()}
    factors = factors_by_material(factor_set)
    offers = {
        o.id: o for o in Offer.objects.filter(status=ListingStatus.ACTIVE, organisation__verified=True)
        .select_related("site", "material", "organisation").order_by("id")
    }
    needs = {
        n.id: n for n in Need.objects.filter(status=ListingStatus.ACTIVE, organisation__verified=True)
        .select_related("site", "organisation").prefetch_related(Prefetch("materials", queryset=Material.objects.only("id", "key")))
        .order_by("id")
    }
    committed_offer, committed_need = _committed(horizon_start, horizon_days)
    offer_inputs = tuple(
        engine.OfferInput(
            id=o.id, material=o.material.key, lat=float(o.site.latitude), lon=float(o.site.longitude),
            quantity=o.quantity, unit=o.unit, period=o.period, available_from=o.available_from,
            available_until=o.available_until, min_lot=o.min_lot, max_distance_km=o.max_distance_km,
            current_destination=o.current_destination,
            committed=_sum_committed(committed_offer.get(o.id, []), unit=o.unit, material=o.material),
        )
        for o in offers.values()
    )
    need_inputs = []
    for n in needs.values():
        keys = tuple(sorted(m.key for m in n.materials.all()))
        if not keys:
            continue
        first = by_id.get(next(iter(n.materials.all())).id)
        need_inputs.append(engine.NeedInput(
            id=n.id, materials=keys, lat=float(n.site.latitude), lon=float(n.site.longitude),
            quantity=n.quantity, unit=n.unit, period=n.period, available_from=n.available_from,
            available_until=n.available_until, min_lot=n.min_lot, max_distance_km=n.max_distance_km,
            committed=_sum_committed(committed_need.get(n.id, []), unit=n.unit, material=first),
        ))
    specs = tuple(
        engine.MaterialSpec(
            key=m.key, unit_basis=m.unit_basis, mass_per_piece_t=m.mass_per_piece_t,
            density_t_per_m3=m.density_t_per_m3,
            landfill_kg_per_t=factors[m.key].landfill_kg_per_t or Decimal(0),
            substitution_kg_per_t=factors[m.key].substitution_kg_per_t,
            treatment_kg_per_t=factors[m.key].treatment_kg_per_t,
            baseline_kg_per_t=tuple(sorted(dict(factors[m.key].baseline_kg_per_t).items())),
        )
        for m in sorted(materials.values(), key=lambda m: m.key)
    )
    declined = frozenset(
        Proposal.objects.filter(status=ProposalStatus.DECLINED).values_list("offer_id", "need_id").distinct()
    )
    problem = engine.Problem(
        offers=offer_inputs, needs=tuple(need_inputs), materials=specs, objective=objective,
        horizon_start=horizon_start, horizon_days=horizon_days, circuity=circuity, declined_pairs=declined,
        road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm, time_limit_s=time_limit_s,
    )
    return Snapshot(problem=problem, offers=offers, needs=needs, materials=materials, factors=factors)


def flow_amounts(flow: engine.Flow) -> tuple[Decimal, str, Decimal, Decimal]:
    """(quantity, unit, mass_t, distance_km) of an engine flow as stored on a proposal."""
    mass_t = (Decimal(flow.mass_kg) / KG_PER_T).quantize(Decimal("0.001"))
    distance_km = Decimal(repr(flow.distance_km)).quantize(Decimal("0.001"))
    if flow.unit == "piece":
        return Decimal(flow.quantity), Unit.PIECE.value, mass_t, distance_km
    return mass_t, Unit.TONNE.value, mass_t, distance_km


def impact_of(*, mass_t: Decimal, distance_km: Decimal, current_destination: str,
              factors: FlowFactors) -> Impact:
    return flow_impact(mass_t=mass_t, distance_km=distance_km, current_destination=current_destination,
                       factors=factors)
