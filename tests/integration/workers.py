"""A real Celery worker process on Redis, sharing the test database, for
integration tests that must not run tasks eagerly."""

import os
import signal
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import connection

from hopefund.celery import app as celery_app
from tests.conftest import ROOT

# A warm shutdown waits for running tasks; on a loaded machine a batch can
# outlive a test, and a teardown must not fail a test that passed.
GRACEFUL_STOP_SECONDS = 15


def worker_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class CeleryWorker:
    """A prefork worker with two pool processes in its own process group,
    so that a kill takes the pool processes too, as a crash would."""

    def __init__(self, *, log_path, localstripe_url: str, **environment: str):
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hopefund.settings.test",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "STRIPE_API_BASE": localstripe_url,
            **environment,
        }
        self.process = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hopefund",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h",
        ]
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_it_answers()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=GRACEFUL_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def _wait_until_it_answers(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()}")
            if celery_app.control.ping(timeout=0.5):
                return
        self.kill()
        raise TimeoutError(f"worker did not start: {self.log_path.read_text()}")
