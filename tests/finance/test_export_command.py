"""manage.py export_donations: where it writes, how it fails (one line,
non-zero, nothing written), its audit entry and its progress bar."""

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import load_workbook

from finance.exports import HEADERS
from finance.models import AuditLogEntry
from tests.factories import DonationFactory
from tests.finance.export_files import read_csv

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def two_gifts(campaign):
    return [
        DonationFactory(succeeded=True, campaign=campaign, created_at=datetime(2026, 12, day, tzinfo=UTC))
        for day in (1, 2)
    ]


def export(*args, stdout=None, stderr=None) -> str:
    stdout = stdout or io.StringIO()
    call_command("export_donations", *args, stdout=stdout, stderr=stderr or io.StringIO())
    return stdout.getvalue()


def test_csv_goes_to_standard_output_by_default_and_is_audited(two_gifts):
    rows = read_csv(export().encode())

    assert [row["gift_id"] for row in rows] == [str(gift.public_id) for gift in two_gifts]
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.channel, entry.subject, entry.row_count) == ("export", "command", "donations", 2)
    assert entry.filters == {"format": "csv"} and entry.user is None and "(command line)" in entry.actor


def test_output_to_a_file_with_filters_records_them(two_gifts, tmp_path):
    path = tmp_path / "december.csv"

    assert (
        export("--output", str(path), "--since", "2026-12-02", "--until", "2026-12-31", "--campaign", "dressember-2026")
        == ""
    )

    [row] = read_csv(path.read_bytes())
    assert row["gift_id"] == str(two_gifts[1].public_id)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left beside it
    assert AuditLogEntry.objects.get().filters == {
        "since": "2026-12-02",
        "until": "2026-12-31",
        "campaign": "dressember-2026",
        "format": "csv",
    }
    assert AuditLogEntry.objects.get().row_count == 1


def test_dash_means_standard_output(two_gifts):
    assert len(read_csv(export("--output", "-").encode())) == 2


def test_xlsx_to_a_file(two_gifts, tmp_path):
    path = tmp_path / "gifts.xlsx"

    export("--format", "xlsx", "-o", str(path))

    rows = list(load_workbook(path, read_only=True)["Gifts"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) == 3
    assert AuditLogEntry.objects.get().filters == {"format": "xlsx"}


def test_an_existing_file_is_replaced_only_by_a_complete_export(two_gifts, tmp_path):
    path = tmp_path / "gifts.csv"
    path.write_text("yesterday's export\n")

    export("--output", str(path))

    assert len(read_csv(path.read_bytes())) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "2026-13-01"], "--since: Enter a date as YYYY-MM-DD."),
        (["--until", "01/12/2026"], "--until: Enter a date as YYYY-MM-DD."),
        (["--since", "2026-12-31", "--until", "2026-12-01"], "The first day (2026-12-31) is after the last day"),
        (["--campaign", "no-such-campaign"], "--campaign: There is no campaign with the slug “no-such-campaign”."),
        (["--format", "pdf"], "--format must be csv or xlsx, not “pdf”."),
    ],
)
def test_bad_input_is_one_line_and_writes_and_records_nothing(two_gifts, tmp_path, args, message):
    path = tmp_path / "gifts.csv"

    with pytest.raises(CommandError) as error:
        export("--output", str(path), *args)

    assert message in str(error.value) and "\n" not in str(error.value)
    assert not path.exists() and not list(tmp_path.iterdir())
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize("where", ["missing-dir/gifts.csv", "plain-file/gifts.csv", "."])
def test_an_unwritable_path_is_one_line_and_leaves_nothing(two_gifts, tmp_path, where):
    (tmp_path / "plain-file").write_text("not a directory")

    with pytest.raises(CommandError, match=r"^Cannot write .+: .+\.$"):
        export("--output", str(tmp_path / where))

    assert [p.name for p in tmp_path.iterdir()] == ["plain-file"]
    assert not AuditLogEntry.objects.exists()


def test_xlsx_to_a_terminal_is_refused(two_gifts):
    with pytest.raises(CommandError, match="XLSX is binary"):
        export("--format", "xlsx", stdout=Terminal())


def test_an_export_that_fails_half_way_leaves_no_file(two_gifts, tmp_path, monkeypatch):
    from finance import exports

    def broken(self):
        yield b"gift_id\n"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(exports.GiftExport, "csv_chunks", broken)
    path = tmp_path / "gifts.csv"

    with pytest.raises(RuntimeError):
        export("--output", str(path))

    assert not list(tmp_path.iterdir())
    assert not AuditLogEntry.objects.exists()


def test_progress_is_drawn_on_a_terminal_and_counts_rows_a_split_gift_being_one_per_part(two_gifts, funds):
    DonationFactory(
        succeeded=True, campaign=two_gifts[0].campaign, allocations=[(funds["rescue"], 600), (funds["aftercare"], 400)]
    )
    terminal = Terminal()

    export(stderr=terminal)

    assert "Exporting rows [" in terminal.getvalue() and "4/4" in terminal.getvalue()
    assert AuditLogEntry.objects.get().row_count == 4


def test_the_fund_option_keeps_that_funds_parts_and_counts_them(two_gifts, funds):
    DonationFactory(
        succeeded=True, campaign=two_gifts[0].campaign, allocations=[(funds["rescue"], 600), (funds["aftercare"], 400)]
    )
    terminal = Terminal()

    rows = read_csv(export("--fund", "aftercare", stderr=terminal).encode())

    assert [(row["fund"], row["part"], row["amount"]) for row in rows] == [("aftercare", "2 of 2", "4.00")]
    assert "1/1" in terminal.getvalue()
    assert AuditLogEntry.objects.get().filters == {"fund": "aftercare", "format": "csv"}


def test_an_unknown_fund_is_one_line_and_exit_1(two_gifts):
    with pytest.raises(CommandError) as refused:
        export("--fund", "nope")

    assert str(refused.value) == "--fund: There is no fund with the slug “nope”."


# --- As a real process ------------------------------------------------------------


def run_command(*args) -> subprocess.CompletedProcess:
    """The command in its own process, against the test database (which
    must hold committed data: see the transactional test below)."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hopefund.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "export_donations", *args], cwd=ROOT, env=env, capture_output=True, timeout=60
    )


@pytest.mark.django_db(transaction=True)
def test_as_a_process_csv_is_on_stdout_progress_is_silent_when_piped_and_errors_exit_1(campaign):
    DonationFactory(succeeded=True, campaign=campaign, donor__first_name="Zoë")
    exported = run_command("--campaign", "dressember-2026")
    refused = run_command("--since", "yesterday")

    assert exported.returncode == 0 and exported.stderr == b""
    assert [row["first_name"] for row in read_csv(exported.stdout)] == ["Zoë"]
    assert refused.returncode == 1 and refused.stdout == b""
    assert refused.stderr.decode().strip() == "CommandError: --since: Enter a date as YYYY-MM-DD."
