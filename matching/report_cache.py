"""The report cache's wiring: which models' saves and deletes move the generation, and the keys.

The cache itself (generation counter, ``bump``, ``cached``) is :mod:`config.generation_cache`, a
config leaf that the marketplace may import too; this module re-exports it for matching's code.

Every entry is keyed by one helper per cached thing (``*_key`` below), never by hand at the call
site: each key names its kind, the viewer's scope in one form (``None`` for the city, else the
sorted organisation ids) and the active language, since every cached value carries translated
labels (material names, categories); those read against today carry the day too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import get_language

from config.generation_cache import bump, cache, cached, generation, timeout

if TYPE_CHECKING:
    from rest_framework.request import Request

__all__ = [
    "bump",
    "cache",
    "cached",
    "connect",
    "flow_lines_key",
    "generation",
    "impact_api_key",
    "impact_key",
    "list_key",
    "scope_part",
    "timeout",
    "waste_picture_key",
]

Key = tuple[Any, ...]


def scope_part(organisation_ids: Iterable[int] | None) -> tuple[int, ...] | None:
    """Whose rows a value holds, in one form: ``None`` for the whole city, else sorted ids."""
    return None if organisation_ids is None else tuple(sorted(organisation_ids))


def impact_key(
    *,
    basis: str,
    group_bys: Iterable[str],
    organisation_ids: Iterable[int] | None,
    date_from: date | None,
    date_to: date | None,
) -> Key:
    """The impact reports of one basis, for several groupings at once (``build_reports``)."""
    return (
        "impact",
        basis,
        tuple(group_bys),
        scope_part(organisation_ids),
        get_language(),
        date_from,
        date_to,
    )


def impact_api_key(*, params: Any, organisation_ids: Iterable[int] | None) -> Key:
    """The impact report API's serialized figures (``params``: a ``ReportParams``)."""
    return ("impact-api", params, scope_part(organisation_ids), get_language())


def flow_lines_key(*, basis: str, authority: bool, organisation_ids: Iterable[int]) -> Key:
    """The dashboard map's flow lines as one viewer may see them (exact or rounded sites)."""
    return ("flow-lines", basis, authority, scope_part(organisation_ids), get_language())


def list_key(*, view: str, request: Request) -> Key:
    """One API list page as one user asked for it (query string and format), for today."""
    return (
        "api-list",
        view,
        request.user.pk,
        request.get_full_path(),
        request.accepted_renderer.format,
        get_language(),
        timezone.localdate(),
    )


def waste_picture_key(*, basis: str) -> Key:
    """The municipality's waste picture (the monitor's city panel) on one basis, for today."""
    return ("waste-picture", basis, scope_part(None), get_language(), timezone.localdate())


def _on_change(sender: Any, **kwargs: Any) -> None:
    bump()


def connect() -> None:
    """Connect the signals (called once from the app config)."""
    from accounts.models import Organisation, Site
    from marketplace.models import FactorSet, Material, Need, Offer

    from .models import Deal, Delivery, MatchRun, Proposal, Tariff

    models = (
        Proposal,
        Deal,
        Delivery,
        MatchRun,
        Tariff,
        FactorSet,
        Organisation,
        Site,
        Material,
        Offer,
        Need,
    )
    for model in models:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"report-cache-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"report-cache-delete-{model.__name__}")
