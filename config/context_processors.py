from django.conf import settings


def maps(request):
    """Tile server and attribution for every page with a map (a setting, never hard-coded)."""
    return {"maps": {"tile_url": settings.MAP_TILE_URL, "attribution": settings.MAP_ATTRIBUTION}}
