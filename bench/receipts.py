"""Benchmark: receipts rendered with their PDF and sent through anymail's
Postmark backend to a local fake Postmark by a Celery worker's two pool
processes on Redis, against the fake provider's own rate for bare POSTs of
the same message from two processes.

    .venv/bin/python -m bench.receipts [--receipts 2000] [--keep] [--profile DIR]

2,000 by default: at the 10 to 15 receipts a second this shared 2-core
machine gives, the issue's 10,000 (`--receipts 10000`) take 12 minutes or
more, past `--timeout`'s 600 s default; raise both together.

Creates the database bench_receipts (BENCH_DATABASE_URL to change it;
dropped first, and at the end unless --keep), migrates it and loads, in SQL,
`--receipts` succeeded gifts from half as many donors, each with its
pending receipt and the record it was issued with (what a gift's success
leaves behind). Starts tests/fake_email_provider.py::FakePostmark in this
process, queues one `send_email` task per receipt on Redis (BENCH_REDIS_URL,
flushed first; database 10 by default), then starts a worker
(tests/integration/workers.py::CeleryWorker: prefork, two pool processes)
sending through anymail's Postmark backend to the fake.

Receipts a second: from the worker being ready until every receipt is
`sent`. Then checks, each failing the run: every receipt sent after one
attempt, the provider took exactly one message per receipt (by its
Message-ID, and one per recipient address), each with its PDF.

Baseline: two processes POSTing the first message the provider took,
byte for byte, to the same fake, one new connection each as anymail makes,
for `--baseline-posts` in all.
Exits 1 when a check fails or the target (100 receipts a second) is missed.
"""

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

from bench.common import (
    ONE_PART_PER_GIFT_SQL,
    database_url,
    django_environment,
    drop_database,
    migrate,
    print_result,
    recreate_database,
    step,
    verdict,
)

DATABASE_URL = database_url("bench_receipts")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
TARGET_RECEIPTS_PER_SECOND = 100

