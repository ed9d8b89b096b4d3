"""Direct requests: a company asks for a listing with one of its own (issue 11 point 5).

``POST /api/v1/offers/{id}/request/ {need}`` (by the need's owner) or
``POST /api/v1/needs/{id}/request/ {offer}`` (by the offer's owner) makes a proposal with
``origin="request"``, already accepted by the requester, under exactly the rules a run applies
to a pair:

- both organisations verified, both listings active, two different organisations;
- the need accepts the offer's material (and the units fit it);
- the availability windows overlap;
- road distance (great circle × ``MATCHING_CIRCUITY``, the runs' rule) within the need's and the
  offer's maximum distance;
- a declined pair stays declined; a pair with an open proposal is not proposed twice;
- the quantity is what the pair can carry over a run's horizon (365 days from today): the
  smaller of the offer's and the need's horizon quantities net of what agreed deals commit and
  one-side-accepted proposals reserve (the engine's :mod:`matching.engine.horizon` arithmetic
  on the snapshot's :func:`matching.snapshot.committed_amounts`), and at least either minimum lot.

The proposal is then like any one-side-accepted one: ``respond_by`` = now +
``MATCHING_RESPONSE_DAYS``, its quantity reserved in later runs' snapshots, its pair left out of
them, expired by ``matching.expire_proposals`` if the other side lets the window pass — and never
expired or replaced by a run (it has no run: ``run`` is null).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import member_organisation_ids, pk_or_404
from accounts.errors import invalid
from accounts.services import event_record
from marketplace.factor_services import require_active_factor_set
from marketplace.models import ListingStatus, Need, Offer, Unit
from marketplace.units import kg_to_tonnes

from . import engine
from .engine.horizon import need_base, offer_base, overlap_days, unit_mass_kg
from .flow_view import road_km
from .models import UNDECIDED_PROPOSAL_STATUSES, Proposal, ProposalOrigin, ProposalStatus
from .services import response_window
from .snapshot import (
    committed_amounts,
    decline_bars_pair,
    factors_by_material,
    impact_of,
    material_spec,
    sum_committed,
)

#: The horizon a request's quantity is counted over, as a default city run's.
REQUEST_HORIZON_DAYS = 365


def _own_listing(model, pk: Any, field: str, actor):
    """The requester's own listing named in the body: anything else is a 400 naming ``field``."""
    listing = None
    try:
        key = pk_or_404(pk)
    except Exception:  # noqa: BLE001 - a malformed id is the same 400 as a foreign one
        key = None
    if key is not None:
        listing = model.objects.select_related("organisation", "site").filter(pk=key).first()
    if listing is None or listing.organisation_id not in member_organisation_ids(actor):
        raise invalid(field, _("Choose one of your own organisation's listings."))
    return listing


def _refuse(field: str, message: str):
    raise invalid(field, message)


