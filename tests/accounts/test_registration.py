"""Sign-up: only non-authority kinds, and the same answer whether a name is taken or not.

The authority role (a verified municipality) comes only from the ``create_organisation``
command or the operator's audited ``organisation_grant_authority``.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.access import is_authority
from accounts.errors import DomainError, ErrorCode
from accounts.models import Event, Organisation, User
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"


def body(username="aigerim", org="Almaty Brewery", kind="company"):
    return {
        "username": username,
        "password": "grain-to-feed-2026",
        "email": f"{username}@example.kz",
        "organisation": {"name": org, "kind": kind, "sector": "agriculture_food"},
    }


# --- No authority by sign-up -------------------------------------------------------------
def test_the_register_api_refuses_a_municipality_naming_organisation_kind():
    response = APIClient().post(REGISTER, body(org="Akimat", kind="municipality"), format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["organisation"]
    assert "municipality" in response.json()["organisation"]["kind"][0]
    assert User.objects.count() == Organisation.objects.count() == Event.objects.count() == 0


def test_the_sign_up_page_offers_no_municipality_and_refuses_one(client):
    page = client.get(reverse("signup")).content.decode()
    assert 'value="company"' in page and 'value="municipality"' not in page
    response = client.post(
        reverse("signup"),
        {
            "username": "mayor",
            "password": PASSWORD,
            "email": "mayor@example.kz",
            "organisation_name": "Akimat",
            "kind": "municipality",
            "sector": "public_services",
        },
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not User.objects.exists() and not Organisation.objects.exists()


def test_the_service_itself_refuses_an_authority_kind():
    with pytest.raises(DomainError) as caught:
        services.organisation_register(
            username="mayor",
            password=PASSWORD,
            email="",
            organisation_name="Akimat",
            kind="municipality",
            sector="public_services",
        )
    assert caught.value.field == "kind"
    assert not User.objects.exists()


@pytest.mark.parametrize("kind", ["company", "ngo", "research"])
def test_the_other_kinds_register_unverified(kind):
    response = APIClient().post(REGISTER, body(org=f"A {kind}", kind=kind), format="json")
    assert response.status_code == 201
    assert response.json()["organisation"]["kind"] == kind
    assert response.json()["organisation"]["verified"] is False


def test_the_schema_offers_only_the_registrable_kinds(client):
    schema = client.get("/api/schema/?format=json").json()
    kind = schema["components"]["schemas"]["OrganisationInputRequest"]["properties"]["kind"]
    ref = kind["allOf"][0]["$ref"] if "allOf" in kind else kind["$ref"]
    enum = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {"company", "ngo", "research"}


# --- The same answer either way ----------------------------------------------------------
def test_a_taken_username_and_a_taken_organisation_name_get_the_same_answer(brewery):
    client = APIClient()
    answers = [
        client.post(REGISTER, body(username="brewer", org="Fresh Name LLP"), format="json"),
        client.post(REGISTER, body(username="fresh-user", org="Almaty Brewery"), format="json"),
        client.post(REGISTER, body(username="BREWER", org="almaty brewery"), format="json"),
    ]
    assert {a.status_code for a in answers} == {400}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert "cannot be registered" in answers[0].json()["non_field_errors"][0]
    assert not User.objects.filter(username="fresh-user").exists()
    assert not Organisation.objects.filter(name="Fresh Name LLP").exists()


def test_a_bad_password_is_reported_before_anything_about_names(brewery):
    response = APIClient().post(REGISTER, {**body(username="brewer"), "password": "123"}, format="json")
    assert response.status_code == 400 and "password" in response.json()


def test_the_sign_up_page_says_the_same_thing_for_either_taken_name(brewery):
    def attempt(username, org):
        return Client().post(
            reverse("signup"),
            {
                "username": username,
                "password": PASSWORD,
                "email": f"{username}@example.kz",
                "organisation_name": org,
                "kind": "company",
                "sector": "trade",
            },
        )

    taken_user = attempt("brewer", "Fresh Name LLP").content.decode()
    taken_org = attempt("fresh-user", "Almaty Brewery").content.decode()
    for page in (taken_user, taken_org):
        assert "cannot be registered" in page
        assert "already exists" not in page


# --- The authority role is granted, audited ----------------------------------------------
@pytest.fixture
def operator(db):
    user = factories.make_user("operator")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_the_operator_grants_the_authority_role_and_it_is_audited(operator, outsider):
    org = services.organisation_grant_authority(
        organisation=outsider.organisation, actor=operator, reason="City Hall's new department"
    )
    assert org.kind == "municipality" and org.verified
    event = Event.objects.get(action="organisation.authority_granted", object_id=str(org.pk))
    assert event.actor == operator
    assert event.data["previous"] == {"kind": "company", "verified": False}
    assert event.data["reason"] == "City Hall's new department"
    assert is_authority(User.objects.get(pk=outsider.user.pk))


def test_nobody_else_can_grant_it(municipality, outsider):
    with pytest.raises(DomainError) as caught:
        services.organisation_grant_authority(organisation=outsider.organisation, actor=municipality.user)
    assert caught.value.code is ErrorCode.FORBIDDEN
    outsider.organisation.refresh_from_db()
    assert outsider.organisation.kind == "company"
    assert not Event.objects.filter(action="organisation.authority_granted").exists()


def test_verifying_a_company_never_makes_it_an_authority(municipality, outsider):
    services.organisation_verify(organisation=outsider.organisation, actor=municipality.user)
    assert not is_authority(User.objects.get(pk=outsider.user.pk))


def test_the_admin_action_grants_it_and_the_kind_is_read_only_in_the_form(client, operator, outsider):
    client.force_login(operator)
    changelist = reverse("admin:accounts_organisation_changelist")
    response = client.post(
        changelist, {"action": "grant_authority", "_selected_action": [outsider.organisation.pk]}
    )
    assert response.status_code == 302
    outsider.organisation.refresh_from_db()
    assert outsider.organisation.kind == "municipality" and outsider.organisation.verified
    assert Event.objects.filter(action="organisation.authority_granted", actor=operator).count() == 1
    change = client.get(reverse("admin:accounts_organisation_change", args=[outsider.organisation.pk]))
    assert 'name="kind"' not in change.content.decode()
    add = client.get(reverse("admin:accounts_organisation_add")).content.decode()
    assert 'value="company"' in add and 'value="municipality"' not in add
