"""Every write of receipts, void notices, year-end statements, impact
updates and suppressions.

A receipt is created, with its number, in the same transaction that makes
its gift succeed, so a gift can never succeed without one and a rolled-back
gift never uses up a number.

Sending exactly once, as far as email allows. Every outbound email is a row
(receipts.models.OutboundEmail) that moves pending -> sending -> sent under
a row lock, so two workers can never both send it; no transaction is open
while the provider is called. A temporary provider error (5xx, 429, a
timeout, the network) puts it back to pending for a retry with backoff; a
permanent one (the provider refused the message or the address) marks it
failed at once; staff can send failed ones again from the admin.

The one window where an email can go out twice: the provider accepted it
and the worker died (or lost the database) before `sent` was saved. The row
stays in `sending`; after SENDING_LEASE the sweep hands it to another
worker, which sends it again. The window is the time between the
provider's answer and one UPDATE of one row; and because the message's
Message-ID is derived from what it is, a mail client shows the second copy
as the same message.

Lock order, after the donation ledger's: ReceiptSequence -> Receipt ->
VoidNotice; an OutboundEmail row's lock is only ever taken alone.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from receipts import emails, selectors, tasks
from receipts.models import (
    EmailSuppression,
    ImpactUpdate,
    OutboundEmail,
    ProviderEvent,
    Receipt,
    ReceiptSequence,
    UpdateDelivery,
    VoidNotice,
    YearEndStatement,
)

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status

# Longer than a send task may run (CELERY_TASK_TIME_LIMIT), so a worker
# still talking to the provider is never taken for a dead one.
SENDING_LEASE = timedelta(minutes=10)
UPDATE_BATCH_SIZE = 500


# --- Sending, for every kind of email ---------------------------------------


@dataclass(frozen=True)
class EmailKind:
    model: type[OutboundEmail]
    load: Callable[[int], OutboundEmail]
    build: Callable[[OutboundEmail], EmailMessage]
    # The field that says when the row was created (for the sweep).
    created_field: str
    # Impact updates are marketing: suppressed addresses are skipped.
    # Everything else is transactional and always sent.
    respects_suppression: bool = False


EMAIL_KINDS = {
    "receipt": EmailKind(Receipt, selectors.receipt_with_gift, emails.receipt_message, "issued_at"),
    "void_notice": EmailKind(VoidNotice, selectors.void_notice_with_receipt, emails.void_notice_message, "created_at"),
    "statement": EmailKind(YearEndStatement, selectors.statement_with_donor, emails.statement_message, "created_at"),
    "update": EmailKind(
        UpdateDelivery,
        selectors.update_delivery_with_update,
        emails.update_message,
        "created_at",
        respects_suppression=True,
    ),
}


def send_email(*, kind: str, pk: int) -> OutboundEmail:
    """Send one pending email once. Raises the provider's error when it is
    temporary (the caller retries); records a permanent one as failed.
    An email in any other state is left alone: sent already, being sent by
    a live worker, void, failed or skipped."""
    spec = EMAIL_KINDS[kind]
    email = spec.load(pk)
    if not _is_claimable(email):
        return email
    if spec.respects_suppression and selectors.is_suppressed(email.donor.email):
        return _skip(spec.model, pk)
    # Built before the claim: a rendering fault leaves the email pending,
    # never stuck in `sending`.
    message = spec.build(email)
    if not _claim(spec.model, pk):
        return spec.model.objects.get(pk=pk)
    try:
        message.send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if is_permanent_failure(exc):
            logger.warning("%s %s refused for good: %s", kind, pk, error)
            return _finish(spec.model, pk, Status.FAILED, error=error)
        _finish(spec.model, pk, Status.PENDING, error=error)
        raise
    return _finish(spec.model, pk, Status.SENT)


def is_permanent_failure(exc: Exception) -> bool:
    """Will sending the same message again fail the same way? A refused
    address or message: yes. A provider 5xx, 408 or 429, a timeout or a
    network error (no status): no, try again later."""
    if isinstance(
        exc, (AnymailRecipientsRefused, AnymailInvalidAddress, AnymailUnsupportedFeature, AnymailSerializationError)
    ):
        return True
    if isinstance(exc, AnymailAPIError) and exc.status_code is not None:
        return 400 <= exc.status_code < 500 and exc.status_code not in (408, 429)
    return False


def give_up(*, kind: str, pk: int) -> OutboundEmail:
    """After the last retry: `failed`, visible to staff, who can send it
    again from the admin."""
    model = EMAIL_KINDS[kind].model
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if email.status == Status.PENDING:
            email.status = Status.FAILED
            email.save(update_fields=["status"])
    logger.warning("%s %s failed after its last retry: %s", kind, pk, email.last_error)
    return email


def send_again(*, kind: str, pks: list[int]) -> int:
    """Staff asked to send failed emails again: back to pending, queued.
    Returns how many were failed (the others are left as they are)."""
    model = EMAIL_KINDS[kind].model
    with transaction.atomic():
        failed = list(model.objects.select_for_update().filter(pk__in=pks, status=Status.FAILED).order_by("pk"))
        for email in failed:
            email.status = Status.PENDING
            email.save(update_fields=["status"])
            _queue(kind, email.pk)
    return len(failed)


def resend_stalled(*, never_tried_for: timedelta, idle_for: timedelta) -> int:
    """The sweep: queue every email whose task was lost, including those
    stuck in `sending` past the lease because their worker died."""
    queued = 0
    for kind, spec in EMAIL_KINDS.items():
        stalled = selectors.stalled_emails(
            spec.model,
            created_field=spec.created_field,
            never_tried_for=never_tried_for,
            idle_for=idle_for,
            lease=SENDING_LEASE,
        )
        for pk in stalled:
            tasks.send_email.delay(kind, pk)
        queued += len(stalled)
    return queued


def _is_claimable(email: OutboundEmail) -> bool:
    if email.status == Status.PENDING:
        return True
    # Its worker died mid-send (see the module's docstring). Rows left in
    # `sending` before claims were timed have no claimed_at.
    return email.status == Status.SENDING and (
        email.claimed_at is None or email.claimed_at < timezone.now() - SENDING_LEASE
    )


def _claim(model: type[OutboundEmail], pk: int) -> bool:
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if not _is_claimable(email):
            return False
        email.status = Status.SENDING
        email.attempts += 1
        email.claimed_at = timezone.now()
        email.save(update_fields=["status", "attempts", "claimed_at"])
        return True


def _finish(model: type[OutboundEmail], pk: int, status: str, *, error: str = "") -> OutboundEmail:
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if status == Status.SENT:
            # Recorded even if the row changed meanwhile (a receipt voided
            # while it was being sent): it did go out.
            email.sent_at = timezone.now()
            email.last_error = ""
        else:
            email.last_error = error[:2000]
        if email.status == Status.SENDING:
            email.status = status
        email.save(update_fields=["status", "last_error", "sent_at"])
    logger.info("%s %s is now %s", model.__name__, pk, email.status)
    return email


def _skip(model: type[OutboundEmail], pk: int) -> OutboundEmail:
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if email.status == Status.PENDING:
            email.status = Status.SKIPPED
            email.save(update_fields=["status"])
    return email


def _queue(kind: str, pk: int) -> None:
    # If the broker is down, the sweep (resend_stalled) sends it later.
    transaction.on_commit(lambda: tasks.send_email.delay(kind, pk), robust=True)


# --- Receipts -----------------------------------------------------------------


def issue_receipt(*, donation) -> Receipt:
    """The gift's receipt, created and queued for sending if it has none.
    Must run inside the transaction that holds the donation's row lock."""
    existing = Receipt.objects.filter(donation=donation, replaces__isnull=True).first()
    if existing:
        return existing
    benefit = selectors.campaign_benefit(donation.campaign_id)
    return _issue(
        donation=donation,
        amount_minor=donation.charged_minor,
        replaces=None,
        benefit_description=benefit.description if benefit else "",
        benefit_value_minor=benefit.value_minor if benefit else 0,
    )


