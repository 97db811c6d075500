"""Stripe's fee and the net amount of a gift, from its balance transaction."""

import pytest

from donations.models import Donation
from payments.stripe import fee_of_balance_transaction
from tests.gifts import gift_body, give
from tests.stripe_events import FIXTURES

pytestmark = pytest.mark.django_db


def test_fee_is_recorded_after_a_gift_succeeds(client, campaign, fake_stripe, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body())

    donation = Donation.objects.get()
    # The fake charges Stripe's standard 2.9% + 0.30, from the charge's
    # balance transaction.
    assert donation.stripe_fee_minor == 175
    assert fake_stripe.calls_to("processing_fee") == [((donation.charge_id,), {})]
    assert donation.charge_id.startswith("ch_")


def test_fee_is_read_from_a_real_balance_transaction():
    recorded = dict(FIXTURES["balance_transaction"], fee=175, amount=5000, net=4825)

    assert fee_of_balance_transaction(recorded) == 175
