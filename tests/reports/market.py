"""A small city for the report tests, built through the services.

After one run and the decisions below:

- spent grain, brewery → farm (agriculture → agriculture): agreed, delivered twice (400 t today,
  100 t forty days ago);
- crushed concrete, demolition trust → panel factory (construction → industry): declined;
- façade panels, demolition trust → road builder (construction → construction): agreed, no delivery;
- cardboard, brewery → panel factory (agriculture → industry): still proposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from matching import services
from matching.models import Deal, Delivery, Proposal
from tests import factories as f


@dataclass
class City:
    run: object
    grain: Proposal
    concrete: Proposal
    panels: Proposal
    cardboard: Proposal
    grain_deal: Deal
    panels_deal: Deal
    deliveries: list[Delivery]
    demolition: object
    panel_factory: object
    road_builder: object


def _company(name, sector, district, lat, lon, username):
    user = f.make_user(username)
    org = f.make_organisation(name, sector=sector, members=(user,))
    site = f.make_site(
        org, f"{name} yard", latitude=lat, longitude=lon, district=district, address=f"{name} street 7"
    )
    org.user = user
    org.site = site
    return org


def _accept_both(proposal, first, second):
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=first)
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=second)
    return Deal.objects.get(proposal=proposal)


def build_city(brewery, farm, run_now) -> City:
    demolition = _company("Demolition Trust", "construction", "auezov", "43.2200", "76.8500", "demolisher")
    panel_factory = _company(
        "Almaty Panel Factory", "industry", "turksib", "43.3300", "76.9500", "panelmaker"
    )
    road_builder = _company(
        "Road Builder LLP", "construction", "bostandyk", "43.2000", "76.9000", "roadbuilder"
    )
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 2000)
    f.make_need(
        farm.organisation, farm.site, ["brewers_spent_grain", "bread_residues"], 1500, max_distance_km=80
    )
    f.make_offer(demolition, demolition.site, "crushed_concrete_aggregate", 500, period="once")
    f.make_need(panel_factory, panel_factory.site, ["crushed_concrete_aggregate"], 300, period="once")
    f.make_offer(demolition, demolition.site, "precast_concrete_panel", 200, unit="piece", period="once")
    f.make_need(road_builder, road_builder.site, ["precast_concrete_panel"], 100, unit="piece", period="once")
    f.make_offer(brewery.organisation, brewery.site, "cardboard_paper", 50)
    f.make_need(panel_factory, panel_factory.site, ["cardboard_paper"], 40)
    run = run_now()
    assert run.status == "succeeded", run.error
    by_material = {p.material.key: p for p in Proposal.objects.filter(run=run).select_related("material")}
    grain_deal = _accept_both(by_material["brewers_spent_grain"], brewery.user, farm.user)
    services.proposal_decline(proposal=by_material["crushed_concrete_aggregate"], actor=panel_factory.user)
    panels_deal = _accept_both(by_material["precast_concrete_panel"], demolition.user, road_builder.user)
    today = timezone.localdate()
    deliveries = [
        services.delivery_record(deal=grain_deal, actor=brewery.user, date=today, mass_t="400"),
        services.delivery_record(
            deal=grain_deal, actor=farm.user, date=today - timedelta(days=40), mass_t="100"
        ),
    ]
    return City(
        run=run,
        grain=by_material["brewers_spent_grain"],
        concrete=by_material["crushed_concrete_aggregate"],
        panels=by_material["precast_concrete_panel"],
        cardboard=by_material["cardboard_paper"],
        grain_deal=grain_deal,
        panels_deal=panels_deal,
        deliveries=deliveries,
        demolition=demolition,
        panel_factory=panel_factory,
        road_builder=road_builder,
    )
