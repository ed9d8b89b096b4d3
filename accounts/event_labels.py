"""Every audit-event action code written anywhere in Qaita, named in words.

The audit log (``GET /api/v1/events/`` and the municipality's page) shows these labels in the
reader's language. ``tests/accounts/test_event_labels.py`` reads every ``event_record(...)`` /
``Event(...)`` call in the code base and fails when a code has no label here, so a new action
cannot reach the log as a raw code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # accounts
    "organisation.created": _("Organisation registered"),
    "organisation.verified": _("Organisation verified"),
    "organisation.unverified": _("Verification withdrawn"),
    "organisation.contacts_updated": _("Contacts changed"),
    "organisation.authority_granted": _("Authority role granted"),
    "organisation.public_profile_changed": _("Public-profile opt-in changed"),
    "membership.added": _("Member added"),
    "site.created": _("Site added"),
    "site.updated": _("Site changed"),
    "site.deleted": _("Site deleted"),
    "worker.heartbeat": _("Worker heartbeat"),
    # marketplace: listings
    "offer.created": _("Offer created"),
    "offer.updated": _("Offer changed"),
    "offer.status_changed": _("Offer status changed"),
    "offer.photo_added": _("Offer photo added"),
    "offer.photo_deleted": _("Offer photo deleted"),
    "need.created": _("Need created"),
    "need.updated": _("Need changed"),
    "need.status_changed": _("Need status changed"),
    "need.photo_added": _("Need photo added"),
    "need.photo_deleted": _("Need photo deleted"),
    # marketplace: requests for materials not in the catalogue
    "material_request.created": _("New material asked for"),
    "material_request.answered": _("Material request answered"),
    "storage.created": _("Storage yard created"),
    "storage.updated": _("Storage yard changed"),
    "storage.status_changed": _("Storage yard status changed"),
    # marketplace: flow-factor sets
    "factor_set.imported": _("Factor set imported"),
    "factor_set.drafted": _("Factor set drafted"),
    "factor_set.edited": _("Factor set edited"),
    "factor_set.published": _("Factor set published"),
    "factor_set.deleted": _("Factor-set draft deleted"),
    "factor.edited": _("Flow factor edited"),
    # matching
    "match_run.started": _("Match run started"),
    "match_run.succeeded": _("Match run succeeded"),
    "match_run.failed": _("Match run failed"),
    "match_run.requeued": _("Match run re-queued"),
    "proposal.accept_offer": _("Proposal accepted by the supplier"),
    "proposal.accept_need": _("Proposal accepted by the receiver"),
    "proposal.accept_both": _("Proposal accepted by both sides"),
    "proposal.accept_storage": _("Proposal accepted by the storage yard"),
    "proposal.declined": _("Proposal declined"),
    "proposal.requested": _("Listing asked for directly"),
    "proposal.terms_proposed": _("Terms proposed"),
    "proposal.expired": _("Proposal expired (no answer in time)"),
    "schedule.updated": _("Run schedule changed"),
    "deal.agreed": _("Deal agreed"),
    "delivery.recorded": _("Delivery recorded"),
    "tariff.drafted": _("Tariff drafted"),
    "tariff.edited": _("Tariff edited"),
    "tariff.published": _("Tariff published"),
    # monitor
    "target.created": _("Target set"),
    "target.updated": _("Target changed"),
    "target.deleted": _("Target deleted"),
}


def action_label(code: str) -> str:
    """The action in words, in the active language; an unknown code is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    """(code, label) pairs sorted by label, for the audit log's filter."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1])
