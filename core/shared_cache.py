"""The shared cache (Redis), for what every web process must agree on: rate
limit counters, the card-testing breaker and one-time claims. The demo's
settings put it in a SQLite file instead (core/file_cache.py), which keeps
the same promises across the processes of one machine; nothing here
depends on which backend it is, beyond `count_in_window`, which both have.

Redis can be down while PostgreSQL and Stripe are up, and a gift must not
fail for it. So every call here says what it means when Redis cannot be
reached: `when_down=<a value>` answers that value (fail open), and
`when_down=REFUSE` raises SharedCacheDown, which the caller turns into a
refusal with nothing done (fail safe). docs/architecture.md ("When Redis is
down") lists each use and its choice.

An outage is logged as an error at most once a minute per process, not
once per request; and after a failed call this process leaves Redis alone
for RECHECK_AFTER_SECONDS, so that a Redis that hangs costs a request one
socket timeout (hopefund/settings/base.py::redis_cache), not one per call.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import redis.exceptions
from django.core.cache import cache

from core.file_cache import FileCacheUnavailable

logger = logging.getLogger(__name__)

# What django's RedisCache raises when Redis is unreachable, refusing
# connections, still loading its data, or too slow to answer in time; and
# what the demo's file cache raises when its file cannot be used
# (core/file_cache.py).
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, FileCacheUnavailable)

# A refusal asks the client to come back after this long: about as long as
# Redis takes to restart.
RETRY_AFTER_SECONDS = 10
RECHECK_AFTER_SECONDS = 2
LOG_EVERY_SECONDS = 60


class _Refuse:
    def __repr__(self) -> str:
        return "REFUSE"


REFUSE = _Refuse()


class SharedCacheDown(Exception):
    """Redis could not be reached for a use that fails safe: refuse, with
    Retry-After `retry_after`, and do nothing."""

    def __init__(self) -> None:
        super().__init__("The shared cache (Redis) is unreachable.")
        self.retry_after = RETRY_AFTER_SECONDS


class _Outage:
    """This process's view of Redis: when it last failed, and when that was
    last logged."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.down_until = 0.0
        self.logged_at = -float(LOG_EVERY_SECONDS)


outage = _Outage()


def add(key: str, value: Any, *, timeout: int, when_down: Any) -> bool:
    """cache.add: True if the key was not set and now is."""
    return _call(lambda: cache.add(key, value, timeout=timeout), key=key, when_down=when_down)


def get(key: str, *, when_down: Any) -> Any:
    return _call(lambda: cache.get(key), key=key, when_down=when_down)


def set(key: str, value: Any, *, timeout: int, when_down: Any) -> None:
    _call(lambda: cache.set(key, value, timeout=timeout), key=key, when_down=when_down)


def delete(key: str, *, when_down: Any) -> None:
    _call(lambda: cache.delete(key), key=key, when_down=when_down)


def get_many(keys: list[str], *, when_down: Any) -> dict:
    return _call(lambda: cache.get_many(keys), key=keys[0], when_down=when_down)


def set_many(values: dict, *, timeout: int, when_down: Any) -> None:
    _call(lambda: cache.set_many(values, timeout=timeout), key=next(iter(values)), when_down=when_down)


def count_in_window(key: str, *, window: int, when_down: Any) -> int:
    """One more at `key`, a counter that lives `window` seconds from its
    first count, in one round trip (core/redis_cache.py); the count."""
    return _call(lambda: cache.count_in_window(key, window=window), key=key, when_down=when_down)


def _call(operation: Callable[[], Any], *, key: str, when_down: Any) -> Any:
    if time.monotonic() >= outage.down_until:
        try:
            return operation()
        except UNREACHABLE as exc:
            _note_outage(key=key, exc=exc)
            unreachable = exc
    else:
        unreachable = None  # failed moments ago: not asked again yet
    if when_down is REFUSE:
        raise SharedCacheDown from unreachable
    return when_down


def _note_outage(*, key: str, exc: Exception) -> None:
    now = time.monotonic()
    outage.down_until = now + RECHECK_AFTER_SECONDS
    if now - outage.logged_at < LOG_EVERY_SECONDS:
        return
    outage.logged_at = now
    logger.error(
        "The shared cache (Redis) is unreachable (%s), first seen for %r: the uses that fail open go on "
        "without it, those that fail safe are refused (docs/architecture.md, When Redis is down). "
        "Logged once a minute while it lasts.",
        exc,
        key,
    )
