"""Benchmark: gifts through `POST /api/donations/` up to their receipt
number, against localstripe's own rate, in the same run.

    .venv/bin/python -m bench.gifts [--gifts 400] [--concurrency 8]
        [--slow-gifts 1200] [--slow-concurrency 48] [--stripe-delay-ms 300] [--keep]

Creates the database hopefund_bench_gifts (BENCH_DATABASE_URL to change
it; dropped first, and at the end unless --keep), migrates it, seeds the
demo campaign, and starts a private Redis, localstripe, the production
gunicorn (gunicorn.conf.py) and a Celery worker (two processes) writing
receipts to files. Then, twice:

1. on localstripe itself: the baseline is a customer and a confirmed
   PaymentIntent made straight in localstripe with the Stripe SDK,
   `--concurrency` at a time; the subject is as many gifts, as many at a
   time, each posted and then polled (`GET /api/donations/<id>/`) until
   its receipt number is set. Target: the gifts at 0.5 of the baseline's
   rate or better.
2. with a proxy in front of localstripe that holds every Stripe call for
   `--stripe-delay-ms` (bench/stripe_latency_proxy.py), as real Stripe
   does: gunicorn and the worker are restarted pointed at it, and
   `--slow-gifts` gifts are given `--slow-concurrency` at a time. Target:
   40 gifts a second.

The last line is `RESULT gifts_per_second=<with the delay> ratio=<gifts to
localstripe's rate, without it>`; exits 1 when a target is missed.
"""

import argparse
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import django
import requests
import stripe

from bench.common import (
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

DATABASE_URL = database_url("hopefund_bench_gifts")
MIN_RATIO = 0.5
MIN_SLOW_GIFTS_PER_SECOND = 40
WARM_UP_GIFTS = 16
POLL_INTERVAL_SECONDS = 0.05
STRIPE_SECRET_KEY = "sk_test_hopefund_bench"


def gift_body(number: int) -> dict:
    return {
        "campaign": "dressember-2026",
        "fund": "rescue",
        "amount_minor": 5000,
        "currency": "usd",
        "donor": {"email": f"donor{number}@example.org", "first_name": "Ada", "last_name": "Lee"},
        "payment_method": "pm_card_visa",
    }


class Timed:
    """The wall time of a batch of `count` operations run `concurrency` at
    a time, and each one's own latency."""

    def __init__(self, operation, *, count: int, concurrency: int):
        self.latencies: list[float] = []
        local = threading.local()

        def one(number: int) -> None:
            started = time.monotonic()
            operation(local, number)
            self.latencies.append(time.monotonic() - started)

        started = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            # list(): re-raise the first failure
            list(pool.map(one, range(count)))
        self.seconds = time.monotonic() - started
        self.rate = count / self.seconds

    def describe(self) -> str:
        quantiles = statistics.quantiles(self.latencies, n=20)
        return f"{self.rate:.1f}/s (latency p50 {quantiles[9] * 1000:.0f} ms, p95 {quantiles[18] * 1000:.0f} ms)"


def stripe_baseline(stripe_url: str, *, count: int, concurrency: int) -> Timed:
    """localstripe's own rate for what a gift asks of it."""

    def customer_and_intent(local, number: int) -> None:
        if not hasattr(local, "sdk"):
            local.sdk = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stripe_url})
        customer = local.sdk.v1.customers.create(params={"email": f"baseline{number}@example.org"})
        intent = local.sdk.v1.payment_intents.create(
            params={
                "amount": 5000,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
                "confirm": True,
            }
        )
        assert intent.status == "succeeded", intent.status

    return Timed(customer_and_intent, count=count, concurrency=concurrency)


