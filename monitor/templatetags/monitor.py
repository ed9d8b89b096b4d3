"""Template tags that bring the monitor into pages of other apps without those apps importing
it: the city dashboard (targets and the waste picture) and the printable report (targets as
SVG). ``{% load monitor %}`` in a template is the only link."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.access import is_authority
from matching import report_cache

from .. import charts, public, targets
from ..flows import BASES
from ..models import Target
from ..waste import waste_picture

register = template.Library()


@register.filter
def share_percent(share: Decimal | None) -> str:
    return charts.share_percent(share)


def _entries() -> list[dict[str, Any]]:
    all_targets = list(Target.objects.all())
    if not all_targets:
        return []
    return public.target_entries(
        targets=all_targets,
        records=targets.records_by_basis(t.basis for t in all_targets),
        today=timezone.localdate(),
        k=settings.PUBLIC_K_ANONYMITY,
        public=False,
    )


@register.inclusion_tag("monitor/partials/city_panel.html", takes_context=True)
def city_monitor(context, basis: str = "agreed") -> dict[str, Any]:
    """The municipality's targets and waste picture (unfolded: the city sees every cell)."""
    request = context.get("request")
    if request is None or not is_authority(request.user):
        return {"show": False}
    entries = _entries()
    picture_basis = basis if basis in BASES else "agreed"
    return {
        "show": True,
        "targets": entries,
        "target_charts": [charts.chart_series(entry) for entry in entries],
        # Cached like the reports (matching.report_cache): per generation, basis, day and language.
        "picture": report_cache.cached(
            report_cache.waste_picture_key(basis=picture_basis),
            lambda: waste_picture(basis=picture_basis).as_dict(),
        ),
        "k": settings.PUBLIC_K_ANONYMITY,
    }


@register.simple_tag
def target_svgs() -> SafeString:
    """Every target as an inline SVG chart with its figures (for the printable report)."""
    from django.template.loader import render_to_string

    entries = _entries()
    return mark_safe(  # noqa: S308 - rendered by a template with autoescaping
        render_to_string(
            "monitor/partials/target_svgs.html",
            {"targets": [{**entry, "svg": charts.target_svg(entry)} for entry in entries]},
        )
    )
