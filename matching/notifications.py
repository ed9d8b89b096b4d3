"""Emails to the members of the organisations concerned (console backend in development)."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from accounts.models import Membership

log = logging.getLogger(__name__)


def _addresses(organisation_ids) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    for org_id, email in (
        Membership.objects.filter(organisation_id__in=organisation_ids)
        .exclude(user__email="")
        .values_list("organisation_id", "user__email")
    ):
        result[org_id].append(email)
    return result


def _send(messages) -> None:
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # mail must never undo a committed decision
        log.exception("notification email failed")


def new_proposals(*, run_id: int) -> None:
    """One email per organisation with the number of new proposals it is party to."""
    from .models import Proposal

    counts: dict[int, int] = defaultdict(int)
    for offer_org, need_org in Proposal.objects.filter(run_id=run_id).values_list(
        "offer__organisation_id", "need__organisation_id"
    ):
        counts[offer_org] += 1
        if need_org != offer_org:
            counts[need_org] += 1
    addresses = _addresses(counts)
    messages = [
        (
            _("Qaita: %(n)d new match proposals") % {"n": n},
            _(
                "The city-wide matching found %(n)d new proposals for your organisation. "
                "Review them in your proposals inbox."
            )
            % {"n": n},
            settings.DEFAULT_FROM_EMAIL,
            addresses[org_id],
        )
        for org_id, n in sorted(counts.items())
        if addresses.get(org_id)
    ]
    _send(messages)


def deal_agreed(*, deal_id: int) -> None:
    from .models import Deal

    deal = Deal.objects.select_related("offer__organisation", "need__organisation", "material").get(
        pk=deal_id
    )
    orgs = {deal.offer.organisation_id, deal.need.organisation_id}
    addresses = _addresses(orgs)
    subject = _("Qaita: deal #%(id)d agreed") % {"id": deal.pk}
    body = _(
        "%(supplier)s and %(receiver)s agreed on %(mass)s t of %(material)s. "
        "Record deliveries on the deal page."
    ) % {
        "supplier": deal.offer.organisation.name,
        "receiver": deal.need.organisation.name,
        "mass": deal.mass_t,
        "material": deal.material.name_en,
    }
    _send(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, addresses[o]) for o in sorted(orgs) if addresses.get(o)]
    )
