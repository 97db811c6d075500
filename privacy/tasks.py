from celery import shared_task

RETRYING = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(**RETRYING)
def send_request_confirmation(request_id: int) -> None:
    from privacy.services import requests

    requests.send_request_confirmation(request_id=request_id)
