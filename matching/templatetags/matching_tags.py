from django import template
from django.utils.translation import gettext as _

from config.units import number_text, quantity_text
from matching.explain import explanation
from matching.flow_view import FlowView, flow_view_for, viewer_of
from matching.progress import progress_text

register = template.Library()


def _view(context, obj) -> FlowView:
    """The flow as the signed-in viewer may see it, cached per request and object."""
    request = context.get("request")
    cache = context.render_context.setdefault("qaita_flow_views", {})
    key = (type(obj).__name__, obj.pk)
    if key not in cache:
        cache[key] = flow_view_for(viewer_of(request), obj)
    return cache[key]


@register.simple_tag(takes_context=True)
def flow_view(context, obj) -> FlowView:
    """``{% flow_view p as v %}``: distance, t·km and impact as this viewer may see them."""
    return _view(context, obj)


@register.simple_tag(takes_context=True)
def explain(context, obj) -> str:
    """The one-line explanation of a proposal or deal, in the active language, for this viewer."""
    return explanation(obj, _view(context, obj))


@register.filter
def distance(view: FlowView) -> str:
    """``18.4 km`` when exact; ``≈ 18 km`` from the rounded site otherwise."""
    if view.exact:
        return quantity_text(view.distance_km, "km", "1")
    return _("≈ %(km)s km") % {"km": number_text(view.distance_km, "0")}


@register.filter
def in_unit(quantity, unit: str) -> str:
    """A quantity in its unit, in the active language: ``36 000 pieces``, ``12.5 t``."""
    if quantity is None:
        return ""
    return quantity_text(quantity, unit)


@register.filter
def run_text(message: str) -> str:
    """A run's stored progress or failure message, in the active language."""
    return progress_text(message or "")


@register.filter
def terms_line(message) -> str:
    """The thread's line for a terms revision entry, in the reader's language."""
    from matching.conversations import terms_summary

    return terms_summary(message.terms) if message.terms_id else ""


def _own_active_listings(context) -> tuple[list, list]:
    """The signed-in user's organisations' active offers and needs, read once per render."""
    cache = context.render_context
    if "qaita_own_listings" not in cache:
        from accounts.access import member_organisation_ids
        from marketplace.models import ListingStatus, Need, Offer

        request = context.get("request")
        user = getattr(request, "user", None)
        orgs = member_organisation_ids(user) if user is not None and user.is_authenticated else set()
        offers, needs = [], []
        if orgs:
            live = {"organisation_id__in": orgs, "status": ListingStatus.ACTIVE}
            offers = list(Offer.objects.filter(**live).select_related("material").order_by("id"))
            needs = list(Need.objects.filter(**live).prefetch_related("materials").order_by("id"))
        cache["qaita_own_listings"] = (offers, needs)
    return cache["qaita_own_listings"]


@register.inclusion_tag("matching/partials/ask_for_this.html", takes_context=True)
def ask_for_this(context, listing) -> dict:
    """ "Ask for this" on a listing page or search result, for a company with a fitting listing of
    its own (a need accepting the offer's material, or an offer of a material the need accepts):
    a small form choosing which of its listings."""
    from marketplace.models import Offer

    offers, needs = _own_active_listings(context)
    if isinstance(listing, Offer):
        kind = "offer"
        mine = [
            n
            for n in needs
            if n.organisation_id != listing.organisation_id
            and any(m.pk == listing.material_id for m in n.materials.all())
        ]
        labels = [(n.pk, ", ".join(m.name for m in n.materials.all())) for n in mine]
    else:
        kind = "need"
        accepted = {m.pk for m in listing.materials.all()}
        mine = [
            o for o in offers if o.organisation_id != listing.organisation_id and o.material_id in accepted
        ]
        labels = [(o.pk, o.material.name) for o in mine]
    request = context.get("request")
    return {
        "kind": kind,
        "listing": listing,
        "choices": labels,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
