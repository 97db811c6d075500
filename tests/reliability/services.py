"""The production-shaped stack the reliability suite runs and breaks: a
private Redis on its own port (cache and broker), gunicorn, a Celery worker
and beat, all reaching PostgreSQL through a proxy the suite can cut, and
localstripe. Each is a real process, started and stopped here."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.conftest import ROOT, free_port, wait_for_http
from tests.integration.workers import CeleryWorker, worker_database_url
from tests.reliability.tcp_proxy import TcpProxy


class ServiceProcess:
    """A process in its own group, so that a kill takes its children too,
    with its output in `log_path`."""

    def __init__(self, command: list[str], *, log_path: Path, env: dict | None = None):
        self.command = command
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, *, grace: float = 10) -> None:
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RedisServer(ServiceProcess):
    """A Redis that keeps nothing on disk, like the machine's own: killed,
    it loses every queued task, as a real crash without persistence does."""

    def __init__(self, *, log_path: Path):
        self.port = free_port()
        super().__init__(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            log_path=log_path,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        deadline = time.monotonic() + 15
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or not self.running:
                    raise RuntimeError(f"redis did not start: {self.log()}") from None
                time.sleep(0.1)


class Gunicorn(ServiceProcess):
    """The web server as production runs it (gunicorn.conf.py, as the
    Dockerfile starts it), on a free port."""

    def __init__(self, *, log_path: Path, env: dict):
        self.port = free_port()
        super().__init__(
            [sys.executable, "-m", "gunicorn", "hopefund.wsgi:application", "--config", str(ROOT / "gunicorn.conf.py")],
            log_path=log_path,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2"},
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_for_http(f"{self.url}/healthz", timeout=60)


class Beat(ServiceProcess):
    def __init__(self, *, log_path: Path, env: dict, schedule_path: Path):
        super().__init__(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hopefund",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(schedule_path),
            ],
            log_path=log_path,
            env=env,
        )


class Stack:
    """Every process of one run, sharing one environment: the app's
    processes reach PostgreSQL only through `database_proxy`."""

    def __init__(self, *, workdir: Path, localstripe_url: str, **environment: str):
        self.workdir = workdir
        self.mail_dir = workdir / "mail"
        self.mail_dir.mkdir(exist_ok=True)
        self.redis = RedisServer(log_path=workdir / "redis.log")
        database_port = int(worker_database_url().rsplit(":", 1)[1].split("/", 1)[0])
        self.database_proxy = TcpProxy(database_port)
        self.localstripe_url = localstripe_url
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hopefund.settings.test",
            "DATABASE_URL": worker_database_url().replace(f":{database_port}/", f":{self.database_proxy.port}/"),
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "STRIPE_API_BASE": localstripe_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            **environment,
        }
        self.web = Gunicorn(log_path=workdir / "gunicorn.log", env=self.env)
        self.beat = Beat(log_path=workdir / "beat.log", env=self.env, schedule_path=workdir / "beat-schedule")
        self.worker = self.new_worker()

    def new_worker(self) -> CeleryWorker:
        """A worker on this stack (a test that kills one starts another)."""
        return CeleryWorker(log_path=self.workdir / "worker.log", localstripe_url=self.localstripe_url, **self.env)

    def start(self, *, beat: bool = True) -> None:
        self.redis.start()
        self.web.start()
        self.worker.start()
        if beat:
            self.beat.start()

    def stop(self) -> None:
        for process in (self.beat, self.web):
            process.stop()
        self.worker.stop()
        self.redis.kill()
        self.database_proxy.cut()

    def logs(self) -> str:
        parts = [f"--- {path.name}\n{path.read_text(errors='replace')[-6000:]}" for path in self.workdir.glob("*.log")]
        return "\n".join(parts)
