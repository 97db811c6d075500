"""PostgreSQL connections give up: a connection attempt after
DATABASE_CONNECT_TIMEOUT, a statement after DATABASE_STATEMENT_TIMEOUT_MS;
the gift export, one statement that streams every gift, is exempt."""

import threading
import time
from urllib.parse import quote

import pytest
from django.db import OperationalError, connection, connections
from django.db.utils import load_backend

from finance.exports import GiftExport, GiftFilters
from hopefund.settings.base import databases
from tests.black_hole import black_hole

pytestmark = pytest.mark.django_db


def url_of(settings_dict: dict, *, port=None, query: str = "") -> str:
    user, host, name = settings_dict["USER"], settings_dict["HOST"], settings_dict["NAME"]
    return f"postgres://{user}@{host}:{port or settings_dict['PORT']}/{name}{query}"


def connect_with(databases_setting: dict):
    """A connection (not yet open) made as Django makes them of DATABASES."""
    settings_dict = connections.configure_settings(databases_setting)["default"]
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "timeouts")


def show(wrapper, name: str) -> str:
    with wrapper.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.fixture
def configured(monkeypatch):
    """The settings `databases()` makes of the test database's URL (plus a
    query) and these environment variables, as an open connection."""
    opened = []

    def make(*, query: str = "", **variables: str):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DATABASE_URL", url_of(connections.settings["default"], query=query))
        wrapper = connect_with(databases("sqlite:///unused"))
        opened.append(wrapper)
        return wrapper

    yield make
    for wrapper in opened:
        wrapper.close()


def test_a_statement_longer_than_the_statement_timeout_is_cancelled(configured):
    database = configured(DATABASE_STATEMENT_TIMEOUT_MS="200")

    with pytest.raises(OperationalError, match="statement timeout"), database.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")


def test_postgres_connections_time_out_after_five_seconds_to_connect_and_twenty_per_statement(configured):
    database = configured()

    assert show(database, "statement_timeout") == "20s"
    assert database.settings_dict["OPTIONS"]["connect_timeout"] == 5


def test_a_statement_timeout_in_the_database_url_wins_and_its_other_options_are_kept(configured):
    options = quote("-c statement_timeout=7s -c work_mem=8MB")
    database = configured(query=f"?options={options}", DATABASE_STATEMENT_TIMEOUT_MS="200")

    assert show(database, "statement_timeout") == "7s"
    assert show(database, "work_mem") == "8MB"


def test_sqlite_urls_get_no_postgres_options(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite3'}")

    database = databases("sqlite:///unused")["default"]

    assert "connect_timeout" not in database.get("OPTIONS", {})
    assert "options" not in database.get("OPTIONS", {})


def test_connecting_to_a_database_that_never_answers_gives_up_after_the_connect_timeout(monkeypatch):
    with black_hole() as port:
        monkeypatch.setenv("DATABASE_URL", url_of(connections.settings["default"], port=port))
        monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "2")
        database = connect_with(databases("sqlite:///unused"))
        started = time.monotonic()

        with pytest.raises(OperationalError):
            database.ensure_connection()

    assert time.monotonic() - started < 4


def test_the_gift_export_waits_past_the_statement_timeout_rather_than_being_cut_short():
    """The export's COPY is held up (a lock another session keeps) for
    longer than the session's statement timeout, and still finishes."""
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")  # undone with the test's transaction
    locked, export_done = threading.Event(), threading.Event()
    waited_past_the_timeout = []

    def hold_the_gifts_table_until_the_export_has_waited_long_enough():
        locker = connections.create_connection("default")
        with locker.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE donations_donation IN ACCESS EXCLUSIVE MODE")
            locked.set()
            deadline = time.monotonic() + 10
            while not export_done.wait(0.02) and time.monotonic() < deadline:
                # A transaction sees one snapshot of the activity unless told to look again.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE 'COPY%' AND clock_timestamp() - query_start > interval '200 ms'"
                )
                if cursor.fetchone()[0]:
                    waited_past_the_timeout.append(True)
                    break
            cursor.execute("ROLLBACK")
        locker.close()

    holder = threading.Thread(target=hold_the_gifts_table_until_the_export_has_waited_long_enough)
    holder.start()
    try:
        assert locked.wait(10)
        export = GiftExport(GiftFilters())
        csv = b"".join(export.csv_chunks())
    finally:
        export_done.set()
        holder.join(10)

    assert waited_past_the_timeout == [True]
    assert csv.count(b"\n") == 1  # the header; the test database has no gifts
