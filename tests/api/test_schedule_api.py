"""GET/PUT /api/v1/schedule/: the municipality's schedule for the city-wide run."""

import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts.models import Event
from matching import schedule

pytestmark = pytest.mark.django_db
URL = "/api/v1/schedule/"
FIELDS = {"enabled", "cron", "objective", "time_step", "timezone", "next_run_at", "last_run_at"}


def test_the_municipality_reads_the_schedule_with_its_next_run(municipality):
    before = timezone.now()
    response = municipality.client().get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["enabled"] is True and body["cron"] == "0 2 * * *" and body["timezone"] == "Asia/Almaty"
    assert body["objective"] == "divert_then_distance" and body["time_step"] == "month"
    expected = schedule.next_run_at(cron="0 2 * * *", zone="Asia/Almaty", after=before)
    assert datetime.fromisoformat(body["next_run_at"]) == expected


def test_companies_get_403_and_strangers_401(brewery, anon_client):
    assert brewery.client().get(URL).status_code == 403
    assert brewery.client().put(URL, {"cron": "0 3 * * *"}, format="json").status_code == 403
    assert anon_client.get(URL).status_code == 401
    assert not Event.objects.filter(action="schedule.updated").exists()


def test_a_put_changes_what_it_names_and_keeps_the_rest(municipality):
    response = municipality.client().put(
        URL, {"cron": "15 3 * * 1-5", "timezone": "UTC", "time_step": "week"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["cron"], body["timezone"], body["time_step"], body["objective"], body["enabled"]) == (
        "15 3 * * 1-5",
        "UTC",
        "week",
        "divert_then_distance",
        True,
    )
    next_run = datetime.fromisoformat(body["next_run_at"]).astimezone(UTC)  # answered in city time
    assert (next_run.hour, next_run.minute, next_run.isoweekday() <= 5) == (3, 15, True)
    assert municipality.client().get(URL).json()["cron"] == "15 3 * * 1-5"
    event = Event.objects.get(action="schedule.updated")
    assert event.actor == municipality.user
    assert event.data["time_step"] == {"before": "month", "after": "week"}


def test_disabling_answers_no_next_run(municipality):
    body = municipality.client().put(URL, {"enabled": False}, format="json").json()
    assert body["enabled"] is False and body["next_run_at"] is None


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({"cron": "0 2 * *"}, "cron", "five fields"),
        ({"cron": "0 25 * * *"}, "cron", "not in 0-23"),
        ({"cron": "0 2 30 2 *"}, "cron", "never occurs"),
        ({"cron": 5}, "cron", "five fields"),
        ({"cron": "x" * 201}, "cron", "200"),
        ({"timezone": "Asia/Atlantis"}, "timezone", "IANA"),
        ({"timezone": "Asia/Almaty/Medeu"}, "timezone", "IANA"),
        ({"objective": "shortest"}, "objective", "not a valid choice"),
        ({"time_step": "day"}, "time_step", "not a valid choice"),
        ({"time_step": None}, "time_step", "null"),
        ({"enabled": "perhaps"}, "enabled", "valid boolean"),
        ({"cronn": "0 2 * * *"}, "cronn", "Unknown field"),
    ],
)
def test_an_invalid_put_is_400_naming_the_field_and_writes_nothing(municipality, payload, field, reason):
    client = municipality.client()
    before = client.get(URL).json()
    response = client.put(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body and reason in " ".join(body[field]), body
    assert client.get(URL).json() == before
    assert not Event.objects.filter(action="schedule.updated").exists()


def test_a_body_that_is_not_an_object_is_400(municipality):
    response = municipality.client().put(URL, data=json.dumps([1, 2]), content_type="application/json")
    assert response.status_code == 400


def test_the_schema_documents_the_schedule_and_the_time_step(municipality):
    schema = municipality.client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/schedule/"]
    assert {"get", "put"} <= set(operations)
    assert "used by the run it starts" in operations["put"]["description"]
    assert {"200", "400", "403"} <= set(operations["put"]["responses"])
