"""Targets: the municipality's writes, their audit, and progress against the straight line."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from monitor import targets
from monitor.flows import FlowRecord
from monitor.models import Target
from tests.monitor.city import deliver

pytestmark = pytest.mark.django_db


def record(day, mass, *, waste=True, category="biomass", net_kg=0, orgs=(1, 2)):
    return FlowRecord(
        day=day,
        mass_t=Decimal(mass),
        net_kg=Decimal(net_kg),
        waste_bound=waste,
        category=category,
        district="almaly",
        deal_id=hash((day, mass)) % 1000,
        supplier_id=orgs[0],
        receiver_id=orgs[1],
    )


def unsaved(indicator="waste_diverted_t", year=2025, value="1200", basis="delivered"):
    return Target(pk=1, indicator=indicator, year=year, value=Decimal(value), basis=basis)


# --- Progress (pure) ---------------------------------------------------------------------------


def test_a_past_year_is_evaluated_on_31_december_against_the_whole_target():
    target = unsaved(value="1200")
    records = [record(date(2025, 1, 15), 300), record(date(2025, 6, 1), 600), record(date(2024, 12, 31), 999)]
    progress = targets.progress_from_records(target=target, records=records, today=date(2026, 3, 1))
    assert progress.evaluated_on == date(2025, 12, 31)
    assert progress.achieved == Decimal("900.000") and progress.expected == Decimal("1200.000")
    assert progress.share == Decimal("0.7500") and progress.on_track is False
    assert [p.month for p in progress.months] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert [p.cumulative for p in progress.months][:6] == [Decimal(v) for v in (300, 300, 300, 300, 300, 900)]


def test_the_current_year_is_evaluated_today_against_the_line_so_far():
    target = unsaved(year=2025, value="3650")  # 10 t a day on the straight line
    today = date(2025, 3, 10)  # day 69: the line stands at 690 t
    ahead = targets.progress_from_records(target=target, records=[record(date(2025, 2, 1), 690)], today=today)
    assert ahead.expected == Decimal("690.000") and ahead.on_track is True
    behind = targets.progress_from_records(
        target=target, records=[record(date(2025, 2, 1), "689.999")], today=today
    )
    assert behind.on_track is False
    assert [p.month for p in ahead.months] == ["2025-01", "2025-02", "2025-03"]
    assert ahead.months[-1].expected == Decimal("690.000")  # the current month ends today


def test_a_future_year_has_not_started_and_is_on_track():
    progress = targets.progress_from_records(
        target=unsaved(year=2030), records=[record(date(2025, 1, 1), 5)], today=date(2026, 5, 1)
    )
    assert progress.evaluated_on is None and progress.months == ()
    assert (
        progress.achieved == Decimal("0.000") and progress.expected == Decimal("0.000") and progress.on_track
    )


def test_waste_diverted_counts_waste_bound_tonnes_only():
    records = [record(date(2025, 5, 1), 100), record(date(2025, 5, 2), 40, waste=False)]
    progress = targets.progress_from_records(target=unsaved(), records=records, today=date(2026, 1, 1))
    assert progress.achieved == Decimal("100.000")


def test_organic_waste_diverted_counts_biomass_only():
    records = [
        record(date(2025, 5, 1), 100, category="biomass"),
        record(date(2025, 5, 1), 70, category="minerals"),
        record(date(2025, 5, 1), 30, category="biomass", waste=False),
    ]
    progress = targets.progress_from_records(
        target=unsaved(indicator="organic_waste_diverted_t"), records=records, today=date(2026, 1, 1)
    )
    assert progress.achieved == Decimal("100.000")


def test_net_co2e_is_summed_in_kg_and_shown_in_tonnes_and_may_fall_behind_below_zero():
    records = [record(date(2025, 2, 1), 1, net_kg="1500.4"), record(date(2025, 2, 2), 1, net_kg="-3001.4")]
    progress = targets.progress_from_records(
        target=unsaved(indicator="net_co2e_t", value="10"), records=records, today=date(2026, 1, 1)
    )
    assert progress.achieved == Decimal("-1.501") and progress.on_track is False


def test_a_leap_year_line_reaches_the_target_on_31_december():
    assert targets.line_at(Decimal("366"), date(2024, 12, 31)) == Decimal("366.000")
    assert targets.line_at(Decimal("366"), date(2024, 2, 29)) == Decimal("60.000")


# --- Writes ------------------------------------------------------------------------------------


def test_the_municipality_sets_changes_and_deletes_a_target_each_audited(municipality):
    target = targets.target_create(
        actor=municipality.user, indicator="waste_diverted_t", year=2026, value="5000", basis="agreed"
    )
    assert (target.value, target.basis) == (Decimal("5000.000"), "agreed")
    targets.target_update(target=target, actor=municipality.user, value="6000.5")
    targets.target_delete(target=target, actor=municipality.user)
    events = list(Event.objects.filter(action__startswith="target.").order_by("id"))
    assert [e.action for e in events] == ["target.created", "target.updated", "target.deleted"]
    assert events[1].data["fields"] == ["value"] and events[1].data["before"] == {"value": "5000.000"}
    assert all(e.organisation == municipality.organisation and e.actor == municipality.user for e in events)
    assert not Target.objects.exists()


def test_a_company_cannot_set_a_target(brewery):
    with pytest.raises(DomainError) as caught:
        targets.target_create(actor=brewery.user, indicator="net_co2e_t", year=2026, value="1")
    assert caught.value.code is ErrorCode.FORBIDDEN and not Target.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("indicator", "happiness"),
        ("year", 1999),
        ("year", 2101),
        ("year", True),
        ("year", "twenty"),
        ("value", "0"),
        ("value", "-5"),
        ("value", "NaN"),
        ("value", "Infinity"),
        ("value", "1.0001"),
        ("value", "1e13"),
        ("value", None),
        ("basis", "proposed"),
    ],
)
def test_bad_values_are_refused_naming_the_field(municipality, field, value):
    fields = {
        "indicator": "waste_diverted_t",
        "year": 2026,
        "value": "100",
        "basis": "delivered",
        field: value,
    }
    with pytest.raises(DomainError) as caught:
        targets.target_create(actor=municipality.user, **fields)
    assert caught.value.code is ErrorCode.INVALID and caught.value.field == field
    assert not Target.objects.exists() and not Event.objects.filter(action__startswith="target.").exists()


def test_one_target_per_indicator_year_and_basis(municipality):
    targets.target_create(actor=municipality.user, indicator="net_co2e_t", year=2026, value="10")
    targets.target_create(
        actor=municipality.user, indicator="net_co2e_t", year=2026, value="10", basis="agreed"
    )
    with pytest.raises(DomainError) as caught:
        targets.target_create(actor=municipality.user, indicator="net_co2e_t", year=2026, value="20")
    assert caught.value.field == "year"
    other = targets.target_create(actor=municipality.user, indicator="net_co2e_t", year=2027, value="10")
    with pytest.raises(DomainError):
        targets.target_update(target=other, actor=municipality.user, year=2026)
    other.refresh_from_db()
    assert other.year == 2027


def test_progress_reads_the_deliveries_of_its_year(city, municipality):
    today = timezone.localdate()
    deliver(city, "brewers_spent_grain", 300, today)
    deliver(city, "crushed_concrete_aggregate", 100, today)
    deliver(city, "bread_residues", 50, date(today.year - 1, 12, 31))
    organic = targets.target_create(
        actor=municipality.user, indicator="organic_waste_diverted_t", year=today.year, value="1000"
    )
    waste = targets.target_create(
        actor=municipality.user, indicator="waste_diverted_t", year=today.year, value="1000"
    )
    assert targets.target_progress(target=organic).achieved == Decimal("300.000")
    assert targets.target_progress(target=waste).achieved == Decimal("400.000")
    last_year = targets.target_create(
        actor=municipality.user, indicator="waste_diverted_t", year=today.year - 1, value="50"
    )
    progress = targets.target_progress(target=last_year)
    assert (
        progress.achieved == Decimal("50.000") and progress.on_track and progress.share == Decimal("1.0000")
    )


def test_agreed_progress_counts_deals_on_their_agreement_day(city, municipality):
    target = targets.target_create(
        actor=municipality.user,
        indicator="waste_diverted_t",
        year=timezone.localdate().year,
        value="1780",
        basis="agreed",
    )
    progress = targets.target_progress(target=target)
    assert (
        progress.achieved == Decimal("1780.000") and progress.share == Decimal("1.0000") and progress.on_track
    )
    assert progress.months[-1].cumulative == Decimal("1780.000")
    assert progress.evaluated_on == timezone.localdate() - timedelta(days=0)
