"""Thin Celery wrappers: they take ids and call services. Every task is
safe to run twice, concurrently, or late. Each imports its service inside
the task: services import this module to queue tasks, never the reverse
at load time."""

from datetime import timedelta

from celery import shared_task

from donations import selectors

# A failed event is retried by the task a few times with backoff, then by
# the beat sweep until it has had this many attempts in all.
MAX_EVENT_ATTEMPTS = 10
RETRYING = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(**RETRYING)
def process_stripe_event(event_pk: int) -> None:
    from donations.services import stripe_events

    stripe_events.process_stripe_event(event_pk=event_pk)


@shared_task(**RETRYING)
def drain_stripe_events() -> int:
    from donations.services import stripe_events

    return stripe_events.drain_stripe_events()


@shared_task
def redrive_stripe_events() -> int:
    stale = selectors.stripe_events_to_redrive(older_than=timedelta(minutes=1), max_attempts=MAX_EVENT_ATTEMPTS)
    for event_pk in stale:
        process_stripe_event.delay(event_pk)
    return len(stale)


@shared_task(**RETRYING)
def record_processing_fee(donation_id: int) -> None:
    from donations.services import fees

    fees.record_processing_fee(donation_id=donation_id)


@shared_task
def record_processing_fees(donation_ids: list[int]) -> None:
    """Queue each gift's own fee lookup: a batch of gifts paid together
    commits after one publish, not one a gift. Run twice, it queues them
    twice, and each fee is still recorded once (record_processing_fee
    skips a gift that has one); a lost one is left to record_missing_fees."""
    for donation_id in donation_ids:
        record_processing_fee.delay(donation_id)


@shared_task
def record_missing_fees() -> int:
    from donations.services import sweeps

    return sweeps.queue_missing_fees()


@shared_task
def end_finished_pauses() -> int:
    from donations.services import sweeps

    return sweeps.end_finished_pauses()


@shared_task
def resend_donor_notices() -> int:
    from donations.services import sweeps

    return sweeps.queue_unsent_donor_notices()


@shared_task(**RETRYING)
def send_renewal_failed_notice(donation_id: int) -> None:
    from donations.services import recurring

    recurring.send_renewal_failed_notice(donation_id=donation_id)


@shared_task(**RETRYING)
def send_plan_change_notice(change_id: int) -> None:
    from donations.services import recurring

    recurring.send_plan_change_notice(change_id=change_id)


@shared_task(**RETRYING)
def send_fresh_plan_link(plan_id: int) -> None:
    from donations.services import recurring

    recurring.send_fresh_link(plan_id=plan_id)


@shared_task(**RETRYING)
def settle_stale_gift(donation_id: int) -> None:
    from donations.services import gifts

    gifts.settle_stale_gift(donation_id=donation_id)


@shared_task
def settle_stale_gifts() -> int:
    """Gifts whose outcome never arrived: ask Stripe, or give up on gifts
    that never reached it."""
    stale = selectors.stale_in_flight_gifts(older_than=timedelta(minutes=10))
    for donation_id in stale:
        settle_stale_gift.delay(donation_id)
    return len(stale)
