"""What the apps above lend the marketplace, named by settings (the marketplace imports none of them).

The layers run one way, accounts ← marketplace ← matching ← config: the marketplace may not import
matching, yet two of its rules need what matching knows. Each is a setting holding a dotted path,
loaded with ``import_string`` when asked (config names matching's functions in
``config/settings/base.py``); an unset setting means "no app above lends this":

- ``MARKETPLACE_DEAL_SITES``: ``f(organisation_ids) -> (offer_site_ids, need_site_ids)``, the
  sites of agreed deals whose exact position the parties may see (the deal-counterpart rule of
  :func:`marketplace.selectors.exact_site_ids`);
- ``MARKETPLACE_MATCH_STATUSES``: ``f(listings, *, user) -> stored`` and
- ``MARKETPLACE_MATCH_STATUS``: ``f(listing, *, user, stored=None) -> dict | None``, why the latest
  run did (not) propose a listing (issue 14), shown on the listing's page and in the API;
- ``MARKETPLACE_STORAGE_BOOKED``: ``f(storage) -> (stock, day)``, the most a yard holds for
  agreed deals and reserving proposals from today on (its capacity may not go below it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string


def _hook(name: str) -> Callable[..., Any] | None:
    path = getattr(settings, name)
    return import_string(path) if path else None


def deal_site_querysets(organisation_ids: Iterable[int]) -> tuple[QuerySet, QuerySet] | None:
    """Lazy ids of the deal sites of ``organisation_ids`` (for ``pk__in=``), or None without the rule."""
    rule = _hook("MARKETPLACE_DEAL_SITES")
    return None if rule is None else rule(organisation_ids)


def match_statuses_for(listings: Iterable[Model], *, user: Any) -> dict[Any, Any]:
    """The stored match statuses of a page of listings, in one query ({} without the hook)."""
    hook = _hook("MARKETPLACE_MATCH_STATUSES")
    return {} if hook is None else hook(listings, user=user)


def match_status_of(
    listing: Model, *, user: Any, stored: dict[Any, Any] | None = None
) -> dict[str, Any] | None:
    """``{reason, nearest_km, explanation, run}`` for who may see it, else None (None without the hook)."""
    hook = _hook("MARKETPLACE_MATCH_STATUS")
    return None if hook is None else hook(listing, user=user, stored=stored)


def storage_booked(storage: Model) -> tuple[Any, Any]:
    """``(stock, first day held)`` that deals and reserving proposals hold in a yard from today on;
    ``(0, None)`` without the hook."""
    hook = _hook("MARKETPLACE_STORAGE_BOOKED")
    return (0, None) if hook is None else hook(storage)
