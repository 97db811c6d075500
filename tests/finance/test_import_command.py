"""import_gifts PATH [--dry-run] [--tell-fundraisers]: the file checked in full, bad rows on
stderr by line, a one-line reason and exit 1 on any failure."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from donations.models import Donation, Donor
from finance.models import AuditLogEntry, GiftImport
from tests.factories import UserFactory
from tests.finance.import_files import csv_bytes, gift_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def gifts_file(tmp_path):
    def write(raw: bytes, name: str = "gifts.csv") -> str:
        path = tmp_path / name
        path.write_bytes(raw)
        return str(path)

    return write


def import_gifts(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_gifts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_clean_file_is_imported_with_one_line_of_counts_and_totals(fundraiser, gifts_file):
    out, err = import_gifts(gifts_file(csv_bytes([gift_row(1), gift_row(2, amount="1200.50")])))

    assert out == "Imported 2 gifts: 1250.50 USD.\n"
    assert err == ""
    assert Donation.objects.count() == 2
    gift_import = GiftImport.objects.get()
    assert gift_import.created_by is None and gift_import.file_name == "gifts.csv"
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.channel, entry.row_count, entry.user) == ("import", "command", 2, None)
    assert entry.actor.endswith("(command line)")


def test_bad_rows_are_each_printed_by_line_and_the_command_fails_with_a_summary(fundraiser, gifts_file):
    rows = [gift_row(n) for n in range(1, 101)]
    rows[4]["amount"] = "0"
    rows[19]["fund"] = "bakery"
    rows[79]["reference"] = "CHQ-00001"
    path = gifts_file(csv_bytes(rows))
    err = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_gifts", path, stdout=io.StringIO(), stderr=err)

    assert str(caught.value) == "3 of 100 rows are invalid; nothing was imported"
    assert caught.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "line 6: amount 0 must be more than zero",
        "line 21: campaign 'dressember-2026' does not offer a fund 'bakery'",
        "line 81: reference 'CHQ-00001' is also on line 2",
    ]
    assert not Donation.objects.exists() and not Donor.objects.exists()


@pytest.mark.parametrize("flag", [["--tell-fundraisers"], []], ids=["told", "not-told"])
def test_the_page_owner_hears_of_imported_gifts_only_with_the_flag(
    fundraiser, gifts_file, mailoutbox, flag, django_capture_on_commit_callbacks
):
    fundraiser.owner = UserFactory(email="nia@example.org")
    fundraiser.save()

    with django_capture_on_commit_callbacks(execute=True):
        import_gifts(gifts_file(csv_bytes([gift_row(1)])), *flag)

    assert Donation.objects.count() == 1
    assert GiftImport.objects.get().tell_fundraisers == bool(flag)
    assert len([message for message in mailoutbox if message.to == ["nia@example.org"]]) == len(flag)


def test_a_dry_run_reports_and_writes_no_gift_but_is_audited(fundraiser, gifts_file):
    out, _ = import_gifts(gifts_file(csv_bytes([gift_row(1), gift_row(2)])), "--dry-run")

    assert out == "All 2 rows are valid: 100.00 USD. Dry run: nothing was imported.\n"
    assert not Donation.objects.exists()
    assert AuditLogEntry.objects.get().action == AuditLogEntry.Action.IMPORT_CHECK


def test_a_dry_run_with_bad_rows_fails_like_an_import(fundraiser, gifts_file):
    with pytest.raises(CommandError, match=r"^1 of 2 rows are invalid; nothing was imported$"):
        import_gifts(gifts_file(csv_bytes([gift_row(1), gift_row(2, method="card")])), "--dry-run")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("date,amount\n".encode("utf-16"), "The file is not UTF-8 text (line 1"),
        (b"date,amount,colour\n", "The header (line 1) has unknown column 'colour'; missing columns 'currency',"),
        (b"", "The file is empty"),
    ],
)
def test_a_bad_file_is_one_line_and_creates_nothing(db, gifts_file, raw, reason):
    path = gifts_file(raw)

    with pytest.raises(CommandError) as caught:
        import_gifts(path)

    assert str(caught.value).startswith(f"{path}: {reason}")
    assert "\n" not in str(caught.value)
    assert not GiftImport.objects.exists() and not AuditLogEntry.objects.exists()


def test_an_unreadable_path_is_one_line(db, tmp_path):
    with pytest.raises(CommandError, match=r"^cannot read .*missing\.csv: No such file or directory$"):
        import_gifts(str(tmp_path / "missing.csv"))


def test_the_command_line_exits_non_zero_with_the_reason_on_stderr(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,amount\n2026-01-05,Jos\xe9\n".encode("latin-1"))

    result = subprocess.run(
        [sys.executable, "manage.py", "import_gifts", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hopefund.settings.test"},
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"CommandError: {path}: The file is not UTF-8 text (line 2 has bytes UTF-8 does not allow); "
        f'save it as "CSV UTF-8" and try again.'
    )


def test_the_progress_bars_draw_on_a_terminal(fundraiser, gifts_file, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    import_gifts(gifts_file(csv_bytes([gift_row(1), gift_row(2)])))

    drawn = terminal.getvalue()
    assert "Checking [" in drawn and "Writing [" in drawn and "2/2" in drawn
