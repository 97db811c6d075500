"""Thin Celery wrappers around accounts' work. Each imports its work inside
the task, as in the other apps: that module imports this one to queue it."""

from celery import shared_task


@shared_task
def send_password_reset(email: str) -> None:
    from accounts import password_reset

    password_reset.send_password_reset(email=email)
