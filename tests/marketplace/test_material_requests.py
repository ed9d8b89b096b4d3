"""Asking for a material that is not in the catalogue, and the municipality's answer."""

import pytest
from django.urls import reverse

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import material_requests as service
from marketplace.models import MaterialRequest
from tests.marketplace.helpers import load_catalogue

pytestmark = pytest.mark.django_db

API = "/api/v1/material-requests/"


@pytest.fixture
def catalogue(db):
    return load_catalogue()


def test_a_company_asks_and_the_municipality_answers_with_a_material(brewery, municipality, catalogue):
    request = service.material_request_create(
        actor=brewery.user, name="Hop trub", description="After boiling, 3 t a month"
    )
    assert request.status == "open" and request.organisation == brewery.organisation
    answered = service.material_request_answer(
        material_request=request,
        actor=municipality.user,
        answer="List it as spent grain for now.",
        material="brewers_spent_grain",
    )
    assert answered.status == "added" and answered.material.key == "brewers_spent_grain"
    actions = list(
        Event.objects.filter(object_type="marketplace.materialrequest").values_list("action", flat=True)
    )
    assert sorted(actions) == ["material_request.answered", "material_request.created"]
    with pytest.raises(DomainError) as again:
        service.material_request_answer(material_request=request, actor=municipality.user, answer="twice")
    assert again.value.code is ErrorCode.CONFLICT


def test_only_the_municipality_answers_and_a_company_sees_only_its_own(
    brewery, farm, municipality, catalogue
):
    mine = service.material_request_create(actor=brewery.user, name="Hop trub")
    with pytest.raises(DomainError) as refused:
        service.material_request_answer(material_request=mine, actor=farm.user, answer="no")
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert list(service.material_request_list_for(user=farm.user)) == []
    assert list(service.material_request_list_for(user=municipality.user)) == [mine]
    with pytest.raises(DomainError):
        service.access_material_request(farm.user, mine.pk)


def test_a_blank_name_is_refused(brewery):
    with pytest.raises(DomainError) as exc:
        service.material_request_create(actor=brewery.user, name="   ")
    assert exc.value.field == "name" and not MaterialRequest.objects.exists()


def test_the_web_form_and_the_municipality_page(client, brewery, municipality, catalogue):
    client.force_login(brewery.user)
    assert (
        reverse("marketplace:material-request-create")
        in client.get(reverse("marketplace:offer-create")).content.decode()
    )
    blank = client.post(reverse("marketplace:material-request-create"), {"name": ""})
    assert blank.status_code == 400 and not MaterialRequest.objects.exists()
    sent = client.post(
        reverse("marketplace:material-request-create"), {"name": "Hop trub", "description": "3 t a month"}
    )
    assert sent.status_code == 302
    request = MaterialRequest.objects.get()
    assert "Hop trub" in client.get(reverse("marketplace:material-requests")).content.decode()
    # The company cannot answer.
    url = reverse("marketplace:material-request-answer", args=[request.pk])
    assert client.post(url, {f"r{request.pk}-answer": "x"}).status_code == 403

    client.force_login(municipality.user)
    page = client.get(reverse("marketplace:material-requests")).content.decode()
    assert "Hop trub" in page and "Almaty Brewery" in page and url in page
    assert (
        reverse("marketplace:material-requests")
        in client.get(reverse("accounts:verification-queue")).content.decode()
    )
    bad = client.post(url, {f"r{request.pk}-answer": "", f"r{request.pk}-material": ""})
    assert bad.status_code == 400
    done = client.post(
        url, {f"r{request.pk}-answer": "Use spent grain.", f"r{request.pk}-material": "brewers_spent_grain"}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "added" and request.answer == "Use spent grain."

    client.force_login(brewery.user)
    mine = client.get(reverse("marketplace:material-requests")).content.decode()
    assert "Use spent grain." in mine and "brewers_spent_grain" in mine


def test_the_api_creates_lists_and_answers(brewery, farm, municipality, catalogue):
    created = brewery.client().post(API, {"name": "Hop trub", "description": "3 t a month"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "open"
    pk = created.json()["id"]
    assert [r["id"] for r in brewery.client().get(API).json()["results"]] == [pk]
    assert farm.client().get(API).json()["results"] == []
    assert farm.client().get(f"{API}{pk}/").status_code == 404
    assert brewery.client().post(f"{API}{pk}/answer/", {"answer": "x"}, format="json").status_code == 403
    unknown = municipality.client().post(
        f"{API}{pk}/answer/", {"answer": "x", "material": "nope"}, format="json"
    )
    assert unknown.status_code == 400 and "material" in unknown.json()
    answered = municipality.client().post(f"{API}{pk}/answer/", {"answer": "Not yet."}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    again = municipality.client().post(f"{API}{pk}/answer/", {"answer": "Again"}, format="json")
    assert again.status_code == 409


def test_the_api_refuses_unknown_fields(brewery):
    response = brewery.client().post(API, {"name": "Hop trub", "status": "added"}, format="json")
    assert response.status_code == 400 and response.json() == {"status": ["Unknown field."]}
    assert not MaterialRequest.objects.exists()


def test_the_person_who_asked_gets_the_answer_by_e_mail(
    brewery, municipality, catalogue, django_capture_on_commit_callbacks
):
    from django.core import mail

    request = service.material_request_create(actor=brewery.user, name="Hop trub")
    with django_capture_on_commit_callbacks(execute=True):
        service.material_request_answer(
            material_request=request,
            actor=municipality.user,
            answer="Use spent grain.",
            material="brewers_spent_grain",
        )
    (message,) = mail.outbox
    assert message.to == ["brewer@example.kz"] and "Hop trub" in message.subject
    assert "Use spent grain." in message.body and "brewers_spent_grain" in message.body
    assert reverse("marketplace:material-requests") in message.body
