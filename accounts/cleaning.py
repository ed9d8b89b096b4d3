"""The one pair of input cleaners every app's services share: :func:`clean_choice` and
:func:`clean_decimal`. A refusal is a :class:`~accounts.errors.DomainError` naming the field
(400 in the API, the field's error on a page).

It sits in accounts, the lowest layer, so the marketplace, matching and the monitor may all use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, overload

from django.utils.translation import gettext as _

from config.strict import parse_decimal

from .errors import invalid


def clean_choice(field: str, value: Any, choices: Iterable[str], *, default: str | None = None) -> str:
    """``value`` when it is one of ``choices``; else a 400 on ``field`` listing them.

    With a ``default`` (query parameters), the value is stripped first and a blank one is the default.
    """
    values = tuple(choices)
    if default is not None:
        value = "" if value is None else str(value).strip()
        if not value:
            return default
    if value not in values:
        shown = value[:40] if isinstance(value, str) else value
        raise invalid(
            field,
            _("Unknown value %(value)s; expected one of: %(choices)s.")
            % {"value": repr(shown), "choices": ", ".join(values)},
        )
    return str(value)


@overload
def clean_decimal(
    field: str,
    value: Any,
    *,
    maximum: Decimal | None = ...,
    step: Decimal | None = ...,
    required: Literal[True] = ...,
    positive: bool = ...,
) -> Decimal: ...


@overload
def clean_decimal(
    field: str,
    value: Any,
    *,
    maximum: Decimal | None = ...,
    step: Decimal | None = ...,
    required: bool,
    positive: bool = ...,
) -> Decimal | None: ...


def clean_decimal(
    field: str,
    value: Any,
    *,
    maximum: Decimal | None = None,
    step: Decimal | None = None,
    required: bool = True,
    positive: bool = True,
) -> Decimal | None:
    """A finite number written as digits (:func:`config.strict.parse_decimal`), by default
    greater than zero; at most ``maximum`` and rounded half up to ``step`` when they are given.

    A blank value is ``None`` when not ``required``. ``positive=False`` leaves the range to the caller.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(field, _("This field is required."))
        return None
    if isinstance(value, bool):
        raise invalid(field, _("A number is required."))
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite():
        raise invalid(field, _("A finite number is required."))
    if not positive:
        return number
    if number <= 0:
        raise invalid(field, _("Must be greater than zero."))
    if maximum is not None and number > maximum:
        raise invalid(field, _("Must be at most %(max)s.") % {"max": f"{maximum:,}"})
    if step is None:
        return number
    rounded = number.quantize(step, rounding=ROUND_HALF_UP)
    if rounded <= 0:
        raise invalid(field, _("Must be at least %(min)s.") % {"min": step})
    return rounded
