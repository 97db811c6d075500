"""The overview's fund totals follow the gifts' parts: a split gift counts
in each of its funds with that part's amount, fee cover, refund and share
of Stripe's fee, while currencies, campaigns and months count it once;
the fund lines' money adds up to the currency lines exactly."""

from datetime import date

import pytest

from donations.models import Donation
from donations.rules import split_pro_rata
from finance.selectors import overview as selectors
from finance.selectors.overview import Figures
from tests.factories import DonationFactory, local_time

pytestmark = pytest.mark.django_db

S = Donation.Status
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _by_key(lines):
    return {(line.key, line.currency): line.figures for line in lines}


def _split_gift(campaign, funds, **fields):
    return DonationFactory(
        campaign=campaign,
        allocations=[(funds["rescue"], 6_000), (funds["aftercare"], 4_000)],
        succeeded_at=local_time(2026, 4, 1, 12),
        **{"status": S.SUCCEEDED, **fields},
    )


def test_a_gift_split_60_40_shows_60_under_one_fund_and_40_under_the_other(campaign, funds):
    _split_gift(campaign, funds, stripe_fee_minor=320)

    totals = _by_key(selectors.totals_by_fund(start=YEAR[0], end=YEAR[1]))

    assert totals == {
        ("Rescue", "usd"): Figures(gift_count=1, gross_minor=6_000, refunds_minor=0, fees_minor=192),
        ("Aftercare", "usd"): Figures(gift_count=1, gross_minor=4_000, refunds_minor=0, fees_minor=128),
    }
    by_campaign = _by_key(selectors.totals_by_campaign(start=YEAR[0], end=YEAR[1]))
    assert by_campaign[(campaign.title, "usd")] == Figures(1, 10_000, 0, 320)


def test_a_split_gift_refunded_by_30_shows_each_funds_share_of_the_refund(campaign, funds):
    _split_gift(campaign, funds, status=S.PARTIALLY_REFUNDED, refunded_minor=3_000, stripe_fee_minor=320)

    totals = _by_key(selectors.totals_by_fund(start=YEAR[0], end=YEAR[1]))

    assert totals[("Rescue", "usd")].refunds_minor == 1_800
    assert totals[("Rescue", "usd")].net_minor == 6_000 - 1_800 - 192
    assert totals[("Aftercare", "usd")].refunds_minor == 1_200
    assert totals[("Aftercare", "usd")].net_minor == 4_000 - 1_200 - 128


def test_a_parts_share_of_stripes_fee_is_the_pro_rata_rule_on_what_each_part_was_charged(campaign, funds):
    # Three parts whose exact shares are fractions, with a covered fee: the
    # shares are split_pro_rata's, in the parts' order, and add up to the fee.
    gift = DonationFactory(
        campaign=campaign,
        status=S.SUCCEEDED,
        allocations=[(funds["rescue"], 3_333), (funds["aftercare"], 3_333), (funds["general"], 3_334)],
        fee_covered_minor=331,
        stripe_fee_minor=331,
        succeeded_at=local_time(2026, 4, 1, 12),
    )
    parts = list(gift.allocations.order_by("position").select_related("fund"))

    totals = _by_key(selectors.totals_by_fund(start=YEAR[0], end=YEAR[1]))

    expected = split_pro_rata(331, [part.charged_minor for part in parts])
    assert [totals[(part.fund.name, "usd")].fees_minor for part in parts] == expected
    assert [totals[(part.fund.name, "usd")].fee_covered_minor for part in parts] == [
        part.fee_covered_minor for part in parts
    ]
    assert sum(expected) == 331


def test_fund_totals_add_up_to_the_currency_totals_with_split_refunded_fee_covered_and_offline_gifts(campaign, funds):
    _split_gift(campaign, funds, status=S.PARTIALLY_REFUNDED, refunded_minor=3_001, stripe_fee_minor=321)
    _split_gift(campaign, funds, status=S.REFUNDED, refunded_minor=10_000, stripe_fee_minor=320)
    DonationFactory(
        campaign=campaign,
        status=S.SUCCEEDED,
        allocations=[(funds["aftercare"], 2_501), (funds["general"], 2_499)],
        fee_covered_minor=175,
        stripe_fee_minor=177,
        succeeded_at=local_time(2026, 5, 2),
    )
    DonationFactory(
        campaign=campaign,
        status=S.SUCCEEDED,
        fund=funds["rescue"],
        amount_minor=2_500,
        source=Donation.Source.OFFLINE_IMPORT,
        succeeded_at=local_time(2026, 6, 3),
    )
    DonationFactory(
        campaign=campaign,
        status=S.SUCCEEDED,
        fund=funds["general"],
        amount_minor=4_000,
        currency="eur",
        stripe_fee_minor=150,
        succeeded_at=local_time(2026, 6, 3),
    )

    overview = selectors.finance_overview(start=YEAR[0], end=YEAR[1])

    by_currency = {line.currency: line.figures for line in overview.by_currency}
    assert by_currency["usd"].gift_count == 4  # each gift once, split or not
    for currency, whole in by_currency.items():
        lines = [line.figures for line in overview.by_fund if line.currency == currency]
        for figure in ("gross_minor", "fee_covered_minor", "refunds_minor", "fees_minor", "net_minor"):
            assert sum(getattr(line, figure) for line in lines) == getattr(whole, figure), (currency, figure)
    assert by_currency["usd"].fees_minor == 321 + 320 + 177
    assert by_currency["usd"].fee_covered_minor == 175


def test_a_split_gift_counts_once_by_month_and_campaign(campaign, funds):
    _split_gift(campaign, funds, stripe_fee_minor=320)

    overview = selectors.finance_overview(start=YEAR[0], end=YEAR[1])

    assert [line.figures.gift_count for line in overview.by_month] == [1]
    assert [line.figures.gift_count for line in overview.by_campaign] == [1]
    assert [line.figures.gift_count for line in overview.by_fund] == [1, 1]
