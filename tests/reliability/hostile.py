"""Building blocks for the hostile-input properties: what an attacker (or a
broken client) can put in a JSON body, and a way to see that a refused
request wrote nothing."""

import contextlib
import json

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded so that a whole file stays well under a minute; deadline off
# because the first example pays for Django's and PostgreSQL's warm-up.
# The function-scoped fixtures (client, the campaign) are shared by the
# examples on purpose: each example runs in a transaction it rolls back
# (`one_example`), so no example sees another's rows.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every character, lone surrogates (category Cs) and NUL included: JSON can
# spell them all, PostgreSQL stores neither of those two.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(
        [
            "\x00",
            "\ud800",
            "Ada\udfff",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
            "\u202eevil",
            "\ufeff",
            "x" * 300,
            "x" * 70_000,  # over DATA_UPLOAD_MAX_MEMORY_SIZE on its own
            "é" * 101,
            " ",
            "",
        ]
    ),
)
HOSTILE_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, HOSTILE_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(HOSTILE_TEXT, children, max_size=4)),
    max_leaves=12,
)

# The models a refused request must leave as they were: the ledger, the
# inbox, receipts and their outbox, campaign counters, finance's books.
WRITTEN_BY_REQUESTS = ("donations", "receipts", "finance", "campaigns")


def row_counts() -> dict[str, int]:
    """Rows per model, in one query: the properties take this twice per example."""
    tables = {
        model._meta.label: model._meta.db_table
        for app in WRITTEN_BY_REQUESTS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.proxy
    }
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT %s, count(*) FROM {quote(table)}" for table in tables.values())
    with connection.cursor() as cursor:
        cursor.execute(sql, list(tables))
        return dict(cursor.fetchall())


def rows_written(before: dict[str, int]) -> dict[str, int]:
    """The models whose row count changed since `before`, by how much."""
    after = row_counts()
    return {label: after[label] - count for label, count in before.items() if after[label] != count}


@contextlib.contextmanager
def one_example():
    """One example's own world: rate-limit windows emptied (the cache) and
    every row it writes rolled back when it ends, whatever it asserted."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def json_bytes(value) -> bytes:
    """`value` as a JSON body; lone surrogates go out as \\uXXXX escapes,
    NaN and Infinity as Python's json writes them (and reads them back)."""
    return json.dumps(value).encode()


def error_message_of(response) -> str:
    """The message a 4xx tells its caller: `{"error": {"message"}}` or
    `{"errors": {field: [message, ...]}}`."""
    body = response.json()
    if "error" in body:
        return body["error"]["message"]
    return " ".join(message for messages in body["errors"].values() for message in messages)
