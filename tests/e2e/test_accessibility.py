"""axe-core on every main page: no critical and no serious violations (WCAG 2.x A/AA rules and
axe's best practices), on a desktop here and on a phone in ``test_phone_width`` (one visit per
page checks both its width and axe there).

axe-core is vendored in tests/e2e/vendor/axe-core/ and evaluated in the page through Playwright
(which is not subject to the page's CSP), so the app serves nothing extra. Each page is checked
in one language, rotated one step from the phone's (``main_pages.language_plan``), so that
every page meets axe in two of the three languages.
"""

from __future__ import annotations

import pytest

from tests.e2e.main_pages import axe_lines, build_main_city, language_plan, main_pages, visit_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


def desktop_problems(page, lang: str, name: str, path: str) -> list[str]:
    return [f"{lang} {DESKTOP['width']}px {name} {path}: {line}" for line in axe_lines(page)]


def test_no_page_has_a_critical_or_serious_axe_violation_on_a_desktop(
    browser, live_server, municipality, run_now
):
    city = build_main_city(run_now, municipality)
    plan = language_plan(main_pages(city), offset=1, every_language=frozenset())
    problems = visit_pages(browser, live_server.url, plan, DESKTOP, desktop_problems)
    assert problems == [], "\n".join(problems)
