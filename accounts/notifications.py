"""E-mails about an organisation's own account (its verification), in each member's language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .language import supported_language
from .models import Membership, Organisation

log = logging.getLogger(__name__)


def organisation_verified(*, organisation_id: int) -> None:
    """Tell the members that the municipality verified their organisation, and what it means."""
    organisation = Organisation.objects.filter(pk=organisation_id, verified=True).first()
    if organisation is None:  # withdrawn again before the e-mail went out
        return
    by_language: dict[str, list[str]] = {}
    for email, language in (
        Membership.objects.filter(organisation_id=organisation_id)
        .exclude(user__email="")
        .order_by("user_id")
        .values_list("user__email", "user__language")
    ):
        by_language.setdefault(supported_language(language) or settings.LANGUAGE_CODE, []).append(email)
    messages = []
    for language, addresses in sorted(by_language.items()):
        with translation.override(language):
            subject = _("Qaita: %(org)s is verified") % {"org": organisation.name}
            body = "\n\n".join(
                [
                    _("The municipality has verified %(org)s.") % {"org": organisation.name},
                    _(
                        "Your active offers and needs now enter the city-wide matching: the next run "
                        "can propose who sends what to whom, and you decide on each proposal."
                    ),
                    _("Your listings: %(url)s")
                    % {"url": f"{settings.SITE_URL}{reverse('marketplace:mine')}"},
                ]
            )
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, addresses))
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # mail must never undo a committed decision
        log.exception("verification email failed")
