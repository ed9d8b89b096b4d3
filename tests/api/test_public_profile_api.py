"""Organisation.public_profile: off by default, set by the organisation's admins (PATCH and page)."""

import pytest

from accounts.models import Event, Membership, Organisation
from accounts.services import membership_add
from tests import factories

pytestmark = pytest.mark.django_db


def url(persona):
    return f"/api/v1/organisations/{persona.organisation.pk}/"


def test_it_is_off_by_default_and_an_admin_opts_in_audited(brewery):
    assert brewery.client().get(url(brewery)).json()["public_profile"] is False
    response = brewery.client().patch(url(brewery), {"public_profile": True}, format="json")
    assert response.status_code == 200 and response.json()["public_profile"] is True
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is True
    event = Event.objects.get(action="organisation.public_profile_changed")
    assert event.data == {"public_profile": True} and event.actor == brewery.user
    brewery.client().patch(url(brewery), {"public_profile": True}, format="json")
    assert (
        Event.objects.filter(action="organisation.public_profile_changed").count() == 1
    )  # no change, no event


def test_contacts_and_the_opt_in_change_together_or_not_at_all(brewery):
    response = brewery.client().patch(url(brewery), {"public_profile": True, "bin": "123"}, format="json")
    assert response.status_code == 400 and "bin" in response.json()
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is False
    ok = brewery.client().patch(
        url(brewery), {"public_profile": True, "phone": "+7 727 355 00 00"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["phone"] == "+7 727 355 00 00" and ok.json()["public_profile"]


@pytest.mark.parametrize("value", ["maybe", None, [], {"on": 1}])
def test_a_value_that_is_not_a_boolean_is_a_400(brewery, value):
    response = brewery.client().patch(url(brewery), {"public_profile": value}, format="json")
    assert response.status_code == 400 and "public_profile" in response.json()
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is False


def test_a_plain_member_gets_403_and_others_404(brewery, farm, municipality):
    member = factories.make_user("brewery-clerk")
    membership_add(user=member, organisation=brewery.organisation, role=Membership.Role.MEMBER)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(member)
    assert client.patch(url(brewery), {"public_profile": True}, format="json").status_code == 403
    assert farm.client().patch(url(brewery), {"public_profile": True}, format="json").status_code == 404
    assert (
        municipality.client().patch(url(brewery), {"public_profile": True}, format="json").status_code == 404
    )
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is False


def test_the_organisation_page_form_sets_it(brewery, client):
    client.force_login(brewery.user)
    page = client.get(f"/accounts/organisations/{brewery.organisation.pk}/").content.decode()
    assert 'name="public_profile"' in page
    response = client.post(
        f"/accounts/organisations/{brewery.organisation.pk}/contacts/", {"public_profile": "on", "bin": ""}
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is True
    client.post(f"/accounts/organisations/{brewery.organisation.pk}/contacts/", {"bin": ""})
    assert Organisation.objects.get(pk=brewery.organisation.pk).public_profile is False
