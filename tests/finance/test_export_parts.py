"""The gift export follows the parts: one row per part of each gift, each
with its share of the fee cover, the refunds and Stripe's fee, so that sums
over rows are the ledger's; the fund filter keeps a fund's parts; both CSV
writers and XLSX agree; and a moved gift says so."""

from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.money import as_decimal
from donations.models import Donation, GiftMove
from donations.rules import split_pro_rata
from donations.services import moves
from finance.exports import HEADERS, GiftExport, GiftFilters
from receipts.models import Receipt
from tests import factories
from tests.factories import DonationFactory
from tests.finance.export_files import csv_bytes, exported_rows, python_csv_bytes

pytestmark = pytest.mark.django_db

MONEY = ("gross", "amount", "fee_covered", "stripe_fee", "refunded", "net")


def rows_of(donation: Donation, filters: GiftFilters | None = None) -> list[dict]:
    return [row for row in exported_rows(filters) if row["gift_id"] == str(donation.public_id)]


def money(value: str) -> Decimal:
    return Decimal(value or "0")


@pytest.fixture
def split_gift(make_gift, funds):
    """$100 split $60 rescue / $40 aftercare, $3.00 fee cover, refunded $30
    through the ledger's services."""
    return make_gift(
        amount_minor=10000,
        fee_covered_minor=300,
        allocations=[(funds["rescue"], 6000), (funds["aftercare"], 4000)],
        refunded_minor=3000,
    )


def test_a_split_gift_is_one_row_per_part_with_its_shares_and_the_gift_repeated(split_gift):
    rows = rows_of(split_gift)

    fee = split_gift.stripe_fee_minor
    shares = split_pro_rata(fee, [6180, 4120])
    assert [
        (row["part"], row["fund"], row["gross"], row["amount"], row["fee_covered"], row["refunded"], row["stripe_fee"])
        for row in rows
    ] == [
        ("1 of 2", "rescue", "61.80", "60.00", "1.80", "18.00", str(as_decimal(shares[0], "usd"))),
        ("2 of 2", "aftercare", "41.20", "40.00", "1.20", "12.00", str(as_decimal(shares[1], "usd"))),
    ]
    assert [row["net"] for row in rows] == [
        str(as_decimal(6180 - 1800 - shares[0], "usd")),
        str(as_decimal(4120 - 1200 - shares[1], "usd")),
    ]
    # What is the gift's, not the part's, is on every row alike.
    per_part = dict.fromkeys(("fund", "part", *MONEY), "")
    assert rows[0] | per_part == rows[1] | per_part
    corrected = Receipt.objects.get(donation=split_gift, replaces__isnull=False)
    assert (rows[0]["status"], rows[0]["receipt_number"]) == ("partially_refunded", corrected.number)


def test_sums_over_rows_equal_sums_over_gifts_for_split_refunded_and_fee_covered_gifts(make_gift, funds, campaign):
    gifts = [
        make_gift(
            amount_minor=10000,
            fee_covered_minor=300,
            allocations=[(funds["rescue"], 6000), (funds["aftercare"], 4000)],
            refunded_minor=3000,
        ),
        make_gift(
            amount_minor=1001,
            cover_fees=True,
            allocations=[(funds["rescue"], 333), (funds["aftercare"], 334), (funds["general"], 334)],
            refunded_minor=517,
        ),
        make_gift(amount_minor=777, allocations=[(funds["general"], 700), (funds["rescue"], 77)], refunded=True),
        make_gift(amount_minor=5000, cover_fees=True),
        make_gift(amount_minor=2500, refunded_minor=999),
        DonationFactory(offline=True, campaign=campaign, amount_minor=12345),
        DonationFactory(campaign=campaign, allocations=[(funds["rescue"], 100), (funds["aftercare"], 200)]),
    ]
    totals = defaultdict(lambda: defaultdict(Decimal))
    for row in exported_rows():
        for name in MONEY:
            totals[row["gift_id"]][name] += money(row[name])

    assert len(exported_rows()) == 12
    for gift in Donation.objects.filter(pk__in=[gift.pk for gift in gifts]):
        summed = totals[str(gift.public_id)]
        fee = gift.stripe_fee_minor or 0
        expected = {
            "gross": gift.charged_minor,
            "amount": gift.amount_minor,
            "fee_covered": gift.fee_covered_minor,
            "stripe_fee": fee,
            "refunded": gift.refunded_minor,
            # A pending online gift has no net (its fee is not known).
            "net": 0 if gift.status == "pending" else gift.kept_minor - fee,
        }
        assert dict(summed) == {name: as_decimal(value, "usd") for name, value in expected.items()}, gift.status


