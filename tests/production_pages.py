"""Render every main page under the production settings, in a process of its own.

Run by tests/test_production_build.py after a real ``collectstatic`` (the environment names the
production settings, a throwaway SQLite ``DATABASE_URL`` and the collected ``STATIC_ROOT``).
It migrates that database, builds a small market through the services (a brewery, a dairy farm,
the municipality, one run and one deal), signs each persona in and prints one JSON object:
``{"pages": {"<who> <path>": status}, "static": {"<url>": status}}``.
"""

from __future__ import annotations

import json
import os
import re
import sys


def build_market() -> dict:
    from django.utils import timezone

    from matching import runs, services
    from matching.models import Proposal
    from tests import factories as f

    def persona(username: str, name: str, **kwargs):
        user = f.make_user(username)
        org = f.make_organisation(name, members=(user,), **kwargs)
        return user, org, f.make_site(org, f"{name} main site")

    brewer, brewery, brewery_site = persona("brewer", "Almaty Brewery")
    farmer, farm, farm_site = persona("farmer", "Talgar Dairy Farm")
    analyst, city, _ = persona(
        "analyst", "Almaty Green Economy", kind="municipality", sector="public_services"
    )
    offer = f.make_offer(brewery, brewery_site, "brewers_spent_grain", 2000)
    need = f.make_need(farm, farm_site, ["brewers_spent_grain"], 1500, max_distance_km=80)
    run = runs.match_run_start(actor=analyst)  # eager Celery: solved on commit
    proposal = Proposal.objects.get(run=run)
    services.proposal_accept(proposal=proposal, actor=brewer)
    proposal = services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=farmer)
    proposal.refresh_from_db()
    deal = proposal.deal
    delivery = services.delivery_record(deal=deal, actor=brewer, date=timezone.localdate(), mass_t="10")
    from marketplace.factor_services import active_factor_set

    factor_set = active_factor_set()
    assert factor_set is not None
    return {
        "users": {"company": brewer, "municipality": analyst},
        "brewery": brewery.pk,
        "site": brewery_site.pk,
        "offer": offer.pk,
        "need": need.pk,
        "run": run.pk,
        "deal": deal.pk,
        "delivery": delivery.pk,
        "factor_set": factor_set.pk,
        "city": city.pk,
    }


def pages_for(ids: dict) -> dict[str, list[str]]:
    common = [
        "/accounts/dashboard/",
        "/matching/dashboard/",
        "/matching/notifications/",
        "/marketplace/search/",
        f"/marketplace/offers/{ids['offer']}/",
        f"/marketplace/needs/{ids['need']}/",
        "/marketplace/factor-sets/",
        f"/marketplace/factor-sets/{ids['factor_set']}/",
        "/reports/impact/",
        "/api/docs/",
        "/api/v1/organisations/",
    ]
    return {
        "anonymous": ["/", "/login/", "/signup/", "/api/docs/", "/api/schema/", "/admin/login/"],
        "company": [
            *common,
            f"/accounts/organisations/{ids['brewery']}/",
            "/accounts/sites/new/",
            f"/accounts/sites/{ids['site']}/edit/",
            "/marketplace/mine/",
            "/marketplace/offers/new/",
            "/marketplace/needs/new/",
            f"/marketplace/offers/{ids['offer']}/edit/",
            "/marketplace/import/",
            "/matching/proposals/?status=all",
            "/matching/deals/",
            f"/matching/deals/{ids['deal']}/",
            f"/reports/deliveries/{ids['delivery']}/act/",
        ],
        "municipality": [
            *common,
            "/matching/runs/",
            f"/matching/runs/{ids['run']}/",
            "/accounts/verification/",
            f"/accounts/organisations/{ids['city']}/",
            "/reports/impact/?basis=proposed",
        ],
    }


def main() -> None:
    import django

    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    ids = build_market()
    host = settings.ALLOWED_HOSTS[0]
    pages: dict[str, int] = {}
    assets: set[str] = set()
    for who, paths in pages_for(ids).items():
        # Behind the TLS proxy: X-Forwarded-Proto says https, so no redirect to https.
        client = Client(headers={"host": host, "x-forwarded-proto": "https"})
        if who != "anonymous":
            client.force_login(ids["users"][who])
        for path in paths:
            response = client.get(path)
            pages[f"{who} {path}"] = response.status_code
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                assets.update(re.findall(r'(?:href|src)="(/static/[^"]+)"', response.content.decode()))
    static: dict[str, int] = {}
    client = Client(headers={"host": host, "x-forwarded-proto": "https"})
    for url in sorted(assets):
        response = client.get(url)
        static[url] = response.status_code
        if hasattr(response, "close"):
            response.close()
    json.dump({"pages": pages, "static": static}, sys.stdout)


if __name__ == "__main__":
    main()
