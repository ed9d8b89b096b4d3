"""The main pages of the site, with a small city behind them, for the phone-width and axe tests.

``build_main_city`` lists the monitor tests' nine companies (tests/monitor/city.py), runs the
match and agrees four of the five proposals; the fifth (glass cullet) waits for the receiver, and
the crushed-concrete deal has one delivery. ``main_pages`` returns (persona, name, path) for every
main page a signed-out visitor, a company member and the municipality use.

``language_plan`` says in which language each page is visited: every page in one language,
rotated by its place in the list (so English, Russian and Kazakh each get a third of the pages,
the same ones on every run), and the few ``EVERY_LANGUAGE`` pages in all three. ``visit_pages``
opens each planned page (one browser context per language and persona) and collects what a
check finds there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from matching import services
from matching.models import Deal, Proposal
from monitor import targets
from tests.e2e.conftest import route_for
from tests.factories import PASSWORD
from tests.monitor.city import City, deliver, list_market, make_companies

ANON = ""
COMPANY = "demolition-user"
AUTHORITY = "analyst"

LANGUAGES = ("en", "ru", "kk")
# Visited in every language: the first page, both dashboards (the densest) and the proposals list.
EVERY_LANGUAGE = frozenset({"home", "dashboard-company", "dashboard-city", "proposals"})

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


@dataclass
class MainCity:
    city: City
    pending: Proposal
    deal: Deal
    delivery_id: int
    offer_id: int
    need_id: int
    run_id: int
    factor_set_id: int
    organisation_id: int
    site_id: int


def build_main_city(run_now, municipality) -> MainCity:
    from marketplace.factor_services import active_factor_set

    companies = make_companies()
    list_market(companies)
    city = City(companies=companies)
    city.run = run_now()
    assert city.run.status == "succeeded", city.run.error
    pending = None
    for proposal in Proposal.objects.filter(run=city.run).select_related("material", "offer", "need"):
        sides = [proposal.offer.organisation_id, proposal.need.organisation_id]
        if proposal.material.key == "glass_cullet":
            sides = sides[:1]  # the supplier accepted; the glass works has not answered yet
        for side in sides:
            actor = next(c.user for c in companies.values() if c.organisation.pk == side)
            services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=actor)
        if proposal.material.key == "glass_cullet":
            pending = Proposal.objects.get(pk=proposal.pk)
        else:
            city.deals[proposal.material.key] = Deal.objects.get(proposal=proposal)
    assert pending is not None
    delivery: Any = deliver(city, "crushed_concrete_aggregate", 40, timezone.localdate())
    targets.target_create(
        actor=municipality.user,
        indicator="waste_diverted_t",
        year=timezone.localdate().year,
        value="3000",
        basis="agreed",
    )
    deal = city.deals["crushed_concrete_aggregate"]
    factor_set = active_factor_set()
    assert factor_set is not None
    demolition = companies["demolition"]
    return MainCity(
        city=city,
        pending=pending,
        deal=deal,
        delivery_id=delivery.pk,
        offer_id=deal.offer_id,
        need_id=city.deals["steel_scrap"].need_id,
        run_id=city.run.pk,
        factor_set_id=factor_set.pk,
        organisation_id=demolition.organisation.pk,
        site_id=demolition.site.pk,
    )


def main_pages(c: MainCity) -> list[tuple[str, str, str]]:
    return [
        (ANON, "home", "/"),
        (ANON, "login", "/login/"),
        (ANON, "signup", "/signup/"),
        (ANON, "public", "/public/"),
        (ANON, "not-found", "/no-such-page/"),
        (ANON, "password-reset", "/password-reset/"),
        (COMPANY, "dashboard-company", "/matching/dashboard/"),
        (COMPANY, "search", "/marketplace/search/"),
        (COMPANY, "my-listings", "/marketplace/mine/"),
        (COMPANY, "offer-form", "/marketplace/offers/new/"),
        (COMPANY, "need-form", "/marketplace/needs/new/"),
        (COMPANY, "offer", f"/marketplace/offers/{c.offer_id}/"),
        (COMPANY, "offer-edit", f"/marketplace/offers/{c.offer_id}/edit/"),
        (COMPANY, "import", "/marketplace/import/"),
        (COMPANY, "organisations", "/accounts/dashboard/"),
        (COMPANY, "organisation", f"/accounts/organisations/{c.organisation_id}/"),
        (COMPANY, "site-form", "/accounts/sites/new/"),
        (COMPANY, "proposals", "/matching/proposals/?status=all"),
        (COMPANY, "proposal", f"/matching/proposals/{c.pending.pk}/"),
        (COMPANY, "notifications", "/matching/notifications/"),
        (COMPANY, "conversations", "/matching/conversations/"),
        (COMPANY, "deals", "/matching/deals/"),
        (COMPANY, "deal", f"/matching/deals/{c.deal.pk}/"),
        (COMPANY, "act", f"/reports/deliveries/{c.delivery_id}/act/"),
        (COMPANY, "runs", "/matching/runs/"),
        (COMPANY, "profile", "/accounts/profile/"),
        (COMPANY, "password-change", "/password-change/"),
        (COMPANY, "storages", "/marketplace/storages/"),
        (COMPANY, "storage-form", "/marketplace/storages/new/"),
        (COMPANY, "material-request-form", "/marketplace/material-requests/new/"),
        (AUTHORITY, "dashboard-city", "/matching/dashboard/"),
        (AUTHORITY, "dashboard-city-proposed", "/matching/dashboard/?basis=proposed"),
        (AUTHORITY, "runs-city", "/matching/runs/"),
        (AUTHORITY, "run", f"/matching/runs/{c.run_id}/"),
        (AUTHORITY, "factor-sets", "/marketplace/factor-sets/"),
        (AUTHORITY, "factor-set", f"/marketplace/factor-sets/{c.factor_set_id}/"),
        (AUTHORITY, "tariffs", "/matching/tariffs/"),
        (AUTHORITY, "verification", "/accounts/verification/"),
        (AUTHORITY, "targets", "/monitor/targets/"),
        (AUTHORITY, "events", "/accounts/events/"),
        (AUTHORITY, "report", "/reports/impact/"),
        (AUTHORITY, "material-requests", "/marketplace/material-requests/"),
    ]


Visit = tuple[str, str, str, str]  # language, persona, name, path


def language_plan(
    pages: list[tuple[str, str, str]], *, offset: int = 0, every_language: frozenset[str] = EVERY_LANGUAGE
) -> list[Visit]:
    """Page ``i`` in ``LANGUAGES[(i + offset) % 3]``; the ``every_language`` pages in all three."""
    plan: list[Visit] = []
    for i, (persona, name, path) in enumerate(pages):
        own = LANGUAGES[(i + offset) % len(LANGUAGES)]
        langs = LANGUAGES if name in every_language else (own,)
        plan.extend((lang, persona, name, path) for lang in langs)
    return plan


QUIET_MS = 150  # no request in flight this long after the load event: the page is settled
SETTLE_LIMIT_S = 5  # a page that polls never goes quiet: measure it as it is by then


def settle(page, url: str):
    """Open ``url`` and wait for its scripts and charts: the load event, then no request in
    flight for ``QUIET_MS`` (Playwright's ``networkidle`` waits a fixed 500 ms of silence on
    every page; this waits for the same silence, only shorter). Returns the page's response."""
    in_flight: set[Any] = set()

    def started(request) -> None:
        in_flight.add(request)

    def ended(request) -> None:
        in_flight.discard(request)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    try:
        response = page.goto(url)
        deadline = time.monotonic() + SETTLE_LIMIT_S
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            page.wait_for_timeout(25)
            if in_flight:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
                break
    finally:
        page.remove_listener("request", started)
        page.remove_listener("requestfinished", ended)
        page.remove_listener("requestfailed", ended)
    page.wait_for_timeout(100)
    return response