def give_gifts(site_url: str, *, count: int, concurrency: int, first: int) -> Timed:
    """`count` gifts, each posted and polled until its receipt number is set."""

    def give(local, number: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        answer = local.session.post(f"{site_url}/api/donations/", json=gift_body(first + number), timeout=60)
        if answer.status_code != 201 or answer.json()["status"] != "succeeded":
            raise RuntimeError(f"gift refused: {answer.status_code} {answer.text[:300]}")
        gift_url = f"{site_url}/api/donations/{answer.json()['id']}/"
        while not local.session.get(gift_url, timeout=60).json()["receipt_number"]:
            time.sleep(POLL_INTERVAL_SECONDS)

    return Timed(give, count=count, concurrency=concurrency)


class Site:
    """gunicorn and a Celery worker, both pointed at one Stripe."""

    def __init__(self, *, workdir: Path, env: dict, stripe_url: str):
        from tests.integration.workers import CeleryWorker
        from tests.reliability.services import Gunicorn

        env = {**env, "STRIPE_API_BASE": stripe_url}
        self.web = Gunicorn(log_path=workdir / "gunicorn.log", env=env)
        self.worker = CeleryWorker(log_path=workdir / "worker.log", localstripe_url=stripe_url, **env)

    def __enter__(self):
        self.web.start()
        self.worker.start()
        return self

    def __exit__(self, *exc):
        self.web.stop()
        self.worker.stop()


def run_phase(label: str, *, workdir: Path, env: dict, stripe_url: str, count: int, concurrency: int, first: int):
    """The baseline and the gifts on one Stripe; (baseline, gifts)."""
    baseline = step(
        f"{label}: {count} customers + confirmed PaymentIntents in localstripe, {concurrency} at a time",
        lambda: stripe_baseline(stripe_url, count=count, concurrency=concurrency),
    )
    with Site(workdir=workdir, env=env, stripe_url=stripe_url) as site:
        give_gifts(site.web.url, count=WARM_UP_GIFTS, concurrency=concurrency, first=first)
        gifts = step(
            f"{label}: {count} gifts to their receipt number, {concurrency} at a time",
            lambda: give_gifts(site.web.url, count=count, concurrency=concurrency, first=first + WARM_UP_GIFTS),
        )
    print(f"  localstripe: {baseline.describe()}")
    print(f"  gifts:       {gifts.describe()}")
    return baseline, gifts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gifts", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--slow-gifts", type=int, default=1200)
    parser.add_argument("--slow-concurrency", type=int, default=48)
    parser.add_argument("--stripe-delay-ms", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()

    # The stack's helpers (tests/) read the database from Django's settings.
    os.environ.update(DJANGO_SETTINGS_MODULE="hopefund.settings.test", DATABASE_URL=DATABASE_URL)
    django.setup()
    from tests.conftest import free_port, wait_for_http
    from tests.reliability.services import RedisServer, ServiceProcess

    workdir = Path(tempfile.mkdtemp(prefix="bench-gifts-"))
    print(f"logs and receipts in {workdir}")
    step(f"creating {DATABASE_URL.rsplit('/', 1)[-1]}", lambda: recreate_database(DATABASE_URL))
    redis_server = RedisServer(log_path=workdir / "redis.log")
    redis_server.start()
    stripe_port = free_port()
    localstripe = ServiceProcess(
        [sys.executable, str(ROOT / "scripts" / "localstripe_server.py"), "--port", str(stripe_port)],
        log_path=workdir / "localstripe.log",
    )
    localstripe.start()
    stripe_url = f"http://127.0.0.1:{stripe_port}"
    env = django_environment(
        DATABASE_URL,
        REDIS_URL=redis_server.url,
        CELERY_BROKER_URL=redis_server.url,
        CELERY_TASK_ALWAYS_EAGER="0",
        STRIPE_SECRET_KEY=STRIPE_SECRET_KEY,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(workdir / "mail"),
        # Every gift comes from 127.0.0.1, and each is polled.
        DONATION_STATUS_RATE_LIMIT="1000000/m",
    )
    proxy = None
    try:
        step("migrating", lambda: migrate(env))
        step("seeding the demo campaign", lambda: _seed(env))
        wait_for_http(f"{stripe_url}/v1/customers", headers={"Authorization": f"Bearer {STRIPE_SECRET_KEY}"})

        baseline, gifts = run_phase(
            "localstripe",
            workdir=workdir,
            env=env,
            stripe_url=stripe_url,
            count=options.gifts,
            concurrency=options.concurrency,
            first=0,
        )
        proxy_port = free_port()
        proxy = ServiceProcess(
            [
                *(sys.executable, "-m", "bench.stripe_latency_proxy", "--upstream", stripe_url),
                *("--delay-ms", str(options.stripe_delay_ms), "--port", str(proxy_port)),
            ],
            log_path=workdir / "stripe-proxy.log",
        )
        proxy.start()
        proxy_url = f"http://127.0.0.1:{proxy_port}"
        wait_for_http(f"{proxy_url}/v1/customers", headers={"Authorization": f"Bearer {STRIPE_SECRET_KEY}"})
        slow_baseline, slow_gifts = run_phase(
            f"+{options.stripe_delay_ms} ms a Stripe call",
            workdir=workdir,
            env=env,
            stripe_url=proxy_url,
            count=options.slow_gifts,
            concurrency=options.slow_concurrency,
            first=1_000_000,
        )
    finally:
        if proxy:
            proxy.stop()
        localstripe.stop()
        redis_server.kill()
        if not options.keep:
            drop_database(DATABASE_URL)

    ratio = gifts.rate / baseline.rate
    ratio_met = ratio >= MIN_RATIO
    slow_met = slow_gifts.rate >= MIN_SLOW_GIFTS_PER_SECOND
    threads = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"]
    print(f"gunicorn: 2 workers x {threads} threads (gunicorn.conf.py); Celery: 2 processes")
    print(
        f"on localstripe: {gifts.rate:.1f} gifts/s against localstripe's {baseline.rate:.1f}/s: "
        f"ratio {ratio:.2f} (target {MIN_RATIO}) {verdict(ratio_met)}"
    )
    print(
        f"with {options.stripe_delay_ms} ms a Stripe call: {slow_gifts.rate:.1f} gifts/s at "
        f"{options.slow_concurrency} at a time (localstripe through the proxy: {slow_baseline.rate:.1f}/s; "
        f"target {MIN_SLOW_GIFTS_PER_SECOND}) {verdict(slow_met)}"
    )
    print_result("gifts_per_second", slow_gifts.rate, ratio)
    return 0 if ratio_met and slow_met else 1


def _seed(env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
