"""Thin Celery wrappers over finance's services: they take ids and are
safe to run twice. Each imports its service inside the task, so services
may import this module to queue tasks."""

import logging
from datetime import timedelta

from celery import shared_task

from finance.models import AuditLogEntry
from payments.stripe import NotFound, StripeUnavailable

logger = logging.getLogger(__name__)

# A file of 50,000 gifts takes minutes, far beyond the default task limit.
IMPORT_TIME_LIMIT = timedelta(minutes=45)
# How far back the hourly sweep looks: long enough to see a paid payout
# turn failed, which Stripe reports within a few business days.
RECENT_PAYOUT_DAYS = 14
STRIPE_RETRYING = {
    "autoretry_for": (StripeUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(
    time_limit=int(IMPORT_TIME_LIMIT.total_seconds()),
    soft_time_limit=int(IMPORT_TIME_LIMIT.total_seconds()) - 60,
    # Acknowledged as it starts: it runs far longer than Redis's visibility
    # timeout, which would otherwise hand it to a second worker midway. The
    # import's own claim stands in: the beat sweep (resume_stalled_imports)
    # queues it again once the claim's lease is over.
    acks_late=False,
)
def run_gift_import(gift_import_id: int) -> str:
    """No automatic retry: a failed run is recorded as failed with nothing
    written, and a second delivery of this task finds the import claimed."""
    from finance.imports import runner as gift_imports

    return gift_imports.run_import(gift_import_id=gift_import_id, channel=AuditLogEntry.Channel.WEB).status


@shared_task
def resume_stalled_imports() -> int:
    from finance.imports import runner as gift_imports

    return gift_imports.queue_stalled_imports()


@shared_task(**STRIPE_RETRYING)
def fetch_payout(stripe_payout_id: str) -> None:
    from finance.services import payouts

    try:
        payouts.fetch_payout(stripe_payout_id=stripe_payout_id)
    except NotFound:
        # Asking again would get the same answer: not a payout of this account.
        logger.warning("Stripe has no payout %s; nothing recorded", stripe_payout_id)


@shared_task(**STRIPE_RETRYING)
def fetch_recent_payouts() -> int:
    from finance.services import payouts

    to_fetch = payouts.payouts_to_fetch(days=RECENT_PAYOUT_DAYS)
    for stripe_payout_id in to_fetch:
        fetch_payout.delay(stripe_payout_id)
    return len(to_fetch)
