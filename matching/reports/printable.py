"""The printable impact report (HTML page and PDF): what it shows, and who may see which one.

The municipality gets the city's report; a member of a company gets the report of its own
organisations' flows; anyone else is refused (403).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids
from accounts.errors import forbidden
from accounts.models import Organisation
from marketplace.factor_services import active_factor_set
from marketplace.models import Factor, FactorSet
from marketplace.units import KG_PER_TONNE

from .impact_report import ReportParams, basis_label, build_report
from .sources import citation, factor_source

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def printable_scope(user: User | AnonymousUser) -> tuple[set[int] | None, list[Organisation]]:
    """``(organisation ids or None for the city, organisations named in the heading)``."""
    if is_authority(user):
        return None, []
    ids = member_organisation_ids(user)
    organisations = list(
        Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.COMPANY).order_by("name")
    )
    if not organisations:
        raise forbidden(_("Only the municipality, or a company for its own flows, can see impact reports."))
    return {org.pk for org in organisations}, organisations


def _tonnes(kg: Decimal) -> Decimal:
    return (kg / KG_PER_TONNE).quantize(Decimal("0.001"))


def printable_context(*, user: User | AnonymousUser, params: ReportParams) -> dict[str, Any]:
    """The figures, tables and factor-set provenance of the printable report."""
    scope, organisations = printable_scope(user)

    def grouped(group_by: str) -> dict[str, Any]:
        return build_report(
            params=ReportParams(params.basis, group_by, params.date_from, params.date_to),
            organisation_ids=scope,
        )

    by_material, by_sector, by_receiving = grouped("material"), grouped("sector"), grouped("receiving_sector")
    totals = by_material["totals"]
    versions = by_material["factor_sets"]
    factor_sets = list(FactorSet.objects.filter(version__in=versions).order_by("version"))
    used_active = False
    if not factor_sets:
        active = active_factor_set()
        factor_sets, used_active = ([active], True) if active else ([], False)
    material_keys = [row["key"] for row in by_material["rows"]]
    factors = list(
        Factor.objects.filter(factor_set__in=factor_sets, material__key__in=material_keys)
        .select_related("material", "factor_set")
        .order_by("factor_set__version", "material__key")
    )
    # The report cites sources and says how far to trust them; the working notes stay in the
    # factor file and on the factor-set pages.
    for factor in factors:
        factor.report_source = factor_source(factor)  # type: ignore[attr-defined]
    for factor_set in factor_sets:
        factor_set.report_freight_source = citation(factor_set.road_freight_source)  # type: ignore[attr-defined]
        factor_set.report_gwp_source = citation(factor_set.gwp_basis)  # type: ignore[attr-defined]
    return {
        "params": params,
        "basis_label": basis_label(params.basis),
        "city": scope is None,
        "organisations": organisations,
        "generated_at": timezone.localtime(),
        "headline": {
            "mass_t": totals["mass_t"],
            # Only waste-bound mass is "diverted from waste"; supply already in use just moves.
            "diverted_t": totals["diverted_t"],
            "other_moved_t": totals["mass_t"] - totals["diverted_t"],
            "net_t": _tonnes(totals["net_kg"]),
            "tkm": totals["tkm"],
            "deals": totals["deals"],
            "organisations": totals["organisations"],
            "records": totals["records"],
            "baseline_t": _tonnes(totals["baseline_avoided_kg"]),
            "landfill_t": _tonnes(totals["landfill_avoided_kg"]),
            "substitution_t": _tonnes(totals["substitution_avoided_kg"]),
            "treatment_t": _tonnes(totals["treatment_kg"]),
            "transport_t": _tonnes(totals["transport_kg"]),
            "storage_t": _tonnes(totals["storage_kg"]),
        },
        "by_material": _with_tonnes(by_material),
        "by_sector": _with_tonnes(by_sector),
        "by_receiving_sector": _with_tonnes(by_receiving),
        "factor_sets": factor_sets,
        "factor_sets_are_active_fallback": used_active,
        "factors": factors,
    }


def _with_tonnes(report: dict[str, Any]) -> dict[str, Any]:
    """Adds ``net_t`` and the other components in tonnes to every row and the totals."""

    def convert(figures: dict[str, Any]) -> dict[str, Any]:
        return {
            **figures,
            "net_t": _tonnes(figures["net_kg"]),
            "baseline_t": _tonnes(figures["baseline_avoided_kg"]),
            "landfill_t": _tonnes(figures["landfill_avoided_kg"]),
            "substitution_t": _tonnes(figures["substitution_avoided_kg"]),
            "treatment_t": _tonnes(figures["treatment_kg"]),
            "transport_t": _tonnes(figures["transport_kg"]),
            "storage_t": _tonnes(figures["storage_kg"]),
        }

    return {**report, "rows": [convert(row) for row in report["rows"]], "totals": convert(report["totals"])}
