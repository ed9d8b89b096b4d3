"""The deal room's pages: conversations, the unread badge, contacts, estimates, tariffs."""

import pytest
from django.urls import reverse

from accounts.models import Event, Membership, Organisation
from accounts.services import membership_add, organisation_contacts_update
from matching import conversations
from matching.models import Message, Tariff
from tests import deal_room, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


@pytest.fixture
def agreed(proposed, brewery, farm):
    return deal_room.agree(proposed, brewery, farm)


@pytest.fixture
def tariff(municipality):
    return deal_room.publish_tariff(municipality)


def as_user(client, persona):
    client.force_login(persona.user)
    return client


def test_the_proposal_page_shows_the_conversation_and_posts_with_htmx(client, brewery, farm, proposed):
    as_user(client, brewery)
    page = client.get(reverse("matching:proposal", args=[proposed.pk]))
    assert page.status_code == 200 and 'id="conversation"' in page.content.decode()
    response = client.post(
        reverse("matching:proposal-messages", args=[proposed.pk]),
        {"body": "<b>bold</b> & <script>alert(1)</script>"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 201
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in html and "<b>bold</b>" not in html
    assert Message.objects.get().body == "<b>bold</b> & <script>alert(1)</script>"
    as_user(client, farm)
    assert (
        "&lt;b&gt;bold&lt;/b&gt;"
        in client.get(reverse("matching:proposal", args=[proposed.pk])).content.decode()
    )


def test_a_blank_or_too_long_message_is_400_and_keeps_the_draft(client, brewery, proposed):
    as_user(client, brewery)
    url = reverse("matching:proposal-messages", args=[proposed.pk])
    blank = client.post(url, {"body": "   "}, HTTP_HX_REQUEST="true")
    assert blank.status_code == 400 and 'role="alert"' in blank.content.decode()
    long = client.post(url, {"body": "y" * 5001}, HTTP_HX_REQUEST="true")
    assert long.status_code == 400 and "y" * 5001 in long.content.decode()
    assert Message.objects.count() == 0


def test_without_htmx_the_form_redirects_back_to_the_thread(client, brewery, proposed):
    as_user(client, brewery)
    response = client.post(reverse("matching:proposal-messages", args=[proposed.pk]), {"body": "plain form"})
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:proposal", args=[proposed.pk]) + "#conversation"
    assert Message.objects.get().body == "plain form"


def test_outsiders_get_404_on_the_pages_and_posts(client, outsider, agreed):
    as_user(client, outsider)
    for name, pk in (("matching:proposal", agreed.proposal_id), ("matching:deal", agreed.pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert (
        client.post(
            reverse("matching:proposal-messages", args=[agreed.proposal_id]), {"body": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("matching:deal-messages", args=[agreed.pk]), {"body": "x"}).status_code == 404
    assert Message.objects.count() == 0


def test_the_page_form_is_throttled_like_the_api(client, brewery, proposed, settings):
    settings.MESSAGES_THROTTLE_RATE = "2/minute"
    as_user(client, brewery)
    url = reverse("matching:proposal-messages", args=[proposed.pk])
    codes = [client.post(url, {"body": f"m{i}"}, HTTP_HX_REQUEST="true").status_code for i in range(3)]
    assert codes == [201, 201, 429] and Message.objects.count() == 2


def test_the_navigation_badge_counts_unread_messages_until_the_thread_is_read(
    client, brewery, farm, proposed
):
    conversations.message_post(proposal=proposed, actor=brewery.user, body="one")
    conversations.message_post(proposal=proposed, actor=brewery.user, body="two")
    as_user(client, farm)
    dashboard = client.get(reverse("matching:notifications")).content.decode()
    assert 'data-unread aria-label="2 unread messages">2<' in dashboard
    inbox = client.get(reverse("matching:conversations")).content.decode()
    assert "2 new" in inbox and reverse("matching:proposal", args=[proposed.pk]) in inbox
    client.get(reverse("matching:proposal", args=[proposed.pk]))
    assert "data-unread" not in client.get(reverse("matching:notifications")).content.decode()
    as_user(client, brewery)
    assert "data-unread" not in client.get(reverse("matching:notifications")).content.decode()


def test_the_deal_page_continues_the_thread_and_shows_the_counterpart(
    client, brewery, farm, municipality, agreed
):
    conversations.message_post(proposal=agreed.proposal, actor=farm.user, body="from the proposal")
    organisation_contacts_update(
        organisation=farm.organisation, actor=farm.user, contact_name="Ерлан", phone="+7 701 111 22 33"
    )
    as_user(client, brewery)
    page = client.get(reverse("matching:deal", args=[agreed.pk])).content.decode()
    assert "from the proposal" in page and "Ерлан" in page and "+7 701 111 22 33" in page
    response = client.post(reverse("matching:deal-messages", args=[agreed.pk]), {"body": "on the deal"})
    assert response.status_code == 302
    assert list(Message.objects.values_list("proposal_id", flat=True)) == [agreed.proposal_id] * 2
    as_user(client, municipality)
    city_page = client.get(reverse("matching:deal", args=[agreed.pk])).content.decode()
    assert "on the deal" in city_page and 'id="counterpart"' not in city_page


def test_the_proposal_page_never_shows_contacts(client, brewery, farm, proposed):
    organisation_contacts_update(organisation=farm.organisation, actor=farm.user, phone="+7 701 111 22 33")
    as_user(client, brewery)
    assert (
        "+7 701 111 22 33"
        not in client.get(reverse("matching:proposal", args=[proposed.pk])).content.decode()
    )
    assert "+7 701 111 22 33" not in client.get(reverse("marketplace:search")).content.decode()


def test_pages_label_money_as_an_estimate(client, brewery, proposed, agreed, tariff):
    as_user(client, brewery)
    for url in (reverse("matching:proposal", args=[proposed.pk]), reverse("matching:deal", args=[agreed.pk])):
        page = client.get(url).content.decode()
        assert "estimate" in page and "2026.1" in page and "₸" in page


def test_without_a_tariff_the_pages_say_so(client, brewery, proposed):
    as_user(client, brewery)
    assert (
        "No tariff is published yet"
        in client.get(reverse("matching:proposal", args=[proposed.pk])).content.decode()
    )


def test_the_municipality_drafts_and_publishes_a_tariff_on_its_page(client, municipality, brewery):
    as_user(client, municipality)
    bad = client.post(
        reverse("matching:tariffs"),
        {"version": "p1", "landfill_gate_fee_kzt_per_t": "-5", "transport_kzt_per_tkm": "40"},
    )
    assert bad.status_code == 400 and Tariff.objects.count() == 0
    response = client.post(
        reverse("matching:tariffs"),
        {"version": "p1", "landfill_gate_fee_kzt_per_t": "4200", "transport_kzt_per_tkm": "40"},
    )
    assert response.status_code == 302
    tariff = Tariff.objects.get()
    client.post(reverse("matching:tariff-publish", args=[tariff.pk]))
    tariff.refresh_from_db()
    assert tariff.is_active and Event.objects.filter(action="tariff.published").exists()
    assert "In use: p1." in client.get(reverse("matching:tariffs")).content.decode()
    as_user(client, brewery)
    assert client.get(reverse("matching:tariffs")).status_code == 403
    assert client.post(reverse("matching:tariff-publish", args=[tariff.pk])).status_code == 403


def test_an_admin_edits_contacts_on_the_organisation_page(client, brewery):
    as_user(client, brewery)
    url = reverse("accounts:organisation-contacts", args=[brewery.organisation.pk])
    bad = client.post(url, {"bin": "123"})
    assert bad.status_code == 400 and "12 digits" in bad.content.decode()
    ok = client.post(url, {"contact_name": "Aigerim", "phone": "+7 727 355 00 00", "bin": "060240012345"})
    assert ok.status_code == 302
    org = Organisation.objects.get(pk=brewery.organisation.pk)
    assert (org.contact_name, org.bin) == ("Aigerim", "060240012345")
    page = client.get(reverse("accounts:organisation", args=[org.pk])).content.decode()
    assert 'value="060240012345"' in page


def test_other_members_and_other_organisations_cannot_edit_contacts(client, brewery, farm):
    clerk = factories.make_user("clerk")
    membership_add(user=clerk, organisation=brewery.organisation, role=Membership.Role.MEMBER)
    url = reverse("accounts:organisation-contacts", args=[brewery.organisation.pk])
    client.force_login(clerk)
    assert client.post(url, {"bin": "060240012345"}).status_code == 403
    page = client.get(reverse("accounts:organisation", args=[brewery.organisation.pk])).content.decode()
    assert "Save contacts" not in page and 'id="contacts"' in page
    as_user(client, farm)
    assert client.post(url, {"bin": "060240012345"}).status_code == 404
    assert (
        'id="contacts"'
        not in client.get(reverse("accounts:organisation", args=[brewery.organisation.pk])).content.decode()
    )
    assert Organisation.objects.get(pk=brewery.organisation.pk).bin == ""


@pytest.mark.parametrize("model", ["message", "tariff"])
def test_the_admin_lists_messages_and_tariffs_read_only(
    client, django_user_model, brewery, proposed, tariff, model
):
    conversations.message_post(proposal=proposed, actor=brewery.user, body="grain")
    operator = django_user_model.objects.create_superuser("operator", "op@example.kz", "op-password-2026")
    client.force_login(operator)
    response = client.get(reverse(f"admin:matching_{model}_changelist") + "?q=grain")
    assert response.status_code == 200
    assert client.get(reverse(f"admin:matching_{model}_add")).status_code == 403
