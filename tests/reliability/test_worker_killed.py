"""A Celery worker SIGKILLed while a task is in flight: applying a Stripe
event, and sending a receipt. Killed either whole (its main process and
pool, as a lost machine) or one pool process (as the kernel's OOM killer
does). Either way, once a worker runs again there is one gift, recorded,
fee'd and receipted once, and one receipt email delivered.

The task is caught in flight by holding what it waits on, never by timing:
the event's worker is made to wait on the gift's row lock, which this test
holds; the receipt's send is held unanswered by the email provider. Which
pool process runs it is what the worker itself answers (`inspect active`).

Bounds (docs/architecture.md, "Delivery and sweeps"):
- one pool process killed: the main process puts the task back at once
  (`task_reject_on_worker_lost`) and a new pool process runs it: seconds;
- the whole worker killed: Redis hands its unacknowledged tasks to the
  next worker after the visibility timeout (150 s), which that worker
  looks for every 10 s: 160 s, plus the work itself. A lost event is also
  found by the redrive sweep (received over a minute ago, every 30 s),
  which can be sooner."""

import os
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from donations.models import Donation, StripeEvent
from receipts.emails import message_id
from receipts.models import Receipt
from tests.fake_email_provider import FakePostmark
from tests.gifts import THREE_D_SECURE_CARD
from tests.integration.conftest import wait_for
from tests.integration.workers import worker_database_url
from tests.localstripe import authenticate, card_payment_method
from tests.reliability.services import Stack
from tests.reliability.traffic import give, send_event
from tests.stripe_events import payment_intent_event

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

# What a task's own work takes once a worker runs it again (the event or
# the send, the fee lookup after it), on a loaded machine.
WORK_SECONDS = 20
# How long after a whole worker's death Redis gives its tasks to another.
_BROKER = settings.CELERY_BROKER_TRANSPORT_OPTIONS
REDELIVERED_AFTER_SECONDS = _BROKER["visibility_timeout"] + _BROKER["unacked_restore_interval"]


@dataclass(frozen=True)
class Kill:
    what: str
    # The bound this fault must be made good within, from the kill.
    within: float
    # Kills the pool process `pid` runs the task in, or its whole worker.
    do: Callable[[Stack, int], None]


def kill_pool_process(stack: Stack, pid: int) -> None:
    assert pid in stack.worker.pool_process_ids()
    os.kill(pid, signal.SIGKILL)


def kill_whole_worker(stack: Stack, pid: int) -> None:
    assert pid in stack.worker.pool_process_ids()
    stack.worker.kill()


POOL_PROCESS = Kill("one pool process", WORK_SECONDS, kill_pool_process)
WHOLE_WORKER = Kill("whole worker", REDELIVERED_AFTER_SECONDS + WORK_SECONDS, kill_whole_worker)
# Past the suite's per-test timeout: the bound, and the stack's start and stop.
STACK_SECONDS = 90
KILLS = pytest.mark.parametrize(
    "kill",
    [
        pytest.param(kill, id=kill.what.replace(" ", "-"), marks=pytest.mark.timeout(kill.within + STACK_SECONDS))
        for kill in (POOL_PROCESS, WHOLE_WORKER)
    ],
)


@pytest.fixture
def email_provider(tmp_path):
    """Postmark, writing what it takes into the stack's mailbox."""
    (tmp_path / "mail").mkdir()
    provider = FakePostmark(mail_dir=tmp_path / "mail").start()
    yield provider
    provider.stop()


@pytest.fixture
def stack_environment(email_provider):
    return email_provider.environment


