"""The deal room's conversation: one thread per proposal, continued on its deal.

Who takes part: the members of the two parties and the municipality's facilitators. Anyone
else gets a 404, exactly as for the proposal itself (the views reach the proposal or deal
through ``matching.access`` first).

What is stored: the messages (``Message``, only ever added) and, per user and thread, how far
they have read and when they were last e-mailed (``ThreadState``). The unread badge, the inbox
and the notices in the notifications feed are all derived from these two tables.

A thread's *participants* are the two parties plus every organisation that has written in it
(so a facilitator who joins is told of the answers). A new message notifies the participants
other than the author's organisation: in the app at once, and by e-mail at most once per thread
per ``MESSAGES_EMAIL_INTERVAL_S`` per recipient, in the recipient's language, from a Celery task
enqueued on commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import is_authority, member_organisation_ids
from accounts.errors import invalid, not_found
from accounts.models import Organisation, User

from .enqueue import enqueue
from .models import Deal, Message, Proposal, ThreadState
from .notice import Notice
from .selectors import party_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


log = logging.getLogger(__name__)

BODY_MAX_CHARS = 5000


# --- Threads ----------------------------------------------------------------------------------


def thread_of(obj: Proposal | Deal) -> Proposal:
    """The thread a proposal or deal talks in: the proposal's (a deal continues it)."""
    return obj.proposal if isinstance(obj, Deal) else obj


def thread_url(proposal: Proposal) -> str:
    """Where the thread is read: the deal page once there is a deal, else the proposal page."""
    deal_id = Deal.objects.filter(proposal_id=proposal.pk).values_list("pk", flat=True).first()
    if deal_id is not None:
        return reverse("matching:deal", args=[deal_id])
    return reverse("matching:proposal", args=[proposal.pk])


def thread_messages(*, proposal: Proposal) -> QuerySet[Message]:
    """The thread, oldest first; a terms revision is an entry of its own (``message.terms``)."""
    return (
        Message.objects.filter(proposal=proposal)
        .select_related("author", "organisation", "terms__organisation", "terms__proposal")
        .order_by("id")
    )


def terms_summary(terms) -> str:
    """One line for the thread, in the reader's language: "Terms proposed by X: 120 t at …"."""
    from .explain import amount_text
    from .models import ScheduleEvery, TransportBy

    unit = terms.proposal.unit
    price = terms.price_per_unit_kzt
    parts = [
        _("Terms proposed by %(org)s (revision %(n)s): %(amount)s")
        % {
            "org": terms.organisation.name,
            "n": terms.number,
            "amount": amount_text(terms.quantity, unit),
        },
        (
            _("the receiver pays %(price)s KZT per %(unit)s")
            if price >= 0
            else _("the supplier pays a gate fee of %(price)s KZT per %(unit)s")
        )
        % {
            "price": f"{abs(price):,.2f}".replace(",", " "),
            "unit": _("piece") if unit == "piece" else _("t"),
        },
        _("transport by %(who)s") % {"who": str(TransportBy(terms.transport_by).label).lower()},
    ]
    if terms.has_schedule:
        if terms.schedule_every == ScheduleEvery.ONCE:
            parts.append(_("once, on %(start)s") % {"start": terms.schedule_start.isoformat()})
        else:
            parts.append(
                _("%(every)s from %(start)s to %(end)s")
                % {
                    "every": str(ScheduleEvery(terms.schedule_every).label).lower(),
                    "start": terms.schedule_start.isoformat(),
                    "end": terms.schedule_end.isoformat(),
                }
            )
    return "; ".join(parts)


def _my_threads_q(organisation_ids: set[int], prefix: str = "") -> Q:
    """Threads where the organisations take part: as a party, or by having written in them (a
    facilitator who joined). On proposals; ``prefix="proposal__"`` on messages."""
    written = Message.objects.filter(organisation_id__in=organisation_ids).values("proposal_id")
    key = "proposal_id__in" if prefix else "pk__in"
    return party_q(organisation_ids, prefix) | Q(**{key: written})


def speaking_for(user: User | AnonymousUser, proposal: Proposal) -> Organisation:
    """The organisation a user writes for in this thread: their party, else the municipality.

    Anyone who is neither gets a 404, like the proposal itself.
    """
    orgs = member_organisation_ids(user)
    if proposal.offer.organisation_id in orgs:
        return proposal.offer.organisation
    if proposal.need.organisation_id in orgs:
        return proposal.need.organisation
    if is_authority(user):
        municipality = (
            Organisation.objects.filter(pk__in=orgs, kind=Organisation.Kind.MUNICIPALITY, verified=True)
            .order_by("id")
            .first()
        )
        if municipality is not None:
            return municipality
    raise not_found()


