"""Context every page shares. Config sits at the top of the layers, so the navigation badges
that count matching's work live here, not in accounts (which may import no app above it)."""

from django.conf import settings

from accounts import access
from marketplace.geo import map_settings


def maps(request):
    """Tile server and attribution for every page with a map (a setting, never hard-coded)."""
    return {"maps": map_settings()}


def navigation(request):
    """Whether the user speaks for the municipality, and the badges of the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_authority": False, "action_count": 0, "unread_messages": 0}
    from matching.conversations import unread_count
    from matching.notifications_feed import action_count

    return {
        "is_authority": access.is_authority(user),
        "action_count": action_count(user),
        "unread_messages": unread_count(user=user),
    }


def l10n(request):
    """Words the page's scripts show (map controls, chart legends and tooltips), in the page's
    language; base.html hands them over as ``json_script`` "qaita-l10n" (``static/js/l10n.js``)."""
    from django.utils import translation
    from django.utils.formats import get_format
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "qaita_l10n": {
            "locale": language,
            "decimal": get_format("DECIMAL_SEPARATOR"),
            "map": {
                "zoom_in": _("Zoom in"),
                "zoom_out": _("Zoom out"),
                "leaflet_title": _("A JavaScript library for interactive maps"),
                "new_site": _("New site"),
            },
            "units": {
                "t": pgettext("unit", "t"),
                "kg": pgettext("unit", "kg"),
                "km": pgettext("unit", "km"),
                "t_co2e": _("t CO₂e"),
                "piece": pgettext("unit", "pcs"),
            },
        }
    }
