"""A move and a refund of the same gifts at once, on PostgreSQL's row
locks: both wait on the gift's lock, so the counters still equal the
ledger and one receipt stands, stating the gift's fund and what it kept."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from donations.models import Donation
from donations.selectors import counters_out_of_step
from donations.services import gift_status, moves
from receipts.models import Receipt
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_moves_and_refunds_at_once_leave_the_totals_equal_to_the_ledger(campaign, fundraiser, funds, finance_user):
    bo = factories.FundraiserFactory(
        campaign=campaign, team=factories.TeamFactory(campaign=campaign, slug="bearers"), slug="bo-chen"
    )
    gifts = [
        factories.DonationFactory(
            succeeded=True, through_services=True, fundraiser=fundraiser, fund=funds["aftercare"], amount_minor=4000 + n
        )
        for n in range(6)
    ]
    start = threading.Barrier(2)

    def in_thread(work):
        def run():
            try:
                start.wait(timeout=10)
                for gift in gifts:
                    work(gift)
            finally:
                connection.close()

        return run

    def refund(gift):
        with transaction.atomic():
            gift_status.settle(gift_status.lock(gift.pk), refunded_minor=1000)

    def move(gift):
        moves.move_gift(
            donation_id=gift.pk, to_fundraiser=bo, to_fund=funds["rescue"], reason="Race", moved_by=finance_user
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(in_thread(refund)), pool.submit(in_thread(move))]:
            future.result(timeout=60)

    assert counters_out_of_step() == {}
    for gift in Donation.objects.filter(pk__in=[gift.pk for gift in gifts]):
        assert (gift.status, gift.fundraiser_id, gift.fund_id) == ("partially_refunded", bo.pk, funds["rescue"].pk)
        [standing] = Receipt.objects.filter(donation=gift).exclude(status=Receipt.Status.VOID)
        assert (standing.amount_minor, standing.record["fund"]) == (gift.kept_minor, "Rescue")
        assert gift.receipt_number == standing.number
