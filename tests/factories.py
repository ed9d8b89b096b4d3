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
