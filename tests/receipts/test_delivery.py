"""Sending exactly once, as far as email allows: the pending -> sending ->
sent / failed machine, retries on temporary provider errors, `failed` on
permanent ones, the sweep for lost tasks and dead workers, and sending
failed emails again from the admin."""

from datetime import timedelta

import pytest
import requests
from anymail.backends.base_requests import AnymailRequestsBackend
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from hopefund.celery import app as celery_app
from receipts import outbox, tasks
from receipts.models import DedicationCard, GiftNotice, Receipt, UpdateDelivery, VoidNotice, YearEndStatement
from tests.fake_email_provider import FakePostmark

pytestmark = pytest.mark.django_db


class ScriptedProvider(AnymailTestBackend):
    """anymail's test backend, answering with the errors in `script` first."""

    script: list[Exception] = []

    def post_to_esp(self, payload, message):
        if ScriptedProvider.script:
            raise ScriptedProvider.script.pop(0)
        return super().post_to_esp(payload, message)


def api_error(status_code: int) -> AnymailAPIError:
    """As anymail raises it for an HTTP answer from the provider."""
    response = requests.Response()
    response.status_code, response.reason = status_code, "scripted"
    return AnymailAPIError("provider said no", status_code=status_code, response=response)


@pytest.fixture
def provider(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ScriptedProvider"
    ScriptedProvider.script = []
    yield ScriptedProvider
    ScriptedProvider.script = []


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager Celery runs a task's retries at once, without the countdown,
    but only when errors do not propagate (the real backoff is in
    tests/integration/test_receipt_delivery.py)."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


def test_temporary_provider_errors_are_retried_until_the_receipt_is_sent_once(
    provider, eager_retries, make_gift, mailoutbox
):
    provider.script = [api_error(500), AnymailAPIError("read timed out")]

    make_gift()

    receipt = Receipt.objects.get()
    assert (receipt.status, receipt.attempts, receipt.last_error) == (Receipt.Status.SENT, 3, "")
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "error",
    [api_error(422), AnymailRecipientsRefused("inactive recipient")],
    ids=["422", "recipients-refused"],
)
def test_a_permanent_provider_error_fails_the_receipt_at_once(provider, make_gift, mailoutbox, error):
    provider.script = [error]

    make_gift()

    receipt = Receipt.objects.get()
    assert (receipt.status, receipt.attempts) == (Receipt.Status.FAILED, 1)
    assert type(error).__name__ in receipt.last_error
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (api_error(500), False),
        (api_error(503), False),
        (api_error(429), False),
        (api_error(408), False),
        (AnymailAPIError("timed out"), False),
        (ConnectionError("reset"), False),
        (api_error(400), True),
        (api_error(401), True),
        (AnymailRecipientsRefused("x"), True),
    ],
)
def test_which_provider_errors_are_permanent(error, permanent):
    assert outbox.is_permanent_failure(error) is permanent


def test_staff_can_send_a_failed_receipt_again_from_the_admin(
    provider, make_gift, mailoutbox, admin_client, django_capture_on_commit_callbacks
):
    provider.script = [api_error(400)]
    make_gift()
    failed = Receipt.objects.get()
    assert failed.status == Receipt.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/receipts/receipt/", {"action": "send_failed_again", "_selected_action": [failed.pk]}, follow=True
        )

    assert "1 failed email(s) queued to send again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Receipt.Status.SENT, 2)
    assert len(mailoutbox) == 1


def test_sending_again_leaves_a_sent_receipt_alone(make_gift, mailoutbox, django_capture_on_commit_callbacks):
    make_gift()
    receipt = Receipt.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.send_again(kind="receipt", pks=[receipt.pk]) == 0

    assert len(mailoutbox) == 1


def stuck_in_sending(receipt: Receipt, *, since: timedelta, by_task: str = "task-that-died") -> None:
    """As a worker leaves it when it dies after claiming the receipt."""
    Receipt.objects.filter(pk=receipt.pk).update(
        status=Receipt.Status.SENDING, attempts=1, claimed_at=timezone.now() - since, claimed_by=by_task, sent_at=None
    )


def test_a_send_task_delivered_again_after_its_worker_died_mid_send_sends_at_once(make_gift, mailoutbox):
    make_gift()
    receipt = Receipt.objects.get()
    stuck_in_sending(receipt, since=timedelta(seconds=5), by_task="task-1")
    mailoutbox.clear()

    # The same task's message, which the worker puts back when its pool
    # process dies (Redis, when the whole worker does).
    tasks.send_email.apply(args=("receipt", receipt.pk), task_id="task-1")

    receipt.refresh_from_db()
    assert (receipt.status, receipt.attempts, receipt.claimed_by) == (Receipt.Status.SENT, 2, "task-1")
    [resent] = mailoutbox
    assert resent.extra_headers["Message-ID"] == f"<receipt-{receipt.number}@127.0.0.1>"


