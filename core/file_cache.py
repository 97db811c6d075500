"""The shared cache in one SQLite file, for the demo: no server to run,
and still one cache for every process on the machine (the web server,
the Celery worker and its pool, beat).

What core/shared_cache.py relies on must hold across processes: an `add`
that exactly one of two racing processes wins (one-time claims, the
webhook drain's wake), and `count_in_window` counting every attempt once
(rate limits, the card-testing breaker). Django's FileBasedCache gives
neither (its `add` reads and then writes, and `incr` is a get and a set),
so this backend keeps its entries in a SQLite file, where each of those is
one statement under SQLite's write lock. It is a file on this machine: for
one machine's demo or development, never for production, whose web
processes and workers each have their own disk (production and the tests
keep Redis, core/redis_cache.py).

Values are pickled, as Django's other backends do; counters are stored as
plain integers so that SQLite can add to them. Expired entries are
ignored when read and deleted now and then on writes."""

import contextlib
import os
import pickle
import random
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

# Roughly one write in this many also deletes the expired entries.
PURGE_ONE_WRITE_IN = 200
# A writer waits this long for another's write lock (each write is one
# short statement) before the call fails as unreachable.
LOCK_WAIT_SECONDS = 5

_SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL)"
# `expires` is NULL for an entry that never expires.
_LIVE = "(expires IS NULL OR expires > ?)"


# Connections a forked process inherited: kept, so that they are never
# garbage-collected (and so closed) in the child.
_inherited: list = []


def _set_up(connection: sqlite3.Connection) -> None:
    """WAL (readers never wait for the writer, nor the writer for readers)
    and the table. Switching a new file to WAL takes a lock SQLite does not
    wait for (its busy timeout does not apply), so processes that open the
    file at the same moment retry here, within LOCK_WAIT_SECONDS, rather
    than report the cache down."""
    deadline = time.time() + LOCK_WAIT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.time() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.02))


class FileCacheUnavailable(Exception):
    """The cache file could not be read or written (locked past
    LOCK_WAIT_SECONDS, unreadable): to core/shared_cache.py the same as an
    unreachable Redis."""


