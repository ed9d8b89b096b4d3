"""The deal room's refusals answer in the user's language (ru, kk), like every business rule.

Found from outside: a message body, an organisation's contacts and the tariffs endpoint
answered in English whatever the language asked for.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from accounts.services import membership_add
from matching.models import Message, Tariff
from tests import deal_room, factories

pytestmark = pytest.mark.django_db

LANGUAGES = [
    ("ru", "Напишите сообщение"),
    ("kk", "хабарлама жазыңыз"),
]


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


def _ask(persona, method, url, data, language):
    return getattr(persona.client(), method)(url, data, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(("language", "words"), LANGUAGES)
def test_an_empty_message_is_refused_in_the_users_language(proposed, brewery, language, words):
    response = _ask(brewery, "post", f"/api/v1/proposals/{proposed.pk}/messages/", {"body": " "}, language)
    assert response.status_code == 400
    assert words in response.json()["body"][0]
    assert not Message.objects.exists()


@pytest.mark.parametrize(("language", "words"), [("ru", "Не больше 5,000 символов"), ("kk", "Ең көбі 5,000")])
def test_a_too_long_message_is_refused_in_the_users_language(proposed, brewery, language, words):
    url = f"/api/v1/proposals/{proposed.pk}/messages/"
    response = _ask(brewery, "post", url, {"body": "x" * 5001}, language)
    assert response.status_code == 400
    assert words in response.json()["body"][0] and "5,001" in response.json()["body"][0]
    assert not Message.objects.exists()


def test_the_message_limits_still_read_in_english(proposed, brewery):
    url = f"/api/v1/proposals/{proposed.pk}/messages/"
    assert _ask(brewery, "post", url, {"body": ""}, "en").json()["body"] == [
        "Write a message of 1 to 5,000 characters."
    ]
    assert _ask(brewery, "post", url, {"body": "x" * 5001}, "en").json()["body"] == [
        "At most 5,000 characters (this one has 5,001)."
    ]


@pytest.mark.parametrize(
    ("field", "value", "ru", "kk"),
    [
        ("bin", "12345", "12 цифр", "12 цифрдан"),
        ("phone", "123", "от 6 до 15 цифр", "6-ден 15-ге дейін"),
        ("phone", "call me", "Только цифры", "Тек цифрлар"),
        ("email", "not-an-email", "электронной почты", "электрондық пошта"),
        ("website", "javascript:alert(1)", "http(s)", "http(s)"),
    ],
)
def test_bad_contacts_are_refused_in_the_users_language(brewery, field, value, ru, kk):
    url = f"/api/v1/organisations/{brewery.organisation.pk}/"
    for language, words in (("ru", ru), ("kk", kk)):
        response = _ask(brewery, "patch", url, {field: value}, language)
        assert response.status_code == 400
        assert words in response.json()[field][0]
        assert response.json()[field][0] != _ask(brewery, "patch", url, {field: value}, "en").json()[field][0]
    assert getattr(Organisation.objects.get(pk=brewery.organisation.pk), field) == ""


def test_a_member_who_is_not_an_admin_is_told_so_in_russian(brewery):
    clerk = factories.make_user("clerk")
    membership_add(user=clerk, organisation=brewery.organisation, role=Membership.Role.MEMBER)
    client = APIClient()
    client.force_authenticate(clerk)
    response = client.patch(
        f"/api/v1/organisations/{brewery.organisation.pk}/",
        {"bin": "060240012345"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 403 and "администраторы организации" in response.json()["detail"]


def test_companies_are_refused_the_tariffs_in_their_language(brewery):
    for language, words in (("ru", "только акимат"), ("kk", "тек әкімдік")):
        response = _ask(brewery, "get", "/api/v1/tariffs/", None, language)
        assert response.status_code == 403 and words in response.json()["detail"]
    assert _ask(brewery, "get", "/api/v1/tariffs/", None, "en").json()["detail"] == (
        "Only the municipality can do this."
    )


def test_tariff_refusals_answer_in_russian(municipality):
    good = {"version": "2026.1", "landfill_gate_fee_kzt_per_t": "4500", "transport_kzt_per_tkm": "45"}
    created = _ask(municipality, "post", "/api/v1/tariffs/", good, "ru").json()
    again = _ask(municipality, "post", "/api/v1/tariffs/", good, "ru")
    assert again.status_code == 400 and "уже существует" in again.json()["version"][0]
    url = f"/api/v1/tariffs/{created['id']}/"
    assert _ask(municipality, "post", f"{url}publish/", {}, "ru").status_code == 200
    republish = _ask(municipality, "post", f"{url}publish/", {}, "ru")
    assert republish.status_code == 409 and "уже опубликован" in republish.json()["detail"]
    edit = _ask(municipality, "patch", url, {"transport_kzt_per_tkm": "1"}, "kk")
    assert edit.status_code == 409 and "өзгертуге болмайды" in edit.json()["detail"]
    assert Tariff.objects.get().transport_kzt_per_tkm == 45
