from . import access


def membership(request):
    """Whether the user speaks for the municipality, for navigation."""
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
