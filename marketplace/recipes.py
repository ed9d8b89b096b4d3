"""A need's recipe (issue 13): the blend it can use, checked before anything is written.

``{"shares": [{"material": key, "min": 0-1, "max": 0-1}], "c_to_n": [lo, hi],
"moisture_pct": [lo, hi]}``; every part optional. Shares are mass fractions of what the need
receives; the quality ranges bound the received mix (wet mass basis) and need the moisture,
nitrogen and C:N of every accepted material (``material-properties.csv``). The cleaned recipe is
stored with decimals as strings, so it reads back exactly as it was validated.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import invalid
from config.strict import parse_decimal

from .models import Material

RECIPE_KEYS = ("shares", "c_to_n", "moisture_pct")
SHARE_KEYS = ("material", "min", "max")
SHARE_STEP = Decimal("0.0001")
QUALITY_STEP = Decimal("0.01")
#: the study's preferred compost: C:N 25-30, moisture 50-60 %
COMPOST_PRESET: dict[str, Any] = {"c_to_n": ["25", "30"], "moisture_pct": ["50", "60"]}
MAX_C_TO_N = Decimal(10000)


def _number(name: str, value: Any) -> Decimal:
    message = _("%(name)s: a finite number is required.") % {"name": name}
    if value is None or isinstance(value, (bool, list, dict)):
        raise invalid("recipe", message)
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("recipe", message) from None
    if not number.is_finite() or abs(number) > MAX_C_TO_N * 100:
        raise invalid("recipe", message)
    return number


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _clean_range(name: str, value: Any, *, low: Decimal, high: Decimal, strict_low: bool) -> list[str]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise invalid(
            "recipe", _("%(name)s: a range [low, high] of two numbers is required.") % {"name": name}
        )
    lo, hi = (_number(name, v).quantize(QUALITY_STEP) for v in value)
    if lo > hi:
        raise invalid("recipe", _("%(name)s: the low end is above the high end.") % {"name": name})
    if lo < low or (strict_low and lo <= low) or hi > high:
        raise invalid(
            "recipe",
            _("%(name)s: the range must lie within %(low)s–%(high)s.")
            % {"name": name, "low": _text(low), "high": _text(high)},
        )
    return [_text(lo), _text(hi)]


def _clean_shares(value: Any, materials: list[Material]) -> list[dict[str, str]]:
    if not isinstance(value, (list, tuple)):
        raise invalid("recipe", _("Shares must be a list of {material, min, max}."))
    keys = {m.key for m in materials}
    shares: list[dict[str, str]] = []
    seen: set[str] = set()
    total_min = Decimal(0)
    total_max = Decimal(0)
    for item in value:
        if not isinstance(item, dict) or set(item) - set(SHARE_KEYS) or "material" not in item:
            raise invalid("recipe", _("Each share is {material, min, max}."))
        key = item["material"]
        if not isinstance(key, str) or key not in keys:
            raise invalid(
                "recipe",
                _("The share's material %(key)s is not among the need's materials.")
                % {"key": repr(key)[:70]},
            )
        if key in seen:
            raise invalid("recipe", _("Material %(key)s has two shares.") % {"key": key})
        seen.add(key)
        low = _number("min", item.get("min", 0)).quantize(SHARE_STEP)
        high = _number("max", item.get("max", 1)).quantize(SHARE_STEP)
        if not (Decimal(0) <= low <= high <= Decimal(1)):
            raise invalid("recipe", _("A share needs 0 ≤ min ≤ max ≤ 1 (%(key)s).") % {"key": key})
        total_min += low
        total_max += high
        shares.append({"material": key, "min": _text(low), "max": _text(high)})
    if total_min > 1:
        raise invalid("recipe", _("The shares' minimums add up to more than 1."))
    if seen == keys and total_max < 1:
        raise invalid("recipe", _("The shares' maximums add up to less than 1: no mix can satisfy them."))
    return shares


def clean_recipe(value: Any, materials: list[Material]) -> dict[str, Any] | None:
    """The cleaned recipe of a need accepting ``materials``, or ``None`` for no recipe."""
    if value is None or value == {} or value == "":
        return None
    if not isinstance(value, dict):
        raise invalid("recipe", _("A recipe is an object with shares, c_to_n and moisture_pct."))
    unknown = sorted(set(value) - set(RECIPE_KEYS))
    if unknown:
        raise invalid("recipe", _("Unknown recipe field %(name)s.") % {"name": repr(unknown[0])[:70]})
    if any(m.is_piece for m in materials):
        raise invalid("recipe", _("A recipe blends bulk materials; a need counted in pieces has none."))
    cleaned: dict[str, Any] = {}
    if value.get("shares") not in (None, []):
        cleaned["shares"] = _clean_shares(value["shares"], materials)
    if value.get("c_to_n") is not None:
        cleaned["c_to_n"] = _clean_range(
            "c_to_n", value["c_to_n"], low=Decimal(0), high=MAX_C_TO_N, strict_low=True
        )
    if value.get("moisture_pct") is not None:
        cleaned["moisture_pct"] = _clean_range(
            "moisture_pct", value["moisture_pct"], low=Decimal(0), high=Decimal(100), strict_low=False
        )
    if "c_to_n" in cleaned or "moisture_pct" in cleaned:
        missing = [m.key for m in materials if not m.has_blend_properties]
        if missing:
            raise invalid(
                "recipe",
                _("A quality range needs the moisture, nitrogen and C:N of every material; %(key)s has none.")
                % {"key": missing[0]},
            )
    return cleaned or None
