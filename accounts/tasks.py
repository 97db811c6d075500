"""Thin Celery wrappers around accounts' work."""

from celery import shared_task


@shared_task
def send_password_reset(email: str) -> None:
    from accounts import password_reset

    password_reset.send_password_reset(email=email)
