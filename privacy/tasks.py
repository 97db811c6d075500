"""Thin Celery wrappers over privacy.services; safe to run twice."""

from celery import shared_task


@shared_task
def prune_personal_data() -> dict[str, int]:
    """The daily run of the retention schedule (CELERY_BEAT_SCHEDULE)."""
    from dataclasses import asdict

    from privacy.services import retention

    return asdict(retention.prune_personal_data())
