"""Context every page shares. Config sits at the top of the layers, so the navigation badges
that count matching's work live here, not in accounts (which may import no app above it)."""

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