def _clean_body(body: object) -> str:
    text = ("" if body is None else str(body)).strip()
    if not text:
        raise invalid("body", _("Write a message of 1 to 5,000 characters."))
    if len(text) > BODY_MAX_CHARS:
        raise invalid(
            "body",
            _("At most %(max)s characters (this one has %(n)s).")
            % {"max": f"{BODY_MAX_CHARS:,}", "n": f"{len(text):,}"},
        )
    if "\x00" in text:
        raise invalid("body", _("A message cannot contain a null character."))
    return text


@transaction.atomic
def message_post(*, proposal: Proposal, actor: User, body: object) -> Message:
    """Write in the proposal's thread (either party or the municipality).

    The body is stripped and must be 1–5,000 characters; otherwise a 400 and nothing is
    written. The author has read their own message; the others are notified after commit.
    """
    organisation = speaking_for(actor, proposal)
    text = _clean_body(body)
    message = Message.objects.create(proposal=proposal, author=actor, organisation=organisation, body=text)
    thread_mark_read(user=actor, proposal=proposal, up_to=message.pk)

    message_id = message.pk
    transaction.on_commit(lambda: enqueue("matching.notify_message", message_id))
    return message


def thread_mark_read(*, user: User, proposal: Proposal, up_to: int | None = None) -> None:
    """Move the user's read position in the thread forward to ``up_to`` (default: its newest)."""
    if up_to is None:
        up_to = Message.objects.filter(proposal=proposal).aggregate(last=Max("id"))["last"]
    if not up_to:
        return
    state, _created = ThreadState.objects.get_or_create(user=user, proposal=proposal)
    # Never backwards: reading an older page must not make newer messages unread again.
    ThreadState.objects.filter(pk=state.pk, last_read_message_id__lt=up_to).update(last_read_message_id=up_to)


# --- Unread ----------------------------------------------------------------------------------


def unread_messages(*, user: User) -> QuerySet[Message]:
    """Messages by others in the user's threads, newer than what the user has read there."""
    orgs = member_organisation_ids(user)
    if not orgs:
        return Message.objects.none()
    read_up_to = ThreadState.objects.filter(user=user, proposal=OuterRef("proposal_id")).values(
        "last_read_message_id"
    )[:1]
    return (
        Message.objects.filter(_my_threads_q(orgs, "proposal__"))
        .exclude(author=user)
        .annotate(read_up_to=Coalesce(Subquery(read_up_to), Value(0)))
        .filter(id__gt=F("read_up_to"))
    )


def unread_count(*, user: User) -> int:
    """For the badge in the navigation."""
    return unread_messages(user=user).count()


def unread_by_thread(*, user: User) -> dict[int, int]:
    return dict(
        unread_messages(user=user)
        .order_by()
        .values("proposal_id")
        .annotate(n=Count("id"))
        .values_list("proposal_id", "n")
    )


def thread_list_for(*, user: User) -> QuerySet[Proposal]:
    """The user's conversations (threads with at least one message), most recent first."""
    orgs = member_organisation_ids(user)
    if not orgs:
        return Proposal.objects.none()
    return (
        Proposal.objects.filter(_my_threads_q(orgs), pk__in=Message.objects.values("proposal_id"))
        .select_related("offer__organisation", "need__organisation", "material", "deal")
        .annotate(last_message_at=Max("messages__created_at"), message_count=Count("messages"))
        .order_by("-last_message_at", "-id")
    )


# --- Notifications -----------------------------------------------------------------------------


