"""Helpers for the engine tests: random small instances and an independent reference.

The reference formulates the problem from scratch — every offer × need pair checked by brute
force with its own haversine and its own climate arithmetic, no spatial index, no components —
and solves it with HiGHS through ``scipy.optimize.milp`` (integral throughout; binaries for
minimum lots). ``divert_then_distance`` is lexicographic over three levels, one solve each with
the earlier optima fixed as constraints: the most waste-bound mass moved, then the most mass
moved in all, then the fewest tonne-km. It deliberately shares nothing with the engine except
the horizon conversion, which has its own tests.

``highspy`` cannot be used here: highspy 1.15 and OR-Tools 9.15 each carry a copy of HiGHS,
and whichever loads second fails with an undefined symbol. SciPy's HiGHS coexists with both.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem
from matching.engine.horizon import need_base, offer_base, unit_mass_kg

HORIZON = date(2026, 1, 1)
CENTRE = (43.24, 76.92)

MATERIALS = (
    MaterialSpec(
        "grain",
        "t",
        None,
        Decimal("0.8"),
        Decimal("697"),
        Decimal("100"),
        Decimal("0"),
        baseline_kg_per_t=(("incineration", Decimal("41")),),
    ),
    MaterialSpec("bread", "t", None, Decimal("0.25"), Decimal("2058"), Decimal("450"), Decimal("0")),
    MaterialSpec("whey", "m3", None, Decimal("1.03"), Decimal("0"), Decimal("35"), Decimal("0")),
    MaterialSpec(
        "straw",
        "t",
        None,
        Decimal("0.12"),
        Decimal("3471"),
        Decimal("0"),
        Decimal("0"),
        baseline_kg_per_t=(("open_burning", Decimal("68")),),
    ),
    MaterialSpec("concrete", "t", None, Decimal("1.5"), Decimal("1.26"), Decimal("7.79"), Decimal("3.22")),
    MaterialSpec(
        "bags",
        "piece",
        Decimal("0.00065"),
        Decimal("0.3"),
        Decimal("2000"),
        Decimal("1500"),
        Decimal("0"),
        baseline_kg_per_t=(("incineration", Decimal("980")), ("open_burning", Decimal("1240"))),
    ),
    MaterialSpec(
        "panels", "piece", Decimal("5.0"), Decimal("2.4"), Decimal("1.26"), Decimal("269"), Decimal("20")
    ),
)
SPECS = {m.key: m for m in MATERIALS}
BULK = ("grain", "bread", "whey", "straw", "concrete")
PIECES = ("bags", "panels")
#: issue 10: moving these diverts waste; ``other_use`` supply is already used elsewhere
WASTE_FATES = ("landfill", "open_burning", "incineration", "unknown")
FATES = ("landfill", "landfill", "open_burning", "incineration", "unknown", "other_use", "other_use")


def point(rng: random.Random, spread_km: float = 12.0) -> tuple[float, float]:
    dy, dx = rng.uniform(-spread_km, spread_km), rng.uniform(-spread_km, spread_km)
    return CENTRE[0] + dy / 111.0, CENTRE[1] + dx / (111.0 * math.cos(math.radians(CENTRE[0])))


def _window(rng: random.Random) -> tuple[date | None, date | None]:
    if rng.random() < 0.7:
        return None, None
    start = HORIZON + timedelta(days=rng.randint(-100, 300))
    return start, start + timedelta(days=rng.randint(0, 200))


PER_YEAR = {"once": 1, "year": 1, "month": 12, "week": 52}


def _lot(rng: random.Random, quantity: Decimal, period: str, tenths: tuple[int, ...]) -> Decimal:
    """A minimum lot that is a sizeable share of what the listing moves in the horizon."""
    return (quantity * PER_YEAR[period] * rng.choice(tenths) / 10).quantize(Decimal("0.1"))


def random_problem(
    seed: int, *, objective: str = "divert_then_distance", lots: bool | None = None
) -> Problem:
    """A small random instance mixing bulk and piece materials, units, periods and windows."""
    rng = random.Random(seed)
    with_lots = rng.random() < 0.35 if lots is None else lots
    if lots:
        return _contested_problem(rng, objective)
    offers, needs = [], []
    for i in range(rng.randint(1, 7)):
        key = rng.choice(BULK + PIECES)
        lat, lon = point(rng)
        if SPECS[key].is_piece:
            unit, quantity = "piece", Decimal(rng.randint(1, 400 if key == "bags" else 12))
        else:
            unit = rng.choice(("t", "kg", "m3") if SPECS[key].density_t_per_m3 else ("t", "kg"))
            quantity = Decimal(rng.randint(1, 60)) if unit != "kg" else Decimal(rng.randint(50, 20000))
        start, end = _window(rng)
        offer_period = rng.choice(("once", "once", "month", "year", "week"))
        offers.append(
            OfferInput(
                id=rng.randint(1, 10**6) * 10 + i,
                material=key,
                lat=lat,
                lon=lon,
                quantity=quantity,
                unit=unit,
                period=offer_period,
                available_from=start,
                available_until=end,
                min_lot=_lot(rng, quantity, offer_period, (1, 3, 5, 8))
                if with_lots and rng.random() < 0.6
                else None,
                max_distance_km=Decimal(rng.randint(5, 40)) if rng.random() < 0.3 else None,
                current_destination=rng.choice(FATES),
                committed=Decimal(rng.randint(0, 3)) if rng.random() < 0.2 else Decimal(0),
            )
        )
    for j in range(rng.randint(1, 7)):
        lat, lon = point(rng)
        if rng.random() < 0.3:
            key = rng.choice(PIECES)
            accepted: tuple[str, ...] = (key,)
            unit = "piece"
            quantity = Decimal(rng.randint(1, 600 if key == "bags" else 15))
        else:
            accepted = tuple(rng.sample(BULK, rng.randint(1, 3)))
            unit = rng.choice(("t", "kg", "m3"))
            quantity = Decimal(rng.randint(1, 80)) if unit != "kg" else Decimal(rng.randint(50, 30000))
        start, end = _window(rng)
        need_period = rng.choice(("once", "month", "year"))
        needs.append(
            NeedInput(
                id=rng.randint(1, 10**6) * 10 + j,
                materials=accepted,
                lat=lat,
                lon=lon,
                quantity=quantity,
                unit=unit,
                period=need_period,
                available_from=start,
                available_until=end,
                min_lot=_lot(rng, quantity, need_period, (1, 2, 4, 7))
                if with_lots and rng.random() < 0.6
                else None,
                max_distance_km=Decimal(rng.randint(5, 40)),
                committed=Decimal(0),
            )
        )
    declined = frozenset((o.id, n.id) for o in offers for n in needs if rng.random() < 0.1)
    return Problem(
        offers=tuple(offers),
        needs=tuple(needs),
        materials=MATERIALS,
        objective=objective,
        horizon_start=HORIZON,
        declined_pairs=declined,
        time_limit_s=20.0,
    )


def _contested_problem(rng: random.Random, objective: str) -> Problem:
    """Few materials, close sites, comparable quantities, sizeable lots: relaxations split."""
    keys = rng.choice((("grain",), ("grain", "bread"), ("bags",), ("panels",)))
    piece = SPECS[keys[0]].is_piece
    unit = "piece" if piece else "t"

    def lot(quantity: int) -> Decimal | None:
        return Decimal(max(1, quantity * rng.choice((2, 3, 4, 6)) // 10)) if rng.random() < 0.7 else None

    offers = []
    for i in range(rng.randint(2, 6)):
        lat, lon = point(rng, 4.0)
        quantity = rng.randint(3, 30)
        offers.append(
            OfferInput(
                i + 1,
                rng.choice(keys),
                lat,
                lon,
                Decimal(quantity),
                unit,
                "once",
                None,
                None,
                lot(quantity),
                None,
                current_destination=rng.choice(FATES),
            )
        )
    needs = []
    for j in range(rng.randint(2, 6)):
        lat, lon = point(rng, 4.0)
        quantity = rng.randint(3, 30)
        accepted = keys if not piece else keys[:1]
        needs.append(
            NeedInput(
                j + 1,
                accepted,
                lat,
                lon,
                Decimal(quantity),
                unit,
                "once",
                None,
                None,
                lot(quantity),
                Decimal(rng.randint(6, 15)),
            )
        )
    return Problem(
        offers=tuple(offers),
        needs=tuple(needs),
        materials=MATERIALS,
        objective=objective,
        horizon_start=HORIZON,
        time_limit_s=20.0,
    )


class TableDistance:
    """A road-network stand-in: distances from a table, everything else out of reach."""

    min_circuity = 1.0

    def __init__(self, table):
        self.table = table

    def road_km(self, lat1, lon1, lat2, lon2):
        return np.array(
            [
                self.table.get((round(a, 6), round(b, 6), round(c, 6), round(d, 6)), 1000.0)
                for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
            ]
        )


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km, written out independently of the engine's vectorised version."""
    r = 6371.0088
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(h))


