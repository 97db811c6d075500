"""The webhook inbox: every verified event is stored first, then applied
exactly once by a Celery task, through the handler for its type.

A PaymentIntent's events, most of a busy day's, are applied in batches by
one drain task (drain_stripe_events) that many webhooks wake; every other
event has a task of its own (process_stripe_event)."""

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core import task_queue
from core.text import is_storable, storable_json
from donations import tasks
from donations.models import Donation, StripeEvent
from donations.services import card_checks, disputes, gift_status, recurring, refunds, totals
from payments import stripe as stripe_gateway
from payments.stripe import (
    ChargeState,
    DisputeState,
    IncompleteObject,
    InvoiceState,
    PaymentIntentState,
    SetupIntentState,
    SubscriptionState,
)

logger = logging.getLogger(__name__)

# Events whose handler locks nothing but the gift the intent names and what
# follows from its status: the drain locks those gifts and their counters
# for a whole batch up front, in the lock order (effects.py). A handler
# that could lock another gift, or a donor first, must not be listed.
BATCHED_TYPES = ("payment_intent.succeeded", "payment_intent.requires_action", "payment_intent.canceled")
# A batch holds its campaign's counter and the receipt number until it
# commits, so an online gift to that campaign may wait that long.
DRAIN_BATCH = 100
# A drain stops taking batches after this long and wakes another run, so
# no run nears the task time limit while events keep coming.
DRAIN_SECONDS = 20


class UnstorableEvent(Exception):
    """A verified event whose id or type the inbox cannot hold as sent."""


def receive_webhook(*, payload: bytes, signature: str | None) -> StripeEvent | None:
    """A webhook request's body, checked against its Stripe-Signature header
    (raises InvalidWebhook, storing nothing) and stored."""
    return store_stripe_event(event=stripe_gateway.verify_webhook(payload, signature))


def store_stripe_event(*, event: dict) -> StripeEvent | None:
    """Store a verified event and queue it for processing once committed.
    Returns None for an event id already stored (Stripe sent it again).

    A repeat of an event stored but never processed (still `received`) is
    queued again: Stripe repeats only what it thinks we missed, and it may
    be right, when the reply to our COMMIT was lost (we answered 500 with
    the event stored) or the enqueue after the commit failed. Processing
    twice changes nothing (the row lock and status in process_stripe_event).

    What PostgreSQL cannot store, decided per part of the event:
    - its `id` or `type`: empty, longer than StripeEvent's columns (255 and
      100), or holding a NUL or a lone surrogate, raises UnstorableEvent
      (the view's 400) and stores nothing. The id is the inbox's key
      against duplicates, so altering it could make two events one; and
      Stripe's ids and types are short ASCII, so only a sender holding our
      signing secret can send such an event, and it should hear no.
    - anything else (a description, a name, metadata a donor typed): every
      NUL and lone surrogate, in keys and values, is stored as U+FFFD and
      the event is processed. Refusing would lose a real gift's event for
      one odd character in a field no handler reads; handlers read ids,
      amounts and statuses, which Stripe never fills with such characters.
      The stored payload is then not byte for byte the signed body.
    """
    _check_storable_envelope(event)
    # Insert first and look only on a conflict: a new event, nearly every
    # one, costs one INSERT and its commit, the acknowledgement's whole path.
    # Outside a transaction (the webhook's request has none) the INSERT
    # commits on its own: a duplicate's failed INSERT leaves nothing to
    # roll back. Inside one, a savepoint keeps the caller's transaction
    # usable after the conflict.
    try:
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            stored = StripeEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                livemode=event.get("livemode") is True,
                payload=storable_json(event),
            )
        created = True
    except IntegrityError:
        stored = StripeEvent.objects.filter(event_id=event["id"]).first()
        if stored is None:
            raise
        created = False
    if created or stored.status == StripeEvent.Status.RECEIVED:
        # If the broker is down the event is still stored and its task
        # parked (core/task_queue.py); the redrive_stripe_events sweep
        # covers a task lost inside the broker.
        if stored.type in BATCHED_TYPES:
            task_queue.wake_on_commit(tasks.drain_stripe_events)
        else:
            task_queue.enqueue_on_commit(tasks.process_stripe_event, stored.pk)
    return stored if created else None


def _check_storable_envelope(event: dict) -> None:
    for key, column in (("id", "event_id"), ("type", "type")):
        value = event[key]
        limit = StripeEvent._meta.get_field(column).max_length
        if not value:
            raise UnstorableEvent(f"the event's {key} is empty")
        if len(value) > limit:
            raise UnstorableEvent(f"the event's {key} is longer than {limit} characters")
        if not is_storable(value):
            raise UnstorableEvent(f"the event's {key} holds a NUL or an unpaired surrogate")


def _payment_intent(obj: dict) -> bool:
    return gift_status.apply_payment_intent(intent=PaymentIntentState.from_stripe(obj)) is not None


def _payment_failed(obj: dict) -> bool:
    intent = PaymentIntentState.from_stripe(obj)
    card_checks.record_decline(attempt_id=intent.id)
    return gift_status.apply_payment_intent(intent=intent) is not None


