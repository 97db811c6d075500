"""Sending exactly once, as far as email allows, for every kind of email.

This engine knows no kind of email itself: the module that owns a kind
(a receipt, a void notice, a statement, an impact update's delivery)
registers it with `register_kind` when it is imported, and
receipts.apps.ReceiptsConfig.ready() imports those modules. A kind's name
travels in Celery messages and the admin, so it never changes.

Every outbound email is a row (receipts.models.OutboundEmail) that moves
pending -> sending -> sent under a row lock, so two workers can never both
send it; no transaction is open while the provider is called. A temporary
provider error (5xx, 429, a timeout, the network) puts it back to pending
for a retry with backoff; a permanent one (the provider refused the
message or the address) marks it failed at once; staff can send failed
ones again from the admin.

Two ways an email can go out twice, both with the same Message-ID
(derived from what the message is), so a mail client shows one message:
- the provider accepted it and the worker died (or lost the database)
  before `sent` was saved. The row stays in `sending`, claimed by its task
  (`claimed_by`). That task sends it again when it is delivered again (at
  once if its pool process died, after Redis's visibility timeout if the
  whole worker did); a row no task comes back for is handed to another
  worker by the sweep after SENDING_LEASE. The window is the time between
  the provider's answer and one UPDATE of one row.
- the provider took it but answered after our timeout
  (ANYMAIL["REQUESTS_TIMEOUT"]): we cannot tell that from a send it never
  got, and the provider's API has no idempotency key, so it is retried.

An OutboundEmail row's lock is only ever taken alone.
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
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core import task_queue
from receipts import selectors, tasks
from receipts.models import OutboundEmail

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status

# Longer than a send task may run (CELERY_TASK_TIME_LIMIT), so a worker
# still talking to the provider is never taken for a dead one.
SENDING_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class EmailKind:
    model: type[OutboundEmail]
    load: Callable[[int], OutboundEmail]
    build: Callable[[OutboundEmail], EmailMessage]
    # The field that says when the row was created (for the sweep).
    created_field: str
    # A reason to send this email to nobody (it becomes `skipped`), checked
    # just before sending. None for transactional email: always sent.
    skip_if: Callable[[OutboundEmail], bool] | None = None


_KINDS: dict[str, EmailKind] = {}


def register_kind(
    name: str,
    *,
    model: type[OutboundEmail],
    load: Callable[[int], OutboundEmail],
    build: Callable[[OutboundEmail], EmailMessage],
    created_field: str,
    skip_if: Callable[[OutboundEmail], bool] | None = None,
) -> str:
    """Make `name` a kind of email the engine sends, sweeps and sends again.
    Returns the name, for the owning module to queue its emails with."""
    kind = EmailKind(model=model, load=load, build=build, created_field=created_field, skip_if=skip_if)
    if _KINDS.setdefault(name, kind) != kind:
        raise ImproperlyConfigured(f"Two kinds of email are registered as {name!r}")
    return name


def registered_kind(name: str) -> EmailKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(
            f"No kind of email is registered as {name!r}; its module registers it at import "
            "(see receipts.apps.ReceiptsConfig.ready)"
        ) from None


def send_on_commit(*, kind: str, pk: int) -> None:
    """Queue one email's send once the current transaction commits. If the
    broker is down, the task is parked and queued again when it is back
    (core/task_queue.py); the resend_stalled sweep covers a task lost
    inside the broker."""
    registered_kind(kind)  # an unknown kind fails here, in the caller, not in a worker
    task_queue.enqueue_on_commit(tasks.send_email, kind, pk)


def send_many_on_commit(*, kind: str, pks: list[int]) -> None:
    """send_on_commit for many emails: one task per SEND_BATCH of them,
    which queues each email's own send, so a transaction that made
    thousands of emails commits without waiting for thousands of
    publishes. A batch lost in the broker is covered by the sweep too."""
    registered_kind(kind)
    for start in range(0, len(pks), SEND_BATCH):
        task_queue.enqueue_on_commit(tasks.send_emails, kind, pks[start : start + SEND_BATCH])


# Emails queued by one send_emails task.
SEND_BATCH = 500


def send_email(*, kind: str, pk: int, task_id: str = "") -> OutboundEmail:
    """Send one pending email once. Raises the provider's error when it is
    temporary (the caller retries); records a permanent one as failed.
    An email in any other state is left alone: sent already, being sent by
    a live worker, void, failed or skipped. `task_id` is the Celery task
    sending it: one it claimed before, whose run died mid-send, it takes
    back at once."""
    spec = registered_kind(kind)
    email = spec.load(pk)
    if not _is_claimable(email, task_id=task_id):
        return email
    if spec.skip_if is not None and spec.skip_if(email):
        return _skip(spec.model, pk)
    # Built before the claim: a rendering fault leaves the email pending,
    # never stuck in `sending`. The claim then holds only while no other
    # worker has claimed the row since it was loaded: a message built from
    # an older attempt (a receipt's link is made per attempt) is dropped,
    # and that worker's own task sends the row.
    message = spec.build(email)
    if not _claim(spec.model, pk, attempts_when_built=email.attempts, task_id=task_id):
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
    model = registered_kind(kind).model
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
    model = registered_kind(kind).model
    with transaction.atomic():
        failed = list(model.objects.select_for_update().filter(pk__in=pks, status=Status.FAILED).order_by("pk"))
        for email in failed:
            email.status = Status.PENDING
            email.save(update_fields=["status"])
            send_on_commit(kind=kind, pk=email.pk)
    return len(failed)


def resend_stalled(*, never_tried_for: timedelta, idle_for: timedelta) -> int:
    """The sweep: queue every email whose task was lost, including those
    stuck in `sending` past the lease because their worker died."""
    queued = 0
    for kind, spec in _KINDS.items():
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


def _is_claimable(email: OutboundEmail, *, task_id: str) -> bool:
    if email.status == Status.PENDING:
        return True
    if email.status != Status.SENDING:
        return False
    # Claimed by this very task: the run that claimed it is over, since a
    # task's message is delivered again only once its pool process died
    # (task_reject_on_worker_lost), or its worker did and Redis's visibility
    # timeout passed, which outlasts a task's time limit.
    if task_id and email.claimed_by == task_id:
        return True
    # Its worker died mid-send and its task is lost too (see the module's
    # docstring). Rows left in `sending` before claims were timed have no
    # claimed_at.
    return email.claimed_at is None or email.claimed_at < timezone.now() - SENDING_LEASE


def _claim(model: type[OutboundEmail], pk: int, *, attempts_when_built: int, task_id: str) -> bool:
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if email.attempts != attempts_when_built or not _is_claimable(email, task_id=task_id):
            return False
        email.status = Status.SENDING
        email.attempts += 1
        email.claimed_at = timezone.now()
        email.claimed_by = task_id
        email.save(update_fields=["status", "attempts", "claimed_at", "claimed_by"])
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
