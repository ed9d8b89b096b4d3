"""Say which real backends are reachable: `python scripts/backends.py postgres|redis` exits 0 if so.

Used by `make test` to decide whether to run the suite against PostgreSQL and a real worker.
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


def main() -> int:
    kind = sys.argv[1]
    url = os.environ.get({"postgres": "DATABASE_URL", "redis": "REDIS_URL"}[kind], "")
    if kind == "postgres" and not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return 1
    return 0 if reachable(url) else 1


if __name__ == "__main__":
    sys.exit(main())
