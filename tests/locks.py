"""Waiting, in a test, until other connections queue on a row lock."""

import time

from django.db import connection


def wait_for_lock_waiters(count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            # Within a transaction PostgreSQL shows one snapshot of the activity unless told to drop it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            assert time.monotonic() < deadline, f"fewer than {count} connections ever waited on a row lock"
            time.sleep(0.02)
