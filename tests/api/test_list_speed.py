"""Issue 16: the offers, deals and runs lists take a fixed number of queries, and every default
ordering has an index to walk."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching.models import Deal, MatchRun, Proposal
from tests.marketplace.helpers import load_catalogue, make_offer
from tests.reports.market import build_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(brewery, farm, municipality, run_now):
    return build_city(brewery, farm, run_now)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_runs_and_deals(city, copies: int) -> None:
    """Copies of the city's run, each with a copy of its agreed grain proposal and deal."""
    for _ in range(copies):
        run = MatchRun.objects.get(pk=city.run.pk)
        run.pk = None
        run.is_open = False
        run.save()
        proposal = Proposal.objects.get(pk=city.grain.pk)
        proposal.pk = None
        proposal.run = run
        proposal.first_run = run
        proposal.save()
        deal = Deal.objects.get(pk=city.grain_deal.pk)
        deal.pk = None
        deal.proposal = proposal
        deal.save()


@pytest.mark.parametrize("url", ["/api/v1/deals/", "/api/v1/match-runs/", "/api/v1/proposals/"])
def test_the_list_takes_the_same_number_of_queries_for_few_or_many_rows(
    city, municipality, brewery, url, settings, django_assert_max_num_queries
):
    settings.IMPACT_REPORT_CACHE_SECONDS = 0  # the queries of building the page, not a cache read
    for persona in (municipality, brewery):
        client = persona.client()
        client.get(url)  # warm the per-user caches, as a real session would
        few = _queries(client, url)
        _more_runs_and_deals(city, 6)
        many = _queries(client, url)
        assert few == many, (persona, url)
        with django_assert_max_num_queries(8):
            client.get(url)


def test_the_offers_list_takes_a_fixed_number_of_queries(brewery, farm, django_assert_max_num_queries):
    load_catalogue()
    client = farm.client()
    client.get("/api/v1/offers/")
    for _ in range(3):
        make_offer(brewery)
    few = _queries(client, "/api/v1/offers/")
    for _ in range(9):
        make_offer(brewery)
    assert _queries(client, "/api/v1/offers/") == few
    with django_assert_max_num_queries(6):
        client.get("/api/v1/offers/")


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Proposal, "proposal_list_idx"),
        (Proposal, "proposal_inbox_idx"),
        (Deal, "deal_recent_idx"),
        (MatchRun, "matchrun_recent_idx"),
    ],
)
def test_every_default_ordering_has_an_index(model, name):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert name in constraints and constraints[name]["index"]


def test_each_model_default_ordering_is_the_leading_columns_of_an_index():
    for model in (Proposal, Deal, MatchRun):
        ordering = list(model._meta.ordering)
        fields = [list(index.fields) for index in model._meta.indexes]
        as_index = [name.replace("_id", "") for name in ordering]
        assert any(index[: len(as_index)] == as_index for index in fields), model


def test_a_cached_list_follows_a_decision(city, municipality, settings):
    from django.core.cache import cache

    from matching import services

    settings.IMPACT_REPORT_CACHE_SECONDS = 300
    cache.clear()
    client = municipality.client()

    def status_of_cardboard() -> str:
        rows = client.get("/api/v1/proposals/?page_size=100").json()["results"]
        return next(row["status"] for row in rows if row["id"] == city.cardboard.pk)

    assert status_of_cardboard() == "proposed"
    assert status_of_cardboard() == "proposed"  # from the cache
    services.proposal_decline(proposal=city.cardboard, actor=city.panel_factory.user)
    assert status_of_cardboard() == "declined"


def test_the_proposals_inbox_page_takes_the_same_number_of_queries_for_few_or_many_deals(
    city, municipality, client, settings
):
    settings.IMPACT_REPORT_CACHE_SECONDS = 0
    client.force_login(municipality.user)
    url = "/matching/proposals/?status=all"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_runs_and_deals(city, 6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
