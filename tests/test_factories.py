"""The gift factory's traits give the states they name; through the
services, a gift is counted and receipted as a real one is."""

import pytest

from donations.models import Donation
from donations.selectors import counter_tallies, counters_out_of_step
from receipts.models import Receipt
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


def test_a_gift_is_pending_and_never_reached_stripe_unless_a_trait_says_otherwise():
    gift = DonationFactory()

    assert (gift.status, gift.payment_intent_id, gift.succeeded_at) == ("pending", None, None)


@pytest.mark.parametrize(
    "trait, status, source, frequency",
    [
        ("succeeded", "succeeded", "online", "one_time"),
        ("refunded", "refunded", "online", "one_time"),
        ("monthly", "pending", "online", "monthly"),
        ("offline", "succeeded", "offline_import", "one_time"),
    ],
)
def test_each_trait_gives_the_state_it_names(trait, status, source, frequency):
    gift = DonationFactory(**{trait: True})

    gift.full_clean()  # every field a value the model allows
    assert (gift.status, gift.source, gift.frequency) == (status, source, frequency)
    assert (gift.succeeded_at is not None) == (status != "pending")
    assert gift.refunded_minor == (5000 if trait == "refunded" else 0)
    assert (gift.recurring_plan is not None) == (trait == "monthly")
    assert not Receipt.objects.exists()  # written as it is: no effects


def test_through_the_services_a_gift_is_counted_and_receipted(campaign):
    kept = DonationFactory(succeeded=True, through_services=True, campaign=campaign, amount_minor=3000)
    DonationFactory(refunded=True, through_services=True, campaign=campaign)

    assert Donation.objects.get(pk=kept.pk).status == "succeeded"
    tally = counter_tallies(campaign_id=campaign.pk)[(campaign.pk, None, None)]
    assert (tally.raised_minor, tally.gift_count) == (3000, 1)
    assert counters_out_of_step() == {}
    assert Receipt.objects.filter(donation=kept).exclude(status=Receipt.Status.VOID).count() == 1
