"""Test data, built through the services so it obeys the same rules as real data."""

from __future__ import annotations

import itertools
from decimal import Decimal

from accounts import services
from accounts.models import Membership, Organisation, Site, User

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str | None = None, *, password: str = PASSWORD) -> User:
    return services.user_create(
        username=username or f"user{next(_seq)}", password=password, email=f"{username or 'user'}@example.kz"
    )


def make_organisation(
    name: str | None = None,
    *,
    kind: str = Organisation.Kind.COMPANY,
    sector: str = Organisation.Sector.AGRICULTURE_FOOD,
    verified: bool = True,
    members: tuple[User, ...] = (),
) -> Organisation:
    org = services.organisation_create(name=name or f"Organisation {next(_seq)}", kind=kind, sector=sector)
    if verified:
        Organisation.objects.filter(pk=org.pk).update(verified=True)
        org.refresh_from_db()
    for user in members:
        services.membership_add(user=user, organisation=org, role=Membership.Role.ADMIN)
    return org


def make_site(
    organisation: Organisation,
    name: str | None = None,
    *,
    latitude="43.238949",
    longitude="76.889709",
    district: str = "almaly",
    address: str = "Abay Ave 1",
) -> Site:
    return services.site_create(
        organisation=organisation,
        actor=None,
        name=name or f"Site {next(_seq)}",
        latitude=Decimal(latitude),
        longitude=Decimal(longitude),
        district=district,
        address=address,
    )


# --- Marketplace ---------------------------------------------------------------------------
def ensure_factor_set():
    """The shipped catalogue and factor set, imported and published once per test database."""
    from marketplace.factor_services import active_factor_set, factor_set_import

    return active_factor_set() or factor_set_import()[0]


def make_offer(
    organisation,
    site,
    material: str,
    quantity,
    *,
    unit: str = "t",
    period: str = "year",
    status: str = "active",
    min_lot=None,
    max_distance_km=None,
    current_destination: str = "landfill",
    available_from=None,
    available_until=None,
):
    """An offer, created through the service exactly as the API and the pages create one."""
    from marketplace import services

    ensure_factor_set()
    offer = services.offer_create(
        organisation=organisation,
        actor=None,
        site=site.pk,
        material=material,
        quantity=str(quantity),
        unit=unit,
        period=period,
        status=_created_as(status),
        min_lot=None if min_lot is None else str(min_lot),
        max_distance_km=None if max_distance_km is None else str(max_distance_km),
        current_destination=current_destination,
        available_from=available_from,
        available_until=available_until,
    )
    if offer.status != status:  # paused/closed listings get there the way real ones do
        offer = services.offer_set_status(offer=offer, actor=None, status=status)
    return offer


def _created_as(status: str) -> str:
    return status if status in ("draft", "active") else "active"


def make_need(
    organisation,
    site,
    materials,
    quantity,
    *,
    unit: str = "t",
    period: str = "year",
    status: str = "active",
    max_distance_km=100,
    min_lot=None,
    available_from=None,
    available_until=None,
):
    """A need, created through the service."""
    from marketplace import services

    ensure_factor_set()
    keys = [materials] if isinstance(materials, str) else list(materials)
    need = services.need_create(
        organisation=organisation,
        actor=None,
        site=site.pk,
        materials=keys,
        quantity=str(quantity),
        unit=unit,
        period=period,
        status=_created_as(status),
        max_distance_km=str(max_distance_km),
        min_lot=None if min_lot is None else str(min_lot),
        available_from=available_from,
        available_until=available_until,
    )
    if need.status != status:
        need = services.need_set_status(need=need, actor=None, status=status)
    return need