def _setup_failed(obj: dict) -> bool:
    try:
        return card_checks.stop_failed_setup(setup_intent=SetupIntentState.from_stripe(obj))
    except stripe_gateway.NotFound:
        # Stripe has no such SetupIntent to cancel: not one our form made.
        return False


def _charge(obj: dict) -> bool:
    return refunds.apply_charge(charge=ChargeState.from_stripe(obj))


def _dispute(obj: dict) -> bool:
    return disputes.apply_dispute(dispute=DisputeState.from_stripe(obj))


def _invoice_paid(obj: dict) -> bool:
    return recurring.record_paid_invoice(invoice=InvoiceState.from_stripe(obj))


def _invoice_failed(obj: dict) -> bool:
    return recurring.record_failed_invoice(invoice=InvoiceState.from_stripe(obj))


def _subscription(obj: dict) -> bool:
    return recurring.apply_subscription(subscription=SubscriptionState.from_stripe(obj))


# Event type -> handler of the event's object; a handler answers whether the
# object was one of ours. Types not listed are stored and marked ignored, as
# are objects a handler cannot read (it raises IncompleteObject).
# Apps above donations add their own types with register_handler.
EVENT_HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_failed,
    "payment_intent.requires_action": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    # The card form's SetupIntent: one failed card and it is canceled.
    "setup_intent.setup_failed": _setup_failed,
    "charge.succeeded": _charge,
    "charge.refunded": _charge,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
    "invoice.paid": _invoice_paid,
    "invoice.payment_succeeded": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
}


def register_handler(event_types: tuple[str, ...], handler: Callable[[dict], bool]) -> None:
    """Let an app above donations handle more event types (finance's
    payouts), from its AppConfig.ready(), without donations importing it.
    The handler runs under the event's row lock, inside its transaction."""
    for event_type in event_types:
        if EVENT_HANDLERS.get(event_type, handler) is not handler:
            raise ImproperlyConfigured(f"{event_type} already has a handler: {EVENT_HANDLERS[event_type]}")
        EVENT_HANDLERS[event_type] = handler


