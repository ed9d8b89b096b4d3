"""Backups that restore: pg_dump -Fc a database with a run, proposals and a deal, pg_restore it
into a fresh database, and check_invariants passes there (the procedure in docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from matching import services
from matching.models import Deal, Proposal, RunStatus
from tests import worker_process

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),  # committed rows, so pg_dump sees them
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump and pg_restore"),
]
ROOT = Path(__file__).resolve().parents[1]


def _pg(args: list[str], url: str, **kwargs) -> subprocess.CompletedProcess:
    parsed = urlparse(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    conn = [
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]
    return subprocess.run(
        [args[0], *conn, *args[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


@pytest.fixture
def fresh_database():
    source = worker_process.test_database_url()
    name = urlparse(source).path.lstrip("/") + "_restored"
    _pg(["dropdb", "--if-exists", name], source)
    created = _pg(["createdb", name], source)
    assert created.returncode == 0, created.stderr
    yield source, source.rsplit("/", 1)[0] + "/" + name, name
    _pg(["dropdb", "--if-exists", "--force", name], source)


def test_a_dump_restores_into_a_fresh_database_where_every_invariant_holds(
    grain_market, brewery, farm, run_now, fresh_database, tmp_path
):
    run = run_now()
    assert run.status == RunStatus.SUCCEEDED
    proposal = Proposal.objects.get(run=run)
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    services.proposal_accept(proposal=proposal, actor=farm.user)
    deal = Deal.objects.get(proposal=proposal)

    source, restored_url, restored_name = fresh_database
    dump = tmp_path / "qaita.dump"
    dumped = _pg(["pg_dump", "-Fc", "-f", str(dump), urlparse(source).path.lstrip("/")], source)
    assert dumped.returncode == 0, dumped.stderr
    assert dump.stat().st_size > 0
    restored = _pg(["pg_restore", "--no-owner", "--exit-on-error", "-d", restored_name, str(dump)], source)
    assert restored.returncode == 0, restored.stderr

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": restored_url}
    env.pop("REDIS_URL", None)
    check = subprocess.run(
        [sys.executable, "manage.py", "check_invariants"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "invariants hold" in check.stdout

    counted = _pg(
        [
            "psql",
            "-d",
            restored_name,
            "-At",
            "-c",
            "SELECT (SELECT count(*) FROM matching_matchrun WHERE status = 'succeeded'),"
            " (SELECT count(*) FROM matching_proposal), (SELECT count(*) FROM matching_deal),"
            f" (SELECT mass_t FROM matching_deal WHERE id = {deal.pk})",
        ],
        source,
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.strip() == f"1|1|1|{deal.mass_t}"
    print(f"\nrestored {dump.stat().st_size} bytes: 1 run, 1 proposal, 1 deal; check_invariants exit 0")
