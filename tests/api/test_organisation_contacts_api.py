"""PATCH /api/v1/organisations/{id}/: contacts, edited by the organisation's admins only."""

import pytest

from accounts.models import Event, Membership, Organisation
from accounts.services import membership_add
from tests import deal_room, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


@pytest.fixture
def agreed(proposed, brewery, farm):
    return deal_room.agree(proposed, brewery, farm)


CONTACTS = {
    "contact_name": "Aigerim Nurlanovna",
    "phone": "+7 (727) 355-00-00",
    "email": "sales@brewery.kz",
    "website": "https://brewery.kz/contact",
    "bin": "060240012345",
}


def url(persona):
    return f"/api/v1/organisations/{persona.organisation.pk}/"


def test_an_admin_sets_the_contacts_and_it_is_audited(brewery):
    response = brewery.client().patch(url(brewery), CONTACTS, format="json")
    assert response.status_code == 200
    assert {key: response.json()[key] for key in CONTACTS} == CONTACTS
    org = Organisation.objects.get(pk=brewery.organisation.pk)
    assert {key: getattr(org, key) for key in CONTACTS} == CONTACTS
    event = Event.objects.get(action="organisation.contacts_updated")
    assert event.actor == brewery.user and event.data == {"fields": sorted(CONTACTS)}


def test_a_partial_patch_changes_only_what_it_names_and_blank_clears(brewery):
    brewery.client().patch(url(brewery), CONTACTS, format="json")
    response = brewery.client().patch(url(brewery), {"phone": "", "website": None}, format="json")
    assert response.status_code == 200
    org = Organisation.objects.get(pk=brewery.organisation.pk)
    assert (org.phone, org.website, org.bin) == ("", "", "060240012345")


def test_a_bare_domain_becomes_an_https_address(brewery):
    response = brewery.client().patch(url(brewery), {"website": "brewery.kz"}, format="json")
    assert response.status_code == 200 and response.json()["website"] == "https://brewery.kz"


@pytest.mark.parametrize(
    "field, value",
    [
        ("bin", "12345678901"),
        ("bin", "1234567890123"),
        ("bin", "12345678901a"),
        ("bin", "1234 5678 9012"),
        ("bin", "١٢٣٤٥٦٧٨٩٠١٢"),  # Arabic-Indic digits are not ASCII digits
        ("bin", True),
        ("phone", "call me"),
        ("phone", "12"),
        ("phone", "+7 727 355 00 00 00 00 00"),
        ("email", "not-an-address"),
        ("website", "javascript:alert(1)"),
        ("website", "ftp://brewery.kz"),
        ("website", "https://"),
        ("contact_name", "x" * 201),
        ("name", "Renamed"),
        ("verified", True),
    ],
)
def test_bad_values_are_400_naming_the_field_and_nothing_is_written(brewery, field, value):
    response = brewery.client().patch(url(brewery), {**CONTACTS, field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    org = Organisation.objects.get(pk=brewery.organisation.pk)
    assert (org.name, org.bin, org.phone) == ("Almaty Brewery", "", "")
    assert not Event.objects.filter(action="organisation.contacts_updated").exists()


def test_a_member_who_is_not_an_admin_gets_403(brewery):
    clerk = factories.make_user("clerk")
    membership_add(user=clerk, organisation=brewery.organisation, role=Membership.Role.MEMBER)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(clerk)
    assert client.patch(url(brewery), {"bin": "bad"}, format="json").status_code == 403
    assert client.patch(url(brewery), CONTACTS, format="json").status_code == 403
    assert Organisation.objects.get(pk=brewery.organisation.pk).bin == ""


def test_everyone_else_gets_404(brewery, farm, municipality, outsider):
    for persona in (farm, municipality, outsider):
        assert persona.client().patch(url(brewery), CONTACTS, format="json").status_code == 404
    assert brewery.client().patch("/api/v1/organisations/999999/", CONTACTS, format="json").status_code == 404
    assert Organisation.objects.get(pk=brewery.organisation.pk).bin == ""


def test_put_is_not_offered(brewery):
    assert brewery.client().put(url(brewery), CONTACTS, format="json").status_code == 405


def test_contacts_are_private_until_a_deal(brewery, farm, municipality):
    brewery.client().patch(url(brewery), CONTACTS, format="json")
    # The directory shows the organisation, not its contacts, to other companies.
    assert "bin" not in farm.client().get(url(brewery)).json()
    assert all("phone" not in row for row in farm.client().get("/api/v1/organisations/").json()["results"])
    # Its own members and the municipality see them.
    assert brewery.client().get(url(brewery)).json()["bin"] == CONTACTS["bin"]
    assert municipality.client().get(url(brewery)).json()["bin"] == CONTACTS["bin"]


def test_listings_search_and_proposals_never_show_contacts(proposed, brewery, farm):
    brewery.client().patch(url(brewery), CONTACTS, format="json")
    for address in (
        "/api/v1/offers/",
        f"/api/v1/offers/{proposed.offer_id}/",
        "/api/v1/proposals/",
        f"/api/v1/proposals/{proposed.pk}/",
    ):
        response = farm.client().get(address)
        assert response.status_code == 200, address
        text = response.content.decode()
        assert CONTACTS["bin"] not in text and CONTACTS["email"] not in text, address


def test_the_deal_shows_the_counterparts_contacts(agreed, brewery, farm):
    brewery.client().patch(url(brewery), CONTACTS, format="json")
    counterpart = farm.client().get(f"/api/v1/deals/{agreed.pk}/").json()["counterpart"]
    assert counterpart == {"id": brewery.organisation.pk, "name": "Almaty Brewery", **CONTACTS}
