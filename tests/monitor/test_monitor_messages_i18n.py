"""The monitor's refusals (targets, the audit log's filters, unknown formats) are answered in the
user's language, and the run comparison names runs by their local (Almaty) time."""

from datetime import UTC, datetime

import pytest

from tests.test_business_messages_i18n import ROOT, _msgids, _translated

pytestmark = pytest.mark.django_db

MODULES = ["monitor/targets.py", "accounts/audit.py", "monitor/api/views.py", "accounts/api/events.py"]
TARGETS = "/api/v1/targets/"
EVENTS = "/api/v1/events/"
BODY = {"indicator": "waste_diverted_t", "year": 2026, "value": "12000", "basis": "agreed"}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_monitor_message_has_a_translation(language):
    translated = _translated(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    assert all(_msgids(ROOT / module) for module in MODULES)
    missing = {module: sorted(_msgids(ROOT / module) - translated) for module in MODULES}
    assert not any(missing.values()), missing


def _errors(response, field):
    assert response.status_code == 400, response.content
    return " ".join(response.json()[field])


def test_a_refused_target_is_explained_in_russian_and_kazakh(municipality):
    client = municipality.client()
    assert client.post(TARGETS, BODY, format="json").status_code == 201
    for language, year, value, duplicate in (
        ("ru", "От 2000 до 2100", "больше нуля", "уже есть"),
        ("kk", "2000 мен 2100 аралығында", "Нөлден үлкен", "бұрыннан бар"),
    ):
        header = {"HTTP_ACCEPT_LANGUAGE": language}
        assert year in _errors(client.post(TARGETS, {**BODY, "year": 1999}, format="json", **header), "year")
        assert value in _errors(
            client.post(TARGETS, {**BODY, "value": "-1"}, format="json", **header), "value"
        )
        assert duplicate in _errors(client.post(TARGETS, BODY, format="json", **header), "year")


def test_a_bad_audit_log_filter_is_explained_in_russian(municipality):
    client = municipality.client()
    header = {"HTTP_ACCEPT_LANGUAGE": "ru"}
    assert "идентификатор" in _errors(client.get(EVENTS, {"organisation": "abc"}, **header), "organisation")
    assert "Такой организации нет" in _errors(
        client.get(EVENTS, {"organisation": "999999"}, **header), "organisation"
    )
    assert "код действия" in _errors(client.get(EVENTS, {"action": "Deal Agreed"}, **header), "action")
    assert "Неизвестный формат" in _errors(client.get(EVENTS, {"format": "xml"}, **header), "format")
    from django.test import Client

    web = Client()
    web.force_login(municipality.user)
    page = web.get("/accounts/events/", {"organisation": "abc"}, **header)
    assert page.status_code == 400 and "Нужен идентификатор организации." in page.content.decode()


def test_an_unknown_public_format_is_explained_in_kazakh():
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/public/impact/", {"format": "xml"}, HTTP_ACCEPT_LANGUAGE="kk")
    assert "Белгісіз формат" in _errors(response, "format")


def test_runs_to_compare_are_named_by_their_local_time():
    from matching.forms import _run_label
    from matching.models import MatchRun

    run = MatchRun(
        pk=7, objective="divert_then_distance", created_at=datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    )
    assert _run_label(run).endswith("2026-03-02 15:15")  # Asia/Almaty is UTC+5
