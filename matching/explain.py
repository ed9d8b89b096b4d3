"""One line a person understands, in their language, for a proposal or deal.

A flow's quantity and impact are totals over its run's horizon. The line states them over the
period that fits the two listings:

- ``once`` when either listing is a one-off lot (the flow happens once);
- when both recur and are available throughout the horizon, per the longer of their periods
  ("a week", "a month", "a year"), i.e. the total scaled from the horizon to that period;
- otherwise the total over the horizon ("a year" for the usual 365 days, else "over N days").

Distances and the net come from :mod:`matching.flow_view` when a viewer is given, so a line
never states a distance more exactly than the viewer may know it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.units import number_text, quantity_text
from marketplace.units import KG_PER_TONNE

from .flow_view import FlowView

# Period lengths in days, as the horizon arithmetic counts them (SPEC §3).
PERIOD_DAYS = {"week": Decimal(7), "month": Decimal(365) / 12, "year": Decimal(365)}
DEFAULT_HORIZON_DAYS = 365


def amount_text(quantity: Decimal, unit: str) -> str:
    """``3 000 pieces`` (with the plural form of the active language) or ``1 500 t`` / ``12.5 t``."""
    return quantity_text(quantity, unit, "0" if unit == "piece" else "-1")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _run_of(obj):
    run = getattr(obj, "run", None)
    if run is None and getattr(obj, "proposal", None) is not None:
        run = obj.proposal.run
    return run


def _request_day(obj):
    """A direct request (no run) counts over a horizon from the day it was made."""
    proposal = getattr(obj, "proposal", None) or obj
    created = getattr(proposal, "created_at", None)
    return timezone.localtime(created).date() if created is not None else None


def _covers(listing, start, days: int) -> bool:
    end = start + timedelta(days=days - 1)
    return (listing.available_from is None or listing.available_from <= start) and (
        listing.available_until is None or listing.available_until >= end
    )


def _horizon_label(days: int) -> str:
    if days in (365, 366):
        return _("a year")
    if 28 <= days <= 31:
        return _("a month")
    if days == 7:
        return _("a week")
    return _("over %(d)d days") % {"d": days}


def flow_period(obj) -> tuple[str, Decimal]:
    """(the period words, the factor from the horizon's totals to that period)."""
    offer, need = obj.offer, obj.need
    run = _run_of(obj)
    days = run.horizon_days if run is not None else DEFAULT_HORIZON_DAYS
    if "once" in (offer.period, need.period):
        return _("once"), Decimal(1)
    start = run.horizon_start if run is not None else _request_day(obj)
    if start is not None and _covers(offer, start, days) and _covers(need, start, days):
        period = max((offer.period, need.period), key=lambda p: PERIOD_DAYS.get(p, Decimal(0)))
        if period in PERIOD_DAYS:
            label = {"week": _("a week"), "month": _("a month"), "year": _("a year")}[period]
            return label, PERIOD_DAYS[period] / days
    return _horizon_label(days), Decimal(1)


def _scaled_amount(quantity: Decimal, unit: str, scale: Decimal) -> Decimal:
    if scale == 1:
        return quantity
    if unit == "piece":
        return (quantity * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (quantity * scale).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


#: District labels by language, translated once per process and language (``get_FOO_display``
#: rebuilds and hashes the whole translated choice list on every call: milliseconds a row).
_DISTRICT_LABELS: dict[str | None, dict[str, str]] = {}


def district_label(district: str) -> str:
    """``Site.get_district_display()``, from a per-language table."""
    from accounts.models import District

    language = get_language()
    labels = _DISTRICT_LABELS.get(language)
    if labels is None:
        labels = _DISTRICT_LABELS[language] = {key: str(label) for key, label in District.choices}
    return labels.get(district, district)


def explanation(obj, view: FlowView | None = None) -> str:
    """E.g. "150 t of spent grain from Tien Shan Brewery (Almaly district) to Talgar Dairy Farm
    (Talgar), 18 km; replaces barley feed; avoids 120 t CO₂e a year"."""
    offer, need = obj.offer, obj.need
    period, scale = flow_period(obj)
    distance = view.distance_km if view is not None else obj.distance_km
    net_kg = view.net_kg if view is not None else obj.net_kg
    net_t = (net_kg * scale / KG_PER_TONNE).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    parts = [
        _("%(amount)s of %(material)s from %(supplier)s (%(from)s) to %(receiver)s (%(to)s), %(km)s km")
        % {
            "amount": amount_text(_scaled_amount(obj.quantity, obj.unit, scale), obj.unit),
            "material": _lower_first(obj.material.name),
            "supplier": offer.organisation.name,
            "from": district_label(offer.site.district),
            "receiver": need.organisation.name,
            "to": district_label(need.site.district),
            "km": distance.quantize(Decimal("1"), rounding=ROUND_HALF_UP),
        }
    ]
    if obj.material.substituted_virgin_material:
        parts.append(_("replaces %(what)s") % {"what": _lower_first(obj.material.substitute[:80])})
    if net_t >= 0:
        parts.append(_("avoids %(t)s t CO₂e %(period)s") % {"t": number_text(net_t, "-1"), "period": period})
    else:
        parts.append(_("adds %(t)s t CO₂e %(period)s") % {"t": number_text(-net_t, "-1"), "period": period})
    return "; ".join(parts)
