"""Rate limits keyed on what a client cannot forge: the trusted proxy's address, the account.

The client address follows one rule everywhere (API throttles, django-axes' login lock, the
import limit's logs): DRF's ``NUM_PROXIES`` (the ``NUM_PROXIES`` environment variable). With 0
(the default) it is ``REMOTE_ADDR`` and any ``X-Forwarded-For`` is ignored; behind N trusted
proxies that append to ``X-Forwarded-For`` it is the N-th address from the right, the one the
outermost trusted proxy saw. Addresses a client writes to the left of it change nothing.

Counters live in Django's cache (Redis in production, shared by every process) and are taken
with an atomic increment, so a burst of simultaneous requests cannot slip under the limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request) -> str | None:
    """The client's address under the trusted-proxy rule (``NUM_PROXIES``); also axes' callable.

    Something that is not an address (a misconfigured proxy chain) falls back to the socket's
    peer, ``REMOTE_ADDR``, rather than reaching the database as text.
    """
    candidate = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address((candidate or "").strip()))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"10/hour"``, ``"20/minute"``, ``"5/s"``: DRF's notation (the period's first letter counts)."""
        try:
            count, period = text.split("/")
            return cls(requests=int(count), seconds=PERIOD_SECONDS[period.strip()[0]])
        except (ValueError, KeyError, IndexError):
            raise ImproperlyConfigured(f"A rate is 'N/second|minute|hour|day', not {text!r}") from None


def rate_take(*, key: str, rate: Rate) -> float | None:
    """Count one use of ``key`` in the current window; ``None`` if allowed, else seconds to wait.

    A fixed window per ``rate.seconds``: ``add`` then ``incr`` are atomic in Redis and in the
    local-memory cache, so concurrent requests each get their own count.
    """
    now = time.time()
    window = int(now // rate.seconds)
    bucket = f"rate:{key}:{window}"
    cache.add(bucket, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=rate.seconds + 1)
        count = 1
    if count <= rate.requests:
        return None
    return max((window + 1) * rate.seconds - now, 1.0)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class _WindowThrottle(BaseThrottle):
    """A DRF throttle over :func:`rate_take`; subclasses say what a request is counted against."""

    scope: str = ""

    def __init__(self) -> None:
        self._wait: float | None = None

    def scope_for(self, view) -> str:
        return self.scope

    def ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        scope = self.scope_for(view)
        rates = api_settings.DEFAULT_THROTTLE_RATES  # read per request: settings may change in tests
        if scope not in rates:
            raise ImproperlyConfigured(f"No rate in DEFAULT_THROTTLE_RATES for the {scope!r} scope")
        rate = rates[scope]
        if rate is None:
            return True
        ident = self.ident(request, view)
        if ident is None:
            return True
        self._wait = rate_take(key=f"{scope}:{ident}", rate=Rate.parse(str(rate)))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class AddressRateThrottle(_WindowThrottle):
    """Per client address (trusted-proxy rule), in the view's ``throttle_scope``."""

    def scope_for(self, view) -> str:
        return view.throttle_scope

    def ident(self, request, view) -> str | None:
        return _digest(client_ip(request) or "unknown")


class UsernameRateThrottle(_WindowThrottle):
    """Per posted ``username``, whatever address it comes from: one account, one budget."""

    scope = "auth_username"

    def ident(self, request, view) -> str | None:
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        return _digest(username.strip().casefold())
