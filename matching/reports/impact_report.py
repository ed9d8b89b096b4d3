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
from django.db.models import F, Q, QuerySet
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

#: Estimated money under the active tariff, in the totals and every row (None without a tariff).
MONEY_KEYS = ("disposal_fee_avoided_kzt", "transport_cost_kzt")


@dataclass
class Tally:
    """Running sums of one row (or the totals, or one cell: see :func:`_cells`)."""

    sums: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(DECIMAL_KEYS, _ZERO))
    records: int = 0
    pieces: Decimal = _ZERO
    deals: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    factor_sets: set[str] = field(default_factory=set)
    money: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MONEY_KEYS, _ZERO))

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
        self.factor_sets.add(record.factor_set)

    def merge(self, other: Tally) -> None:
        for key in DECIMAL_KEYS:
            self.sums[key] += other.sums[key]
        for key in MONEY_KEYS:
            self.money[key] += other.money[key]
        self.pieces += other.pieces
        self.records += other.records
        self.deals |= other.deals
        self.organisations |= other.organisations
        self.factor_sets |= other.factor_sets

    def figures(self) -> dict[str, Any]:
        return {
            **self.sums,
            "pieces": int(self.pieces),
            "records": self.records,
            "deals": len(self.deals),
            "organisations": len(self.organisations),
        }


#: What a cell is keyed by: every grouping of the report (and the Sankey) is a roll-up of cells.
#: (material id, supplying sector, receiving sector, supplying district, receiving district, month)
CellKey = tuple[int, str, str, str, str, str]


#: The optional dimensions of a cell, by the groupings that need them; a page that shows none of
#: them leaves them empty, so its cells are fewer (material and both sectors are always kept:
#: the Sankey reads them).
OPTIONAL_DIMENSIONS = {
    "district": "supply_district",
    "receiving_district": "receive_district",
    "month": "month",
}
ALL_DIMENSIONS = frozenset(OPTIONAL_DIMENSIONS.values())


def _dimensions(group_bys: Iterable[str]) -> frozenset[str]:
    return frozenset(OPTIONAL_DIMENSIONS[g] for g in group_bys if g in OPTIONAL_DIMENSIONS)


def _cell_key(record: Record, dims: frozenset[str] = ALL_DIMENSIONS) -> CellKey:
    return (
        record.material_id,
        record.supply_sector,
        record.receive_sector,
        record.supply_district if "supply_district" in dims else "",
        record.receive_district if "receive_district" in dims else "",
        f"{record.day:%Y-%m}" if "month" in dims else "",
    )


def _cells_python(
    params: ReportParams,
    organisation_ids: set[int] | None,
    rates: Any,
    dims: frozenset[str] = ALL_DIMENSIONS,
) -> dict[CellKey, Tally]:
    """The cells summed in Python from the records (SQLite; and any company's proposed basis,
    whose distance-bound figures depend on who looks, see :func:`_as_seen_by`)."""
    from .. import economics

    cells: dict[CellKey, Tally] = defaultdict(Tally)
    for record in _records(params, organisation_ids):
        cell = cells[_cell_key(record, dims)]
        cell.add(record)
        if rates is not None:
            cell.money["disposal_fee_avoided_kzt"] += economics.disposal_fee_avoided_kzt(
                mass_t=record.mass_t, current_destination=record.current_destination, rates=rates
            )
            # A delivery's t·km is its mass × its deal's distance (already in the record).
            cell.money["transport_cost_kzt"] += economics.transport_cost_kzt(tkm=record.tkm, rates=rates)
    return cells


def _half_even(sql: str, places: int) -> str:
    """SQL rounding ``sql`` (a non-negative numeric) half-even to ``places`` decimals, as
    ``Decimal.quantize(..., ROUND_HALF_EVEN)`` does; PostgreSQL's ``round`` rounds half up."""
    scale = 10**places
    scaled = f"(({sql}) * {scale})"
    return (
        f"(CASE WHEN {scaled} - trunc({scaled}) = 0.5 AND mod(trunc({scaled}), 2) = 0 "
        f"THEN trunc({scaled}) / {scale} ELSE round(({sql}), {places}) END)"
    )


