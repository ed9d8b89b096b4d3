"""One line a person understands, in their language, for a proposal or deal."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _


def _amount(quantity: Decimal, unit: str) -> str:
    if unit == "piece":
        return _("%(n)s pieces") % {"n": f"{int(quantity):,}".replace(",", " ")}
    text = f"{int(quantity):,}" if quantity == quantity.to_integral() else f"{quantity:,.1f}"
    return _("%(n)s t") % {"n": text.replace(",", " ")}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def explanation(obj, horizon_days: int = 365) -> str:
    """E.g. "150 t of spent grain from Tien Shan Brewery (Almaly district) to Talgar Dairy Farm
    (Talgar), 18 km; replaces barley feed; avoids 120 t CO₂e a year"."""
    offer, need = obj.offer, obj.need
    period = _("a year") if horizon_days == 365 else _("over %(d)d days") % {"d": horizon_days}
    net_t = (obj.net_kg / 1000).quantize(Decimal("0.1"))
    parts = [
        _("%(amount)s of %(material)s from %(supplier)s (%(from)s) to %(receiver)s (%(to)s), %(km)s km")
        % {
            "amount": _amount(obj.quantity, obj.unit),
            "material": _lower_first(obj.material.name),
            "supplier": offer.organisation.name,
            "from": offer.site.get_district_display(),
            "receiver": need.organisation.name,
            "to": need.site.get_district_display(),
            "km": obj.distance_km.quantize(Decimal("1")),
        }
    ]
    if obj.material.substituted_virgin_material:
        parts.append(
            _("replaces %(what)s") % {"what": _lower_first(obj.material.substituted_virgin_material[:80])}
        )
    if net_t >= 0:
        parts.append(_("avoids %(t)s t CO₂e %(period)s") % {"t": net_t, "period": period})
    else:
        parts.append(_("adds %(t)s t CO₂e %(period)s") % {"t": -net_t, "period": period})
    return "; ".join(parts)
