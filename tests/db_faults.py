"""Put the test database into a real fault state: read-only, full, or out of reach. No mocks.

- read-only: PostgreSQL ``SET transaction_read_only = on`` in the test's transaction (the error a
  hot standby or ``default_transaction_read_only`` gives); SQLite ``PRAGMA query_only``.
- full (SQLite only): ``PRAGMA max_page_count`` at the current size, then filled to the brim, so
  the next write that needs a page gets SQLite's own ``database or disk is full``.
- unreachable (PostgreSQL only): the connection re-pointed at a closed port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction


@contextmanager
def read_only_database() -> Iterator[None]:
    if connection.vendor == "postgresql":
        # In a savepoint of the test's transaction: rolling back to it ends the read-only mode
        # (PostgreSQL never lets a transaction turn read-write again), before the deferred
        # foreign-key checks at the end of the test need their row locks.
        savepoint = transaction.savepoint()
        with connection.cursor() as cursor:
            cursor.execute("SET transaction_read_only = on")
        try:
            yield
        finally:
            transaction.savepoint_rollback(savepoint)
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        # On the driver's connection: Django refuses queries in a transaction an error broke.
        connection.connection.execute("PRAGMA query_only = OFF")


@contextmanager
def full_database() -> Iterator[None]:
    """Needs ``django_db(transaction=True)``: SQLite rolls back the open transaction on SQLITE_FULL."""
    if connection.vendor != "sqlite":
        pytest.skip("a full disk is provoked with SQLite's max_page_count")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA max_page_count")
        previous = cursor.fetchone()[0]
        cursor.execute("CREATE TABLE IF NOT EXISTS test_filler (x BLOB)")
        cursor.execute(f"PRAGMA max_page_count = {pages + 16}")
        for size in (4000, 1000, 200, 20, 1):
            try:
                while True:
                    cursor.execute("INSERT INTO test_filler VALUES (?)", [os.urandom(size)])
            except OperationalError as exc:
                assert "full" in str(exc)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {previous}")
            cursor.execute("DROP TABLE test_filler")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Needs ``django_db(transaction=True)``: the connection is closed and re-opened elsewhere."""
    if connection.vendor != "postgresql":
        pytest.skip("re-pointing the connection needs a server database")
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
