"""What the two dashboards show: the city's figures for the municipality, a company's own."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.access import is_authority, member_organisation_ids
from accounts.models import Organisation
from marketplace.models import ListingStatus, Need, Offer
from marketplace.units import KG_PER_TONNE

from . import report_cache
from .models import (
    UNDECIDED_PROPOSAL_STATUSES,
    Deal,
    MatchRun,
    Proposal,
    ProposalStatus,
    RunStatus,
)
from .reports.impact_report import BASES, build_reports, report_scope
from .selectors import party_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


CHART_GROUPS = ("material", "sector", "month")
MAX_MAP_FLOWS = 500


def _number(value: Any) -> float:
    return float(value) if isinstance(value, Decimal) else value


def _chart(report: dict) -> dict:
    return {
        "labels": [row["label"] for row in report["rows"]],
        "mass_t": [_number(row["mass_t"]) for row in report["rows"]],
        "net_t": [_number(row["net_kg"] / KG_PER_TONNE) for row in report["rows"]],
    }


def headline(organisation_ids: set[int] | None, known: dict[str, dict] | None = None) -> dict[str, dict]:
    """Totals on each basis: t moved and t diverted from waste, net CO₂e t, t·km, deals, organisations.

    ``known`` maps a basis to a report the caller already has (its totals are reused).
    """
    result = {}
    for basis in BASES:
        report = (known or {}).get(basis) or build_reports(
            basis=basis, group_bys=("material",), organisation_ids=organisation_ids
        )["material"]
        totals = report["totals"]
        result[basis] = {
            "mass_t": totals["mass_t"],
            # The report's own sum over waste-bound flows (moved ≠ diverted, issue 10).
            "diverted_t": totals["diverted_t"],
            "net_t": totals["net_kg"] / KG_PER_TONNE,
            "tkm": totals["tkm"],
            "deals": totals["deals"],
            "organisations": totals["organisations"],
        }
    return result


def _rounded(value: Decimal, exact: bool) -> float:
    return float(value) if exact else round(float(value), 2)


def flow_lines(*, user: User | AnonymousUser, basis: str) -> list[dict]:
    """Lines between the two sites of each matched flow, for the map.

    The municipality sees exact sites; a company sees its own exactly and others rounded to
    about a kilometre, as everywhere else in the marketplace (agreed deals show both exactly).
    Cached like the reports (per generation, viewer's scope, basis and language).
    """
    orgs = member_organisation_ids(user)
    authority = is_authority(user)
    return report_cache.cached(
        report_cache.flow_lines_key(basis=basis, authority=authority, organisation_ids=orgs),
        lambda: _flow_lines(orgs=orgs, authority=authority, basis=basis),
    )


def _flow_lines(*, orgs: set[int], authority: bool, basis: str) -> list[dict]:
    rows: QuerySet[Any]
    if basis == "proposed":
        rows = Proposal.objects.exclude(status__in=[ProposalStatus.DECLINED, ProposalStatus.EXPIRED])
    else:
        rows = Deal.objects.all()
    if not authority:
        rows = rows.filter(party_q(orgs))
    rows = rows.select_related(
        "offer__site", "need__site", "material", "offer__organisation", "need__organisation"
    ).order_by("-mass_t")[:MAX_MAP_FLOWS]
    lines = []
    for row in rows:
        agreed = isinstance(row, Deal) or row.status == ProposalStatus.AGREED
        ends = []
        for listing in (row.offer, row.need):
            exact = authority or agreed or listing.organisation_id in orgs
            ends.append([_rounded(listing.site.latitude, exact), _rounded(listing.site.longitude, exact)])
        lines.append(
            {
                "from": ends[0],
                "to": ends[1],
                "mass_t": float(row.mass_t),
                "material": row.material.name,
                "supplier": row.offer.organisation.name,
                "receiver": row.need.organisation.name,
                "km": float(row.distance_km),
            }
        )
    return lines


def city_context(*, user: User | AnonymousUser, basis: str) -> dict[str, Any]:
    scope = report_scope(user)
    # One aggregation for the three charts, the Sankey and this basis's headline; one per other basis.
    reports = build_reports(basis=basis, group_bys=CHART_GROUPS, organisation_ids=scope)
    figures = headline(scope, known={basis: reports["material"]})
    return {
        "headline": figures,
        # The cards follow the basis chosen above them (issue 15: they showed agreed figures
        # while the selector said "proposals").
        "headline_basis": basis,
        "headline_current": figures[basis],
        "basis": basis,
        "bases": BASES,
        "charts": {group: _chart(report) for group, report in reports.items()},
        "sankey": [
            {**link, "value_t": _number(link.get("value_t", 0))} for link in reports["material"]["flows"]
        ],
        "flows": flow_lines(user=user, basis=basis),
        "factor_sets": reports["material"]["factor_sets"],
        "organisations": Organisation.objects.filter(verified=True).count(),
        "awaiting_verification": Organisation.objects.filter(verified=False).count(),
        "last_run": MatchRun.objects.filter(status=RunStatus.SUCCEEDED, dry_run=False)
        .select_related("factor_set")
        .first(),
        "open_run": MatchRun.objects.filter(is_open=True, dry_run=False).first(),
    }


def company_context(*, user: User | AnonymousUser) -> dict[str, Any]:
    orgs = member_organisation_ids(user)
    mine = {"organisation_id__in": orgs}
    figures = headline(set(orgs))
    return {
        "organisations": Organisation.objects.filter(id__in=orgs),
        "headline": figures,
        "headline_basis": "agreed",
        "headline_current": figures["agreed"],
        "offers": Offer.objects.filter(**mine)
        .exclude(status=ListingStatus.CLOSED)
        .select_related("material", "site")
        .order_by("-created_at")[:10],
        "needs": Need.objects.filter(**mine)
        .exclude(status=ListingStatus.CLOSED)
        .select_related("site")
        .prefetch_related("materials")
        .order_by("-created_at")[:10],
        "open_proposals": Proposal.objects.filter(status__in=UNDECIDED_PROPOSAL_STATUSES)
        .filter(party_q(orgs))
        .count(),
        "deals": Deal.objects.filter(party_q(orgs)).count(),
        "next_run_hint": True,
    }
