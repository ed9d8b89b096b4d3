"""The impact report (SPEC §4–§5): totals and rows of avoided CO₂e on one basis, grouped one way.

Three bases, each counting a different kind of record:

- ``proposed``: proposals that are still on the table or were taken up (not declined, not
  expired); dated by their run's creation.
- ``agreed``: deals; dated by their agreement.
- ``delivered``: deliveries; dated by the delivery date; each delivery carries its own stored
  impact, and its tonne-kilometres are its mass × its deal's distance.

A declined proposal is in no basis; an agreed deal without deliveries is in ``agreed`` only.

``mass_t`` is all the mass moved; ``diverted_t`` only the part that was waste-bound (its fate,
the ``baseline``, is landfill, open burning, incineration or unknown), so supply already in
other use is never reported as diverted from waste. ``baseline_avoided_kg`` is the avoided
emission of every fate, ``landfill_avoided_kg`` the landfill part of it.

Every figure is summed here in ``Decimal`` from the stored, quantised values, never with SQL
``SUM`` (SQLite sums decimals as floats): so the totals are the exact sum of the rows, and a row
can be traced record by record to the factor-set version it was computed with. The number of
queries is fixed (one for the records, one for the catalogue), whatever the number of rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids
from accounts.cleaning import clean_choice
from accounts.errors import invalid
from accounts.models import District, OrganisationSector
from marketplace.models import Category, Material

from ..impact import WASTE_BOUND_DESTINATIONS
from ..models import Deal, Delivery, ImpactFields, Proposal, ProposalStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


BASES = ("proposed", "agreed", "delivered")
DEFAULT_BASIS = "agreed"
GROUP_BYS = ("material", "category", "sector", "receiving_sector", "district", "receiving_district", "month")
DEFAULT_GROUP_BY = "material"

IMPACT_KEYS = ImpactFields.IMPACT_KEYS
# The additive figures: the totals are exactly the sum of the rows for each of these.
DECIMAL_KEYS = ("mass_t", "diverted_t", "tkm", *IMPACT_KEYS)
# Distinct counts: a deal delivered in two months, or an organisation in two rows, is counted once
# in the totals, so a total may be smaller than the sum of its rows.
COUNT_KEYS = ("deals", "organisations")
# Pieces of the records agreed in pieces (panels, bags), beside their mass; 0 when none.
METRIC_KEYS = (*DECIMAL_KEYS, "pieces", "records", *COUNT_KEYS)

QUANTUM = Decimal("0.001")
_ZERO = Decimal(0)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ReportParams:
    """What to report: one basis, one grouping, an optional inclusive date range."""

    basis: str = DEFAULT_BASIS
    group_by: str = DEFAULT_GROUP_BY
    date_from: date | None = None
    date_to: date | None = None


def _parse_date(name: str, raw: Any) -> date | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if not _ISO_DATE.match(text):
        raise invalid(name, _("Use an ISO date, YYYY-MM-DD."))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(name, _("%(date)s is not a calendar date.") % {"date": text}) from None


def report_params(data: Mapping[str, Any]) -> ReportParams:
    """Validate query parameters ``basis``, ``group_by``, ``from`` and ``to``.

    Raises a :class:`DomainError` (400) naming the field at fault.
    """
    params = ReportParams(
        basis=clean_choice("basis", data.get("basis"), BASES, default=DEFAULT_BASIS),
        group_by=clean_choice("group_by", data.get("group_by"), GROUP_BYS, default=DEFAULT_GROUP_BY),
        date_from=_parse_date("from", data.get("from")),
        date_to=_parse_date("to", data.get("to")),
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise invalid("to", _("The end date is before the start date."))
    return params


# --- The records of each basis --------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One proposal, deal or delivery, flattened to what the report needs."""

    day: date
    mass_t: Decimal
    tkm: Decimal
    baseline: str
    impact: tuple[Decimal, ...]
    deal_id: int | None
    supplier_id: int
    receiver_id: int
    supply_sector: str
    receive_sector: str
    supply_district: str
    receive_district: str
    material_id: int
    factor_set: str
    current_destination: str = ""
    pieces: Decimal = _ZERO


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _tkm(mass_t: Decimal, distance_km: Decimal) -> Decimal:
    return (mass_t * distance_km).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def _party_q(organisation_ids: set[int] | None, prefix: str = "") -> Q:
    from ..selectors import party_q

    return Q() if organisation_ids is None else party_q(organisation_ids, prefix)


