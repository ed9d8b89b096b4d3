"""Reads the marketplace pages need on top of :mod:`marketplace.selectors`.

Nothing here decides who may see what: lists come from ``offer_list_for`` / ``need_list_for``
and coordinates follow ``exact_site_ids`` (the rule behind ``can_see_exact_site``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.access import member_organisation_ids

from .models import Factor, FactorSet, ListingStatus, Need, Offer
from .selectors import (
    ListingFilters,
    coarse_coordinate,
    exact_site_ids,
    need_list_for,
    offer_list_for,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


KINDS = ("offers", "needs")


def my_listing_list(*, user: User | AnonymousUser, kind: str, status: str | None = None) -> QuerySet:
    """Offers or needs of the user's own organisations, in any status (newest first)."""
    own = member_organisation_ids(user)
    selector = offer_list_for if kind == "offers" else need_list_for
    listings = selector(user=user).filter(organisation_id__in=own)
    if status in ListingStatus.values:
        listings = listings.filter(status=status)
    return listings


def my_listing_counts(*, user: User | AnonymousUser) -> dict[str, int]:
    own = member_organisation_ids(user)
    return {
        "offers": Offer.objects.filter(organisation_id__in=own).count(),
        "needs": Need.objects.filter(organisation_id__in=own).count(),
    }


def search_listings(*, user: User | AnonymousUser, kind: str, filters: ListingFilters) -> QuerySet:
    """Active listings the user may see, by material/category and distance from a point.

    ``filters.radius_km`` is a road distance, by matching's rule (great circle × circuity,
    ``MATCHING_CIRCUITY``); the selector's radius is the great circle, so it gets the radius
    divided by the circuity. Each result's ``distance_km`` stays the great circle: turn it into
    what the page states with :func:`search_road_km`.
    """
    selector = offer_list_for if kind == "offers" else need_list_for
    if filters.radius_km is not None:
        filters = replace(filters, radius_km=filters.radius_km / search_circuity())
    return selector(user=user, filters=filters)


def search_circuity() -> float:
    """The road-circuity factor the search uses: the one matching uses."""
    return float(settings.MATCHING_CIRCUITY)


def search_road_km(great_circle_km: float | None, *, exact: bool) -> Decimal | None:
    """The road distance a search result states: great circle × circuity; in whole km when the
    site is shown rounded (a finer figure would give the hidden site back)."""
    if great_circle_km is None:
        return None
    road = Decimal(repr(float(great_circle_km) * search_circuity()))
    return road.quantize(Decimal(1) if not exact else Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Location:
    """A site as this user may see it: exact, or rounded to about a kilometre without address."""

    latitude: Decimal
    longitude: Decimal
    exact: bool
    address: str | None
    name: str | None
    district: str


def _location(listing, exact_ids: set[int] | None) -> Location:
    site = listing.site
    exact = exact_ids is None or listing.site_id in exact_ids
    return Location(
        latitude=site.latitude if exact else coarse_coordinate(site.latitude),
        longitude=site.longitude if exact else coarse_coordinate(site.longitude),
        exact=exact,
        address=site.address if exact else None,
        name=site.name if exact else None,
        district=site.get_district_display(),
    )


def listing_location(*, user: User | AnonymousUser, listing: Offer | Need) -> Location:
    return _location(listing, exact_site_ids(user))


def listing_materials(listing: Offer | Need) -> list:
    return [listing.material] if isinstance(listing, Offer) else list(listing.materials.all())


def map_points(*, user: User | AnonymousUser, listings, url_for) -> list[dict]:
    """Map data for a page of listings (rounded coordinates for other organisations)."""
    exact_ids = exact_site_ids(user)
    points = []
    for listing in listings:
        location = _location(listing, exact_ids)
        materials = listing_materials(listing)
        points.append(
            {
                "id": listing.pk,
                "kind": "offer" if isinstance(listing, Offer) else "need",
                "url": url_for(listing),
                "title": ", ".join(m.name for m in materials),
                "organisation": listing.organisation.name,
                "quantity": (
                    f"{listing.quantity.normalize():f} {listing.get_unit_display()} "
                    f"{listing.get_period_display()}"
                ),
                "lat": float(location.latitude),
                "lon": float(location.longitude),
                "exact": location.exact,
            }
        )
    return points


# --- Factor sets ---------------------------------------------------------------------------
DIFF_FIELDS = (
    "landfill_kg_per_t",
    "substitution_kg_per_t",
    "treatment_kg_per_t",
    "open_burning_kg_per_t",
    "incineration_kg_per_t",
    "source_landfill",
    "source_substitution",
    "source_fates",
    "notes",
)
SET_DIFF_FIELDS = (
    "road_freight_kg_per_tkm",
    "gwp_ch4",
    "gwp_basis",
    "road_freight_source",
    "landfill_method",
    "impact_method",
)


def factor_rows(factor_set: FactorSet) -> QuerySet[Factor]:
    return factor_set.factors.select_related("material").order_by("material__category", "material__key")


FIELD_LABELS = {
    "landfill_kg_per_t": _("Landfill"),
    "substitution_kg_per_t": _("Substitution"),
    "treatment_kg_per_t": _("Treatment"),
    "open_burning_kg_per_t": _("Open burning"),
    "incineration_kg_per_t": _("Incineration"),
    "source_landfill": _("Source of the landfill factor"),
    "source_substitution": _("Source of the substitution factor"),
    "source_fates": _("Source of the open-burning and incineration factors"),
    "notes": _("Notes"),
    "road_freight_kg_per_tkm": _("Road freight (kg CO₂e per t·km)"),
    "gwp_ch4": _("GWP of CH₄"),
    "gwp_basis": _("GWP basis"),
    "road_freight_source": _("Source of the road-freight factor"),
    "landfill_method": _("Landfill method"),
    "impact_method": _("Impact method"),
}


@dataclass(frozen=True)
class Cell:
    field: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class DiffRow:
    material: object
    status: str  # "same", "changed", "added", "removed"
    cells: tuple[Cell, ...]


def factor_set_diff(old: FactorSet, new: FactorSet) -> dict:
    """Every material's factors side by side, with what changed from ``old`` to ``new``."""
    before = {f.material_id: f for f in factor_rows(old)}
    after = {f.material_id: f for f in factor_rows(new)}
    materials = {f.material_id: f.material for f in [*before.values(), *after.values()]}
    rows = []
    for material_id, material in sorted(materials.items(), key=lambda item: (item[1].category, item[1].key)):
        a, b = before.get(material_id), after.get(material_id)
        cells = tuple(
            Cell(field, getattr(a, field) if a else None, getattr(b, field) if b else None)
            for field in DIFF_FIELDS
        )
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "changed" if any(c.changed for c in cells) else "same"
        rows.append(DiffRow(material=material, status=status, cells=cells))
    set_cells = tuple(Cell(field, getattr(old, field), getattr(new, field)) for field in SET_DIFF_FIELDS)
    return {
        "headers": [FIELD_LABELS[field] for field in DIFF_FIELDS[:5]],
        "rows": rows,
        "set_cells": set_cells,
        "changed": sum(1 for row in rows if row.status != "same"),
    }
