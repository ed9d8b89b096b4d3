"""Quantities with their unit, in the reader's language: ``3 000 pieces``, ``3 000 штук``, ``12,5 т``.

One place writes a number with its unit, so every page, proposal sentence, e-mail and printed
act says it the same way: the number in the active language's decimal separator, thousands
grouped by a space (SI style, in every language: a group never looks like a decimal point), and
the unit's word from the catalogue, with the plural form the count asks for (Russian has three,
Kazakh two). Units: ``t`` (tonnes), ``kg``, ``km``, ``piece``, ``tkm`` (tonne-kilometres) and
``t_co2e`` (tonnes of CO₂e).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext, ngettext, pgettext

#: Thousands separator of every language: a plain space (``36 000``), as the sentences use.
GROUP_SEPARATOR = " "


def number_text(value: object, decimals: int | str = "-3") -> str:
    """``value`` in the active language: ``"-3"`` up to 3 decimals (trailing zeros dropped),
    ``1`` exactly one decimal, ``0`` none. Thousands grouped by a space."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    spec = str(decimals)
    places = int(spec.lstrip("-") or 0)
    number = number.quantize(Decimal(1).scaleb(-places))
    if spec.startswith("-"):
        number = number.normalize()
        exponent = number.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    if number == 0:
        number = abs(number)  # no "-0"
    return numberformat.format(
        number,
        decimal_sep=get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=3,
        thousand_sep=GROUP_SEPARATOR,
        force_grouping=True,
    )


def _count(number: Decimal) -> int:
    """The count the plural form is chosen by: a whole number as it is; a fraction takes the
    form of "2" (ru "2,5 штуки", en/kk plural)."""
    return int(number) if number == number.to_integral() else 2


def quantity_text(value: object, unit: str, decimals: int | str = "-3") -> str:
    """``value`` ``unit`` in words of the active language, e.g. ``1 200 pieces``, ``12,5 т``."""
    if value is None or value == "":
        return ""
    text = number_text(value, decimals)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return f"{value} {unit}"
    if unit == "piece":
        return ngettext("%(n)s piece", "%(n)s pieces", _count(number)) % {"n": text}
    if unit == "t":
        return gettext("%(n)s t") % {"n": text}
    if unit == "kg":
        return gettext("%(n)s kg") % {"n": text}
    if unit == "km":
        return gettext("%(km)s km") % {"km": text}
    if unit == "tkm":
        return gettext("%(n)s t·km") % {"n": text}
    if unit == "t_co2e":
        return gettext("%(n)s t CO₂e") % {"n": text}
    if unit == "kg_co2e":
        return gettext("%(n)s kg CO₂e") % {"n": text}
    return f"{text} {unit}"


def unit_name(unit: str) -> str:
    """The unit's short word alone (a column heading, a field label): ``t``, ``шт.``, ``км``."""
    names = {
        "t": pgettext("unit", "t"),
        "kg": pgettext("unit", "kg"),
        "km": pgettext("unit", "km"),
        "piece": pgettext("unit", "pcs"),
        "tkm": pgettext("unit", "t·km"),
    }
    return names.get(unit, unit)
