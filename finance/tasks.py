"""Thin Celery wrappers over finance.services; they take ids and are safe
to run twice."""

from datetime import timedelta

from celery import shared_task

from finance.models import AuditLogEntry
from finance.services import imports as gift_imports

# A file of 50,000 gifts takes minutes, far beyond the default task limit.
IMPORT_TIME_LIMIT = timedelta(minutes=45)


@shared_task(
    time_limit=int(IMPORT_TIME_LIMIT.total_seconds()),
    soft_time_limit=int(IMPORT_TIME_LIMIT.total_seconds()) - 60,
)
def run_gift_import(gift_import_id: int) -> str:
    """No automatic retry: a failed run is recorded as failed with nothing
    written, and a second delivery of this task finds the import claimed."""
    return gift_imports.run_import(gift_import_id=gift_import_id, channel=AuditLogEntry.Channel.WEB).status
