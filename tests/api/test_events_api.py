"""GET /api/v1/events/ and /accounts/events/: the city's audit log, for the municipality only."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override
from rest_framework.test import APIClient

from accounts.models import Event
from accounts.services import organisation_verify, site_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


@pytest.fixture
def history(municipality, brewery, farm, outsider):
    organisation_verify(organisation=outsider.organisation, actor=municipality.user)
    site_update(site=brewery.site, actor=brewery.user, address="Raiymbek Ave 1")
    old = Event.objects.filter(action="site.created", organisation=farm.organisation).get()
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return old


def test_the_municipality_reads_the_log_newest_first_with_labels(history, municipality):
    response = municipality.client().get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Event.objects.count()
    first = body["results"][0]
    assert set(first) >= {
        "id",
        "created_at",
        "action",
        "action_label",
        "actor",
        "organisation",
        "object_type",
        "object_id",
        "data",
    }
    assert first["action"] == "site.updated" and first["action_label"] == "Site changed"
    assert first["actor"] == "brewer" and first["organisation_name"] == "Almaty Brewery"
    stamps = [row["created_at"] for row in body["results"]]
    assert stamps == sorted(stamps, reverse=True)


def test_labels_come_in_the_users_language(history, municipality):
    with override("ru"):
        body = municipality.client().get(URL, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert body["results"][0]["action"] == "site.updated"


def test_filters_by_organisation_action_and_dates(history, municipality, brewery, farm):
    client = municipality.client()
    mine = client.get(URL, {"organisation": brewery.organisation.pk}).json()["results"]
    assert mine and all(row["organisation"] == brewery.organisation.pk for row in mine)
    verified = client.get(URL, {"action": "organisation.verified"}).json()["results"]
    assert [row["action"] for row in verified] == ["organisation.verified"]
    today = timezone.localdate()
    recent = client.get(URL, {"from": str(today - timedelta(days=7)), "to": str(today)}).json()
    assert history.pk not in [row["id"] for row in recent["results"]]
    old = client.get(URL, {"to": str(today - timedelta(days=30))}).json()["results"]
    assert [row["id"] for row in old] == [history.pk]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": "99999999"}, "organisation"),
        ({"organisation": "1" * 40}, "organisation"),
        ({"action": "DROP TABLE"}, "action"),
        ({"action": "x" * 61}, "action"),
        ({"action": "nope"}, "action"),  # well formed, but no such action is ever written
        ({"action": "deal.nope"}, "action"),
        ({"from": "01.02.2026"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "to"),
        ({"format": "xlsx"}, "format"),
        ({"from": "bad", "format": "csv"}, "from"),
    ],
)
def test_bad_filters_are_a_json_400_naming_the_parameter(history, municipality, query, field):
    response = municipality.client().get(URL, query)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert field in response.json()


def test_the_log_is_paginated(history, municipality):
    body = municipality.client().get(URL, {"page_size": 2}).json()
    assert len(body["results"]) == 2 and body["next"]


def test_csv_exports_every_matching_event_with_labels(history, municipality):
    response = municipality.client().get(URL, {"format": "csv", "action": "site.created"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "created_at", "action", "action_label"]
    assert len(rows) - 1 == Event.objects.filter(action="site.created").count()
    assert {row[3] for row in rows[1:]} == {"Site added"}


def test_csv_cells_cannot_start_a_formula(municipality):
    Event.objects.create(action="site.updated", object_type="x", object_id="=1+1", data={})
    text = b"".join(municipality.client().get(URL, {"format": "csv"}).streaming_content).decode()
    row = next(line for line in csv.reader(io.StringIO(text)) if line[2] == "site.updated")
    assert row[8] == "'=1+1"


def test_companies_get_403_and_anonymous_callers_401(history, brewery):
    assert brewery.client().get(URL).status_code == 403
    assert brewery.client().get(URL, {"format": "csv"}).status_code == 403
    assert APIClient().get(URL).status_code == 401


def test_the_query_count_does_not_grow_with_the_page(history, municipality, django_assert_max_num_queries):
    client = municipality.client()
    for _ in range(30):
        Event.objects.create(action="worker.heartbeat", object_type="worker", object_id="w")
    with django_assert_max_num_queries(6):
        client.get(URL, {"page_size": 50})


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_log_in_words_with_the_same_filters(history, municipality, client):
    client.force_login(municipality.user)
    page = client.get("/accounts/events/", {"action": "site.updated"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Site changed" in text and 'data-action="site.updated"' in text
    assert 'data-action="site.created"' not in text
    assert "/api/v1/events/?action=site.updated&amp;format=csv" in text


def test_the_page_refuses_bad_dates_with_a_400(history, municipality, client):
    client.force_login(municipality.user)
    response = client.get("/accounts/events/", {"from": "2026-13-01"})
    assert response.status_code == 400 and "from" in response.content.decode()


def test_the_page_is_the_municipalitys_only(history, brewery, client):
    client.force_login(brewery.user)
    assert client.get("/accounts/events/").status_code == 403
    client.logout()
    assert client.get("/accounts/events/").status_code == 302


def test_the_organisation_page_names_its_events_in_words(brewery, client):
    client.force_login(brewery.user)
    text = client.get(f"/accounts/organisations/{brewery.organisation.pk}/").content.decode()
    assert "Site added" in text and "site.created" not in text
