"""Avoided-emission arithmetic of SPEC §4, in ``Decimal`` and free of Django.

For mass m (t) and road distance d (km) of one flow whose residue today goes to its *fate*
(the offer's current destination: ``landfill``, ``open_burning``, ``incineration``,
``unknown`` or ``other_use``):

- baseline avoided     = m × the fate's factor: the landfill factor for ``landfill``, the
  open-burning or incineration factor of the set for those fates (zero when the set gives
  none for the material), and zero for ``unknown`` and ``other_use``
- landfill avoided     = the baseline avoided when the fate is landfill, else zero (kept as its
  own figure so that reports can still say how much landfill methane was avoided)
- substitution avoided = m × substitution factor (virgin material displaced); zero for
  ``other_use``, whose current use already displaces virgin material
- treatment            = m × treatment factor
- transport            = m × d × road-freight factor
- storage              = m × the storage yard's handling factor (kg CO2e per tonne entering
  the yard) for a flow through a yard; zero for a direct flow
- net                  = baseline avoided + substitution avoided − treatment − transport − storage

Every component is quantised to :data:`IMPACT_QUANTUM` kg with :data:`IMPACT_ROUNDING`, and the
net is the sum of the quantised components, so a stored impact can be recomputed from its
inputs and factor-set version exactly, digit for digit.

Factor sets published before fate baselines existed record :data:`IMPACT_METHOD` 1, under which
supply already in other use still earned the substitution credit; their stored impacts
recompute with that rule (:attr:`FlowFactors.impact_method`), every newer set with method 2.

The module also carries the IPCC 2006 Tier 1 methane-commitment formula that the landfill
factors of the factor set were derived from, so they can be checked against their stated DOC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any

from marketplace.units import KG_PER_TONNE, UNITS

__all__ = [
    "BASELINE_DESTINATIONS",
    "DESTINATIONS",
    "IMPACT_METHOD",
    "IMPACT_METHODS",
    "IMPACT_QUANTUM",
    "IMPACT_ROUNDING",
    "MIXED_BASELINE",
    "UNITS",
    "WASTE_BOUND_DESTINATIONS",
    "FlowFactors",
    "Impact",
    "flow_impact",
    "landfill_co2e_t",
    "landfill_methane_t",
    "to_tonnes",
]

# Stored impacts carry three decimals of a kilogram; change this only with a data migration,
# since recomputing an old proposal must give the digits it was stored with.
IMPACT_QUANTUM = Decimal("0.001")
IMPACT_ROUNDING = ROUND_HALF_EVEN

DESTINATIONS = ("landfill", "open_burning", "incineration", "other_use", "unknown")
# Supply that would otherwise end as waste; ``other_use`` supply already has an outlet.
WASTE_BOUND_DESTINATIONS = ("landfill", "open_burning", "incineration", "unknown")
# Fates whose avoided emissions come from FlowFactors.baseline_kg_per_t, not the material's
# landfill factor. ``unknown`` and ``other_use`` avoid nothing at the fate, whatever a set says.
BASELINE_DESTINATIONS = ("open_burning", "incineration")
# The ``baseline`` of a sum of impacts whose flows had different fates.
MIXED_BASELINE = "mixed"
# 1: before fate baselines (other use still earned substitution); 2: the rules above.
IMPACT_METHODS = (1, 2)
IMPACT_METHOD = 2

# A fixed context makes results independent of whatever decimal context the calling thread
# (a Django request, a Celery worker, a test) happens to have set; traps turn silent NaN or
# infinity into exceptions.
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
_ZERO = Decimal(0)
_ONE = Decimal(1)
# Molar masses: each tonne of degraded carbon leaves as 16/12 t of methane.
_CH4_MOLAR_MASS = Decimal(16)
_C_MOLAR_MASS = Decimal(12)


def _decimal(name: str, value: Any) -> Decimal:
    """Accept ``Decimal`` or ``int``; refuse floats, whose binary rounding breaks exactness."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number, got {result}")
    return result


def _non_negative(name: str, value: Any) -> Decimal:
    result = _decimal(name, value)
    if result < 0:
        raise ValueError(f"{name} must not be negative, got {result}")
    return result


def _fraction(name: str, value: Any) -> Decimal:
    result = _non_negative(name, value)
    if result > 1:
        raise ValueError(f"{name} must be between 0 and 1, got {result}")
    return result


def _quantise(value: Decimal) -> Decimal:
    return value.quantize(IMPACT_QUANTUM, rounding=IMPACT_ROUNDING, context=_CONTEXT)


