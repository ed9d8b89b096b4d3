"""Seeded, Almaty-like instances for the matching engine's benchmarks and smoke tests.

Sites scatter around Almaty (43.24 N, 76.92 E; most within ±40 km) and the satellite towns
Kaskelen, Talgar, Kapshagay (Konaev) and Alatau. Materials and factors are those of
``shared/flow-factors.csv`` and ``shared/fate-factors.csv`` (copied below, so a benchmark never
depends on the database). Offers' current destinations are mixed by default (issue 10): about
20 % already in other use, 5 % unknown, 5 % incinerated where the material has a factor, the
rest landfilled (half the straw burnt in the field); ``fates="landfill"`` keeps the earlier mix
(landfill, straw half burnt). The fates come from a separate random stream, so both mixes have
exactly the same listings.
Quantities follow the study's examples (spent grain tens of t/week, jute bags thousands a
month, manure hundreds of t/yr, façade panels tens once); needs accept one to three related bulk
materials, or exactly one piece material, within a realistic radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from matching.engine import MaterialSpec, NeedInput, OfferInput, Problem

ALMATY = (43.2383, 76.9450)
#: (name, lat, lon, share of sites, spread km)
TOWNS = (
    ("Almaty", 43.2383, 76.9450, 0.62, 9.0),
    ("Kaskelen", 43.1997, 76.6200, 0.10, 3.0),
    ("Talgar", 43.3033, 77.2400, 0.10, 3.0),
    ("Alatau", 43.3700, 76.8000, 0.10, 3.0),
    ("Kapshagay", 43.8667, 77.0667, 0.08, 4.0),
)

# key, basis, mass per piece t, density t/m3, landfill, substitution, treatment (kg CO2e/t),
# group, (unit, period, median quantity) for offers
_MATERIALS = (
    ("chicken_manure", "t", None, "0.6", "1000", "80", "189", "compost", ("t", "year", 800)),
    ("cattle_manure", "t", None, "0.8", "625", "15", "189", "compost", ("t", "year", 1500)),
    ("straw", "t", None, "0.12", "3471", "0", "0", "compost", ("t", "year", 300)),
    ("brewers_spent_grain", "t", None, "0.8", "697", "100", "0", "feed", ("t", "week", 40)),
    ("bread_residues", "t", None, "0.25", "2058", "450", "0", "feed", ("t", "month", 4)),
    ("fruit_veg_residues", "t", None, "0.5", "380", "60", "0", "feed", ("t", "month", 20)),
    ("food_processing_residues", "t", None, "0.6", "1250", "130", "0", "feed", ("t", "month", 30)),
    ("coffee_grounds", "t", None, "0.45", "1250", "50", "0", "compost", ("kg", "week", 200)),
    ("cocoa_shells", "t", None, "0.35", "3675", "50", "0", "compost", ("t", "month", 15)),
    ("whey", "m3", None, "1.03", "0", "35", "0", "feed", ("m3", "week", 30)),
    ("sewage_sludge", "t", None, "1.0", "417", "20", "189", "compost", ("t", "month", 400)),
    ("jute_bags", "piece", "0.00065", "0.3", "2000", "1500", "0", "piece", ("piece", "month", 3000)),
    ("wooden_pallets", "piece", "0.025", "0.5", "3583", "269.5", "38.5", "piece", ("piece", "month", 200)),
    ("construction_timber", "t", None, "0.5", "3583", "269.5", "38.5", "construction", ("t", "once", 40)),
    ("precast_concrete_panel", "piece", "5.0", "2.4", "1.26", "269", "20", "piece", ("piece", "once", 60)),
    (
        "crushed_concrete_aggregate",
        "t",
        None,
        "1.5",
        "1.26",
        "7.79",
        "3.22",
        "construction",
        ("t", "once", 1500),
    ),
    ("bricks", "piece", "0.0035", "1.8", "1.26", "241.8", "10", "piece", ("piece", "once", 20000)),
    ("structural_steel_elements", "t", None, "7.85", "1.26", "2030", "50", "construction", ("t", "once", 30)),
    ("steel_scrap", "t", None, "0.6", "8.98", "3473.1", "1706.4", "recycling", ("t", "month", 20)),
    ("cardboard_paper", "t", None, "0.5", "3333", "1288.5", "1068.8", "recycling", ("t", "month", 10)),
    ("glass_cullet", "t", None, "1.3", "8.98", "1402.8", "823.2", "recycling", ("t", "month", 8)),
    ("pet", "t", None, "0.19", "8.98", "3863.9", "2213.9", "recycling", ("t", "month", 3)),
    ("hdpe_pp_film", "t", None, "0.5", "8.98", "2916.5", "1103.6", "recycling", ("t", "month", 3)),
    ("hdpe_rigid", "t", None, "0.22", "8.98", "3095.2", "1770.8", "recycling", ("t", "month", 2)),
    ("textiles", "t", None, "0.1", "2000", "6780", "152", "recycling", ("t", "month", 2)),
    ("tyres", "piece", "0.0091", "0.15", "8.98", "3335.6", "731.2", "piece", ("piece", "year", 800)),
)

#: open burning and incineration kg CO2e/t of shared/fate-factors.csv (None: not a fate of it)
_FATE_FACTORS = {
    "chicken_manure": ("180.4", "14.9"),
    "cattle_manure": ("173.7", "14.9"),
    "straw": ("67.6", "14.9"),
    "brewers_spent_grain": ("172.3", "14.9"),
    "bread_residues": ("180.4", "14.9"),
    "fruit_veg_residues": ("180.4", "14.9"),
    "food_processing_residues": ("180.4", "14.9"),
    "coffee_grounds": ("180.4", "14.9"),
    "cocoa_shells": ("200.5", "14.9"),
    "whey": (None, None),
    "sewage_sludge": (None, "59.0"),
    "jute_bags": ("198.3", "14.9"),
    "wooden_pallets": ("200.5", "14.9"),
    "construction_timber": ("200.5", "14.9"),
    "precast_concrete_panel": ("0", "0"),
    "crushed_concrete_aggregate": ("0", "0"),
    "bricks": ("0", "0"),
    "structural_steel_elements": ("0", "0"),
    "steel_scrap": ("0", "0"),
    "cardboard_paper": ("211.5", "30.1"),
    "glass_cullet": ("0", "0"),
    "pet": ("1536.4", "2306.6"),
    "hdpe_pp_film": ("2029.8", "3157.2"),
    "hdpe_rigid": ("2029.8", "3157.2"),
    "textiles": ("368.4", "308.2"),
    "tyres": ("439.4", "427.6"),
}
FATE_MIXES = ("mixed", "landfill")

#: need radius choices (road km) per group: feed and compost travel less than recyclables
RADII_KM = {
    "feed": (10, 15, 20, 25, 30),
    "compost": (10, 15, 20, 30),
    "construction": (10, 15, 20, 25, 30),
    "recycling": (15, 20, 30, 40),
    "piece": (10, 15, 20, 30),
}


def materials() -> tuple[MaterialSpec, ...]:
    """The benchmark material table as engine specs, with the fate factors that exist."""
    specs = []
    for key, basis, mass, density, landfill, subst, treat, _, _ in _MATERIALS:
        burning, incineration = _FATE_FACTORS[key]
        baseline = tuple(
            (fate, Decimal(value))
            for fate, value in (("incineration", incineration), ("open_burning", burning))
            if value is not None
        )
        specs.append(
            MaterialSpec(
                key=key,
                unit_basis=basis,
                mass_per_piece_t=Decimal(mass) if mass else None,
                density_t_per_m3=Decimal(density) if density else None,
                landfill_kg_per_t=Decimal(landfill),
                substitution_kg_per_t=Decimal(subst),
                treatment_kg_per_t=Decimal(treat),
                baseline_kg_per_t=baseline,
            )
        )
    return tuple(specs)


@dataclass(frozen=True)
class InstanceShape:
    offers: int
    needs: int
    seed: int = 1
    min_lot_share: float = 0.0  # share of listings with a minimum lot
    declined_share: float = 0.0  # declined pairs per offer
    fates: str = "mixed"  # offers' current destinations: one of FATE_MIXES
    horizon_start: date = date(2026, 1, 1)


def _sites(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    shares = np.array([t[3] for t in TOWNS])
    town = rng.choice(len(TOWNS), size=count, p=shares / shares.sum())
    lat0 = np.array([t[1] for t in TOWNS])[town]
    lon0 = np.array([t[2] for t in TOWNS])[town]
    spread = np.array([t[4] for t in TOWNS])[town]
    dx = np.clip(rng.normal(0, spread), -40, 40)
    dy = np.clip(rng.normal(0, spread), -40, 40)
    lat = lat0 + dy / 111.0
    lon = lon0 + dx / (111.0 * math.cos(math.radians(ALMATY[0])))
    return lat, lon


def _quantity(rng: np.random.Generator, median: float) -> Decimal:
    value = median * math.exp(rng.normal(0, 0.6))
    return Decimal(f"{value:.3f}") if value < 10 else Decimal(f"{value:.1f}")


def _window(rng: np.random.Generator, start: date) -> tuple[date | None, date | None]:
    """Mostly open; sometimes a season inside the year."""
    if rng.random() < 0.75:
        return None, None
    first = start + timedelta(days=int(rng.integers(-60, 300)))
    return first, first + timedelta(days=int(rng.integers(30, 240)))


def _fate(fate_rng: np.random.Generator, key: str, landfill_mix_fate: str, mix: str) -> str:
    """An offer's current destination under ``mix``, from its own random stream."""
    if mix == "landfill":
        return landfill_mix_fate
    u = fate_rng.random()
    if u < 0.20:
        return "other_use"
    if u < 0.25:
        return "unknown"
    if u < 0.30 and _FATE_FACTORS[key][1] is not None:
        return "incineration"
    return landfill_mix_fate


