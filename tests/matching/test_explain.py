"""Explanations state the period right (issue 10 point 7), and run messages follow the reader."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from matching.explain import explanation, flow_period
from matching.models import Proposal
from matching.progress import PATTERNS, progress_text
from tests import factories as f

pytestmark = pytest.mark.django_db


def the_line(run_now, **run) -> str:
    result = run_now(**run)
    assert result.status == "succeeded", result.error
    return explanation(Proposal.objects.select_related("run").get())


def test_a_one_off_lot_happens_once(brewery, farm, municipality, run_now):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 300, period="once")
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 1500, max_distance_km=80)
    line = the_line(run_now, time_step="none")
    assert "300 t of" in line and line.endswith("CO₂e once") and "a year" not in line


def test_monthly_listings_are_stated_a_month(brewery, farm, municipality, run_now):
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="month")
    f.make_need(
        farm.organisation, farm.site, "jute_bags", 4000, unit="piece", period="month", max_distance_km=60
    )
    line = the_line(run_now)
    assert line.startswith("3 000 pieces of") and line.endswith("CO₂e a month")


def test_weekly_listings_are_stated_a_week(brewery, farm, municipality, run_now):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 40, period="week")
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 50, period="week", max_distance_km=80)
    line = the_line(run_now)
    assert line.startswith("40 t of") and line.endswith("CO₂e a week")


def test_mixed_periods_take_the_longer_one(brewery, farm, municipality, run_now):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 40, period="week")
    f.make_need(
        farm.organisation, farm.site, ["brewers_spent_grain"], 1000, period="year", max_distance_km=80
    )
    line = the_line(run_now)
    assert line.startswith("1 000 t of") and line.endswith("CO₂e a year")


def test_yearly_listings_over_the_usual_horizon_are_a_year(grain_market, run_now):
    line = the_line(run_now)
    assert line.startswith("1 500 t of") and line.endswith("CO₂e a year")


def test_a_listing_available_for_part_of_the_horizon_is_stated_over_the_horizon(
    brewery, farm, municipality, run_now
):
    today = timezone.localdate()
    f.make_offer(
        brewery.organisation,
        brewery.site,
        "brewers_spent_grain",
        100,
        period="month",
        available_until=today + timedelta(days=90),
    )
    f.make_need(
        farm.organisation, farm.site, ["brewers_spent_grain"], 1000, period="month", max_distance_km=80
    )
    line = the_line(run_now, horizon_days=180)
    assert line.endswith("CO₂e over 180 days")
    label, scale = flow_period(Proposal.objects.get())
    assert scale == 1


# --- Run progress messages --------------------------------------------------------------------------


def test_stored_progress_messages_are_recognised_with_their_values():
    assert progress_text("Solving 12 offers × 30 needs") == "Solving 12 offers × 30 needs"
    assert progress_text("an engine's own words") == "an engine's own words"
    assert progress_text("") == ""


def test_stored_progress_messages_are_read_back_as_a_stage_and_its_values():
    from matching.progress import progress_stage
    from matching.progress_labels import progress_message

    assert progress_stage("3 of 4 parts solved") == ("parts_done", {"done": "3", "total": "4"})
    stored = progress_message("solving", offers=12, needs=30)
    assert stored == "Solving 12 offers × 30 needs"
    assert progress_stage(stored) == ("solving", {"offers": "12", "needs": "30"})
    assert progress_stage("an engine's own words") is None


def test_every_progress_message_the_runs_write_has_a_pattern():
    import re
    from pathlib import Path

    import matching

    root = Path(matching.__file__).parent
    written = set()
    stages: set[str] = set()
    for module in ("runs/lifecycle.py", "runs/execute.py", "runs/fanout.py"):
        source = (root / module).read_text()
        written |= set(re.findall(r'progress_message="([^"]+)"', source))
        stages |= set(re.findall(r'progress_message\("(\w+)"', source))
    from matching.progress_labels import STAGES

    assert stages, "the runs store their progress through progress_message(stage)"
    for stage in stages:
        assert stage in STAGES, stage
    for text in written:
        assert progress_text(text) == text and text in PATTERNS, text
    with translation.override("en"):
        assert progress_text("Writing 7 proposals") == "Writing 7 proposals"
