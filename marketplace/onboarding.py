"""The first steps of a new organisation: a site, a listing, verification by the municipality."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import member_organisation_ids
from accounts.models import Organisation, Site

from .models import Need, Offer


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str
    done: bool
    url: str = ""
    link_text: str = ""


def first_steps_for(*, user) -> list[Step]:
    """The checklist for ``user``'s organisations, in order; empty for someone in none."""
    org_ids = member_organisation_ids(user)
    if not org_ids:
        return []
    has_site = Site.objects.filter(organisation_id__in=org_ids).exists()
    has_listing = (
        Offer.objects.filter(organisation_id__in=org_ids).exists()
        or Need.objects.filter(organisation_id__in=org_ids).exists()
    )
    verified = not Organisation.objects.filter(pk__in=org_ids, verified=False).exists()
    return [
        Step(
            "site",
            _("Add a site"),
            _("Where your materials are produced or needed; distances are measured from it."),
            has_site,
            reverse("accounts:site-create"),
            _("Add a site"),
        ),
        Step(
            "listing",
            _("List an offer or a need"),
            _("What you give away or could use, how much, and how often."),
            has_listing,
            reverse("marketplace:offer-create") if has_site else reverse("accounts:site-create"),
            _("Create an offer") if has_site else _("Add a site first"),
        ),
        Step(
            "verification",
            _("Verification by the municipality"),
            _(
                "The municipality checks that your organisation is real and active in the city. "
                "Until then you can prepare everything, but your listings do not enter the "
                "city-wide matching and nobody is proposed to trade with you. You get an e-mail "
                "when it is done."
            ),
            verified,
        ),
    ]
