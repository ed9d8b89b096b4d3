"""E-mails tell news (issue 10 point 4): new proposals only, plurals, the recipient's language, a link."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.language import user_language
from accounts.models import User
from marketplace import services as listings
from matching import notifications, services
from matching.models import Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db


def subjects_to(address: str) -> list[str]:
    return [str(m.subject) for m in mail.outbox if address in m.to]


def test_a_run_emails_each_party_once_about_its_new_proposals(grain_market, run_now):
    run_now()
    assert subjects_to("brewer@example.kz") == ["Qaita: 1 new match proposal"]
    assert subjects_to("farmer@example.kz") == ["Qaita: 1 new match proposal"]
    body = mail.outbox[0].body
    assert "found 1 new proposal for your organisation" in body
    assert "http://127.0.0.1:8000/matching/proposals/" in body


def test_a_kept_proposal_is_not_news(grain_market, run_now):
    run_now()
    mail.outbox.clear()
    run = run_now()
    assert run.stats["kept_proposals"] == 1
    assert mail.outbox == []


def test_only_the_proposals_new_to_a_party_are_counted_with_the_plural(grain_market, brewery, farm, run_now):
    run_now()
    mail.outbox.clear()
    # A second need of the farm's appears; the first proposal is kept, only one is new.
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 300, max_distance_km=80)
    listings.offer_update(offer=grain_market[0], actor=None, quantity="5000")
    run = run_now()
    assert run.stats["new_proposals"] == 1 and run.stats["kept_proposals"] == 1
    assert subjects_to("farmer@example.kz") == ["Qaita: 1 new match proposal"]
    mail.outbox.clear()
    notifications.new_proposals(run_id=Proposal.objects.order_by("id").first().first_run_id)
    assert subjects_to("brewer@example.kz") == []  # none of the run's proposals is new to it now
    # Two new ones: the plural form.
    Proposal.objects.update(first_run=run)
    notifications.new_proposals(run_id=run.pk)
    assert subjects_to("brewer@example.kz") == ["Qaita: 2 new match proposals"]


def test_the_site_url_setting_makes_the_links(grain_market, run_now, settings):
    settings.SITE_URL = "https://qaita.example.kz"
    run_now()
    assert all("https://qaita.example.kz/matching/proposals/" in m.body for m in mail.outbox)


def test_each_recipient_is_written_to_in_their_language(
    grain_market, brewery, farm, run_now, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=farm.user.pk).update(language="ru")
    run_now()
    proposal = Proposal.objects.get()
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    to_farm = next(m for m in mail.outbox if "farmer@example.kz" in m.to)
    to_brewery = next(m for m in mail.outbox if "brewer@example.kz" in m.to)
    # The material's name follows the language the message was rendered in.
    assert proposal.material.name_ru in to_farm.body and proposal.material.name_en in to_brewery.body
    assert "/matching/deals/" in to_farm.body


def test_members_of_one_organisation_in_two_languages_get_one_message_each(grain_market, brewery, run_now):
    colleague = f.make_user("colleague")
    from accounts import services as accounts

    accounts.membership_add(user=colleague, organisation=brewery.organisation, role="member")
    User.objects.filter(pk=colleague.pk).update(language="kk")
    run_now()
    to_brewery = [m for m in mail.outbox if set(m.to) & {"brewer@example.kz", "colleague@example.kz"}]
    assert sorted(tuple(m.to) for m in to_brewery) == [("brewer@example.kz",), ("colleague@example.kz",)]


# --- Remembering the language ------------------------------------------------------------------------


def test_the_language_switch_is_remembered_for_the_user(client, brewery):
    client.force_login(brewery.user)
    client.post(reverse("set_language"), {"language": "kk", "next": "/"})
    brewery.user.refresh_from_db()
    assert brewery.user.language == "kk" and user_language(brewery.user) == "kk"
    client.get(reverse("matching:proposals"))  # the cookie keeps it
    brewery.user.refresh_from_db()
    assert brewery.user.language == "kk"


def test_the_browsers_language_is_remembered_and_a_silent_request_changes_nothing(client, brewery):
    client.force_login(brewery.user)
    client.get(reverse("matching:proposals"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    brewery.user.refresh_from_db()
    assert brewery.user.language == "ru"
    brewery.client().get("/api/v1/proposals/")  # no cookie, no Accept-Language
    brewery.user.refresh_from_db()
    assert brewery.user.language == "ru"


def test_a_user_who_never_chose_gets_the_default_language(brewery, settings):
    assert brewery.user.language == "" and user_language(brewery.user) == settings.LANGUAGE_CODE
