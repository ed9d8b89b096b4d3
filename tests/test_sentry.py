"""Error reports are optional: SENTRY_DSN set → sentry-sdk (Django + Celery, no personal data,
release = git revision); unset → the SDK is not even imported. No network: the DSN points at a
closed local port and nothing is sent (events are captured by a transport in the process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from config.sentry import FALLBACK_RELEASE, git_revision

ROOT = Path(__file__).resolve().parents[1]
CLOSED_PORT_DSN = "http://public@127.0.0.1:9/1"

PROBE = r"""
import json, sys
import django
django.setup()
from django.conf import settings
report = {"loaded": "sentry_sdk" in sys.modules, "release": settings.SENTRY_RELEASE}
if report["loaded"]:
    import sentry_sdk
    client = sentry_sdk.get_client()
    report.update(
        release=client.options["release"],
        send_default_pii=client.options["send_default_pii"],
        integrations=sorted(client.integrations),
    )
    events = []
    client.transport.capture_envelope = lambda envelope: events.append(envelope)
    try:
        1 / 0
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=2)
    report["events"] = len(events)
print(json.dumps(report))
"""


def _probe(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "GIT_REV"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL="sqlite:///:memory:", **env
    )
    environment.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_a_dsn_the_sdk_is_not_loaded_at_all():
    report = _probe()
    assert report == {"loaded": False, "release": ""}


def test_with_a_dsn_errors_are_reported_with_the_release_and_no_personal_data():
    report = _probe(SENTRY_DSN=CLOSED_PORT_DSN, GIT_REV="0123abcd")
    assert report["loaded"] and report["release"] == "0123abcd"
    assert report["send_default_pii"] is False
    assert {"django", "celery"} <= set(report["integrations"])
    assert report["events"] == 1  # captured by the in-process transport; nothing left the machine


def test_the_release_defaults_to_the_checked_out_git_revision():
    report = _probe(SENTRY_DSN=CLOSED_PORT_DSN)
    expected = git_revision(ROOT)
    assert report["release"] == expected
    assert expected == FALLBACK_RELEASE or len(expected) == 40


def test_sentry_release_wins_over_git_rev():
    assert (
        _probe(SENTRY_DSN=CLOSED_PORT_DSN, SENTRY_RELEASE="qaita@2.1", GIT_REV="abc")["release"]
        == "qaita@2.1"
    )


def test_without_git_the_release_falls_back(tmp_path):
    assert git_revision(tmp_path) == FALLBACK_RELEASE
