"""core/file_cache.py, the demo's shared cache in a SQLite file: what
core/shared_cache.py relies on Redis for (claims, counters, expiry) holds
here too. Across processes: tests/test_demo_without_servers.py."""

import sqlite3
from types import SimpleNamespace

import pytest

from core import file_cache, shared_cache
from core.file_cache import FileCache, FileCacheUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(file_cache, "time", SimpleNamespace(time=clock.time))
    # Django's timeout arithmetic (BaseCache.get_backend_timeout) reads the
    # same clock.
    monkeypatch.setattr("django.core.cache.backends.base.time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def cache(tmp_path, clock):
    backend = FileCache(str(tmp_path / "cache" / "shared.sqlite3"), {})
    yield backend
    backend.close()


def test_add_sets_only_a_key_that_holds_nothing_live(cache, clock):
    assert cache.add("claim", "first", timeout=10) is True
    assert cache.add("claim", "second", timeout=10) is False
    assert cache.get("claim") == "first"

    clock.now += 10
    assert cache.add("claim", "third", timeout=10) is True
    assert cache.get("claim") == "third"


def test_entries_expire_and_none_means_never(cache, clock):
    cache.set("page", {"body": b"<html>", "headers": [("ETag", "x")]}, timeout=30)
    cache.set("forever", 1, timeout=None)

    clock.now += 29
    assert cache.get("page") == {"body": b"<html>", "headers": [("ETag", "x")]}
    clock.now += 1
    assert cache.get("page") is None
    assert cache.get("page", "gone") == "gone"
    assert not cache.has_key("page")
    clock.now += 10**9
    assert cache.get("forever") == 1


def test_count_in_window_counts_from_one_and_starts_again_when_the_window_ends(cache, clock):
    assert [cache.count_in_window("rate:x", window=60) for _ in range(3)] == [1, 2, 3]

    clock.now += 59
    assert cache.count_in_window("rate:x", window=60) == 4
    clock.now += 1
    assert cache.count_in_window("rate:x", window=60) == 1
    # A later count in the new window keeps that window's end.
    clock.now += 59
    assert cache.count_in_window("rate:x", window=60) == 2


def test_many_at_once_and_delete(cache):
    cache.set_many({"a": 1, "b": "two", "c": None}, timeout=60)

    assert cache.get_many(["a", "b", "c", "missing"]) == {"a": 1, "b": "two", "c": None}
    assert cache.get_many([]) == {}
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    cache.delete_many(["b", "c"])
    assert cache.get_many(["a", "b", "c"]) == {}


def test_incr_adds_to_a_stored_number_and_refuses_a_missing_key(cache):
    cache.set("n", 5, timeout=60)

    assert cache.incr("n", 2) == 7
    assert cache.get("n") == 7
    with pytest.raises(ValueError):
        cache.incr("missing")


def test_versions_and_prefixes_keep_keys_apart(tmp_path, clock):
    location = str(tmp_path / "shared.sqlite3")
    one, other = FileCache(location, {"KEY_PREFIX": "one"}), FileCache(location, {"KEY_PREFIX": "other"})

    one.set("k", "one's", timeout=60)

    assert other.get("k") is None
    assert one.get("k", version=2) is None


def test_an_unusable_file_is_unreachable_to_the_shared_cache(tmp_path, clock):
    # A folder where the file should be: SQLite cannot open it.
    (tmp_path / "shared.sqlite3").mkdir()
    broken = FileCache(str(tmp_path / "shared.sqlite3"), {})

    with pytest.raises(FileCacheUnavailable):
        broken.get("k")
    assert FileCacheUnavailable in shared_cache.UNREACHABLE


def test_a_file_locked_past_the_wait_is_reported_unavailable_not_waited_on_for_ever(tmp_path, monkeypatch):
    monkeypatch.setattr(file_cache, "LOCK_WAIT_SECONDS", 0.2)
    path = tmp_path / "shared.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(FileCacheUnavailable, match="locked"):
            FileCache(str(path), {}).get("key")
    finally:
        holder.close()
