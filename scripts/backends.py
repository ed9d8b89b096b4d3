"""Say which real backends are reachable: `python scripts/backends.py postgres|redis` exits 0 if so.

Used by `make test` to decide whether to run the suite against PostgreSQL and a real worker.
`python scripts/backends.py second` prints `DATABASE_URL=… REDIS_URL=…` for a second PostgreSQL
pass beside the first: the database `<name>_2` (pytest-django then makes `test_<name>_2`) on the
same server and the next Redis database, so that neither pass sees the other's rows or tasks.
Standard library only, so it runs before the virtualenv exists.
"""

import os
import socket
import sys
from urllib.parse import urlparse

DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379}


def reachable(url: str) -> bool:
    if not url:
        return False
    parsed = urlparse(url)
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme.split("+")[0], 0)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def second() -> str:
    """The environment of a second PostgreSQL pass (see the module docstring)."""
    db = urlparse(os.environ["DATABASE_URL"])
    name = db.path.lstrip("/") or "postgres"
    redis = urlparse(os.environ.get("REDIS_URL", ""))
    parts = [f"DATABASE_URL={db._replace(path=f'/{name}_2').geturl()}"]
    if redis.scheme:
        index = int(redis.path.lstrip("/") or 0) + 1
        parts.append(f"REDIS_URL={redis._replace(path=f'/{index}').geturl()}")
    return " ".join(parts)


def main() -> int:
    kind = sys.argv[1]
    if kind == "second":
        print(second())
        return 0
    url = os.environ.get({"postgres": "DATABASE_URL", "redis": "REDIS_URL"}[kind], "")
    if kind == "postgres" and not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return 1
    return 0 if reachable(url) else 1


if __name__ == "__main__":
    sys.exit(main())