def test_a_receipt_whose_worker_died_mid_send_is_sent_by_the_sweep_after_the_lease(make_gift, mailoutbox):
    make_gift()
    receipt = Receipt.objects.get()
    stuck_in_sending(receipt, since=outbox.SENDING_LEASE + timedelta(seconds=5))
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 1

    receipt.refresh_from_db()
    assert (receipt.status, receipt.attempts) == (Receipt.Status.SENT, 2)
    [resent] = mailoutbox
    # The same message as far as mail clients are concerned.
    assert resent.extra_headers["Message-ID"] == f"<receipt-{receipt.number}@127.0.0.1>"


def test_a_receipt_left_in_sending_before_claims_were_timed_is_sent_by_the_sweep(make_gift, mailoutbox):
    make_gift()
    Receipt.objects.update(status=Receipt.Status.SENDING, claimed_at=None, sent_at=None)
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 1
    assert Receipt.objects.get().status == Receipt.Status.SENT
    assert len(mailoutbox) == 1


def test_a_process_sends_every_email_through_one_open_session_to_an_http_provider(settings, make_gift, monkeypatch):
    """anymail opens an HTTP session (a TCP and TLS connection) per message
    unless its connection is kept open: the outbox keeps one a process."""
    monkeypatch.setattr(outbox, "_provider_connections", {})
    sessions = []
    create_session = AnymailRequestsBackend.create_session
    monkeypatch.setattr(
        AnymailRequestsBackend, "create_session", lambda self: sessions.append(create_session(self)) or sessions[-1]
    )
    provider = FakePostmark().start()
    try:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": "token", "POSTMARK_API_URL": provider.url}
        make_gift(donor__email="ada@example.org")
        make_gift(donor__email="grace@example.org")
    finally:
        provider.stop()

    assert sorted(message["To"] for message in provider.delivered) == ["ada@example.org", "grace@example.org"]
    assert set(Receipt.objects.values_list("status", flat=True)) == {Receipt.Status.SENT}
    assert len(sessions) == 1


def test_a_receipt_being_sent_by_a_live_worker_is_left_to_it(make_gift, mailoutbox):
    make_gift()
    receipt = Receipt.objects.get()
    stuck_in_sending(receipt, since=outbox.SENDING_LEASE - timedelta(minutes=1))
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 0
    outbox.send_email(kind="receipt", pk=receipt.pk)
    tasks.send_email.apply(args=("receipt", receipt.pk), task_id="another-task")

    assert Receipt.objects.get().status == Receipt.Status.SENDING
    assert mailoutbox == []


def test_a_pending_receipt_whose_retry_was_lost_is_sent_by_the_sweep(make_gift, mailoutbox):
    make_gift()
    Receipt.objects.update(
        status=Receipt.Status.PENDING, attempts=1, claimed_at=timezone.now() - tasks.IDLE_FOR - timedelta(seconds=1)
    )
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 1
    assert Receipt.objects.get().status == Receipt.Status.SENT
    assert len(mailoutbox) == 1


def test_every_kind_of_email_is_registered_when_django_starts():
    """receipts.apps imports the modules that own the kinds; a kind missing
    here would never be sent, swept or sent again."""
    registered = {
        name: outbox.registered_kind(name).model
        for name in ("receipt", "void_notice", "statement", "update", "gift_notice", "dedication_card")
    }

    assert registered == {
        "receipt": Receipt,
        "void_notice": VoidNotice,
        "statement": YearEndStatement,
        "update": UpdateDelivery,
        "gift_notice": GiftNotice,
        "dedication_card": DedicationCard,
    }


def test_an_unknown_kind_of_email_is_refused_where_it_is_queued():
    with pytest.raises(LookupError, match="no-such-kind"):
        outbox.send_on_commit(kind="no-such-kind", pk=1)


def test_a_second_kind_of_email_under_a_taken_name_is_refused():
    receipt = outbox.registered_kind("receipt")

    with pytest.raises(ImproperlyConfigured):
        outbox.register_kind(
            "receipt", model=VoidNotice, load=receipt.load, build=receipt.build, created_field="created_at"
        )
    assert outbox.registered_kind("receipt") == receipt
