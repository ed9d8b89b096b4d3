"""Scoped reads for matching: each party sees its own proposals and deals; the city sees all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.access import is_authority, member_organisation_ids

from .models import Deal, MatchRun, Proposal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def party_q(organisation_ids, prefix: str = "") -> Q:
    """Flows (proposals, deals; ``prefix="deal__"`` for deliveries) where one of the organisations
    is the supplying or the receiving side."""
    return Q(**{f"{prefix}offer__organisation_id__in": organisation_ids}) | Q(
        **{f"{prefix}need__organisation_id__in": organisation_ids}
    )


def _party_filter(user) -> Q:
    return party_q(member_organisation_ids(user))


def proposal_list_for(*, user: User | AnonymousUser) -> QuerySet[Proposal]:
    proposals = Proposal.objects.select_related(
        "run",
        "offer__organisation",
        "offer__site",
        "need__organisation",
        "need__site",
        "material",
        "factor_set",
        "via_storage__organisation",
        "via_storage__site",
    ).prefetch_related(
        "terms_revisions__organisation", "terms_revisions__author", "terms_revisions__proposal"
    )
    # A list row needs its run's id and parameters, not the run's figures: every row of a page
    # would otherwise carry (and decode) the same kilobytes of run statistics and breakdown.
    proposals = proposals.defer("run__stats", "run__breakdown")
    if is_authority(user):
        return proposals
    # A storage yard's owner sees the flows through the yard (issue 13): it accepts them too.
    yard = Q(via_storage__organisation_id__in=member_organisation_ids(user))
    return proposals.filter(_party_filter(user) | yard)


def deal_list_for(*, user: User | AnonymousUser) -> QuerySet[Deal]:
    deals = Deal.objects.select_related(
        "proposal__run",
        "offer__organisation",
        "offer__site",
        "need__organisation",
        "need__site",
        "material",
        "factor_set",
        "terms__organisation",
        "terms__author",
        "terms__proposal",
    ).prefetch_related("deliveries")
    return deals if is_authority(user) else deals.filter(_party_filter(user))


def run_list() -> QuerySet[MatchRun]:
    return MatchRun.objects.select_related("factor_set")


def run_list_for(*, user) -> QuerySet[MatchRun]:
    """Runs a user may read: the municipality all, companies the real ones (what-ifs are private)."""
    runs = run_list()
    return runs if is_authority(user) else runs.filter(dry_run=False)


def deal_site_querysets(organisation_ids) -> tuple[QuerySet, QuerySet]:
    """Lazy ids of the offers' sites and of the needs' sites of the agreed deals one of
    ``organisation_ids`` is a party to, for use as subqueries (``pk__in=``).

    The parties see exactly these sites (the offer's and the need's), not the counterpart's
    other sites, which stay rounded as for the rest of the market.
    """
    deals = Deal.objects.filter(party_q(set(organisation_ids)))
    return deals.values("offer__site_id"), deals.values("need__site_id")


def deal_counterpart_organisation_ids(organisation_ids) -> set[int]:
    """Organisations that are the other party of an agreed deal with any of ``organisation_ids``.

    They may see each other's exact site (the rest of the market sees it rounded).
    """
    ids = set(organisation_ids)
    if not ids:
        return set()
    pairs = Deal.objects.filter(
        Q(offer__organisation_id__in=ids) | Q(need__organisation_id__in=ids)
    ).values_list("offer__organisation_id", "need__organisation_id")
    return {org for pair in pairs for org in pair} - ids
