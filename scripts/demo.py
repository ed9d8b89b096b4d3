"""`make demo`: check the port, set up the Almaty demo (keeping what is there), serve it.

    python3 scripts/demo.py check-port --host 127.0.0.1 --port 8000   # stdlib only, before the venv
    .venv/bin/python scripts/demo.py serve --host 127.0.0.1 --port 8000 [--reset]

``serve`` migrates the SQLite database, imports the cited factors, loads the demo (all three
idempotent) and runs the city-wide matching only when no run has succeeded yet, so a second
``make demo`` keeps the data, the run and its proposals, and sends no e-mail again;
``make demo RESET=1`` starts from an empty database. The demo's e-mails go to files in
``var/demo-mail/`` (``EMAIL_URL=filemail://…``, set by the Makefile). The logins and the URL are
printed last, once the server answers.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUGGESTED_PORT = 8017


def port_taken(host: str, port: int) -> bool:
    """Whether a server could not listen on ``host:port`` (runserver's own socket options)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def free_port(host: str, start: int) -> int:
    for candidate in (SUGGESTED_PORT, *range(start + 1, start + 200)):
        if not port_taken(host, candidate):
            return candidate
    return SUGGESTED_PORT


def check_port(host: str, port: int) -> int:
    if not port_taken(host, port):
        return 0
    other = free_port(host, port)
    print(
        f"\nPort {port} on {host} is already in use (another server, or a demo still running).\n"
        f"Choose another port, for example:\n\n    make demo PORT={other}\n",
        file=sys.stderr,
    )
    return 2


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def _reset() -> None:
    from django.conf import settings

    database = Path(str(settings.DATABASES["default"]["NAME"]))
    for path in (database, *database.parent.glob(database.name + "-*")):
        path.unlink(missing_ok=True)
    mail = getattr(settings, "EMAIL_FILE_PATH", None)
    if mail and Path(mail).is_dir():
        shutil.rmtree(mail)
    print(f"RESET=1: removed {database.name} and the demo e-mails; starting afresh.")


def setup(*, reset: bool) -> dict:
    """Everything before serving; returns what the closing lines print."""
    _django()
    from django.conf import settings
    from django.core.management import call_command

    if reset:
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            raise SystemExit("RESET=1 only removes the demo's SQLite database; unset DATABASE_URL.")
        _reset()
    mail = getattr(settings, "EMAIL_FILE_PATH", None)
    if mail:
        Path(mail).mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("import_factors")
    from marketplace import demo
    from matching.models import MatchRun, RunStatus

    summary = demo.load_demo()
    print(
        f"Almaty demo: {summary.organisations} organisations, {summary.active_listings} active listings "
        f"(created now: {summary.offers_created} offers, {summary.needs_created} needs)."
    )
    kept = MatchRun.objects.filter(status=RunStatus.SUCCEEDED, dry_run=False).order_by("-pk").first()
    if kept is None:
        call_command("run_matching")
        call_command("impact_report", basis="proposed", group_by="material")
    else:
        print(f"Kept match run #{kept.pk} and its proposals (make demo RESET=1 starts afresh).")
    return {
        "password": demo.DEMO_PASSWORD,
        "logins": [(d.key, d.name) for d in demo.ORGANISATIONS],
        "mail": mail or "",
    }


def _wait_for(host: str, port: int, server: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def closing_lines(info: dict, host: str, port: int) -> str:
    url = f"http://{host}:{port}/"
    width = max(len(key) for key, _name in info["logins"])
    lines = [
        "",
        "=" * 72,
        f"Demo logins (password for all: {info['password']}):",
        *(f"  {key:<{width}}  {name}" for key, name in info["logins"]),
        "",
    ]
    if info["mail"]:
        lines.append(f"The demo's e-mails are written to {info['mail']}/ (one file per batch).")
    lines += [
        f"API docs: {url}api/docs/   Admin: {url}admin/",
        "Stop with Ctrl-C. Another port: make demo PORT=8017. Start afresh: make demo RESET=1.",
        "",
        f"Qaita is running at {url}",
        "=" * 72,
    ]
    return "\n".join(lines)


def serve(host: str, port: int, *, reset: bool) -> int:
    if check_port(host, port):
        return 2
    info = setup(reset=reset)
    sys.stdout.flush()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"{host}:{port}"], cwd=ROOT
    )
    try:
        if not _wait_for(host, port, server):
            server.terminate()
            print("The server did not start; see its messages above.", file=sys.stderr)
            return server.wait() or 1
        print(closing_lines(info, host, port), flush=True)
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["check-port", "serve"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)
    if args.action == "check-port":
        return check_port(args.host, args.port)
    return serve(args.host, args.port, reset=args.reset)


if __name__ == "__main__":
    sys.exit(main())
