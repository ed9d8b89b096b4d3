"""Issue 16: a run's proposals are written with COPY on PostgreSQL (bulk_create on SQLite), and
the run's tables are analysed after the write."""

from __future__ import annotations

import pytest
from django.db import connection

from matching import copy_write
from matching.models import MatchRun, Proposal
from tests.reports.market import build_city

pytestmark = pytest.mark.django_db(transaction=True)

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

COMPARED = [f.attname for f in Proposal._meta.concrete_fields if f.attname not in ("id", "created_at")]


@pytest.fixture
def city(brewery, farm, municipality, run_now):
    return build_city(brewery, farm, run_now)


def _copies(city) -> tuple[MatchRun, list[Proposal]]:
    run = MatchRun.objects.get(pk=city.run.pk)
    run.pk = None
    run.is_open = False
    run.save()
    copies = []
    for original in Proposal.objects.filter(run=city.run).order_by("id"):
        copy = Proposal.objects.get(pk=original.pk)
        copy.pk = None
        copy._state.adding = True
        copy.run = run
        copy.first_run = run
        copy.created_at = None  # type: ignore[assignment]  # auto_now_add fills it in
        copies.append(copy)
    return run, copies


def test_the_inserted_proposals_read_back_field_for_field(city):
    run, copies = _copies(city)
    originals = {p.offer_id: p for p in Proposal.objects.filter(run=city.run)}
    copy_write.proposals_insert(copies)
    assert all(p.pk for p in copies)
    stored = list(Proposal.objects.filter(run=run))
    assert sorted(p.pk for p in stored) == sorted(p.pk for p in copies)
    for row in stored:
        original = originals[row.offer_id]
        for name in COMPARED:
            if name in ("run_id", "first_run_id"):
                assert getattr(row, name) == run.pk
            else:
                assert getattr(row, name) == getattr(original, name), name
        assert row.created_at is not None


@on_postgres
def test_on_postgresql_the_proposals_go_through_copy(city):
    from django.test.utils import CaptureQueriesContext

    run, copies = _copies(city)
    with CaptureQueriesContext(connection) as queries:
        copy_write.proposals_insert(copies)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "nextval" in sql and "INSERT" not in sql
    # The sequence moved on: an ordinary insert afterwards gets a fresh id.
    extra = Proposal.objects.get(pk=copies[0].pk)
    extra.pk = None
    extra.run = city.run
    extra.offer_id, extra.need_id = copies[1].offer_id, copies[0].need_id
    extra.save()
    assert extra.pk > max(p.pk for p in copies)


@on_postgres
def test_analyze_updates_the_planner_statistics(city):
    _run, copies = _copies(city)
    copy_write.proposals_insert(copies)
    copy_write.analyze()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Proposal._meta.db_table])
        # A small table is sampled whole, so the estimate is the row count exactly.
        assert cursor.fetchone()[0] == Proposal.objects.count()


def test_analyze_is_a_no_op_elsewhere(city):
    copy_write.analyze()  # SQLite: nothing to do, no error


def _row_of(proposal: Proposal) -> dict:
    """A stored proposal's values by attname, as a run's write gives them (no id, no run)."""
    skip = {"id", "created_at", "run_id", "first_run_id", "factor_set_id"}
    return {
        f.attname: getattr(proposal, f.attname)
        for f in Proposal._meta.concrete_fields
        if f.attname not in skip
    }


def test_unsaved_instances_are_what_the_model_constructor_makes(city):
    run = MatchRun.objects.get(pk=city.run.pk)
    stored = list(Proposal.objects.filter(run=run).order_by("id"))
    assert stored
    rows = [_row_of(p) for p in stored]
    made = copy_write.unsaved_instances(
        Proposal, rows, related={"run": run, "first_run": run, "factor_set": run.factor_set}
    )
    built = [Proposal(run=run, first_run=run, factor_set=run.factor_set, **row) for row in rows]
    for fast, slow in zip(made, built, strict=True):
        for field in Proposal._meta.concrete_fields:
            assert getattr(fast, field.attname) == getattr(slow, field.attname), field.attname
        assert fast._state.adding and fast._state.db is None and fast.pk is None
        # the related objects are cached as the descriptor caches them: no query to read them
        assert fast.run is run and fast.first_run is run and fast.factor_set is run.factor_set


def test_unsaved_instances_give_each_a_fresh_default_and_take_what_the_row_says(city):
    run = MatchRun.objects.get(pk=city.run.pk)
    row = _row_of(Proposal.objects.filter(run=run).order_by("id").first())
    for name in ("schedule", "storage_schedule", "status", "terms_number"):
        row.pop(name)
    first, second = copy_write.unsaved_instances(Proposal, [row, row], related={"run": run})
    assert first.schedule == [] and first.schedule is not second.schedule  # default=list, per instance
    assert first.status == "proposed" and first.terms_number == 0
    assert first.offer_id == row["offer_id"] and first.factor_set_id is None
    assert copy_write.unsaved_instances(Proposal, []) == []


def test_unsaved_instances_insert_like_constructed_ones(city):
    run, copies = _copies(city)
    rows = [_row_of(c) for c in copies]
    made = copy_write.unsaved_instances(
        Proposal, rows, related={"run": run, "first_run": run, "factor_set": run.factor_set}
    )
    copy_write.proposals_insert(made)
    stored = {p.pk: p for p in Proposal.objects.filter(run=run)}
    assert sorted(stored) == sorted(p.pk for p in made)
    for fast, copy in zip(made, copies, strict=True):
        row = stored[fast.pk]
        for name in COMPARED:
            expected = run.pk if name in ("run_id", "first_run_id") else getattr(copy, name)
            assert getattr(row, name) == expected, name
