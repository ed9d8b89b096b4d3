"""Test data, built through the services so it obeys the same rules as real data."""
from __future__ import annotations

import itertools
from decimal import Decimal

from accounts import services
from accounts.models import Membership, Organisation, Site, User

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str | None = None, *, password: str = PASSWORD) -> User:
    return services.user_create(username=username or f"user{next(_seq)}", password=password,
                                email=f"{username or 'user'}@example.kz")


def make_organisation(name: str | None = None, *, kind: str = Organisation.Kind.COMPANY,
                      sector: str = Organisation.Sector.AGRICULTURE_FOOD, verified: bool = True,
                      members: tuple[User, ...] = ()) -> Organisation:
    org = services.organisation_create(name=name or f"Organisation {next(_seq)}", kind=kind, sector=sector)
    if verified:
        Organisation.objects.filter(pk=org.pk).update(verified=True)
        org.refresh_from_db()
    for user in members:
        services.membership_add(user=user, organisation=org, role=Membership.Role.ADMIN)
    return org


def make_site(organisation: Organisation, name: str | None = None, *, latitude="43.238949",
              longitude="76.889709", district: str = "almaly", address: str = "Abay Ave 1") -> Site:
    return services.site_create(organisation=organisation, actor=None, name=name or f"Site {next(_seq)}",
                                latitude=Decimal(latitude), longitude=Decimal(longitude),
                                district=district, address=address)


# --- Marketplace ---------------------------------------------------------------------------
def ensure_factor_set():
    """The shipped catalogue and factor set, imported and published once per test database."""
    from marketplace.factor_services import active_factor_set, factor_set_import

    return active_factor_set() or factor_set_import()[0]


def make_offer(organisation, site, material: str, quantity, *, unit: str = "t", period: str = "year",
               status: str = "active", min_lot=None, max_distance_km=None, current_destination: str = "landfill",
               available_from=None, available_until=None):
    from marketplace.models import Material, Offer

    ensure_factor_set()
    return Offer.objects.create(
        organisation=organisation, site=site, material=Material.objects.get(key=material),
        quantity=Decimal(str(quantity)), unit=unit, period=period, status=status,
        min_lot=None if min_lot is None else Decimal(str(min_lot)),
        max_distance_km=None if max_distance_km is None else Decimal(str(max_distance_km)),
        current_destination=current_destination, available_from=available_from, available_until=available_until,
    )


def make_need(organisation, site, materials, quantity, *, unit: str = "t", period: str = "year",
              status: str = "active", max_distance_km=100, min_lot=None, available_from=None, available_until=None):
    from marketplace.models import Material, Need

    ensure_factor_set()
    need = Need.objects.create(
        organisation=organisation, site=site, quantity=Decimal(str(quantity)), unit=unit, period=period,
        status=status, max_distance_km=Decimal(str(max_distance_km)),
        min_lot=None if min_lot is None else Decimal(str(min_lot)),
        available_from=available_from, available_until=available_until,
    )
    keys = [materials] if isinstance(materials, str) else list(materials)
    need.materials.set(Material.objects.filter(key__in=keys))
    return need
