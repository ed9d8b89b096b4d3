"""The report cache's keys: one helper per cached thing (``matching.report_cache.*_key``).

Each key carries the viewer's scope in one form and the active language (every cached value has
translated labels): a Russian visitor after an English one must not read the English entry.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from matching import report_cache

pytestmark = pytest.mark.django_db


def test_the_map_lines_are_cached_per_language(brewery, grain_market, run_now, settings):
    from marketplace.models import Material
    from matching.dashboards import flow_lines

    settings.IMPACT_REPORT_CACHE_SECONDS = 300  # on (the suite's conftest empties it per test)
    run_now()
    grain = Material.objects.get(key="brewers_spent_grain")
    with translation.override("en"):
        english = flow_lines(user=brewery.user, basis="proposed")
    with translation.override("ru"):
        russian = flow_lines(user=brewery.user, basis="proposed")
    with translation.override("en"):
        again = flow_lines(user=brewery.user, basis="proposed")
    assert grain.name_ru != grain.name_en
    assert [line["material"] for line in english] == [grain.name_en]
    assert [line["material"] for line in russian] == [grain.name_ru]
    assert again == english


def test_a_scope_is_one_key_whatever_its_order_and_the_city_is_its_own():
    with translation.override("en"):
        assert report_cache.flow_lines_key(
            basis="agreed", authority=False, organisation_ids={3, 1}
        ) == report_cache.flow_lines_key(basis="agreed", authority=False, organisation_ids=[1, 3])
        params = {"basis": "agreed", "group_bys": ("material",), "date_from": None, "date_to": None}
        city = report_cache.impact_key(organisation_ids=None, **params)
        nobody = report_cache.impact_key(organisation_ids=set(), **params)
        assert city != nobody
        assert report_cache.impact_key(organisation_ids=[2, 1], **params) == report_cache.impact_key(
            organisation_ids={1, 2}, **params
        )
        dated = report_cache.impact_key(organisation_ids=None, **{**params, "date_from": date(2026, 1, 1)})
        assert dated != city
    with translation.override("kk"):
        assert report_cache.impact_key(organisation_ids=None, **params) != city
        assert report_cache.waste_picture_key(basis="agreed") != report_cache.waste_picture_key(
            basis="delivered"
        )