def send_receipt(*, receipt_id: int) -> Receipt:
    return send_email(kind="receipt", pk=receipt_id)


def reissue_after_refund(*, donation) -> Receipt | None:
    """Bring a refunded gift's receipts in line with what the donor kept
    given. Called by donations.services inside the transaction that holds
    the donation's row lock, after it has recorded the refund.

    Refunded in full: every live receipt becomes void, and the donor is
    sent a void notice for each one they may have received. Refunded in
    part: the current receipt becomes void and a corrected receipt, with a
    new number, replaces it for the amount charged less the refunds.
    Nothing changes when the receipts already match (a repeated call).
    Returns the receipt that now stands, if any."""
    receipts = selectors.receipts_of_donation(donation.pk)
    live = [receipt for receipt in receipts if receipt.status != Receipt.Status.VOID]
    kept_minor = donation.charged_minor - donation.refunded_minor
    with transaction.atomic():
        if donation.status == donation.Status.REFUNDED or kept_minor <= 0:
            _void(live, notify_donor=True)
            return None
        if donation.status != donation.Status.PARTIALLY_REFUNDED or not receipts:
            return live[-1] if live else None
        # The last receipt is the head of the chain of corrections.
        current = receipts[-1]
        if live == [current] and current.amount_minor == kept_minor:
            return current
        corrected = _issue(
            donation=donation,
            amount_minor=kept_minor,
            replaces=current,
            benefit_description=current.benefit_description,
            benefit_value_minor=current.benefit_value_minor,
        )
        # The corrected receipt itself tells the donor the old one is void.
        _void(live, notify_donor=False)
        return corrected


