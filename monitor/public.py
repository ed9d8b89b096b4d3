"""Public statistics: what anyone may read without logging in (``/public/`` and
``GET /api/v1/public/impact/``).

What is published, on one basis (``agreed`` deals or ``delivered`` tonnes):

- totals: waste diverted (waste-bound tonnes only), net CO₂e avoided, organisations taking part,
  deals;
- one table by ``category``, supplying ``district`` or ``month``;
- the monthly trend;
- every target with its progress;
- the waste picture (listed, diverted, left, and what the rest emits), by category and fate;
- the organisations taking part that opted in (``Organisation.public_profile``), by name —
  never with figures of their own.

**k-anonymity** (``PUBLIC_K_ANONYMITY``, 3): every published figure is built from nobody or
from at least k organisations; a cell that is not is folded into "other", and "other" itself
is kept safe (``monitor.anonymity``). The same rule holds across the page's tables where one
could be subtracted from another: a target's cumulative curve stops before a month the trend
folded, and its year total is published only if the rest of that year is safe too
(:func:`_public_progress`).

**Caching.** The payload is cached (Django's cache) under the basis, grouping, language, today's
date and a *generation*: the id of the latest audit event. Every decision in Qaita — a deal,
a delivery, a target, an opt-in, a listing, a verification, a factor set — writes an audit
event, so the generation moves exactly when the figures can change, without the public module
hooking into the services of other apps (or them importing it); reading it is one indexed
query (``MAX(id)``). A TTL (``PUBLIC_CACHE_TTL_S``) bounds staleness for changes made outside
the services (the admin). A miss costs a fixed number of queries (records, targets, waste
picture, participants), whatever the size of the city.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.cleaning import clean_choice
from accounts.models import District, Event, Organisation
from marketplace.models import Category, Destination
from marketplace.units import KG_PER_TONNE

from . import targets as target_rules
from .anonymity import OTHER, Cell, Folding, fold, is_safe, union_is_safe
from .flows import BASES, DEFAULT_BASIS, ORGANIC_CATEGORY, FlowRecord, flow_records
from .models import Target, TargetIndicator
from .waste import Line, WastePicture, waste_picture

GROUP_BYS = ("category", "district", "month")
DEFAULT_GROUP_BY = "category"
CACHE_PREFIX = "qaita:public-impact:v1"
TONNE = Decimal("0.001")
_ZERO = Decimal(0)


# --- Parameters ------------------------------------------------------------------------------


def public_params(data: Mapping[str, Any]) -> tuple[str, str]:
    """``(basis, group_by)`` from query parameters; anything else is a 400 naming the field."""
    return (
        clean_choice("basis", data.get("basis"), BASES, default=DEFAULT_BASIS),
        clean_choice("group_by", data.get("group_by"), GROUP_BYS, default=DEFAULT_GROUP_BY),
    )


def licence() -> dict[str, str]:
    name, url = settings.PUBLIC_DATA_LICENCE, settings.PUBLIC_DATA_LICENCE_URL
    attribution = settings.PUBLIC_DATA_ATTRIBUTION
    return {
        "name": name,
        "url": url,
        "attribution": attribution,
        "text": _("Open data under %(licence)s (%(url)s). Attribute: %(attribution)s.")
        % {"licence": name, "url": url, "attribution": attribution},
    }


# --- Tables of cells -------------------------------------------------------------------------


def _t(value: Decimal) -> Decimal:
    return value.quantize(TONNE, rounding=ROUND_HALF_EVEN)


@dataclass
class Tally:
    """A cell's sums and who builds each figure."""

    waste_t: Decimal = _ZERO
    net_kg: Decimal = _ZERO
    mass_t: Decimal = _ZERO
    deals: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    waste_builders: set[int] = field(default_factory=set)

    def add(self, record: FlowRecord) -> None:
        self.mass_t += record.mass_t
        self.net_kg += record.net_kg
        self.deals.add(record.deal_id)
        self.organisations.update(record.organisations)
        if record.waste_bound:
            self.waste_t += record.mass_t
            self.waste_builders.update(record.organisations)

    def merge(self, other: Tally) -> None:
        self.waste_t += other.waste_t
        self.net_kg += other.net_kg
        self.mass_t += other.mass_t
        self.deals |= other.deals
        self.organisations |= other.organisations
        self.waste_builders |= other.waste_builders

    def cell(self, key: str) -> Cell:
        # waste diverted is built by the parties of waste-bound flows, net CO₂e by everyone's.
        return Cell(
            key=key,
            builders={"waste_diverted_t": set(self.waste_builders), "net_co2e_t": set(self.organisations)},
            size=self.mass_t,
        )

    def figures(self) -> dict[str, Any]:
        return {
            "waste_diverted_t": _t(self.waste_t),
            "net_co2e_t": _t(self.net_kg / KG_PER_TONNE),
            "organisations": len(self.organisations),
            "deals": len(self.deals),
        }


