"""Thin Celery wrappers for finance: they take ids and call services, and
are safe to run twice."""

import logging

from celery import shared_task

from donations.stripe_gateway import NotFound, StripeUnavailable
from finance.services import payouts

logger = logging.getLogger(__name__)

# --- Payouts --------------------------------------------------------------

# How far back the hourly sweep looks: long enough to see a paid payout
# turn failed, which Stripe reports within a few business days.
RECENT_PAYOUT_DAYS = 14
STRIPE_RETRYING = {"autoretry_for": (StripeUnavailable,), "retry_backoff": 2, "retry_backoff_max": 300,
                   "max_retries": 5}


@shared_task(**STRIPE_RETRYING)
def fetch_payout(stripe_payout_id: str) -> None:
    try:
        payouts.fetch_payout(stripe_payout_id=stripe_payout_id)
    except NotFound:
        # Asking again would get the same answer: not a payout of this account.
        logger.warning("Stripe has no payout %s; nothing recorded", stripe_payout_id)


@shared_task(**STRIPE_RETRYING)
def fetch_recent_payouts() -> int:
    to_fetch = payouts.payouts_to_fetch(days=RECENT_PAYOUT_DAYS)
    for stripe_payout_id in to_fetch:
        fetch_payout.delay(stripe_payout_id)
    return len(to_fetch)
