"""Gifts given as an organisation in finance's tools: the `organization`
column of the streamed export and the admin's, the offline import's
optional `organization` column, and the overview's totals by organisation."""

import pytest
from openpyxl import load_workbook

from campaigns.models import Organization
from donations.models import Donation
from finance.exports import GiftExport, GiftFilters
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from finance.resources import DonationResource
from finance.selectors import overview
from tests.auth import log_in
from tests.factories import DonationFactory, OrganizationFactory, local_time
from tests.finance.export_files import exported_rows, python_csv_bytes, read_csv
from tests.finance.import_files import HEADER, csv_bytes, gift_row

pytestmark = pytest.mark.django_db

WITH_ORGANIZATION = (*HEADER, "organization")


def given_as(organization: Organization, **fields) -> Donation:
    return DonationFactory(organization=organization, **{"organization_name": organization.name, **fields})


def test_the_export_names_the_organisation_given_as_and_leaves_it_empty_for_a_persons_gift(campaign):
    church = OrganizationFactory(name="Grace Church")
    for_church = given_as(church, status="succeeded", campaign=campaign, organization_name="grace church")
    own = DonationFactory(status="succeeded", campaign=campaign)

    rows = {row["gift_id"]: row for row in exported_rows()}

    # As named with the gift, like the donor's name and address.
    assert rows[str(for_church.public_id)]["organization"] == "grace church"
    assert rows[str(own.public_id)]["organization"] == ""
    assert read_csv(python_csv_bytes()) == list(rows.values())  # the Python writer agrees with COPY


def test_the_xlsx_export_has_the_organisation_column_too(campaign, tmp_path):
    given_as(OrganizationFactory(name="Grace Church"), status="succeeded", campaign=campaign)
    path = tmp_path / "gifts.xlsx"
    with path.open("wb") as out:
        GiftExport(GiftFilters()).write_xlsx(out)

    header, row = load_workbook(path).active.iter_rows(values_only=True)
    assert row[header.index("organization")] == "Grace Church"


def test_the_admins_gift_export_has_the_organisation(campaign):
    given_as(OrganizationFactory(name="Grace Church"), status="succeeded", campaign=campaign)

    dataset = DonationResource().export(Donation.objects.all())

    assert dataset.dict[0]["organization"] == "Grace Church"


def run_import(rows: list[dict]) -> GiftImport:
    gift_import = runner.create_gift_import(
        file_name="gifts.csv",
        import_file=reader.read_import_file(csv_bytes(rows, WITH_ORGANIZATION)),
        dry_run=False,
    )
    return runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND)


def test_an_imported_row_with_an_organisation_is_given_as_it_at_the_rows_address(fundraiser):
    OrganizationFactory(name="Grace Church", address_line1="Old address")
    rows = [
        gift_row(1, organization="GRACE CHURCH", address_line1="1 Chapel St"),
        gift_row(2, organization="St Mary's School"),
        gift_row(3),
    ]

    gift_import = run_import(rows)

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors
    church, school = Organization.objects.get(name="Grace Church"), Organization.objects.get(name="St Mary's School")
    by_donor = {gift.donor.email: gift for gift in Donation.objects.select_related("donor")}
    assert (by_donor["donor1@example.org"].organization, by_donor["donor1@example.org"].organization_name) == (
        church,
        "GRACE CHURCH",
    )
    assert by_donor["donor2@example.org"].organization == school
    assert by_donor["donor3@example.org"].organization is None
    # The paid gift brings the record up to date, as an online one does.
    assert (church.address_line1, church.contact_name, church.contact_email) == (
        "1 Chapel St",
        "Dana Donor1",
        "donor1@example.org",
    )


def test_an_organisation_name_too_long_is_a_bad_row_and_nothing_is_written(fundraiser):
    gift_import = run_import([gift_row(1, organization="Grace Church"), gift_row(2, organization="x" * 201)])

    assert gift_import.status == GiftImport.Status.REJECTED
    assert gift_import.errors == [{"line": 3, "message": "organization is longer than 200 characters"}]
    assert not Donation.objects.exists() and not Organization.objects.exists()


def test_the_overview_totals_gifts_by_the_organisation_given_as(campaign, funds):
    church, school = OrganizationFactory(name="Grace Church"), OrganizationFactory(name="Abbey School")
    paid = {
        "status": "succeeded",
        "campaign": campaign,
        "fund": funds["rescue"],
        "succeeded_at": local_time(2026, 5, 2),
    }
    given_as(church, amount_minor=3000, **paid)
    given_as(church, amount_minor=2000, stripe_fee_minor=100, **paid)
    given_as(school, amount_minor=1000, **paid)
    given_as(school, amount_minor=9000, **{**paid, "status": "failed"})  # not reported
    DonationFactory(amount_minor=7000, **paid)  # a person's own gift: in no organisation's line

    lines = overview.finance_overview(start=local_time(2026, 5, 1).date(), end=local_time(2026, 5, 31).date())

    assert [
        (line.key, line.currency, line.figures.gift_count, line.figures.gross_minor) for line in lines.by_organization
    ] == [
        ("Abbey School", "usd", 1, 1000),
        ("Grace Church", "usd", 2, 5000),
    ]
    assert lines.by_organization[1].figures.net_minor == 4900


def test_the_overview_page_shows_the_by_organisation_table(client, finance_user, campaign, funds):
    given_as(
        OrganizationFactory(name="Grace Church"),
        status="succeeded",
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=3000,
        succeeded_at=local_time(2026, 5, 2),
    )
    log_in(client, finance_user)

    page = client.get("/finance/", {"from": "2026-05-01", "to": "2026-05-31"}).content.decode()

    assert "By organisation" in page and "Grace Church" in page


def test_the_import_page_describes_the_organisation_column(client, finance_user):
    log_in(client, finance_user)

    page = client.get("/finance/imports/").content.decode()

    assert "<code>organization</code>" in page


def test_the_example_file_imports_its_churchs_gift_as_the_church(fundraiser, settings):
    raw = (settings.BASE_DIR / "docs" / "offline-gifts-example.csv").read_bytes()
    gift_import = runner.create_gift_import(
        file_name="example.csv", import_file=reader.read_import_file(raw), dry_run=False
    )

    gift_import = runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND)

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors
    assert list(Donation.objects.exclude(organization=None).values_list("organization_name", flat=True)) == [
        "Grace Community Church"
    ]