def _listing_fields(prefix: str) -> dict[str, F]:
    """Both parties' organisation, sector and site district, named for :class:`Record`."""
    return {
        "supplier_id": F(f"{prefix}offer__organisation_id"),
        "receiver_id": F(f"{prefix}need__organisation_id"),
        "supply_sector": F(f"{prefix}offer__organisation__sector"),
        "receive_sector": F(f"{prefix}need__organisation__sector"),
        "supply_district": F(f"{prefix}offer__site__district"),
        "receive_district": F(f"{prefix}need__site__district"),
    }


def _range_q(lookup: str, params: ReportParams) -> Q:
    q = Q()
    if params.date_from:
        q &= Q(**{f"{lookup}__gte": params.date_from})
    if params.date_to:
        q &= Q(**{f"{lookup}__lte": params.date_to})
    return q


def _records(params: ReportParams, organisation_ids: set[int] | None) -> Iterable[Record]:
    """The records of ``params.basis`` in the date range and scope, in one query."""
    if params.basis == "proposed":
        rows = (
            Proposal.objects.exclude(status__in=[ProposalStatus.DECLINED, ProposalStatus.EXPIRED])
            # A run's proposal dates from its run; a direct request (no run) from its creation.
            .annotate(proposed_at=Coalesce("run__created_at", "created_at"))
            .filter(_party_q(organisation_ids), _range_q("proposed_at__date", params))
            .values(
                "mass_t",
                "distance_km",
                "baseline",
                *IMPACT_KEYS,
                "material_id",
                "current_destination",
                "quantity",
                "unit",
                "status",
                "run__parameters",
                day=F("proposed_at"),
                deal_ref=F("deal__id"),
                version=F("factor_set__version"),
                freight=F("factor_set__road_freight_kg_per_tkm"),
                offer_lat=F("offer__site__latitude"),
                offer_lon=F("offer__site__longitude"),
                need_lat=F("need__site__latitude"),
                need_lon=F("need__site__longitude"),
                **_listing_fields(""),
            )
        )
    elif params.basis == "agreed":
        rows = Deal.objects.filter(_party_q(organisation_ids), _range_q("agreed_at__date", params)).values(
            "mass_t",
            "distance_km",
            "baseline",
            *IMPACT_KEYS,
            "material_id",
            "current_destination",
            "quantity",
            "unit",
            day=F("agreed_at"),
            deal_ref=F("id"),
            version=F("factor_set__version"),
            **_listing_fields(""),
        )
    else:
        rows = Delivery.objects.filter(_party_q(organisation_ids, "deal__"), _range_q("date", params)).values(
            "mass_t",
            "baseline",
            *IMPACT_KEYS,
            "quantity",
            unit=F("deal__unit"),
            distance_km=F("deal__distance_km"),
            material_id=F("deal__material_id"),
            current_destination=F("deal__current_destination"),
            day=F("date"),
            deal_ref=F("deal_id"),
            version=F("deal__factor_set__version"),
            **_listing_fields("deal__"),
        )
    for row in rows.order_by():
        if params.basis == "proposed" and organisation_ids is not None:
            row = _as_seen_by(row, organisation_ids)
        yield Record(
            day=_local_day(row["day"]),
            mass_t=row["mass_t"],
            tkm=_tkm(row["mass_t"], row["distance_km"]),
            baseline=row["baseline"],
            impact=tuple(row[key] for key in IMPACT_KEYS),
            deal_id=row["deal_ref"],
            supplier_id=row["supplier_id"],
            receiver_id=row["receiver_id"],
            supply_sector=row["supply_sector"],
            receive_sector=row["receive_sector"],
            supply_district=row["supply_district"],
            receive_district=row["receive_district"],
            material_id=row["material_id"],
            factor_set=row["version"],
            current_destination=row["current_destination"],
            pieces=row["quantity"] if row["unit"] == "piece" else _ZERO,
        )


