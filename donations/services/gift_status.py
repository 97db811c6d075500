"""A gift's status. Two phases:

- payment: pending -> requires_action -> succeeded or failed, only ever
  forward, so a late or repeated event cannot undo a later state;
- paid: succeeded, partially_refunded, refunded, disputed, dispute_lost,
  always computed from Stripe's facts (the cumulative refunded amount, the
  disputes), which only grow, so the facts can arrive in any order and the
  gift still ends in the same state.

Every status change here ends in donations.services.effects, which moves
the counters and does what follows (the receipt, the fee, notices).
"""

import logging
import uuid
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from donations.models import Donation
from donations.services import allocations, donors, effects, totals
from payments import stripe as stripe_gateway
from payments.stripe import PaymentDeclined, PaymentIntentState

logger = logging.getLogger(__name__)

Status = Donation.Status

ALLOWED_TRANSITIONS = {
    Status.PENDING: {Status.REQUIRES_ACTION, Status.SUCCEEDED, Status.FAILED},
    Status.REQUIRES_ACTION: {Status.SUCCEEDED, Status.FAILED},
    # The donor may retry the same PaymentIntent after a failed attempt.
    Status.FAILED: {Status.REQUIRES_ACTION, Status.SUCCEEDED},
}

# PaymentIntent status -> the gift's status; others ("processing",
# "requires_confirmation") leave the gift as it is.
INTENT_TO_DONATION_STATUS = {
    "succeeded": Status.SUCCEEDED,
    "requires_action": Status.REQUIRES_ACTION,
    "requires_payment_method": Status.FAILED,
    "canceled": Status.FAILED,
}


def lock(donation_pk: int) -> Donation:
    return _locking().get(pk=donation_pk)


def _locking():
    # The campaign and fund come with the row (only the row is locked): a
    # gift just paid names both on its receipt (receipts/documents.py).
    # The fund in a query of its own, not joined: a gift moved to another
    # fund (donations.services.moves) while this waited on its lock would
    # otherwise be rechecked by PostgreSQL against the old fund's row, fail
    # the join and not be found at all. The campaign never changes.
    return Donation.objects.select_for_update(of=("self",)).select_related("campaign").prefetch_related("fund")


def move(
    donation: Donation,
    target: str,
    *,
    failure_code: str = "",
    failure_message: str = "",
    succeeded_at: datetime | None = None,
    wants_receipt: bool = True,
    wants_notices: bool = True,
) -> bool:
    """One step of the payment phase on a locked donation, saved with its
    effects; False if the step is not allowed from where the gift is.

    An unsaved donation (an offline gift, pending until now) is inserted:
    it takes the same step from nothing to succeeded as an online gift,
    with the date it was received as `succeeded_at` and `wants_receipt`
    saying whether the donor asked for a receipt (`wants_notices` whether
    the page's people hear of it)."""
    if target not in ALLOWED_TRANSITIONS.get(donation.status, ()):
        return False
    before = effects.Before.of(donation)
    donation.status = target
    if target == Status.SUCCEEDED:
        donation.succeeded_at = succeeded_at or timezone.now()
        donation.failure_code = donation.failure_message = ""
    elif target == Status.FAILED:
        donation.failure_code = failure_code[:100] or "payment_failed"
        donation.failure_message = failure_message[:500]
    inserting = donation._state.adding
    donation.save()
    if inserting:
        allocations.record_parts(donation)
    effects.apply_effects(donation, before=before, wants_receipt=wants_receipt, wants_notices=wants_notices)
    logger.info("donation %s is now %s", donation.public_id, target)
    return True


def mark_paid(donation: Donation, *, payment_intent_id: str | None = None, charge_id: str | None = None) -> None:
    """Record proof that the money was taken (a paid charge or invoice,
    even one that arrives as a refund or a dispute) on a locked donation."""
    remember_ids(donation, payment_intent_id=payment_intent_id, charge_id=charge_id)
    if donation.status not in Donation.PAID_STATUSES:
        move(donation, Status.SUCCEEDED)


def remember_ids(donation: Donation, *, payment_intent_id: str | None = None, charge_id: str | None = None) -> None:
    changed = _note_ids(donation, payment_intent_id=payment_intent_id, charge_id=charge_id)
    if changed:
        donation.save(update_fields=[*changed, "updated_at"])


