"""Chargebacks: disputed while open, restored if won, lost otherwise; in
any order of events."""

import pytest

from donations.models import Dispute, Donation, StripeEvent
from donations.selectors import counter_tallies, counters_out_of_step
from tests.factories import DonationFactory
from tests.stripe_events import dispute_event, event, stripe_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_gift(campaign):
    return DonationFactory(succeeded=True, through_services=True, campaign=campaign, amount_minor=5000)


def raised(donation) -> int:
    return counter_tallies(campaign_id=donation.campaign_id)[(donation.campaign_id, None, None)].raised_minor


def test_open_dispute_marks_the_gift_disputed_and_it_still_counts(paid_gift, deliver_events):
    deliver_events(dispute_event("charge.dispute.created", paid_gift, status="needs_response"))

    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.DISPUTED
    assert Dispute.objects.get().status == "needs_response"
    assert raised(paid_gift) == 5000


def test_won_dispute_restores_the_gift(paid_gift, deliver_events):
    deliver_events(
        dispute_event("charge.dispute.created", paid_gift, status="needs_response"),
        dispute_event("charge.dispute.closed", paid_gift, status="won"),
    )

    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.SUCCEEDED
    assert raised(paid_gift) == 5000


def test_lost_dispute_takes_the_gift_out_of_the_totals(paid_gift, deliver_events):
    deliver_events(
        dispute_event("charge.dispute.created", paid_gift, status="needs_response"),
        dispute_event("charge.dispute.closed", paid_gift, status="lost"),
    )

    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.DISPUTE_LOST
    tally = counter_tallies(campaign_id=paid_gift.campaign_id)[(paid_gift.campaign_id, None, None)]
    assert (tally.raised_minor, tally.gift_count, tally.donor_count) == (0, 0, 0)
    assert counters_out_of_step() == {}


def test_late_created_event_after_the_close_changes_nothing(paid_gift, deliver_events):
    deliver_events(
        dispute_event("charge.dispute.closed", paid_gift, status="won"),
        dispute_event("charge.dispute.created", paid_gift, status="needs_response"),
    )

    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.SUCCEEDED
    assert Dispute.objects.get().status == "won"


def test_dispute_for_a_charge_stripe_does_not_know_is_ignored(paid_gift, deliver_events):
    foreign = stripe_object(
        "dispute", id="dp_foreign", charge="ch_not_ours", payment_intent=None, amount=100, status="needs_response"
    )

    deliver_events(event("charge.dispute.created", foreign))

    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
    assert not Dispute.objects.exists()
    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.SUCCEEDED


def test_refund_during_a_dispute_corrects_the_receipt_once_the_dispute_is_won(paid_gift, deliver_events):
    from receipts.models import Receipt
    from tests.stripe_events import charge_event

    deliver_events(
        dispute_event("charge.dispute.created", paid_gift, status="needs_response"),
        charge_event("charge.refunded", paid_gift, amount_refunded=1000),
    )
    assert Receipt.objects.exclude(status=Receipt.Status.VOID).get().amount_minor == 5000

    deliver_events(dispute_event("charge.dispute.closed", paid_gift, status="won"))

    paid_gift.refresh_from_db()
    assert paid_gift.status == Donation.Status.PARTIALLY_REFUNDED
    assert Receipt.objects.exclude(status=Receipt.Status.VOID).get().amount_minor == 4000