def _cells_sql(
    params: ReportParams,
    organisation_ids: set[int] | None,
    rates: Any,
    dims: frozenset[str] = ALL_DIMENSIONS,
) -> dict[CellKey, Tally]:
    """The same cells in one ``GROUP BY`` query (PostgreSQL, which sums numerics exactly).

    Per-record roundings (t·km to 0.001, money to the tiyn) are done row by row in SQL, half-even
    as in Python, before the sums, so the figures are those of :func:`_cells_python` digit for digit.
    """
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import Count, DecimalField, Func, Sum, Value
    from django.db.models.functions import TruncMonth

    from .. import economics

    basis = params.basis
    qs: QuerySet[Any]
    if basis == "proposed":
        qs = (
            Proposal.objects.exclude(status__in=[ProposalStatus.DECLINED, ProposalStatus.EXPIRED])
            .annotate(proposed_at=Coalesce("run__created_at", "created_at"))
            .filter(_party_q(organisation_ids), _range_q("proposed_at__date", params))
        )
        prefix, day, deal = "", "proposed_at", "deal__id"
    elif basis == "agreed":
        qs = Deal.objects.filter(_party_q(organisation_ids), _range_q("agreed_at__date", params))
        prefix, day, deal = "", "agreed_at", "id"
    else:
        qs = Delivery.objects.filter(_party_q(organisation_ids, "deal__"), _range_q("date", params))
        prefix, day, deal = "deal__", "date", "deal_id"
    distance = f"{prefix}distance_km"
    unit = f"{prefix}unit"
    destination = f"{prefix}current_destination"
    version = "deal__factor_set__version" if basis == "delivered" else "factor_set__version"
    material = "deal__material_id" if basis == "delivered" else "material_id"
    numeric = DecimalField(max_digits=30, decimal_places=3)
    money = DecimalField(max_digits=30, decimal_places=2)
    tkm_sql = _half_even("%(expressions)s", 3)

    def tkm_expr() -> Func:
        return Func(F("mass_t") * F(distance), template=tkm_sql, output_field=numeric)

    aggregates: dict[str, Any] = {
        "c_mass_t": Sum("mass_t"),
        "c_diverted_t": Sum("mass_t", filter=Q(baseline__in=WASTE_BOUND_DESTINATIONS)),
        "c_tkm": Sum(tkm_expr()),
        **{f"c_{key}": Sum(key) for key in IMPACT_KEYS},
        "c_pieces": Sum("quantity", filter=Q(**{unit: "piece"})),
        "c_records": Count("pk"),
        "c_deals": ArrayAgg(deal, distinct=True, filter=Q(**{f"{deal}__isnull": False}), default=Value([])),
        "c_suppliers": ArrayAgg(f"{prefix}offer__organisation_id", distinct=True),
        "c_receivers": ArrayAgg(f"{prefix}need__organisation_id", distinct=True),
        "c_versions": ArrayAgg(version, distinct=True),
    }
    if rates is not None:
        gate = Decimal(rates.landfill_gate_fee_kzt_per_t)
        rate = Decimal(rates.transport_kzt_per_tkm)
        fee_sql = _half_even(f"%(expressions)s * {gate}::numeric", 2)
        transport_sql = _half_even(f"{tkm_sql} * {rate}::numeric", 2)
        aggregates["c_fee"] = Sum(
            Func(F("mass_t"), template=fee_sql, output_field=money),
            filter=Q(**{destination: economics.LANDFILL}),
        )
        aggregates["c_transport"] = Sum(
            Func(F("mass_t") * F(distance), template=transport_sql, output_field=money)
        )
    supply_district = f"{prefix}offer__site__district"
    receive_district = f"{prefix}need__site__district"
    columns = [material, f"{prefix}offer__organisation__sector", f"{prefix}need__organisation__sector"]
    columns += [supply_district] if "supply_district" in dims else []
    columns += [receive_district] if "receive_district" in dims else []
    qs = qs.order_by()
    if "month" in dims:
        qs = qs.annotate(c_month=TruncMonth(day))
        columns.append("c_month")
    rows = qs.values(*columns).annotate(**aggregates)
    cells: dict[CellKey, Tally] = {}
    for row in rows:
        key: CellKey = (
            row[material],
            row[f"{prefix}offer__organisation__sector"],
            row[f"{prefix}need__organisation__sector"],
            row.get(supply_district, ""),
            row.get(receive_district, ""),
            f"{row['c_month']:%Y-%m}" if "month" in dims else "",
        )
        tally = Tally(
            # None (no row matched a filtered sum) is zero; a sum of 0.000s stays 0.000, as in Python.
            sums={key_: _ZERO if row[f"c_{key_}"] is None else row[f"c_{key_}"] for key_ in DECIMAL_KEYS},
            records=row["c_records"],
            pieces=_ZERO if row["c_pieces"] is None else row["c_pieces"],
            deals=set(row["c_deals"] or ()),
            organisations=set(row["c_suppliers"]) | set(row["c_receivers"]),
            factor_sets=set(row["c_versions"]),
        )
        if rates is not None:
            tally.money = {
                "disposal_fee_avoided_kzt": _ZERO if row["c_fee"] is None else row["c_fee"],
                "transport_cost_kzt": _ZERO if row["c_transport"] is None else row["c_transport"],
            }
        cells[key] = tally
    return cells


