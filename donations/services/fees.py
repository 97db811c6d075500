"""Stripe's processing fee on a gift, from the charge's balance
transaction, recorded after the gift succeeds."""

from django.db import transaction

from donations.models import Donation
from donations.services import allocations, gift_status
from payments import stripe as stripe_gateway


def record_processing_fee(*, donation_id: int) -> None:
    donation = Donation.objects.get(pk=donation_id)
    if donation.stripe_fee_minor is not None:
        return
    charge_id = donation.charge_id
    if not charge_id and donation.payment_intent_id:
        charge_id = stripe_gateway.retrieve_payment_intent(donation.payment_intent_id).charge_id
    if not charge_id:
        return
    fee = stripe_gateway.processing_fee(charge_id)
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        gift_status.remember_ids(donation, charge_id=charge_id)
        donation.stripe_fee_minor = fee
        donation.save(update_fields=["stripe_fee_minor", "updated_at"])
        allocations.record_stripe_fee(donation)
