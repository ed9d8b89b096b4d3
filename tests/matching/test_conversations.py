"""The conversation service: who is told, how often by e-mail, in which language; unread counts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_add
from matching import conversations
from matching.models import Message, ThreadState
from matching.notifications_feed import feed_for
from tests import deal_room, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


@pytest.fixture
def agreed(proposed, brewery, farm):
    return deal_room.agree(proposed, brewery, farm)


@pytest.fixture
def write(django_capture_on_commit_callbacks):
    """Post a message and run what is enqueued on commit (the e-mail task, eager)."""

    def _write(proposal, persona, body="hello"):
        with django_capture_on_commit_callbacks(execute=True):
            return conversations.message_post(proposal=proposal, actor=persona.user, body=body)

    mail.outbox.clear()
    return _write


def recipients(outbox):
    return sorted(address for message in outbox for address in message.to)


def test_the_other_party_is_emailed_once_per_thread_in_fifteen_minutes(proposed, brewery, farm, write):
    write(proposed, brewery, "first")
    write(proposed, brewery, "second")
    write(proposed, brewery, "third")
    assert recipients(mail.outbox) == ["farmer@example.kz"]
    assert "first" in mail.outbox[0].body and "second" not in mail.outbox[0].body
    assert f"/matching/proposals/{proposed.pk}/" in mail.outbox[0].body


def test_after_the_interval_the_next_message_emails_again(proposed, brewery, farm, write, settings):
    write(proposed, brewery, "first")
    ThreadState.objects.filter(user=farm.user).update(
        last_emailed_at=timezone.now() - timedelta(seconds=settings.MESSAGES_EMAIL_INTERVAL_S + 1)
    )
    write(proposed, brewery, "later")
    assert recipients(mail.outbox) == ["farmer@example.kz", "farmer@example.kz"]
    assert "later" in mail.outbox[1].body


def test_the_debounce_is_per_recipient_and_per_thread(proposed, brewery, farm, write):
    write(proposed, brewery, "to the farm")
    write(proposed, farm, "to the brewery")
    assert recipients(mail.outbox) == ["brewer@example.kz", "farmer@example.kz"]


def test_colleagues_of_the_author_are_not_emailed_and_the_author_never(proposed, brewery, farm, write):
    colleague = factories.make_user("brewer2")
    membership_add(user=colleague, organisation=brewery.organisation, role=Membership.Role.MEMBER)
    farm_hand = factories.make_user("farmhand")
    membership_add(user=farm_hand, organisation=farm.organisation, role=Membership.Role.MEMBER)
    write(proposed, brewery)
    assert recipients(mail.outbox) == ["farmer@example.kz", "farmhand@example.kz"]


def test_the_municipality_is_told_once_it_has_joined_the_thread(proposed, brewery, farm, municipality, write):
    write(proposed, brewery, "before the city joined")
    assert "analyst@example.kz" not in recipients(mail.outbox)
    write(proposed, municipality, "facilitator here")
    assert sorted(recipients(mail.outbox)) == ["brewer@example.kz", "farmer@example.kz"]
    mail.outbox.clear()
    ThreadState.objects.update(last_emailed_at=None)
    write(proposed, farm, "thanks")
    assert recipients(mail.outbox) == ["analyst@example.kz", "brewer@example.kz"]


def test_users_without_an_address_are_skipped(proposed, brewery, farm, write):
    farm.user.email = ""
    farm.user.save()
    write(proposed, brewery)
    assert mail.outbox == []


def test_the_email_is_in_the_recipients_language_not_the_authors(proposed, brewery, farm, write, monkeypatch):
    from django.utils import translation

    material = proposed.material
    # No language field on users yet: the default language, whatever the author's request used.
    with translation.override("ru"):
        write(proposed, brewery, "Привет")
    assert material.name_en in mail.outbox[0].subject
    # With a preference (a later change may add the field), that language is used.
    monkeypatch.setattr(conversations, "_language_of", lambda user: "kk")
    mail.outbox.clear()
    ThreadState.objects.update(last_emailed_at=None)
    write(proposed, brewery, "Сәлем")
    assert material.name_kk and material.name_kk in mail.outbox[0].subject


def test_the_language_preference_is_read_defensively(farm):
    assert conversations._language_of(farm.user) == "en"  # no field: the default
    farm.user.language = "ru"
    assert conversations._language_of(farm.user) == "ru"
    farm.user.language = "xx"  # not one of LANGUAGES
    assert conversations._language_of(farm.user) == "en"


def test_a_failed_send_frees_the_slot_for_the_next_message(proposed, brewery, farm, write, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP server down")

    monkeypatch.setattr(conversations, "send_mail", broken)
    write(proposed, brewery, "lost")
    assert mail.outbox == []
    assert ThreadState.objects.get(user=farm.user, proposal=proposed).last_emailed_at is None
    monkeypatch.undo()
    write(proposed, brewery, "delivered")
    assert recipients(mail.outbox) == ["farmer@example.kz"]


def test_running_the_email_task_twice_sends_once(proposed, brewery, farm, write):
    message = write(proposed, brewery)
    assert conversations.message_emails_send(message_id=message.pk) == 0
    assert recipients(mail.outbox) == ["farmer@example.kz"]
    assert conversations.message_emails_send(message_id=10**9) == 0


def test_unread_counts_follow_the_read_position(proposed, brewery, farm, municipality, write):
    write(proposed, brewery, "one")
    write(proposed, brewery, "two")
    assert conversations.unread_count(user=farm.user) == 2
    assert conversations.unread_count(user=brewery.user) == 0  # your own messages are read
    # The city reads every thread but counts only those it joined.
    assert conversations.unread_count(user=municipality.user) == 0
    conversations.thread_mark_read(user=farm.user, proposal=proposed)
    assert conversations.unread_count(user=farm.user) == 0
    write(proposed, municipality, "city")
    assert conversations.unread_count(user=farm.user) == 1
    assert conversations.unread_by_thread(user=brewery.user) == {proposed.pk: 1}


def test_the_read_position_never_moves_backwards(proposed, brewery, farm, write):
    first = write(proposed, brewery, "one")
    write(proposed, brewery, "two")
    conversations.thread_mark_read(user=farm.user, proposal=proposed)
    conversations.thread_mark_read(user=farm.user, proposal=proposed, up_to=first.pk)
    assert conversations.unread_count(user=farm.user) == 0


def test_the_notifications_feed_names_who_wrote(proposed, brewery, farm, outsider, write):
    write(proposed, brewery, "one")
    write(proposed, brewery, "two")
    texts = [n.text for n in feed_for(farm.user)]
    assert any("Almaty Brewery wrote 2 messages about" in t for t in texts)
    assert not any("wrote" in n.text for n in feed_for(brewery.user))  # not for your own side
    assert feed_for(outsider.user) == []


def test_a_deal_thread_links_to_the_deal_page(agreed, brewery, farm, write):
    write(agreed.proposal, brewery, "delivery on Monday?")
    assert f"/matching/deals/{agreed.pk}/" in mail.outbox[0].body
    notice = next(n for n in feed_for(farm.user) if "wrote" in n.text)
    assert notice.url == f"/matching/deals/{agreed.pk}/"


def test_an_outsider_cannot_write_even_through_the_service(proposed, outsider):
    from accounts.errors import DomainError, ErrorCode

    with pytest.raises(DomainError) as caught:
        conversations.message_post(proposal=proposed, actor=outsider.user, body="hi")
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert Message.objects.count() == 0


def test_the_thread_list_shows_joined_and_own_threads(proposed, brewery, municipality, outsider, write):
    assert list(conversations.thread_list_for(user=brewery.user)) == []  # no message yet
    write(proposed, brewery)
    assert [p.pk for p in conversations.thread_list_for(user=brewery.user)] == [proposed.pk]
    assert list(conversations.thread_list_for(user=municipality.user)) == []
    write(proposed, municipality)
    assert [p.pk for p in conversations.thread_list_for(user=municipality.user)] == [proposed.pk]
    assert list(conversations.thread_list_for(user=outsider.user)) == []