def _use_sql(params: ReportParams, organisation_ids: set[int] | None) -> bool:
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.IMPACT_REPORT_SQL:
        return False
    # A company's proposed basis shows the other party's distance as it may see it, per record.
    return not (params.basis == "proposed" and organisation_ids is not None)


def _cells(
    params: ReportParams, organisation_ids: set[int] | None, rates: Any, dims: frozenset[str]
) -> dict[CellKey, Tally]:
    if _use_sql(params, organisation_ids):
        return _cells_sql(params, organisation_ids, rates, dims)
    return _cells_python(params, organisation_ids, rates, dims)


class _Labels:
    """Each label translated once per key and page (not once per record)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.categories = {key: str(label) for key, label in Category.choices}
        self.sectors = {key: str(label) for key, label in OrganisationSector.choices}
        self.districts = {key: str(label) for key, label in District.choices}

    def of(self, group_by: str, key: str) -> str:
        if group_by == "material":
            return self.names.get(key, key)
        if group_by == "category":
            return self.categories.get(key, key)
        if group_by in ("sector", "receiving_sector"):
            return self.sectors.get(key, key)
        if group_by in ("district", "receiving_district"):
            return self.districts.get(key, key)
        year, month = key.split("-")
        return formats.date_format(date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")


def _group_key(cell: CellKey, group_by: str, categories: dict[int, str], keys: dict[int, str]) -> str:
    material_id, supply_sector, receive_sector, supply_district, receive_district, month = cell
    if group_by == "material":
        return keys[material_id]
    if group_by == "category":
        return categories[material_id]
    if group_by == "sector":
        return supply_sector
    if group_by == "receiving_sector":
        return receive_sector
    if group_by == "district":
        return supply_district
    if group_by == "receiving_district":
        return receive_district
    return month


def _sankey(cells: dict[CellKey, Tally], keys: dict[int, str], labels: _Labels) -> list[dict[str, Any]]:
    """Links supplying sector → material → receiving sector, in tonnes.

    Each column has its own node prefix, so a sector that both supplies and receives is two
    nodes and the graph is acyclic by construction.
    """
    links: dict[tuple[str, str], Decimal] = defaultdict(lambda: _ZERO)
    names: dict[str, str] = {}
    for (material_id, supply_sector, receive_sector, *_rest), tally in cells.items():
        source = f"supply:{supply_sector}"
        middle = f"material:{keys[material_id]}"
        target = f"receive:{receive_sector}"
        names[source] = labels.sectors.get(supply_sector, supply_sector)
        names[middle] = labels.names.get(keys[material_id], keys[material_id])
        names[target] = labels.sectors.get(receive_sector, receive_sector)
        links[(source, middle)] += tally.sums["mass_t"]
        links[(middle, target)] += tally.sums["mass_t"]
    return [
        {
            "source": source,
            "target": target,
            "value_t": value,
            "source_label": names[source],
            "target_label": names[target],
        }
        for (source, target), value in sorted(links.items())
    ]


def _sort_rows(rows: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    if group_by == "month":
        return sorted(rows, key=lambda row: row["key"])
    return sorted(rows, key=lambda row: (-row["mass_t"], row["key"]))


def _money(tally: Tally, tariff: Any) -> dict[str, Any]:
    """Estimated money under the active tariff: ``disposal_fee_avoided_kzt`` and
    ``transport_cost_kzt`` (``None`` without a published tariff), summed exactly from each
    record's rounded figures."""
    from .. import economics

    if tariff is None:
        return dict.fromkeys(MONEY_KEYS)
    return {key: economics.kzt(tally.money[key]) for key in MONEY_KEYS}


