"""A city of nine companies for the monitor tests, built through the services.

After one run and both sides' accepts, five deals (all waste-bound, fate landfill):

| category  | supplier → receiver                    | material                    | t    |
| --------- | -------------------------------------- | --------------------------- | ---- |
| biomass   | Grain Brewery → Dairy Farm             | brewers_spent_grain         | 900  |
| biomass   | Bread Bakery → Pig Farm                | bread_residues              | 300  |
| minerals  | Demolition Trust → Road Builder        | crushed_concrete_aggregate  | 400  |
| minerals  | Demolition Trust → Glass Works         | glass_cullet                | 60   |
| metals    | Scrap Yard → Steel Mill                | steel_scrap                 | 120  |

Biomass is built by four organisations, minerals by three, metals by two — so metals is folded,
and "other" (metals alone) would then be the metals cell: minerals, the next smallest, is folded
with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matching import services
from matching.models import Deal, Proposal
from tests import factories as f

COMPANIES = {
    # key: (name, sector, district, lat, lon)
    "brewery": ("Grain Brewery", "agriculture_food", "almaly", "43.2380", "76.9450"),
    "dairy": ("Dairy Farm", "agriculture_food", "talgar", "43.3030", "77.2400"),
    "bakery": ("Bread Bakery", "agriculture_food", "almaly", "43.2500", "76.9300"),
    "pigs": ("Pig Farm", "agriculture_food", "ili", "43.3500", "77.0500"),
    "demolition": ("Demolition Trust", "construction", "auezov", "43.2200", "76.8500"),
    "roads": ("Road Builder", "construction", "bostandyk", "43.2000", "76.9000"),
    "glass": ("Glass Works", "industry", "turksib", "43.3300", "76.9500"),
    "scrap": ("Scrap Yard", "trade", "zhetysu", "43.2900", "76.9400"),
    "mill": ("Steel Mill", "industry", "turksib", "43.3400", "76.9600"),
}

# (supplier, receiver, material, offered t/yr, needed t/yr)
FLOWS = [
    ("brewery", "dairy", "brewers_spent_grain", 2000, 900),
    ("bakery", "pigs", "bread_residues", 500, 300),
    ("demolition", "roads", "crushed_concrete_aggregate", 1000, 400),
    ("demolition", "glass", "glass_cullet", 100, 60),
    ("scrap", "mill", "steel_scrap", 500, 120),
]


@dataclass
class Company:
    key: str
    user: Any
    organisation: Any
    site: Any


@dataclass
class City:
    companies: dict[str, Company]
    deals: dict[str, Deal] = field(default_factory=dict)  # by material key
    run: Any = None

    def org(self, key: str):
        return self.companies[key].organisation


def make_companies() -> dict[str, Company]:
    companies = {}
    for key, (name, sector, district, lat, lon) in COMPANIES.items():
        user = f.make_user(f"{key}-user")
        org = f.make_organisation(name, sector=sector, members=(user,))
        site = f.make_site(org, f"{name} yard", latitude=lat, longitude=lon, district=district)
        companies[key] = Company(key=key, user=user, organisation=org, site=site)
    return companies


def list_market(companies: dict[str, Company], flows=FLOWS, *, destination: str = "landfill") -> None:
    for supplier, receiver, material, offered, needed in flows:
        s, r = companies[supplier], companies[receiver]
        f.make_offer(s.organisation, s.site, material, offered, current_destination=destination)
        f.make_need(r.organisation, r.site, [material], needed, max_distance_km=200)


def agree_all(city: City) -> None:
    for proposal in Proposal.objects.filter(run=city.run).select_related("material", "offer", "need"):
        for side in (proposal.offer.organisation_id, proposal.need.organisation_id):
            actor = next(c.user for c in city.companies.values() if c.organisation.pk == side)
            services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=actor)
        city.deals[proposal.material.key] = Deal.objects.get(proposal=proposal)


def build_city(run_now, flows=FLOWS) -> City:
    companies = make_companies()
    list_market(companies, flows)
    city = City(companies=companies)
    city.run = run_now()
    assert city.run.status == "succeeded", city.run.error
    agree_all(city)
    assert len(city.deals) == len(flows), sorted(city.deals)
    return city


def deliver(city: City, material: str, mass_t, day) -> object:
    deal = city.deals[material]
    supplier = next(c for c in city.companies.values() if c.organisation.pk == deal.offer.organisation_id)
    return services.delivery_record(deal=deal, actor=supplier.user, date=day, mass_t=str(mass_t))
