"""Every main page fits a 390 px phone in English, Russian and Kazakh.

A page fails when it is wider than the viewport (``document.documentElement.scrollWidth >
innerWidth``): the visitor would have to scroll sideways. Tables may scroll inside their own box,
which does not widen the page. The header must stay within two rows with the menu folded.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import TILE_HOSTS
from tests.e2e.main_pages import ANON, build_main_city, main_pages, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
HEADER_MAX_PX = 120  # two rows of 44 px targets and the bar's padding

# The widest elements, to say what spills (a page that fits returns an empty list).
SPILLS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1) {
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX !== 'visible') { clipped = true; break; }
      }
      if (!clipped) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
        ' right=' + Math.round(r.right));
    }
  }
  return out.slice(0, 5);
}"""


# The printable pages (report, act) have no top bar.
HEADER_HEIGHT = "(() => { const b = document.querySelector('.topbar'); return b ? b.offsetHeight : 0; })()"


def _route_for(base: str):
    app = urlparse(base).netloc

    def route(route):
        host = urlparse(route.request.url).netloc
        if host == app or route.request.url.startswith("data:"):
            return route.continue_()
        if any(host.endswith(t) for t in TILE_HOSTS):
            return route.fulfill(status=204, body="")
        return route.abort()

    return route


def settle(page, url: str) -> None:
    """Open ``url`` and wait for its scripts and charts (a page that polls never goes quiet)."""
    page.goto(url)
    try:
        page.wait_for_load_state("networkidle", timeout=5000)
    except PlaywrightTimeout:
        pass
    page.wait_for_timeout(100)


def page_widths(browser, base: str, pages, lang: str, viewport=PHONE) -> list[str]:
    """Visit every page as its persona; return one line per page wider than the viewport."""
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
            assert page.locator("html").get_attribute("lang") == lang, (name, path)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                problems.append(f"{lang} {name} {path}: {scroll} px > {inner} px {page.evaluate(SPILLS)}")
            header = page.evaluate(HEADER_HEIGHT)
            if header > HEADER_MAX_PX:
                problems.append(f"{lang} {name} {path}: header {round(header)} px tall")
        context.close()
    return problems


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_every_main_page_fits_a_phone(browser, live_server, municipality, run_now, lang):
    city = build_main_city(run_now, municipality)
    problems = page_widths(browser, live_server.url, main_pages(city), lang)
    assert problems == [], "\n".join(problems)


def test_the_folded_menu_opens_and_reaches_every_link(browser, live_server, municipality, run_now):
    build_main_city(run_now, municipality)
    context = browser.new_context(viewport=PHONE)
    context.route("**/*", _route_for(live_server.url))
    page = sign_in(context, live_server.url, "analyst", PASSWORD)
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Audit log").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/accounts/events/")
    # On a desktop the menu is simply there.
    desktop = browser.new_context(viewport={"width": 1366, "height": 768})
    page = sign_in(desktop, live_server.url, "analyst", PASSWORD)
    assert not page.locator(".nav-toggle").is_visible()
    assert page.get_by_role("link", name="Audit log").is_visible()
    desktop.close()
    context.close()
