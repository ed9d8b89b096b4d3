"""Scoped reads for the marketplace: the catalogue, factor sets, offers and needs.

Who sees what:

- every signed-in user sees the *active* listings of *verified* organisations, plus their own
  organisations' listings in any status;
- the municipality (``accounts.access.is_authority``) sees every listing;
- exact site coordinates and street addresses follow :func:`can_see_exact_site`; everyone
  else gets the site rounded to about a kilometre, in the response and in the radius search.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import Round
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids
from accounts.errors import invalid
from accounts.models import Site
from config.strict import parse_decimal

from . import extensions
from .geo import bounding_box, haversine_expression
from .models import FactorSet, ListingStatus, Material, Need, Offer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


#: Decimal places of the coordinates shown to organisations without the right to the exact site
#: (0.01° is about 1.1 km north–south and 0.8 km east–west at Almaty's latitude).
COARSE_COORDINATE_PLACES = 2
#: Half of 0.01°, plus a little: how far rounding can move a point, for the bounding box.
COARSE_MARGIN_DEG = 0.006
MAX_RADIUS_KM = Decimal("1000")


# --- Confidentiality of sites -------------------------------------------------------------
def exact_site_ids(user: User | AnonymousUser) -> set[int] | None:
    """The sites whose exact coordinates and address ``user`` may see; ``None`` means every site.

    This is the one place of the rule (:func:`can_see_exact_site` asks it): the municipality
    sees every site; a member sees their own organisations' sites, and of a counterpart only
    the sites that are in an agreed deal with them (the offer's and the need's), never the
    counterpart's other sites. One query.
    """
    if is_authority(user):
        return None
    own = set(member_organisation_ids(user))
    if not own:
        return set()
    visible = Q(organisation_id__in=own)
    deal_sites = extensions.deal_site_querysets(own)  # matching's rule, named by a setting
    if deal_sites is not None:
        offer_sites, need_sites = deal_sites
        visible |= Q(pk__in=offer_sites) | Q(pk__in=need_sites)
    return set(Site.objects.filter(visible).values_list("id", flat=True))


def can_see_exact_site(user: User | AnonymousUser, site_id: int) -> bool:
    """Whether ``user`` may see the exact coordinates and address of the site ``site_id``."""
    allowed = exact_site_ids(user)
    return allowed is None or site_id in allowed


def coarse_coordinate(value: Decimal) -> Decimal:
    """A coordinate rounded to about a kilometre, as shown to other organisations."""
    # Half up, as SQL's ROUND does for the radius search, so both hide a site at the same point.
    return Decimal(value).quantize(Decimal(1).scaleb(-COARSE_COORDINATE_PLACES), rounding=ROUND_HALF_UP)


# --- Catalogue and factor sets -----------------------------------------------------------
def material_list(*, category: str | None = None, q: str | None = None) -> QuerySet[Material]:
    """The catalogue; ``q`` matches a key, EWC code or any of the three names, any case.

    The catalogue is small (dozens of rows), so names are matched in Python: SQLite's LIKE folds
    only ASCII case, and Cyrillic searches must work on the embedded default too.
    """
    materials = Material.objects.all().order_by("key")
    if category:
        materials = materials.filter(category=category)
    needle = (q or "").strip().casefold()
    if needle:
        compact = needle.replace(" ", "")
        ids = [
            m.pk
            for m in materials
            if any(needle in text.casefold() for text in (m.key, m.name_en, m.name_ru, m.name_kk))
            or (compact and compact in m.ewc_code.replace(" ", ""))
        ]
        materials = materials.filter(pk__in=ids)
    return materials


def factor_set_list_for(*, user: User | AnonymousUser) -> QuerySet[FactorSet]:
    """Published sets for everyone; drafts too for the municipality that edits them."""
    sets = FactorSet.objects.select_related("based_on").order_by("-created_at", "-id")
    return sets if is_authority(user) else sets.filter(status=FactorSet.Status.PUBLISHED)


# --- Offers and needs --------------------------------------------------------------------
@dataclass(frozen=True)
class ListingFilters:
    material: str | None = None
    category: str | None = None
    status: str | None = None
    organisation: int | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None


def parse_near(value: str) -> tuple[float, float]:
    """``"lat,lon"`` in degrees, each within range; a clear 400 on ``near`` otherwise."""
    parts = (value or "").split(",")
    if len(parts) != 2:
        raise invalid("near", _("Expected 'latitude,longitude', e.g. near=43.24,76.95."))
    try:
        lat, lon = (parse_decimal(part) for part in parts)
    except (InvalidOperation, ValueError):
        raise invalid("near", _("Latitude and longitude must be numbers.")) from None
    if not (lat.is_finite() and lon.is_finite()):
        raise invalid("near", _("Latitude and longitude must be finite numbers."))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise invalid("near", _("Latitude must be within ±90 and longitude within ±180."))
    return float(lat), float(lon)


def parse_radius(value: str | float | Decimal) -> float:
    try:
        radius = parse_decimal(value)
    except (InvalidOperation, ValueError):
        raise invalid("radius_km", _("A number is required.")) from None
    if not radius.is_finite() or not 0 < radius <= MAX_RADIUS_KM:
        raise invalid("radius_km", _("Must be greater than 0 and at most %(max)s.") % {"max": MAX_RADIUS_KM})
    return float(radius)


def _visible(queryset: QuerySet, user) -> QuerySet:
    if is_authority(user):
        return queryset
    own = member_organisation_ids(user)
    return queryset.filter(
        Q(organisation_id__in=own) | Q(status=ListingStatus.ACTIVE, organisation__verified=True)
    )


def _site_coordinate(field: str, exact_ids: set[int] | None):
    column = F(f"site__{field}")
    if exact_ids is None:
        return column
    coarse = Round(column, COARSE_COORDINATE_PLACES)
    if not exact_ids:
        return coarse
    return Case(
        When(site_id__in=exact_ids, then=column),
        default=coarse,
        output_field=DecimalField(max_digits=9, decimal_places=6),
    )


def _near(queryset: QuerySet, user, near: tuple[float, float], radius_km: float) -> QuerySet:
    """Within ``radius_km`` (great circle) of ``near``, nearest first.

    A latitude/longitude box served by ``site_lat_lon_idx`` prefilters; the exact distance is
    computed on the coordinates the user may see (rounded for others), so a radius search
    never reveals more than the listing itself does.
    """
    lat, lon = near
    box = bounding_box(lat, lon, radius_km, margin_deg=COARSE_MARGIN_DEG)
    queryset = queryset.filter(site__latitude__gte=box.min_lat, site__latitude__lte=box.max_lat)
    if box.min_lon is not None:
        queryset = queryset.filter(site__longitude__gte=box.min_lon, site__longitude__lte=box.max_lon)
    exact_ids = exact_site_ids(user)
    distance = haversine_expression(
        _site_coordinate("latitude", exact_ids), _site_coordinate("longitude", exact_ids), lat, lon
    )
    return (
        queryset.annotate(distance_km=distance)
        .filter(distance_km__lte=radius_km)
        .order_by("distance_km", "-id")
    )


def _filter(queryset: QuerySet, user, filters: ListingFilters) -> QuerySet:
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.organisation is not None:
        queryset = queryset.filter(organisation_id=filters.organisation)
    if queryset.model is Offer:
        if filters.material:
            queryset = queryset.filter(material__key=filters.material)
        if filters.category:
            queryset = queryset.filter(material__category=filters.category)
    else:
        through = Need.materials.through.objects.filter(need_id=OuterRef("pk"))
        if filters.material:
            queryset = queryset.filter(Exists(through.filter(material__key=filters.material)))
        if filters.category:
            queryset = queryset.filter(Exists(through.filter(material__category=filters.category)))
    if filters.near is not None:
        if filters.radius_km is None:
            raise invalid("radius_km", _("Give radius_km together with near."))
        queryset = _near(queryset, user, filters.near, filters.radius_km)
    elif filters.radius_km is not None:
        raise invalid("near", _("Give near=latitude,longitude together with radius_km."))
    return queryset


def offer_list_for(*, user: User | AnonymousUser, filters: ListingFilters | None = None) -> QuerySet[Offer]:
    """Offers ``user`` may see, filtered, with everything a list page needs in a fixed number of queries."""
    offers = (
        _visible(Offer.objects.all(), user)
        .select_related("organisation", "site", "material")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )
    return _filter(offers, user, filters or ListingFilters())


def need_list_for(*, user: User | AnonymousUser, filters: ListingFilters | None = None) -> QuerySet[Need]:
    """Needs ``user`` may see, filtered, with materials and photos prefetched."""
    needs = (
        _visible(Need.objects.all(), user)
        .select_related("organisation", "site")
        .prefetch_related("materials", "photos")
        .order_by("-created_at", "-id")
    )
    return _filter(needs, user, filters or ListingFilters())


def listing_is_visible(user: User | AnonymousUser, listing: Offer | Need) -> bool:
    """The same rule as the lists, for one listing already in memory."""
    if is_authority(user) or listing.organisation_id in member_organisation_ids(user):
        return True
    return listing.status == ListingStatus.ACTIVE and listing.organisation.verified
