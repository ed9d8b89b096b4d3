"""The schedule section of the runs page: the municipality edits it, companies never see it."""

import pytest
from django.urls import reverse

from accounts.models import Event
from matching import schedule

pytestmark = pytest.mark.django_db

VALID = {"enabled": "on", "cron": "45 23 * * 0", "objective": "net_climate", "time_step": "week"}


def test_the_municipality_sees_the_schedule_with_its_next_run(client, municipality):
    client.force_login(municipality.user)
    page = client.get(reverse("matching:runs")).content.decode()
    assert 'id="schedule"' in page and reverse("matching:schedule") in page
    assert 'value="0 2 * * *"' in page and 'value="Asia/Almaty"' in page
    assert "Next scheduled run:" in page and "(Asia/Almaty)" in page
    assert page.count('id="id_objective"') == 1 and 'id="schedule_objective"' in page  # two forms, no clash


def test_a_company_sees_no_schedule_and_cannot_post_one(client, brewery):
    client.force_login(brewery.user)
    assert 'id="schedule"' not in client.get(reverse("matching:runs")).content.decode()
    response = client.post(reverse("matching:schedule"), {**VALID, "timezone": "UTC"})
    assert response.status_code == 403
    assert not Event.objects.filter(action="schedule.updated").exists()


def test_saving_the_form_changes_the_schedule_and_records_it(client, municipality):
    client.force_login(municipality.user)
    response = client.post(reverse("matching:schedule"), {**VALID, "timezone": "Asia/Almaty"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("matching:runs")
    assert "Schedule saved" in response.content.decode()
    current = schedule.schedule_get(actor=municipality.user)
    assert (current.cron, current.objective, current.time_step) == ("45 23 * * 0", "net_climate", "week")
    assert current.next_run_at.isoweekday() == 7 and (
        current.next_run_at.hour,
        current.next_run_at.minute,
    ) == (23, 45)
    assert Event.objects.filter(action="schedule.updated", actor=municipality.user).count() == 1


def test_unticking_enabled_turns_scheduled_runs_off(client, municipality):
    client.force_login(municipality.user)
    form = {k: v for k, v in VALID.items() if k != "enabled"}
    client.post(reverse("matching:schedule"), {**form, "timezone": "Asia/Almaty"})
    assert schedule.schedule_get(actor=municipality.user).enabled is False
    assert "Scheduled runs are off." in client.get(reverse("matching:runs")).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cron", "0 2 * *", "five fields"),
        ("cron", "99 * * * *", "not in 0-59"),
        ("timezone", "Almaty", "IANA"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_changes(
    client, municipality, field, value, reason
):
    client.force_login(municipality.user)
    response = client.post(reverse("matching:schedule"), {**VALID, "timezone": "Asia/Almaty", field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert reason in page and 'class="field has-error"' in page
    assert schedule.schedule_get(actor=municipality.user).cron == "0 2 * * *"
    assert not Event.objects.filter(action="schedule.updated").exists()