# Gift i was received on 1 December 2026 at i seconds past 10:00 UTC; its
# receipt is 2026-00000i, for its donor as given with the gift.
LOAD_SQL = """
INSERT INTO campaigns_fund (slug, name, description, is_active, sort_order)
VALUES ('rescue', 'Rescue', '', true, 0);

INSERT INTO campaigns_campaign (slug, title, story, goal_minor, currency, status, created_at, updated_at)
VALUES ('giving-tuesday', 'Giving Tuesday', '', 100000000, 'usd', 'active', now(), now());

INSERT INTO donations_donor (email, first_name, last_name, address_line1, address_line2, city, region,
                             postal_code, country, created_at, updated_at)
SELECT 'donor' || d || '@example.org', 'Ada', 'Lee', d || ' Main St', '', 'Springfield', 'IL', '62701', 'US',
       now(), now()
FROM generate_series(1, greatest(%(receipts)s / 2, 1)) AS d;

INSERT INTO donations_donation (
    public_id, amount_minor, fee_covered_minor, currency, status, refunded_minor, payment_intent_id, charge_id,
    source, frequency, anonymous, message, dedication, failure_code, failure_message, created_at, succeeded_at,
    updated_at, campaign_id, donor_id, fund_id, donor_first_name, donor_last_name, donor_address_line1,
    donor_address_line2, donor_city, donor_region, donor_postal_code, donor_country, idempotency_fingerprint)
SELECT gen_random_uuid(), 500 + (i * 37 %% 2000) * 5, 0, 'usd', 'succeeded', 0, 'pi_bench_' || i, 'ch_bench_' || i,
       'online', 'one_time', false, '', '', '', '', at, at, at, 1, i %% greatest(%(receipts)s / 2, 1) + 1, 1,
       'Ada', 'Lee', i || ' Main St', '', 'Springfield', 'IL', '62701', 'US', ''
FROM (SELECT i, timestamptz '2026-12-01 10:00:00+00' + i * interval '1 second' AS at
      FROM generate_series(1, %(receipts)s) AS i) AS gift;

INSERT INTO receipts_receipt (year, sequence, number, status, attempts, last_error, claimed_by, issued_at,
                              donation_id, amount_minor, benefit_description, benefit_value_minor, currency, record)
SELECT 2026, g.id, '2026-' || lpad(g.id::text, 6, '0'), 'pending', 0, '', '', g.succeeded_at, g.id,
       g.amount_minor, '', 0, 'usd',
       jsonb_build_object(
           'number', '2026-' || lpad(g.id::text, 6, '0'), 'title', 'Donation receipt', 'replaces_number', NULL,
           'org_name', 'Hopefund', 'org_address', '1 Hope Street, Springfield, IL 62701',
           'org_tax_id', '12-3456789', 'donor_first_name', 'Ada', 'donor_name', 'Ada Lee',
           'donor_address_lines', jsonb_build_array(g.donor_address_line1, 'Springfield, IL 62701', 'US'),
           'donor_email', d.email, 'gift_date', 'December 1, 2026', 'issued_date', 'December 1, 2026',
           'issued_at', to_char(g.succeeded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           'amount', '$' || to_char(g.amount_minor / 100.0, 'FM999,990.00'), 'currency', 'USD',
           'fund', 'Rescue', 'campaign', 'Giving Tuesday',
           'benefit_statement', 'No goods or services were provided in exchange for this contribution.',
           'exemption_statement', 'Hopefund is a tax-exempt charitable organization. Tax ID (EIN): 12-3456789')
FROM donations_donation g JOIN donations_donor d ON d.id = g.donor_id;

INSERT INTO receipts_receiptsequence (year, last_number) SELECT 2026, count(*) FROM receipts_receipt;
ANALYZE;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=2_000)
    parser.add_argument("--baseline-posts", type=int, default=4_000)
    parser.add_argument("--timeout", type=float, default=600, help="Give up on sending after this many seconds.")
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="py-spy the worker into DIR (collapsed stacks).")
    args = parser.parse_args()

    env = django_environment(
        DATABASE_URL, REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="0"
    )
    step(f"database {DATABASE_URL}", lambda: recreate_database(DATABASE_URL))
    try:
        step("migrate", lambda: migrate(env))
        step(f"load {args.receipts:,} gifts with pending receipts", lambda: load(args.receipts))
        with tempfile.TemporaryDirectory(prefix="bench-receipts-") as workdir:
            outcome = run_sends(args, env, Path(workdir))
        failures = check(args.receipts, outcome["delivered"])
    finally:
        if not args.keep:
            drop_database(DATABASE_URL)

    rate = outcome["receipts_per_second"]
    baseline = outcome["baseline_per_second"]
    ratio = rate / baseline
    print(f"fake Postmark, bare POSTs of one receipt's message ({outcome['message_kb']:.0f} kB), 2 processes:"
          f" {baseline:,.0f}/s")  # fmt: skip
    print(f"receipts sent: {rate:,.1f}/s ({outcome['sent']:,} in {outcome['seconds']:.1f} s), ratio {ratio:.3f}")
    print(f"  worker CPU per receipt: {outcome['worker_cpu_ms']:.1f} ms (pool processes and their parent)")
    print(f"  target {TARGET_RECEIPTS_PER_SECOND}/s: {verdict(rate >= TARGET_RECEIPTS_PER_SECOND)}")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    print_result("receipts_per_second", rate, ratio)
    return 0 if rate >= TARGET_RECEIPTS_PER_SECOND and not failures else 1


def load(receipts: int) -> None:
    # Client-side binding: the number is merged into the script text.
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn, psycopg.ClientCursor(conn) as cursor:
        cursor.execute(LOAD_SQL + ONE_PART_PER_GIFT_SQL, {"receipts": receipts})


def run_sends(args, env: dict, workdir: Path) -> dict:
    # CeleryWorker reads the database and broker from Django's settings.
    os.environ.update({key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")})
    os.environ.update({"CELERY_BROKER_URL": REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0"})
    import django

    django.setup()
    import redis

    from hopefund.celery import app
    from receipts import tasks
    from receipts.services.receipts import RECEIPT_EMAIL
    from tests.fake_email_provider import FakePostmark
    from tests.integration.workers import CeleryWorker

    redis.Redis.from_url(REDIS_URL).flushdb()
    with psycopg.connect(DATABASE_URL) as conn:
        pks = [pk for (pk,) in conn.execute("SELECT id FROM receipts_receipt ORDER BY id")]

    def enqueue() -> None:
        with app.producer_or_acquire() as producer:
            for pk in pks:
                tasks.send_email.apply_async((RECEIPT_EMAIL, pk), producer=producer)

    step(f"queue {len(pks):,} send_email tasks", enqueue)
    provider = FakePostmark().start()
    # Nothing here calls Stripe: a closed local port, should anything try.
    worker = CeleryWorker(log_path=workdir / "worker.log", localstripe_url="http://127.0.0.1:9", **provider.environment)
    profiler = None
    try:
        step("start the worker (two pool processes)", worker.start)
        started = time.monotonic()
        cpu_at_start = worker_cpu_seconds(worker)
        if args.profile is not None:
            profiler = py_spy(args.profile / "worker.txt", worker.process.pid)
        sent = 0
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            while time.monotonic() - started < args.timeout:
                sent = conn.execute("SELECT count(*) FROM receipts_receipt WHERE status = 'sent'").fetchone()[0]
                if sent >= len(pks):
                    break
                time.sleep(0.05)
        seconds = time.monotonic() - started
        worker_cpu = worker_cpu_seconds(worker) - cpu_at_start
        print(f"  {sent:,} of {len(pks):,} receipts sent after {seconds:.1f} s", flush=True)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        worker.stop()
    # Anything still in flight settles before the provider is counted.
    time.sleep(1)
    delivered = list(provider.delivered)
    body = json.dumps(delivered[0]).encode() if delivered else b"{}"
    baseline = step(f"baseline: {args.baseline_posts:,} bare POSTs", lambda: bare_post_rate(provider.url, body, args))
    provider.stop()
    return {
        "sent": sent,
        "seconds": seconds,
        "receipts_per_second": sent / seconds,
        "delivered": delivered,
        "baseline_per_second": baseline,
        "message_kb": len(body) / 1024,
        "worker_cpu_ms": worker_cpu * 1000 / max(sent, 1),
    }


def worker_cpu_seconds(worker) -> float:
    """CPU time (user and system) of the worker and its pool processes so
    far: on a shared machine, what a receipt costs when the wall clock
    also counts other people's work."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in (worker.process.pid, *worker.pool_process_ids()):
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime and stime
    return total / ticks


