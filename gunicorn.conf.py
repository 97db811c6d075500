"""The production web server's configuration. gunicorn reads this file
from its working directory by default, so the Dockerfile, docker-compose.yml
and the benchmarks (bench/) all run the same server.

Threaded workers: a gift waits on Stripe (300 ms or more a call, two
calls a gift) far longer than it computes (about 35 ms), so each process
serves many requests while others wait. 40 gifts a second at about 0.7 s
each, more under load, are 30 to 60 requests in flight: 2 x 32 threads
(bench/gifts.py measured 21 gifts/s with 2 x 16 and 32/s with 2 x 32 on
two cores; bench/README.md). Each thread may hold one database
connection (CONN_MAX_AGE), so WEB_CONCURRENCY x GUNICORN_THREADS (64)
plus the Celery worker's processes and beat must stay under PostgreSQL's
max_connections (100 by default): raise max_connections (or put
PgBouncer in front) before raising either."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Above DATABASE_STATEMENT_TIMEOUT_MS (20 s) and the Stripe client's budget,
# so a slow request ends with its own error, not a killed worker.
timeout = 30
keepalive = 5
accesslog = "-"
# The access log masks the tokens some paths carry (hopefund/log_masking.py).
logger_class = "hopefund.log_masking.TokenMaskingLogger"


def post_worker_init(worker):
    """Load Stripe's SDK before the worker's first request. It is imported
    where it is called (payments/stripe/), so commands such as
    export_donations never pay its ~9 MB; but a web worker calls it at
    once, and loaded lazily its first gifts and webhooks all waited on the
    import, thread behind thread, which set the webhook acknowledgement's
    p99 (bench/ingest.py)."""
    import stripe  # noqa: F401
