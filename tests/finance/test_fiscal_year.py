"""FISCAL_YEAR_START: the charity's own year sets the finance overview's
default period, its quick choices and the export's (the page's and
export_donations --fiscal-year); a start that is not a day every year has
stops start-up."""

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from core import env
from tests.auth import log_in
from tests.factories import DonationFactory, local_time
from tests.finance.export_files import read_csv

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff_client(client, finance_user):
    log_in(client, finance_user)
    return client


def fiscal_year_under_way(month: int, day: int) -> tuple[date, date]:
    today = timezone.localdate()
    start_year = today.year if (today.month, today.day) >= (month, day) else today.year - 1
    return date(start_year, month, day), date(start_year + 1, month, day) - timedelta(days=1)


def test_by_default_the_overview_reports_the_fiscal_year_under_way(settings, staff_client, campaign, funds):
    settings.FISCAL_YEAR_START = "07-01"
    start, end = fiscal_year_under_way(7, 1)
    for amount, when in ((111, local_time(start.year, 7, 1, 0, 0)), (999, local_time(start.year, 6, 30, 23, 59))):
        DonationFactory(
            status="succeeded", campaign=campaign, fund=funds["rescue"], amount_minor=amount, succeeded_at=when
        )

    response = staff_client.get("/finance/")

    overview = response.context["overview"]
    assert (overview.start, overview.end) == (start, end)
    assert [line.figures.gross_minor for line in overview.by_currency] == [111]


def test_the_overview_offers_this_and_last_fiscal_year_labelled_fy(settings, staff_client):
    settings.FISCAL_YEAR_START = "04-06"
    start, end = fiscal_year_under_way(4, 6)
    label = f"FY {start.year}-{(start.year + 1) % 100:02d}"
    last_label = f"FY {start.year - 1}-{start.year % 100:02d}"

    page = staff_client.get("/finance/").content.decode()

    assert f'href="?from={start}&amp;to={end}">This fiscal year ({label})</a>' in page
    last_end = start - timedelta(days=1)
    assert f'href="?from={date(start.year - 1, 4, 6)}&amp;to={last_end}">Last fiscal year ({last_label})</a>' in page


def test_a_fiscal_year_that_is_the_calendar_year_is_labelled_by_its_year(settings, staff_client):
    year = timezone.localdate().year

    page = staff_client.get("/finance/").content.decode()

    assert settings.FISCAL_YEAR_START == "01-01"
    assert f'href="?from={year}-01-01&amp;to={year}-12-31">This fiscal year ({year})</a>' in page
    assert f"Last fiscal year ({year - 1})</a>" in page and "FY " not in page


@pytest.fixture
def gifts_around_july(campaign):
    """Gifts on the last day of fiscal 2025-26 and the first and last of
    2026-27, for a year starting 1 July."""
    return {
        when: DonationFactory(succeeded=True, campaign=campaign, created_at=datetime(*when, 12, tzinfo=UTC))
        for when in ((2026, 6, 30), (2026, 7, 1), (2027, 6, 30))
    }


def test_the_export_page_offers_the_fiscal_years_and_exports_one(settings, staff_client, gifts_around_july):
    settings.FISCAL_YEAR_START = "07-01"
    start, _end = fiscal_year_under_way(7, 1)
    label = f"FY {start.year}-{(start.year + 1) % 100:02d}"

    page = staff_client.get("/finance/export/").content.decode()
    response = staff_client.get("/finance/export/", {"download": "csv", "fiscal_year": "2026"})

    assert f'<option value="{start.year}">This fiscal year ({label})</option>' in page
    assert f'<option value="{start.year - 1}">Last fiscal year (' in page
    exported = {row["gift_id"] for row in read_csv(b"".join(response.streaming_content))}
    assert exported == {str(gifts_around_july[(2026, 7, 1)].public_id), str(gifts_around_july[(2027, 6, 30)].public_id)}


def test_the_export_page_refuses_a_fiscal_year_with_dates(settings, staff_client, gifts_around_july):
    response = staff_client.get("/finance/export/", {"download": "csv", "fiscal_year": "2026", "since": "2026-01-01"})

    assert response.status_code == 400
    assert "Choose a fiscal year or the first and last days, not both." in response.content.decode()


def test_export_donations_fiscal_year_exports_the_year_that_starts_then(settings, gifts_around_july):
    settings.FISCAL_YEAR_START = "07-01"
    out = io.StringIO()

    call_command("export_donations", "--fiscal-year", "2025", stdout=out, stderr=io.StringIO())

    assert [row["gift_id"] for row in read_csv(out.getvalue().encode())] == [
        str(gifts_around_july[(2026, 6, 30)].public_id)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fiscal-year", "26"], "--fiscal-year: Enter the year the fiscal year starts in, as YYYY, not “26”."),
        (["--fiscal-year", "2026", "--until", "2026-12-31"], "--fiscal-year: Choose a fiscal year or the first"),
    ],
)
def test_export_donations_refuses_a_bad_fiscal_year_in_one_line(args, message, gifts_around_july):
    with pytest.raises(CommandError) as refused:
        call_command("export_donations", *args, stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


@pytest.mark.parametrize("value", ["13-01", "02-29", "4-6", "0406", "april"])
def test_a_fiscal_year_start_that_is_no_day_every_year_has_is_refused(monkeypatch, value):
    monkeypatch.setenv("FISCAL_YEAR_START", value)

    with pytest.raises(ImproperlyConfigured, match=r"^FISCAL_YEAR_START must be a day of the year as MM-DD"):
        env.month_day("FISCAL_YEAR_START", "01-01")


def test_the_settings_refuse_to_start_with_a_bad_fiscal_year_start():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hopefund.settings.test", "FISCAL_YEAR_START": "April 6"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "FISCAL_YEAR_START must be a day of the year as MM-DD (04-06 for 6 April), not 'April 6'" in result.stderr