def _key(record: FlowRecord, group_by: str) -> str:
    if group_by == "category":
        return record.category
    if group_by == "district":
        return record.district
    return f"{record.day:%Y-%m}"


def _label(group_by: str, key: str) -> str:
    if key == OTHER:
        return {
            "category": _("Other categories and cells of fewer than %(k)s organisations"),
            "district": _("Other districts and cells of fewer than %(k)s organisations"),
            "month": _("Other months (fewer than %(k)s organisations each)"),
        }[group_by] % {"k": settings.PUBLIC_K_ANONYMITY}
    if group_by == "category":
        return str(dict(Category.choices).get(key, key))
    if group_by == "district":
        return str(dict(District.choices).get(key, key))
    year, month = key.split("-")
    return formats.date_format(date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")


@dataclass
class Table:
    group_by: str
    tallies: dict[str, Tally]
    folding: Folding

    def other(self) -> Tally:
        merged = Tally()
        for key in self.folding.folded:
            merged.merge(self.tallies[key])
        return merged


def build_table(records: Iterable[FlowRecord], group_by: str, k: int) -> Table:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for record in records:
        tallies[_key(record, group_by)].add(record)
    # The catalogue's own "other" category or district shares the key of the folded cell.
    merge = (OTHER,) if group_by in ("category", "district") else ()
    folding = fold(
        [tally.cell(key) for key, tally in sorted(tallies.items())],
        k=k,
        merge=[m for m in merge if m in tallies],
    )
    return Table(group_by=group_by, tallies=dict(tallies), folding=folding)


def _rows(table: Table) -> list[dict[str, Any]]:
    if table.folding.suppressed:
        return []
    rows = [
        {"key": key, "label": _label(table.group_by, key), "other": False, **table.tallies[key].figures()}
        for key in table.folding.shown
    ]
    if table.group_by == "month":
        rows.sort(key=lambda row: row["key"])
    else:
        rows.sort(key=lambda row: (-row["waste_diverted_t"], row["key"]))
    if table.folding.has_other:
        rows.append(
            {"key": OTHER, "label": _label(table.group_by, OTHER), "other": True, **table.other().figures()}
        )
    return rows


# --- Targets in public -----------------------------------------------------------------------


def _month_builders(records: Iterable[FlowRecord], year: int, predicate) -> dict[str, set[int]]:
    builders: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if record.day.year == year and predicate(record):
            builders[f"{record.day:%Y-%m}"].update(record.organisations)
    return builders


def _public_progress(
    progress: target_rules.Progress, records: list[FlowRecord], months: Table, k: int
) -> dict:
    """A target's progress with nothing that isolates a cell of fewer than k organisations.

    The cumulative curve is published month by month while each month's step is safe and the
    trend of the same basis did not fold that month (else curve − trend would give the folded
    month back). After the first such month, only the year's figure is published, and only
    when what it adds to the published curve is safe, as are both parts of the trend's
    "other" (this year's folded months and the rest). For organic waste, the waste-bound
    non-organic part of each step must be safe too, since the trend shows all waste-bound
    tonnes. ``on_track`` (one yes/no) is always published.
    """
    target = progress.target
    folded = set(months.folding.folded)
    complement: dict[str, set[int]] = {}
    if target.indicator == TargetIndicator.ORGANIC_WASTE_DIVERTED_T:
        complement = _month_builders(
            records, target.year, lambda r: r.waste_bound and r.category != ORGANIC_CATEGORY
        )
    published = []
    for point in progress.months:
        if (
            point.month in folded
            or not is_safe(point.organisations, k)
            or not is_safe(complement.get(point.month, ()), k)
        ):
            break
        published.append(point)
    achieved_public = True
    if len(published) < len(progress.months):
        rest = progress.months[len(published) :]
        rest_builders = set().union(*(point.organisations for point in rest))
        rest_complement = set().union(*(complement.get(point.month, set()) for point in rest))
        this_year = [months.tallies[m].cell(m) for m in folded if m.startswith(f"{target.year:04d}-")]
        other_years = [months.tallies[m].cell(m) for m in folded if not m.startswith(f"{target.year:04d}-")]
        achieved_public = (
            not months.folding.suppressed
            and is_safe(rest_builders, k)
            and is_safe(rest_complement, k)
            and union_is_safe(this_year, k)
            and union_is_safe(other_years, k)
        )
        if achieved_public:
            last = progress.months[-1]
            published.append(last)
    body = progress.as_dict()
    body["months"] = [
        {"month": point.month, "cumulative": point.cumulative, "expected": point.expected}
        for point in published
    ]
    if not achieved_public:
        body["achieved"] = None
        body["share"] = None
    body["indicator_label"] = str(TargetIndicator(target.indicator).label)
    body["line"] = _line(progress)
    return body


def _line(progress: target_rules.Progress) -> list[dict[str, Any]]:
    """The straight line at every month end of the year (for charts)."""
    target = progress.target
    return [
        {
            "month": f"{target.year:04d}-{month:02d}",
            "expected": target_rules.line_at(
                target.value, date(target.year, month, calendar.monthrange(target.year, month)[1])
            ),
        }
        for month in range(1, 13)
    ]


def target_entries(
    *, targets: Iterable[Target], records: Mapping[str, list[FlowRecord]], today: date, k: int, public: bool
) -> list[dict]:
    """Every target with its progress; ``public`` applies the k-anonymity rules above."""
    entries = []
    month_tables: dict[str, Table] = {}
    for target in targets:
        basis_records = records[target.basis]
        progress = target_rules.progress_from_records(target=target, records=basis_records, today=today)
        if not public:
            body = progress.as_dict()
            body["indicator_label"] = str(TargetIndicator(target.indicator).label)
            body["line"] = _line(progress)
            entries.append(body)
            continue
        if target.basis not in month_tables:
            month_tables[target.basis] = build_table(basis_records, "month", k)
        entries.append(_public_progress(progress, basis_records, month_tables[target.basis], k))
    return entries


# --- The waste picture in public -------------------------------------------------------------


def public_waste_picture(picture: WastePicture, k: int) -> dict[str, Any]:
    """The waste picture folded like every public table (by category and by fate)."""
    full = picture.as_dict()
    emissions = picture.factor_set is not None

    def folded(
        lines: Mapping[str, Line], labels: Mapping[str, Any], other_label: str, merge: tuple[str, ...]
    ) -> tuple[list[dict[str, Any]], bool]:
        folding = fold(
            [line.cell(key) for key, line in sorted(lines.items())],
            k=k,
            merge=[m for m in merge if m in lines],
        )
        if folding.suppressed:
            return [], True
        rows = [
            {
                "key": key,
                "label": str(labels.get(key, key)),
                "other": False,
                **lines[key].figures(with_emissions=emissions),
            }
            for key in folding.shown
        ]
        rows.sort(key=lambda row: (-row["listed_t"], row["key"]))
        if folding.has_other:
            rest = Line()
            for key in folding.folded:
                rest.add(lines[key])
            rows.append(
                {"key": OTHER, "label": other_label, "other": True, **rest.figures(with_emissions=emissions)}
            )
        return rows, False

    rows, suppressed = folded(
        picture.by_category,
        dict(Category.choices),
        _("Other categories and cells of fewer than %(k)s organisations") % {"k": k},
        (OTHER,),
    )
    by_fate, fate_suppressed = folded(
        picture.by_fate,
        dict(Destination.choices),
        _("Other fates (fewer than %(k)s organisations each)") % {"k": k},
        (),
    )
    totals = full["totals"]
    if suppressed or fate_suppressed:
        totals = {
            **totals,
            **dict.fromkeys(("listed_t", "diverted_t", "left_t", "left_co2e_t", "left_ch4_t")),
        }
    return {
        **{key: full[key] for key in ("basis", "horizon_start", "horizon_days", "factor_set", "gwp_ch4")},
        "suppressed": suppressed,
        "totals": totals,
        "rows": rows,
        "by_fate": by_fate,
    }


# --- The payload -----------------------------------------------------------------------------


def build_public_impact(*, basis: str, group_by: str, today: date | None = None) -> dict[str, Any]:
    """The public payload, uncached (see :func:`public_impact`)."""
    today = today or timezone.localdate()
    k = settings.PUBLIC_K_ANONYMITY
    targets = list(Target.objects.all())
    records = {basis: flow_records(basis=basis)}
    for other_basis in {t.basis for t in targets} - {basis}:
        records[other_basis] = flow_records(basis=other_basis)
    mine = records[basis]
    table = build_table(mine, group_by, k)
    months = table if group_by == "month" else build_table(mine, "month", k)
    total = Tally()
    for record in mine:
        total.add(record)
    suppressed = bool(mine) and not total.cell("total").is_safe(k)
    totals = total.figures()
    if suppressed:
        totals["waste_diverted_t"] = totals["net_co2e_t"] = None
    participants = total.organisations
    named = list(
        Organisation.objects.filter(pk__in=participants, public_profile=True, verified=True)
        .order_by("name")
        .values("name", "kind", "sector")
    )
    sectors = dict(Organisation.Sector.choices)
    trend = []
    if not months.folding.suppressed:
        for key in sorted(months.folding.shown):
            trend.append({"month": key, **months.tallies[key].figures()})
    return {
        "basis": basis,
        "group_by": group_by,
        "generated_at": timezone.now(),
        "k_anonymity": k,
        "licence": licence(),
        "suppressed": suppressed,
        "totals": totals,
        "rows": _rows(table),
        "trend": trend,
        "targets": target_entries(targets=targets, records=records, today=today, k=k, public=True),
        "waste_picture": public_waste_picture(waste_picture(basis=basis, today=today), k),
        "participants": {
            "count": len(participants),
            "named": [
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "sector": row["sector"],
                    "sector_label": str(sectors.get(row["sector"], row["sector"])),
                }
                for row in named
            ],
            "unnamed": len(participants) - len(named),
        },
    }


def generation() -> int:
    """The cache generation: the id of the latest audit event (every decision writes one)."""
    return Event.objects.aggregate(latest=Max("id"))["latest"] or 0


def cache_key(*, basis: str, group_by: str, language: str, today: date, version: int) -> str:
    return f"{CACHE_PREFIX}:{basis}:{group_by}:{language}:{today.isoformat()}:{version}"


def public_impact(*, basis: str, group_by: str) -> dict[str, Any]:
    """The public payload for the active language, from the cache when nothing has changed."""
    today = timezone.localdate()
    key = cache_key(
        basis=basis,
        group_by=group_by,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        today=today,
        version=generation(),
    )
    payload = cache.get(key)
    if payload is None:
        payload = build_public_impact(basis=basis, group_by=group_by, today=today)
        cache.set(key, payload, settings.PUBLIC_CACHE_TTL_S)
    return payload
