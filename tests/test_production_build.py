"""The production build serves its pages: static files collected exactly as the Dockerfile collects
them (production settings, manifest storage), then every main page rendered under the production
settings with that manifest, in the test client and through gunicorn as the image runs it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x7#kq!v2m@p9z$w4r8t1y6u3i0o5e-prod-build-test-secret-key",
    "ALLOWED_HOSTS": "qaita.example.kz",
}


def dockerfile_collectstatic() -> str:
    """The Dockerfile's collectstatic step, as the shell command it runs."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    steps = [
        line[len("RUN ") :]
        for line in text.splitlines()
        if line.startswith("RUN ") and "collectstatic" in line
    ]
    assert len(steps) == 1, steps
    return steps[0]


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    # `python` in the Dockerfile's command is this interpreter.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static_root")
    command = dockerfile_collectstatic()
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        env=clean_env(STATIC_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return root


@pytest.fixture(scope="module")
def prod_env(static_root, tmp_path_factory) -> dict[str, str]:
    database = tmp_path_factory.mktemp("prod_db") / "db.sqlite3"
    return clean_env(**PROD_ENV, STATIC_ROOT=str(static_root), DATABASE_URL=f"sqlite:///{database}")


def test_the_dockerfile_collects_with_the_production_settings():
    command = shlex.split(dockerfile_collectstatic())
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in command
    assert command[command.index("manage.py") + 1] == "collectstatic" and "--noinput" in command


def test_collectstatic_writes_the_manifest_with_every_asset_the_pages_use(static_root):
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in (
        "css/qaita.css",
        "js/dashboard.js",
        "js/marketplace.js",
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "vendor/echarts/echarts.min.js",
        "vendor/htmx/htmx.min.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    ):
        assert name in manifest, name
        assert (static_root / manifest[name]).is_file()
        assert (static_root / f"{manifest[name]}.gz").is_file()  # compressed copies, as served


def test_no_vendored_asset_points_at_a_file_that_is_not_shipped():
    """A sourceMappingURL to a missing file makes the manifest storage refuse the build."""
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in (".js", ".css"):
            continue
        for ref in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(encoding="utf-8")):
            assert (path.parent / ref).is_file(), f"{path.relative_to(ROOT)} -> {ref}"


def test_every_main_page_renders_under_the_production_settings(prod_env):
    result = subprocess.run(
        [sys.executable, "-m", "tests.production_pages"],
        cwd=ROOT,
        env=prod_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    failed = {page: status for page, status in report["pages"].items() if status != 200}
    assert not failed, failed
    assert len(report["pages"]) >= 40
    # The pages link hashed names, and WhiteNoise serves each of them.
    assert any(re.search(r"/static/css/qaita\.[0-9a-f]{12}\.css", url) for url in report["static"])
    missing = {url: status for url, status in report["static"].items() if status != 200}
    assert not missing, missing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROXY_HEADERS = {"Host": "qaita.example.kz", "X-Forwarded-Proto": "https"}


def _get(url: str, headers: dict[str, str] = PROXY_HEADERS) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_gunicorn_serves_the_pages_as_the_image_runs_it(prod_env):
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=prod_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-4000:]
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=prod_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get(f"{base}/login/")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-4000:]
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        for path in ("/", "/login/", "/api/docs/"):
            status, body = _get(f"{base}{path}")
            assert status == 200, (path, status, body[:500])
        home = _get(f"{base}/")[1].decode()
        css = re.search(r'href="(/static/css/qaita\.[0-9a-f]{12}\.css)"', home)
        assert css, "the home page does not link the hashed stylesheet"
        status, body = _get(f"{base}{css.group(1)}")
        assert status == 200 and b"{" in body
        # The compose health check: by address, plain HTTP, no proxy headers.
        status, body = _get(f"{base}/healthz/", headers={})
        assert status == 200 and json.loads(body)["checks"]["database"] == "ok", body
    finally:
        server.terminate()
        server.wait(timeout=30)
