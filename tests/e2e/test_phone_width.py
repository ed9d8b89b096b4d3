"""Every main page fits a 390 px phone and has no critical or serious axe violation there.

A page fails when it is wider than the viewport (``document.documentElement.scrollWidth >
innerWidth``): the visitor would have to scroll sideways. Tables may scroll inside their own box,
which does not widen the page. The header must stay within two rows with the menu folded.

Each page is visited once, in the language ``main_pages.language_plan`` gives it (English,
Russian and Kazakh rotate over the list), and the ``EVERY_LANGUAGE`` few in all three: the
longest words of each language meet most of the pages, and every page is checked on the phone.
"""

from __future__ import annotations

import pytest

from tests.e2e.main_pages import (
    LANGUAGES,
    axe_lines,
    build_main_city,
    language_plan,
    main_pages,
    route_for,
    sign_in,
    visit_pages,
)
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


def phone_problems(page, lang: str, name: str, path: str) -> list[str]:
    """Wider than the phone, a header over two rows, or an axe violation: one line each."""
    problems: list[str] = []
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"{lang} {name} {path}: {scroll} px > {inner} px {page.evaluate(SPILLS)}")
    header = page.evaluate(HEADER_HEIGHT)
    if header > HEADER_MAX_PX:
        problems.append(f"{lang} {name} {path}: header {round(header)} px tall")
    problems.extend(f"{lang} {PHONE['width']}px {name} {path}: {line}" for line in axe_lines(page))
    return problems


def test_every_main_page_fits_a_phone_without_axe_violations(browser, live_server, municipality, run_now):
    city = build_main_city(run_now, municipality)
    pages = main_pages(city)
    plan = language_plan(pages)
    assert {name for _, _, name, _ in plan} == {name for _, name, _ in pages}
    assert {lang for lang, *_ in plan} == set(LANGUAGES)
    problems = visit_pages(browser, live_server.url, plan, PHONE, phone_problems)
    assert problems == [], "\n".join(problems)


def test_the_folded_menu_opens_and_reaches_every_link(browser, live_server, municipality):
    context = browser.new_context(viewport=PHONE)
    context.route("**/*", route_for(live_server.url))
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
