"""Transfer acts: one signed page per delivery, for the two parties of the deal and the city.

The act states who handed what to whom, where from and where to (exact addresses: the parties
of an agreed deal may see each other's sites), the material with its European Waste Catalogue
code, the delivered amount (pieces where pieces were agreed, and the mass), the date, the road
distance, the CO₂e breakdown stored with the delivery and the factor-set version it was computed
with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from accounts.access import is_authority, member_organisation_ids, pk_or_404
from accounts.errors import not_found
from marketplace.models import Destination, Unit
from marketplace.units import KG_PER_TONNE

from ..models import Delivery

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


_ACT_RELATED = (
    "deal__offer__organisation",
    "deal__offer__site",
    "deal__need__organisation",
    "deal__need__site",
    "deal__material",
    "deal__factor_set",
    "deal__proposal",
    "recorded_by",
)


def delivery_for_act(user: User | AnonymousUser, pk: Any) -> Delivery:
    """The delivery if ``user`` is a party of its deal or the municipality; 404 otherwise."""
    pk = pk_or_404(pk)
    deliveries = Delivery.objects.select_related(*_ACT_RELATED).filter(pk=pk)
    if not is_authority(user):
        orgs = member_organisation_ids(user)
        deliveries = deliveries.filter(
            Q(deal__offer__organisation_id__in=orgs) | Q(deal__need__organisation_id__in=orgs)
        )
    delivery = deliveries.first()
    if delivery is None:
        raise not_found()
    return delivery


def act_number(delivery: Delivery) -> str:
    return f"QA-{delivery.deal_id:05d}-{delivery.pk:06d}"


def act_context(delivery: Delivery) -> dict[str, Any]:
    """Everything the transfer-act template shows."""
    deal = delivery.deal
    tkm = (delivery.mass_t * deal.distance_km).quantize(Decimal("0.001"))
    return {
        "delivery": delivery,
        "deal": deal,
        "number": act_number(delivery),
        "supplier": deal.offer.organisation,
        "supplier_site": deal.offer.site,
        "receiver": deal.need.organisation,
        "receiver_site": deal.need.site,
        "material": deal.material,
        "factor_set": deal.factor_set,
        "tkm": tkm,
        # The fate the delivery's impact was counted against (its deal's current destination).
        "destination": dict(Destination.choices).get(delivery.baseline, delivery.baseline),
        "impact": delivery.impact_dict(),
        "net_t": (delivery.net_kg / KG_PER_TONNE).quantize(Decimal("0.001")),
        "delivered_total_t": deal.delivered_t,
        # Pieces where pieces were agreed: the act states the count first, then its mass.
        "in_pieces": deal.unit == Unit.PIECE,
        "delivered_total_quantity": deal.delivered_quantity,
    }
