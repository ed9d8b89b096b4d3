"""The report cache's wiring: which models' saves and deletes move the generation.

The cache itself (generation counter, ``bump``, ``cached``) is :mod:`config.generation_cache`, a
config leaf that the marketplace may import too; this module re-exports it for matching's code.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from config.generation_cache import bump, cache, cached, generation, timeout

__all__ = ["bump", "cache", "cached", "connect", "generation", "timeout"]


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
