"""Thin Celery wrappers over privacy.services; safe to run twice."""

from celery import shared_task

RETRYING = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 300, "max_retries": 5}


@shared_task
def prune_personal_data() -> dict[str, int]:
    """The daily run of the retention schedule (CELERY_BEAT_SCHEDULE)."""
    from dataclasses import asdict

    from privacy.services import retention

    return asdict(retention.prune_personal_data())


@shared_task(**RETRYING)
def send_request_confirmation(request_id: int) -> None:
    from privacy.services import requests

    requests.send_request_confirmation(request_id=request_id)
