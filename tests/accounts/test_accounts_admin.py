"""The accounts admin reads everything and writes only through the services, with their events."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Event, Membership, Organisation, Site
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    user = factories.make_user("root-operator")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    client.operator = user
    return client


@pytest.mark.parametrize("model", ["user", "organisation", "membership", "site", "event"])
def test_every_accounts_changelist_opens(operator_client, brewery, model):
    assert operator_client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200


def test_adding_an_organisation_goes_through_the_service_and_is_audited(operator_client):
    response = operator_client.post(
        reverse("admin:accounts_organisation_add"),
        {"name": "  Kaskelen Mill ", "kind": "company", "sector": "agriculture_food"},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="Kaskelen Mill")  # stripped, as the service does
    event = Event.objects.get(action="organisation.created", object_id=str(org.pk))
    assert event.actor == operator_client.operator


def test_the_services_rules_show_on_the_add_form(operator_client, brewery):
    response = operator_client.post(
        reverse("admin:accounts_organisation_add"),
        {"name": brewery.organisation.name.upper(), "kind": "company", "sector": "agriculture_food"},
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Organisation.objects.count() == 1


def test_an_organisation_is_not_edited_or_deleted_here(operator_client, brewery):
    org = brewery.organisation
    change = reverse("admin:accounts_organisation_change", args=[org.pk])
    assert 'name="_save"' not in operator_client.get(change).content.decode()
    assert operator_client.post(change, {"name": "Renamed", "sector": "construction"}).status_code == 403
    delete = reverse("admin:accounts_organisation_delete", args=[org.pk])
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    org.refresh_from_db()
    assert org.name == "Almaty Brewery"


def test_adding_a_member_goes_through_the_service_and_is_audited(operator_client, brewery, farm):
    response = operator_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": brewery.user.pk, "organisation": farm.organisation.pk, "role": "member"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=brewery.user, organisation=farm.organisation)
    event = Event.objects.get(action="membership.added", object_id=str(membership.pk))
    assert event.actor == operator_client.operator and event.organisation == farm.organisation
    change = reverse("admin:accounts_membership_change", args=[membership.pk])
    assert operator_client.post(change, {"role": "admin"}).status_code == 403


def test_sites_users_and_events_are_read_only(operator_client, brewery):
    site = brewery.site
    assert operator_client.get(reverse("admin:accounts_site_add")).status_code == 403
    change = reverse("admin:accounts_site_change", args=[site.pk])
    assert (
        operator_client.post(change, {"name": "Moved", "latitude": "1", "longitude": "1"}).status_code == 403
    )
    assert Site.objects.get(pk=site.pk).name == site.name
    assert operator_client.get(reverse("admin:accounts_user_add")).status_code == 403
    user_change = reverse("admin:accounts_user_change", args=[brewery.user.pk])
    assert operator_client.post(user_change, {"username": "renamed"}).status_code == 403
    assert operator_client.get(reverse("admin:accounts_event_add")).status_code == 403
