"""Qaita's matching engine: who should send what to whom (SPEC §3).

A plain Python package on OR-Tools; it never imports Django. Build a :class:`Problem` from
frozen dataclasses, call :func:`solve`, read the :class:`Solution`. For fan-out over workers,
:func:`split_components` gives independent sub-problems and :func:`merge` recombines their
solutions into exactly what :func:`solve` would have returned.
"""

from .distance import DistanceProvider, GreatCircleDistance, great_circle_km
from .errors import EngineError, InfeasibleInput, ScalingOverflow, SolverFailure, SolverTimeout
from .horizon import horizon_quantity, overlap_days
from .problem import (
    DESTINATIONS,
    OBJECTIVES,
    TIME_STEPS,
    WASTE_BOUND,
    Flow,
    MaterialSpec,
    NeedInput,
    OfferInput,
    Problem,
    Recipe,
    ShareBound,
    Solution,
    StorageInput,
)
from .solve import merge, solve, split_components

__all__ = [
    "DESTINATIONS",
    "OBJECTIVES",
    "TIME_STEPS",
    "WASTE_BOUND",
    "DistanceProvider",
    "EngineError",
    "Flow",
    "GreatCircleDistance",
    "InfeasibleInput",
    "MaterialSpec",
    "NeedInput",
    "OfferInput",
    "Problem",
    "Recipe",
    "ScalingOverflow",
    "ShareBound",
    "Solution",
    "SolverFailure",
    "SolverTimeout",
    "StorageInput",
    "great_circle_km",
    "horizon_quantity",
    "merge",
    "overlap_days",
    "solve",
    "split_components",
]
