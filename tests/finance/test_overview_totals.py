"""The overview's totals by fund, campaign, month and day agree with the
ledger: which gifts count, per currency, within the period."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.models import Donation
from donations.selectors import ledger_tallies
from finance.selectors import overview as selectors
from finance.selectors.overview import Figures
from tests import factories
from tests.factories import DonationFactory, local_time

pytestmark = pytest.mark.django_db

S = Donation.Status
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def ledger(campaign, funds):
    """Gifts in every status, two currencies, two campaigns, three months."""
    other = factories.CampaignFactory(title="Aardvark appeal")
    rescue, aftercare = funds["rescue"], funds["aftercare"]
    DonationFactory(
        status=S.SUCCEEDED,
        campaign=campaign,
        fund=rescue,
        amount_minor=10_000,
        succeeded_at=local_time(2026, 1, 5, 10),
        stripe_fee_minor=320,
    )
    DonationFactory(
        campaign=campaign,
        fund=rescue,
        amount_minor=5_000,
        fee_covered_minor=180,
        succeeded_at=local_time(2026, 1, 5, 23, 59),
        stripe_fee_minor=180,
        status=S.PARTIALLY_REFUNDED,
        refunded_minor=2_000,
    )
    DonationFactory(
        campaign=campaign,
        fund=aftercare,
        amount_minor=3_000,
        succeeded_at=local_time(2026, 2, 1),
        stripe_fee_minor=117,
        status=S.REFUNDED,
        refunded_minor=3_000,
    )
    DonationFactory(
        campaign=campaign,
        fund=aftercare,
        amount_minor=7_000,
        succeeded_at=local_time(2026, 2, 14),
        stripe_fee_minor=233,
        status=S.DISPUTED,
    )
    DonationFactory(
        status=S.SUCCEEDED,
        campaign=other,
        fund=rescue,
        amount_minor=4_000,
        succeeded_at=local_time(2026, 3, 31, 12),
        currency="eur",
        stripe_fee_minor=150,
    )
    DonationFactory(
        status=S.SUCCEEDED,
        campaign=other,
        fund=rescue,
        amount_minor=2_500,
        succeeded_at=local_time(2026, 3, 2),
        currency="eur",
        source=Donation.Source.OFFLINE_IMPORT,
    )
    # Never counted: a failed gift, a lost dispute, a gift still pending.
    DonationFactory(campaign=campaign, fund=rescue, amount_minor=99_900, succeeded_at=None, status=S.FAILED)
    DonationFactory(
        campaign=campaign, fund=rescue, amount_minor=88_800, succeeded_at=local_time(2026, 1, 9), status=S.DISPUTE_LOST
    )
    DonationFactory(campaign=campaign, fund=rescue, amount_minor=77_700, succeeded_at=None, status=S.PENDING)
    return campaign, other


def _by_key(lines):
    return {(line.key, line.currency): line.figures for line in lines}


def test_totals_by_fund_count_paid_refunded_and_disputed_gifts_and_keep_currencies_apart(ledger):
    totals = _by_key(selectors.totals_by_fund(start=YEAR[0], end=YEAR[1]))

    assert totals == {
        ("Rescue", "usd"): Figures(
            gift_count=2, gross_minor=15_180, refunds_minor=2_000, fees_minor=500, fee_covered_minor=180
        ),
        ("Aftercare", "usd"): Figures(gift_count=2, gross_minor=10_000, refunds_minor=3_000, fees_minor=350),
        ("Rescue", "eur"): Figures(gift_count=2, gross_minor=6_500, refunds_minor=0, fees_minor=150),
    }
    assert totals[("Rescue", "usd")].net_minor == 15_180 - 2_000 - 500


def test_totals_by_campaign_gross_less_refunds_equal_what_the_campaign_counters_count_as_raised(ledger):
    campaign, other = ledger
    totals = _by_key(selectors.totals_by_campaign(start=YEAR[0], end=YEAR[1]))
    tallies = ledger_tallies()

    usd = totals[(campaign.title, "usd")]
    assert usd.gross_minor - usd.refunds_minor == tallies[(campaign.pk, None, None)].raised_minor == 20_180
    eur = totals[(other.title, "eur")]
    assert eur.gross_minor - eur.refunds_minor == tallies[(other.pk, None, None)].raised_minor == 6_500
    assert list(totals) == [(other.title, "eur"), (campaign.title, "usd")]  # by title


def test_totals_by_month_group_gifts_by_the_month_they_were_paid(ledger):
    totals = _by_key(selectors.totals_by_month(start=YEAR[0], end=YEAR[1]))

    assert {key: figures.gross_minor for key, figures in totals.items()} == {
        (date(2026, 1, 1), "usd"): 15_180,
        (date(2026, 2, 1), "usd"): 10_000,
        (date(2026, 3, 1), "eur"): 6_500,
    }


def test_period_boundaries_are_inclusive_from_the_first_moment_to_the_last_of_the_dates(ledger):
    # 2026-01-05 10:00 and 23:59 are in; 2026-03-31 12:00 is in; nothing else.
    jan = _by_key(selectors.totals_by_fund(start=date(2026, 1, 5), end=date(2026, 1, 5)))
    mar = _by_key(selectors.totals_by_fund(start=date(2026, 3, 31), end=date(2026, 3, 31)))
    between = _by_key(selectors.totals_by_fund(start=date(2026, 1, 6), end=date(2026, 1, 31)))

    assert jan == {("Rescue", "usd"): Figures(2, 15_180, 2_000, 500, 180)}
    assert mar == {("Rescue", "eur"): Figures(1, 4_000, 0, 150)}
    assert between == {}


def test_days_cover_the_whole_period_with_zero_for_days_without_gifts(ledger):
    days = selectors.totals_by_day(start=date(2026, 1, 4), end=date(2026, 1, 6))

    assert [(d.day, d.gift_count, d.gross_minor) for d in days] == [
        (date(2026, 1, 4), 0, {}),
        (date(2026, 1, 5), 2, {"usd": 15_180}),
        (date(2026, 1, 6), 0, {}),
    ]


def test_the_overview_totals_per_currency_match_the_sum_of_its_days(ledger):
    overview = selectors.finance_overview(start=YEAR[0], end=YEAR[1])

    by_currency = {line.currency: line.figures for line in overview.by_currency}
    assert set(by_currency) == {"eur", "usd"}
    for currency, figures in by_currency.items():
        assert figures.gross_minor == sum(day.gross_minor.get(currency, 0) for day in overview.days)
    assert sum(day.gift_count for day in overview.days) == 6
    assert len(overview.days) == 365


def _queries_for_overview() -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.finance_overview(start=YEAR[0], end=YEAR[1])
    return len(queries)


@pytest.mark.parametrize("gift_count", [5, 200])
def test_the_overview_runs_six_queries_however_many_gifts(campaign, funds, gift_count):
    funds_cycle = list(funds.values())
    for n in range(gift_count):
        DonationFactory(
            status=S.SUCCEEDED,
            campaign=campaign,
            fund=funds_cycle[n % 3],
            amount_minor=1_000 + n,
            succeeded_at=local_time(2026, 1 + n % 12, 1 + n % 28),
            currency=("usd", "eur")[n % 2],
        )

    assert _queries_for_overview() == 6
