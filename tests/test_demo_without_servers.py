"""The demo's settings (hopefund/settings/dev.py) need no server: with
Redis unreachable, what must be shared between its processes still is.
The shared cache is a SQLite file (core/file_cache.py) and Celery's broker
a folder (kombu's filesystem transport), and `make demo` (scripts/demo.sh)
gives a gift its receipt with nothing else running.

Every process runs in its own session, and whatever of its group a test
leaves running is killed after it, with bounded waits: nothing outlives a
test."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.gifts import gift_body
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

STOP_SECONDS = 20


@pytest.fixture
def no_redis_env(tmp_path):
    """The demo's settings, its files in this test's folder, and a Redis
    URL where nothing listens: a use of Redis would fail or fail open."""
    closed_port = free_port()
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "hopefund.settings.dev",
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0",
        "SECRET_KEY": "test-only-demo-secret-key",
    }


@pytest.fixture
def processes():
    """Start processes in sessions of their own; whatever a test left
    running is killed after it (nothing they hold outlives tmp_path, so no
    warm shutdown is waited for: a Celery worker's takes about 7 s)."""
    started = []

    def start(command, *, env, **options):
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """Kill the process's whole group and wait (boundedly) until it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    wait_for(lambda: not group_alive(process.pid), timeout=10, message="the killed group to go")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies of the group count as gone.
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


COUNTER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import django
    django.setup()
    from core import rate_limit, shared_cache
    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.01)
    counts = [shared_cache.count_in_window("demo-test:counter", window=600, when_down=None) for _ in range(100)]
    allowed = sum(
        rate_limit.seconds_until_allowed(scope="demo-test", identity="203.0.113.9", rate="150/d", fail_safe=True) == 0
        for _ in range(100)
    )
    print(json.dumps({"counts": counts, "allowed": allowed}))
    """
)


def test_two_processes_count_every_attempt_once_against_one_limit_with_redis_unreachable(
    no_redis_env, processes, tmp_path
):
    go = tmp_path / "go"
    counters = [
        processes([sys.executable, "-c", COUNTER, str(go)], env=no_redis_env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    # Both are set up and waiting before either counts, so they race.
    time.sleep(2)
    go.touch()
    results = []
    for counter in counters:
        out, _ = counter.communicate(timeout=60)
        assert counter.returncode == 0
        results.append(json.loads(out))

    counts = results[0]["counts"] + results[1]["counts"]
    # Every count was handed out once: none lost, none doubled.
    assert sorted(counts) == list(range(1, 201))
    # With Redis unreachable a fail-safe limit would have raised; one that
    # failed open would have let all 200 through. Exactly the limit passed.
    assert results[0]["allowed"] + results[1]["allowed"] == 150


def start_worker(processes, env, log: Path, *, app: str = "tests.filesystem_broker_app") -> subprocess.Popen:
    hostname = f"demo-test-{os.getpid()}@localhost"
    command = [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=prefork", "--concurrency=1"]
    command += ["--without-gossip", "--without-mingle", "--loglevel=INFO", "--hostname", hostname]
    with log.open("a") as out:
        worker = processes(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(
        lambda: worker.poll() is not None or f"{hostname} ready." in log.read_text(errors="replace"),
        timeout=60,
        message="the worker to be ready",
    )
    assert worker.poll() is None, log.read_text()
    return worker


SENDER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from core.task_queue import enqueue
    from tests.filesystem_broker_app import write_which_process_ran_me
    enqueue(write_which_process_ran_me, sys.argv[1])
    """
)


def test_a_task_sent_by_one_process_is_run_by_the_worker_over_the_broker_folder(no_redis_env, processes, tmp_path):
    worker = start_worker(processes, no_redis_env, tmp_path / "worker.log")
    ran = tmp_path / "ran"

    sender = processes([sys.executable, "-c", SENDER, str(ran)], env=no_redis_env, stderr=subprocess.PIPE, text=True)
    _, errors = sender.communicate(timeout=60)
    assert sender.returncode == 0, errors
    # Not parked: the broker took it (a parked task would wait for beat).
    assert "parking" not in errors

    wait_for(ran.exists, timeout=15, message="the worker to run the task")
    assert int(ran.read_text()) not in (sender.pid, worker.pid)  # a pool process of the worker
    assert "Redis" not in (tmp_path / "worker.log").read_text()


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


# Starting the demo migrates and seeds a fresh SQLite database: about 20 s
# of a loaded machine's time, and the receipts of seed_demo's gifts go out
# before this test's.
@pytest.mark.timeout(180)
def test_make_demos_script_gives_a_gift_its_receipt_with_no_server_running(no_redis_env, processes, tmp_path):
    port, localstripe_port = free_port(), free_port()
    env = {**no_redis_env, "PORT": str(port), "LOCALSTRIPE_PORT": str(localstripe_port), "DEMO_PYTHON": sys.executable}
    var = Path(env["VAR_DIR"])
    output = tmp_path / "demo.out"
    with output.open("w") as out:
        demo = processes([str(ROOT / "scripts" / "demo.sh")], env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(
        lambda: demo.poll() is not None or "Hopefund demo is running" in output.read_text(),
        timeout=60,
        message="the demo to start",
    )
    assert demo.poll() is None, output.read_text()
    mail = var / "mail"
    # seed_demo's receipts go out first; the one to wait for is this gift's.
    donor = "grace.demo-test@example.org"

    gift = post_json(f"http://127.0.0.1:{port}/api/donations/", gift_body(donor__email=donor))

    assert gift["status"] == "succeeded"
    receipt = wait_for(
        lambda: [path for path in mail.iterdir() if donor in path.read_text(errors="replace")],
        timeout=30,
        message="the gift's receipt in var/mail/",
    )
    assert "Subject: Your tax receipt" in receipt[0].read_text()
    # localstripe's webhook reached the web server, and the event drain it
    # woke ran in the worker: every event is processed.
    wait_for(lambda: stripe_events_all_processed(var / "db.sqlite3"), timeout=20, message="the events' drain")
    assert "Redis" not in (var / "log" / "worker.log").read_text()

    # Ctrl-C: the whole demo stops (the worker's warm shutdown takes about
    # 7 s), and nothing of it is left running.
    os.killpg(demo.pid, signal.SIGINT)
    wait_for(lambda: not group_alive(demo.pid), timeout=STOP_SECONDS, message="the demo to stop on Ctrl-C")
    assert demo.wait(timeout=5) is not None


def stripe_events_all_processed(database: Path) -> bool:
    import sqlite3

    with sqlite3.connect(database, timeout=5) as connection:
        statuses = [status for (status,) in connection.execute("SELECT status FROM donations_stripeevent")]
    return bool(statuses) and all(status == "processed" for status in statuses)
