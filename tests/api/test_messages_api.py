"""GET/POST /api/v1/proposals/{id}/messages/ and /api/v1/deals/{id}/messages/."""

import pytest
from django.core import mail

from matching.models import Message
from tests import deal_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


@pytest.fixture
def agreed(proposed, brewery, farm):
    return deal_room.agree(proposed, brewery, farm)


def thread(kind, obj):
    return f"/api/v1/{kind}/{obj.pk}/messages/"


def post(persona, url, body, **extra):
    return persona.client().post(url, {"body": body}, format="json", **extra)


def test_a_party_writes_and_gets_the_contracted_shape(proposed, brewery):
    response = post(brewery, thread("proposals", proposed), "  Can you take 5 t lots?  ")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "body", "author", "organisation", "created_at"}
    assert body["body"] == "Can you take 5 t lots?"  # stripped
    assert body["author"] == {"id": brewery.user.pk, "name": "brewer"}
    assert body["organisation"] == {"id": brewery.organisation.pk, "name": "Almaty Brewery"}
    message = Message.objects.get()
    assert message.proposal_id == proposed.pk and message.organisation_id == brewery.organisation.pk


def test_both_parties_and_the_municipality_read_and_write_the_same_thread(
    proposed, brewery, farm, municipality
):
    url = thread("proposals", proposed)
    for persona, text in ((brewery, "first"), (farm, "second"), (municipality, "third")):
        assert post(persona, url, text).status_code == 201
    for persona in (brewery, farm, municipality):
        response = persona.client().get(url)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [m["body"] for m in results] == ["first", "second", "third"]
    organisations = [m["organisation"]["id"] for m in municipality.client().get(url).json()["results"]]
    assert organisations == [brewery.organisation.pk, farm.organisation.pk, municipality.organisation.pk]


@pytest.mark.parametrize("kind", ["proposals", "deals"])
def test_everyone_else_gets_404_and_nothing_is_written(agreed, outsider, kind, anon_client):
    obj = agreed if kind == "deals" else agreed.proposal
    url = thread(kind, obj)
    assert outsider.client().get(url).status_code == 404
    assert post(outsider, url, "hello").status_code == 404
    assert anon_client.get(url).status_code == 401
    assert Message.objects.count() == 0


def test_a_verified_company_that_is_not_a_party_gets_404(proposed):
    from tests.conftest import _persona

    stranger = _persona("stranger", "Stranger Foods", verified=True)
    assert stranger.client().get(thread("proposals", proposed)).status_code == 404
    assert post(stranger, thread("proposals", proposed), "hi").status_code == 404
    assert Message.objects.count() == 0


@pytest.mark.parametrize("url", ["/api/v1/proposals/999999/messages/", "/api/v1/proposals/abc/messages/"])
def test_unknown_threads_are_404(proposed, brewery, url):
    assert brewery.client().get(url).status_code == 404
    assert post(brewery, url, "hello").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"body": ""},
        {"body": "   \n\t  "},
        {"body": "x" * 5001},
        {"body": " " + "x" * 5001 + " "},
        {"body": None},
        {"body": ["a list"]},
        {"body": {"an": "object"}},
        {"body": True},
        {"body": "nul \x00 inside"},
        {},
        {"text": "wrong field"},
    ],
)
def test_bad_bodies_are_400_naming_body_and_write_nothing(proposed, brewery, payload):
    response = brewery.client().post(thread("proposals", proposed), payload, format="json")
    assert response.status_code == 400
    assert "body" in response.json()
    assert Message.objects.count() == 0


def test_exactly_5000_characters_after_strip_are_accepted(proposed, brewery):
    response = post(brewery, thread("proposals", proposed), "  " + "я" * 5000 + "  ")
    assert response.status_code == 201 and len(response.json()["body"]) == 5000


def test_a_non_json_body_is_400(proposed, brewery):
    response = brewery.client().post(
        thread("proposals", proposed), "not json", content_type="application/json"
    )
    assert response.status_code == 400 and Message.objects.count() == 0


def test_the_deal_thread_continues_the_proposal_thread_oldest_first(agreed, brewery, farm):
    assert post(brewery, thread("proposals", agreed.proposal), "before the deal").status_code == 201
    assert post(farm, thread("deals", agreed), "after the deal").status_code == 201
    on_deal = [m["body"] for m in brewery.client().get(thread("deals", agreed)).json()["results"]]
    on_proposal = [
        m["body"] for m in farm.client().get(thread("proposals", agreed.proposal)).json()["results"]
    ]
    assert on_deal == on_proposal == ["before the deal", "after the deal"]
    assert set(Message.objects.values_list("proposal_id", flat=True)) == {agreed.proposal_id}


def test_the_thread_is_paginated_oldest_first(proposed, brewery):
    from matching import conversations

    for i in range(7):
        conversations.message_post(proposal=proposed, actor=brewery.user, body=f"message {i}")
    first = brewery.client().get(thread("proposals", proposed), {"page_size": 3}).json()
    assert first["count"] == 7 and [m["body"] for m in first["results"]] == [
        "message 0",
        "message 1",
        "message 2",
    ]
    last = brewery.client().get(thread("proposals", proposed), {"page_size": 3, "page": 3}).json()
    assert [m["body"] for m in last["results"]] == ["message 6"] and last["next"] is None


def test_posting_is_throttled_per_user_and_reading_is_not(proposed, brewery, farm, settings):
    settings.MESSAGES_THROTTLE_RATE = "3/minute"
    url = thread("proposals", proposed)
    codes = [post(brewery, url, f"m{i}").status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert Message.objects.count() == 3
    assert brewery.client().get(url).status_code == 200  # reading is never throttled
    assert post(farm, url, "the other side still can").status_code == 201


def test_a_new_message_emails_the_other_side_only(
    proposed, brewery, farm, django_capture_on_commit_callbacks
):
    mail.outbox.clear()  # the run's own notices
    with django_capture_on_commit_callbacks(execute=True):
        assert post(brewery, thread("proposals", proposed), "Ready in May").status_code == 201
    assert [m.to for m in mail.outbox] == [["farmer@example.kz"]]
    assert "Ready in May" in mail.outbox[0].body


def test_proposals_and_deals_carry_no_contacts_and_deals_name_the_counterpart(
    agreed, brewery, farm, municipality
):
    from accounts.services import organisation_contacts_update

    organisation_contacts_update(
        organisation=farm.organisation, actor=farm.user, phone="+7 701 000 00 00", bin="123456789012"
    )
    proposal = brewery.client().get(f"/api/v1/proposals/{agreed.proposal_id}/").json()
    assert "counterpart" not in proposal and "+7 701" not in str(proposal)
    deal = brewery.client().get(f"/api/v1/deals/{agreed.pk}/").json()
    assert deal["counterpart"] == {
        "id": farm.organisation.pk,
        "name": "Talgar Dairy Farm",
        "contact_name": "",
        "phone": "+7 701 000 00 00",
        "email": "",
        "website": "",
        "bin": "123456789012",
    }
    assert (
        farm.client().get(f"/api/v1/deals/{agreed.pk}/").json()["counterpart"]["id"]
        == brewery.organisation.pk
    )
    assert municipality.client().get(f"/api/v1/deals/{agreed.pk}/").json()["counterpart"] is None
    listed = brewery.client().get("/api/v1/deals/").json()["results"]
    assert listed[0]["counterpart"]["phone"] == "+7 701 000 00 00"
