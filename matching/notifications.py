"""E-mails to the members of the organisations concerned (console backend in development).

Each e-mail tells news only: a run's e-mail counts the proposals that are new to the
organisation (a proposal a later run kept is not news), an expiry e-mail names the proposals
whose response window passed. Every message is written in its recipient's language (the one
they last used on the site, ``accounts.language``), with plural forms from the catalogue, and
links to the page to act on (``SITE_URL``).

The e-mails a web request causes (a deal agreed, a listing asked for) are not sent in the
request: ``*_on_commit`` queues a Celery task once the transaction commits, and the worker
sends the mail. (With eager Celery, in tests and the embedded demo, the task runs at commit.)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.language import supported_language
from accounts.models import Membership

from .enqueue import enqueue

log = logging.getLogger(__name__)

Message = tuple[str, str, str, list[str]]


def site_link(path: str) -> str:
    """An absolute link to ``path`` on this site, for e-mails."""
    return f"{settings.SITE_URL}{path}"


def recipients_by_language(organisation_ids: Iterable[int]) -> dict[int, dict[str, list[str]]]:
    """``{organisation: {language: [addresses]}}`` of the members with an e-mail address."""
    result: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for org_id, email, language in (
        Membership.objects.filter(organisation_id__in=list(organisation_ids))
        .exclude(user__email="")
        .order_by("organisation_id", "user_id")
        .values_list("organisation_id", "user__email", "user__language")
    ):
        result[org_id][supported_language(language) or settings.LANGUAGE_CODE].append(email)
    return result


def _messages(
    organisation_ids: Iterable[int], compose: Callable[[int], tuple[str, str] | None]
) -> list[Message]:
    """One message per organisation and language; ``compose(org)`` runs in that language."""
    messages: list[Message] = []
    for org_id, by_language in sorted(recipients_by_language(organisation_ids).items()):
        for language, addresses in sorted(by_language.items()):
            with translation.override(language):
                text = compose(org_id)
            if text is not None:
                messages.append((text[0], text[1], settings.DEFAULT_FROM_EMAIL, addresses))
    return messages


def _enqueue(task: str, *args: int) -> None:
    try:
        enqueue(task, *args)
    except (KombuOperationalError, OSError) as exc:  # mail must never undo a committed decision
        log.warning("notification e-mail not queued (%s): the broker is unreachable (%s)", task, exc)


def deal_agreed_on_commit(*, deal_id: int) -> None:
    """Queue the e-mail to both sides of a new deal (:func:`deal_agreed`) for after commit."""
    transaction.on_commit(partial(_enqueue, "matching.notify_deal_agreed", deal_id))


def proposal_requested_on_commit(*, proposal_id: int) -> None:
    """Queue the e-mail to the owner of a listing asked for directly (:func:`proposal_requested`)."""
    transaction.on_commit(partial(_enqueue, "matching.notify_proposal_requested", proposal_id))


def _send(messages: list[Message]) -> None:
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # mail must never undo a committed decision
        log.exception("notification email failed")


def new_proposals(*, run_id: int) -> None:
    """One e-mail per organisation (and language) counting the proposals new to it in this run.

    The owner of a storage yard a new flow goes through, when it must accept it (issue 13), is
    told too: the flow counts for its organisation, and the e-mail says how many go through its
    yards."""
    from .models import Proposal

    counts: dict[int, int] = defaultdict(int)
    yard_counts: dict[int, int] = defaultdict(int)
    for offer_org, need_org, yard_org, automatic in Proposal.objects.filter(
        run_id=run_id, first_run_id=run_id
    ).values_list(
        "offer__organisation_id",
        "need__organisation_id",
        "via_storage__organisation_id",
        "via_storage__accept_automatically",
    ):
        counts[offer_org] += 1
        if need_org != offer_org:
            counts[need_org] += 1
        if yard_org is not None and not automatic:
            yard_counts[yard_org] += 1
            if yard_org not in (offer_org, need_org):
                counts[yard_org] += 1

    def compose(org_id: int) -> tuple[str, str]:
        n = counts[org_id]
        subject = ngettext("Qaita: %(n)d new match proposal", "Qaita: %(n)d new match proposals", n) % {
            "n": n
        }
        body = ngettext(
            "The city-wide matching found %(n)d new proposal for your organisation.",
            "The city-wide matching found %(n)d new proposals for your organisation.",
            n,
        ) % {"n": n}
        if yard_counts.get(org_id):
            body += " " + ngettext(
                "%(n)d of them goes through your storage yard and needs your acceptance too.",
                "%(n)d of them go through your storage yards and need your acceptance too.",
                yard_counts[org_id],
            ) % {"n": yard_counts[org_id]}
        review = _("Review and decide in your proposals inbox: %(url)s") % {
            "url": site_link(reverse("matching:proposals"))
        }
        return subject, f"{body}\n\n{review}\n"

    _send(_messages(counts, compose))


def proposals_expired(*, proposal_ids: list[int]) -> None:
    """Tell both sides of each proposal that expired because its response window passed."""
    from .models import Proposal

    proposals = list(
        Proposal.objects.filter(pk__in=proposal_ids)
        .select_related("offer__organisation", "need__organisation", "material")
        .order_by("id")
    )
    by_org: dict[int, list] = defaultdict(list)
    for proposal in proposals:
        for org_id in {proposal.offer.organisation_id, proposal.need.organisation_id}:
            by_org[org_id].append(proposal)

    def compose(org_id: int) -> tuple[str, str]:
        mine = by_org[org_id]
        n = len(mine)
        subject = ngettext("Qaita: %(n)d proposal expired", "Qaita: %(n)d proposals expired", n) % {"n": n}
        lines = [
            ngettext(
                "The time to respond ran out for %(n)d proposal that one side had accepted; it has expired.",
                "The time to respond ran out for %(n)d proposals that one side had accepted; "
                "they have expired.",
                n,
            )
            % {"n": n},
            "",
        ]
        for p in mine:
            other = p.need.organisation if p.offer.organisation_id == org_id else p.offer.organisation
            lines.append(
                _("- #%(id)d: %(amount)s of %(material)s with %(org)s")
                % {
                    "id": p.pk,
                    "amount": _amount_text(p.quantity, p.unit),
                    "material": p.material.name,
                    "org": other.name,
                }
            )
        lines += [
            "",
            _("The next city-wide run may propose these flows again: %(url)s")
            % {"url": site_link(reverse("matching:proposals"))},
        ]
        return subject, "\n".join(lines) + "\n"

    _send(_messages(by_org, compose))


def _amount_text(quantity, unit: str) -> str:
    from .explain import amount_text

    return amount_text(quantity, unit)


def deal_agreed(*, deal_id: int) -> None:
    from .models import Deal

    deal = Deal.objects.select_related("offer__organisation", "need__organisation", "material").get(
        pk=deal_id
    )

    def compose(org_id: int) -> tuple[str, str]:
        subject = _("Qaita: deal #%(id)d agreed") % {"id": deal.pk}
        body = _(
            "%(supplier)s and %(receiver)s agreed on %(amount)s of %(material)s. "
            "Record deliveries on the deal page: %(url)s"
        ) % {
            "supplier": deal.offer.organisation.name,
            "receiver": deal.need.organisation.name,
            "amount": _amount_text(deal.quantity, deal.unit),
            "material": deal.material.name,
            "url": site_link(reverse("matching:deal", args=[deal.pk])),
        }
        return subject, body + "\n"

    _send(_messages({deal.offer.organisation_id, deal.need.organisation_id}, compose))


def proposal_requested(*, proposal_id: int) -> None:
    """Tell the listing's owner that a company asked for it directly (the requester has accepted)."""
    from .models import Proposal, ProposalStatus

    proposal = Proposal.objects.select_related("offer__organisation", "need__organisation", "material").get(
        pk=proposal_id
    )
    by_need = proposal.status == ProposalStatus.ACCEPTED_BY_NEED
    requester = proposal.need.organisation if by_need else proposal.offer.organisation
    owner = proposal.offer.organisation if by_need else proposal.need.organisation

    def compose(org_id: int) -> tuple[str, str]:
        subject = _("Qaita: %(org)s asks for your listing") % {"org": requester.name}
        body = _(
            "%(org)s asked directly for %(amount)s of %(material)s and has accepted the proposal. "
            "Accept, propose terms or decline by %(date)s: %(url)s"
        ) % {
            "org": requester.name,
            "amount": _amount_text(proposal.quantity, proposal.unit),
            "material": proposal.material.name,
            "date": formats.date_format(timezone.localtime(proposal.respond_by), "DATETIME_FORMAT"),
            "url": site_link(reverse("matching:proposal", args=[proposal.pk])),
        }
        return subject, body + "\n"

    _send(_messages({owner.pk}, compose))


def delivery_overdue(*, reminder_id: int) -> None:
    """Remind both parties of a deal that a planned delivery is overdue."""
    from .models import DeliveryReminder

    reminder = DeliveryReminder.objects.select_related(
        "deal__offer__organisation", "deal__need__organisation", "deal__material"
    ).get(pk=reminder_id)
    deal = reminder.deal

    def compose(org_id: int) -> tuple[str, str]:
        subject = _("Qaita: a planned delivery on deal #%(id)d is overdue") % {"id": deal.pk}
        body = _(
            "By %(date)s, %(planned)s of %(material)s were planned to be delivered under deal #%(id)d; "
            "%(delivered)s are recorded. Record the delivery or agree new terms: %(url)s"
        ) % {
            "date": formats.date_format(reminder.plan_date, "DATE_FORMAT"),
            "planned": _amount_text(reminder.planned_cumulative, deal.unit),
            "delivered": _amount_text(reminder.delivered_cumulative, deal.unit),
            "material": deal.material.name,
            "id": deal.pk,
            "url": site_link(reverse("matching:deal", args=[deal.pk])),
        }
        return subject, body + "\n"

    _send(_messages({deal.offer.organisation_id, deal.need.organisation_id}, compose))