def axe_lines(page) -> list[str]:
    """axe-core's critical and serious violations on the open page, one line each."""
    page.evaluate(AXE)
    return page.evaluate(RUN_AXE)


Check = Callable[[Any, str, str, str], list[str]]  # (page, lang, name, path) -> problems


def visit_pages(browser, base: str, plan: list[Visit], viewport: dict[str, int], check: Check) -> list[str]:
    """Open every planned page as its persona in its language; return what ``check`` finds.

    Each page must be served in the language asked for (the ``lang`` of its ``<html>``).
    """
    problems: list[str] = []
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for lang, persona, name, path in plan:
        groups.setdefault((lang, persona), []).append((name, path))
    for (lang, persona), visits in groups.items():
        context = browser.new_context(viewport=viewport, locale=lang)
        context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
        context.route("**/*", route_for(base))
        if persona == ANON:
            page = context.new_page()
            page.set_default_timeout(15000)
        else:
            page = sign_in(context, base, persona, PASSWORD)
        for name, path in visits:
            settle(page, f"{base}{path}")
            assert page.locator("html").get_attribute("lang") == lang, (name, path)
            problems.extend(check(page, lang, name, path))
        context.close()
    return problems


def sign_in(context, base: str, username: str, password: str):
    """A page of ``context`` signed in as ``username`` (through the login form)."""
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/matching/dashboard/")
    return page
