"""Start and stop real Celery worker processes for the tests marked ``worker``.

The worker is a separate OS process that talks to the test database over the network and to
Redis as its broker: nothing is mocked. It reads the same settings module as the tests, and
runs the project's Celery app through ``tests.worker_app``, which adds only the tests' hooks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database the tests are using right now (pytest-django's test_<name>)."""
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a real worker needs a server database")
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class CeleryProcess:
    """One ``celery`` subprocess in its own process group; ``kill()`` sends SIGKILL to all of it."""

    ready_marker = "ready."

    def __init__(self, name: str, args: list[str], *, extra_env: dict[str, str] | None = None, quiet=False):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"celery-{name}-", suffix=".log", delete=False)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": test_database_url(),
            **(extra_env or {}),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.worker_app", *(["-q"] if quiet else []), *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_marker in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL, no goodbye: what a crashed or OOM-killed machine looks like."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class WorkerProcess(CeleryProcess):
    """One ``celery worker`` subprocess."""

    def __init__(
        self,
        name: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        queues: str = "celery",
        quiet: bool = False,
    ):
        super().__init__(
            name,
            [
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                "-n",
                f"{name}@%h",
                "-Q",
                queues,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            extra_env=extra_env,
            quiet=quiet,
        )


class BeatProcess(CeleryProcess):
    """The one ``celery beat``, on django-celery-beat's database scheduler, as in production."""

    ready_marker = "beat: Starting"

    def __init__(self, name: str = "beat", *, extra_env: dict[str, str] | None = None, quiet: bool = False):
        super().__init__(
            name,
            ["beat", "--loglevel=INFO", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
            extra_env=extra_env,
            quiet=quiet,
        )


def purge_broker() -> None:
    from config.celery_app import app

    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)


def wait_for(predicate, timeout: float = 60, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