def _check_rules(offer: Offer, need: Need, *, field: str) -> None:
    """The matching rules for one pair; ``field`` is the body's field the refusal names."""
    if offer.organisation_id == need.organisation_id:
        _refuse(field, _("Both listings belong to the same organisation."))
    for listing in (offer, need):
        if not listing.organisation.verified:
            _refuse(
                field,
                _("%(organisation)s is not verified yet; only verified organisations are matched.")
                % {"organisation": listing.organisation.name},
            )
    for listing, label in ((offer, _("The offer")), (need, _("The need"))):
        if listing.status != ListingStatus.ACTIVE:
            _refuse(field, _("%(listing)s is not active.") % {"listing": label})
    if not need.materials.filter(pk=offer.material_id).exists():
        _refuse(field, _("The need does not accept the offer's material."))
    a_from, a_until, b_from, b_until = (
        offer.available_from,
        offer.available_until,
        need.available_from,
        need.available_until,
    )
    if (a_from and b_until and b_until < a_from) or (b_from and a_until and a_until < b_from):
        _refuse(field, _("The offer's and the need's availability windows do not overlap."))
    km = road_km(
        offer.site.latitude,
        offer.site.longitude,
        need.site.latitude,
        need.site.longitude,
        circuity=float(settings.MATCHING_CIRCUITY),
    )
    for listing, label in ((need, _("the need's")), (offer, _("the offer's"))):
        if listing.max_distance_km is not None and km > float(listing.max_distance_km):
            _refuse(
                field,
                _("The sites are about %(km)s km apart by road, beyond %(listing)s maximum of %(max)s km.")
                % {"km": round(km), "listing": label, "max": f"{listing.max_distance_km.normalize():f}"},
            )
    declined = Proposal.objects.filter(offer=offer, need=need, status=ProposalStatus.DECLINED)
    if any(decline_bars_pair(*row) for row in declined.values_list("declined_by", "via_storage_id")):
        _refuse(field, _("This pair was declined; it is not proposed again."))
    open_one = (
        Proposal.objects.filter(offer=offer, need=need, status__in=UNDECIDED_PROPOSAL_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )
    if open_one is not None:
        _refuse(field, _("There is already an open proposal for this pair (#%(id)s).") % {"id": open_one})


def _inputs(offer: Offer, need: Need, *, today, factors) -> tuple[engine.OfferInput, engine.NeedInput]:
    committed_offer, committed_need = committed_amounts(today, REQUEST_HORIZON_DAYS)
    materials = sorted(need.materials.all(), key=lambda m: m.key)
    need_radius = need.max_distance_km
    assert need_radius is not None  # required on every need (listing rules)
    offer_input = engine.OfferInput(
        id=offer.pk,
        material=offer.material.key,
        lat=float(offer.site.latitude),
        lon=float(offer.site.longitude),
        quantity=offer.quantity,
        unit=offer.unit,
        period=offer.period,
        available_from=offer.available_from,
        available_until=offer.available_until,
        min_lot=offer.min_lot,
        max_distance_km=offer.max_distance_km,
        current_destination=offer.current_destination,
        committed=sum_committed(committed_offer.get(offer.pk, []), unit=offer.unit, material=offer.material),
    )
    need_input = engine.NeedInput(
        id=need.pk,
        materials=tuple(m.key for m in materials),
        lat=float(need.site.latitude),
        lon=float(need.site.longitude),
        quantity=need.quantity,
        unit=need.unit,
        period=need.period,
        available_from=need.available_from,
        available_until=need.available_until,
        min_lot=need.min_lot,
        max_distance_km=need_radius,
        committed=sum_committed(committed_need.get(need.pk, []), unit=need.unit, material=materials[0]),
    )
    return offer_input, need_input


def pair_quantity(offer: Offer, need: Need, *, field: str) -> tuple[int, engine.MaterialSpec]:
    """What the pair can carry over the horizon, in whole base units (kg or pieces)."""
    today = timezone.localdate()
    factor_set = require_active_factor_set()
    factors = factors_by_material(factor_set)
    offer_input, need_input = _inputs(offer, need, today=today, factors=factors)
    spec = material_spec(offer.material, factors[offer.material.key])
    need_specs = tuple(
        material_spec(m, factors[m.key]) for m in sorted(need.materials.all(), key=lambda m: m.key)
    )
    problem = engine.Problem(
        offers=(offer_input,),
        needs=(need_input,),
        materials=tuple({s.key: s for s in (spec, *need_specs)}.values()),
        objective="divert_then_distance",
        horizon_start=today,
        horizon_days=REQUEST_HORIZON_DAYS,
        circuity=float(settings.MATCHING_CIRCUITY),
        road_freight_kg_per_tkm=factor_set.road_freight_kg_per_tkm,
    )
    windows = [
        overlap_days(listing.available_from, listing.available_until, today, REQUEST_HORIZON_DAYS)
        for listing in (offer, need)
    ]
    if 0 in windows:
        _refuse(field, _("The listings are not both available within the coming year."))
    try:
        supply, offer_lot = offer_base(offer_input, spec, problem)
        demand, need_lot = need_base(need_input, need_specs, problem)
    except engine.EngineError as error:
        _refuse(field, _("These listings cannot be matched: %(reason)s") % {"reason": str(error)})
    amount = min(supply, demand)
    if amount <= 0:
        _refuse(
            field,
            _("Nothing is left to carry: deals and accepted proposals already take the offer or the need."),
        )
    if amount < max(offer_lot, need_lot):
        _refuse(field, _("What is left is below a minimum lot of the offer or the need."))
    return amount, spec


@transaction.atomic
def proposal_request(
    *, actor, offer: Offer | None = None, need: Need | None = None, offer_id: Any = None, need_id: Any = None
) -> Proposal:
    """Ask for ``offer`` with one's own need (``need_id``) or for ``need`` with one's own offer
    (``offer_id``). The target listing has been reached through the marketplace's access check
    (404 if the actor cannot see it). Returns the new proposal, accepted by the requester."""
    if (offer is None) == (need is None):
        raise ValueError("give the listing asked for: offer or need")
    if offer is not None:
        field = "need"
        need = _own_listing(Need, need_id, field, actor)
        requester_side = "need"
    else:
        field = "offer"
        offer = _own_listing(Offer, offer_id, field, actor)
        requester_side = "offer"
    assert offer is not None and need is not None
    # Serialise requests (and their quantities) on the pair's two listings.
    offer = (
        Offer.objects.select_for_update().select_related("organisation", "site", "material").get(pk=offer.pk)
    )
    need = Need.objects.select_for_update().select_related("organisation", "site").get(pk=need.pk)
    _check_rules(offer, need, field=field)
    amount, spec = pair_quantity(offer, need, field=field)
    factor_set = require_active_factor_set()
    unit_mass = unit_mass_kg(spec)
    mass_kg = amount if unit_mass == 1 else round(amount * unit_mass)
    mass_t = kg_to_tonnes(mass_kg).quantize(Decimal("0.001"))
    if mass_t <= 0:
        _refuse(field, _("What is left is below a minimum lot of the offer or the need."))
    km = road_km(
        offer.site.latitude,
        offer.site.longitude,
        need.site.latitude,
        need.site.longitude,
        circuity=float(settings.MATCHING_CIRCUITY),
    )
    distance_km = Decimal(repr(km)).quantize(Decimal("0.001"))
    if spec.is_piece:
        quantity, unit = Decimal(amount), Unit.PIECE.value
    else:
        quantity, unit = mass_t, Unit.TONNE.value
    impact = impact_of(
        mass_t=mass_t,
        distance_km=distance_km,
        current_destination=offer.current_destination,
        factors=factors_by_material(factor_set)[offer.material.key],
    )
    now = timezone.now()
    accepted = {"need_accepted_at": now} if requester_side == "need" else {"offer_accepted_at": now}
    proposal = Proposal.objects.create(
        origin=ProposalOrigin.REQUEST,
        run=None,
        first_run=None,
        offer=offer,
        need=need,
        material=offer.material,
        quantity=quantity,
        unit=unit,
        mass_t=mass_t,
        distance_km=distance_km,
        current_destination=offer.current_destination,
        factor_set=factor_set,
        status=ProposalStatus.ACCEPTED_BY_NEED
        if requester_side == "need"
        else ProposalStatus.ACCEPTED_BY_OFFER,
        respond_by=now + response_window(),
        **accepted,
        **impact.as_dict(),
    )
    requester = need.organisation if requester_side == "need" else offer.organisation
    for org in {offer.organisation, need.organisation}:
        event_record(
            actor=actor,
            action="proposal.requested",
            obj=proposal,
            organisation=org,
            data={"by": requester.pk, "quantity": str(quantity), "unit": unit},
        )
    from . import notifications

    notifications.proposal_requested_on_commit(proposal_id=proposal.pk)
    return proposal