def message_notices(*, user: User, since: datetime, limit: int) -> list:
    """Feed entries: one per thread where another organisation wrote since ``since``."""
    orgs = member_organisation_ids(user)
    if not orgs:
        return []
    recent = (
        Message.objects.filter(_my_threads_q(orgs, "proposal__"), created_at__gte=since)
        .exclude(organisation_id__in=orgs)
        .order_by()
    )
    threads = list(
        recent.values("proposal_id").annotate(last=Max("created_at"), n=Count("id")).order_by("-last")[:limit]
    )
    if not threads:
        return []
    ids = [t["proposal_id"] for t in threads]
    writers: dict[int, set[str]] = {}
    for proposal_id, name in recent.filter(proposal_id__in=ids).values_list(
        "proposal_id", "organisation__name"
    ):
        writers.setdefault(proposal_id, set()).add(name)
    proposals = Proposal.objects.select_related("material").in_bulk(ids)
    deals = dict(Deal.objects.filter(proposal_id__in=ids).values_list("proposal_id", "pk"))
    notices = []
    for thread in threads:
        proposal = proposals[thread["proposal_id"]]
        url = (
            reverse("matching:deal", args=[deals[proposal.pk]])
            if proposal.pk in deals
            else reverse("matching:proposal", args=[proposal.pk])
        )
        text = ngettext(
            "%(orgs)s wrote %(n)d message about %(material)s (proposal #%(id)d).",
            "%(orgs)s wrote %(n)d messages about %(material)s (proposal #%(id)d).",
            thread["n"],
        ) % {
            "orgs": ", ".join(sorted(writers.get(proposal.pk, ()))),
            "n": thread["n"],
            "material": proposal.material.name,
            "id": proposal.pk,
        }
        notices.append(Notice(when=thread["last"], text=text, url=url, needs_action=False))
    return notices


def message_recipients(message: Message) -> list[User]:
    """Who is told of a message: members of the thread's participants but the author's side."""
    proposal = message.proposal
    participants = {proposal.offer.organisation_id, proposal.need.organisation_id}
    participants |= set(
        Message.objects.filter(proposal=proposal).values_list("organisation_id", flat=True).distinct()
    )
    participants.discard(message.organisation_id)
    return list(
        User.objects.filter(memberships__organisation_id__in=participants, is_active=True)
        .exclude(pk=message.author_id)  # type: ignore[misc]  # pk=None is valid (no row excluded); stubs refuse None
        .distinct()
        .order_by("pk")
    )


def _language_of(user: User) -> str:
    # A per-user language preference may come with another change; use it when it exists.
    code = getattr(user, "language", "") or ""
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _claim_email(user: User, proposal: Proposal, now: datetime) -> tuple[bool, datetime | None, int]:
    """Take the recipient's e-mail slot for this thread (a conditional update: one winner).

    Returns whether it was taken, the previous time (to give it back if sending fails), and
    the state's id.
    """
    state, _created = ThreadState.objects.get_or_create(user=user, proposal=proposal)
    previous = state.last_emailed_at
    free = Q(last_emailed_at__isnull=True) | Q(
        last_emailed_at__lte=now - timedelta(seconds=settings.MESSAGES_EMAIL_INTERVAL_S)
    )
    taken = ThreadState.objects.filter(free, pk=state.pk).update(last_emailed_at=now)
    return bool(taken), previous, state.pk


def _email(message: Message, url: str) -> tuple[str, str]:
    proposal = message.proposal
    author = message.author
    who = (author.get_full_name() or author.username) if author else _("Someone")
    subject = _("Qaita: new message about %(material)s (proposal #%(id)d)") % {
        "material": proposal.material.name,
        "id": proposal.pk,
    }
    intro = _("%(author)s (%(organisation)s) wrote about %(material)s (proposal #%(id)d):") % {
        "author": who,
        "organisation": message.organisation.name,
        "material": proposal.material.name,
        "id": proposal.pk,
    }
    reply = _("Read and reply in Qaita: %(url)s") % {"url": url}
    note = _(
        "You get at most one e-mail per conversation every %(minutes)d minutes; "
        "newer messages are in the app."
    ) % {"minutes": max(1, settings.MESSAGES_EMAIL_INTERVAL_S // 60)}
    return subject, f"{intro}\n\n{message.body}\n\n{reply}\n\n{note}\n"


def message_emails_send(*, message_id: int) -> int:
    """E-mail the recipients of a message whose slot for the thread is free. Returns how many.

    Safe to run twice (a retried task): a recipient's slot is taken before sending, so a second
    run finds it taken. A failed send gives the slot back.
    """
    message = (
        Message.objects.select_related(
            "author", "organisation", "proposal__material", "proposal__offer", "proposal__need"
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return 0
    url = f"{settings.SITE_URL}{thread_url(message.proposal)}"
    sent = 0
    for user in message_recipients(message):
        if not user.email:
            continue
        now = timezone.now()
        taken, previous, state_id = _claim_email(user, message.proposal, now)
        if not taken:
            continue
        try:
            with translation.override(_language_of(user)):
                subject, body = _email(message, url)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
        except Exception:  # mail must never undo a message; free the slot for the next one
            log.exception("message e-mail to user %s failed", user.pk)
            ThreadState.objects.filter(pk=state_id, last_emailed_at=now).update(last_emailed_at=previous)
        else:
            sent += 1
    return sent
