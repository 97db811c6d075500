"""The finance page's import: upload, a Celery task (eager here) that runs
it once, a page following it, and who may do what."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from donations.models import Donation
from finance import tasks
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from finance.services.permissions import FINANCE_GROUP
from tests.auth import log_in
from tests.factories import UserFactory
from tests.finance.import_files import csv_bytes, gift_row

pytestmark = pytest.mark.django_db

IMPORTS_URL = reverse("finance:imports")


def upload(
    client, raw: bytes, *, name: str = "november.csv", dry_run: bool = False, tell_fundraisers: bool = False, capture
):
    data = {"file": SimpleUploadedFile(name, raw, content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    if tell_fundraisers:
        data["tell_fundraisers"] = "on"
    with capture(execute=True):
        return client.post(IMPORTS_URL, data)


@pytest.fixture
def finance_user(db):
    user = UserFactory(email="fiona@example.org", first_name="Fiona", last_name="Finance", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user


@pytest.fixture
def finance_client(client, finance_user):
    log_in(client, finance_user)
    return client


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_an_upload_runs_in_the_task_and_the_page_shows_the_outcome(finance_client, finance_user, fundraiser, capture):
    response = upload(finance_client, csv_bytes([gift_row(1), gift_row(2, amount="12.50")]), capture=capture)

    gift_import = GiftImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:import-detail", args=[gift_import.public_id])
    assert gift_import.status == GiftImport.Status.IMPORTED and gift_import.created_by == finance_user
    assert Donation.objects.count() == 2
    entry = AuditLogEntry.objects.get()
    assert (entry.channel, entry.user, entry.row_count) == ("web", finance_user, 2)

    page = finance_client.get(response["Location"]).content.decode()
    assert "Imported 2 gifts: 62.50 USD." in page
    assert '<progress id="import-progress" max="2" value="2">' in page
    assert "gift_import.js" not in page  # finished: nothing left to follow


def test_a_file_with_bad_rows_shows_each_with_its_line_and_imports_nothing(finance_client, fundraiser, capture):
    response = upload(
        finance_client, csv_bytes([gift_row(1), gift_row(2, amount="abc"), gift_row(3, date="")]), capture=capture
    )

    page = finance_client.get(response["Location"]).content.decode()
    assert "2 of 3 rows are invalid; nothing was imported." in page
    assert (
        '<tr><th scope="row">3</th><td>amount &#x27;abc&#x27; is not an amount; write it like 50.00</td></tr>' in page
    )
    assert '<tr><th scope="row">4</th><td>date is required</td></tr>' in page
    assert not Donation.objects.exists()


def test_a_dry_run_from_the_page_writes_nothing_and_says_so(finance_client, fundraiser, capture):
    response = upload(finance_client, csv_bytes([gift_row(1)]), dry_run=True, capture=capture)

    page = finance_client.get(response["Location"]).content.decode()
    assert "All 1 row are valid: 50.00 USD. This was a dry run: nothing was imported." in page
    assert not Donation.objects.exists()
    assert AuditLogEntry.objects.get().action == "import_check"


@pytest.mark.parametrize("tell_fundraisers", [True, False], ids=["ticked", "unticked"])
def test_the_page_owner_hears_of_imported_gifts_only_when_finance_ticks_the_box(
    finance_client, fundraiser, capture, mailoutbox, tell_fundraisers
):
    fundraiser.owner = UserFactory(email="nia@example.org")
    fundraiser.save()

    response = upload(finance_client, csv_bytes([gift_row(1)]), tell_fundraisers=tell_fundraisers, capture=capture)

    assert Donation.objects.count() == 1
    told = [message for message in mailoutbox if message.to == ["nia@example.org"]]
    assert len(told) == (1 if tell_fundraisers else 0)
    page = finance_client.get(response["Location"]).content.decode()
    assert f"<dt>Fundraisers told</dt><dd>{'Yes' if tell_fundraisers else 'No'}" in page


def test_the_task_run_twice_imports_once(fundraiser):
    raw = csv_bytes([gift_row(1), gift_row(2)])
    gift_import = runner.create_gift_import(
        file_name="twice.csv", import_file=reader.read_import_file(raw), dry_run=False
    )

    assert tasks.run_gift_import.delay(gift_import.pk).get() == "imported"
    assert tasks.run_gift_import.delay(gift_import.pk).get() == "imported"

    assert Donation.objects.count() == 2
    assert AuditLogEntry.objects.count() == 1


def test_a_running_import_page_follows_its_progress(finance_client, fundraiser):
    raw = csv_bytes([gift_row(n) for n in range(1, 5)])
    gift_import = runner.create_gift_import(
        file_name="big.csv", import_file=reader.read_import_file(raw), dry_run=False
    )
    GiftImport.objects.filter(pk=gift_import.pk).update(status=GiftImport.Status.RUNNING, processed_rows=1)
    detail = reverse("finance:import-detail", args=[gift_import.public_id])
    status = reverse("finance:import-status", args=[gift_import.public_id])

    page = finance_client.get(detail).content.decode()
    assert '<progress id="import-progress" max="4" value="1">' in page
    assert f'data-import-status-url="{status}"' in page and "gift_import.js" in page
    assert finance_client.get(status).json() == {
        "status": "running",
        "phase": "checking",
        "phase_text": "Checking every row",
        "finished": False,
        "processed_rows": 1,
        "total_rows": 4,
        "count_text": "1 of 4 rows checked",
    }

    GiftImport.objects.filter(pk=gift_import.pk).update(processed_rows=4)
    assert finance_client.get(status).json()["phase"] == "writing"
    assert '<progress id="import-progress" max="4">' in finance_client.get(detail).content.decode()


def test_the_list_shows_recent_imports_and_the_columns_with_the_example_file(finance_client, fundraiser, capture):
    upload(finance_client, csv_bytes([gift_row(1)]), name="cheques-november.csv", capture=capture)

    page = finance_client.get(IMPORTS_URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "cheques-november.csv" in html and "Imported" in html
    assert "<caption>Columns of an offline gift file</caption>" in html
    assert reverse("finance:import-example") in html
    assert '<label for="id_file">CSV file:</label>' in html


def test_the_example_file_downloads_and_is_valid_for_the_demo_campaign(finance_client):
    from demo.seed import seed_demo

    seed_demo()
    response = finance_client.get(reverse("finance:import-example"))
    raw = b"".join(response.streaming_content)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    gift_import = runner.create_gift_import(
        file_name="example.csv", import_file=reader.read_import_file(raw), dry_run=True
    )
    checked = runner.run_import(gift_import_id=gift_import.pk, channel="web")
    assert checked.status == GiftImport.Status.CHECKED, checked.errors


# --- Bad uploads: a form error, a 400, nothing created ---------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        (
            {"file": SimpleUploadedFile("gifts.xlsx", b"PK\x03\x04", content_type="application/vnd.ms-excel")},
            "Choose a .csv file",
        ),
        ({"file": SimpleUploadedFile("gifts.csv", b"", content_type="text/csv")}, "The submitted file is empty."),
        (
            {"file": SimpleUploadedFile("gifts.csv", "date,amount\n".encode("utf-16"), content_type="text/csv")},
            "The file is not UTF-8 text",
        ),
        (
            {"file": SimpleUploadedFile("gifts.csv", b"date,amount,colour\n", content_type="text/csv")},
            "unknown column &#x27;colour&#x27;",
        ),
    ],
)
def test_a_bad_upload_is_a_form_error_and_creates_nothing(finance_client, data, message):
    response = finance_client.post(IMPORTS_URL, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not GiftImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(finance_client, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 50)
    response = finance_client.post(IMPORTS_URL, {"file": SimpleUploadedFile("g.csv", b"x" * 51)})

    assert response.status_code == 400
    assert "The file is larger than" in response.content.decode()
    assert not GiftImport.objects.exists()


# --- Who may ------------------------------------------------------------------------------


def import_urls() -> list[str]:
    gift_import = runner.create_gift_import(
        file_name="g.csv", import_file=reader.read_import_file(csv_bytes([gift_row()])), dry_run=True
    )
    return [
        IMPORTS_URL,
        reverse("finance:import-example"),
        reverse("finance:import-detail", args=[gift_import.public_id]),
        reverse("finance:import-status", args=[gift_import.public_id]),
    ]


def test_visitors_are_sent_to_log_in(client, db):
    for url in import_urls():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.post(IMPORTS_URL, {"file": SimpleUploadedFile("g.csv", csv_bytes([gift_row()]))}).status_code == 302


@pytest.mark.parametrize("who", ["captain", "staff_without_finance"])
def test_people_without_the_import_permission_get_403(client, team, who):
    if who == "captain":
        user = UserFactory(email="casey@example.org")
        team.captains.add(user)
    else:
        user = UserFactory(email="stella@example.org", is_staff=True)
    log_in(client, user)

    for url in import_urls():
        assert client.get(url).status_code == 403, url
    assert client.post(IMPORTS_URL, {"file": SimpleUploadedFile("g.csv", csv_bytes([gift_row()]))}).status_code == 403
    assert GiftImport.objects.count() == 1  # only the one made by import_urls()


def test_finance_staff_get_every_page(finance_client):
    for url in import_urls():
        assert finance_client.get(url).status_code == 200, url


def test_an_unknown_import_is_404(finance_client):
    missing = "00000000-0000-4000-8000-000000000000"

    assert finance_client.get(reverse("finance:import-detail", args=[missing])).status_code == 404
    assert finance_client.get(reverse("finance:import-status", args=[missing])).status_code == 404
