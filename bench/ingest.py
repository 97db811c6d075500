"""Benchmark: Stripe's `payment_intent.succeeded` events for pending gifts,
through the webhook under gunicorn and two Celery workers into PostgreSQL,
against pgbench's single-row INSERT transactions on the same database.

    .venv/bin/python -m bench.ingest [--gifts 10000] [--senders 20] [--keep]

Creates the database bench_ingest (BENCH_DATABASE_URL to change it; dropped
first, and at the end unless --keep), migrates it and loads one campaign
with 20 teams and 200 fundraisers and `--gifts` pending gifts from half as
many donors, each with its PaymentIntent's id, in SQL. Then:

- pgbench: `--senders` clients, each running one-row INSERT transactions
  for `--pgbench-seconds`; its tps is the baseline;
- a private Redis, gunicorn as production runs it (gunicorn.conf.py) and
  two Celery workers of two processes each (bench/ingest_celery.py: the
  receipts' sends and Stripe's fee tasks go to queues nobody consumes, so
  they are counted, not run);
- every gift's event, shaped and signed as Stripe sends it, posted by
  `--senders` threads on kept-alive connections, each timing its answer.

Gifts fully processed a second: from the first send until every gift is
succeeded (its counters move in the same transaction) and its receipt's
send and its fee lookup are in their queues (a batch of gifts paid
together queues them through one task each, which a worker runs after
the batch commits). Then checks, each
failing the run: every answer 200, every event processed once, every gift
succeeded with exactly one receipt numbered 1..N, each receipt's send
queued exactly once, the counters equal to the ledger (reconcile_totals).
Exits 1 when a check fails or a target is missed: 500 gifts a second and
acknowledgement p99 under 50 ms.
"""

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from bench.common import (
    ONE_PART_PER_GIFT_SQL,
    ROOT,
    database_url,
    django_environment,
    drop_database,
    migrate,
    print_result,
    recreate_database,
    step,
    verdict,
)
from bench.ingest_celery import FOLLOW_UP_QUEUES

DATABASE_URL = database_url("bench_ingest")
TARGET_GIFTS_PER_SECOND = 500
TARGET_ACK_P99_MS = 50
WEBHOOK_SECRET = "whsec_bench_ingest"

LOAD_SQL = """
INSERT INTO campaigns_fund (slug, name, description, is_active, sort_order)
VALUES ('general', 'Where most needed', '', true, 0);

INSERT INTO campaigns_campaign (slug, title, story, goal_minor, currency, status, created_at, updated_at)
VALUES ('giving-tuesday', 'Giving Tuesday', '', 100000000, 'usd', 'active', now(), now());

INSERT INTO campaigns_team (slug, name, story, goal_minor, created_at, campaign_id, is_featured, is_hidden)
SELECT 'team-' || t, 'Team ' || t, '', 1000000, now(), 1, false, false FROM generate_series(1, 20) AS t;

INSERT INTO campaigns_fundraiser (slug, name, story, goal_minor, created_at, campaign_id, team_id, is_hidden, photo)
SELECT 'fundraiser-' || f, 'Fundraiser ' || f, '', 100000, now(), 1, (f - 1) %% 20 + 1, false, ''
FROM generate_series(1, 200) AS f;

INSERT INTO donations_donor (email, first_name, last_name, address_line1, address_line2, city, region,
                             postal_code, country, created_at, updated_at)
SELECT 'donor' || d || '@example.org', 'Ada', 'Lee', d || ' Main St', '', 'Springfield', 'IL', '62701', 'US',
       now(), now()
FROM generate_series(1, greatest(%(gifts)s / 2, 1)) AS d;

-- One gift in three to a team, one in six of those through a fundraiser.
INSERT INTO donations_donation (
    public_id, amount_minor, fee_covered_minor, currency, status, refunded_minor, payment_intent_id, source,
    frequency, anonymous, message, dedication, failure_code, failure_message, created_at, updated_at,
    campaign_id, team_id, fundraiser_id, donor_id, fund_id, donor_first_name, donor_last_name,
    donor_address_line1, donor_address_line2, donor_city, donor_region, donor_postal_code, donor_country,
    idempotency_fingerprint)
SELECT gen_random_uuid(), 500 + (i * 37 %% 2000) * 5, CASE WHEN i %% 4 = 0 THEN 60 ELSE 0 END, 'usd', 'pending', 0,
       'pi_bench_' || i, 'online', 'one_time', false, '', '', '', '', now(), now(), 1,
       CASE WHEN i %% 3 = 0 THEN i %% 20 + 1 END,
       CASE WHEN i %% 18 = 0 THEN i %% 20 + 1 + 20 * (i %% 10) END,
       i %% greatest(%(gifts)s / 2, 1) + 1, 1, 'Ada', 'Lee', i || ' Main St', '', 'Springfield', 'IL', '62701', 'US', ''
FROM generate_series(1, %(gifts)s) AS i;

CREATE TABLE bench_insert (id bigserial PRIMARY KEY, amount_minor integer NOT NULL, created_at timestamptz NOT NULL);
ANALYZE;
"""

