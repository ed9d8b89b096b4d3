"""Optional error reports: sentry-sdk with the Django and Celery integrations.

Imported only when ``SENTRY_DSN`` is set (see ``config.settings.base``), so without it the SDK is
never loaded. No personal data is sent (``send_default_pii=False``): no user names, e-mail or IP
addresses, cookies or request bodies.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FALLBACK_RELEASE = "qaita@unknown"


def git_revision(base_dir: Path) -> str:
    """The checked-out commit of ``base_dir``, or :data:`FALLBACK_RELEASE` when git cannot say."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=base_dir, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return FALLBACK_RELEASE
    revision = done.stdout.strip()
    return revision if done.returncode == 0 and revision else FALLBACK_RELEASE


def sentry_init(
    *, dsn: str, release: str, environment: str, traces_sample_rate: float, base_dir: Path
) -> str:
    """Start the SDK for this process (web, worker or beat). Returns the release it reports."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    release = release or git_revision(base_dir)
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
    return release
