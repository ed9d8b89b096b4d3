"""axe-core on every main page: no critical and no serious violations (WCAG 2.x A/AA rules and
axe's best practices), on a desktop and on a phone.

axe-core is vendored in tests/e2e/vendor/axe-core/ and evaluated in the page through Playwright
(which is not subject to the page's CSP), so the app serves nothing extra.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.main_pages import ANON, build_main_city, main_pages, sign_in
from tests.e2e.test_phone_width import PHONE, _route_for, settle
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1366, "height": 768}
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def axe_violations(browser, base: str, pages, lang: str, viewport) -> list[str]:
    problems: list[str] = []
    by_persona: dict[str, list[tuple[str, str]]] = {}
    for persona, name, path in pages:
        by_persona.setdefault(persona, []).append((name, path))
    for persona, visits in by_persona.items():
        context = browser.new_context(viewport=viewport, locale=lang)
        context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
        context.route("**/*", _route_for(base))
        if persona == ANON:
            page = context.new_page()
            page.set_default_timeout(15000)
        else:
            page = sign_in(context, base, persona, PASSWORD)
        for name, path in visits:
            settle(page, f"{base}{path}")
            page.evaluate(AXE)
            for line in page.evaluate(RUN_AXE):
                problems.append(f"{lang} {viewport['width']}px {name} {path}: {line}")
        context.close()
    return problems


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", DESKTOP), ("kk", PHONE)], ids=["desktop-en", "phone-kk"]
)
def test_no_page_has_a_critical_or_serious_axe_violation(
    browser, live_server, municipality, run_now, lang, viewport
):
    city = build_main_city(run_now, municipality)
    problems = axe_violations(browser, live_server.url, main_pages(city), lang, viewport)
    assert problems == [], "\n".join(problems)
