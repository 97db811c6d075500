"""Benchmark: `manage.py export_donations` against PostgreSQL's own COPY of
the same rows, and that query against a COPY of the flat donations table,
on a million gifts.

    .venv/bin/python -m bench.export [--gifts 1000000] [--keep]

Creates the database hopefund_bench (BENCH_DATABASE_URL to change it; it is
dropped first if it exists, and at the end unless --keep), migrates it,
loads donors, campaigns, teams, fundraisers, gifts of every status and their
receipts (corrections included) with generate_series, then times:

- `psql -c "COPY (the export's query) TO STDOUT (FORMAT csv)"` to /dev/null;
- `psql -c "COPY (SELECT * FROM donations_donation) TO STDOUT (FORMAT csv)"`,
  every column of the ledger with no join or formatting, to /dev/null;
- `manage.py export_donations --output /dev/null` as a process of its own,
  start-up included, with its peak memory (ru_maxrss from wait4).

Each is run twice after one warm-up COPY and the faster run counts. Exits 1
when a target is missed: the export at most 1.5x the COPY of its query and
under 100 MB peak, and that COPY at most 3x the flat one.
"""

import argparse
import os
import subprocess
import sys
import time

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

DATABASE_URL = database_url("hopefund_bench")
MAX_RATIO = 1.5
MAX_QUERY_RATIO = 3.0
FLAT_COPY_SQL = "COPY (SELECT * FROM donations_donation) TO STDOUT (FORMAT csv)"
MAX_PEAK_MB = 100
RUNS = 2