@pytest.mark.parametrize(
    ("fee", "fee_covered", "amounts"),
    [
        (329, 300, [6000, 4000]),
        (1, 0, [1, 1, 1]),
        (2, 0, [1, 1, 1]),
        (101, 37, [333, 334, 334]),
        (9999, 0, [1, 2, 3, 4, 99990]),
        (0, 0, [500, 500]),
        (12345, 999, [70000, 1, 29999]),
    ],
)
def test_stripe_fee_shares_add_up_to_the_gifts_fee_and_are_split_pro_rata(campaign, funds, fee, fee_covered, amounts):
    extra = [factories.FundFactory(slug=f"fund-{index}") for index in range(max(0, len(amounts) - 3))]
    all_funds = [funds["rescue"], funds["aftercare"], funds["general"], *extra]
    gift = DonationFactory(
        succeeded=True,
        campaign=campaign,
        fee_covered_minor=fee_covered,
        stripe_fee_minor=fee,
        allocations=list(zip(all_funds, amounts, strict=False)),
    )
    parts = list(gift.allocations.order_by("position"))

    shares = [int(money(row["stripe_fee"]) * 100) for row in rows_of(gift)]

    assert shares == split_pro_rata(fee, [part.charged_minor for part in parts])
    assert sum(shares) == fee


def test_a_split_gifts_unknown_stripe_fee_leaves_every_parts_fee_and_net_empty(campaign, funds):
    gift = DonationFactory(
        succeeded=True,
        campaign=campaign,
        stripe_fee_minor=None,
        allocations=[(funds["rescue"], 1), (funds["general"], 2)],
    )

    assert [(row["stripe_fee"], row["net"]) for row in rows_of(gift)] == [("", ""), ("", "")]


def test_the_fund_filter_keeps_that_funds_parts_with_the_shares_they_have_unfiltered(split_gift, campaign, funds):
    rescue_only = DonationFactory(succeeded=True, campaign=campaign, fund=funds["rescue"])
    aftercare_only = DonationFactory(succeeded=True, campaign=campaign, fund=funds["aftercare"])
    unfiltered = {(row["gift_id"], row["part"]): row for row in exported_rows()}

    aftercare = exported_rows(GiftFilters(fund_slug="aftercare"))

    assert [(row["gift_id"], row["part"], row["fund"]) for row in aftercare] == [
        (str(split_gift.public_id), "2 of 2", "aftercare"),
        (str(aftercare_only.public_id), "1 of 1", "aftercare"),
    ]
    assert all(row == unfiltered[row["gift_id"], row["part"]] for row in aftercare)
    assert str(rescue_only.public_id) not in {row["gift_id"] for row in aftercare}


@pytest.mark.parametrize("filters", [GiftFilters(), GiftFilters(fund_slug="aftercare")], ids=["all", "fund"])
def test_copy_and_python_writers_give_the_same_bytes_for_split_gifts(split_gift, campaign, funds, filters):
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        stripe_fee_minor=101,
        fee_covered_minor=37,
        allocations=[(funds["aftercare"], 333), (funds["general"], 334), (funds["rescue"], 334)],
    )

    assert csv_bytes(filters) == python_csv_bytes(filters)


def test_xlsx_has_the_csvs_rows_part_by_part(split_gift, campaign, funds, tmp_path):
    DonationFactory(offline=True, campaign=campaign, allocations=[(funds["general"], 5), (funds["rescue"], 7)])
    path = tmp_path / "gifts.xlsx"
    with path.open("wb") as file:
        export = GiftExport(GiftFilters())
        export.write_xlsx(file)

    header, *cells = load_workbook(path, read_only=True)["Gifts"].iter_rows(values_only=True)

    def as_text(name, value):
        if value is None:
            return ""
        return str(Decimal(str(value)).quantize(Decimal("0.01"))) if name in MONEY else str(value)

    assert list(header) == HEADERS and export.row_count == 4
    # A row read back ends at its last cell with a value.
    rows = [
        dict.fromkeys(HEADERS, "") | {name: as_text(name, value) for name, value in zip(header, row, strict=False)}
        for row in cells
    ]
    assert rows == exported_rows()


# --- Moves ------------------------------------------------------------------------


def test_a_gift_never_moved_has_an_empty_moved_cell(split_gift):
    assert {row["moved"] for row in rows_of(split_gift)} == {""}


def test_a_moved_gift_shows_its_last_move_and_how_many_there_were(make_gift, funds, campaign, fundraiser, finance_user):
    other_team = factories.TeamFactory(campaign=campaign, slug="thread-bearers", name="Thread Bearers")
    bo = factories.FundraiserFactory(campaign=campaign, team=other_team, slug="bo-chen", name="Bo's page")
    gift = make_gift(fundraiser=fundraiser, fund="aftercare")

    moves.move_gift(donation_id=gift.pk, to_fund=funds["rescue"], reason="Asked for rescue", moved_by=finance_user)
    [once] = rows_of(gift)
    last = moves.move_gift(donation_id=gift.pk, to_fundraiser=bo, reason="=Given at Bo's event", moved_by=finance_user)
    [twice] = rows_of(gift)

    first = GiftMove.objects.earliest("moved_at")
    assert once["moved"] == (
        f"{first.moved_at:%Y-%m-%dT%H:%M:%SZ} by {first.actor}: fund aftercare -> rescue; reason: Asked for rescue"
    )
    assert twice["moved"] == (
        f"2 moves, the last {last.moved_at:%Y-%m-%dT%H:%M:%SZ} by {last.actor}: "
        "team Freedom Threads -> Thread Bearers; fundraiser Ada's Dressember -> Bo's page; "
        "reason: =Given at Bo's event"
    )
    assert (twice["fund"], twice["fundraiser"]) == ("rescue", "Bo's page")
    assert csv_bytes() == python_csv_bytes()
