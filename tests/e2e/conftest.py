"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Never a downloaded browser: ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run``
installs it when missing). Map tiles cannot load offline, so tile requests get an empty answer
and tests assert on markers, not tiles. Every other request must stay on the live server.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("QAITA_CHROMIUM", "/usr/bin/chromium")
TILE_HOSTS = ("tile.openstreetmap.org",)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # playwright's sync API runs an event loop


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture
def outside_requests():
    return []


def route_for(base: str, outside: list[str] | None = None):
    """Requests to the live server go through; tiles get an empty answer; any other request is
    refused (and recorded in ``outside`` when given)."""
    app = urlparse(base).netloc

    def route(route):
        host = urlparse(route.request.url).netloc
        if host == app or route.request.url.startswith("data:"):
            return route.continue_()
        if any(host.endswith(t) for t in TILE_HOSTS):
            return route.fulfill(status=204, body="")
        if outside is not None:
            outside.append(route.request.url)
        return route.abort()

    return route


@pytest.fixture
def page(page, live_server, outside_requests):
    """A page that answers tile requests with nothing and records any other request off the app."""
    page.route("**/*", route_for(live_server.url, outside_requests))
    page.set_default_timeout(15000)
    return page


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/matching/dashboard/")