def _as_seen_by(row: dict[str, Any], organisation_ids: set[int]) -> dict[str, Any]:
    """A proposal's distance-bound figures as the organisations may see them (``flow_view``):
    until a deal, from the other party's site rounded to about a kilometre, so that no total
    (t·km, transport, net) gives that site back."""
    from ..flow_view import shown_distance_km, transport_kg

    parties = {row["supplier_id"], row["receiver_id"]}
    if row["status"] == ProposalStatus.AGREED or parties <= organisation_ids:
        return row
    distance = shown_distance_km(
        offer=(row["supplier_id"], row["offer_lat"], row["offer_lon"]),
        need=(row["receiver_id"], row["need_lat"], row["need_lon"]),
        viewer_orgs=organisation_ids,
        circuity=float((row["run__parameters"] or {}).get("circuity", settings.MATCHING_CIRCUITY)),
    )
    transport = transport_kg(row["mass_t"], distance, row["freight"])
    net = row["net_kg"] + row["transport_kg"] - transport
    return {**row, "distance_km": distance, "transport_kg": transport, "net_kg": net}


# --- Aggregation ----------------------------------------------------------------------------


@dataclass
class Tally:
    """Running sums of one row (or the totals)."""

    sums: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(DECIMAL_KEYS, _ZERO))
    records: int = 0
    pieces: Decimal = _ZERO
    deals: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)

    def add(self, record: Record) -> None:
        self.sums["mass_t"] += record.mass_t
        if record.baseline in WASTE_BOUND_DESTINATIONS:
            self.sums["diverted_t"] += record.mass_t
        self.pieces += record.pieces
        self.sums["tkm"] += record.tkm
        for key, value in zip(IMPACT_KEYS, record.impact, strict=True):
            self.sums[key] += value
        self.records += 1
        if record.deal_id is not None:
            self.deals.add(record.deal_id)
        self.organisations.update((record.supplier_id, record.receiver_id))

    def figures(self) -> dict[str, Any]:
        return {
            **self.sums,
            "pieces": int(self.pieces),
            "records": self.records,
            "deals": len(self.deals),
            "organisations": len(self.organisations),
        }


def _group_key(record: Record, group_by: str, categories: dict[int, str], keys: dict[int, str]) -> str:
    if group_by == "material":
        return keys[record.material_id]
    if group_by == "category":
        return categories[record.material_id]
    if group_by == "sector":
        return record.supply_sector
    if group_by == "receiving_sector":
        return record.receive_sector
    if group_by == "district":
        return record.supply_district
    if group_by == "receiving_district":
        return record.receive_district
    return f"{record.day:%Y-%m}"


