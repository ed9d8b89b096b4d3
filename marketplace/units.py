"""Units of a listed quantity, and the one conversion between them and tonnes (pure: no Django).

:data:`KG_PER_TONNE` is the Django side's one kilograms-per-tonne factor (the engine keeps its
own, ``matching.engine.scaling.KG_PER_TONNE``, and a test holds the two equal). The unit codes
are those of ``marketplace.models.Unit`` and of the engine's ``UNITS`` (tests/marketplace/
test_vocabulary.py checks that they agree).
"""

from __future__ import annotations

from decimal import Decimal

TONNE = "t"
KILOGRAM = "kg"
CUBIC_METRE = "m3"
PIECE = "piece"
UNITS = (TONNE, KILOGRAM, CUBIC_METRE, PIECE)

#: An int, like the engine's: ``Decimal / int`` and ``float / int`` both stay exact as they were.
KG_PER_TONNE = 1000


def kg_to_tonnes(kg: Decimal | int) -> Decimal:
    """Kilograms (of material or of CO2e) in tonnes."""
    return Decimal(kg) / KG_PER_TONNE


def tonnes_to_kg(tonnes: Decimal | int) -> Decimal:
    return Decimal(tonnes) * KG_PER_TONNE


def quantity_in_tonnes(
    quantity: Decimal,
    unit: str,
    *,
    mass_per_piece_t: Decimal | None = None,
    density_t_per_m3: Decimal | None = None,
) -> Decimal | None:
    """The mass of ``quantity`` ``unit`` in tonnes; ``None`` when the conversion it needs (the
    material's density for m³, its mass per piece for pieces) is missing, or the unit is unknown."""
    if unit == TONNE:
        return quantity
    if unit == KILOGRAM:
        return quantity / KG_PER_TONNE
    if unit == CUBIC_METRE:
        return quantity * density_t_per_m3 if density_t_per_m3 else None
    if unit == PIECE:
        return quantity * mass_per_piece_t if mass_per_piece_t else None
    return None


def tonnes_in_unit(mass_t: Decimal, unit: str, *, density_t_per_m3: Decimal | None = None) -> Decimal | None:
    """``mass_t`` tonnes expressed in a mass or volume ``unit``; ``None`` for pieces (counted,
    not weighed) and for m³ without a density."""
    if unit == TONNE:
        return mass_t
    if unit == KILOGRAM:
        return mass_t * KG_PER_TONNE
    if unit == CUBIC_METRE and density_t_per_m3:
        return mass_t / density_t_per_m3
    return None
