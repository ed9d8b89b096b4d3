"""Road distances behind a replaceable interface.

The default is the great-circle distance times a road-circuity factor (1.3). A road-network
provider (OSRM, a precomputed matrix) can replace it; the candidate search only needs to know
how much longer than the great circle a road trip is at least (``min_circuity``), because no
road beats the great circle.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

#: mean Earth radius (IUGG), km
EARTH_RADIUS_KM = 6371.0088


@runtime_checkable
class DistanceProvider(Protocol):
    """Vectorised road distances in km between pairs of points.

    ``min_circuity`` must satisfy road_km ≥ min_circuity × great-circle km for every pair; the
    candidate search uses it to shrink its radius. Use 1.0 when nothing better is known.
    Implementations must be deterministic: the same pair always gives the same distance.
    """

    min_circuity: float

    def road_km(self, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
        """Road distance in km for each pair (lat1[i], lon1[i]) → (lat2[i], lon2[i])."""
        ...


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine distance in km, vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


class GreatCircleDistance:
    """The default provider: great-circle distance × a constant circuity factor."""

    def __init__(self, circuity: float = 1.3) -> None:
        if not circuity >= 1.0:
            raise ValueError("circuity must be at least 1 (no road beats the great circle)")
        self.circuity = float(circuity)
        self.min_circuity = self.circuity

    def road_km(self, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
        return great_circle_km(lat1, lon1, lat2, lon2) * self.circuity

    def road_km_from_unit_vectors(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The same distances from unit vectors the candidate search already holds (faster)."""
        return self.road_km_from_chords(np.sqrt(((a - b) ** 2).sum(axis=1)))

    def road_km_from_chords(self, chord: np.ndarray) -> np.ndarray:
        """The same distances from unit-sphere chords (a k-d tree over unit vectors gives them)."""
        km: np.ndarray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0)) * self.circuity
        return km


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3): Euclidean chords there follow great circles."""
    phi, lmb = np.radians(np.asarray(lat, dtype=np.float64)), np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)))


def chord_for_km(great_circle: np.ndarray) -> np.ndarray:
    """Unit-sphere chord length of a great-circle distance in km, padded against rounding.

    The padding only lets a few extra pairs into the candidate set; the exact distance filter
    that follows removes them, so no pair within the radius is ever lost to float error.
    """
    angle = np.minimum(np.asarray(great_circle, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(angle / 2.0) * (1.0 + 1e-9) + 1e-12
