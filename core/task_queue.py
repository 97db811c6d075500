"""Queueing a Celery task once the current transaction commits, without
losing it when the broker (Redis) is down.

Work is always in the database before its task is queued (the gift, the
event, the email row), so a sweep would find it eventually; but sweeps wait
a minute or more before they treat work as stalled. A task that could not
be queued is parked in a table instead, and the `requeue-parked-tasks`
beat entry queues it again every few seconds once Redis answers, so a
receipt written during an outage goes out seconds after it ends, not at
the next sweep. docs/architecture.md ("Delivery and sweeps") has the rest.

Every task queued here must take JSON-able arguments and be safe to run
twice: a parked task may be queued again after its first enqueue did reach
a broker that failed before it answered.
"""

import logging
import math
import time

from celery import Task, current_app
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError

from core import shared_cache
from core.models import ParkedTask

logger = logging.getLogger(__name__)

REQUEUE_BATCH = 500
# How long a woken task counts as queued and not yet started. Past it, the
# next wake queues it again: a task lost inside the broker does not keep
# its work waiting for the sweeps, and one merely late runs twice, which
# every task here is safe to do.
WAKE_SECONDS = 10
# A process that woke a task this recently does not ask Redis again: the
# run that wake found queued, or queued, either has not started (it will
# see this work) or started at most this long ago, and a run looks for
# work once more when this long has passed since it started (`woken`).
# Under a burst of webhooks most wakes skip a Redis round trip.
WAKE_AGAIN_AFTER_SECONDS = 0.005
# task name -> time.monotonic() of this process's last wake that asked Redis.
_asked_at: dict[str, float] = {}


def enqueue_on_commit(task: Task, *args) -> None:
    """`task.delay(*args)` once the current transaction commits (at once
    outside one); parked if the broker cannot take it."""
    transaction.on_commit(lambda: enqueue(task, *args))


def wake_on_commit(task: Task) -> None:
    """Queue `task` (no arguments) once the current transaction commits,
    unless a run of it is queued and has not started yet: that run will
    see this transaction's work. Many requests then share one task, which
    takes all their work at once; it must call `woken` as it starts, and
    look for work once more at the moment `woken` returns, if it has not
    looked since."""
    transaction.on_commit(lambda: _wake(task))


def _wake(task: Task) -> None:
    # Taken before asking: the run this wake relies on starts after it.
    now = time.monotonic()
    if now - _asked_at.get(task.name, -math.inf) < WAKE_AGAIN_AFTER_SECONDS:
        return
    _asked_at[task.name] = now
    # Redis down: queue it (parked if the broker is the same Redis).
    if shared_cache.add(_wake_key(task), 1, timeout=WAKE_SECONDS, when_down=True):
        enqueue(task)


def woken(task: Task) -> float:
    """A woken task has started: the next wake queues another run, for
    work committed after this run has looked. Returns the moment
    (time.monotonic()) the run must look for work once more at or after
    before it ends: a wake skipped for following another within
    WAKE_AGAIN_AFTER_SECONDS relies on it."""
    shared_cache.delete(_wake_key(task), when_down=None)
    return time.monotonic() + WAKE_AGAIN_AFTER_SECONDS


def _wake_key(task: Task) -> str:
    return f"task-queue:woken:{task.name}"


def enqueue(task: Task, *args) -> None:
    try:
        task.delay(*args)
    except OperationalError:
        # The broker is unreachable or stalled: publishing fails within
        # seconds (CELERY_TASK_PUBLISH_RETRY_POLICY) and the caller's work
        # is already committed, so it is parked rather than raised.
        logger.warning("broker unreachable: parking %s%r", task.name, args)
        _park(task.name, args)
    except Exception:
        # A committed request must not fail for its follow-up: as
        # on_commit(robust=True) would, log it and go on; a sweep finds
        # the work.
        logger.exception("could not queue %s%r", task.name, args)


def _park(task_name: str, args: tuple) -> None:
    try:
        ParkedTask.objects.create(task=task_name, args=list(args))
    except DatabaseError:
        logger.exception("could not park %s%r; its sweep will find the work", task_name, args)


def requeue_parked(*, limit: int = REQUEUE_BATCH) -> int:
    """Queue the oldest parked tasks again and forget them. If the broker
    fails part-way, nothing is forgotten (the transaction rolls back), and
    the tasks already queued run twice, which they are safe to do. Workers
    running this at once skip each other's rows."""
    with transaction.atomic():
        parked = list(ParkedTask.objects.select_for_update(skip_locked=True).order_by("pk")[:limit])
        for row in parked:
            task = current_app.tasks.get(row.task)
            if task is None:
                # Renamed or removed since it was parked: its sweep finds
                # the work; keeping the row would fail every batch.
                logger.error("parked task %s no longer exists; dropped", row.task)
                continue
            task.delay(*row.args)
        ParkedTask.objects.filter(pk__in=[row.pk for row in parked]).delete()
    return len(parked)
