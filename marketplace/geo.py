"""Great-circle distances in Python and in SQL, and the bounding box that prefilters them.

The SQL expression uses only functions Django provides on both SQLite and PostgreSQL
(SIN, COS, ASIN, SQRT, RADIANS), so the radius search is the same query everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Expression, F, FloatField, Value
from django.db.models.functions import ASin, Cast, Cos, Least, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180


def map_settings() -> dict[str, str]:
    """The tile server and its attribution: the one source of every page's ``maps`` (through
    ``config.context_processors.maps``) and of the map-config endpoint."""
    return {"tile_url": settings.MAP_TILE_URL, "attribution": settings.MAP_ATTRIBUTION}


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lon: float | None  # None: every longitude (near a pole or across the antimeridian)
    max_lon: float | None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(lat: float, lon: float, radius_km: float, *, margin_deg: float = 0.0) -> Box:
    """A latitude/longitude box that contains every point within ``radius_km`` of (lat, lon).

    ``margin_deg`` widens it, e.g. to cover coordinates that are rounded before the exact test.
    """
    dlat = radius_km / KM_PER_DEGREE_LAT + margin_deg
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if min_lat <= -89.9 or max_lat >= 89.9:
        return Box(min_lat, max_lat, None, None)
    # The widest longitude span of the circle is at the latitude closest to a pole.
    cos_lat = min(math.cos(math.radians(min_lat)), math.cos(math.radians(max_lat)))
    dlon = radius_km / (KM_PER_DEGREE_LAT * cos_lat) + margin_deg
    if dlon >= 180 or lon - dlon < -180 or lon + dlon > 180:
        return Box(min_lat, max_lat, None, None)
    return Box(min_lat, max_lat, lon - dlon, lon + dlon)


def haversine_expression(
    lat_expr: Expression | F, lon_expr: Expression | F, lat: float, lon: float
) -> Expression:
    """SQL great-circle distance (km) from the fixed point (lat, lon) to the given columns."""
    lat_rad = Radians(Cast(lat_expr, FloatField()))
    lon_rad = Radians(Cast(lon_expr, FloatField()))
    phi = Value(math.radians(lat), output_field=FloatField())
    lmb = Value(math.radians(lon), output_field=FloatField())
    half = Value(0.5, output_field=FloatField())
    sin_dphi = Sin((lat_rad - phi) * half)
    sin_dlmb = Sin((lon_rad - lmb) * half)
    a = (
        sin_dphi * sin_dphi
        + Value(math.cos(math.radians(lat)), output_field=FloatField()) * Cos(lat_rad) * sin_dlmb * sin_dlmb
    )
    # Floating error can push a just above 1, outside ASIN's domain (PostgreSQL raises).
    bounded = Least(a, Value(1.0, output_field=FloatField()))
    return Value(2 * EARTH_RADIUS_KM, output_field=FloatField()) * ASin(Sqrt(bounded))
