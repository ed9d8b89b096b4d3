"""A cache per data generation, for the impact report, the dashboards and the lists.

Generic plumbing every app may use (a config leaf: it imports no app); the signals that move
the generation when a report's rows change are wired by ``matching.report_cache.connect``.

Every cached figure is stored under a key that carries a *generation*: a counter in the default
cache that goes up whenever something a report reads changes: a run (and so its proposals), a
proposal decision, a deal, a delivery, a factor set or a tariff, an organisation or a site, a
material, an offer or a need (the monitor's waste picture reads the live listings), a terms
revision or a membership (the proposal and deal lists, ``matching.api.views``). Saves and
deletes go through the model signals below; the services that write with ``QuerySet.update`` or
``bulk_create`` (decisions, run writes, activations, listing status) call :func:`bump`
themselves. The counter goes up both at once and when the transaction commits, so a reader
that caches between the two (seeing the old rows) cannot keep them under the new generation.

``IMPACT_REPORT_CACHE_SECONDS`` (default 300; 0 turns the cache off) bounds how long an entry may
live whatever happens, and so bounds staleness on a setup whose processes share no cache
(LocMemCache under several workers); production uses Redis, shared by every worker.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_GENERATION_KEY = "qaita:report-generation"
log = logging.getLogger(__name__)


def timeout() -> int:
    return int(settings.IMPACT_REPORT_CACHE_SECONDS)


def generation() -> int:
    value = cache.get(_GENERATION_KEY)
    if value is None:
        # add() so that two processes starting at once agree on one value.
        cache.add(_GENERATION_KEY, 1, timeout=None)
        value = cache.get(_GENERATION_KEY, 1)
    return int(value)


def _incr() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value is a fresh generation
        cache.add(_GENERATION_KEY, 2, timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage: entries die with it or by their timeout
        log.warning("report cache: could not move the generation", exc_info=True)


def bump() -> None:
    """Invalidate every cached report: now, and again when the current transaction commits."""
    _incr()
    transaction.on_commit(_incr)


def cached(parts: Iterable[Any], build: Callable[[], T]) -> T:
    """``build()``, kept under ``parts`` and the current generation while the cache is on.

    A cache that does not answer (Redis down) costs the build, never the page.
    """
    seconds = timeout()
    if seconds <= 0:
        return build()
    try:
        raw = "|".join(str(part) for part in (generation(), *parts))
        key = "qaita:report:" + hashlib.sha256(raw.encode()).hexdigest()
        value = cache.get(key)
    except Exception:  # noqa: BLE001
        log.warning("report cache unavailable; building without it", exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, timeout=seconds)
        except Exception:  # noqa: BLE001
            log.warning("report cache: could not store an entry", exc_info=True)
    return value
