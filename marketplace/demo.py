"""The Almaty demo: organisations, users, sites and listings drawn from the 2019 study's cases.

Loaded by ``manage.py load_almaty_demo`` (idempotent). Coordinates are plausible locations in
and around Almaty; they are illustrative, not the companies' real addresses. The listings
(``marketplace/demo_listings.py``) are created through the services, like any user's.
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
    DemoOrganisation(
        "akimat",
        "Almaty Green Economy Department",
        "municipality",
        "public_services",
        (DemoSite("City Hall", "Republic Square 4", "43.238293", "76.945465", "medeu"),),
    ),
    DemoOrganisation(
        "brewery",
        "Tien Shan Brewery",
        "company",
        "agriculture_food",
        (DemoSite("Brewery", "Raiymbek Ave 221", "43.266400", "76.880300", "almaly"),),
    ),
    DemoOrganisation(
        "bakery",
        "Aksai Bread Bakery",
        "company",
        "agriculture_food",
        (
            DemoSite("Bakery No. 1", "Tole Bi St 288", "43.248900", "76.861600", "auezov"),
            DemoSite("Bakery No. 2", "Suyunbay Ave 89", "43.282100", "76.948800", "turksib"),
        ),
    ),
    DemoOrganisation(
        "rakhat",
        "Rakhat Chocolate Factory",
        "company",
        "agriculture_food",
        (DemoSite("Chocolate factory", "Zheltoksan St 2", "43.263900", "76.945500", "almaly"),),
    ),
    DemoOrganisation(
        "poultry",
        "Almaty Poultry Farm",
        "company",
        "agriculture_food",
        (DemoSite("Poultry houses", "Kaskelen, Abylai Khan St 1", "43.200500", "76.625000", "kaskelen"),),
    ),
    DemoOrganisation(
        "mushrooms",
        "KazEcoFood Mushrooms",
        "company",
        "agriculture_food",
        (DemoSite("Composting yard", "Talgar, Industrial St 5", "43.303000", "77.240000", "talgar"),),
    ),
    DemoOrganisation(
        "dairy",
        "Talgar Dairy Farm",
        "company",
        "agriculture_food",
        (DemoSite("Cow barns", "Talgar district, Beskainar road 12", "43.330000", "77.300000", "talgar"),),
    ),
    DemoOrganisation(
        "livestock",
        "Kapshagay Livestock Cooperative",
        "company",
        "agriculture_food",
        (DemoSite("Feedlot", "Konaev, Industrial zone 3", "43.880000", "77.070000", "konaev"),),
    ),
    DemoOrganisation(
        "demolition",
        "Almaty Demolition Contractors",
        "company",
        "construction",
        (
            DemoSite("Demolition site Orbita", "Mustafina St 10", "43.211000", "76.870000", "bostandyk"),
            DemoSite("Demolition site Aksai", "Aksai-4 microdistrict 20", "43.232000", "76.830000", "auezov"),
        ),
    ),
    DemoOrganisation(
        "panels",
        "Alatau Panel Remanufacturing Plant",
        "company",
        "construction",
        (DemoSite("Panel plant", "Alatau industrial zone, Block 7", "43.393000", "76.859000", "alatau"),),
    ),
    DemoOrganisation(
        "builder",
        "Nauryzbay Builders",
        "company",
        "construction",
        (DemoSite("Housing site Shugyla", "Shugyla microdistrict", "43.205000", "76.785000", "nauryzbay"),),
    ),
    DemoOrganisation(
        "logistics",
        "Zhetysu Logistics Park",
        "company",
        "transport_storage",
        (DemoSite("Warehouse", "Kuldzha tract 15", "43.310000", "77.020000", "zhetysu"),),
    ),
    DemoOrganisation(
        "waterworks",
        "Almaty Su Waterworks",
        "company",
        "utilities",
        (DemoSite("Wastewater treatment plant", "Ili road 1", "43.420000", "76.980000", "ili"),),
    ),
    DemoOrganisation(
        "papermill",
        "Almaty Paper Mill",
        "company",
        "industry",
        (DemoSite("Paper mill", "Kaskelen industrial zone", "43.210000", "76.640000", "kaskelen"),),
    ),
    DemoOrganisation(
        "steel",
        "Alatau Steel Works",
        "company",
        "industry",
        (
            DemoSite(
                "Rolling mill", "Alatau city, Metallurgists St 1", "43.640000", "77.080000", "alatau_city"
            ),
        ),
    ),
    DemoOrganisation(
        "tandyr",
        "Tandyr Bakeries Network",
        "company",
        "agriculture_food",
        (DemoSite("Central bakery", "Kazybayev St 120", "43.289000", "76.975000", "zhetysu"),),
    ),
    DemoOrganisation(
        "freshmarket",
        "Altyn Orda Fresh Market",
        "company",
        "trade",
        (DemoSite("Wholesale market", "Almaty–Bishkek road km 12", "43.216000", "76.746000", "nauryzbay"),),
    ),
    DemoOrganisation(
        "coffee",
        "Alatau Coffee Roasters",
        "company",
        "trade",
        (DemoSite("Roastery", "Kabanbay Batyr St 58", "43.244500", "76.945100", "almaly"),),
    ),
    DemoOrganisation(
        "dairyplant",
        "Almaty Dairy Processing",
        "company",
        "agriculture_food",
        (DemoSite("Cheese plant", "Sholokhov St 31", "43.290000", "76.910000", "zhetysu"),),
    ),
    DemoOrganisation(
        "grainfarm",
        "Ili Grain Farm",
        "company",
        "agriculture_food",
        (DemoSite("Farm yard", "Ili district, Otegen Batyr road 40", "43.550000", "77.150000", "ili"),),
    ),
    DemoOrganisation(
        "pigfarm",
        "Kaskelen Pig Farm",
        "company",
        "agriculture_food",
        (DemoSite("Piggery", "Kaskelen, Farm road 7", "43.170000", "76.580000", "kaskelen"),),
    ),
    DemoOrganisation(
        "compost",
        "Ile Green Compost",
        "company",
        "utilities",
        (DemoSite("Composting plant", "Ili district, Landfill road 2", "43.450000", "77.020000", "ili"),),
    ),
    DemoOrganisation(
        "greenscape",
        "Almaty Greenscape Nursery",
        "company",
        "public_services",
        (DemoSite("Tree nursery", "Al-Farabi Ave 210", "43.190000", "76.990000", "medeu"),),
    ),
    DemoOrganisation(
        "roads",
        "Almaty Road Builders",
        "company",
        "construction",
        (DemoSite("Aggregate yard", "Bokeikhan St 500", "43.330000", "76.900000", "alatau"),),
    ),
    DemoOrganisation(
        "dismantling",
        "Turksib Dismantling",
        "company",
        "construction",
        (DemoSite("Demolition site Turksib", "Mayly Khodzha St 40", "43.335000", "76.955000", "turksib"),),
    ),
    DemoOrganisation(
        "housing",
        "Medeu Housing Developer",
        "company",
        "construction",
        (DemoSite("Housing site Kok-Tobe", "Omarova St 15", "43.225000", "76.975000", "medeu"),),
    ),
    DemoOrganisation(
        "mall",
        "Mega Retail Centre",
        "company",
        "trade",
        (DemoSite("Shopping centre", "Rozybakiev St 247", "43.201700", "76.892300", "bostandyk"),),
    ),
    DemoOrganisation(
        "polymer",
        "Almaty Polymer Recycling",
        "company",
        "industry",
        (DemoSite("Recycling plant", "Suyunbay Ave 400", "43.360000", "76.950000", "turksib"),),
    ),
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
            user = account_services.user_create(
                username=demo.key, password=DEMO_PASSWORD, email=f"{demo.key}@demo.qaita.kz"
            )
        account_services.membership_add(user=user, organisation=org, role=Membership.Role.ADMIN)
        for site in demo.sites:
            if not Site.objects.filter(organisation=org, name=site.name).exists():
                account_services.site_create(
                    organisation=org,
                    actor=None,
                    name=site.name,
                    address=site.address,
                    latitude=Decimal(site.lat),
                    longitude=Decimal(site.lon),
                    district=site.district,
                )
        result[demo.key] = org
    return result


@dataclass(frozen=True)
class DemoSummary:
    organisations: int
    offers_created: int
    needs_created: int
    active_offers: int
    active_needs: int

    @property
    def active_listings(self) -> int:
        return self.active_offers + self.active_needs


def ensure_catalogue() -> None:
    """The material catalogue and an active flow-factor set, imported from the cited files if absent."""
    from .factor_services import active_factor_set, factor_set_import

    if active_factor_set() is None:
        factor_set_import()


def load_demo() -> DemoSummary:
    """Everything the demo needs: catalogue and factors, organisations, and listings. Idempotent."""
    from . import demo_listings
    from .models import ListingStatus, Need, Offer

    ensure_catalogue()
    organisations = load_organisations()
    offers, needs = demo_listings.load_listings(organisations)
    active = {
        "organisation_id__in": [org.pk for org in organisations.values()],
        "status": ListingStatus.ACTIVE,
    }
    return DemoSummary(
        organisations=len(organisations),
        offers_created=offers,
        needs_created=needs,
        active_offers=Offer.objects.filter(**active).count(),
        active_needs=Need.objects.filter(**active).count(),
    )
