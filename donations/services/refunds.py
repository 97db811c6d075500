"""Refunds: asked for by staff (through Stripe), or made elsewhere and
learnt from charge events. Either way the gift's refunded amount becomes
Stripe's cumulative figure for the charge, so nothing is counted twice."""

from dataclasses import replace

from django.db import transaction
from django.db.models import Sum

from core.money import format_money
from donations.models import Donation, Refund
from donations.services import gift_status
from payments import stripe as stripe_gateway
from payments.stripe import ChargeState, RefundState


class RefundRefused(Exception):
    """The refund cannot be made; the message says why, for staff."""


def request_refund(
    *, donation_id: int, amount_minor: int, reason: str, note: str = "", requested_by=None, fund_id: int | None = None
) -> Refund:
    """Refund part or all of a gift through Stripe: out of every part of a
    split gift pro rata, or with `fund_id` out of that fund's part, which
    must keep at least the amount (donations.services.allocations).

    The amount is reserved (a pending Refund row) under the gift's lock
    before Stripe is called, so two refunds asked for at once can never
    add up to more than was charged."""
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        if donation.status not in Donation.REFUNDABLE_STATUSES:
            raise RefundRefused(f"A gift that is {donation.get_status_display().lower()} cannot be refunded.")
        if not donation.payment_intent_id:
            raise RefundRefused("This gift was not paid through Stripe.")
        remaining = refundable_minor(donation)
        if not 0 < amount_minor <= remaining:
            raise RefundRefused(
                f"The refund must be more than zero and at most {format_money(remaining, donation.currency)}, "
                "what is left of the gift."
            )
        if fund_id is not None:
            _check_part_keeps(donation, fund_id=fund_id, amount_minor=amount_minor)
        refund = Refund.objects.create(
            donation=donation,
            amount_minor=amount_minor,
            reason=reason,
            note=note,
            requested_by=requested_by,
            fund_id=fund_id,
        )
    try:
        made = stripe_gateway.refund(
            payment_intent_id=donation.payment_intent_id,
            amount_minor=amount_minor,
            hopefund_refund_id=refund.pk,
            reason=reason,
        )
    except stripe_gateway.RefundFailed as exc:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, failure_message=str(exc)[:500])
        raise RefundRefused(f"Stripe refused the refund: {exc}") from exc
    # StripeUnavailable: the refund stays pending (its amount reserved);
    # the charge.refunded event, or asking again, settles it.
    charge = stripe_gateway.retrieve_charge(made.charge_id or donation.charge_id)
    # Newer API versions leave the charge's list of refunds out: record ours
    # from Stripe's answer to the refund itself.
    apply_charge(charge=replace(charge, refunds=(*charge.refunds, made)), donation_id=donation.pk)
    refund.refresh_from_db()
    return refund


def _check_part_keeps(donation: Donation, *, fund_id: int, amount_minor: int) -> None:
    """A refund out of one fund's part never takes it below zero: the part
    must keep the amount, less what refunds out of it not yet confirmed
    by Stripe have reserved."""
    part = donation.allocations.select_related("fund").filter(fund_id=fund_id).first()
    if part is None:
        raise RefundRefused("This gift gives nothing to that fund: choose one of its parts.")
    pending = donation.refunds.filter(status=Refund.Status.PENDING, fund_id=fund_id).aggregate(
        total=Sum("amount_minor")
    )["total"]
    left = part.kept_minor - (pending or 0)
    if amount_minor > left:
        raise RefundRefused(
            f"The {part.fund.name} part keeps {format_money(left, donation.currency)}: refund at most that "
            "from it, or refund the gift pro rata."
        )


def refundable_minor(donation: Donation) -> int:
    """What is left to refund: charged, less refunded, less refunds asked
    for that Stripe has not confirmed yet."""
    pending = donation.refunds.filter(status=Refund.Status.PENDING).aggregate(total=Sum("amount_minor"))["total"]
    return donation.kept_minor - (pending or 0)


def apply_charge(*, charge: ChargeState, donation_id: int | None = None) -> bool:
    """What a charge says about its gift: that it was paid, and how much of
    it has been refunded. False when the charge is not one of our gifts."""
    donation_id = donation_id or gift_status.find_donation_id(
        charge_id=charge.id, payment_intent_id=charge.payment_intent_id, invoice_id=charge.invoice_id
    )
    if donation_id is None:
        return False
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        if charge.paid:
            gift_status.mark_paid(donation, payment_intent_id=charge.payment_intent_id, charge_id=charge.id)
        for refund in charge.refunds:
            _record_refund(donation, refund)
        gift_status.settle(donation, refunded_minor=charge.amount_refunded_minor)
    return True


def _record_refund(donation: Donation, made: RefundState) -> None:
    """Our Refund row for a refund Stripe reports: ours if we asked for it,
    a new one for a refund made in Stripe's dashboard."""
    status = Refund.Status.SUCCEEDED if made.status in ("succeeded", "pending") else Refund.Status.FAILED
    ours = None
    if made.hopefund_refund_id and made.hopefund_refund_id.isdigit():
        ours = Refund.objects.filter(pk=int(made.hopefund_refund_id), donation=donation).first()
    ours = ours or Refund.objects.filter(stripe_refund_id=made.id).first()
    if ours is None:
        Refund.objects.create(
            donation=donation,
            amount_minor=made.amount_minor,
            stripe_refund_id=made.id,
            status=status,
            note="Made in Stripe",
        )
    elif (ours.stripe_refund_id, ours.status) != (made.id, status):
        ours.stripe_refund_id, ours.status = made.id, status
        ours.save(update_fields=["stripe_refund_id", "status"])
