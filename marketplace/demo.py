"""The Almaty demo: organisations, users and sites drawn from the 2019 study's cases.

Loaded by ``manage.py load_almaty_demo`` (idempotent). Coordinates are plausible locations in
and around Almaty; they are illustrative, not the companies' real addresses.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts import services as account_services
from accounts.models import Membership, Organisation, Site, User

DEMO_PASSWORD = "qaita-demo-2026"


@dataclass(frozen=True)
class DemoSite:
    name: str
    address: str
    lat: str
    lon: str
    district: str


@dataclass(frozen=True)
class DemoOrganisation:
    key: str  # also the demo user's username
    name: str
    kind: str
    sector: str
    sites: tuple[DemoSite, ...]


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation("akimat", "Almaty Green Economy Department", "municipality", "public_services", (
        DemoSite("City Hall", "Republic Square 4", "43.238293", "76.945465", "medeu"),)),
    DemoOrganisation("brewery", "Tien Shan Brewery", "company", "agriculture_food", (
        DemoSite("Brewery", "Raiymbek Ave 221", "43.266400", "76.880300", "almaly"),)),
    DemoOrganisation("bakery", "Aksai Bread Bakery", "company", "agriculture_food", (
        DemoSite("Bakery No. 1", "Tole Bi St 288", "43.248900", "76.861600", "auezov"),
        DemoSite("Bakery No. 2", "Suyunbay Ave 89", "43.282100", "76.948800", "turksib"),)),
    DemoOrganisation("rakhat", "Rakhat Chocolate Factory", "company", "agriculture_food", (
        DemoSite("Chocolate factory", "Zheltoksan St 2", "43.263900", "76.945500", "almaly"),)),
    DemoOrganisation("poultry", "Almaty Poultry Farm", "company", "agriculture_food", (
        DemoSite("Poultry houses", "Kaskelen, Abylai Khan St 1", "43.200500", "76.625000", "kaskelen"),)),
    DemoOrganisation("mushrooms", "KazEcoFood Mushrooms", "company", "agriculture_food", (
        DemoSite("Composting yard", "Talgar, Industrial St 5", "43.303000", "77.240000", "talgar"),)),
    DemoOrganisation("dairy", "Talgar Dairy Farm", "company", "agriculture_food", (
        DemoSite("Cow barns", "Talgar district, Beskainar road 12", "43.330000", "77.300000", "talgar"),)),
    DemoOrganisation("livestock", "Kapshagay Livestock Cooperative", "company", "agriculture_food", (
        DemoSite("Feedlot", "Konaev, Industrial zone 3", "43.880000", "77.070000", "konaev"),)),
    DemoOrganisation("demolition", "Almaty Demolition Contractors", "company", "construction", (
        DemoSite("Demolition site Orbita", "Mustafina St 10", "43.211000", "76.870000", "bostandyk"),
        DemoSite("Demolition site Aksai", "Aksai-4 microdistrict 20", "43.232000", "76.830000", "auezov"),)),
    DemoOrganisation("panels", "Alatau Panel Remanufacturing Plant", "company", "construction", (
        DemoSite("Panel plant", "Alatau industrial zone, Block 7", "43.393000", "76.859000", "alatau"),)),
    DemoOrganisation("builder", "Nauryzbay Builders", "company", "construction", (
        DemoSite("Housing site Shugyla", "Shugyla microdistrict", "43.205000", "76.785000", "nauryzbay"),)),
    DemoOrganisation("logistics", "Zhetysu Logistics Park", "company", "transport_storage", (
        DemoSite("Warehouse", "Kuldzha tract 15", "43.310000", "77.020000", "zhetysu"),)),
    DemoOrganisation("waterworks", "Almaty Su Waterworks", "company", "utilities", (
        DemoSite("Wastewater treatment plant", "Ili road 1", "43.420000", "76.980000", "ili"),)),
    DemoOrganisation("papermill", "Almaty Paper Mill", "company", "industry", (
        DemoSite("Paper mill", "Kaskelen industrial zone", "43.210000", "76.640000", "kaskelen"),)),
    DemoOrganisation("steel", "Alatau Steel Works", "company", "industry", (
        DemoSite("Rolling mill", "Alatau city, Metallurgists St 1", "43.640000", "77.080000", "alatau_city"),)),
)


@transaction.atomic
def load_organisations() -> dict[str, Organisation]:
    """Create (or find) every demo organisation, its admin user and its sites. Idempotent."""
    result: dict[str, Organisation] = {}
    for demo in ORGANISATIONS:
        org = Organisation.objects.filter(name=demo.name).first()
        if org is None:
            org = account_services.organisation_create(name=demo.name, kind=demo.kind, sector=demo.sector)
        if not org.verified:
            Organisation.objects.filter(pk=org.pk).update(verified=True)
            org.refresh_from_db()
        user = User.objects.filter(username=demo.key).first()
        if user is None:
            user = account_services.user_create(username=demo.key, password=DEMO_PASSWORD,
                                                email=f"{demo.key}@demo.qaita.kz")
        account_services.membership_add(user=user, organisation=org, role=Membership.Role.ADMIN)
        for site in demo.sites:
            if not Site.objects.filter(organisation=org, name=site.name).exists():
                account_services.site_create(
                    organisation=org, actor=None, name=site.name, address=site.address,
                    latitude=Decimal(site.lat), longitude=Decimal(site.lon), district=site.district,
                )
        result[demo.key] = org
    return result