PGBENCH_SCRIPT = "INSERT INTO bench_insert (amount_minor, created_at) VALUES (1000, now());\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=240, help="Give up on processing after this many seconds.")
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="py-spy the first worker and gunicorn into DIR (collapsed stacks)."
    )
    args = parser.parse_args()

    env = django_environment(DATABASE_URL, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    step(f"database {DATABASE_URL}", lambda: recreate_database(DATABASE_URL))
    try:
        step("migrate", lambda: migrate(env))
        step(f"load {args.gifts:,} pending gifts", lambda: load(args.gifts))
        baseline_tps = step("pgbench, one-row INSERT transactions", lambda: pgbench(args))
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as workdir:
            outcome = run_ingest(args, env, Path(workdir))
        failures = check(args.gifts, outcome)
    finally:
        if not args.keep:
            drop_database(DATABASE_URL)

    rate = outcome["gifts_per_second"]
    p50, p99 = outcome["ack_p50_ms"], outcome["ack_p99_ms"]
    ratio = rate / baseline_tps
    print(f"pgbench one-row INSERT, {args.senders} clients: {baseline_tps:,.0f} tps")
    done, seconds = outcome["done"], outcome["seconds"]
    print(f"gifts fully processed: {rate:,.0f}/s ({done:,} of {args.gifts:,} in {seconds:.1f} s), ratio {ratio:.3f}")
    print(f"  target {TARGET_GIFTS_PER_SECOND}/s: {verdict(rate >= TARGET_GIFTS_PER_SECOND)}")
    print(f"acknowledgement: p50 {p50:.1f} ms, p99 {p99:.1f} ms; all sent in {outcome['send_seconds']:.1f} s")
    print(f"  target p99 under {TARGET_ACK_P99_MS} ms: {verdict(p99 < TARGET_ACK_P99_MS)}")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    print_result("gifts_processed_per_second", rate, ratio)
    met = rate >= TARGET_GIFTS_PER_SECOND and p99 < TARGET_ACK_P99_MS
    return 0 if met and not failures else 1


def load(gifts: int) -> None:
    # Client-side binding: the number is merged into the script text.
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn, psycopg.ClientCursor(conn) as cursor:
        cursor.execute(LOAD_SQL + ONE_PART_PER_GIFT_SQL, {"gifts": gifts})


def pgbench(args) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(PGBENCH_SCRIPT)
        script.flush()
        answer = subprocess.run(
            ["pgbench", "-n", "-c", str(args.senders), "-j", "2", "-T", str(args.pgbench_seconds), "-f", script.name,
             DATABASE_URL],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return float(re.search(r"tps = ([\d.]+)", answer.stdout).group(1))


def events(gifts: int) -> list[bytes]:
    """Each gift's `payment_intent.succeeded`, as Stripe's fixtures shape it."""
    from tests.stripe_events import event, stripe_object

    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute(
            "SELECT payment_intent_id, public_id, amount_minor + fee_covered_minor FROM donations_donation ORDER BY id"
        ).fetchall()
    bodies = []
    for intent_id, public_id, charged in rows:
        intent = stripe_object(
            "payment_intent",
            id=intent_id,
            amount=charged,
            amount_received=charged,
            currency="usd",
            status="succeeded",
            latest_charge=intent_id.replace("pi_", "ch_"),
            metadata={"donation_id": str(public_id)},
        )
        bodies.append(json.dumps(event("payment_intent.succeeded", intent, event_id=f"evt_{intent_id}")).encode())
    return bodies


def run_ingest(args, env: dict, workdir: Path) -> dict:
    # CeleryWorker reads the database and broker from Django's settings.
    os.environ.update({"DJANGO_SETTINGS_MODULE": "hopefund.settings.test", "DATABASE_URL": DATABASE_URL})
    import django

    django.setup()
    from tests.integration.workers import CeleryWorker
    from tests.reliability.services import Gunicorn, RedisServer
    from tests.stripe_events import sign

    bodies = step("build and sign the events", lambda: events(args.gifts))
    redis_server = RedisServer(log_path=workdir / "redis.log")
    redis_server.start()
    env = {**env, "REDIS_URL": redis_server.url, "CELERY_BROKER_URL": redis_server.url, "CELERY_TASK_ALWAYS_EAGER": "0"}
    # Nothing here calls Stripe: a closed local port, should anything try.
    env["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    web = Gunicorn(log_path=workdir / "gunicorn.log", env=env)
    workers = [
        CeleryWorker(log_path=workdir / f"worker-{n}.log", localstripe_url=env["STRIPE_API_BASE"],
                     app="bench.ingest_celery", **env)
        for n in range(2)
    ]  # fmt: skip
    profilers = []
    try:
        step("start redis, gunicorn and two workers", lambda: [web.start(), *(w.start() for w in workers)])
        host, port = web.url.removeprefix("http://").split(":")
        latencies, statuses = [], []
        lock = threading.Lock()
        next_body = iter(range(len(bodies)))

        def sender() -> None:
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            mine, codes = [], []
            while True:
                with lock:
                    index = next(next_body, None)
                if index is None:
                    break
                body = bodies[index]
                headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body, secret=WEBHOOK_SECRET)}
                started = time.perf_counter()
                connection.request("POST", "/stripe/webhook/", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                mine.append(time.perf_counter() - started)
                codes.append(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            with lock:
                latencies.extend(mine)
                statuses.extend(codes)

        profilers = [] if args.profile is None else [
            profile(args.profile / f"{name}.txt", pid) for name, pid in (("worker", workers[0].process.pid),
                                                                        ("gunicorn", web.process.pid))
        ]  # fmt: skip
        print(f"sending {len(bodies):,} events from {args.senders} senders...", flush=True)
        started = time.monotonic()
        threads = [threading.Thread(target=sender) for _ in range(args.senders)]
        for thread in threads:
            thread.start()
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            for thread in threads:
                thread.join()
            send_seconds = time.monotonic() - started
            done = 0
            broker = redis_server_client(redis_server.url)
            while time.monotonic() - started < args.timeout:
                done = conn.execute("SELECT count(*) FROM donations_donation WHERE status = 'succeeded'").fetchone()[0]
                # Fully processed: paid, and each gift's follow-ups queued
                # for their own workers, past the tasks that fan them out.
                if done >= args.gifts and all(broker.llen(queue) >= args.gifts for queue in FOLLOW_UP_QUEUES.values()):
                    break
                time.sleep(0.05)
            seconds = time.monotonic() - started
        print(f"  {done:,} of {args.gifts:,} gifts succeeded after {seconds:.1f} s", flush=True)
        # The checks compare the database with the queues once nothing
        # moves any more: the workers have stopped (a warm stop ends the
        # batch they are applying).
        stop(profilers, web, workers)
        broker = redis_server_client(redis_server.url)
        queued = {queue: broker.llen(queue) for queue in FOLLOW_UP_QUEUES.values()}
    finally:
        stop(profilers, web, workers)
        redis_server.kill()
    latencies.sort()
    return {
        "seconds": seconds,
        "send_seconds": send_seconds,
        "done": done,
        "gifts_per_second": done / seconds,
        "ack_p50_ms": statistics.median(latencies) * 1000,
        "ack_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "statuses": statuses,
        "queued": queued,
        "env": env,
    }


def stop(profilers: list[subprocess.Popen], web, workers) -> None:
    for profiler in profilers:
        if profiler.poll() is None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
    web.stop()
    for worker in workers:
        worker.stop()


def profile(path: Path, pid: int) -> subprocess.Popen:
    path.parent.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", "50"]
    return subprocess.Popen([*command, "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def redis_server_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def check(gifts: int, outcome: dict) -> list[str]:
    failures = []
    not_ok = [status for status in outcome["statuses"] if status != 200]
    if not_ok or len(outcome["statuses"]) != gifts:
        failures.append(f"{len(not_ok)} answers were not 200 ({sorted(set(not_ok))}) of {len(outcome['statuses'])}")
    with psycopg.connect(DATABASE_URL) as conn:
        facts = {
            "gifts succeeded": "SELECT count(*) FROM donations_donation WHERE status = 'succeeded'",
            "events processed once": "SELECT count(*) FROM donations_stripeevent WHERE status = 'processed'"
            " AND attempts = 1",
            "receipts": "SELECT count(*) FROM receipts_receipt",
            "gifts with one receipt": "SELECT count(DISTINCT donation_id) FROM receipts_receipt",
            "receipt numbers 1..N": "SELECT count(DISTINCT sequence) FROM receipts_receipt"
            f" WHERE sequence BETWEEN 1 AND {gifts}",
            "campaign counter's gifts": "SELECT coalesce(sum(gift_count), 0) FROM donations_givingtotal"
            " WHERE team_id IS NULL AND fundraiser_id IS NULL",
        }
        for name, query in facts.items():
            found = conn.execute(query).fetchone()[0]
            if found != gifts:
                failures.append(f"{name}: {found}, not {gifts}")
    for queue, length in outcome["queued"].items():
        if length != gifts:
            failures.append(f"{queue}: {length} tasks queued, not {gifts}")
    reconcile = subprocess.run(
        [sys.executable, "manage.py", "reconcile_totals"], cwd=ROOT, env=outcome["env"], capture_output=True, text=True
    )
    if reconcile.returncode != 0:
        failures.append(f"reconcile_totals: {reconcile.stdout.strip()[:500]} {reconcile.stderr.strip()[-500:]}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
