"""``{{ value|qty:"t" }}`` and friends, available in every template (a builtin, see settings).

``qty`` takes the unit and, after a colon, the decimals: ``"t"`` up to 3 decimals,
``"t:1"`` exactly one, ``"km:-1"`` up to one, ``"piece"`` a count with its plural form.
"""

from __future__ import annotations

from django import template

from config.units import number_text, quantity_text, unit_name

register = template.Library()


@register.filter
def qty(value, spec: str = "t") -> str:
    """A quantity with its unit in the active language: ``{{ p.quantity|qty:p.unit }}``."""
    unit, _sep, decimals = str(spec).partition(":")
    return quantity_text(value, unit, decimals or "-3")


@register.filter
def num(value, decimals="-3") -> str:
    """A number alone, grouped by a space, in the active language's decimal separator."""
    return number_text(value, decimals)


@register.filter
def unit_label(unit: str) -> str:
    """The unit's short word alone: ``{{ p.unit|unit_label }}`` → ``т`` / ``шт.``."""
    return unit_name(str(unit))


@register.filter
def kg_as_t(value_kg, decimals="0") -> str:
    """A mass in kilograms shown in tonnes: ``{{ v.net_kg|kg_as_t }}`` → ``223 t``."""
    if value_kg is None or value_kg == "":
        return ""
    from decimal import Decimal

    return quantity_text(Decimal(str(value_kg)) / 1000, "t", decimals)
