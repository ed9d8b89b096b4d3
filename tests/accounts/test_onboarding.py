"""Onboarding: e-mail required at sign-up, password reset and change, first steps, the verified e-mail."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Organisation, User
from tests import factories as f
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "zhanar",
    "password": PASSWORD,
    "organisation_name": "Zhanar Bakery",
    "kind": "company",
    "sector": "agriculture_food",
}


def test_the_sign_up_page_requires_an_e_mail_and_writes_nothing_without_one(client):
    page = client.get(reverse("signup")).content.decode()
    assert re.search(r'<input type="email" name="email"[^>]* required', page)
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not User.objects.exists() and not Organisation.objects.exists()
    client.post(reverse("signup"), {**SIGNUP, "email": "zhanar@example.kz"})
    assert User.objects.get().email == "zhanar@example.kz"


def test_the_register_api_requires_an_e_mail():
    body = {
        "username": "zhanar",
        "password": PASSWORD,
        "organisation": {"name": "Zhanar Bakery", "kind": "company", "sector": "trade"},
    }
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400 and "email" in response.json()
    blank = APIClient().post("/api/v1/auth/register/", {**body, "email": " "}, format="json")
    assert blank.status_code == 400 and "email" in blank.json()
    assert not User.objects.exists()
    ok = APIClient().post("/api/v1/auth/register/", {**body, "email": "z@example.kz"}, format="json")
    assert ok.status_code == 201


def test_the_service_refuses_a_blank_e_mail():
    with pytest.raises(services.DomainError) as exc:
        services.organisation_register(
            username="zhanar",
            password=PASSWORD,
            email="",
            organisation_name="Z",
            kind="company",
            sector="trade",
        )
    assert exc.value.field == "email"


def test_the_login_page_links_to_the_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    assert (
        reverse("password_reset") == "/password-reset/" and reverse("password_change") == "/password-change/"
    )


def test_a_password_reset_by_e_mail_sets_a_new_password(client, brewery, settings):
    settings.SITE_URL = "https://qaita.example.kz"
    response = client.post(reverse("password_reset"), {"email": "brewer@example.kz"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    (message,) = mail.outbox
    assert message.to == ["brewer@example.kz"] and "brewer" in message.body
    link = re.search(r"https://qaita\.example\.kz(/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-fresh-password-2026", "new_password2": "a-fresh-password-2026"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    login = Client().post(reverse("login"), {"username": "brewer", "password": "a-fresh-password-2026"})
    assert login.status_code == 302
    # The link works once.
    assert "used already" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, brewery):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.kz"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_logged_in_user_changes_the_password(client, brewery):
    assert client.get(reverse("password_change")).status_code == 302  # login first
    client.force_login(brewery.user)
    assert 'name="old_password"' in client.get(reverse("password_change")).content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-pass-2026",
            "new_password2": "another-pass-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert User.objects.get(username="brewer").check_password("another-pass-2026")


def test_the_first_steps_follow_site_listing_verification(
    client, municipality, django_capture_on_commit_callbacks
):
    user = f.make_user("newcomer")
    org = f.make_organisation("Newcomer LLP", verified=False, members=(user,))
    client.force_login(user)

    def steps():
        page = client.get(reverse("matching:dashboard")).content.decode()
        return dict(re.findall(r'data-step="(\w+)" data-done="(\w+)"', page)), page

    state, page = steps()
    assert state == {"site": "false", "listing": "false", "verification": "false"}
    assert reverse("accounts:site-create") in page
    assert "do not enter the city-wide matching" in page  # what verification means
    site = f.make_site(org, "Newcomer yard")
    f.make_offer(org, site, "brewers_spent_grain", 10)
    state, page = steps()
    assert state == {"site": "true", "listing": "true", "verification": "false"}
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_verify(organisation=org, actor=municipality.user)
    state, page = steps()
    assert state == {} and 'id="first-steps"' not in page


def test_verification_sends_an_e_mail_to_the_members(
    municipality, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_verify(organisation=outsider.organisation, actor=municipality.user)
    (message,) = mail.outbox
    assert message.to == ["outsider@example.kz"]
    assert "Outsider LLP" in message.subject and "city-wide matching" in message.body
    assert reverse("marketplace:mine") in message.body
    # Verifying again changes nothing and sends nothing; withdrawing sends nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_verify(organisation=outsider.organisation, actor=municipality.user)
        services.organisation_verify(
            organisation=outsider.organisation, actor=municipality.user, verified=False
        )
    assert len(mail.outbox) == 1


def test_empty_lists_link_to_the_create_pages(client, outsider):
    client.force_login(outsider.user)
    dashboard = client.get(reverse("matching:dashboard")).content.decode()
    assert (
        reverse("marketplace:offer-create") in dashboard and reverse("marketplace:need-create") in dashboard
    )
    assert reverse("marketplace:mine") in client.get(reverse("matching:proposals")).content.decode()
    assert reverse("matching:proposals") in client.get(reverse("matching:deals")).content.decode()