def _note_ids(donation: Donation, *, payment_intent_id: str | None = None, charge_id: str | None = None) -> list[str]:
    """Set the Stripe ids the donation lacks, unsaved; the fields set."""
    changed = []
    if payment_intent_id and not donation.payment_intent_id:
        donation.payment_intent_id = payment_intent_id
        changed.append("payment_intent_id")
    if charge_id and not donation.charge_id:
        donation.charge_id = charge_id
        changed.append("charge_id")
    return changed


def settle(donation: Donation, *, refunded_minor: int | None = None) -> None:
    """Bring a locked, paid gift's status in line with its facts: Stripe's
    cumulative refunded amount (never lowered) and its disputes."""
    if donation.status not in Donation.PAID_STATUSES:
        return
    before = effects.Before.of(donation)
    if refunded_minor is not None:
        donation.refunded_minor = max(donation.refunded_minor, min(refunded_minor, donation.charged_minor))
    donation.status = _paid_status(donation)
    if not before.differs_from(donation):
        return
    donation.save(update_fields=["status", "refunded_minor", "updated_at"])
    # Before the effects: a corrected receipt lists what each part keeps.
    allocations.spread_refunds(donation)
    effects.apply_effects(donation, before=before)
    logger.info("donation %s is now %s (refunded %s)", donation.public_id, donation.status, donation.refunded_minor)


def _paid_status(donation: Donation) -> str:
    disputes = list(donation.disputes.all())
    if any(d.is_open for d in disputes):
        return Status.DISPUTED
    if any(d.status == "lost" for d in disputes):
        return Status.DISPUTE_LOST
    if donation.refunded_minor >= donation.charged_minor:
        return Status.REFUNDED
    if donation.refunded_minor > 0:
        return Status.PARTIALLY_REFUNDED
    return Status.SUCCEEDED


def apply_payment_intent(*, intent: PaymentIntentState, donation_pk: int | None = None) -> Donation | None:
    """Move the gift the intent belongs to towards the intent's status.
    Safe to call any number of times, in any order, from the API or from a
    webhook. Returns None when the intent is not one of our gifts.
    `donation_pk`: the gift the caller made the intent for, which need not
    be looked up by the intent."""
    with transaction.atomic():
        donation = lock(donation_pk) if donation_pk else _lock_for_intent(intent)
        if donation is None:
            return None
        if (intent.amount_minor, intent.currency) != (donation.charged_minor, donation.currency):
            raise ValueError(
                f"{intent.id} is for {intent.amount_minor} {intent.currency}, but donation "
                f"{donation.public_id} charged {donation.charged_minor} {donation.currency}"
            )
        # The ids are saved with the new status when the gift moves (move
        # saves the whole row), on their own only when it does not.
        changed = _note_ids(donation, payment_intent_id=intent.id, charge_id=intent.charge_id)
        target = INTENT_TO_DONATION_STATUS.get(intent.status)
        moved = target is not None and move(
            donation, target, failure_code=intent.failure_code, failure_message=intent.failure_message
        )
        if changed and not moved:
            donation.save(update_fields=[*changed, "updated_at"])
        return donation


def record_decline(*, donation_id: int, decline: PaymentDeclined) -> Donation:
    with transaction.atomic():
        donation = lock(donation_id)
        changed = _note_ids(donation, payment_intent_id=decline.payment_intent_id)
        donation.charge_attempt_started_at = None
        if not move(donation, Status.FAILED, failure_code=decline.code, failure_message=decline.message):
            donation.save(update_fields=[*changed, "charge_attempt_started_at", "updated_at"])
        return donation


def lock_for_intents(intents: list[PaymentIntentState]) -> list[Donation]:
    """Lock every gift these intents can belong to (by the intent's id or
    its metadata, as _lock_for_intent finds them) in id order, then their
    counters (totals.lock_counters), then their donors: a transaction
    applying many intents takes its locks so, up front, in the lock order
    (effects.py). Gift by gift, the second gift would lock its donor after
    the first took the receipt number, and could deadlock with a gift of
    the same donor to another campaign.
    Returns the gifts, loaded as `lock` loads one (succeed_together needs
    nothing more)."""
    intent_ids = [intent.id for intent in intents]
    public_ids = [uuid_or_none(intent.donation_public_id) for intent in intents if intent.donation_public_id]
    named = Q(payment_intent_id__in=intent_ids) | Q(public_id__in=[p for p in public_ids if p])
    donations = list(_locking().filter(named).order_by("pk"))
    totals.lock_counters(donations)
    donors.lock(sorted({donation.donor_id for donation in donations}))
    return donations


