"""Thin Celery wrappers over receipts.services; they take ids and are safe
to run twice."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from receipts import services

MAX_SEND_RETRIES = 6
# The sweep leaves emails this long to their own task first.
NEVER_TRIED_FOR = timedelta(minutes=1)
# Longer than the longest wait between two retries (below).
IDLE_FOR = timedelta(minutes=15)


def _send_or_retry(task, kind: str, pk: int) -> None:
    try:
        services.send_email(kind=kind, pk=pk)
    except Exception as exc:
        if task.request.retries >= MAX_SEND_RETRIES:
            services.give_up(kind=kind, pk=pk)
            return
        # 2, 4, 8 ... seconds, at most ten minutes.
        raise task.retry(exc=exc, countdown=min(2 ** (task.request.retries + 1), 600)) from exc


@shared_task(bind=True, max_retries=MAX_SEND_RETRIES)
def send_email(self, kind: str, pk: int) -> None:
    _send_or_retry(self, kind, pk)


@shared_task(bind=True, max_retries=MAX_SEND_RETRIES)
def send_receipt(self, receipt_id: int) -> None:
    _send_or_retry(self, "receipt", receipt_id)


@shared_task
def resend_stalled_emails() -> int:
    return services.resend_stalled(never_tried_for=NEVER_TRIED_FOR, idle_for=IDLE_FOR)


@shared_task
def queue_update_batch(update_id: int, after_donor_id: int) -> None:
    services.queue_update_batch(update_id=update_id, after_donor_id=after_donor_id)


@shared_task
def send_last_years_statements() -> int:
    """Scheduled by beat in January."""
    year = timezone.localdate().year - 1
    return services.issue_year_end_statements(year=year).new_statements
