from django.conf import settings


def maps(request):
    """Tile server and attribution for every page with a map (a setting, never hard-coded)."""
    return {"maps": {"tile_url": settings.MAP_TILE_URL, "attribution": settings.MAP_ATTRIBUTION}}


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