def succeeds_plainly(donation: Donation, intent: PaymentIntentState) -> bool:
    """Whether applying the intent to this gift (the only one it names)
    does nothing but take it from waiting or failed to succeeded:
    apply_payment_intent would pass its amount check, remember the ids
    and `move` it to succeeded, with no other outcome to decide."""
    return (
        INTENT_TO_DONATION_STATUS.get(intent.status) == Status.SUCCEEDED
        and (intent.amount_minor, intent.currency) == (donation.charged_minor, donation.currency)
        and Status.SUCCEEDED in ALLOWED_TRANSITIONS.get(donation.status, ())
        and donation.payment_intent_id in (None, "", intent.id)
    )


def succeed_together(paid: list[tuple[Donation, PaymentIntentState]]) -> list[Donation]:
    """apply_payment_intent for many gifts each of which succeeds_plainly
    with its intent, locked by lock_for_intents (their counters and donors
    with them) in the caller's transaction: the same rows, counters,
    donor details, receipts and fee lookups as one gift after another, in
    a few statements for the lot. The gifts are taken in id order, so
    their receipt numbers and their donors' details follow it. Returns
    them, saved."""
    paid = sorted(paid, key=lambda pair: pair[0].pk)
    donations = [donation for donation, _ in paid]
    now = timezone.now()
    for donation, intent in paid:
        # remember_ids, then move's step to succeeded, on the loaded gift.
        donation.payment_intent_id = donation.payment_intent_id or intent.id
        donation.charge_id = donation.charge_id or intent.charge_id
        donation.status = Status.SUCCEEDED
        donation.succeeded_at = donation.updated_at = now
        donation.failure_code = donation.failure_message = ""
    # Before the gifts are saved: it reads which donors the ledger counts.
    totals.record_new_gifts(donations)
    _save_succeeded(donations, now=now)
    effects.apply_effects_of_new_paid_gifts(donations, receipted=donations)
    for donation in donations:
        logger.info("donation %s is now %s", donation.public_id, Status.SUCCEEDED)
    return donations


def _save_succeeded(donations: list[Donation], *, now: datetime) -> None:
    """What move and remember_ids save for each gift, in one UPDATE ...
    FROM unnest(arrays): every gift's status, ids, dates and cleared
    failure, the same moment for all."""
    table = connection.ops.quote_name(Donation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS donation SET status = %s, payment_intent_id = paid.payment_intent_id, "
            "charge_id = paid.charge_id, succeeded_at = %s, updated_at = %s, failure_code = '', failure_message = '' "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS paid(id, payment_intent_id, charge_id) "
            "WHERE donation.id = paid.id",
            [
                Status.SUCCEEDED,
                now,
                now,
                [donation.pk for donation in donations],
                [donation.payment_intent_id for donation in donations],
                [donation.charge_id for donation in donations],
            ],
        )


def _lock_for_intent(intent: PaymentIntentState) -> Donation | None:
    by_intent = _locking().filter(payment_intent_id=intent.id).first()
    if by_intent or not intent.donation_public_id:
        return by_intent
    # The event can arrive before the API call that created the intent has
    # saved its id; the intent's metadata names the gift.
    return _locking().filter(public_id=uuid_or_none(intent.donation_public_id)).first()


def uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def find_donation_id(
    *, charge_id: str | None = None, payment_intent_id: str | None = None, invoice_id: str | None = None
) -> int | None:
    """Which gift a charge, intent or invoice paid for; None if none of
    ours. Runs before any lock is taken, since it may have to ask Stripe."""
    for field, value in (
        ("charge_id", charge_id),
        ("payment_intent_id", payment_intent_id),
        ("invoice_id", invoice_id),
    ):
        if value:
            found = Donation.objects.filter(**{field: value}).values_list("pk", flat=True).first()
            if found:
                return found
    # The event can arrive before the API call that charged the gift has
    # saved these ids; Stripe's intent carries the gift's id in its metadata.
    try:
        if not payment_intent_id and charge_id:
            payment_intent_id = stripe_gateway.retrieve_charge(charge_id).payment_intent_id
            found = Donation.objects.filter(payment_intent_id=payment_intent_id).values_list("pk", flat=True).first()
            if found or not payment_intent_id:
                return found
        if not payment_intent_id:
            return None
        public_id = uuid_or_none(stripe_gateway.retrieve_payment_intent(payment_intent_id).donation_public_id)
    except stripe_gateway.NotFound:
        return None
    return Donation.objects.filter(public_id=public_id).values_list("pk", flat=True).first() if public_id else None