def reference_net_before_transport_per_t(spec: MaterialSpec, fate: str) -> Decimal:
    """Issue 10, written out again: baseline of the fate + substitution − treatment, per tonne.

    The baseline is the landfill factor for ``landfill``, the fate's own factor for open burning
    and incineration (0 without one) and 0 for ``unknown`` and ``other_use``; supply already in
    other use earns no substitution.
    """
    own = {name: value for name, value in spec.baseline_kg_per_t}
    baseline = {
        "landfill": spec.landfill_kg_per_t,
        "open_burning": own.get("open_burning", Decimal(0)),
        "incineration": own.get("incineration", Decimal(0)),
        "unknown": Decimal(0),
        "other_use": Decimal(0),
    }[fate]
    substitution = Decimal(0) if fate == "other_use" else spec.substitution_kg_per_t
    return baseline + substitution - spec.treatment_kg_per_t


@dataclass(frozen=True)
class ReferenceArc:
    offer: int
    need: int
    distance_km: float
    unit_mass_kg: float
    net_per_unit_kg: float
    cap: int
    lot: int
    waste: bool


def reference_arcs(problem: Problem) -> tuple[list[ReferenceArc], dict[int, int], dict[int, int]]:
    """Every admissible pair, by brute force; supplies and demands in base units."""
    supply = {o.id: offer_base(o, SPECS[o.material], problem) for o in problem.offers}
    demand = {n.id: need_base(n, tuple(SPECS[m] for m in n.materials), problem) for n in problem.needs}
    arcs = []
    for o in problem.offers:
        for n in problem.needs:
            s, s_lot = supply[o.id]
            d, d_lot = demand[n.id]
            if o.material not in n.materials or s == 0 or d == 0 or (o.id, n.id) in problem.declined_pairs:
                continue
            km = haversine_km((o.lat, o.lon), (n.lat, n.lon)) * problem.circuity
            if km > float(n.max_distance_km) or (
                o.max_distance_km is not None and km > float(o.max_distance_km)
            ):
                continue
            lo = max(x for x in (o.available_from, n.available_from, date.min) if x is not None)
            hi = min(x for x in (o.available_until, n.available_until, date.max) if x is not None)
            if lo > hi:
                continue
            lot = max(s_lot, d_lot)
            if lot > min(s, d):
                continue
            spec = SPECS[o.material]
            mass = float(unit_mass_kg(spec))
            net_t = float(reference_net_before_transport_per_t(spec, o.current_destination))
            net_t -= km * float(problem.road_freight_kg_per_tkm)
            if problem.objective == "net_climate" and net_t <= 0:
                continue
            waste = o.current_destination in WASTE_FATES
            arcs.append(ReferenceArc(o.id, n.id, km, mass, net_t * mass / 1000, min(s, d), lot, waste))
    return arcs, {k: v[0] for k, v in supply.items()}, {k: v[0] for k, v in demand.items()}