def _issue(
    *, donation, amount_minor: int, replaces: Receipt | None, benefit_description: str, benefit_value_minor: int
) -> Receipt:
    # Numbered in the year the gift was received: a correction made in
    # January for a December gift belongs with that year's receipts.
    year = timezone.localtime(donation.succeeded_at).year
    sequence = _next_sequence(year)
    receipt = Receipt.objects.create(
        donation=donation,
        year=year,
        sequence=sequence,
        number=Receipt.format_number(year, sequence),
        replaces=replaces,
        amount_minor=amount_minor,
        currency=donation.currency,
        benefit_description=benefit_description,
        benefit_value_minor=benefit_value_minor,
    )
    _queue("receipt", receipt.pk)
    return receipt


def _next_sequence(year: int) -> int:
    ReceiptSequence.objects.get_or_create(year=year)
    sequence = ReceiptSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _void(receipts: list[Receipt], *, notify_donor: bool) -> None:
    now = timezone.now()
    for stale in receipts:
        receipt = Receipt.objects.select_for_update().get(pk=stale.pk)
        if receipt.status == Receipt.Status.VOID:
            continue
        # A receipt never tried never reached the donor: nothing to take back.
        reached_donor = receipt.attempts > 0
        receipt.status = Receipt.Status.VOID
        receipt.voided_at = now
        receipt.save(update_fields=["status", "voided_at"])
        logger.info("receipt %s is void", receipt.number)
        if notify_donor and reached_donor:
            notice, created = VoidNotice.objects.get_or_create(receipt=receipt)
            if created:
                _queue("void_notice", notice.pk)


# --- Year-end statements ------------------------------------------------------


@dataclass(frozen=True)
class StatementRun:
    donors: int
    new_statements: int


