"""The run package's structure (issue 12): one-way imports, tasks sent by name, no test hook or
restated settings default in the product path, the deal e-mails through Celery on commit."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import signals
from django.conf import settings
from django.core import mail

from config.celery_app import app
from matching import enqueue as enqueue_module
from matching import runs, services
from matching.models import Proposal, RunPart
from matching.runs import execute, fanout, lifecycle
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "marketplace", "matching", "monitor", "config")
SENT_BY_NAME = (
    lifecycle.RUN_TASK,
    fanout.PART_TASK,
    "matching.notify_message",
    "matching.notify_deal_agreed",
    "matching.notify_proposal_requested",
)


def product_files():
    for app_name in APPS:
        for path in sorted((ROOT / app_name).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imported_modules(path: Path, *, deferred_only: bool = False) -> set[str]:
    """What a module imports (``from . import x`` as ``.x``); with ``deferred_only``, only the
    imports inside functions."""
    tree = ast.parse(path.read_text())
    scopes = (
        [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if deferred_only
        else [tree]
    )
    found = set()
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                found |= {base} if node.module else {f"{base}{a.name}" for a in node.names}
    return found


def test_the_run_package_imports_one_way_and_tasks_imports_at_the_top():
    package = ROOT / "matching" / "runs"
    assert not (ROOT / "matching" / "runs.py").exists() and not (ROOT / "matching" / "fanout.py").exists()
    lifecycle_imports = imported_modules(package / "lifecycle.py")
    assert not {m for m in lifecycle_imports if m.startswith(".") and m.lstrip(".")} - {
        "..whatif",
        "..enqueue",
        "..progress_labels",
        "..models",
    }, lifecycle_imports
    fanout_imports = {m for m in imported_modules(package / "fanout.py") if m.startswith(".") and m[1] != "."}
    assert fanout_imports == {".lifecycle"}  # of the run package: lifecycle only, never execute
    assert {".fanout", ".lifecycle"} <= imported_modules(package / "execute.py")
    tasks = ROOT / "matching" / "tasks.py"
    assert imported_modules(tasks, deferred_only=True) == set()
    assert {".runs.execute", ".runs.lifecycle"} <= imported_modules(tasks)
    # Nothing in the product imports the tasks module back (it sends tasks by name).
    importers = [
        p
        for p in product_files()
        if p.name != "apps.py" and ({"matching.tasks", ".tasks"} & imported_modules(p))
    ]
    assert importers == [], importers


def test_the_public_run_api_is_re_exported():
    assert runs.match_run_start is lifecycle.match_run_start
    assert runs.match_run_execute is execute.match_run_execute
    assert runs.progress is lifecycle.progress and runs.claim is lifecycle.claim
    assert all(hasattr(runs, name) for name in runs.__all__)


def test_every_task_sent_by_name_is_registered_in_a_fresh_process():
    """``MatchingConfig.ready()`` registers them: a plain Django process (a web worker, a
    command) that never imported ``matching.tasks`` itself can send every one of them."""
    code = (
        "import django; django.setup(); import sys; from config.celery_app import app; "
        f"names = {list(SENT_BY_NAME)!r}; missing = [n for n in names if n not in app.tasks]; "
        "print('missing', missing)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "missing []"


def test_sending_an_unknown_task_name_fails_loudly():
    with pytest.raises(KeyError):
        enqueue_module.enqueue("matching.no_such_task", 1)
    assert all(name in app.tasks for name in SENT_BY_NAME)


def test_no_product_code_reads_a_test_hook_or_restates_a_matching_default():
    assert not hasattr(settings, "MATCHING_TEST_SLOW_SOLVE_S")
    offenders = []
    for path in product_files():
        text = path.read_text()
        if "MATCHING_TEST_SLOW_SOLVE_S" in text:
            offenders.append(f"{path}: reads MATCHING_TEST_SLOW_SOLVE_S")
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("MATCHING_")
            ):
                offenders.append(f"{path}:{node.lineno}: getattr(settings, {node.args[1].value!r}, …)")
    assert offenders == []


@pytest.mark.django_db
def test_the_before_solve_hooks_run_before_each_solve_whole_or_in_parts(
    grain_market, brewery, farm, run_now, settings, monkeypatch
):
    calls = []
    monkeypatch.setattr(execute, "before_solve", [lambda: calls.append("solve")])
    assert run_now(time_step="none").status == "succeeded"
    assert calls == ["solve"]
    # A second, independent component, and two parts: one hook call per part.
    f.make_offer(brewery.organisation, brewery.site, "wooden_pallets", 500, unit="piece", period="month")
    f.make_need(farm.organisation, farm.site, "wooden_pallets", 4000, unit="piece", max_distance_km=70)
    settings.MATCHING_FANOUT_PARTS = 2
    settings.MATCHING_FANOUT_MIN_LISTINGS = 0
    calls.clear()
    fanned = run_now(time_step="none")
    assert fanned.status == "succeeded" and RunPart.objects.filter(run=fanned).count() == 2
    assert calls == ["solve", "solve"]


@pytest.fixture
def tasks_run():
    """The names of the Celery tasks that ran (eager) while the test ran."""
    names: list[str] = []

    def record(task=None, **kwargs):
        names.append(task.name)

    signals.task_prerun.connect(record, weak=False)
    yield names
    signals.task_prerun.disconnect(record)


@pytest.mark.django_db
def test_the_deal_email_is_sent_by_a_task_queued_on_commit(
    grain_market, brewery, farm, run_now, django_capture_on_commit_callbacks, tasks_run
):
    run_now()
    proposal = Proposal.objects.get()
    services.proposal_accept(proposal=proposal, actor=farm.user)
    mail.outbox.clear()
    tasks_run.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=brewery.user)
    assert mail.outbox == [] and tasks_run == []  # nothing sent inside the transaction
    for callback in callbacks:
        callback()
    assert tasks_run == ["matching.notify_deal_agreed"]
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "brewer@example.kz",
        "farmer@example.kz",
    ]
    assert all("agreed" in m.subject for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_results_are_written_inside_one_transaction_and_the_solve_outside_any(
    grain_market, run_now, monkeypatch
):
    """The run row lock of ``write_results`` needs a transaction (PostgreSQL refuses
    ``select_for_update`` outside one); the solve must not hold one open."""
    from django.db import connection

    seen: dict[str, bool] = {}
    solve, factors = execute.engine.solve, execute.factors_by_material

    def solve_spy(*args, **kwargs):
        seen["solve"] = connection.in_atomic_block
        return solve(*args, **kwargs)

    def factors_spy(*args, **kwargs):
        seen["write"] = connection.in_atomic_block
        return factors(*args, **kwargs)

    monkeypatch.setattr(execute.engine, "solve", solve_spy)
    monkeypatch.setattr(execute, "factors_by_material", factors_spy)
    assert run_now(time_step="none").status == "succeeded"
    assert seen == {"solve": False, "write": True}