def build_reports(
    *,
    basis: str,
    group_bys: Iterable[str],
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, dict[str, Any]]:
    """The report on one basis for several groupings at once, from one aggregation.

    The records are aggregated once (in SQL on PostgreSQL) into cells by material, both
    sectors, both districts and month; each grouping, the totals and the Sankey are roll-ups
    of those cells. The Sankey list is built once and shared by the reports. Cached per
    generation (:mod:`matching.report_cache`), scope, language and parameters.
    """
    from .. import report_cache

    chosen = tuple(group_bys)
    key = report_cache.impact_key(
        basis=basis, group_bys=chosen, organisation_ids=organisation_ids, date_from=date_from, date_to=date_to
    )
    return report_cache.cached(
        key,
        lambda: _build_reports(
            ReportParams(basis=basis, date_from=date_from, date_to=date_to), chosen, organisation_ids
        ),
    )


def _build_reports(
    params: ReportParams, group_bys: tuple[str, ...], organisation_ids: set[int] | None
) -> dict[str, dict[str, Any]]:
    from ..tariffs import rates_of, tariff_active

    tariff = tariff_active()
    rates = rates_of(tariff) if tariff else None
    cells = _cells(params, organisation_ids, rates, _dimensions(group_bys))
    catalogue = {
        m["id"]: m for m in Material.objects.values("id", "key", "category", "name_en", "name_ru", "name_kk")
    }
    keys = {pk: m["key"] for pk, m in catalogue.items()}
    categories = {pk: m["category"] for pk, m in catalogue.items()}
    labels = _Labels({m["key"]: _material_name(m) for m in catalogue.values()})
    totals = Tally()
    for tally in cells.values():
        totals.merge(tally)
    total_figures = {**totals.figures(), **_money(totals, tariff)}
    flows = _sankey(cells, keys, labels)
    factor_sets = sorted(totals.factor_sets)
    reports = {}
    for group_by in group_bys:
        groups: dict[str, Tally] = defaultdict(Tally)
        for cell_key, tally in cells.items():
            groups[_group_key(cell_key, group_by, categories, keys)].merge(tally)
        rows = [
            {"key": key, "label": labels.of(group_by, key), **tally.figures(), **_money(tally, tariff)}
            for key, tally in groups.items()
        ]
        reports[group_by] = {
            "basis": params.basis,
            "group_by": group_by,
            "from": params.date_from,
            "to": params.date_to,
            "scope": "city" if organisation_ids is None else "organisation",
            "factor_sets": factor_sets,
            "totals": dict(total_figures),
            "rows": _sort_rows(rows, group_by),
            "flows": flows,
            "tariff": tariff.version if tariff else None,
        }
    return reports


def build_report(*, params: ReportParams, organisation_ids: set[int] | None) -> dict[str, Any]:
    """The report for the given organisations' flows (``None``: the whole city).

    Returns plain data: ``basis``, ``group_by``, ``from``, ``to``, ``scope``, ``factor_sets``,
    ``totals``, ``rows`` (each with ``key`` and ``label``), ``flows`` (Sankey links) and
    ``tariff``. Figures are ``Decimal`` (kg CO₂e, t, t·km, KZT) or ``int`` counts.
    """
    return build_reports(
        basis=params.basis,
        group_bys=(params.group_by,),
        organisation_ids=organisation_ids,
        date_from=params.date_from,
        date_to=params.date_to,
    )[params.group_by]


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
