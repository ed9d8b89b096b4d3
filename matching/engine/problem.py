"""The engine's input and output types: frozen dataclasses, no behaviour beyond validation.

Quantities are :class:`decimal.Decimal` in the listing's own unit; the engine converts them to
whole base units (kilograms for bulk materials, pieces for piece materials) in
:mod:`matching.engine.horizon`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

OBJECTIVES = ("divert_then_distance", "net_climate")
UNIT_BASES = ("t", "m3", "piece")
UNITS = ("t", "kg", "m3", "piece")
PERIODS = ("once", "week", "month", "year")
#: a run's time buckets (issue 13): calendar months, ISO weeks, or one bucket (the aggregate model)
TIME_STEPS = ("month", "week", "none")
STORAGE_UNITS = ("t", "piece")
LANDFILL = "landfill"
OTHER_USE = "other_use"
#: an offer's current destination (SPEC §2); the engine needs to know which are waste
DESTINATIONS = ("landfill", "open_burning", "incineration", "other_use", "unknown")
#: destinations where the residue is lost as waste: moving it away *diverts* it (issue 10)
WASTE_BOUND = ("landfill", "open_burning", "incineration", "unknown")
#: destinations other than landfill that carry their own avoided-emission factor
BASELINE_FATES = ("open_burning", "incineration")
TIME_STEPS = ("month", "week", "none")


@dataclass(frozen=True)
class MaterialSpec:
    """A catalogue material with the factors the objectives need (kg CO2e per tonne).

    ``baseline_kg_per_t`` gives the avoided emissions per tonne for the fates of
    :data:`BASELINE_FATES` (``(("open_burning", Decimal("68")),)``); a fate without an entry
    avoids nothing, and so do ``unknown`` and ``other_use``, whatever the factor set says.
    """

    key: str
    unit_basis: str
    mass_per_piece_t: Decimal | None
    density_t_per_m3: Decimal | None
    landfill_kg_per_t: Decimal
    substitution_kg_per_t: Decimal
    treatment_kg_per_t: Decimal
    baseline_kg_per_t: tuple[tuple[str, Decimal], ...] = ()
    #: blending properties (issue 13): water % of wet mass, nitrogen % of dry matter, C:N ratio
    moisture_pct: Decimal | None = None
    nitrogen_pct_dry: Decimal | None = None
    c_to_n: Decimal | None = None
    #: the longest it may wait (days) at its source or in a yard; None = unlimited
    max_storage_days: int | None = None

    @property
    def is_piece(self) -> bool:
        return self.unit_basis == "piece"

    def baseline_for(self, destination: str) -> Decimal:
        """Avoided kg CO2e per tonne when the residue no longer goes to ``destination``.

        ``landfill`` uses the landfill factor, open burning and incineration their own factor
        (0 without one); ``unknown`` and ``other_use`` avoid nothing.
        """
        if destination == LANDFILL:
            return Decimal(self.landfill_kg_per_t)
        if destination in BASELINE_FATES:
            for name, value in self.baseline_kg_per_t:
                if name == destination:
                    return Decimal(value)
        return Decimal(0)

    def net_before_transport_per_t(self, destination: str) -> Decimal:
        """kg CO2e avoided per tonne moved, before transport (issue 10's arithmetic).

        baseline avoided + substitution − treatment, where supply already in other use earns no
        substitution (its current use already displaces virgin material). The engine's
        ``net_climate`` coefficient is this minus distance × the road-freight factor.
        """
        substitution = Decimal(0) if destination == OTHER_USE else Decimal(self.substitution_kg_per_t)
        return self.baseline_for(destination) + substitution - Decimal(self.treatment_kg_per_t)


@dataclass(frozen=True)
class OfferInput:
    """A residue offer. ``committed`` is already promised in agreed deals, in ``unit``.

    ``current_destination`` is one of :data:`DESTINATIONS`; the offer is *waste-bound* when it
    is one of :data:`WASTE_BOUND`.
    """

    id: int
    material: str
    lat: float
    lon: float
    quantity: Decimal
    unit: str
    period: str
    available_from: date | None
    available_until: date | None
    min_lot: Decimal | None
    max_distance_km: Decimal | None
    current_destination: str = LANDFILL
    committed: Decimal = Decimal(0)
    #: a caller's label (the supplying site's district): the solution's statistics split the
    #: waste-bound supply left in its fate by it (``left_kg_by_group``)
    group: str = ""


@dataclass(frozen=True)
class StorageInput:
    """A storage yard (issue 13): material may wait in it from one time bucket to a later one.

    ``capacity`` bounds the stock held at the end of every bucket, in tonnes (``unit='t'``, any
    accepted material by mass) or pieces (``unit='piece'``, piece materials only). Handling
    emissions count against ``net_climate`` per tonne entering the yard; the handling cost is
    informational (it is not part of any objective).

    ``booked`` is the stock already held in the yard by agreed deals and reserving proposals, in
    the yard's unit, as steps ``(date, stock)``: from that date on (until the next entry) the yard
    holds that much. A bucket's room is the capacity less the largest booked stock during it
    (never below 0); with the run's own buckets, an entry per bucket start is the stock held at
    the end of that bucket.
    """

    id: int
    materials: tuple[str, ...]
    lat: float
    lon: float
    capacity: Decimal
    unit: str
    available_from: date | None
    available_until: date | None
    handling_kg_co2e_per_t: Decimal = Decimal(0)
    handling_cost_kzt_per_t: Decimal = Decimal(0)
    owner: int | None = None
    booked: tuple[tuple[date, Decimal], ...] = ()


@dataclass(frozen=True)
class ShareBound:
    """Mass fraction bounds (0–1) of one material in what a blending need receives."""

    material: str
    min: Decimal
    max: Decimal


@dataclass(frozen=True)
class Recipe:
    """A blending need's bounds on the mix it receives over the horizon (wet-mass basis)."""

    shares: tuple[ShareBound, ...] = ()
    c_to_n: tuple[Decimal, Decimal] | None = None
    moisture_pct: tuple[Decimal, Decimal] | None = None

    @property
    def has_quality(self) -> bool:
        return self.c_to_n is not None or self.moisture_pct is not None


@dataclass(frozen=True)
class NeedInput:
    """A material need; bulk needs may accept several bulk materials, piece needs exactly one."""

    id: int
    materials: tuple[str, ...]
    lat: float
    lon: float
    quantity: Decimal
    unit: str
    period: str
    available_from: date | None
    available_until: date | None
    min_lot: Decimal | None
    max_distance_km: Decimal
    committed: Decimal = Decimal(0)
    recipe: Recipe | None = None


@dataclass(frozen=True)
class Problem:
    """One optimisation: listings, the materials they use and the run's parameters.

    Everything after ``materials`` is keyword-only, because ``horizon_start`` has no default.
    """

    offers: tuple[OfferInput, ...]
    needs: tuple[NeedInput, ...]
    materials: tuple[MaterialSpec, ...]
    objective: str = field(default="divert_then_distance", kw_only=True)
    horizon_start: date = field(kw_only=True)
    horizon_days: int = field(default=365, kw_only=True)
    circuity: float = field(default=1.3, kw_only=True)
    declined_pairs: frozenset[tuple[int, int]] = field(default=frozenset(), kw_only=True)
    road_freight_kg_per_tkm: Decimal = field(default=Decimal("0.10163"), kw_only=True)
    time_limit_s: float = field(default=60.0, kw_only=True)
    #: one of :data:`TIME_STEPS`; ``none`` is the aggregate model (yards are then ignored)
    time_step: str = field(default="none", kw_only=True)
    storages: tuple[StorageInput, ...] = field(default=(), kw_only=True)
    #: (offer id, need id, storage id) that a yard's owner declined: never through that yard
    #: again (a pair in ``declined_pairs`` goes neither direct nor through any yard)
    declined_storage_triples: frozenset[tuple[int, int, int]] = field(default=frozenset(), kw_only=True)


@dataclass(frozen=True)
class Flow:
    """A proposed flow. ``quantity`` is in base units: ``unit`` is ``'kg'`` or ``'piece'``."""

    offer_id: int
    need_id: int
    material: str
    quantity: int
    unit: str
    mass_kg: int
    distance_km: float
    #: (period start, quantity delivered to the need in that bucket), summing to ``quantity``;
    #: empty when the run's time step is ``none``
    schedule: tuple[tuple[date, int], ...] = ()
    #: the yard the flow waits in, with (period start, quantity entering the yard) and both legs
    via_storage: int | None = None
    storage_schedule: tuple[tuple[date, int], ...] = ()
    legs_km: tuple[float, float] | None = None


@dataclass(frozen=True)
class Solution:
    """The engine's answer.

    Masses (kg) split the eligible supply by the offers' current destination:

    * ``supply_kg``: all eligible supply within the horizon, waste-bound or not;
    * ``waste_kg``: the waste-bound part of it (landfill, open burning, incineration, unknown);
    * ``diverted_kg``: waste-bound mass moved to a need; ``landfilled_kg``: waste-bound mass
      left in its fate, so ``diverted_kg + landfilled_kg == waste_kg``;
    * ``other_moved_kg``: mass moved from offers already in other use.

    ``stats`` also splits the waste-bound supply and what is left of it in its fate by material
    and by the offers' ``group``: ``waste_kg_by_material``, ``left_kg_by_material``,
    ``waste_kg_by_group``, ``left_kg_by_group`` (kg; each offer rounded once, as above).

    ``bound`` bounds the primary objective from above: diverted (waste-bound) kg for
    ``divert_then_distance``, net avoided kg CO2e for ``net_climate``. It equals the achieved
    value when ``proven_optimal`` is true. Masses of piece flows are pieces × mass per piece
    rounded to the nearest kilogram per offer, so the identities above hold exactly, while the
    flows' ``mass_kg`` may differ from them by that rounding.
    """

    flows: tuple[Flow, ...]
    objective: str
    proven_optimal: bool
    bound: float | None
    supply_kg: int
    waste_kg: int
    diverted_kg: int
    landfilled_kg: int
    other_moved_kg: int
    tkm: float
    net_co2e_kg: float
    stats: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