def to_tonnes(
    quantity: Decimal,
    unit: str,
    *,
    mass_per_piece_t: Decimal | None = None,
    density_t_per_m3: Decimal | None = None,
) -> Decimal:
    """Convert a quantity in ``t``, ``kg``, ``m3`` or ``piece`` to tonnes, exactly.

    ``m3`` needs ``density_t_per_m3`` and ``piece`` needs ``mass_per_piece_t``; a piece count
    must be whole. Conversions that the unit does not use are ignored, so a caller may pass
    both of a material's conversions. Raises ``ValueError`` for an unknown unit, a missing or
    non-positive conversion, or a negative quantity.
    """
    amount = _non_negative("quantity", quantity)
    with localcontext(_CONTEXT):
        if unit == "t":
            return amount
        if unit == "kg":
            return amount / KG_PER_TONNE
        if unit == "m3":
            if density_t_per_m3 is None:
                raise ValueError("a quantity in m3 needs density_t_per_m3 to become tonnes")
            density = _decimal("density_t_per_m3", density_t_per_m3)
            if density <= 0:
                raise ValueError(f"density_t_per_m3 must be positive, got {density}")
            return amount * density
        if unit == "piece":
            if mass_per_piece_t is None:
                raise ValueError("a quantity in pieces needs mass_per_piece_t to become tonnes")
            mass = _decimal("mass_per_piece_t", mass_per_piece_t)
            if mass <= 0:
                raise ValueError(f"mass_per_piece_t must be positive, got {mass}")
            if amount != amount.to_integral_value():
                raise ValueError(f"a piece count must be whole, got {amount}")
            return amount * mass
    raise ValueError(f"unknown unit {unit!r} (expected one of {UNITS})")


@dataclass(frozen=True)
class FlowFactors:
    """The factors one flow needs: per tonne of material, and per tonne-km for road freight.

    ``landfill_kg_per_t`` may be ``None`` for a material that is never landfilled (whey);
    it then counts as zero. ``baseline_kg_per_t`` gives avoided kg CO2e per tonne for the fates
    of :data:`BASELINE_DESTINATIONS` (open burning, incineration); pass a mapping or
    ``(destination, factor)`` pairs, leaving out a fate the set has no factor for. It is stored
    as sorted pairs so that the object stays hashable and compares by value.
    ``impact_method`` is the factor set's :data:`IMPACT_METHOD` (see the module docstring).
    """

    landfill_kg_per_t: Decimal | None
    substitution_kg_per_t: Decimal
    treatment_kg_per_t: Decimal
    road_freight_kg_per_tkm: Decimal
    baseline_kg_per_t: tuple[tuple[str, Decimal], ...] = field(default=())
    impact_method: int = IMPACT_METHOD

    def __post_init__(self) -> None:
        if self.impact_method not in IMPACT_METHODS or isinstance(self.impact_method, bool):
            raise ValueError(f"impact_method must be one of {IMPACT_METHODS}, got {self.impact_method!r}")
        for name in ("substitution_kg_per_t", "treatment_kg_per_t", "road_freight_kg_per_tkm"):
            object.__setattr__(self, name, _non_negative(name, getattr(self, name)))
        if self.landfill_kg_per_t is not None:
            landfill = _non_negative("landfill_kg_per_t", self.landfill_kg_per_t)
            object.__setattr__(self, "landfill_kg_per_t", landfill)
        raw = self.baseline_kg_per_t
        pairs = list(raw.items()) if isinstance(raw, Mapping) else list(raw)
        baselines: dict[str, Decimal] = {}
        for destination, factor in pairs:
            if destination not in BASELINE_DESTINATIONS:
                # Landfill has its own field: two landfill factors could disagree silently; and
                # an unknown fate or supply already in use avoids nothing at its fate.
                raise ValueError(
                    f"baseline destination {destination!r} must be one of {BASELINE_DESTINATIONS}"
                )
            if destination in baselines:
                raise ValueError(f"baseline destination {destination!r} given twice")
            baselines[destination] = _non_negative(f"baseline factor for {destination}", factor)
        object.__setattr__(self, "baseline_kg_per_t", tuple(sorted(baselines.items())))

    def avoided_kg_per_t(self, current_destination: str) -> Decimal:
        """Avoided kg CO2e per tonne for a residue that today goes to ``current_destination``.

        Landfill uses the landfill factor; open burning and incineration use their own baseline
        factor or zero, never the landfill factor: diverting straw that is burnt in the field
        does not avoid landfill methane. ``unknown`` and ``other_use`` avoid nothing.
        """
        _check_destination(current_destination)
        if current_destination == "landfill":
            return self.landfill_kg_per_t if self.landfill_kg_per_t is not None else _ZERO
        return dict(self.baseline_kg_per_t).get(current_destination, _ZERO)

    def substitution_kg_per_t_for(self, current_destination: str) -> Decimal:
        """Substitution credit per tonne: none for supply already in other use (method 2)."""
        _check_destination(current_destination)
        if current_destination == "other_use" and self.impact_method >= 2:
            return _ZERO
        return self.substitution_kg_per_t