def generate(shape: InstanceShape, *, objective: str = "divert_then_distance") -> Problem:
    """A seeded Almaty-like problem of the given shape (same shape and seed → same problem)."""
    if shape.fates not in FATE_MIXES:
        raise ValueError(f"fates must be one of {FATE_MIXES}")
    rng = np.random.default_rng(shape.seed)
    fate_rng = np.random.default_rng([shape.seed, 10])
    specs = materials()
    keys = [m[0] for m in _MATERIALS]
    group = {m[0]: m[7] for m in _MATERIALS}
    offer_defaults = {m[0]: m[8] for m in _MATERIALS}
    by_group: dict[str, list[str]] = {}
    for key in keys:
        by_group.setdefault(group[key], []).append(key)
    # common residues are offered more often (organics dominate Almaty's landfilled mass)
    weight = np.array(
        [3.0 if group[k] in ("feed", "compost") else 1.5 if group[k] == "recycling" else 1.0 for k in keys]
    )
    weight /= weight.sum()

    lat, lon = _sites(rng, shape.offers)
    offers = []
    for i in range(shape.offers):
        key = keys[int(rng.choice(len(keys), p=weight))]
        unit, period, median = offer_defaults[key]
        quantity = _quantity(rng, median)
        start, end = _window(rng, shape.horizon_start)
        lot = None
        if rng.random() < shape.min_lot_share:
            lot = (quantity * Decimal(str(round(rng.uniform(0.05, 0.3), 2)))).quantize(Decimal("1"))
            lot = lot if lot > 0 else None
        offers.append(
            OfferInput(
                id=i + 1,
                material=key,
                lat=float(lat[i]),
                lon=float(lon[i]),
                quantity=quantity,
                unit=unit,
                period=period,
                available_from=start,
                available_until=end,
                min_lot=lot,
                max_distance_km=Decimal(int(rng.choice((20, 30, 50)))) if rng.random() < 0.2 else None,
                current_destination=_fate(
                    fate_rng,
                    key,
                    "open_burning" if key == "straw" and rng.random() < 0.5 else "landfill",
                    shape.fates,
                ),
                committed=(quantity * Decimal("0.1"))
                if rng.random() < 0.05 and period != "once"
                else Decimal(0),
            )
        )

    lat, lon = _sites(rng, shape.needs)
    groups = sorted(by_group)
    group_weight = np.array(
        [{"feed": 3, "compost": 3, "recycling": 2, "construction": 1.5, "piece": 1.5}[g] for g in groups]
    )
    group_weight /= group_weight.sum()
    needs = []
    for j in range(shape.needs):
        g = groups[int(rng.choice(len(groups), p=group_weight))]
        pool = by_group[g]
        if g == "piece":
            accepted = (pool[int(rng.integers(len(pool)))],)
        else:
            count = min(len(pool), int(rng.choice((1, 1, 2, 3))))
            accepted = tuple(sorted(rng.choice(pool, size=count, replace=False).tolist()))
        unit, period, median = offer_defaults[accepted[0]]
        if unit == "kg" or (unit == "m3" and len(accepted) > 1):
            unit = "t"
        quantity = _quantity(
            rng, median * 1.0 * (0.2 if unit == "t" and offer_defaults[accepted[0]][0] == "kg" else 1)
        )
        start, end = _window(rng, shape.horizon_start)
        lot = None
        if rng.random() < shape.min_lot_share:
            lot = (quantity * Decimal(str(round(rng.uniform(0.05, 0.3), 2)))).quantize(Decimal("1"))
            lot = lot if lot > 0 else None
        needs.append(
            NeedInput(
                id=j + 1,
                materials=accepted,
                lat=float(lat[j]),
                lon=float(lon[j]),
                quantity=quantity,
                unit=unit,
                period=period,
                available_from=start,
                available_until=end,
                min_lot=lot,
                max_distance_km=Decimal(int(rng.choice(RADII_KM[g]))),
            )
        )

    declined = set()
    for _ in range(int(shape.declined_share * shape.offers)):
        declined.add((int(rng.integers(1, shape.offers + 1)), int(rng.integers(1, shape.needs + 1))))

    return Problem(
        offers=tuple(offers),
        needs=tuple(needs),
        materials=specs,
        objective=objective,
        horizon_start=shape.horizon_start,
        declined_pairs=frozenset(declined),
    )