def process_stripe_event(*, event_pk: int) -> StripeEvent:
    """Apply a stored event exactly once. Concurrent calls for one event
    wait on its row lock; the later ones find it done."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_pk)
            if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
                return event
            _mark_done(event, _apply(event))
            return event
    except Exception as exc:
        _record_event_failure(event_pk, exc)
        raise


def drain_stripe_events(*, batch_size: int = DRAIN_BATCH) -> int:
    """Apply every received event of BATCHED_TYPES, a batch to a
    transaction; returns how many were taken. Drains running at once take
    different events (SKIP LOCKED); an event a run cannot apply is marked
    failed and given its own task, which retries it as before."""
    look_again_at = task_queue.woken(tasks.drain_stripe_events)
    started, taken = time.monotonic(), 0
    while True:
        looked_at = time.monotonic()
        batch = _apply_batch(batch_size)
        taken += batch
        if batch == batch_size:
            if time.monotonic() - started > DRAIN_SECONDS:
                task_queue.wake_on_commit(tasks.drain_stripe_events)
                break
        elif looked_at >= look_again_at:
            # Events a skipped wake left to this run (task_queue._wake)
            # were committed before this look began.
            break
        else:
            time.sleep(max(0.0, look_again_at - time.monotonic()))
    return taken


def _apply_batch(batch_size: int) -> int:
    with transaction.atomic():
        events = list(
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(status=StripeEvent.Status.RECEIVED, type__in=BATCHED_TYPES)
            .order_by("pk")[:batch_size]
        )
        if not events:
            return 0
        with totals.counters_written_once():
            intents = {event.pk: _intent_or_none(event) for event in events}
            donations = gift_status.lock_for_intents(list(filter(None, intents.values())))
            # The set-based statements are PostgreSQL's (UPDATE ... FROM
            # unnest); the SQLite demo applies every event one by one.
            together = _plain_successes(events, intents, donations) if connection.vendor == "postgresql" else {}
            if together and not _succeed_together(together):
                together = {}
            for event in events:
                if event.pk in together:
                    continue
                try:
                    # A savepoint per event: one that fails takes only its
                    # own changes back, counters included.
                    with totals.gift_undone_on_error(), transaction.atomic():
                        _mark_done(event, _apply(event))
                except Exception as exc:
                    logger.warning("stripe event %s failed in a batch: %s", event.event_id, exc)
                    event.refresh_from_db()
                    _mark_failed(event, exc)
                    task_queue.enqueue_on_commit(tasks.process_stripe_event, event.pk)
    return len(events)


def _plain_successes(
    events: list[StripeEvent], intents: dict[int, PaymentIntentState | None], donations: list[Donation]
) -> dict[int, tuple[Donation, PaymentIntentState]]:
    """The batch's events that only say a gift waiting on its payment (or
    failed) was paid, by event pk with their gift and intent: a
    `payment_intent.succeeded` naming exactly one gift, which
    gift_status.succeeds_plainly with it. Left to apply one by one, in
    event order, so that they end as they always have: a gift named by an
    earlier event of the batch, and every gift of a donor who has a gift
    left to the one-by-one path (the donor's details follow their gifts'
    order)."""
    by_intent = {donation.payment_intent_id: donation for donation in donations if donation.payment_intent_id}
    by_public_id = {donation.public_id: donation for donation in donations}
    named: dict[int, list[Donation]] = {}
    for event in events:
        intent = intents[event.pk]
        if intent is not None:
            found = [by_intent.get(intent.id), by_public_id.get(gift_status.uuid_or_none(intent.donation_public_id))]
            named[event.pk] = list({donation.pk: donation for donation in found if donation}.values())
    chosen: dict[int, tuple[Donation, PaymentIntentState]] = {}
    seen: set[int] = set()
    for event in events:
        gifts = named.get(event.pk, [])
        intent = intents[event.pk]
        if (
            event.type == "payment_intent.succeeded"
            and len(gifts) == 1
            and gifts[0].pk not in seen
            and gift_status.succeeds_plainly(gifts[0], intent)
        ):
            chosen[event.pk] = (gifts[0], intent)
        seen.update(donation.pk for donation in gifts)
    paid_together = {donation.pk for donation, _ in chosen.values()}
    one_by_one = {
        donation.donor_id
        for pk, gifts in named.items()
        if pk not in chosen
        for donation in gifts
        if donation.pk not in paid_together
    }
    return {pk: (donation, intent) for pk, (donation, intent) in chosen.items() if donation.donor_id not in one_by_one}


def _succeed_together(together: dict[int, tuple[Donation, PaymentIntentState]]) -> bool:
    """Apply these events at once (gift_status.succeed_together) and mark
    them processed; False, with nothing changed, if that raises, and the
    events are left to the one-by-one path."""
    try:
        with transaction.atomic():
            gift_status.succeed_together(list(together.values()))
            StripeEvent.objects.filter(pk__in=list(together)).update(
                status=StripeEvent.Status.PROCESSED,
                ignored_reason="",
                attempts=F("attempts") + 1,
                last_error="",
                processed_at=timezone.now(),
            )
    except Exception:
        logger.exception("%s stripe events failed together; applying them one by one", len(together))
        return False
    return True


def _intent_or_none(event: StripeEvent) -> PaymentIntentState | None:
    try:
        return PaymentIntentState.from_stripe(event.payload["data"]["object"])
    except (IncompleteObject, KeyError, TypeError):
        return None  # _apply records it as ignored


def _apply(event: StripeEvent) -> str:
    """Run the event's handler; why it changed nothing, or "" if it did."""
    handler = EVENT_HANDLERS.get(event.type)
    if handler is None:
        return "no handler for this event type"
    obj = event.payload["data"]["object"]
    if not isinstance(obj.get("id"), str):
        return "its object has no id"
    try:
        # A savepoint: whatever the handler wrote before finding the object
        # unreadable goes with it.
        with transaction.atomic():
            handled = handler(obj)
    except IncompleteObject as incomplete:
        # Not ours to fix nor Stripe's to resend: a shape no handler reads
        # cannot be a gift Hopefund made, so it is recorded, not failed.
        return f"incomplete object: {incomplete}"[:500]
    return "" if handled else "not one of ours"


class PayloadPruned(Exception):
    """The event's payload was pruned by the retention schedule: only its
    id and type are left, and nothing of it can be applied again."""


def reprocess_stripe_event(*, event_pk: int) -> StripeEvent:
    """Apply a stored event again, whatever its status: every handler is
    safe to repeat, so this only ever completes what is missing. Raises
    PayloadPruned, changing nothing, for an event whose payload was pruned
    (privacy.services.retention); Stripe still has the event for 30 days."""
    pruned_at = StripeEvent.objects.filter(pk=event_pk).values_list("payload_pruned_at", flat=True).first()
    if pruned_at is not None:
        raise PayloadPruned(
            f"its payload was pruned on {pruned_at:%Y-%m-%d} (the retention schedule): "
            "only its id and type are kept, so there is nothing to apply again"
        )
    StripeEvent.objects.filter(pk=event_pk).update(status=StripeEvent.Status.RECEIVED)
    return process_stripe_event(event_pk=event_pk)


def _mark_done(event: StripeEvent, ignored_reason: str) -> None:
    """On a locked event: applied, or why it changed nothing."""
    event.ignored_reason = ignored_reason
    event.status = StripeEvent.Status.IGNORED if ignored_reason else StripeEvent.Status.PROCESSED
    event.attempts += 1
    event.last_error = ""
    event.processed_at = timezone.now()
    event.save()


def _record_event_failure(event_pk: int, exc: Exception) -> None:
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.status == StripeEvent.Status.PROCESSED:
            return
        _mark_failed(event, exc)


def _mark_failed(event: StripeEvent, exc: Exception) -> None:
    event.status = StripeEvent.Status.FAILED
    event.attempts += 1
    event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    event.save(update_fields=["status", "attempts", "last_error"])
