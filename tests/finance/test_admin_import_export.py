"""Admin exports of gifts, donors, refunds and receipts, and the donor
import: finance permissions, changelist filters, formula escaping, audit."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.models import Donation, Donor, Refund
from finance.models import AuditLogEntry
from receipts.models import Receipt
from tests.auth import log_in
from tests.factories import DonationFactory, DonorFactory, UserFactory, local_time

pytestmark = pytest.mark.django_db

S = Donation.Status
FORMATS = {"csv": "0", "xlsx": "1"}  # the order of FinanceExportMixin.export_formats


@pytest.fixture
def staff_client(client, finance_user):
    log_in(client, finance_user)
    return client


def export(client, changelist: str, query: str = "", file_format: str = "csv"):
    """Export from an admin changelist as a person would: open the export
    page from the changelist's Export link (its filters in the address),
    keep every column, choose the format, submit."""
    url = f"/admin/{changelist}/export/{query}"
    form = client.get(url).context["form"]
    columns = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}
    response = client.post(url, {"format": FORMATS[file_format], "resource": "0", **columns})
    assert response.status_code == 200, response.content[:500]
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_formula_in_a_donor_name_is_exported_as_text_in_csv_and_xlsx(staff_client, campaign, funds):
    DonationFactory(
        status=S.SUCCEEDED,
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=5_000,
        succeeded_at=local_time(2026, 3, 1),
        donor=DonorFactory(first_name='=HYPERLINK("http://evil.example","click")', last_name="@SUM(A1)"),
        message="+1 from the office",
    )

    [row] = csv_rows(export(staff_client, "donations/donation"))
    assert row["donor_first_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["donor_last_name"] == "'@SUM(A1)"
    assert row["message"] == "'+1 from the office"

    sheet = openpyxl.load_workbook(
        io.BytesIO(export(staff_client, "donations/donation", file_format="xlsx").content)
    ).active
    header = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=2, column=header.index("donor_first_name") + 1)
    assert name.data_type != "f" and name.value.startswith("'=HYPERLINK")


def test_the_export_keeps_the_changelist_filter(staff_client, campaign, funds):
    kept = DonationFactory(
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=5_000,
        succeeded_at=local_time(2026, 3, 1),
        status=S.REFUNDED,
        refunded_minor=5_000,
    )
    DonationFactory(
        status=S.SUCCEEDED,
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=7_000,
        succeeded_at=local_time(2026, 3, 2),
    )

    rows = csv_rows(export(staff_client, "donations/donation", "?status__exact=refunded"))

    assert [row["public_id"] for row in rows] == [str(kept.public_id)]


def test_exported_amounts_are_plain_decimals_in_the_gifts_currency(staff_client, campaign, funds):
    DonationFactory(
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=123_456,
        fee_covered_minor=3_700,
        succeeded_at=local_time(2026, 3, 1),
        stripe_fee_minor=3_700,
        status=S.PARTIALLY_REFUNDED,
        refunded_minor=10_000,
    )

    [row] = csv_rows(export(staff_client, "donations/donation"))

    assert (row["amount"], row["fee_covered"], row["gross"], row["refunded"], row["stripe_fee"], row["net"]) == (
        "1234.56",
        "37.00",
        "1271.56",
        "100.00",
        "37.00",
        "1134.56",
    )


def test_a_split_gift_lists_its_parts_and_its_fees_in_one_row(staff_client, campaign, funds):
    DonationFactory(
        campaign=campaign,
        amount_minor=10_000,
        allocations=[(funds["rescue"], 6_000), (funds["aftercare"], 4_000)],
        fee_covered_minor=300,
        succeeded_at=local_time(2026, 3, 1),
        stripe_fee_minor=329,
        status=S.SUCCEEDED,
    )

    [row] = csv_rows(export(staff_client, "donations/donation"))

    assert (row["allocations"], row["fund"]) == ("rescue 60.00; aftercare 40.00", "rescue")
    assert (row["amount"], row["fee_covered"], row["gross"], row["stripe_fee"], row["net"]) == (
        "100.00",
        "3.00",
        "103.00",
        "3.29",
        "99.71",
    )


def test_an_online_gift_whose_stripe_fee_is_unknown_has_no_net(staff_client, campaign, funds):
    DonationFactory(campaign=campaign, fund=funds["rescue"], status=S.PENDING, stripe_fee_minor=None)

    [row] = csv_rows(export(staff_client, "donations/donation"))

    assert (row["allocations"], row["stripe_fee"], row["net"]) == ("rescue 50.00", "", "")


def test_every_export_is_audited_with_who_the_filters_and_the_row_count(staff_client, campaign, funds):
    for _ in range(2):
        DonationFactory(
            status=S.SUCCEEDED,
            campaign=campaign,
            fund=funds["rescue"],
            amount_minor=5_000,
            succeeded_at=local_time(2026, 3, 1),
        )

    export(staff_client, "donations/donation", "?status__exact=succeeded&q=example.org", file_format="xlsx")

    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.channel, entry.subject, entry.row_count) == ("export", "admin", "donations", 2)
    assert entry.filters == {"changelist": {"status__exact": "succeeded", "q": "example.org"}, "format": "xlsx"}
    assert entry.user.groups.filter(name="Finance").exists()


@pytest.mark.parametrize(
    "changelist, header",
    [
        ("donations/refund", "amount"),
        ("receipts/receipt", "number"),
        ("donations/donor", "email"),
    ],
)
def test_refunds_receipts_and_donors_export_too(staff_client, campaign, funds, changelist, header):
    paid = DonationFactory(
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=5_000,
        succeeded_at=local_time(2026, 3, 1),
        status=S.PARTIALLY_REFUNDED,
        refunded_minor=1_250,
    )
    Refund.objects.create(donation=paid, amount_minor=1_250, status=Refund.Status.SUCCEEDED)
    Receipt.objects.create(
        donation=paid, year=2026, sequence=1, number="2026-000001", amount_minor=3_750, currency="usd"
    )

    [row] = csv_rows(export(staff_client, changelist))

    assert row[header] in {"12.50", "2026-000001", paid.donor.email}
    assert AuditLogEntry.objects.get().subject == changelist.split("/")[1] + "s"


def test_the_donation_export_runs_as_many_queries_for_20_gifts_as_for_2(staff_client, campaign, funds, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(staff_client, "donations/donation")
        return len(captured)

    def add(count):
        for _ in range(count):
            DonationFactory(
                status=S.SUCCEEDED,
                campaign=campaign,
                team=team,
                fund=funds["rescue"],
                amount_minor=5_000,
                succeeded_at=local_time(2026, 3, 1),
            )

    add(2)
    few = queries()
    add(18)
    assert queries() == few


# --- The donor import -------------------------------------------------------


def _upload(client, content: str):
    return client.post(
        "/admin/donations/donor/import/",
        {
            "import_file": SimpleUploadedFile("donors.csv", content.encode(), content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )


def _confirm(client, preview):
    return client.post("/admin/donations/donor/process_import/", preview.context["confirm_form"].initial)


def test_a_donor_import_previews_the_change_then_updates_the_address_on_confirm(staff_client):
    ada = DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lee", city="Springfield")
    file = (
        "email,first_name,last_name,address_line1,city,postal_code,country\n"
        "ADA@Example.org,Ada,Lee,12 New Road,Shelbyville,62565,US\n"
    )

    preview = _upload(staff_client, file)

    assert preview.status_code == 200 and "confirm_form" in preview.context
    ada.refresh_from_db()
    assert ada.city == "Springfield"  # the preview writes nothing
    check = AuditLogEntry.objects.get()
    assert (check.action, check.subject, check.row_count, check.filters["file"]) == (
        "import_check",
        "donors",
        1,
        "donors.csv",
    )

    assert _confirm(staff_client, preview).status_code == 302
    ada.refresh_from_db()
    assert (ada.address_line1, ada.city, ada.postal_code, ada.country) == ("12 New Road", "Shelbyville", "62565", "US")
    assert Donor.objects.count() == 1
    done = AuditLogEntry.objects.filter(action="import").get()
    assert (done.channel, done.subject, done.row_count) == ("admin", "donors", 1)


def test_a_donor_import_naming_an_unknown_email_is_refused_in_the_preview(staff_client):
    DonorFactory(email="ada@example.org")

    preview = _upload(staff_client, "email,first_name,last_name\nnobody@example.org,No,Body\n")

    assert "confirm_form" not in preview.context
    assert "No donor has the email &#x27;nobody@example.org&#x27;" in preview.content.decode()
    assert Donor.objects.count() == 1
    assert AuditLogEntry.objects.get().filters["invalid"] == 1


def test_an_unchanged_donor_row_is_skipped_and_counts_as_no_change(staff_client):
    DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lee")

    preview = _upload(staff_client, "email,first_name,last_name\nada@example.org,Ada,Lee\n")
    _confirm(staff_client, preview)

    assert AuditLogEntry.objects.filter(action="import").get().row_count == 0


def test_the_donor_import_needs_the_right_to_change_donors_as_well_as_to_import(client, db):
    importer = UserFactory(email="ivan@example.org", is_staff=True)
    importer.user_permissions.add(
        *Permission.objects.filter(codename__in=["import_gifts", "view_donor"]),
    )
    DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lee")
    log_in(client, importer)

    assert client.get("/admin/donations/donor/import/").status_code == 403
    refused = _upload(client, "email,first_name,last_name\nada@example.org,Eve,Mallory\n")

    assert refused.status_code == 403
    assert Donor.objects.get().first_name == "Ada"
    assert not AuditLogEntry.objects.exists()
