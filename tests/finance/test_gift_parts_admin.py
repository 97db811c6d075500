"""Where finance looks at one gift, the admin's change page shows its
parts read-only: fund, amount, fee covered, gross, share of Stripe's fee,
refunded and net for each, and the whole gift's figures below them."""

import re

import pytest

from donations import selectors
from donations.models import Donation
from tests.auth import log_in
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


def _change_page(client, user, gift) -> str:
    log_in(client, user)
    response = client.get(f"/admin/donations/donation/{gift.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def _rows(page: str) -> list[list[str]]:
    table = page.split('<table class="gift-parts">')[1].split("</table>")[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table)
    ]


def test_the_change_page_shows_each_parts_money_and_the_whole_gift(client, finance_user, campaign, funds):
    gift = DonationFactory(
        campaign=campaign,
        status=Donation.Status.PARTIALLY_REFUNDED,
        allocations=[(funds["rescue"], 6_000), (funds["aftercare"], 4_000)],
        fee_covered_minor=330,
        refunded_minor=3_000,
        stripe_fee_minor=331,
    )

    rows = _rows(_change_page(client, finance_user, gift))

    assert rows == [
        ["Fund", "Amount", "Fee covered", "Gross", "Stripe fee share", "Refunded", "Net"],
        ["Rescue", "$60.00", "$1.98", "$61.98", "$1.98", "$18.00", "$42.00"],
        ["Aftercare", "$40.00", "$1.32", "$41.32", "$1.33", "$12.00", "$27.99"],
        ["Whole gift", "$100.00", "$3.30", "$103.30", "$3.31", "$30.00", "$69.99"],
    ]


def test_the_parts_table_says_when_stripe_has_not_reported_its_fee(client, finance_user, campaign, funds):
    gift = DonationFactory(campaign=campaign, status=Donation.Status.SUCCEEDED, fund=funds["rescue"])

    page = _change_page(client, finance_user, gift)

    assert "Stripe has not reported its fee yet" in page
    assert _rows(page)[1] == ["Rescue", "$50.00", "$0.00", "$50.00", "$0.00", "$0.00", "$50.00"]


def test_the_parts_stripe_fee_shares_add_up_to_the_gifts_fee(campaign, funds):
    gift = DonationFactory(
        campaign=campaign,
        status=Donation.Status.SUCCEEDED,
        allocations=[(funds["rescue"], 3_333), (funds["aftercare"], 3_333), (funds["general"], 3_334)],
        stripe_fee_minor=331,
    )

    parts = selectors.part_figures(gift)

    assert [part.stripe_fee_minor for part in parts] == [110, 110, 111]
    assert sum(part.net_minor for part in parts) == gift.charged_minor - gift.refunded_minor - 331
