"""The beat sweeps of donations' outboxes: each finds, in the database,
work whose task was never queued (the broker was down when it was
accepted) or was lost (its worker died), and queues it again. Every task
queued here is safe to run twice, so a sweep that overlaps a task still
on its way costs a little work, never a double effect. Each is bounded:
at most SWEEP_BATCH items a tick, the oldest first."""

from datetime import timedelta

from donations import selectors, tasks
from donations.services import effects, recurring

SWEEP_BATCH = 200
# Longer than a task's own retries take (tasks.RETRYING: five, at most 62 s
# in all), so the sweep does not race them.
LEFT_TO_THEIR_TASK_FOR = timedelta(minutes=2)
# A fee or a donor's notice still missing after this is left to staff: by
# then something other than a lost task is wrong, and a sweep that asked
# Stripe (or mailed a donor) about it every tick for ever would not help.
GIVEN_UP_AFTER = timedelta(days=3)
# A fresh link sent a day after it was asked for helps nobody.
FRESH_LINK_WANTED_FOR = timedelta(days=1)


def queue_missing_fees() -> int:
    """Online gifts paid whose Stripe fee lookup never ran or failed."""
    donation_ids = selectors.gifts_without_fee(
        older_than=LEFT_TO_THEIR_TASK_FOR, within=GIVEN_UP_AFTER, limit=SWEEP_BATCH
    )
    for donation_id in donation_ids:
        tasks.record_processing_fee.delay(donation_id)
    return len(donation_ids)


def queue_unsent_donor_notices() -> int:
    """Emails donations sends itself (not through receipts' outbox): plan
    changes, fresh links and failed renewals that were never sent."""
    window = {"older_than": LEFT_TO_THEIR_TASK_FOR, "limit": SWEEP_BATCH}
    changes = selectors.plan_changes_not_told(within=GIVEN_UP_AFTER, **window)
    for change_id in changes:
        tasks.send_plan_change_notice.delay(change_id)
    links = selectors.fresh_links_not_sent(within=FRESH_LINK_WANTED_FOR, **window)
    for plan_id in links:
        tasks.send_fresh_plan_link.delay(plan_id)
    failures = selectors.renewal_failures_not_told(failure_code=effects.RENEWAL_FAILED, within=GIVEN_UP_AFTER, **window)
    for donation_id in failures:
        tasks.send_renewal_failed_notice.delay(donation_id)
    return len(changes) + len(links) + len(failures)


def end_finished_pauses() -> int:
    """Monthly gifts whose pause has ended: Stripe collects again on its
    own at the pause's end and may send no event to say so, so the plans
    are shown active again from here, and each donor told once."""
    return recurring.end_finished_pauses(plan_ids=selectors.plans_whose_pause_ended(limit=SWEEP_BATCH))
