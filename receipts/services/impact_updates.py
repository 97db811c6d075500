"""Impact updates: sent to their audience in pages of donors, each donor
once, never to a suppressed address."""

from django.db import transaction
from django.utils import timezone

from core import task_queue
from receipts import emails, outbox, selectors, tasks
from receipts.models import ImpactUpdate, OutboundEmail, UpdateDelivery

Status = OutboundEmail.Status

UPDATE_BATCH_SIZE = 500

UPDATE_EMAIL = outbox.register_kind(
    "update",
    model=UpdateDelivery,
    load=selectors.update_delivery_with_update,
    build=emails.update_message,
    created_field="created_at",
    # Impact updates are marketing: suppressed addresses are skipped, also
    # those suppressed after the delivery was queued, as are donors who
    # turned updates off since. Everything else is transactional and
    # always sent.
    skip_if=lambda delivery: not delivery.donor.wants_updates or selectors.is_suppressed(delivery.donor.email),
)


def start_sending_update(*, update_id: int) -> ImpactUpdate:
    """Send an update to its audience, in batches through Celery. Starting
    it again while it is sending goes over the audience again, which only
    queues donors that were missed: each donor gets it once."""
    with transaction.atomic():
        update = ImpactUpdate.objects.select_for_update().get(pk=update_id)
        if update.status == ImpactUpdate.Status.SENT:
            return update
        if update.status == ImpactUpdate.Status.DRAFT:
            update.status = ImpactUpdate.Status.SENDING
            update.send_started_at = timezone.now()
            update.save(update_fields=["status", "send_started_at"])
        task_queue.enqueue_on_commit(tasks.queue_update_batch, update_id, 0)
    return update


def queue_update_batch(*, update_id: int, after_donor_id: int) -> None:
    """One page of the audience: a delivery per donor (skipped for
    suppressed addresses), each queued, then the next page queued."""
    update = ImpactUpdate.objects.get(pk=update_id)
    if update.status == ImpactUpdate.Status.DRAFT:
        return
    donors = selectors.update_audience_page(update, after_donor_id=after_donor_id, limit=UPDATE_BATCH_SIZE)
    suppressed = selectors.suppressed_among([email for _, email in donors])
    donor_ids = [donor_id for donor_id, _ in donors]
    with transaction.atomic():
        UpdateDelivery.objects.bulk_create(
            [
                UpdateDelivery(
                    update=update, donor_id=donor_id, status=Status.SKIPPED if email in suppressed else Status.PENDING
                )
                for donor_id, email in donors
            ],
            ignore_conflicts=True,
        )
        pending = UpdateDelivery.objects.filter(update=update, donor_id__in=donor_ids, status=Status.PENDING)
        for pk in pending.values_list("pk", flat=True):
            outbox.send_on_commit(kind=UPDATE_EMAIL, pk=pk)
        if len(donors) == UPDATE_BATCH_SIZE:
            next_after = donor_ids[-1]
            task_queue.enqueue_on_commit(tasks.queue_update_batch, update_id, next_after)
        else:
            ImpactUpdate.objects.filter(pk=update_id).update(
                status=ImpactUpdate.Status.SENT, all_queued_at=timezone.now()
            )


def send_update_test(*, update_id: int, to: str) -> None:
    """Send an update to a member of staff, now (one email, outside any
    transaction); provider errors reach the caller."""
    emails.update_test_message(ImpactUpdate.objects.get(pk=update_id), to=to).send()
