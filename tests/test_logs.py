"""Structured logs: request ids, run ids, JSON lines from the web process (a real gunicorn).

The worker's and beat's JSON lines are checked with real processes in tests/worker/.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from config.logs import ContextFilter, TextFormatter, json_formatter, log_context, logging_config

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"time", "level", "logger", "message", "request_id", "task_id", "run_id"}


class Capture:
    """A handler with the configured formatter and filter on one logger, for one test."""

    def __init__(self, logger: str, formatter: logging.Formatter):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(formatter)
        self.handler.addFilter(ContextFilter())
        self.logger = logging.getLogger(logger)

    def __enter__(self):
        self.logger.addHandler(self.handler)
        self.level = self.logger.level
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line.strip()]


def test_a_json_line_has_the_time_level_logger_message_and_ids():
    with Capture("qaita.test", json_formatter()) as capture:
        with log_context(request_id="req-1", run_id=7):
            logging.getLogger("qaita.test").warning("hello %s", "city", extra={"extra_field": 3})
    (line,) = capture.lines()
    record = json.loads(line)
    assert KEYS <= set(record)
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "qaita.test", "hello city")
    assert (record["request_id"], record["task_id"], record["run_id"]) == ("req-1", None, 7)
    assert record["extra_field"] == 3 and record["time"].startswith("20")


def test_the_text_format_stays_readable_and_names_the_ids_it_has():
    with Capture("qaita.test", TextFormatter()) as capture:
        logging.getLogger("qaita.test").info("no ids here")
        with log_context(run_id=12):
            logging.getLogger("qaita.test").info("run line")
    plain, with_run = capture.lines()
    assert plain.endswith("INFO qaita.test no ids here")
    assert with_run.endswith("INFO qaita.test [run_id=12] run line")


def test_the_default_format_is_readable_text_on_one_console_handler():
    from django.conf import settings

    assert settings.LOG_FORMAT == "text" and settings.LOGGING_CONFIG == "config.logs.configure"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "text"
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


def test_an_unknown_log_format_stops_the_process():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")


@pytest.mark.django_db
def test_every_run_logs_its_start_claim_solve_write_and_end_with_its_run_id(grain_market, run_now):
    with Capture("matching", json_formatter()) as capture:
        run = run_now()
    records = [json.loads(line) for line in capture.lines()]
    assert records and all(KEYS <= set(r) for r in records)
    mine = [r for r in records if r["run_id"] == run.pk]
    messages = [r["message"] for r in mine]
    for step in ("queued", "claimed by", "solved:", "wrote 1 proposals", "ended: succeeded"):
        assert any(step in m for m in messages), (step, messages)
    solved = next(r for r in mine if "solved:" in r["message"])
    assert solved["solve"]["offers"] == 1 and solved["solve"]["arcs"] >= 1 and solved["solve"]["flows"] == 1


@pytest.mark.django_db
def test_a_request_gets_an_id_or_keeps_a_sane_one(client):
    fresh = client.get("/healthz/")
    assert len(fresh["X-Request-ID"]) == 32
    assert client.get("/healthz/", HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"] == "lb-1234.abc"
    for forged in ("a b", "x" * 101, 'x"}{"level":"ERROR', "id\n"):
        returned = client.get("/healthz/", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert returned != forged and len(returned) == 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_logs_one_json_object_per_line_with_the_request_id(tmp_path):
    port = _free_port()
    log_path = tmp_path / "web.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "LOG_FORMAT": "json",
    }
    env.pop("REDIS_URL", None)
    with log_path.open("w") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi:application"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/no-such-page/", headers={"X-Request-ID": "req-from-lb-42"}
                )
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 404 and exc.headers["X-Request-ID"] == "req-from-lb-42"
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise AssertionError(log_path.read_text()) from None
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        web.terminate()
        web.wait(timeout=30)
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(KEYS <= set(r) for r in records)
    loggers = {r["logger"] for r in records}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers, loggers
    not_found = next(r for r in records if r["logger"] == "django.request")
    assert not_found["level"] == "WARNING" and not_found["request_id"] == "req-from-lb-42"
    access = next(r for r in records if r["logger"] == "gunicorn.access")
    assert "/no-such-page/" in access["message"] and "request_id=req-from-lb-42" in access["message"]
    print(f"\nweb: {len(records)} JSON log lines, loggers {sorted(loggers)}")
