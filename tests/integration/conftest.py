"""A real Celery worker process on Redis, sharing the live server's test
database, instead of eager mode."""

import time

import pytest
import redis
from django.conf import settings

from hopefund.celery import app as celery_app
from tests.fake_email_provider import FakePostmark
from tests.integration.workers import CeleryWorker


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
def fake_postmark():
    """Start fake Postmark APIs (tests/fake_email_provider.py)."""
    servers = []

    def start(**behaviour) -> FakePostmark:
        servers.append(FakePostmark(**behaviour).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def postmark_worker(localstripe_url, tmp_path):
    """Start workers sending through anymail's Postmark backend to a fake
    Postmark, with any other settings from `environment`; this process
    sends its tasks through the broker instead of running them eagerly."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    celery_app.conf.task_always_eager = False
    workers = []

    def start(provider: FakePostmark, **environment: str) -> CeleryWorker:
        worker = CeleryWorker(
            log_path=tmp_path / "worker.log",
            localstripe_url=localstripe_url,
            **provider.environment,
            **environment,
        )
        workers.append(worker)
        worker.start()
        return worker

    yield start
    celery_app.conf.task_always_eager = True
    for worker in workers:
        worker.stop()


def workers_are_idle() -> bool:
    """No task is queued on the broker, running, or held by a worker (a
    retry waiting for its countdown is held). Asks the first worker that
    answers, so call it with one worker running."""
    if redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(celery_app.conf.task_default_queue):
        return False
    inspect = celery_app.control.inspect(timeout=1, limit=1)
    found = [inspect.active(), inspect.reserved(), inspect.scheduled()]
    return all(replies is not None and not any(replies.values()) for replies in found)


def wait_for(condition, *, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")
