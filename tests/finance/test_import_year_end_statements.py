"""Imported gifts count on year-end statements, and send_year_end_statements
shows its progress on a terminal (told by the service, never printed by it)."""

import io
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from finance.imports import reader, runner
from finance.models import AuditLogEntry
from receipts.models import YearEndStatement
from receipts.services import statements as statement_services
from tests.finance.import_files import csv_bytes, gift_row

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def last_years_offline_gifts(fundraiser):
    raw = csv_bytes([gift_row(n, date=f"{LAST_YEAR}-0{n}-15", receipt="no") for n in range(1, 4)])
    gift_import = runner.create_gift_import(
        file_name="cheques.csv", import_file=reader.read_import_file(raw), dry_run=False
    )
    assert runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND).imported_rows == 3


def test_the_service_tells_progress_as_it_queues_each_statement(last_years_offline_gifts):
    told = []

    run = statement_services.issue_year_end_statements(
        years=statement_services.statement_years(str(LAST_YEAR)), on_progress=lambda *args: told.append(args)
    )

    assert (run.donors, run.new_statements) == (3, 3)
    assert told == [(1, 3), (2, 3), (3, 3)]
    assert YearEndStatement.objects.filter(year=LAST_YEAR).count() == 3


def test_the_command_draws_a_progress_bar_on_a_terminal_only(last_years_offline_gifts, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = io.StringIO()

    call_command("send_year_end_statements", str(LAST_YEAR), stdout=out)

    assert "Queueing statements [" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert out.getvalue() == f"{LAST_YEAR}: 3 donors with gifts; queued 3 new statements; 0 had one already.\n"
