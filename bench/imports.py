"""Benchmark: `manage.py import_gifts` on a 50,000-row offline gift file,
checked and written, against reading the same file with Python's csv module
and COPYing its rows into a plain table (what any import must at least do).

    .venv/bin/python -m bench.imports [--rows 50000] [--keep]

Creates the database bench_imports (BENCH_DATABASE_URL to change it; dropped
first, and at the end unless --keep), migrates it, loads 5 campaigns, 200
teams, 2,000 fundraisers and 10,000 donors with generate_series, writes a
file whose rows spread over them (one in four to the campaign alone, one in
four to a team, half to a fundraiser; half of them by donors already on
record, the rest by new donors who give two or three times each), then times,
each as a process of its own, start-up included:

- the baseline: csv.reader over the file, then COPY of its rows into an
  unlogged table of 19 text columns, in one transaction;
- `manage.py import_gifts --dry-run PATH` (every row checked, nothing written);
- `manage.py import_gifts PATH` (checked, then written in one transaction).

Exits 1 when the write runs under 1,000 rows a second, or when the ledger's
totals disagree with the counters afterwards.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis

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
from tests.finance.import_files import HEADER

DATABASE_URL = database_url("bench_imports")
# The broker the import queues its receipts on, as in production (the test
# settings would otherwise send every receipt inside the command); emptied
# before and after.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TARGET_ROWS_PER_SECOND = 1000
CAMPAIGNS, TEAMS, FUNDRAISERS, DONORS = 5, 200, 2000, 10_000

# Fresh database, so ids are predictable: team t is in campaign t % 5 + 1,
# fundraiser f on team (f - 1) % 200 + 1 (so in that team's campaign).
LOAD_SQL = f"""
INSERT INTO campaigns_fund (slug, name, description, is_active, sort_order)
VALUES ('rescue', 'Rescue', '', true, 0), ('aftercare', 'Aftercare', '', true, 1);

INSERT INTO campaigns_campaign (slug, title, story, goal_minor, currency, status, created_at, updated_at)
SELECT 'campaign-' || c, 'Campaign ' || c, '', 100000000, 'usd', 'active', now(), now()
FROM generate_series(1, {CAMPAIGNS}) AS c;

INSERT INTO campaigns_team (slug, name, story, goal_minor, created_at, campaign_id, is_featured, is_hidden)
SELECT 'team-' || t, 'Team ' || t, '', 1000000, now(), t % {CAMPAIGNS} + 1, false, false
FROM generate_series(1, {TEAMS}) AS t;

INSERT INTO campaigns_fundraiser (slug, name, story, goal_minor, created_at, campaign_id, team_id, is_hidden, photo)
SELECT 'fundraiser-' || f, 'Fundraiser ' || f, '', 100000, now(), ((f - 1) % {TEAMS} + 1) % {CAMPAIGNS} + 1,
       (f - 1) % {TEAMS} + 1, false, ''
FROM generate_series(1, {FUNDRAISERS}) AS f;

INSERT INTO donations_donor (email, first_name, last_name, address_line1, address_line2, city, region,
                             postal_code, country, created_at, updated_at)
SELECT 'donor' || d || '@example.org', 'Ada', 'Lee', d || ' Main St', '', 'Springfield', 'IL', '62701', 'US',
       now(), now()