def bare_post_rate(url: str, body: bytes, args) -> float:
    """POSTs a second of `body` to the fake provider from two processes,
    each POST on a new connection (anymail opens one per message)."""
    each = args.baseline_posts // 2
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        started = time.monotonic()
        pool.starmap(_post_many, [(url, body, each)] * 2)
        return 2 * each / (time.monotonic() - started)


def _post_many(url: str, body: bytes, count: int) -> None:
    import requests

    headers = {"Content-Type": "application/json", "X-Postmark-Server-Token": "bench"}
    for _ in range(count):
        requests.post(url + "email", data=body, headers=headers, timeout=10).raise_for_status()


def py_spy(path: Path, pid: int) -> subprocess.Popen:
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--subprocesses"]
    return subprocess.Popen(
        [*command, "--format", "raw", "--rate", "50", "--output", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def check(receipts: int, delivered: list[dict]) -> list[str]:
    failures = []
    with psycopg.connect(DATABASE_URL) as conn:
        facts = {
            "receipts sent after one attempt": "SELECT count(*) FROM receipts_receipt"
            " WHERE status = 'sent' AND attempts = 1",
            "receipts with a download link": "SELECT count(*) FROM receipts_receipt WHERE pdf_token_hash IS NOT NULL",
        }
        for name, query in facts.items():
            found = conn.execute(query).fetchone()[0]
            if found != receipts:
                failures.append(f"{name}: {found}, not {receipts}")
        rows = conn.execute("SELECT number, record->>'donor_email' FROM receipts_receipt").fetchall()
    message_ids = Counter(_header(message, "Message-ID") for message in delivered)
    expected = Counter(f"<receipt-{number}@127.0.0.1>" for number, _ in rows)
    if message_ids != expected:
        missing, doubled = expected - message_ids, message_ids - expected
        failures.append(
            f"messages by Message-ID: {len(delivered)} taken; {sum(missing.values())} missing, "
            f"{sum(doubled.values())} extra (e.g. {sorted(doubled)[:3]})"
        )
    # Each donor gave twice (once, for an odd count): one message a gift.
    recipients = Counter(message["To"] for message in delivered)
    if recipients != Counter(email for _, email in rows):
        failures.append(f"recipients: {len(recipients)} addresses for {sum(recipients.values())} messages")
    without_pdf = [m for m in delivered if not any(a["Name"].endswith(".pdf") for a in m.get("Attachments", []))]
    if without_pdf:
        failures.append(f"{len(without_pdf)} messages without their PDF")
    return failures


def _header(message: dict, name: str) -> str:
    return next((header["Value"] for header in message.get("Headers", []) if header["Name"] == name), "")


if __name__ == "__main__":
    sys.exit(main())
