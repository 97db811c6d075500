"""A real Celery worker process on Redis, sharing the test database, for
integration tests that must not run tasks eagerly."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

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

    def __init__(self, *, log_path, localstripe_url: str, app: str = "hopefund", **environment: str):
        self.log_path = log_path
        # The benchmarks pass an app of their own that routes some tasks to
        # queues no worker consumes, so they can be counted, not run.
        self.app = app
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
        self.hostname = f"test-{os.getpid()}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.app,
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            self.hostname,
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

    def pool_process_ids(self) -> list[int]:
        """The prefork pool's processes (the main process's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def _wait_until_it_answers(self, timeout: float = 60) -> None:
        """Until the worker says it is ready (it logs so once it consumes
        from the broker, which may be another Redis than this process's)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()}")
            if f"{self.hostname} ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"worker did not start: {self.log_path.read_text()}")
