"""The worker monitor (flower) answers only with the basic-auth credentials from the environment,
and the beat logs one JSON object per line with LOG_FORMAT=json."""

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.worker_process import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, credentials: str | None = None) -> int:
    request = urllib.request.Request(url)
    if credentials:
        request.add_header("Authorization", "Basic " + base64.b64encode(credentials.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_flower_requires_the_basic_auth_credentials_from_the_environment():
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="flower-", suffix=".log", delete=False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "FLOWER_BASIC_AUTH": "ops:s3cret-pass",
    }
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "flower", f"--port={port}", "--address=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:

        def answering():
            try:
                _status(url)
                return True
            except OSError:
                return False

        assert wait_for(answering, timeout=60), Path(log.name).read_text()
        assert _status(url) == 401
        assert _status(url, "ops:wrong") == 401
        assert _status(url, "ops:s3cret-pass") == 200
        assert _status(url + "api/workers", "ops:s3cret-pass") == 200
        assert _status(url + "api/workers") == 401
    finally:
        flower.terminate()
        flower.wait(timeout=30)


def test_beat_logs_one_json_object_per_line(beat):
    process = beat(LOG_FORMAT="json", quiet=True)
    time.sleep(1)
    lines = [line for line in process.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert records and all(
        {"time", "level", "logger", "message", "task_id", "run_id"} <= set(r) for r in records
    )
    assert any("beat: Starting" in r["message"] for r in records)