@dataclass(frozen=True)
class ReferenceOptimum:
    diverted_kg: float  # waste-bound mass moved
    moved_kg: float  # all mass moved
    tkm: float
    net_co2e_kg: float


def reference_optimum(problem: Problem, *, waste_first: bool = True) -> ReferenceOptimum:
    """The optimum of ``problem`` by HiGHS; three lexicographic solves for the default objective.

    ``waste_first=False`` skips level (1): the most mass moved whatever its fate, then t·km.
    """
    arcs, supply, demand = reference_arcs(problem)
    if not arcs:
        return ReferenceOptimum(0.0, 0.0, 0.0, 0.0)
    m = len(arcs)
    n_bin = sum(a.lot > 1 for a in arcs)
    width = m + n_bin
    lower: list[float] = []
    upper: list[float] = []
    offer_ids, need_ids = sorted(supply), sorted(demand)
    # rows: supplies, demands, two per lot, then one per fixed lexicographic level
    matrix = lil_matrix((len(offer_ids) + len(need_ids) + 2 * n_bin + 2, width))
    r = 0
    for oid in offer_ids:  # flow out of an offer ≤ its supply
        for k, a in enumerate(arcs):
            if a.offer == oid:
                matrix[r, k] = 1
        lower.append(-np.inf)
        upper.append(supply[oid])
        r += 1
    for nid in need_ids:  # flow into a need ≤ its demand
        for k, a in enumerate(arcs):
            if a.need == nid:
                matrix[r, k] = 1
        lower.append(-np.inf)
        upper.append(demand[nid])
        r += 1
    b = m
    for k, a in enumerate(arcs):  # x = 0 or lot ≤ x ≤ cap, with a binary switch
        if a.lot > 1:
            matrix[r, k], matrix[r, b] = 1, -a.lot
            lower.append(0)
            upper.append(np.inf)
            r += 1
            matrix[r, k], matrix[r, b] = 1, -a.cap
            lower.append(-np.inf)
            upper.append(0)
            r += 1
            b += 1
    level_rows = (r, r + 1)
    lower += [-np.inf, -np.inf]
    upper += [np.inf, np.inf]
    mass_g = np.array([round(a.unit_mass_kg * 1000) for a in arcs] + [0] * n_bin, dtype=float)
    waste_g = np.array(
        [round(a.unit_mass_kg * 1000) if a.waste else 0 for a in arcs] + [0] * n_bin, dtype=float
    )
    ub = np.array([a.cap for a in arcs] + [1] * n_bin, dtype=float)
    # integral throughout: a fixed-level row would break total unimodularity of a plain LP
    integrality = np.ones(width, dtype=int)
    options = {"mip_rel_gap": 0.0, "presolve": True}

    def run(c, fixed=()):
        """Minimise ``c`` with each (row coefficients, least value) of ``fixed`` as a constraint."""
        A = matrix.copy()
        lo = list(lower)
        for row, (coefficients, least) in zip(level_rows, fixed, strict=False):  # fewer levels than rows
            for k in np.flatnonzero(coefficients).tolist():
                A[row, k] = coefficients[k]
            lo[row] = least
        res = milp(
            c,
            constraints=LinearConstraint(A.tocsr(), lo, upper),
            integrality=integrality,
            bounds=Bounds(0, ub),
            options=options,
        )
        assert res.status == 0, res.message
        return np.round(res.x[:m]).astype(np.int64)

    if problem.objective == "net_climate":
        value = np.array([a.net_per_unit_kg for a in arcs] + [0] * n_bin)
        x = run(-value)
    else:
        # (1) the most waste-bound mass moved
        best_waste = float(np.dot(waste_g[:m], run(-waste_g))) if waste_first else -np.inf
        x = run(-mass_g, [(waste_g, best_waste - 0.5)])  # (2) then the most mass moved
        best_mass = float(np.dot(mass_g[:m], x))
        tkm_cost = np.array([a.unit_mass_kg * a.distance_km for a in arcs] + [0] * n_bin)
        x = run(tkm_cost, [(waste_g, best_waste - 0.5), (mass_g, best_mass - 0.5)])  # (3) fewest t·km
    diverted = float(sum(a.unit_mass_kg * v for a, v in zip(arcs, x, strict=True) if a.waste))
    moved = float(sum(a.unit_mass_kg * v for a, v in zip(arcs, x, strict=True)))
    tkm = float(sum(a.unit_mass_kg / 1000 * a.distance_km * v for a, v in zip(arcs, x, strict=True)))
    net = float(sum(a.net_per_unit_kg * v for a, v in zip(arcs, x, strict=True)))
    return ReferenceOptimum(diverted, moved, tkm, net)


def exact_moved_kg(solution) -> float:
    """Moved mass from the flows at full precision (pieces × mass per piece, unrounded)."""
    return float(sum(f.quantity * unit_mass_kg(SPECS[f.material]) for f in solution.flows))


def exact_diverted_kg(solution, problem: Problem) -> float:
    """Waste-bound mass moved, from the flows at full precision."""
    waste = {o.id for o in problem.offers if o.current_destination in WASTE_FATES}
    return float(
        sum(f.quantity * unit_mass_kg(SPECS[f.material]) for f in solution.flows if f.offer_id in waste)
    )


def total_units(problem: Problem) -> int:
    arcs, supply, _ = reference_arcs(problem)
    return sum(supply.values())
