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
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from anymail.backends.base_requests import AnymailRequestsBackend
from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
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
        _send(message)
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


# This process's open connection to the email provider, by what it was
# opened with (see _send).
_provider_connections: dict[tuple, BaseEmailBackend] = {}


def _send(message: EmailMessage) -> None:
    """Send through one connection kept open for the process's life, when
    the backend is one of anymail's HTTP APIs: `message.send()` alone opens
    a new HTTP session, and so a new TCP and TLS connection to the provider,
    for every message. Keyed by the process (a forked worker never shares
    its parent's socket) and the settings it was opened with. Other
    backends (SMTP, files, memory) get a connection per message, as
    Django's default."""
    key = (os.getpid(), settings.EMAIL_BACKEND, repr(getattr(settings, "ANYMAIL", None)))
    connection = _provider_connections.get(key)
    if connection is None:
        connection = get_connection()
        if isinstance(connection, AnymailRequestsBackend):
            connection.open()
            _provider_connections[key] = connection
    message.connection = connection
    message.send()


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
    """`_is_claimable` and the unchanged attempt, as one UPDATE: PostgreSQL
    checks its WHERE again on the row's newest version once it holds the
    row's lock, so two workers never both claim a row, in one round trip
    and one commit instead of a locking SELECT's four."""
    stale = timezone.now() - SENDING_LEASE
    resumable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)
    if task_id:
        resumable |= Q(claimed_by=task_id)
    claimable = Q(status=Status.PENDING) | (Q(status=Status.SENDING) & resumable)
    claimed = model.objects.filter(claimable, pk=pk, attempts=attempts_when_built).update(
        status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now(), claimed_by=task_id
    )
    return claimed == 1


def _finish(model: type[OutboundEmail], pk: int, status: str, *, error: str = "") -> OutboundEmail:
    """One UPDATE, which takes the row's lock alone. `sent` is recorded even
    if the row changed meanwhile (a receipt voided while it was being
    sent): it did go out; the status moves only from `sending`."""
    outcome = {"sent_at": timezone.now(), "last_error": ""} if status == Status.SENT else {"last_error": error[:2000]}
    model.objects.filter(pk=pk).update(
        status=Case(When(status=Status.SENDING, then=Value(status)), default=F("status")), **outcome
    )
    email = model.objects.get(pk=pk)
    logger.info("%s %s is now %s", model.__name__, pk, email.status)
    return email


def _skip(model: type[OutboundEmail], pk: int) -> OutboundEmail:
    with transaction.atomic():
        email = model.objects.select_for_update().get(pk=pk)
        if email.status == Status.PENDING:
            email.status = Status.SKIPPED
            email.save(update_fields=["status"])
    return email
