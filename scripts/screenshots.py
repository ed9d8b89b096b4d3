"""`make screenshots`: PNGs of the main pages in English, Russian and Kazakh, on a desktop
(1366×768, full page) and on a phone (390×844, up to three screens).

Builds a throwaway SQLite database (migrate, import_factors, load_almaty_demo, run_matching, then
a few accepted proposals, a delivery, a photo and a draft factor set through the services),
serves it with `manage.py runserver` on a free port and photographs the pages with Debian's
Chromium through Playwright. Map tiles are answered with a plain placeholder tile (no network);
any other request that leaves the app is refused and reported. Output:
docs/screenshots/<lang>-<page>.png and docs/screenshots/<lang>-phone-<page>.png; earlier PNGs in
that folder are removed first, so the set is exactly what this run made.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("QAITA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "qaita-demo-2026"
LANGUAGES = ("en", "ru", "kk")
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
MAX_PNG_BYTES = 300_000
PHONE_SCREENS = 3  # a phone shot shows at most this many screens of a long page
PHONE_PAGES = {"home", "dashboard-city", "offer-form", "proposals", "deal", "search", "report"}
TILE_HOSTS = ("tile.openstreetmap.org",)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> None:
    print("$ manage.py", " ".join(args), flush=True)
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if args[0] == "migrate" else None,
    )


def demo_png() -> io.BytesIO:
    """A stand-in photo (a grain-coloured gradient), so the listing page shows a thumbnail."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (176, 132, 72))
    draw = ImageDraw.Draw(image)
    for y in range(0, 600, 6):
        shade = 120 + (y * 90 // 600)
        draw.line([(0, y), (800, y + 40)], fill=(shade, int(shade * 0.75), int(shade * 0.4)), width=4)
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    return data


def prepare_data() -> dict:
    """Accept a few proposals from both sides, record a delivery, add a photo and a draft factor set."""
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import Membership
    from marketplace import factor_services, services
    from matching import services as matching_services
    from matching.models import MatchRun, Proposal, RunStatus

    def member(org_id):
        return Membership.objects.filter(organisation_id=org_id).select_related("user").first().user

    run = MatchRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-id").first()
    proposals = list(
        Proposal.objects.filter(run=run)
        .select_related("offer__organisation", "need__organisation")
        .order_by("-net_kg", "id")
    )
    brewery_first = sorted(proposals, key=lambda p: p.offer.organisation.name != "Tien Shan Brewery")
    chosen = brewery_first[:1] + [p for p in proposals if p not in brewery_first[:1]][:3]
    deals = []
    for proposal in chosen:
        for org_id in (proposal.offer.organisation_id, proposal.need.organisation_id):
            proposal = matching_services.proposal_accept(proposal=proposal, actor=member(org_id))
        proposal.refresh_from_db()
        deals.append(proposal.deal)
    first = deals[0]
    matching_services.delivery_record(
        deal=first,
        actor=member(first.offer.organisation_id),
        date=timezone.localdate(),
        quantity=(first.quantity / 4).quantize(Decimal(1) if first.unit == "piece" else Decimal("0.001")),
    )
    offer = first.offer
    if not offer.photos.exists():
        services.listing_photo_add(
            listing=offer,
            actor=member(offer.organisation_id),
            image=demo_png(),
            caption="Spent grain at the loading bay",
        )
    akimat = Membership.objects.get(user__username="akimat").user
    active = factor_services.active_factor_set()
    draft = factor_services.factor_set_copy(
        source=active, version=f"{timezone.localdate():%Y}.2-draft", actor=akimat
    )
    for factor in draft.factors.select_related("material").order_by("material__key")[:3]:
        factor_services.factor_update(
            factor=factor,
            actor=akimat,
            landfill_kg_per_t=(factor.landfill_kg_per_t or 0) * 11 / 10,
            notes="Revised after the 2026 landfill gas survey (illustration).",
        )
    from marketplace.selectors import can_see_exact_site

    # Someone without a deal with the brewery sees its site blurred to about a kilometre.
    viewer = next(
        m.user.username
        for m in Membership.objects.filter(organisation__kind="company")
        .select_related("user")
        .order_by("user__username")
        if not can_see_exact_site(m.user, offer.site_id)
    )
    return {
        "viewer": viewer,
        "run": run.pk,
        "deal": first.pk,
        "offer": offer.pk,
        "offer_org": offer.organisation.name,
        "factor_a": active.pk,
        "factor_b": draft.pk,
    }


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url}")


BAD_IMPORT = (
    "kind,site,materials,quantity,unit,period,max_distance_km\n"
    "offer,Brewery,brewers_spent_grain,-40,t,week,\n"
    "need,Nowhere,bread_residues,10,t,year,\n"
    "offer,Brewery,façade_panels,3,t,once,\n"
).encode()