@KILLS
def test_a_worker_killed_mid_event_leaves_it_applied_once_when_a_worker_runs_again(stack, settle, kill):
    """The event's transaction dies with its worker: nothing of it stays,
    and it is applied whole, once, by the task delivered again (or the
    sweep)."""
    answer = give(stack.web.url, 0, payment_method=card_payment_method(THREE_D_SECURE_CARD))
    assert (answer.status, answer.body["status"]) == (201, "requires_action")
    authenticate(answer.body["client_secret"], success=True)
    gift = Donation.objects.get(public_id=answer.body["id"])

    with gift_row_held(gift.pk) as holder_pid:
        succeeded = payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
        assert send_event(stack.web.url, succeeded).status == 200
        event = StripeEvent.objects.get()
        # In flight: the worker has the event's row and waits for the gift's.
        wait_for(lambda: backends_waiting_on(holder_pid), message="the worker to wait on the gift's row")
        pid = pool_process_running(stack, "donations.tasks.drain_stripe_events")
        killed_at = time.monotonic()
        kill.do(stack, pid)
    restart_if_gone(stack)

    result = settle(fault=f"worker killed mid-event ({kill.what})", attempted=1, since=killed_at, within=kill.within)
    result.assert_exact()
    assert (result.recorded, result.charged, result.receipts_sent) == (1, 1, 1)
    event.refresh_from_db()
    # The killed run's attempt was rolled back with the rest of it.
    assert (event.status, event.attempts) == (StripeEvent.Status.PROCESSED, 1)


@KILLS
def test_a_worker_killed_mid_receipt_send_leaves_one_email_delivered_when_a_worker_runs_again(
    stack, settle, email_provider, kill
):
    """The send the provider never answered is made again by the same task,
    delivered again: one email, with the same Message-ID."""
    email_provider.hold_next()
    answer = give(stack.web.url, 0)
    assert (answer.status, answer.body["status"]) == (201, "succeeded")

    # In flight: claimed (`sending`), and the message is at the provider.
    receipt = wait_for(lambda: Receipt.objects.filter(status=Receipt.Status.SENDING).first(), message="the claim")
    wait_for(email_provider.held, message="the send to reach the provider")
    pid = pool_process_running(stack, "receipts.tasks.send_email", "receipt", receipt.pk)
    killed_at = time.monotonic()
    kill.do(stack, pid)
    wait_for(lambda: email_provider.abandoned, message="the provider to see its client go")
    assert email_provider.delivered == []
    restart_if_gone(stack)

    result = settle(fault=f"worker killed mid-receipt ({kill.what})", attempted=1, since=killed_at, within=kill.within)
    result.assert_exact()
    assert (result.recorded, result.charged, result.receipts_sent) == (1, 1, 1)
    claimed_by = receipt.claimed_by
    receipt.refresh_from_db()
    # Sent by the killed task itself, delivered again: the sweep leaves a
    # claimed email to its task for the lease (ten minutes).
    assert (receipt.attempts, receipt.claimed_by) == (2, claimed_by)
    [delivered] = email_provider.delivered
    assert header(delivered, "Message-ID") == header(email_provider.abandoned[0], "Message-ID") == message_id(receipt)


@contextmanager
def gift_row_held(donation_pk: int):
    """The gift's row locked by a session of this test, as a slow writer
    would; yields that session's backend pid."""
    with psycopg.connect(worker_database_url()) as holder:
        holder.execute("SELECT 1 FROM donations_donation WHERE id = %s FOR UPDATE", [donation_pk])
        yield holder.execute("SELECT pg_backend_pid()").fetchone()[0]
        holder.rollback()


def backends_waiting_on(holder_pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [holder_pid])
        return [row[0] for row in cursor.fetchall()]


def pool_process_running(stack: Stack, task_name: str, *args) -> int:
    """The pool process the worker says runs this task."""
    hostname = stack.worker.hostname
    # An app of its own: remote control publishes through its app's broker,
    # whatever connection it is given, and this process's is not the stack's.
    control = Celery(broker=stack.redis.url).control

    def running() -> int | None:
        active = control.inspect([hostname], timeout=2).active() or {}
        for task in active.get(hostname, []):
            if task["name"] == task_name and tuple(task["args"]) == args and task["worker_pid"]:
                return task["worker_pid"]
        return None

    return wait_for(running, message=f"{task_name}{args} to run in a pool process")


def restart_if_gone(stack: Stack) -> None:
    """A whole worker killed is started again, as its supervisor would."""
    if stack.worker.process.poll() is not None:
        stack.worker = stack.new_worker()
        stack.worker.start()


def header(postmark_message: dict, name: str) -> str:
    return next(item["Value"] for item in postmark_message["Headers"] if item["Name"] == name)
