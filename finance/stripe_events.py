"""Finance's part of the Stripe webhook inbox: payout events, registered
with donations' inbox by FinanceConfig.ready()."""

from core import task_queue
from finance import tasks

PAYOUT_EVENTS = ("payout.paid", "payout.updated", "payout.failed")


def enqueue_payout_fetch(payout: dict) -> bool:
    """Fetch the payout and its lines after the event's transaction commits:
    fetching talks to Stripe, which must not happen under the event's row
    lock. An enqueue the broker refused is parked (core/task_queue.py); a
    task lost inside the broker is caught up by the hourly
    fetch_recent_payouts."""
    payout_id = payout["id"]
    task_queue.enqueue_on_commit(tasks.fetch_payout, payout_id)
    return True