def issue_year_end_statements(
    *, year: int, dry_run: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> StatementRun:
    """One statement per donor with a counted gift in `year`, queued for
    sending. Running it again creates and sends nothing new; statements
    whose send was lost are queued again. `on_progress(done, total)` follows
    the queueing, the long part with many donors."""
    donor_ids = selectors.donors_due_a_statement(year)
    already = set(YearEndStatement.objects.filter(year=year).values_list("donor_id", flat=True))
    run = StatementRun(donors=len(donor_ids), new_statements=len(set(donor_ids) - already))
    if dry_run:
        return run
    with transaction.atomic():
        YearEndStatement.objects.bulk_create(
            [YearEndStatement(donor_id=donor_id, year=year) for donor_id in donor_ids if donor_id not in already],
            ignore_conflicts=True,
            batch_size=1000,
        )
        pending = list(YearEndStatement.objects.filter(year=year, status=Status.PENDING).values_list("pk", flat=True))
    # Queued once the statements are committed, one at a time, so progress
    # can be told; if this stops half-way the sweep sends the rest.
    for done, pk in enumerate(pending, start=1):
        _queue("statement", pk)
        if on_progress is not None:
            on_progress(done, len(pending))
    return run


# --- Impact updates -------------------------------------------------------------


def start_sending_update(*, update_id: int) -> ImpactUpdate:
    """Send an update to its audience, in batches through Celery. Starting
    it again while it is sending goes over the audience again, which only
    queues donors that were missed: each donor gets it once."""
    with transaction.atomic():
        update = ImpactUpdate.objects.select_for_update().get(pk=update_id)
        if update.status == ImpactUpdate.Status.SENT:
            return update
        if update.status == ImpactUpdate.Status.DRAFT:
            update.status = ImpactUpdate.Status.SENDING
            update.send_started_at = timezone.now()
            update.save(update_fields=["status", "send_started_at"])
        transaction.on_commit(lambda: tasks.queue_update_batch.delay(update_id, 0), robust=True)
    return update


def queue_update_batch(*, update_id: int, after_donor_id: int) -> None:
    """One page of the audience: a delivery per donor (skipped for
    suppressed addresses), each queued, then the next page queued."""
    update = ImpactUpdate.objects.get(pk=update_id)
    if update.status == ImpactUpdate.Status.DRAFT:
        return
    donors = selectors.update_audience_page(update, after_donor_id=after_donor_id, limit=UPDATE_BATCH_SIZE)
    suppressed = selectors.suppressed_among([email for _, email in donors])
    donor_ids = [donor_id for donor_id, _ in donors]
    with transaction.atomic():
        UpdateDelivery.objects.bulk_create(
            [
                UpdateDelivery(
                    update=update, donor_id=donor_id, status=Status.SKIPPED if email in suppressed else Status.PENDING
                )
                for donor_id, email in donors
            ],
            ignore_conflicts=True,
        )
        pending = UpdateDelivery.objects.filter(update=update, donor_id__in=donor_ids, status=Status.PENDING)
        for pk in pending.values_list("pk", flat=True):
            _queue("update", pk)
        if len(donors) == UPDATE_BATCH_SIZE:
            next_after = donor_ids[-1]
            transaction.on_commit(lambda: tasks.queue_update_batch.delay(update_id, next_after), robust=True)
        else:
            ImpactUpdate.objects.filter(pk=update_id).update(
                status=ImpactUpdate.Status.SENT, all_queued_at=timezone.now()
            )


def send_update_test(*, update_id: int, to: str) -> None:
    """Send an update to a member of staff, now (one email, outside any
    transaction); provider errors reach the caller."""
    emails.update_test_message(ImpactUpdate.objects.get(pk=update_id), to=to).send()


# --- Suppression --------------------------------------------------------------------

# Provider event types that mean "send no more updates to this address".
SUPPRESSING_EVENTS = {
    "bounced": EmailSuppression.Reason.BOUNCED,
    "complained": EmailSuppression.Reason.COMPLAINED,
    "rejected": EmailSuppression.Reason.REJECTED,
    "unsubscribed": EmailSuppression.Reason.UNSUBSCRIBED,
}


def record_provider_event(*, esp_name: str, event_id: str, event_type: str, recipient: str) -> bool:
    """Store a tracking event once (by the provider's event id) and suppress
    its address when it bounced, complained, was rejected or unsubscribed.
    Returns False for an event already recorded."""
    # Cut to the columns' sizes: a provider's oddity must not become a 500
    # that it retries for days.
    recipient = (recipient or "")[:254]
    with transaction.atomic():
        _, created = ProviderEvent.objects.get_or_create(
            esp_name=esp_name[:50],
            event_id=event_id[:255],
            defaults={"event_type": event_type[:30], "recipient": recipient},
        )
        if created and recipient and event_type in SUPPRESSING_EVENTS:
            suppress(email=recipient, reason=SUPPRESSING_EVENTS[event_type])
    return created


def suppress(*, email: str, reason: str) -> EmailSuppression:
    """The first reason recorded for an address stands."""
    suppression, _ = EmailSuppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason})
    return suppression


def unsubscribe(*, token: str) -> EmailSuppression | None:
    """The donor behind an update's unsubscribe link gets no more updates.
    None for a token that belongs to no update."""
    delivery = selectors.delivery_by_unsubscribe_token(token)
    if delivery is None:
        return None
    return suppress(email=delivery.donor.email, reason=EmailSuppression.Reason.UNSUBSCRIBED)
