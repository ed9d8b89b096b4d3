import pytest
from rest_framework.test import APIClient

from accounts.models import Event, Membership, Organisation, User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"


def register_body(**overrides):
    body = {
        "username": "aigerim",
        "password": "grain-to-feed-2026",
        "email": "aigerim@brewery.kz",
        "organisation": {"name": "Almaty Brewery", "kind": "company", "sector": "agriculture_food"},
    }
    body.update(overrides)
    return body


def test_register_then_token_then_verification_by_the_municipality(anon_client, municipality):
    response = anon_client.post(REGISTER, register_body(), format="json")
    assert response.status_code == 201, response.content
    org_id = response.json()["organisation"]["id"]
    assert response.json()["organisation"]["verified"] is False
    org = Organisation.objects.get(pk=org_id)
    assert Membership.objects.get(organisation=org).role == "admin"

    token = anon_client.post(TOKEN, {"username": "aigerim", "password": "grain-to-feed-2026"}, format="json")
    assert token.status_code == 200
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert anon_client.get(f"/api/v1/organisations/{org_id}/").json()["verified"] is False
    # The new company cannot verify itself.
    assert anon_client.post(f"/api/v1/organisations/{org_id}/verify/").status_code == 403

    verified = municipality.client().post(f"/api/v1/organisations/{org_id}/verify/")
    assert verified.status_code == 200
    assert verified.json()["verified"] is True
    event = Event.objects.get(action="organisation.verified", object_id=str(org_id))
    assert event.actor == municipality.user
    assert event.organisation_id == org_id


def test_verifying_twice_records_one_decision(municipality, outsider):
    client = municipality.client()
    for _ in range(2):
        assert client.post(f"/api/v1/organisations/{outsider.organisation.id}/verify/").status_code == 200
    assert (
        Event.objects.filter(action="organisation.verified", object_id=str(outsider.organisation.id)).count()
        == 1
    )


def test_an_unverified_municipality_has_no_authority(outsider):
    from tests import factories

    clerk = factories.make_user("fake")
    factories.make_organisation(
        "Fake City Hall", kind="municipality", sector="public_services", verified=False, members=(clerk,)
    )
    client = APIClient()
    client.force_authenticate(clerk)
    assert client.post(f"/api/v1/organisations/{outsider.organisation.id}/verify/").status_code == 403
    assert Organisation.objects.get(pk=outsider.organisation.id).verified is False


@pytest.mark.parametrize(
    "change, field",
    [
        ({"organisation": {"name": "X", "kind": "empire", "sector": "trade"}}, "organisation"),
        ({"organisation": {"name": "X", "kind": "company", "sector": "mining"}}, "organisation"),
        ({"organisation": {"name": "", "kind": "company", "sector": "trade"}}, "organisation"),
        ({"organisation": {"kind": "company", "sector": "trade"}}, "organisation"),
        ({"username": ""}, "username"),
        ({"password": "123"}, "password"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_register_rejects_bad_input_and_writes_nothing(anon_client, change, field):
    response = anon_client.post(REGISTER, register_body(**change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0 and Organisation.objects.count() == 0


def test_register_rejects_a_taken_organisation_name_and_leaves_no_user(anon_client, brewery):
    response = anon_client.post(
        REGISTER,
        register_body(organisation={"name": "almaty brewery", "kind": "company", "sector": "trade"}),
        format="json",
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="aigerim").exists()


def test_malformed_json_is_a_400_not_a_500(anon_client):
    response = anon_client.generic("POST", REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_token_with_a_wrong_password_is_refused(anon_client, brewery):
    response = anon_client.post(TOKEN, {"username": "brewer", "password": "nope"}, format="json")
    assert response.status_code in (400, 401)
    assert "token" not in response.json()


def test_the_api_requires_authentication(anon_client):
    assert anon_client.get("/api/v1/sites/").status_code == 401
    assert anon_client.get("/api/v1/organisations/").status_code == 401