def _check_destination(destination: str) -> None:
    if destination not in DESTINATIONS:
        raise ValueError(f"unknown current destination {destination!r} (expected one of {DESTINATIONS})")


_NUMBER_FIELDS = (
    "baseline_avoided_kg",
    "landfill_avoided_kg",
    "substitution_avoided_kg",
    "treatment_kg",
    "transport_kg",
    "storage_kg",
    "net_kg",
)


@dataclass(frozen=True)
class Impact:
    """kg CO2e of one flow (or a sum of flows), each quantised to :data:`IMPACT_QUANTUM`.

    ``baseline`` is the flow's fate (its current destination); a sum of flows with different
    fates has :data:`MIXED_BASELINE`, and :meth:`zero` has ``None``. ``baseline_avoided_kg`` is
    the avoided emission of that fate and ``landfill_avoided_kg`` the part of it that is landfill
    methane. ``storage_kg`` is the handling at a storage yard (0 for a direct flow). The
    constructor checks that ``net_kg`` equals baseline avoided + substitution − treatment −
    transport − storage and that the landfill part agrees with the fate, so a stored row that
    was edited by hand cannot pass as an impact.
    """

    baseline: str | None
    baseline_avoided_kg: Decimal
    landfill_avoided_kg: Decimal
    substitution_avoided_kg: Decimal
    treatment_kg: Decimal
    transport_kg: Decimal
    storage_kg: Decimal
    net_kg: Decimal

    def __post_init__(self) -> None:
        for name in _NUMBER_FIELDS:
            object.__setattr__(self, name, _decimal(name, getattr(self, name)))
        if self.baseline is not None and self.baseline not in (*DESTINATIONS, MIXED_BASELINE):
            raise ValueError(f"unknown baseline {self.baseline!r} (expected one of {DESTINATIONS})")
        with localcontext(_CONTEXT):
            expected = (
                self.baseline_avoided_kg
                + self.substitution_avoided_kg
                - self.treatment_kg
                - self.transport_kg
                - self.storage_kg
            )
        if expected != self.net_kg:
            raise ValueError(f"net_kg {self.net_kg} is not the sum of its components ({expected})")
        if self.baseline == "landfill" and self.landfill_avoided_kg != self.baseline_avoided_kg:
            raise ValueError(
                "landfill_avoided_kg must equal baseline_avoided_kg when the baseline is landfill"
            )
        if self.baseline in BASELINE_DESTINATIONS + ("other_use", "unknown") and self.landfill_avoided_kg:
            raise ValueError(f"landfill_avoided_kg must be 0 when the baseline is {self.baseline}")
        if self.baseline in ("other_use", "unknown") and self.baseline_avoided_kg:
            raise ValueError(f"baseline_avoided_kg must be 0 when the baseline is {self.baseline}")

    @classmethod
    def zero(cls) -> Impact:
        """The impact of no flow at all; the start value for a sum."""
        return cls(None, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Impact:
        """Rebuild an impact from :meth:`as_dict` output (values as Decimal, int or str).

        A dict stored before storage handling was counted has no ``storage_kg``: it is 0."""
        return cls(
            baseline=data.get("baseline"),
            **{
                name: Decimal(str(data.get(name, 0) if name == "storage_kg" else data[name]))
                for name in _NUMBER_FIELDS
            },
        )

    def as_dict(self) -> dict[str, Any]:
        """``baseline`` and the seven figures by their API and model field names (SPEC §5 ``impact``)."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def __add__(self, other: object) -> Impact:
        if not isinstance(other, Impact):
            return NotImplemented
        if self.baseline is None or self.baseline == other.baseline:
            baseline = other.baseline
        elif other.baseline is None:
            baseline = self.baseline
        else:
            baseline = MIXED_BASELINE
        # Sums of values on the quantum grid stay on it, so no rounding happens here.
        with localcontext(_CONTEXT):
            sums = {name: getattr(self, name) + getattr(other, name) for name in _NUMBER_FIELDS}
        return Impact(baseline=baseline, **sums)

    def __radd__(self, other: object) -> Impact:
        # Lets the built-in sum() start from its default 0.
        if other == 0 and not isinstance(other, bool):
            return self
        return NotImplemented


def flow_impact(
    *,
    mass_t: Decimal,
    distance_km: Decimal,
    current_destination: str,
    factors: FlowFactors,
    handling_kg_co2e_per_t: Decimal | None = None,
) -> Impact:
    """Avoided emissions of moving ``mass_t`` tonnes over ``distance_km`` road km (SPEC §4),
    away from ``current_destination`` (the flow's fate and so its ``baseline``).
    ``handling_kg_co2e_per_t`` is the storage yard's handling factor for a flow through a yard
    (every tonne of it enters the yard); ``None`` — a direct flow, or a yard without a factor —
    counts 0.

    Each component is quantised once, from the full-precision product, and the net is the sum
    of the quantised components.
    """
    mass = _non_negative("mass_t", mass_t)
    distance = _non_negative("distance_km", distance_km)
    handling = _non_negative("handling_kg_co2e_per_t", handling_kg_co2e_per_t or _ZERO)
    avoided_per_t = factors.avoided_kg_per_t(current_destination)
    substitution_per_t = factors.substitution_kg_per_t_for(current_destination)
    with localcontext(_CONTEXT):
        baseline = _quantise(mass * avoided_per_t)
        substitution = _quantise(mass * substitution_per_t)
        treatment = _quantise(mass * factors.treatment_kg_per_t)
        transport = _quantise(mass * distance * factors.road_freight_kg_per_tkm)
        storage = _quantise(mass * handling)
        net = baseline + substitution - treatment - transport - storage
    return Impact(
        baseline=current_destination,
        baseline_avoided_kg=baseline,
        landfill_avoided_kg=baseline if current_destination == "landfill" else _ZERO,
        substitution_avoided_kg=substitution,
        treatment_kg=treatment,
        transport_kg=transport,
        storage_kg=storage,
        net_kg=net,
    )


def landfill_methane_t(
    mass_t: Decimal,
    doc: Decimal,
    *,
    docf: Decimal = Decimal("0.5"),
    mcf: Decimal = Decimal("1.0"),
    f: Decimal = Decimal("0.5"),
    ox: Decimal = Decimal("0"),
) -> Decimal:
    """Tonnes of CH4 that ``mass_t`` tonnes of landfilled waste will emit (IPCC 2006 Tier 1).

    Methane commitment of IPCC 2006 Guidelines Vol. 5 ch. 3:
    mass × DOC × DOCf × MCF × F × 16/12 × (1 − OX). ``doc`` is degradable organic carbon as a
    fraction of wet weight; the defaults describe an uncontrolled landfill without gas capture
    or oxidation, as in the Almaty study. The result is not quantised.
    """
    mass = _non_negative("mass_t", mass_t)
    parameters = [
        _fraction(name, value) for name, value in (("doc", doc), ("docf", docf), ("mcf", mcf), ("f", f))
    ]
    not_oxidised = _ONE - _fraction("ox", ox)
    with localcontext(_CONTEXT):
        carbon = mass
        for value in parameters:
            carbon *= value
        # Divide last so every exact product stays exact until the single unavoidable 4/3.
        return carbon * _CH4_MOLAR_MASS * not_oxidised / _C_MOLAR_MASS


def landfill_co2e_t(
    mass_t: Decimal,
    doc: Decimal,
    *,
    gwp_ch4: Decimal,
    docf: Decimal = Decimal("0.5"),
    mcf: Decimal = Decimal("1.0"),
    f: Decimal = Decimal("0.5"),
    ox: Decimal = Decimal("0"),
) -> Decimal:
    """Tonnes of CO2e of :func:`landfill_methane_t` at the given GWP100 of methane.

    ``gwp_ch4`` has no default on purpose: the basis (AR4 25, AR5 28, ...) must be chosen and
    recorded by the caller, normally from the active factor set.
    """
    gwp = _decimal("gwp_ch4", gwp_ch4)
    if gwp <= 0:
        raise ValueError(f"gwp_ch4 must be positive, got {gwp}")
    methane = landfill_methane_t(mass_t, doc, docf=docf, mcf=mcf, f=f, ox=ox)
    with localcontext(_CONTEXT):
        return methane * gwp
