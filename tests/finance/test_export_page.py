"""The finance export page, /finance/export/: who may use it, the CSV and
XLSX downloads, bad filters, and the audit entry of each download."""

import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from finance.exports import HEADERS
from finance.models import AuditLogEntry
from tests.auth import log_in
from tests.factories import DonationFactory, UserFactory
from tests.finance.export_files import read_csv

pytestmark = pytest.mark.django_db

URL = "/finance/export/"


@pytest.fixture
def gifts(campaign):
    return [
        DonationFactory(succeeded=True, campaign=campaign, created_at=datetime(2026, 12, day, tzinfo=UTC))
        for day in (1, 2, 3)
    ]


@pytest.fixture
def finance(client, finance_user):
    log_in(client, finance_user)
    return finance_user


def download(client, **params):
    return client.get(URL, {"download": "csv", **params})


def test_the_url_name_is_the_one_the_lead_links_to():
    assert reverse("finance:export") == URL


def test_a_visitor_is_sent_to_log_in(client, gifts):
    response = download(client)

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not AuditLogEntry.objects.exists()


def test_a_captain_is_refused(client, team, gifts):
    captain = UserFactory(email="casey@example.org")
    team.captains.add(captain)
    log_in(client, captain)

    assert download(client).status_code == 403
    assert client.get(URL).status_code == 403
    assert not AuditLogEntry.objects.exists()


def test_staff_outside_the_finance_group_are_refused(client, gifts):
    log_in(client, UserFactory(email="staff@example.org", is_staff=True))

    assert download(client).status_code == 403


def test_the_form_shows_every_filter_with_a_label(client, finance, campaign):
    page = client.get(URL).content.decode()

    for field in ("since", "until", "campaign", "status", "fund"):
        assert f'<label for="id_{field}">' in page
    assert 'value="csv">Download CSV</button>' in page
    assert "<caption>What each column holds</caption>" in page and '<th scope="col">Column</th>' in page
    assert '<option value="dressember-2026">' in page


def test_finance_downloads_every_gift_as_csv_and_it_is_audited(client, finance, gifts):
    response = download(client)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="gifts-')
    assert response["Cache-Control"] == "private, no-store"
    assert not AuditLogEntry.objects.exists()  # the count is known once the stream ends
    rows = read_csv(b"".join(response.streaming_content))
    assert [row["gift_id"] for row in rows] == [str(gift.public_id) for gift in gifts]
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.channel, entry.user, entry.actor, entry.row_count) == (
        "export",
        "web",
        finance,
        "fiona@example.org",
        3,
    )
    assert entry.filters == {"format": "csv"}


def test_the_filters_narrow_the_download_and_are_audited(client, finance, gifts, funds):
    response = download(
        client, since="2026-12-02", until="2026-12-02", campaign="dressember-2026", status="succeeded", fund="general"
    )

    [row] = read_csv(b"".join(response.streaming_content))
    assert row["gift_id"] == str(gifts[1].public_id)
    assert AuditLogEntry.objects.get().filters == {
        "since": "2026-12-02",
        "until": "2026-12-02",
        "campaign": "dressember-2026",
        "status": "succeeded",
        "fund": "general",
        "format": "csv",
    }


def test_xlsx_download(client, finance, gifts):
    response = client.get(URL, {"download": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="gifts-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)["Gifts"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) == 4
    assert AuditLogEntry.objects.get().row_count == 3


@pytest.mark.parametrize(
    "params, message",
    [
        ({"since": "yesterday"}, "Enter a date as YYYY-MM-DD."),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "The first day (2026-12-05) is after the last day"),
        ({"campaign": "nope"}, "There is no campaign with the slug “nope”."),
        ({"fund": "nope"}, "There is no fund with the slug “nope”."),
        ({"status": "lost"}, "“lost” is not a gift status."),
        ({"download": "pdf"}, "Choose CSV or XLSX."),
    ],
)
def test_bad_filters_answer_400_with_the_message_and_record_nothing(client, finance, gifts, params, message):
    response = download(client, **params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditLogEntry.objects.exists()


def test_only_get_is_allowed(client, finance):
    assert client.post(URL, {"download": "csv"}).status_code == 405
