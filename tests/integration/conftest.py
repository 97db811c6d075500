"""A real Celery worker process on Redis, sharing the live server's test
database, instead of eager mode."""

import time

import pytest
import redis
from django.conf import settings

from hopefund.celery import app as celery_app
from tests.integration.workers import CeleryWorker
from tests.localstripe import send_webhooks_to


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def celery_worker_process(live_server, localstripe_url, mail_dir, tmp_path):
    """Start a worker writing mail to `mail_dir` and switch this process
    from eager mode to sending tasks through the broker."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    worker = CeleryWorker(
        log_path=tmp_path / "worker.log",
        localstripe_url=localstripe_url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    celery_app.conf.task_always_eager = False
    try:
        worker.start()
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.stop()


@pytest.fixture
def localstripe_webhooks_to(localstripe_url):
    """Have localstripe deliver its events to a URL, signed with our secret."""
    return send_webhooks_to


def wait_for(condition, *, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")
