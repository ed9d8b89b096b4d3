"""Every integer scaling of the engine, in one place, with explicit overflow checks.

OR-Tools' min-cost flow and CP-SAT take 64-bit integers only. The engine's decision unit is the
base unit of the material (a kilogram or a piece); its cost units are:

* transport: **metres** of road distance per base unit (so Σ cost × flow is kg·m or piece·m);
* climate: **milligrams of CO2e** per base unit (1 mg per kg is 1 g per tonne).

A metre resolution moves a tonne-km figure by at most 0.05 % on a 1 km trip; a milligram per
kilogram moves the climate figure by at most 0.5 g per tonne moved.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from .errors import ScalingOverflow

INT64_MAX = 2**63 - 1

#: grams per kilogram, kilograms per tonne: the bulk base unit is the kilogram
KG_PER_TONNE = 1000
#: transport cost unit: metres per kilometre
METRES_PER_KM = 1000
#: climate cost unit: milligrams of CO2e per kilogram of CO2e
MG_PER_KG_CO2E = 1_000_000

#: OR-Tools' cost-scaling push-relabel multiplies unit costs by (number of nodes + 1) and keeps
#: node potentials of that magnitude; this margin keeps us clear of its own range check.
MCF_COST_HEADROOM = 4


def distance_cost_m(distance_km: np.ndarray) -> np.ndarray:
    """Road distances in km → integer metres (rounded half to even), as int64."""
    metres = np.rint(np.asarray(distance_km, dtype=np.float64) * METRES_PER_KM)
    if metres.size and float(metres.max()) > INT64_MAX:
        raise ScalingOverflow("a distance does not fit in int64 metres")
    return metres.astype(np.int64)


def climate_cost_mg(net_kg_per_t: np.ndarray, unit_mass_t: Fraction) -> np.ndarray:
    """Net avoided kg CO2e per tonne on each arc → integer mg CO2e per base unit (int64)."""
    per_unit_mg = np.rint(np.asarray(net_kg_per_t, dtype=np.float64) * float(unit_mass_t) * MG_PER_KG_CO2E)
    if per_unit_mg.size and float(np.abs(per_unit_mg).max()) > INT64_MAX:
        raise ScalingOverflow("a climate value does not fit in int64 milligrams")
    return per_unit_mg.astype(np.int64)


def to_int64(value: int | Fraction | Decimal, what: str) -> int:
    """An exact non-negative integer quantity, checked against the int64 range."""
    integer = int(value)
    if integer != value:
        raise ValueError(f"{what} is not an integer: {value}")
    if not 0 <= integer <= INT64_MAX:
        raise ScalingOverflow(f"{what} = {integer} does not fit in int64")
    return integer


def check_flow_range(*, num_nodes: int, max_abs_cost: int, total_flow: int) -> None:
    """Raise :class:`ScalingOverflow` unless a min-cost flow of this size is safe in int64.

    Two products must fit: the largest unit cost scaled by the node count (what the
    cost-scaling algorithm does internally) and the total cost of pushing all flow over the
    most expensive arc (what ``optimal_cost()`` returns).
    """
    if total_flow > INT64_MAX:
        raise ScalingOverflow(f"total flow {total_flow} does not fit in int64")
    scaled = max_abs_cost * (num_nodes + 1) * MCF_COST_HEADROOM
    if scaled > INT64_MAX:
        raise ScalingOverflow(
            f"unit cost {max_abs_cost} × {num_nodes + 1} nodes overflows int64 in cost scaling"
        )
    if max_abs_cost * total_flow > INT64_MAX:
        raise ScalingOverflow(f"total cost up to {max_abs_cost} × {total_flow} does not fit in int64")


def check_linear_range(*, coefficients: np.ndarray, upper_bounds: np.ndarray, what: str) -> None:
    """Raise :class:`ScalingOverflow` if Σ |coef| × ub of a linear expression exceeds int64.

    CP-SAT rejects such models as invalid; checking first gives a typed, explained error.
    """
    total = sum(
        abs(int(c)) * int(u) for c, u in zip(coefficients.tolist(), upper_bounds.tolist(), strict=True)
    )
    if total > INT64_MAX:
        raise ScalingOverflow(f"{what}: Σ|coefficient|×bound = {total} does not fit in int64")
