"""What the gift export holds: its columns and values for gifts paid and
refunded through the ledger's own services (`make_gift`), formula
escaping, and the filters."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from donations.models import Allocation, Donation
from finance.exports import HEADERS, GiftExport, GiftFilters
from receipts.models import Receipt
from tests.factories import CampaignFactory, DonationFactory
from tests.finance.export_files import exported_rows

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://x","y")'


def row_of(donation: Donation) -> dict:
    [row] = [row for row in exported_rows() if row["gift_id"] == str(donation.public_id)]
    return row


def test_the_header_names_every_column_in_order():
    assert HEADERS == [
        "gift_id",
        "date",
        "first_name",
        "last_name",
        "email",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "country",
        "organization",
        "anonymous",
        "campaign",
        "team",
        "fundraiser",
        "fund",
        "part",
        "gross",
        "amount",
        "fee_covered",
        "stripe_fee",
        "net",
        "refunded",
        "currency",
        "status",
        "source",
        "frequency",
        "payment_intent_id",
        "receipt_number",
        "moved",
    ]


def test_a_succeeded_gift_exports_its_donor_attribution_amounts_and_receipt(make_gift, fundraiser):
    donation = make_gift(fundraiser=fundraiser, fund="rescue", amount_minor=5000)

    row = row_of(donation)

    receipt = Receipt.objects.get(donation=donation)
    assert row == {
        "gift_id": str(donation.public_id),
        "date": donation.succeeded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "first_name": "Ada",
        "last_name": "Lee",
        "email": "ada@example.org",
        "address_line1": "1 Main St",
        "address_line2": "",
        "city": "Springfield",
        "region": "",
        "postal_code": "62701",
        "country": "US",
        "organization": "",
        "anonymous": "no",
        "campaign": "dressember-2026",
        "team": "Freedom Threads",
        "fundraiser": "Ada's Dressember",
        "fund": "rescue",
        "part": "1 of 1",
        # Stripe's standard 2.9% + 0.30, as the fake Stripe takes it.
        "gross": "50.00",
        "amount": "50.00",
        "fee_covered": "0.00",
        "stripe_fee": "1.75",
        "net": "48.25",
        "refunded": "0.00",
        "currency": "usd",
        "status": "succeeded",
        "source": "online",
        "frequency": "one_time",
        "payment_intent_id": donation.payment_intent_id,
        "receipt_number": receipt.number,
        "moved": "",
    }
    assert row["payment_intent_id"].startswith("pi_")


def test_a_partly_refunded_gift_shows_the_refund_the_net_and_the_corrected_receipt(make_gift):
    donation = make_gift(amount_minor=5000, refunded_minor=1500)
    original = Receipt.objects.get(donation=donation, replaces=None)

    corrected = Receipt.objects.get(donation=donation, replaces=original)
    row = row_of(donation)
    assert (row["status"], row["amount"], row["refunded"], row["net"]) == (
        "partially_refunded",
        "50.00",
        "15.00",
        "33.25",  # less Stripe's fee, which Stripe keeps
    )
    assert row["receipt_number"] == corrected.number != original.number


def test_a_fully_refunded_gift_has_no_receipt_number_and_loses_stripes_fee(make_gift):
    donation = make_gift(amount_minor=5000, refunded=True)
    assert donation.stripe_fee_minor == 175  # which Stripe keeps

    row = row_of(donation)
    assert (row["status"], row["refunded"], row["net"], row["receipt_number"]) == ("refunded", "50.00", "-1.75", "")


def test_an_anonymous_gift_keeps_its_donor_for_finance(make_gift):
    donation = make_gift(
        anonymous=True, donor__first_name="Grace", donor__last_name="Hopper", donor__email="grace@example.org"
    )

    row = row_of(donation)

    assert (row["anonymous"], row["first_name"], row["last_name"], row["email"]) == (
        "yes",
        "Grace",
        "Hopper",
        "grace@example.org",
    )


def test_a_fee_covered_gift_adds_the_cover_to_the_net_less_stripes_fee(make_gift):
    donation = make_gift(amount_minor=5000, cover_fees=True)
    # Stripe's fee as its balance transaction states it, on the gift and its one part.
    Donation.objects.filter(pk=donation.pk).update(stripe_fee_minor=181)
    Allocation.objects.filter(donation=donation).update(stripe_fee_minor=181)

    row = row_of(donation)

    # 2.9% + 0.30 on the whole charge: 1.81 on top of 50.00.
    assert (row["amount"], row["fee_covered"], row["stripe_fee"], row["net"]) == ("50.00", "1.81", "1.81", "50.00")


def test_a_declined_gift_is_exported_with_its_creation_date_and_no_fee_net_or_receipt(campaign):
    donation = DonationFactory(declined=True, campaign=campaign)

    row = row_of(donation)

    assert row["status"] == "failed"
    assert row["date"] == donation.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (row["stripe_fee"], row["net"], row["receipt_number"]) == ("", "", "")


def test_an_offline_gift_without_a_stripe_fee_still_has_a_net(campaign):
    DonationFactory(offline=True, campaign=campaign, amount_minor=12345)

    [row] = exported_rows()

    assert (row["source"], row["stripe_fee"], row["net"], row["payment_intent_id"]) == (
        "offline_import",
        "",
        "123.45",
        "",
    )


def test_dates_are_utc_iso_8601_to_the_second(campaign):
    # 11:15:59.999999 in Paris is 10:15:59 UTC: truncated, never rounded up.
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        created_at=datetime(2026, 12, 1, 11, 15, 59, 999_999, tzinfo=ZoneInfo("Europe/Paris")),
    )

    assert exported_rows()[0]["date"] == "2026-12-01T10:15:59Z"


# --- Formula injection ----------------------------------------------------------


def test_a_donor_named_like_a_formula_is_escaped_in_csv(campaign):
    DonationFactory(succeeded=True, campaign=campaign, donor__first_name=INJECTION, donor__last_name="Lee")

    [row] = exported_rows()

    assert row["first_name"] == "'" + INJECTION
    assert row["last_name"] == "Lee"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_escaped_in_any_text_cell(campaign, start):
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        donor__first_name="Ada",
        donor__last_name=f"{start}1+2",
        donor__region=f"{start}cmd",
    )

    [row] = exported_rows()

    assert (row["first_name"], row["last_name"], row["region"]) == ("Ada", f"'{start}1+2", f"'{start}cmd")


def test_a_plain_name_with_formula_characters_inside_is_untouched(campaign):
    DonationFactory(succeeded=True, campaign=campaign, donor__first_name="Jean-Luc", donor__last_name="O'Brien = @home")

    [row] = exported_rows()

    assert (row["first_name"], row["last_name"]) == ("Jean-Luc", "O'Brien = @home")


def test_xlsx_has_the_same_columns_escapes_formulas_and_keeps_amounts_as_numbers(campaign, tmp_path):
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        donor__first_name=INJECTION,
        donor__last_name="-2+3",
        amount_minor=5000,
        stripe_fee_minor=175,
    )
    path = tmp_path / "gifts.xlsx"

    with path.open("wb") as file:
        export = GiftExport(GiftFilters())
        export.write_xlsx(file)

    header, row = load_workbook(path, read_only=True)["Gifts"].iter_rows(values_only=True)
    assert list(header) == HEADERS
    cells = dict(zip(header, row, strict=False))
    assert (cells["first_name"], cells["last_name"]) == ("'" + INJECTION, "'-2+3")
    assert (cells["amount"], cells["net"]) == (50, 48.25)
    assert export.row_count == 1


def test_xlsx_drops_control_characters_a_spreadsheet_cannot_hold(campaign, tmp_path):
    DonationFactory(succeeded=True, campaign=campaign, donor__first_name="Ada\x0b\x01")
    path = tmp_path / "gifts.xlsx"

    with path.open("wb") as file:
        GiftExport(GiftFilters()).write_xlsx(file)

    _, row = load_workbook(path, read_only=True)["Gifts"].iter_rows(values_only=True)
    assert row[HEADERS.index("first_name")] == "Ada"


# --- Filters --------------------------------------------------------------------------


def test_since_and_until_include_their_whole_days_in_utc(campaign):
    def at(day, hour, minute=0, second=0, micro=0):
        return datetime(2026, 12, day, hour, minute, second, micro, tzinfo=UTC)

    gifts = {
        "before": DonationFactory(succeeded=True, campaign=campaign, created_at=at(1, 23, 59, 59, 999_999)),
        "first": DonationFactory(succeeded=True, campaign=campaign, created_at=at(2, 0)),
        "last": DonationFactory(succeeded=True, campaign=campaign, created_at=at(5, 23, 59, 59, 999_999)),
        "after": DonationFactory(succeeded=True, campaign=campaign, created_at=at(6, 0)),
    }

    rows = exported_rows(GiftFilters(since=date(2026, 12, 2), until=date(2026, 12, 5)))

    assert [row["gift_id"] for row in rows] == [str(gifts["first"].public_id), str(gifts["last"].public_id)]
    assert len(exported_rows(GiftFilters(since=date(2026, 12, 2)))) == 3
    assert len(exported_rows(GiftFilters(until=date(2026, 12, 5)))) == 3


def test_a_gift_that_never_succeeded_is_filtered_by_the_day_it_was_made(campaign):
    late_success = DonationFactory(
        succeeded=True,
        campaign=campaign,
        created_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        succeeded_at=datetime(2026, 12, 1, 12, tzinfo=UTC),
    )
    failed = DonationFactory(
        succeeded=True,
        campaign=campaign,
        status=Donation.Status.FAILED,
        created_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
    )

    december = exported_rows(GiftFilters(since=date(2026, 12, 1)))
    november = exported_rows(GiftFilters(until=date(2026, 11, 30)))

    assert [row["gift_id"] for row in december] == [str(late_success.public_id)]
    assert [row["gift_id"] for row in november] == [str(failed.public_id)]


def test_every_status_is_exported_unless_one_is_asked_for(campaign):
    for status in (Donation.Status.SUCCEEDED, Donation.Status.FAILED, Donation.Status.PENDING):
        DonationFactory(succeeded=True, campaign=campaign, status=status)

    assert sorted(row["status"] for row in exported_rows()) == ["failed", "pending", "succeeded"]
    assert [row["status"] for row in exported_rows(GiftFilters(status="failed"))] == ["failed"]


def test_campaign_and_fund_filters_keep_only_their_gifts(campaign, funds):
    other = CampaignFactory(slug="other-campaign")
    DonationFactory(succeeded=True, campaign=campaign, fund=funds["rescue"])
    DonationFactory(succeeded=True, campaign=campaign, fund=funds["aftercare"])
    DonationFactory(succeeded=True, campaign=other, fund=funds["rescue"])

    assert [row["campaign"] for row in exported_rows(GiftFilters(campaign_slug="other-campaign"))] == ["other-campaign"]
    rescue = exported_rows(GiftFilters(campaign_slug="dressember-2026", fund_slug="rescue"))
    assert [(row["campaign"], row["fund"]) for row in rescue] == [("dressember-2026", "rescue")]


def test_rows_come_oldest_first_and_row_count_is_exact(campaign):
    newer = DonationFactory(
        succeeded=True,
        campaign=campaign,
        created_at=datetime(2026, 12, 2, tzinfo=UTC),
        donor__last_name='Multi\nline, "quoted"',
    )
    older = DonationFactory(succeeded=True, campaign=campaign, created_at=datetime(2026, 12, 1, tzinfo=UTC))
    export = GiftExport(GiftFilters())

    rows = b"".join(export.csv_chunks())

    assert [row["gift_id"] for row in exported_rows()] == [str(older.public_id), str(newer.public_id)]
    assert rows.count(b"\n") == 4 and export.row_count == 2
