"""Stripe payouts and the balance transactions they settled, each matched
to the gift, refund or dispute it came from where there is one."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from donations.models import Dispute, Donation, Refund
from finance.models import Payout, PayoutLine
from finance.selectors.payouts import LineKind, fetched_statuses, line_kind
from payments import stripe as stripe_gateway
from payments.stripe import BalanceTransactionState, PayoutState

# A payout keeps changing until it is in one of these; even a paid one can
# still turn failed a few days later, which a later listing shows.
FINAL_STATUSES = ("paid", "failed", "canceled")


def payouts_to_fetch(*, days: int) -> list[str]:
    """The payouts of the last `days` days worth (re)fetching: those never
    fetched, still moving, or whose status changed since we fetched them."""
    listed = stripe_gateway.list_payouts(created_since=timezone.now() - timedelta(days=days))
    recorded = fetched_statuses([payout.id for payout in listed])
    return [
        payout.id
        for payout in listed
        if payout.status not in FINAL_STATUSES or recorded.get(payout.id) != payout.status
    ]


def fetch_payout(*, stripe_payout_id: str) -> Payout:
    """Read a payout and its balance transactions from Stripe and record
    them. Raises NotFound for a payout Stripe does not know, before anything
    is written."""
    payout = stripe_gateway.retrieve_payout(stripe_payout_id)
    # Stripe can only say which transactions an automatic payout settled;
    # a manual one is recorded without lines (the report says why).
    transactions = stripe_gateway.payout_balance_transactions(payout.id) if payout.automatic else []
    return record_payout(payout=payout, transactions=transactions)


def record_payout(*, payout: PayoutState, transactions: list[BalanceTransactionState]) -> Payout:
    """Upsert the payout (its status moves on: in_transit -> paid or failed)
    and its lines, one per balance transaction however often it is fetched.
    A line's match is refreshed on every fetch, so a gift recorded after the
    first fetch is matched by the next one."""
    lines = [t for t in transactions if not _is_the_payout_itself(t, payout)]
    matches = _matches(lines)
    with transaction.atomic():
        row, _ = Payout.objects.update_or_create(
            stripe_payout_id=payout.id,
            defaults={
                "amount_minor": payout.amount_minor,
                "currency": payout.currency,
                "status": payout.status,
                "arrival_date": payout.arrival_date,
                "created_at": payout.created_at,
                "fetched_at": timezone.now(),
            },
        )
        PayoutLine.objects.bulk_create(
            [
                PayoutLine(
                    payout=row,
                    balance_transaction_id=t.id,
                    type=t.type,
                    source_id=t.source_id,
                    description=t.description[:500],
                    amount_minor=t.amount_minor,
                    fee_minor=t.fee_minor,
                    net_minor=t.net_minor,
                    currency=t.currency,
                    created_at=t.created_at,
                    donation_id=matches[t.id][0],
                    refund_id=matches[t.id][1],
                )
                for t in lines
            ],
            update_conflicts=True,
            unique_fields=["payout", "balance_transaction_id"],
            update_fields=["donation", "refund"],
        )
    return row


def _is_the_payout_itself(line: BalanceTransactionState, payout: PayoutState) -> bool:
    """The list includes the payout's own transaction, the whole amount
    leaving the balance: it mirrors the payout rather than being part of it,
    so it is left out and the lines' net adds up to the payout's amount."""
    return line.type == "payout" and line.source_id == payout.id


def _matches(lines: list[BalanceTransactionState]) -> dict[str, tuple[int | None, int | None]]:
    """Balance transaction id -> (donation id, refund id), in at most three
    queries however many lines there are."""
    kinds = {line.id: line_kind(line.type, line.source_id) for line in lines}

    def source_ids(kind: str) -> list[str]:
        return [line.source_id for line in lines if kinds[line.id] == kind]

    refunds = {
        stripe_id: (donation_id, refund_id)
        for stripe_id, donation_id, refund_id in Refund.objects.filter(
            stripe_refund_id__in=source_ids(LineKind.REFUND)
        ).values_list("stripe_refund_id", "donation_id", "pk")
    }
    disputed = dict(
        Dispute.objects.filter(stripe_dispute_id__in=source_ids(LineKind.DISPUTE)).values_list(
            "stripe_dispute_id", "donation_id"
        )
    )
    # Our own ids first; failing that, the charge or intent named by the
    # expanded source (a refund made in Stripe before its event arrived, a
    # gift whose charge id was never stored).
    charge_ids = set(source_ids(LineKind.GIFT)) | {line.charge_id for line in lines if line.charge_id}
    intent_ids = {line.payment_intent_id for line in lines if line.payment_intent_id}
    gifts = {}
    for pk, charge_id, intent_id in Donation.objects.filter(
        Q(charge_id__in=charge_ids) | Q(payment_intent_id__in=intent_ids)
    ).values_list("pk", "charge_id", "payment_intent_id"):
        gifts.update({stripe_id: pk for stripe_id in (charge_id, intent_id) if stripe_id})

    def gift(line: BalanceTransactionState, charge_id: str | None) -> int | None:
        return gifts.get(charge_id) or gifts.get(line.payment_intent_id)

    matches = {}
    for line in lines:
        kind = kinds[line.id]
        if kind == LineKind.GIFT:
            matches[line.id] = (gift(line, line.source_id), None)
        elif kind == LineKind.REFUND:
            matches[line.id] = refunds.get(line.source_id) or (gift(line, line.charge_id), None)
        elif kind == LineKind.DISPUTE:
            matches[line.id] = (disputed.get(line.source_id) or gift(line, line.charge_id), None)
        else:
            matches[line.id] = (None, None)
    return matches