FROM generate_series(1, {DONORS}) AS d;
"""


def gift_row(i: int) -> list[str]:
    """Row i of the file: a valid gift, spread over every kind of page."""
    kind = i % 4
    fundraiser = i % FUNDRAISERS + 1
    team = (fundraiser - 1) % TEAMS + 1
    campaign = team % CAMPAIGNS + 1
    if kind == 0:
        campaign, team_slug, fundraiser_slug = i % CAMPAIGNS + 1, "", ""
    elif kind == 1:
        team_slug, fundraiser_slug = f"team-{team}", ""
    else:
        team_slug, fundraiser_slug = "", f"fundraiser-{fundraiser}"
    # Half by donors on record; the rest by new donors, each giving 2-3 times.
    email = f"donor{i % DONORS + 1}@example.org" if i % 2 else f"new{i // 5}@example.org"
    return [
        f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
        f"{10 + i % 490}.{i % 100:02d}",
        "usd",
        f"campaign-{campaign}",
        "rescue" if i % 3 else "aftercare",
        team_slug,
        fundraiser_slug,
        email,
        "Grace",
        f"Hopper {i}",
        f"{i} Elm St",
        "Springfield",
        "62701",
        "US",
        ("cheque", "cash", "bank_transfer")[i % 3],
        f"BENCH-{i:06d}",
        "no" if i % 10 == 0 else "yes",
        "yes" if i % 17 == 0 else "no",
        "In memory of a friend" if i % 7 == 0 else "",
    ]


def write_file(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(gift_row(i))


# The baseline, as a process of its own like the import: the least any
# import of this file does, reading it as CSV and storing its rows.
BASELINE = """
import csv, sys, psycopg
columns = ", ".join(f"c{n} text" for n in range(19))
with psycopg.connect(sys.argv[1]) as connection:
    connection.execute(f"CREATE UNLOGGED TABLE IF NOT EXISTS bench_copy ({columns})")
    connection.execute("TRUNCATE bench_copy")
    with open(sys.argv[2], newline="", encoding="utf-8") as file, connection.cursor().copy(
        "COPY bench_copy FROM STDIN"
    ) as copy:
        reader = csv.reader(file)
        next(reader)
        for row in reader:
            copy.write_row(row)
"""


def timed(command: list[str], env: dict) -> float:
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return elapsed


def ledger_figures(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as connection:
        gifts = connection.execute("SELECT count(*) FROM donations_donation").fetchone()[0]
        receipts = connection.execute("SELECT count(*) FROM receipts_receipt").fetchone()[0]
    return gifts, receipts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the file (at most 50,000)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    env = django_environment(DATABASE_URL, REDIS_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="0")
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    step(f"creating {DATABASE_URL}", lambda: recreate_database(DATABASE_URL))
    step("migrating", lambda: migrate(env))
    with psycopg.connect(DATABASE_URL) as connection:
        step("loading campaigns, teams, fundraisers and donors", lambda: connection.execute(LOAD_SQL))
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "gifts.csv"
            step(f"writing {args.rows:,} rows", lambda: write_file(path, args.rows))
            baseline = step(
                "baseline: csv + COPY", lambda: timed([sys.executable, "-c", BASELINE, DATABASE_URL, str(path)], env)
            )
            manage = [sys.executable, "manage.py", "import_gifts"]
            dry_run = step("import_gifts --dry-run", lambda: timed([*manage, "--dry-run", str(path)], env))
            write = step("import_gifts", lambda: timed([*manage, str(path)], env))
            reconciled = subprocess.run(
                [sys.executable, "manage.py", "reconcile_totals"], cwd=ROOT, env=env, capture_output=True, text=True
            )
        gifts, receipts = ledger_figures(DATABASE_URL)
    finally:
        broker.flushdb()
        if not args.keep:
            drop_database(DATABASE_URL)

    rate = args.rows / write
    ratio = baseline / write
    met = rate >= TARGET_ROWS_PER_SECOND and reconciled.returncode == 0 and gifts == args.rows
    print(f"baseline (csv + COPY):   {baseline:6.2f} s  {args.rows / baseline:8,.0f} rows/s")
    print(f"import_gifts --dry-run:  {dry_run:6.2f} s  {args.rows / dry_run:8,.0f} rows/s")
    print(
        f"import_gifts:            {write:6.2f} s  {rate:8,.0f} rows/s  target {TARGET_ROWS_PER_SECOND:,}: "
        f"{verdict(rate >= TARGET_ROWS_PER_SECOND)}"
    )
    print(f"gifts {gifts:,}, receipts {receipts:,}; reconcile_totals: {verdict(reconciled.returncode == 0)}")
    print_result("import_rows_per_second", rate, ratio)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
