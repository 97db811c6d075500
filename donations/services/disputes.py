"""Disputes (chargebacks), from Stripe's charge.dispute.* events."""

from django.db import transaction

from donations.models import Dispute
from donations.services import gift_status
from payments.stripe import DisputeState


def apply_dispute(*, dispute: DisputeState) -> bool:
    """Record a dispute's latest status and settle its gift: disputed while
    it is open, back to what it was if won, dispute_lost if lost. A closed
    dispute never reopens, so an old event arriving late changes nothing.
    False when the disputed charge is not one of our gifts."""
    donation_id = gift_status.find_donation_id(charge_id=dispute.charge_id, payment_intent_id=dispute.payment_intent_id)
    if donation_id is None:
        return False
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        # Only a charge that was paid can be disputed.
        gift_status.mark_paid(donation, payment_intent_id=dispute.payment_intent_id, charge_id=dispute.charge_id)
        row, created = Dispute.objects.select_for_update().get_or_create(
            stripe_dispute_id=dispute.id,
            defaults={
                "donation": donation,
                "amount_minor": dispute.amount_minor,
                "reason": dispute.reason,
                "status": dispute.status,
            },
        )
        if not created and row.is_open:
            row.status, row.amount_minor, row.reason = dispute.status, dispute.amount_minor, dispute.reason
            row.save(update_fields=["status", "amount_minor", "reason", "updated_at"])
        gift_status.settle(donation)
    return True
