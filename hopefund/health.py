"""GET /healthz: can this process reach what a gift needs?

It answers within a second whatever is down. Each dependency is checked
in a thread of its own, on a connection of its own with short timeouts,
and the answer is given at the deadline with whatever has not answered by
then reported down: a database or broker that accepts connections and
never replies cannot hold the probe, nor the web worker that serves it."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from hopefund.celery import app as celery_app

# The whole answer, both checks running side by side.
DEADLINE_SECONDS = 0.9
# How long a check's own connection may take. The thread outlives the
# deadline by at most this much when its dependency hangs (psycopg waits at
# least 2 seconds for a connection whatever it is told).
DATABASE_CONNECT_TIMEOUT_SECONDS = 2
DATABASE_STATEMENT_TIMEOUT_MS = 500
BROKER_SOCKET_TIMEOUT_SECONDS = 1
# Checks of one dependency still waiting for it, at most: a dependency
# that hangs after connecting (where no timeout of ours can reach) costs
# this many threads, not one per probe.
MAX_WAITING_CHECKS = 4


def _check_database() -> None:
    """SELECT 1 on a new connection with the probe's own timeouts, never
    the request's connection (which may be waiting on the same database)."""
    settings_dict = {**connections.settings[DEFAULT_DB_ALIAS]}
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        options = {**settings_dict.get("OPTIONS", {}), "connect_timeout": DATABASE_CONNECT_TIMEOUT_SECONDS}
        # Appended, so it overrides the session's statement_timeout.
        options["options"] = f"{options.get('options', '')} -c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
        settings_dict["OPTIONS"] = options
    probe = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        probe.close()


def _check_broker() -> None:
    timeouts = {
        "socket_connect_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
    }
    with celery_app.connection_for_write(
        url=settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_SOCKET_TIMEOUT_SECONDS,
        transport_options=timeouts,
    ) as conn:
        # No retry: one failed attempt means down.
        conn.ensure_connection(max_retries=0)


class _Check:
    """One dependency's check, each run in a new daemon thread (a hung one
    must not keep a worker from exiting), with at most MAX_WAITING_CHECKS
    of them unfinished at a time."""

    def __init__(self, check: Callable[[], None]):
        self._check = check
        self._slots = threading.BoundedSemaphore(MAX_WAITING_CHECKS)

    def start(self) -> Future | None:
        """The check's future, or None when too many are still waiting."""
        if not self._slots.acquire(blocking=False):
            return None
        future: Future = Future()
        threading.Thread(target=self._run, args=(future,), daemon=True, name="healthz-check").start()
        return future

    def _run(self, future: Future) -> None:
        try:
            self._check()
        except Exception as exc:  # any failure means "down"; the reason is reported
            future.set_exception(exc)
        else:
            future.set_result(None)
        finally:
            self._slots.release()


CHECKS = {"database": _Check(_check_database), "broker": _Check(_check_broker)}


def _status(future: Future | None, deadline: float) -> str:
    if future is None:
        return "down: earlier checks are still waiting for an answer"
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return f"down: no answer within {DEADLINE_SECONDS} s"
    except Exception as exc:
        return f"down: {type(exc).__name__}"
    return "ok"


@require_GET
def healthz(request):
    deadline = time.monotonic() + DEADLINE_SECONDS
    running = {name: check.start() for name, check in CHECKS.items()}
    checks = {name: _status(future, deadline) for name, future in running.items()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
