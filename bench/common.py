"""What every benchmark shares: its own PostgreSQL database, timed steps,
and the last line each prints, `RESULT name=value ratio=value`."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def database_url(default_name: str) -> str:
    """BENCH_DATABASE_URL, or a database of the benchmark's own on the local
    PostgreSQL. It is dropped and created anew by recreate_database."""
    return os.environ.get("BENCH_DATABASE_URL", f"postgres://root@127.0.0.1:5432/{default_name}")


def django_environment(url: str, **extra: str) -> dict:
    """The environment of a manage.py, gunicorn or Celery process of the
    benchmark: test settings (no secrets needed) on the benchmark's database."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "hopefund.settings.test", "DATABASE_URL": url, **extra}


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    drop_database(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


def drop_database(url: str) -> None:
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def migrate(env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def step(label: str, action):
    """Run `action`, printing how long it took; returns what it returned."""
    started = time.monotonic()
    print(f"{label}...", end=" ", flush=True)
    outcome = action()
    print(f"{time.monotonic() - started:.1f} s", flush=True)
    return outcome


def verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def print_result(name: str, value: float, ratio: float) -> None:
    """The line every benchmark ends with, for scripts that collect them."""
    print(f"RESULT {name}={value:.4g} ratio={ratio:.4g}")


# The loaders write gifts in SQL; each gives all of itself to its fund, as
# one part (donations.Allocation), which the app writes with every gift.
# Run after a loader's gifts are in. Neither braces nor percent signs, so
# it joins SQL formatted either way.
ONE_PART_PER_GIFT_SQL = """
INSERT INTO donations_allocation
    (donation_id, fund_id, position, amount_minor, fee_covered_minor, refunded_minor, stripe_fee_minor)
SELECT id, fund_id, 0, amount_minor, fee_covered_minor, refunded_minor, stripe_fee_minor FROM donations_donation;
ANALYZE donations_allocation;
"""
