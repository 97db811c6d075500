"""The two CSV writers give the same bytes: PostgreSQL's COPY (formatting
in SQL) and Python's (the SQLite demo's path), here both on PostgreSQL,
over gifts chosen to hit every formatting rule."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from donations.models import Donation
from finance.exports import GiftFilters
from tests.factories import DonationFactory
from tests.finance.export_files import csv_bytes, python_csv_bytes

pytestmark = pytest.mark.django_db

AWKWARD_TEXTS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-",
    "@sum",
    "\tTab",
    "\rCR",
    "a\rb",
    "line\nbreak",
    "comma, inside",
    'quote " inside',
    '"',
    "'already quoted",
    "",
    " leading space",
    "trailing space ",
    "Zoë Ångström 李",
    "\\.",
    "NULL",
    "a;b",
    "back\\slash",
]


@pytest.fixture
def awkward_ledger(campaign, team, fundraiser, funds):
    """Gifts with every kind of cell: odd text in each donor field, empty
    and missing values, every status, both sources, money edge cases."""
    when = datetime(2026, 12, 1, 10, 15, 30, 123_456, tzinfo=UTC)
    for index, text in enumerate(AWKWARD_TEXTS):
        DonationFactory(
            succeeded=True,
            campaign=campaign,
            donor__first_name=text,
            donor__last_name=text[::-1],
            donor__email=f"awkward{index}@example.org",
            donor__address_line1=text,
            donor__city=text,
            donor__region=text,
            donor__postal_code=text[:20],
            donor__country=text[:2],
            created_at=when.replace(day=1 + index % 28),
            anonymous=index % 2 == 0,
            team=team if index % 3 == 0 else None,
            fundraiser=fundraiser if index % 4 == 0 else None,
            fund=funds["rescue"],
        )
    DonationFactory(
        succeeded=True, campaign=campaign, status=Donation.Status.FAILED, stripe_fee_minor=None, payment_intent_id=None
    )
    DonationFactory(succeeded=True, campaign=campaign, status=Donation.Status.PENDING, stripe_fee_minor=None)
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        status=Donation.Status.PARTIALLY_REFUNDED,
        succeeded_at=when,
        amount_minor=1,
        fee_covered_minor=0,
        refunded_minor=1,
        stripe_fee_minor=0,
    )
    DonationFactory(
        succeeded=True,
        campaign=campaign,
        status=Donation.Status.REFUNDED,
        succeeded_at=when,
        amount_minor=4_999_999_99,
        fee_covered_minor=14_500_01,
        refunded_minor=5_014_500_00,
        stripe_fee_minor=14_500_00,
    )
    DonationFactory(offline=True, campaign=campaign, frequency=Donation.Frequency.MONTHLY, amount_minor=7)
    # A currency core.money does not know: its amounts are left empty.
    DonationFactory(succeeded=True, campaign=campaign, currency="xts")
    # Same second, to prove the tie-break on id is the same in both writers.
    for _ in range(3):
        DonationFactory(succeeded=True, campaign=campaign, created_at=when)


def test_postgresql_is_the_database_under_test():
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize(
    "filters",
    [
        GiftFilters(),
        GiftFilters(since=date(2026, 12, 2), until=date(2026, 12, 10)),
        GiftFilters(campaign_slug="dressember-2026", status="succeeded", fund_slug="rescue"),
    ],
    ids=["everything", "dates", "campaign-status-fund"],
)
def test_copy_and_python_writers_give_identical_bytes(awkward_ledger, filters):
    from_copy = csv_bytes(filters)

    assert from_copy == python_csv_bytes(filters)
    assert from_copy.count(b"\n") > 2


def test_the_awkward_cells_come_out_as_expected(awkward_ledger):
    data = csv_bytes()

    assert b'"\'=HYPERLINK(""http://x"",""y"")"' in data
    assert b'"a\rb"' in data and b"'\tTab" in data and b'"\'\rCR"' in data
    assert "Zoë Ångström 李".encode() in data
    assert b",4999999.99,14500.01,14500.00,-14500.00,5014500.00,usd,refunded," in data
    assert b",0.01,0.00,0.00,0.00,0.01,usd,partially_refunded," in data
    assert b",,,,,,xts," in data