# Fresh database, so ids are predictable: campaigns 1-5, teams 1-100 (team t
# in campaign t % 5 + 1), fundraisers 1-1000 (fundraiser f on team
# (f - 1) % 100 + 1). One gift in 20 each failed, refunded, partly refunded
# and pending; one in 50 offline; names now and then start like a formula.
LOAD_SQL = """
INSERT INTO campaigns_fund (slug, name, description, is_active, sort_order)
VALUES ('rescue', 'Rescue', '', true, 0), ('aftercare', 'Aftercare', '', true, 1),
       ('general', 'Where most needed', '', true, 2);

INSERT INTO campaigns_campaign (slug, title, story, goal_minor, currency, status, created_at, updated_at)
SELECT 'campaign-' || c, 'Campaign ' || c, '', 100000000, 'usd', 'active', now(), now()
FROM generate_series(1, 5) AS c;

INSERT INTO campaigns_team (slug, name, story, goal_minor, created_at, campaign_id, is_featured, is_hidden)
SELECT 'team-' || t, 'Team ' || t, '', 1000000, now(), t %% 5 + 1, false, false
FROM generate_series(1, 100) AS t;

INSERT INTO campaigns_fundraiser (slug, name, story, goal_minor, created_at, campaign_id, team_id, is_hidden, photo)
SELECT 'fundraiser-' || f, 'Fundraiser, "' || f || '"', '', 100000, now(), ((f - 1) %% 100 + 1) %% 5 + 1,
       (f - 1) %% 100 + 1, false, ''
FROM generate_series(1, 1000) AS f;

INSERT INTO donations_donor (email, first_name, last_name, address_line1, address_line2, city, region,
                             postal_code, country, created_at, updated_at)
SELECT 'donor' || d || '@example.org',
       CASE WHEN d %% 1000 = 0 THEN '=HYPERLINK("http://x","y")'
            ELSE (ARRAY['Ada', 'Grace', 'Zoë', 'Jean-Luc'])[d %% 4 + 1] END,
       (ARRAY['Lee', 'Hopper', 'O''Brien', 'Ångström'])[d %% 4 + 1],
       d || ' Main St', CASE WHEN d %% 5 = 0 THEN 'Apt ' || d %% 100 ELSE '' END,
       'Springfield', 'IL', lpad((d %% 99999)::text, 5, '0'), 'US', now(), now()
FROM generate_series(1, %(donors)s) AS d;

INSERT INTO donations_donation (
    public_id, amount_minor, fee_covered_minor, currency, status, refunded_minor, stripe_fee_minor,
    payment_intent_id, charge_id, source, frequency, anonymous, message, dedication, failure_code,
    failure_message, created_at, succeeded_at, updated_at, campaign_id, team_id, fundraiser_id, donor_id, fund_id,
    donor_first_name, donor_last_name, donor_address_line1, donor_address_line2, donor_city, donor_region,
    donor_postal_code, donor_country, idempotency_fingerprint, receipt_number)
SELECT gen_random_uuid(), amount, fee, 'usd', status,
       CASE status WHEN 'refunded' THEN amount + fee WHEN 'partially_refunded' THEN amount / 3 ELSE 0 END,
       CASE WHEN status IN ('failed', 'pending') OR offline THEN NULL ELSE (amount + fee) * 29 / 1000 + 30 END,
       CASE WHEN offline THEN NULL ELSE 'pi_bench_' || i END,
       CASE WHEN offline OR status IN ('failed', 'pending') THEN NULL ELSE 'ch_bench_' || i END,
       CASE WHEN offline THEN 'offline_import' ELSE 'online' END,
       CASE WHEN i %% 9 = 0 THEN 'monthly' ELSE 'one_time' END,
       i %% 11 = 0, '', '', '', '', created,
       CASE WHEN status IN ('failed', 'pending') THEN NULL ELSE created + interval '2 seconds' END,
       created, CASE WHEN team IS NULL THEN i %% 5 + 1 ELSE team %% 5 + 1 END, team,
       CASE WHEN team IS NOT NULL AND i %% 7 = 0 THEN team + 100 * (i %% 10) END,
       i %% %(donors)s + 1, i %% 3 + 1, '', '', '', '', '', '', '', '', '', ''
FROM (
    SELECT i, 500 + (i * 37 %% 2000) * 5 AS amount,
           CASE WHEN i %% 4 = 0 THEN (500 + (i * 37 %% 2000) * 5) * 3 / 100 + 30 ELSE 0 END AS fee,
           CASE i %% 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'refunded' WHEN 2 THEN 'partially_refunded'
                        WHEN 3 THEN 'pending' ELSE 'succeeded' END AS status,
           CASE WHEN i %% 3 = 0 THEN i %% 100 + 1 END AS team,
           i %% 50 = 25 AS offline,
           timestamptz '2025-01-01 00:00:00+00' + i * interval '31 seconds' AS created
    FROM generate_series(1, %(gifts)s) AS i
) AS gift;

-- Each gift carries the details its donor gave with it.
UPDATE donations_donation AS g
SET donor_first_name = d.first_name, donor_last_name = d.last_name, donor_address_line1 = d.address_line1,
    donor_address_line2 = d.address_line2, donor_city = d.city, donor_region = d.region,
    donor_postal_code = d.postal_code, donor_country = d.country
FROM donations_donor AS d WHERE d.id = g.donor_id;

INSERT INTO receipts_receipt (year, sequence, number, status, attempts, last_error, issued_at, sent_at,
                              donation_id, amount_minor, benefit_description, benefit_value_minor, currency,
                              pdf_token_hash, record, voided_at, claimed_by)
SELECT extract(year FROM succeeded_at), id, extract(year FROM succeeded_at) || '-' || lpad(id::text, 7, '0'),
       CASE WHEN status = 'succeeded' THEN 'sent' ELSE 'void' END, 1, '', succeeded_at, succeeded_at,
       id, amount_minor + fee_covered_minor, '', 0, currency, md5(id::text), '{}',
       CASE WHEN status = 'succeeded' THEN NULL ELSE succeeded_at + interval '1 day' END, ''
FROM donations_donation WHERE succeeded_at IS NOT NULL;

INSERT INTO receipts_receipt (year, sequence, number, status, attempts, last_error, issued_at, sent_at,
                              donation_id, replaces_id, amount_minor, benefit_description, benefit_value_minor,
                              currency, pdf_token_hash, record, claimed_by)
SELECT r.year, r.sequence + 10000000, r.year || '-C' || lpad(d.id::text, 7, '0'), 'sent', 1, '',
       r.voided_at, r.voided_at, d.id, r.id, d.amount_minor + d.fee_covered_minor - d.refunded_minor, '', 0,
       d.currency, md5('corrected' || d.id), '{}', ''
FROM donations_donation d JOIN receipts_receipt r ON r.donation_id = d.id
WHERE d.status = 'partially_refunded';

-- What receipts.services keeps on each gift: its standing receipt's number.
UPDATE donations_donation AS g SET receipt_number = r.number
FROM receipts_receipt AS r
WHERE r.donation_id = g.id AND r.status <> 'void'
  AND NOT EXISTS (SELECT 1 FROM receipts_receipt AS c WHERE c.replaces_id = r.id);
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    args = parser.parse_args()

    env = django_environment(DATABASE_URL)
    recreate_database(DATABASE_URL)
    try:
        step("migrating", lambda: migrate(env))
        step(f"loading {args.gifts:,} gifts", lambda: load(args.gifts))
        copy_sql = export_copy_sql(env)

        run_copy(copy_sql)  # warm-up: every run below reads from a warm cache
        copy_seconds = min(run_copy(copy_sql) for _ in range(RUNS))
        flat_seconds = min(run_copy(FLAT_COPY_SQL) for _ in range(RUNS))
        runs = [run_export(env) for _ in range(RUNS)]
        export_seconds = min(seconds for seconds, _ in runs)
        peak_mb = max(peak for _, peak in runs)
    finally:
        if not args.keep:
            drop_database(DATABASE_URL)

    ratio = export_seconds / copy_seconds
    query_ratio = copy_seconds / flat_seconds
    print(f"COPY of the flat donations table   : {flat_seconds:6.2f} s")
    print(
        f"COPY of the export's query         : {copy_seconds:6.2f} s  "
        f"({query_ratio:.2f}x the flat COPY; target <= {MAX_QUERY_RATIO:.0f}x)  "
        f"{verdict(query_ratio <= MAX_QUERY_RATIO)}"
    )
    print(
        f"export_donations --output /dev/null: {export_seconds:6.2f} s  "
        f"({ratio:.2f}x its query's COPY; target <= {MAX_RATIO}x)  {verdict(ratio <= MAX_RATIO)}"
    )
    print(
        f"export_donations peak memory       : {peak_mb:6.1f} MB (target < {MAX_PEAK_MB} MB)  "
        f"{verdict(peak_mb < MAX_PEAK_MB)}"
    )
    print_result("export_seconds", export_seconds, ratio)
    return 0 if ratio <= MAX_RATIO and query_ratio <= MAX_QUERY_RATIO and peak_mb < MAX_PEAK_MB else 1


def load(gifts: int) -> None:
    # Client-side binding: the numbers are merged into the script text.
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn, psycopg.ClientCursor(conn) as cursor:
        cursor.execute(LOAD_SQL + ONE_PART_PER_GIFT_SQL, {"gifts": gifts, "donors": max(gifts // 4, 1)})
        # Rewritten without the rows the updates left dead, as a ledger
        # written once would be; apart, since VACUUM runs in no transaction.
        cursor.execute("VACUUM (FULL, ANALYZE)")


def export_copy_sql(env: dict) -> str:
    """The export's own COPY statement, parameters merged, as its process
    would send it."""
    script = (
        "import django; django.setup()\n"
        "import psycopg\n"
        "from django.db import connection\n"
        "from finance.exports import GiftFilters, copy_statement\n"
        "connection.ensure_connection()\n"
        "print(psycopg.ClientCursor(connection.connection).mogrify(*copy_statement(GiftFilters())))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def run_copy(copy_sql: str) -> float:
    started = time.monotonic()
    with open(os.devnull, "wb") as devnull:
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE_URL, "-c", copy_sql],
            stdout=devnull,
            check=True,
        )
    return time.monotonic() - started


def run_export(env: dict) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one export process."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "export_donations", "--output", os.devnull], cwd=ROOT, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"export_donations failed with exit code {process.returncode}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kilobytes


if __name__ == "__main__":
    sys.exit(main())