class FileCache(BaseCache):
    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self._path = Path(location)
        # One connection per thread (runserver serves each request in its
        # own) and per process (a connection must not cross a fork).
        self._local = threading.local()

    # --- Django's cache API ---

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        """Set `key` unless it holds a live entry; True if this call set it.
        One statement: of two processes racing, exactly one wins."""
        key = self.make_and_validate_key(key, version=version)
        now = time.time()
        changed = self._write(
            "INSERT INTO entries (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE entries.expires IS NOT NULL AND entries.expires <= ?",
            (key, _dumps(value), self.get_backend_timeout(timeout), now),
        )
        return changed == 1

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        rows = self._read(f"SELECT value FROM entries WHERE key = ? AND {_LIVE}", (key, time.time()))
        return _loads(rows[0][0]) if rows else default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._write(
            "INSERT OR REPLACE INTO entries (key, value, expires) VALUES (?, ?, ?)",
            (key, _dumps(value), self.get_backend_timeout(timeout)),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        changed = self._write(
            f"UPDATE entries SET expires = ? WHERE key = ? AND {_LIVE}",
            (self.get_backend_timeout(timeout), key, time.time()),
        )
        return changed == 1

    def delete(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return self._write("DELETE FROM entries WHERE key = ?", (key,)) == 1

    def has_key(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._read(f"SELECT 1 FROM entries WHERE key = ? AND {_LIVE}", (key, time.time())))

    def get_many(self, keys, version=None) -> dict:
        by_cache_key = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not by_cache_key:
            return {}
        marks = ", ".join("?" * len(by_cache_key))
        rows = self._read(
            f"SELECT key, value FROM entries WHERE key IN ({marks}) AND {_LIVE}", (*by_cache_key, time.time())
        )
        return {by_cache_key[key]: _loads(value) for key, value in rows}

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        expires = self.get_backend_timeout(timeout)
        rows = [
            (self.make_and_validate_key(key, version=version), _dumps(value), expires) for key, value in data.items()
        ]
        self._write_many("INSERT OR REPLACE INTO entries (key, value, expires) VALUES (?, ?, ?)", rows)
        return []

    def delete_many(self, keys, version=None) -> None:
        rows = [(self.make_and_validate_key(key, version=version),) for key in keys]
        self._write_many("DELETE FROM entries WHERE key = ?", rows)

    def incr(self, key, delta=1, version=None) -> int:
        """Atomic, as Redis's: a counter made by `count_in_window`, or a
        number `set` here (read and rewritten under the write lock)."""
        key = self.make_and_validate_key(key, version=version)
        with self._write_transaction() as connection:
            rows = connection.execute(
                f"SELECT value FROM entries WHERE key = ? AND {_LIVE}", (key, time.time())
            ).fetchall()
            if not rows:
                raise ValueError(f"Key '{key}' not found")
            value = _loads(rows[0][0]) + delta
            connection.execute("UPDATE entries SET value = ? WHERE key = ?", (_dumps(value), key))
        return value

    def clear(self) -> None:
        self._write("DELETE FROM entries", ())

    def close(self, **kwargs) -> None:
        """Django calls this at the end of every request (and Celery's
        fixup after every task): the thread's connection is closed, as a
        request's database connection would be."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            self._local.connection = None
            connection.close()

    def validate_key(self, key) -> None:
        """Any key fits: the base class's warnings are memcached's limits."""

    # --- What core/shared_cache.py adds ---

    def count_in_window(self, key, *, window: int) -> int:
        """One more at `key`, a counter living `window` seconds from its
        first count; returns the count. One statement, as Redis's script
        (core/redis_cache.py): a counter past its window starts again at 1."""
        key = self.make_and_validate_key(key)
        now = time.time()
        rows = self._read(
            "INSERT INTO entries (key, value, expires) VALUES (?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN entries.expires <= ? THEN 1 ELSE entries.value + 1 END, "
            "expires = CASE WHEN entries.expires <= ? THEN excluded.expires ELSE entries.expires END "
            "RETURNING value",
            (key, now + window, now, now),
        )
        self._maybe_purge()
        return rows[0][0]

    # --- The file ---

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            if self._local.pid == os.getpid():
                return connection
            # The parent's, inherited by a fork: never used here, and never
            # closed either (SQLite must not touch a parent's connection).
            _inherited.append(connection)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: each statement is its own transaction.
            connection = sqlite3.connect(self._path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
            _set_up(connection)
        except sqlite3.Error as exc:
            raise FileCacheUnavailable(str(exc)) from exc
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _read(self, sql: str, parameters: tuple) -> list:
        try:
            return self._connection().execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise FileCacheUnavailable(str(exc)) from exc

    def _write(self, sql: str, parameters: tuple) -> int:
        try:
            changed = self._connection().execute(sql, parameters).rowcount
        except sqlite3.Error as exc:
            raise FileCacheUnavailable(str(exc)) from exc
        self._maybe_purge()
        return changed

    def _write_many(self, sql: str, rows: list) -> None:
        if not rows:
            return
        with self._write_transaction() as connection:
            connection.executemany(sql, rows)
        self._maybe_purge()

    @contextlib.contextmanager
    def _write_transaction(self):
        """A transaction holding SQLite's write lock from its start, so a
        read and the write that follows it are one step for every other
        process; rolled back if anything in it fails."""
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise FileCacheUnavailable(str(exc)) from exc

    def _maybe_purge(self) -> None:
        if random.randrange(PURGE_ONE_WRITE_IN) == 0:
            # Should it fail, the next purge does it.
            with contextlib.suppress(sqlite3.Error, FileCacheUnavailable):
                self._connection().execute("DELETE FROM entries WHERE expires <= ?", (time.time(),))


def _dumps(value) -> bytes | int:
    # Integers stay integers (as far as SQLite's do), so that a counter can
    # be added to in SQL.
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(stored):
    return stored if isinstance(stored, int) else pickle.loads(stored)