def placeholder_tile() -> bytes:
    """A pale 256 px tile with a faint grid: the maps look like maps without the network."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (236, 240, 236))
    draw = ImageDraw.Draw(image)
    for xy in range(0, 256, 64):
        draw.line([(xy, 0), (xy, 256)], fill=(222, 228, 222))
        draw.line([(0, xy), (256, xy)], fill=(222, 228, 222))
    data = io.BytesIO()
    image.save(data, format="PNG", optimize=True)
    return data.getvalue()


def shoot(base: str, ids: dict) -> list[Path]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    app = urlparse(base).netloc
    outside: list[str] = []
    saved: list[Path] = []
    tile = placeholder_tile()

    def route(route):
        url = route.request.url
        host = urlparse(url).netloc
        if host == app or url.startswith("data:"):
            return route.continue_()
        if any(host.endswith(t) for t in TILE_HOSTS):
            return route.fulfill(status=200, body=tile, content_type="image/png")
        outside.append(url)
        return route.abort()

    # (user or None, page name, path, optional action before the shot)
    def upload_bad_file(page):
        page.set_input_files(
            "input[type=file]", files=[{"name": "listings.csv", "mimeType": "text/csv", "buffer": BAD_IMPORT}]
        )
        page.locator("main form.card button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    pages = [
        (None, "home", "/", None),
        (None, "login", "/login/", None),
        ("akimat", "dashboard-city", "/matching/dashboard/", None),
        ("akimat", "runs", "/matching/runs/", None),
        ("akimat", "factor-set", f"/marketplace/factor-sets/{ids['factor_b']}/", None),
        ("akimat", "report", "/reports/impact/?basis=proposed", None),
        ("brewery", "dashboard-company", "/matching/dashboard/", None),
        ("brewery", "my-listings", "/marketplace/mine/", None),
        ("brewery", "offer-form", "/marketplace/offers/new/", None),
        ("brewery", "proposals", "/matching/proposals/?status=all", None),
        ("brewery", "deal", f"/matching/deals/{ids['deal']}/", None),
        ("brewery", "import", "/marketplace/import/", upload_bad_file),
        (ids["viewer"], "search", "/marketplace/search/", None),
        (ids["viewer"], "listing-detail", f"/marketplace/offers/{ids['offer']}/", None),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for device, viewport in VIEWPORTS.items():
            for lang in LANGUAGES:
                current_user = "—"
                context = page = None
                for user, name, path, action in pages:
                    if device == "phone" and name not in PHONE_PAGES:
                        continue
                    if user != current_user:
                        if context is not None:
                            context.close()
                        context = browser.new_context(viewport=viewport, locale=lang)
                        context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                        page = context.new_page()
                        page.route("**/*", route)
                        if user:
                            page.goto(f"{base}/login/")
                            page.fill("#id_username", user)
                            page.fill("#id_password", PASSWORD)
                            page.locator("main form button[type=submit]").click()
                            page.wait_for_url("**/matching/dashboard/")
                        current_user = user
                    response = page.goto(f"{base}{path}")
                    page.wait_for_load_state("networkidle")
                    if action:
                        action(page)
                    status = response.status if response else "?"
                    page.wait_for_timeout(600)  # charts animate in
                    suffix = "-phone" if device == "phone" else ""
                    target = OUT / f"{lang}{suffix}-{name}.png"
                    if device == "phone":
                        height = min(
                            page.evaluate("document.documentElement.scrollHeight"),
                            viewport["height"] * PHONE_SCREENS,
                        )
                        page.screenshot(
                            path=str(target),
                            full_page=True,
                            clip={"x": 0, "y": 0, "width": viewport["width"], "height": height},
                        )
                    else:
                        page.screenshot(path=str(target), full_page=True)
                    # A 256-colour palette keeps a page of flat UI at a fraction of the size.
                    # Fewer colours for a page that is still heavier than MAX_PNG_BYTES.
                    with Image.open(target) as image:
                        rgb = image.convert("RGB")
                    for colors in (256, 128, 64):
                        palette = rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
                        palette.save(target, optimize=True)
                        if target.stat().st_size <= MAX_PNG_BYTES:
                            break
                    saved.append(target)
                    print(
                        f"  {target.relative_to(ROOT)}  ({status}, {target.stat().st_size // 1024} KB)",
                        flush=True,
                    )
                if context is not None:
                    context.close()
        browser.close()
    if outside:
        raise SystemExit(f"requests left the app: {sorted(set(outside))[:10]}")
    return saved


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="qaita-screenshots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": "",
        "MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "True",
    }
    for step in (("migrate", "--noinput"), ("import_factors",), ("load_almaty_demo",), ("run_matching",)):
        manage(*step, env=env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ids = prepare_data()
    print("data:", ids, flush=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz/")
        saved = shoot(base, ids)
    finally:
        server.terminate()
        server.wait(timeout=10)
    total = sum(p.stat().st_size for p in saved)
    print(f"{len(saved)} screenshots, {total / 1e6:.1f} MB in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
