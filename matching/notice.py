"""One entry of the in-app notification feed (``matching.notifications_feed``).

A module of its own so that the feed's sources (``conversations`` among them) can build
entries without importing the feed, which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Notice:
    when: datetime
    text: str
    url: str
    needs_action: bool