def _label(group_by: str, key: str, names: dict[str, str]) -> str:
    if group_by == "material":
        return names.get(key, key)
    if group_by == "category":
        return str(dict(Category.choices).get(key, key))
    if group_by in ("sector", "receiving_sector"):
        return str(dict(OrganisationSector.choices).get(key, key))
    if group_by in ("district", "receiving_district"):
        return str(dict(District.choices).get(key, key))
    year, month = key.split("-")
    return formats.date_format(date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")


def _sankey(records: list[Record], keys: dict[int, str], names: dict[str, str]) -> list[dict[str, Any]]:
    """Links supplying sector → material → receiving sector, in tonnes.

    Each column has its own node prefix, so a sector that both supplies and receives is two
    nodes and the graph is acyclic by construction.
    """
    sectors = dict(OrganisationSector.choices)
    links: dict[tuple[str, str], Decimal] = defaultdict(lambda: _ZERO)
    labels: dict[str, str] = {}
    for record in records:
        source = f"supply:{record.supply_sector}"
        middle = f"material:{keys[record.material_id]}"
        target = f"receive:{record.receive_sector}"
        labels[source] = str(sectors.get(record.supply_sector, record.supply_sector))
        labels[middle] = names.get(keys[record.material_id], keys[record.material_id])
        labels[target] = str(sectors.get(record.receive_sector, record.receive_sector))
        links[(source, middle)] += record.mass_t
        links[(middle, target)] += record.mass_t
    return [
        {
            "source": source,
            "target": target,
            "value_t": value,
            "source_label": labels[source],
            "target_label": labels[target],
        }
        for (source, target), value in sorted(links.items())
    ]


def _sort_rows(rows: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    if group_by == "month":
        return sorted(rows, key=lambda row: row["key"])
    return sorted(rows, key=lambda row: (-row["mass_t"], row["key"]))


def build_report(*, params: ReportParams, organisation_ids: set[int] | None) -> dict[str, Any]:
    """The report for the given organisations' flows (``None``: the whole city).

    Returns plain data: ``basis``, ``group_by``, ``from``, ``to``, ``scope``, ``factor_sets``,
    ``totals``, ``rows`` (each with ``key`` and ``label``) and ``flows`` (Sankey links). Figures
    are ``Decimal`` (kg CO₂e, t, t·km) or ``int`` counts.
    """
    records = list(_records(params, organisation_ids))
    catalogue = {
        m["id"]: m for m in Material.objects.values("id", "key", "category", "name_en", "name_ru", "name_kk")
    }
    keys = {pk: m["key"] for pk, m in catalogue.items()}
    categories = {pk: m["category"] for pk, m in catalogue.items()}
    names = {m["key"]: _material_name(m) for m in catalogue.values()}
    totals = Tally()
    groups: dict[str, Tally] = defaultdict(Tally)
    for record in records:
        totals.add(record)
        groups[_group_key(record, params.group_by, categories, keys)].add(record)
    rows = [
        {"key": key, "label": _label(params.group_by, key, names), **tally.figures()}
        for key, tally in groups.items()
    ]
    report = {
        "basis": params.basis,
        "group_by": params.group_by,
        "from": params.date_from,
        "to": params.date_to,
        "scope": "city" if organisation_ids is None else "organisation",
        "factor_sets": sorted({record.factor_set for record in records}),
        "totals": totals.figures(),
        "rows": _sort_rows(rows, params.group_by),
        "flows": _sankey(records, keys, names),
    }
    _add_estimated_kzt(report, records, lambda r: _group_key(r, params.group_by, categories, keys))
    return report


#: Estimated money under the active tariff, in the totals and every row (None without a tariff).
MONEY_KEYS = ("disposal_fee_avoided_kzt", "transport_cost_kzt")


def _add_estimated_kzt(report: dict[str, Any], records: list[Record], group_of) -> None:
    """Estimated money under the active tariff: ``disposal_fee_avoided_kzt`` and
    ``transport_cost_kzt`` in the totals and every row (``None`` without a published tariff),
    and the tariff's version as ``tariff``. Summed exactly from each record's rounded figures."""
    from .. import economics
    from ..tariffs import rates_of, tariff_active

    tariff = tariff_active()
    report["tariff"] = tariff.version if tariff else None
    money_keys = MONEY_KEYS
    if tariff is None:
        for figures in (report["totals"], *report["rows"]):
            figures.update(dict.fromkeys(money_keys))
        return
    rates = rates_of(tariff)
    by_group: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(money_keys, economics.kzt(_ZERO))
    )
    for record in records:
        fee = economics.disposal_fee_avoided_kzt(
            mass_t=record.mass_t, current_destination=record.current_destination, rates=rates
        )
        # A delivery's t·km is its mass × its deal's distance (already in the record).
        transport = economics.transport_cost_kzt(tkm=record.tkm, rates=rates)
        sums = by_group[group_of(record)]
        sums["disposal_fee_avoided_kzt"] += fee
        sums["transport_cost_kzt"] += transport
    empty = dict.fromkeys(money_keys, economics.kzt(_ZERO))
    for row in report["rows"]:
        row.update(by_group.get(row["key"], empty))
    report["totals"].update(
        {key: sum((g[key] for g in by_group.values()), start=economics.kzt(_ZERO)) for key in money_keys}
    )


def _material_name(material: Mapping[str, Any]) -> str:
    from django.utils.translation import get_language

    lang = (get_language() or "en")[:2]
    return material.get(f"name_{lang}") or material["name_en"]


def report_scope(user: User | AnonymousUser) -> set[int] | None:
    """Whose flows a user may report on: ``None`` (all) for the municipality, else their own."""
    if is_authority(user):
        return None
    return set(member_organisation_ids(user))


def impact_report_for(*, user: User | AnonymousUser, params: ReportParams) -> dict[str, Any]:
    """The report as ``user`` may see it: the city for the municipality, own flows for a company."""
    return build_report(params=params, organisation_ids=report_scope(user))


def group_label(group_by: str) -> str:
    """A heading for the grouping column, in the active language."""
    return {
        "material": _("Material"),
        "category": _("Category"),
        "sector": _("Supplying sector"),
        "receiving_sector": _("Receiving sector"),
        "district": _("Supplying district"),
        "receiving_district": _("Receiving district"),
        "month": _("Month"),
    }[group_by]


def basis_label(basis: str) -> str:
    return {"proposed": _("Proposed"), "agreed": _("Agreed"), "delivered": _("Delivered")}[basis]
