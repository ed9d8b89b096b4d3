"""Builders for the deal-room tests: a proposal between the brewery and the farm, its deal, and
a published tariff, all made through the services. Each test module wraps the ones it needs in
its own fixtures."""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache

from matching import services, tariffs
from matching.models import Deal, Proposal, Tariff


def clear_throttles() -> None:
    """Throttle histories live in the cache, keyed by user id, and ids repeat between tests."""
    cache.clear()


def propose(run_now) -> Proposal:
    """Run the city matching over ``grain_market``: one proposal, brewery → farm."""
    clear_throttles()
    run_now()
    return Proposal.objects.get()


def agree(proposal: Proposal, *personas) -> Deal:
    for persona in personas:
        services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=persona.user)
    return Deal.objects.get(proposal=proposal)


def publish_tariff(municipality, version: str = "2026.1") -> Tariff:
    draft = tariffs.tariff_create(
        actor=municipality.user,
        version=version,
        landfill_gate_fee_kzt_per_t=Decimal("4500.00"),
        transport_kzt_per_tkm=Decimal("45.50"),
    )
    return tariffs.tariff_publish(tariff=draft, actor=municipality.user)
