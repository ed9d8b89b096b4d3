"""Delivery plans (issue 11 point 4): the arithmetic, the API and page, the overdue reminder."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from matching import plan, services, tasks
from matching.models import Deal, DeliveryReminder, Proposal
from tests import deal_room

# --- Arithmetic (no database) ------------------------------------------------------------------


def test_weekly_dates_run_from_start_to_end_inclusive():
    dates = plan.schedule_dates(every="week", start=date(2027, 1, 4), end=date(2027, 2, 1))
    assert dates == [date(2027, 1, 4) + timedelta(days=7 * i) for i in range(5)]


def test_monthly_dates_keep_the_day_and_clamp_to_the_months_end():
    dates = plan.schedule_dates(every="month", start=date(2027, 1, 31), end=date(2027, 5, 30))
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    leap = plan.schedule_dates(every="month", start=date(2027, 12, 29), end=date(2028, 3, 1))
    assert leap == [date(2027, 12, 29), date(2028, 1, 29), date(2028, 2, 29)]


def test_once_is_the_start():
    assert plan.schedule_dates(every="once", start=date(2027, 3, 1), end=date(2027, 9, 1)) == [
        date(2027, 3, 1)
    ]


@pytest.mark.parametrize(
    ("total", "count", "pieces", "expected"),
    [
        (Decimal("100"), 6, False, ["16.667"] * 4 + ["16.666"] * 2),
        (Decimal("10"), 3, True, ["4", "3", "3"]),
        (Decimal("2"), 5, True, ["1", "1", "0", "0", "0"]),
        (Decimal("0.005"), 2, False, ["0.003", "0.002"]),
        (Decimal("1500"), 12, False, ["125.000"] * 12),
    ],
)
def test_largest_remainder_sums_exactly(total, count, pieces, expected):
    parts = plan.spread(total, count, plan.PIECE_QUANTUM if pieces else plan.TONNE_QUANTUM)
    assert [str(p) for p in parts] == expected
    assert sum(parts) == total


@pytest.mark.parametrize("seed", range(30))
def test_random_plans_sum_exactly_to_the_quantity(seed):
    import random

    rng = random.Random(seed)
    pieces = rng.random() < 0.5
    quantity = Decimal(rng.randint(1, 10**6)) if pieces else Decimal(rng.randint(1, 10**8)) / 1000
    start = date(2027, 1, 1) + timedelta(days=rng.randint(0, 400))
    end = start + timedelta(days=rng.randint(0, 700))
    every = rng.choice(["once", "week", "month"])
    entries = plan.delivery_plan(quantity=quantity, pieces=pieces, every=every, start=start, end=end)
    assert sum(e.quantity for e in entries) == quantity
    assert all(start <= e.date <= end for e in entries)
    shares = [e.quantity for e in entries]
    assert max(shares) - min(shares) <= (plan.PIECE_QUANTUM if pieces else plan.TONNE_QUANTUM)


def test_plan_against_deliveries_marks_overdue_entries():
    entries = plan.delivery_plan(
        quantity=Decimal(30), pieces=False, every="week", start=date(2027, 1, 1), end=date(2027, 1, 15)
    )
    rows = plan.plan_against(entries, [(date(2027, 1, 2), Decimal(12))], today=date(2027, 1, 10))
    assert [(r.cumulative, r.delivered_cumulative, r.overdue) for r in rows] == [
        (Decimal(10), Decimal(0), False),  # delivered 12 in all: the first 10 are covered
        (Decimal(20), Decimal(12), True),  # 8 Jan passed, 12 < 20
        (Decimal(30), Decimal(12), False),  # not yet due
    ]


# --- Deals, API, reminders ------------------------------------------------------------------


@pytest.fixture
def scheduled_deal(grain_market, run_now, brewery, farm):
    proposal = deal_room.propose(run_now)
    start = timezone.localdate() - timedelta(days=20)
    services.proposal_terms_propose(
        proposal=proposal,
        actor=brewery.user,
        quantity="30",
        price_per_unit_kzt="0",
        transport_by="supplier",
        schedule={"every": "week", "start": start, "end": start + timedelta(days=14)},
    )
    services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    return Deal.objects.get()


@pytest.mark.django_db
def test_the_deal_api_shows_the_plan_against_deliveries(scheduled_deal, brewery):
    services.delivery_record(
        deal=scheduled_deal, actor=brewery.user, date=timezone.localdate() - timedelta(days=20), quantity="10"
    )
    plan_rows = brewery.client().get(f"/api/v1/deals/{scheduled_deal.pk}/").json()["plan"]
    assert [r["quantity"] for r in plan_rows] == ["10.000", "10.000", "10.000"]
    assert [r["cumulative"] for r in plan_rows] == ["10.000", "20.000", "30.000"]
    assert [r["delivered_cumulative"] for r in plan_rows] == ["10.000", "10.000", "10.000"]
    assert [r["overdue"] for r in plan_rows] == [False, True, True]  # 13 and 6 days ago, short
    assert set(plan_rows[0]) == {"date", "quantity", "cumulative", "delivered_cumulative", "overdue"}


@pytest.mark.django_db
def test_an_overdue_entry_is_reminded_once_to_both_parties(
    scheduled_deal, brewery, farm, django_capture_on_commit_callbacks
):
    brewery.user.email, farm.user.email = "b@example.kz", "f@example.kz"
    farm.user.language = "ru"
    brewery.user.save()
    farm.user.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_overdue_deliveries() == 3  # 20, 13 and 6 days ago, nothing delivered
    reminders = list(DeliveryReminder.objects.order_by("plan_date"))
    assert [r.planned_cumulative for r in reminders] == [Decimal(10), Decimal(20), Decimal(30)]
    assert len(mail.outbox) == 6  # three entries × two organisations
    assert {tuple(m.to) for m in mail.outbox} == {("b@example.kz",), ("f@example.kz",)}
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_overdue_deliveries() == 0
    assert len(mail.outbox) == 6 and DeliveryReminder.objects.count() == 3
    # In the app too, for both parties.
    from matching.notifications_feed import feed_for

    for persona in (brewery, farm):
        texts = [n.text for n in feed_for(persona.user)]
        assert sum("is overdue" in t for t in texts) == 3


@pytest.mark.django_db
def test_delivered_on_time_means_no_reminder(scheduled_deal, brewery):
    services.delivery_record(
        deal=scheduled_deal, actor=brewery.user, date=timezone.localdate() - timedelta(days=1), quantity="30"
    )
    assert services.deliveries_remind_overdue() == []


@pytest.mark.django_db
def test_the_beat_schedule_runs_the_reminder_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["remind-overdue-deliveries"]
    assert entry == {"task": "matching.remind_overdue_deliveries", "schedule": 86400.0}


@pytest.mark.django_db
def test_the_deal_page_marks_overdue_entries(scheduled_deal, farm):
    from django.test import Client

    web = Client()
    web.force_login(farm.user)
    page = web.get(f"/matching/deals/{scheduled_deal.pk}/").content.decode()
    assert page.count("data-plan-row") == 3 and page.count('class="overdue"') == 3
